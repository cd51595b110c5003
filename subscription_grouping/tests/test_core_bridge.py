# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date
from decimal import Decimal
from fractions import Fraction

from odoo.tests import tagged

from subscription_grouping_core import (
    Anchor,
    Cadence,
    Period,
    Reason,
    Refusal,
    Unit,
    plan_join,
)

from .common import SubscriptionGroupingCase


@tagged("post_install", "-at_install")
class TestCoreBridge(SubscriptionGroupingCase):
    """The installed addon reads real subscriptions into the planning core."""

    def test_cadence_comes_from_the_template(self):
        monthly = self._create_subscription(self.template_monthly, "2026-11-15", [10])
        quarterly = self._create_subscription(
            self.template_quarterly, "2026-11-15", [10]
        )
        yearly = self._create_subscription(self.template_yearly, "2026-11-15", [10])
        self.assertEqual(monthly._get_grouping_cadence(), Cadence(1, Unit.MONTH))
        self.assertEqual(quarterly._get_grouping_cadence(), Cadence(3, Unit.MONTH))
        self.assertEqual(yearly._get_grouping_cadence(), Cadence(1, Unit.YEAR))

    def test_design_example_through_a_real_subscription(self):
        subscription = self._create_subscription(
            self.template_monthly, "2026-11-15", [70.0, 30.0]
        )
        member = subscription._get_grouping_member()
        self.assertEqual(member.paid_through, date(2026, 11, 15))
        self.assertEqual(
            [line.price for line in member.lines], [Decimal("70.00"), Decimal("30.00")]
        )
        self.assertEqual(
            [line.key for line in member.lines],
            subscription.sale_subscription_line_ids.ids,
        )
        rounding = subscription._get_grouping_rounding()
        self.assertEqual(rounding, Decimal("0.01"))
        move = plan_join(member, Anchor(1), rounding)
        self.assertEqual(move.new_date, date(2026, 12, 1))
        self.assertEqual(
            move.charge.period, Period(date(2026, 11, 15), date(2026, 12, 1))
        )
        self.assertEqual(move.charge.ratio, Fraction(16, 30))
        self.assertEqual(
            [line.amount for line in move.charge.lines],
            [Decimal("37.33"), Decimal("16.00")],
        )

    def test_weekly_subscription_is_refused_with_its_reason(self):
        subscription = self._create_subscription(
            self.template_weekly, "2026-11-15", [5]
        )
        self.assertEqual(
            plan_join(subscription._get_grouping_member(), Anchor(1), Decimal("0.01")),
            Refusal(subscription.id, Reason.CADENCE),
        )

    def test_the_grouping_key_is_named_and_makes_the_new_group(self):
        subscription = self._create_subscription(
            self.template_monthly, "2026-11-15", [10]
        )
        key = subscription._get_grouping_key()
        Group = self.env["sale.subscription.group"]
        self.assertEqual(
            [name for name, _value in key],
            [
                "partner_id",
                "company_id",
                "currency_id",
                "fiscal_position_id",
                "journal_id",
                "invoicing_mode",
                "invoice_mail_template_id",
            ],
        )
        self.assertEqual(dict(key)["partner_id"], self.customer.id)
        self.assertEqual(dict(key)["currency_id"], self.env.company.currency_id.id)
        # the group made of a key has that key
        group = Group.create(Group._prepare_group_vals(key, Anchor(15)))
        self.assertEqual(group._get_key(), key)
        self.assertEqual((group.anchor_day, group.anchor_month), (15, False))

    def test_a_subscription_without_currency_is_refused_by_the_core(self):
        subscription = self._create_subscription(
            self.template_monthly, "2026-11-15", [10]
        )
        # a pricelist, with its currency, is required: only data written
        # around the ORM lacks a currency
        subscription.flush_recordset()
        self.env.cr.execute(
            "UPDATE sale_subscription SET currency_id = NULL WHERE id = %s",
            [subscription.id],
        )
        subscription.invalidate_recordset(["currency_id"])
        self.assertFalse(subscription.currency_id)
        [entry] = subscription._plan_grouping_join()
        self.assertEqual(entry.refusal, Reason.NO_CURRENCY)
        self.assertIsNone(entry.move)
