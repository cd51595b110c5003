# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models
from odoo.tools import format_date


class SaleSubscriptionGroupEvent(models.Model):
    """What happened to a member of a group: who, when, old and new dates, amounts."""

    _name = "sale.subscription.group.event"
    _description = "Subscription Group Event"
    _order = "id desc"
    _check_company_auto = True

    group_id = fields.Many2one(
        comodel_name="sale.subscription.group",
        string="Group",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(related="group_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="group_id.currency_id", store=True)
    subscription_id = fields.Many2one(
        comodel_name="sale.subscription",
        string="Subscription",
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    kind = fields.Selection(
        selection=[
            ("join", "Join"),
            ("ungroup", "Ungroup"),
            ("rollback", "Rollback"),
        ],
        required=True,
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="By",
        required=True,
        default=lambda self: self.env.user,
    )
    date_from = fields.Date(string="Next Invoice Date Before")
    date_to = fields.Date(string="Next Invoice Date After")
    amount = fields.Monetary(help="Total of the charges this event created.")
    charge_ids = fields.One2many(
        comodel_name="sale.subscription.group.charge",
        inverse_name="event_id",
        string="Charges",
    )

    def _get_summary(self):
        """One sentence for the chatter: the dates moved and what was charged."""
        self.ensure_one()
        values = {
            "subscription": self.subscription_id.display_name,
            "old": format_date(self.env, self.date_from),
            "new": format_date(self.env, self.date_to),
        }
        charge = self.charge_ids[:1]
        if not charge:
            return self.env._(
                "%(subscription)s joined: its next invoice date %(old)s is already "
                "on the billing day.",
                **values,
            )
        return self.env._(
            "%(subscription)s joined: next invoice date %(old)s becomes %(new)s; "
            "transition %(start)s to %(end)s: %(amount)s.",
            start=format_date(self.env, charge.date_start),
            end=format_date(self.env, charge.date_end),
            amount=self.currency_id.format(self.amount),
            **values,
        )
