# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""One call of the module's scheduled actions (bill, send, resume).

Odoo's cron runner commits after each call and calls again while the call
reports work left. It does not retry a call that raises: it counts a failure
and moves the action to its next interval (the next day for the bill run),
and after three calls in a row that did not end (killed, out of time) it does
the same. A call of these actions therefore never raises a concurrent update,
and leaves a trigger behind it while it runs.
"""

import logging
from datetime import timedelta

from odoo import fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..locking import LOCKED_RETRY_DELAY

_logger = logging.getLogger(__name__)

# A call that does not end (killed, out of time) is called again this much
# later, even when Odoo's runner has given the action up after three of them.
RESUME_DELAY = timedelta(minutes=5)


class IrCron(models.Model):
    _inherit = "ir.cron"

    def _run_module_call(self, records, domain, step):
        """One call of this action on the records of ``domain`` (a model of
        ``records``): ``step()`` does the call's work in a savepoint and
        returns the records it took, which this returns.

        A concurrent update is no failure of a record: the call takes
        nothing and the action is called again a few minutes on. A record
        that failed counts as done (it waits for the next day), so that the
        runner does not take a batch of failures for a stalled job. When
        records are left, the next call comes at once; when none could be
        taken (all held by another transaction: a user's action, a job, a
        worker just killed), a little later, the same day.
        """
        self.ensure_one()
        resume = self._arm_resume_trigger()
        try:
            with records.env.cr.savepoint():
                taken = step()
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            _logger.info("%s: a concurrent update, tried again shortly", records._name)
            taken = records.browse()
        remaining = records.search_count(domain)
        records.env["ir.cron"]._notify_progress(done=len(taken), remaining=remaining)
        if remaining:
            self._trigger(None if taken else fields.Datetime.now() + LOCKED_RETRY_DELAY)
        # this call ends: its safety net goes with its commit
        resume.unlink()
        return taken

    def _arm_resume_trigger(self):
        """When this action is being called by Odoo's cron runner, commit
        apart from the call a trigger that calls it again a few minutes on;
        the call deletes it when it ends.

        A call killed by a signal or a time limit leaves it: the runner takes
        a killed call again at its next wake-up, but after three in a row it
        moves the action to its next interval, and this trigger brings the
        action back within minutes.
        """
        self.ensure_one()
        if self.env.context.get("cron_id") != self.id:
            return self.env["ir.cron.trigger"]
        with self.env.registry.cursor() as cr:
            trigger_id = (
                self.with_env(self.env(cr=cr))
                ._trigger(fields.Datetime.now() + RESUME_DELAY)
                .id
            )
        # triggers are the runner's own records, made by _trigger as sudo:
        # the call deletes its own one the same way
        return self.env["ir.cron.trigger"].sudo().browse(trigger_id)
