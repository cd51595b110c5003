# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class SaleSubscriptionGroupPreviewLine(models.TransientModel):
    """One subscription in a preview: what the plan does to it."""

    _name = "sale.subscription.group.preview.line"
    _description = "Subscription Grouping Preview Line"
    _order = "sequence, id"

    wizard_id = fields.Many2one(
        comodel_name="sale.subscription.group.preview",
        required=True,
        ondelete="cascade",
    )
    sequence = fields.Integer()
    subscription_id = fields.Many2one(
        comodel_name="sale.subscription", string="Subscription", readonly=True
    )
    group_name = fields.Char(string="Group", readonly=True)
    date_before = fields.Date(string="Next Invoice Date Now", readonly=True)
    date_after = fields.Date(string="Next Invoice Date After", readonly=True)
    charge_start = fields.Date(string="Transition From", readonly=True)
    charge_end = fields.Date(string="Transition To", readonly=True)
    ratio = fields.Char(
        readonly=True, help="Days of the transition over the days of the period."
    )
    currency_id = fields.Many2one(comodel_name="res.currency", readonly=True)
    amount = fields.Monetary(readonly=True)
    note = fields.Char(string="Remark", readonly=True)
