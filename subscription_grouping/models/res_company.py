# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .sale_subscription_group import (
    CANCELLATION_POLICIES,
    CATCH_UP_POLICIES,
    PRICE_CHANGE_POLICIES,
    TRANSITION_POLICIES,
)


class ResCompany(models.Model):
    _inherit = "res.company"

    subscription_grouping_default = fields.Boolean(
        string="Group New Customers",
        help="New customers have their subscriptions grouped from the start.",
    )
    subscription_group_anchor_mode = fields.Selection(
        selection=[
            ("oldest", "Follow the oldest subscription"),
            ("day", "A fixed day"),
        ],
        string="Grouping Billing Day",
        required=True,
        default="oldest",
        help="The billing day of a new group when its customer has none: the day "
        "of the next invoice date of the customer's longest-running subscription "
        "(so that rhythm never moves), or a fixed day of the month.",
    )
    subscription_group_anchor_day = fields.Integer(
        string="Grouping Fixed Billing Day",
        default=1,
        help="1 to 31; 29 to 31 fall on the last day of shorter months.",
    )

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
    subscription_group_catch_up_policy = fields.Selection(
        selection=CATCH_UP_POLICIES,
        string="Grouping Missed Runs",
        required=True,
        default="per_run",
        help="How new subscription groups bill several run dates due at once: "
        "one invoice per run date, or all of them on one invoice.",
    )

    _sql_constraints = [
        (
            "subscription_group_anchor_day_range",
            "CHECK(subscription_group_anchor_day BETWEEN 1 AND 31)",
            "The grouping billing day is a day of the month, from 1 to 31.",
        ),
    ]

    @api.constrains("subscription_group_anchor_day")
    def _check_subscription_group_anchor_day(self):
        for company in self:
            day = company.subscription_group_anchor_day
            if not 1 <= day <= 31:
                raise ValidationError(
                    self.env._(
                        "The grouping fixed billing day of %(company)s must be a day "
                        "of the month, from 1 to 31 (29 to 31 fall on the last day "
                        "of shorter months); not %(day)s.",
                        company=company.display_name,
                        day=day,
                    )
                )
