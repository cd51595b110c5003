# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models

# what a grouped subscription's cadence and invoice key read from its template
GROUPING_TEMPLATE_FIELDS = {
    "recurring_interval",
    "recurring_rule_type",
    "invoicing_mode",
    "invoice_mail_template_id",
}


class SaleSubscriptionTemplate(models.Model):
    _inherit = "sale.subscription.template"

    def write(self, vals):
        res = super().write(vals)
        if GROUPING_TEMPLATE_FIELDS & vals.keys():
            # the grouped subscriptions of these templates must stay billable
            # by their groups (a weekly cadence, another invoicing mode); sudo:
            # a template serves every company, and this only reads them
            self.env["sale.subscription"].sudo().search(
                [("template_id", "in", self.ids), ("group_id", "!=", False)]
            )._check_group_membership()
        return res
