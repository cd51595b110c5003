# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    subscription_id = fields.Many2one(
        comodel_name="sale.subscription",
        string="Subscription",
        index="btree_not_null",
        copy=False,
        readonly=True,
        help="The subscription this line bills.",
    )
    # internal, as on the invoice: portal users see the lines, not the groups
    subscription_group_id = fields.Many2one(
        related="move_id.subscription_group_id",
        store=True,
        index="btree_not_null",
        groups="base.group_user",
    )
    subscription_group_charge_id = fields.Many2one(
        comodel_name="sale.subscription.group.charge",
        string="Subscription Group Charge",
        index="btree_not_null",
        copy=False,
        readonly=True,
        groups="base.group_user",
        help="The transition, credit or price adjustment this line bills.",
    )

    def _copy_data_extend_business_fields(self, values):
        # a credit note reversing a subscription line credits that subscription
        res = super()._copy_data_extend_business_fields(values)
        values.update(
            subscription_id=self.subscription_id.id,
            subscription_group_charge_id=self.subscription_group_charge_id.id,
        )
        return res
