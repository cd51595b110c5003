# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

from ..labels import format_label_date

# what a line bills for one period is computed from these
PRICE_FIELDS = {"product_id", "price_unit", "product_uom_qty", "discount"}


class SaleSubscriptionLine(models.Model):
    _inherit = "sale.subscription.line"

    @api.model_create_multi
    def create(self, vals_list):
        subscriptions = self.env["sale.subscription"].browse(
            {vals.get("sale_subscription_id") for vals in vals_list} - {None, False}
        )
        before = subscriptions._get_grouping_price_snapshot()
        lines = super().create(vals_list)
        self._reprice_groups(before)
        return lines

    def write(self, vals):
        if not PRICE_FIELDS & vals.keys():
            return super().write(vals)
        before = self.sale_subscription_id._get_grouping_price_snapshot()
        res = super().write(vals)
        self._reprice_groups(before)
        return res

    def unlink(self):
        before = self.sale_subscription_id._get_grouping_price_snapshot()
        res = super().unlink()
        self._reprice_groups(before)
        return res

    @api.model
    def _reprice_groups(self, before):
        if before:
            # the lines were written as the user just before; the price event
            # and adjustment are the module's (see the event's _record)
            subs = self.env["sale.subscription"].concat(*before)
            subs._reprice_in_group(before, fields.Date.context_today(self))

    def _prepare_group_move_line(self, period):
        """The merged invoice line billing this line for one full ``period``."""
        self.ensure_one()
        vals = self._prepare_account_move_line()
        # a computed amount, and an empty account the journal would not fill
        vals.pop("price_subtotal", None)
        if not vals.get("account_id"):
            vals.pop("account_id", None)
        vals.update(
            name=self._get_group_move_line_name(
                self.sale_subscription_id,
                self.env._(
                    "%(start)s to %(end)s",
                    start=format_label_date(self.env, period.start),
                    end=format_label_date(self.env, period.last_day),
                ),
            ),
            start_date=period.start,
            end_date=period.last_day,
            subscription_id=self.sale_subscription_id.id,
        )
        return vals

    def _get_group_move_line_name(self, subscription, description):
        """The label of a merged invoice line, hence of its journal item: what
        it bills and for which subscription, then the service days it pays for
        (``description``), as Odoo's own subscription lines put their period on
        a second line. ``self`` is the subscription line billed, or no record
        when a charge's line was deleted since."""
        heading = " - ".join(filter(None, [self.name, subscription.display_name]))
        return f"{heading}\n{description}"
