# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    subscription_grouping_default = fields.Boolean(
        related="company_id.subscription_grouping_default", readonly=False
    )
    subscription_group_anchor_mode = fields.Selection(
        related="company_id.subscription_group_anchor_mode", readonly=False
    )
    subscription_group_anchor_day = fields.Integer(
        related="company_id.subscription_group_anchor_day", readonly=False
    )
    subscription_group_transition_policy = fields.Selection(
        related="company_id.subscription_group_transition_policy", readonly=False
    )
    subscription_group_cancellation_policy = fields.Selection(
        related="company_id.subscription_group_cancellation_policy", readonly=False
    )
    subscription_group_price_change_policy = fields.Selection(
        related="company_id.subscription_group_price_change_policy", readonly=False
    )
    subscription_group_catch_up_policy = fields.Selection(
        related="company_id.subscription_group_catch_up_policy", readonly=False
    )
