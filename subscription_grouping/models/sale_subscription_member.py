# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A subscription as the planning core sees it, and its grouping key."""

from decimal import Decimal

from odoo import models
from odoo.tools import float_repr

from subscription_grouping_core import (
    Cadence,
    Line,
    Member,
)

# subscription_oca's invoicing modes, as a merged invoice honours them: a
# group makes invoices, not sale orders, so "sale order & invoice" posts.
GROUP_INVOICING_MODES = {
    "draft": "draft",
    "invoice": "invoice",
    "invoice_send": "invoice_send",
    "sale_and_invoice": "invoice",
}


class SaleSubscription(models.Model):
    _inherit = "sale.subscription"

    def _get_grouping_cadence(self):
        """The subscription's own cadence, from its template."""
        self.ensure_one()
        template = self.template_id
        return Cadence(template.recurring_interval, template.recurring_rule_type)

    def _get_grouping_member(self):
        """The planning core's view of this subscription.

        Each line bills, for one full period, its unit price times its
        quantity after discount: the amount its invoice line is priced at (tax
        included or not, as the line's taxes say), as an exact decimal of the
        currency. Nothing is paid for before its start date: subscription_oca
        starts a subscription whose start date is still ahead with today as
        its next invoice date, but its service, hence its billing, starts on
        its start date.
        """
        self.ensure_one()
        paid_through = self.recurring_next_date or None
        if paid_through and self.date_start and self.date_start > paid_through:
            paid_through = self.date_start
        lines = tuple(
            Line(
                line.id,
                self._grouping_decimal(
                    line.price_unit
                    * line.product_uom_qty
                    * (1 - (line.discount or 0.0) / 100)
                ),
            )
            # without a currency, no line can be priced (the core refuses it)
            for line in (self.sale_subscription_line_ids if self.currency_id else ())
        )
        return Member(
            self.id,
            paid_through,
            self._get_grouping_cadence(),
            lines,
            self.is_paused,
        )

    def _get_grouping_price_snapshot(self):
        """The core Member of each running grouped subscription of ``self``,
        taken before its lines change (see :meth:`_reprice`)."""
        return {
            sub: sub._get_grouping_member()
            for sub in self
            if sub.group_id and sub.in_progress and sub.recurring_next_date
        }

    def _grouping_decimal(self, amount):
        """An amount of the subscription's currency as an exact decimal."""
        currency = self.currency_id
        return Decimal(float_repr(currency.round(amount), currency.decimal_places))

    def _get_grouping_rounding(self):
        """The currency's rounding unit, as the core rounds with it."""
        self.ensure_one()
        currency = self.currency_id
        return Decimal(float_repr(currency.rounding, currency.decimal_places))

    def _get_grouping_key_values(self):
        """This subscription's values of a group's key, by the group's field
        names (``sale.subscription.group._get_grouping_key_fields``)."""
        self.ensure_one()
        mode = GROUP_INVOICING_MODES.get(self.template_id.invoicing_mode, "draft")
        template = self.template_id.invoice_mail_template_id
        return {
            "partner_id": self.partner_id.commercial_partner_id.id,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "fiscal_position_id": self.fiscal_position_id.id,
            "journal_id": self.journal_id.id,
            "invoicing_mode": mode,
            "invoice_mail_template_id": (
                template.id if mode == "invoice_send" else False
            ),
        }

    def _get_grouping_key(self):
        """What must be equal for subscriptions to share one invoice: the key
        of the group it belongs in, as ``(field, value)`` pairs."""
        values = self._get_grouping_key_values()
        fields = self.env["sale.subscription.group"]._get_grouping_key_fields()
        return tuple((name, values[name]) for name in fields)

    def _plan_grouping_join(self):
        """What joining their customers' groups would do: a plan, written nowhere.

        Subscriptions that cannot join are in it with their reason: they keep
        billing on their own, with the reason shown on them. A paused one
        joins when it resumes (see action_resume).
        """
        return self.env["sale.subscription.group"]._plan_join(
            {sub: sub._get_grouping_member() for sub in self}
        )

    def _join_subscription_group(self):
        """Join each subscription to its customer's group (DESIGN, rule 1)."""
        if self:
            # sudo: a grouped customer's new subscription joins, whoever starts
            # it (the callers wrote it as the user first): its group (managers
            # only), planned from the group's invoices (the user's record
            # rules may hide some); its transition is billed with the user's
            # own rights
            self.env["sale.subscription.group"].sudo()._apply_join(
                self.sudo()._plan_grouping_join()
            )
