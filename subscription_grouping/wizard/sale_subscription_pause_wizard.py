# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class SaleSubscriptionPauseWizard(models.TransientModel):
    """The pause dialog: an optional day on which the subscriptions resume."""

    _name = "sale.subscription.pause.wizard"
    _description = "Pause Subscriptions"

    subscription_ids = fields.Many2many(
        comodel_name="sale.subscription",
        string="Subscriptions",
        required=True,
        readonly=True,
    )
    paused_until = fields.Date(
        string="Resume on",
        help="The scheduled action resumes the subscription on this day (after "
        "today). Leave it empty to resume it by hand.",
    )

    def action_confirm(self):
        """Pause; a resume date that is not after today is refused."""
        self.ensure_one()
        self.subscription_ids.action_pause(paused_until=self.paused_until or None)
        return {"type": "ir.actions.act_window_close"}
