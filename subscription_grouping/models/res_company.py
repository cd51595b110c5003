# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

from .sale_subscription_group import (
    CANCELLATION_POLICIES,
    PRICE_CHANGE_POLICIES,
    TRANSITION_POLICIES,
)


class ResCompany(models.Model):
    _inherit = "res.company"

    subscription_group_transition_policy = fields.Selection(
        selection=TRANSITION_POLICIES,
        string="Grouping Transition Policy",
        required=True,
        default="next_invoice",
        help="Where new subscription groups bill the prorated days between a "
        "subscription's next invoice date and the group's billing day.",
    )
    subscription_group_cancellation_policy = fields.Selection(
        selection=CANCELLATION_POLICIES,
        string="Grouping Unused Days on Close",
        required=True,
        default="keep",
        help="What new subscription groups do with the unused prepaid days of a "
        "member that is closed before its paid-through date.",
    )
    subscription_group_price_change_policy = fields.Selection(
        selection=PRICE_CHANGE_POLICIES,
        string="Grouping Price Changes",
        required=True,
        default="next_period",
        help="Whether new subscription groups also bill the price difference for "
        "the rest of the period a member already paid.",
    )
