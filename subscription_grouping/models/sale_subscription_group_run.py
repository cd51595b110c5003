# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The scheduled bill run: time-boxed calls, small batches, a failing group alone.

Each call of the scheduled action bills batches of due groups until its few
seconds are spent and reports its progress to Odoo's cron runner, which
commits after each call and calls again while groups are left. A killed call
loses only its own batches, which the next call takes again; a group's
invoice and its members' advanced dates are written in the same transaction,
and the unique index on (group, run date) is the last guard against a second
invoice for one date. A call never raises one group's problem into the
runner, which would leave every group still due to the next day.
"""

import logging
import time

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

_logger = logging.getLogger(__name__)

BATCH_SIZE_PARAM = "subscription_grouping.bill_batch_size"
DEFAULT_BATCH_SIZE = 10
CALL_SECONDS_PARAM = "subscription_grouping.bill_call_seconds"
# Short calls: a killed call loses little, three killed calls in a row (after
# which Odoo's runner gives the action up to its next day) are rare, and ten
# calls stay well inside the cron worker's real time limit (120 s by default).
DEFAULT_CALL_SECONDS = 5
BILLING_FAILED_ACTIVITY = "subscription_grouping.mail_activity_type_billing_failed"


class SaleSubscriptionGroup(models.Model):
    _name = "sale.subscription.group"
    _inherit = [
        "sale.subscription.group",
        "mail.activity.mixin",
        "subscription.grouping.failure",
    ]

    billing_error = fields.Text(
        readonly=True,
        copy=False,
        help="Why the last scheduled billing of this group failed. The group is "
        "billed again by the next day's scheduled run, or at once with Invoice "
        "Now; the message goes away when it is billed.",
    )
    billing_error_run_date = fields.Date(
        string="Failed Run Date", readonly=True, copy=False
    )
    billing_failed_on = fields.Date(
        string="Billing Failed On",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The day the scheduled run last failed to bill this group: it is "
        "not tried again that day.",
    )

    # -- the scheduled action -------------------------------------------------
    @api.model
    def _cron_bill(self, date_ref=None):
        """Bill the groups due on ``date_ref`` (default today) for a few
        seconds, and return the groups taken."""
        today = fields.Date.context_today(self)
        date_ref = date_ref or today
        domain = self._get_bill_domain(date_ref, today)
        return self._get_bill_cron()._run_module_call(
            self, domain, lambda: self._cron_bill_step(domain, date_ref)
        )

    @api.model
    def _get_bill_cron(self):
        return self.env.ref("subscription_grouping.ir_cron_bill_subscription_groups")

    @api.model
    def _cron_bill_step(self, domain, date_ref):
        """One call's work: bill batches of the groups of ``domain`` until the
        call's seconds are spent, and return the groups it took.

        The step an extension replaces to have the groups billed elsewhere
        (subscription_grouping_queue_job hands them to job queue workers).
        Whatever it does, the groups it returns must leave ``domain`` (billed,
        failed today, or marked as taken), or the next call takes them again.
        A concurrent update in a later batch ends the call with the batches
        before it; in the first, it is raised.
        """
        deadline = time.monotonic() + self._get_bill_call_seconds()
        batch_size = self._get_bill_batch_size()
        groups = self.browse()
        while True:
            try:
                with self.env.cr.savepoint():
                    batch = self._take_due_groups(
                        domain + [("id", "not in", groups.ids)], batch_size
                    )
                    batch._bill(date_ref)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                if not groups:
                    raise
                _logger.info("Bill run: a concurrent update, the call ends here")
                break
            groups |= batch
            if not batch or time.monotonic() >= deadline:
                break
        return groups

    @api.model
    def _take_due_groups(self, domain, limit):
        """The first ``limit`` groups of ``domain``, the oldest run date first,
        less those another transaction is billing now: locked until commit."""
        return self.search(
            domain, limit=limit, order="next_run_date, id"
        )._lock_for_run()

    @api.model
    def _get_bill_domain(self, date_ref, today):
        """Groups due by ``date_ref``, except those that failed ``today``."""
        return self._get_run_domain(date_ref) + [
            "|",
            ("billing_failed_on", "=", False),
            ("billing_failed_on", "<", today),
        ]

    @api.model
    def _get_bill_batch_size(self):
        """Groups billed in one transaction of a call (system parameter
        subscription_grouping.bill_batch_size)."""
        return self._get_bill_setting(BATCH_SIZE_PARAM, DEFAULT_BATCH_SIZE, 1)

    @api.model
    def _get_bill_call_seconds(self):
        """Seconds after which a call takes no further batch; 0 for one batch
        per call (system parameter subscription_grouping.bill_call_seconds)."""
        return self._get_bill_setting(CALL_SECONDS_PARAM, DEFAULT_CALL_SECONDS, 0)

    @api.model
    def _get_bill_setting(self, key, default, minimum):
        """The whole number of system parameter ``key``, or ``default`` when it
        is unset, not a whole number or below ``minimum``."""
        # system parameters are read by every user's run: sudo for the read only
        value = (self.env["ir.config_parameter"].sudo().get_param(key) or "").strip()
        if value.isdigit() and int(value) >= minimum:
            return int(value)
        return default

    # -- billing in isolation -------------------------------------------------
    def _bill(self, date_ref):
        """Bill the groups of ``self`` up to ``date_ref``, each failure alone.

        The whole batch is tried at once, in one savepoint (one batched
        ``account.move.create``); when it fails, each group is tried again in a
        savepoint of its own, so that a failing group is recorded and skipped
        and every other group is billed.
        """
        try:
            with self.env.cr.savepoint():
                invoices = self._run(date_ref)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            # another transaction changed the same rows: no failure of a
            # group; the caller's transaction is retried as a whole
            raise
        # Whatever else one group's invoice raises (a deprecated account, a
        # tax of another company, another module's constraint) must not stop
        # the others: it is kept on the group and shown to its managers.
        except Exception as error:  # noqa: BLE001
            if len(self) > 1:
                invoices = self.env["account.move"]
                for group in self:
                    invoices |= group._bill(date_ref)
                return invoices
            self._record_billing_failure(error)
            return self.env["account.move"]
        self._clear_billing_failure()
        return invoices

    def _record_billing_failure(self, error):
        """Keep why the group could not be billed, tell its managers."""
        self.ensure_one()
        message = self._get_failure_text(error)
        if isinstance(error, UserError | ValidationError):
            _logger.warning("Billing group %s failed: %s", self.display_name, message)
        else:
            _logger.exception("Billing group %s failed", self.display_name)
        # a group billing only charges left for the run has no run date: today
        run_date = self.next_run_date or fields.Date.context_today(self)
        self.write(
            {
                "billing_error": message,
                "billing_error_run_date": run_date,
                "billing_failed_on": fields.Date.context_today(self),
            }
        )
        self._notify_failure(
            BILLING_FAILED_ACTIVITY,
            self.env._(
                "The merged invoice for %(date)s could not be made; the group "
                "is billed again by the next scheduled run.",
                date=run_date,
            ),
            message,
        )

    def _clear_billing_failure(self):
        failed = self.filtered("billing_error")
        if not failed:
            return
        failed.write(
            {
                "billing_error": False,
                "billing_error_run_date": False,
                "billing_failed_on": False,
            }
        )
        failed._close_failure_activities(
            BILLING_FAILED_ACTIVITY, self.env._("Billed by a later run.")
        )
