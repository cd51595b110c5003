# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class SaleSubscriptionLine(models.Model):
    _inherit = "sale.subscription.line"

    def _prepare_group_move_line(self, period):
        """The merged invoice line billing this line for one full ``period``."""
        self.ensure_one()
        vals = self._prepare_account_move_line()
        # a computed amount, and an empty account the journal would not fill
        vals.pop("price_subtotal", None)
        if not vals.get("account_id"):
            vals.pop("account_id", None)
        vals.update(
            start_date=period.start,
            end_date=period.last_day,
            subscription_id=self.sale_subscription_id.id,
        )
        return vals
