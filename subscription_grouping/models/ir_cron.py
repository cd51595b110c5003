# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import fields, models

# A call that does not end (killed, out of time) is called again this much
# later, even when Odoo's runner has given the action up after three of them.
RESUME_DELAY = timedelta(minutes=5)


class IrCron(models.Model):
    _inherit = "ir.cron"

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
