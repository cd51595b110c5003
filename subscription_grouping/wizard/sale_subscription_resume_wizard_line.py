# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class SaleSubscriptionResumeWizardLine(models.TransientModel):
    """One row of the resume dialog: a transition line, or the subscription
    alone when resuming charges nothing."""

    _name = "sale.subscription.resume.wizard.line"
    _description = "Resume Subscriptions: Line"
    _order = "sequence, id"

    wizard_id = fields.Many2one(
        comodel_name="sale.subscription.resume.wizard",
        required=True,
        ondelete="cascade",
    )
    sequence = fields.Integer()
    subscription_id = fields.Many2one(
        comodel_name="sale.subscription", string="Subscription", readonly=True
    )
    subscription_line_id = fields.Many2one(
        comodel_name="sale.subscription.line", string="Line", readonly=True
    )
    restart_date = fields.Date(
        string="Service From",
        readonly=True,
        help="The day its service restarts: today, or its next invoice date if "
        "that is later. The paused days before it are not billed.",
    )
    next_date = fields.Date(string="Next Invoice Date", readonly=True)
    charge_start = fields.Date(string="Transition From", readonly=True)
    charge_end = fields.Date(string="Transition To", readonly=True)
    ratio = fields.Char(
        string="Days",
        readonly=True,
        help="Days of the transition over the days of the period.",
    )
    currency_id = fields.Many2one(comodel_name="res.currency", readonly=True)
    amount = fields.Monetary(string="Charge", readonly=True)
    note = fields.Char(string="Remark", readonly=True)
