# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from decimal import Decimal

from odoo import models
from odoo.tools import float_repr

from subscription_grouping_core import Cadence, Line, Member


class SaleSubscription(models.Model):
    _inherit = "sale.subscription"

    def _get_grouping_cadence(self):
        """The subscription's own cadence, from its template."""
        self.ensure_one()
        template = self.template_id
        return Cadence(template.recurring_interval, template.recurring_rule_type)

    def _get_grouping_member(self):
        """The planning core's view of this subscription.

        Each line bills its untaxed subtotal for one full period; amounts go
        to the core as exact decimals at the currency's precision.
        """
        self.ensure_one()
        digits = self.currency_id.decimal_places
        lines = tuple(
            Line(line.id, Decimal(float_repr(line.price_subtotal, digits)))
            for line in self.sale_subscription_line_ids
        )
        return Member(
            self.id,
            self.recurring_next_date or None,
            self._get_grouping_cadence(),
            lines,
        )

    def _get_grouping_rounding(self):
        """The currency's rounding unit, as the core rounds with it."""
        self.ensure_one()
        currency = self.currency_id
        return Decimal(float_repr(currency.rounding, currency.decimal_places))
