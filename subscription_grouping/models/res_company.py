# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

from .sale_subscription_group import TRANSITION_POLICIES


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
