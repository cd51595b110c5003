# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The bad-input matrix (see bad_input_common): odd prices and odd dates."""

from freezegun import freeze_time

from odoo.tests import tagged

from .bad_input_common import DAY_RULE, GROUP, BadInputCase
from .common import d


@tagged("post_install", "-at_install")
class TestBadInputPrices(BadInputCase):
    """Odd prices still add up, per line."""

    def test_a_zero_price_line_is_billed_at_zero(self):
        subscription = self._subscription("2026-11-15", [100.0, 0.0])
        self.customer.subscription_grouping = True
        self.assertEqual(
            subscription.grouping_charge_ids.mapped("amount"), [53.33, 0.0]
        )
        subscription.group_id.action_run_now()
        self.assertEqual(
            self._product_lines(subscription.group_id.invoice_ids),
            [
                (d("2026-12-01"), d("2026-12-31"), 100.0),
                (d("2026-12-01"), d("2026-12-31"), 0.0),
                (d("2026-11-15"), d("2026-11-30"), 53.33),
                (d("2026-11-15"), d("2026-11-30"), 0.0),
            ],
        )

    def test_a_negative_line_is_a_discount_and_a_credit_stays_out(self):
        discounted = self._subscription("2026-11-15", [100.0, -30.0])
        credit = self._subscription("2026-11-15", [-50.0], code="SUB-CREDIT")
        reason = "Its lines add up to a credit, which no invoice can bill"
        self.assertEqual(self._preview_notes()[credit], f"Stays out: {reason}")
        self.customer.subscription_grouping = True
        self.assertRecordValues(
            credit, [{"group_id": False, "grouping_refusal": "negative"}]
        )
        # 100 x 16/30 and -30 x 16/30, each rounded
        self.assertEqual(
            discounted.grouping_charge_ids.mapped("amount"), [53.33, -16.0]
        )
        discounted.group_id.action_run_now()
        invoice = discounted.group_id.invoice_ids
        self.assertEqual(invoice.amount_untaxed, 107.33)
        self.assertEqual(invoice.move_type, "out_invoice")

    def test_a_full_discount_bills_nothing_for_its_line(self):
        subscription = self._subscription("2026-11-15", [100.0, 40.0])
        subscription.sale_subscription_line_ids[0].discount = 100.0
        self.customer.subscription_grouping = True
        self.assertEqual(
            subscription.grouping_charge_ids.mapped("amount"), [0.0, 21.33]
        )
        subscription.group_id.action_run_now()
        invoice = subscription.group_id.invoice_ids
        self.assertEqual(
            [
                (line.price_unit, line.discount, line.price_subtotal)
                for line in invoice.invoice_line_ids.sorted("sequence")
                if line.display_type == "product"
            ],
            [
                (100.0, 100.0, 0.0),
                (40.0, 0.0, 40.0),
                (0.0, 0.0, 0.0),
                (21.33, 0.0, 21.33),
            ],
        )
        self.assertEqual(invoice.amount_untaxed, 61.33)

    def test_a_price_changed_after_the_last_run(self):
        subscription = self._subscription("2026-12-01", [100.0])
        self.customer.subscription_grouping = True
        group = subscription.group_id
        group.price_change_policy = "prorate"
        group.action_run_now()  # December is billed at 100
        with freeze_time("2026-12-10"):
            subscription.sale_subscription_line_ids.price_unit = 131.0
        # the rest of December, [Dec 10, Jan 1): 31 x 22/31
        self.assertRecordValues(
            group.charge_ids,
            [
                {
                    "kind": "adjustment",
                    "date_start": d("2026-12-10"),
                    "date_end": d("2026-12-31"),
                    "amount": 22.0,
                }
            ],
        )
        group.action_run_now()
        self.assertEqual(
            group.invoice_ids.sorted("id").mapped("amount_untaxed"), [100.0, 153.0]
        )

    def test_a_price_changed_after_a_run_billed_ahead(self):
        subscription = self._subscription("2026-12-01", [100.0])
        self.customer.subscription_grouping = True
        group = subscription.group_id
        group.price_change_policy = "prorate"
        with freeze_time("2026-11-20"):
            group.action_run_now()  # Invoice Now bills December ahead
        with freeze_time("2026-11-25"):
            subscription.sale_subscription_line_ids.price_unit = 130.0
        # [Nov 25, Jan 1): 6/30 of November and all December, at 30 more
        self.assertEqual(group.charge_ids.amount, 36.0)
        self.assertEqual(group.charge_ids.share, "1.2000 periods")


@tagged("post_install", "-at_install")
class TestBadInputDates(BadInputCase):
    """Billing days: only days of the month, and no drift through February."""

    def test_billing_days_0_32_and_minus_1(self):
        subscription = self._subscription("2026-11-15", [100.0])
        self.customer.subscription_grouping = True
        group = subscription.group_id
        action = group.action_preview_billing_day()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        for day in (0, 32, -1):
            with self.subTest(day=day):
                if day:  # a customer's 0 is "no day of its own"
                    self.assertRefused(
                        lambda day=day: self.customer.write(
                            {"subscription_grouping_anchor_day": day}
                        ),
                        f"The grouping billing day of Grouping Customer must be a "
                        f"day of the month, {DAY_RULE}, or empty; not {day}.",
                    )
                self.assertRefused(
                    lambda day=day: self.env["res.config.settings"]
                    .create({"subscription_group_anchor_day": day})
                    .execute(),
                    f"The grouping fixed billing day of {self.env.company.name} must "
                    f"be a day of the month, {DAY_RULE}; not {day}.",
                )
                wizard.anchor_day = day
                self.assertRefusedBeforeWriting(
                    wizard.action_preview,
                    f"The new billing day of {GROUP} must be a day of the month, "
                    f"{DAY_RULE}; not {day}.",
                )
        # a customer's day 0 is no day: the oldest subscription's is used
        self.customer.subscription_grouping = False
        self.customer.subscription_grouping_anchor_day = 0
        self.customer.subscription_grouping = True
        self.assertEqual(subscription.group_id.anchor_day, 15)

    def _run_three_months(self, anchor_day, first):
        self.customer.subscription_grouping_anchor_day = anchor_day
        subscription = self._subscription(first, [100.0])
        self.customer.subscription_grouping = True
        group = subscription.group_id
        for _month in range(3):
            group.action_run_now()
        return subscription, group.invoice_ids.sorted("id")

    def test_anchors_29_to_31_through_a_leap_february(self):
        expected = {
            29: ["2028-01-29", "2028-02-29", "2028-03-29", "2028-04-29"],
            30: ["2028-01-30", "2028-02-29", "2028-03-30", "2028-04-30"],
            31: ["2028-01-31", "2028-02-29", "2028-03-31", "2028-04-30"],
        }
        for day, dates in expected.items():
            with self.subTest(day=day):
                self.customer.subscription_grouping = False
                subscription, invoices = self._run_three_months(day, dates[0])
                self.assertEqual(
                    invoices.mapped("invoice_date"), [d(date) for date in dates[:3]]
                )
                self.assertEqual(subscription.recurring_next_date, d(dates[3]))
                self.assertEqual(invoices.mapped("amount_untaxed"), [100.0] * 3)
                self.assertExactCoverage(subscription, d(dates[0]), d(dates[3]))
                subscription.close_subscription()

    def test_anchors_29_to_31_in_a_common_february(self):
        # a member paid through Feb 10, 2027 joins; February has 28 days
        expected = {
            # A, the period [A - 1 month, A), and 100 x 18 / its days
            29: (d("2027-02-28"), d("2027-01-29"), 60.0),  # 18 / 30
            30: (d("2027-02-28"), d("2027-01-30"), 62.07),  # 18 / 29
            31: (d("2027-02-28"), d("2027-01-31"), 64.29),  # 18 / 28
        }
        for day, (aligned, period_start, amount) in expected.items():
            with self.subTest(day=day):
                self.customer.subscription_grouping = False
                self.customer.subscription_grouping_anchor_day = day
                subscription = self._subscription("2027-02-10", [100.0])
                self.customer.subscription_grouping = True
                charge = subscription.grouping_charge_ids
                self.assertEqual(subscription.recurring_next_date, aligned)
                self.assertEqual(charge.amount, amount)
                days = (aligned - period_start).days
                self.assertEqual(charge.share, f"18 of {days} days")
                subscription.close_subscription()

    def test_a_leap_day(self):
        monthly = self._subscription("2028-02-29", [100.0])
        self.customer.subscription_grouping = True
        # [Feb 29, Mar 1) of [Feb 1, Mar 1): 1 / 29
        self.assertEqual(monthly.recurring_next_date, d("2028-03-01"))
        self.assertEqual(monthly.grouping_charge_ids.amount, 3.45)
        self.customer.subscription_grouping = False
        monthly.close_subscription()
        # a yearly member on a leap day, in a group billing on the 29th
        self.customer.subscription_grouping_anchor_day = 29
        yearly = self._subscription(
            "2028-02-29", [1200.0], template=self.template_yearly, code="SUB-LEAP"
        )
        self.customer.subscription_grouping = True
        self.assertEqual(yearly.recurring_next_date, d("2028-02-29"))
        yearly.group_id.action_run_now()
        self.assertEqual(
            self._product_lines(yearly.group_id.invoice_ids),
            [(d("2028-02-29"), d("2029-02-27"), 1200.0)],
        )
        self.assertEqual(yearly.recurring_next_date, d("2029-02-28"))

    def test_a_yearly_member_follows_the_billing_month(self):
        monthly = self._subscription("2026-12-01", [100.0])
        yearly = self._subscription(
            "2026-11-15", [1200.0], template=self.template_yearly, code="SUB-YEARLY"
        )
        self.customer.subscription_grouping = True
        group = monthly.group_id
        action = group.action_preview_billing_day()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.anchor_month = "3"
        wizard.action_preview()
        wizard.action_apply()
        self.assertRecordValues(group, [{"anchor_day": 1, "anchor_month": "3"}])
        self.assertEqual(monthly.recurring_next_date, d("2026-12-01"))
        self.assertEqual(yearly.recurring_next_date, d("2027-03-01"))
        # [Dec 1, Mar 1) of the year [Mar 1 2026, Mar 1 2027): 90 / 365
        self.assertEqual(
            yearly.grouping_charge_ids.sorted("id").mapped("amount"), [52.6, 295.89]
        )
        group.action_run_now()
        self.assertEqual(group.invoice_ids.amount_untaxed, 100.0 + 52.6 + 295.89)
        self.assertEqual(group.next_run_date, d("2027-01-01"))
        self.assertRefused(
            lambda: yearly.write({"recurring_next_date": "2027-12-01"}),
            "The next invoice date of SUB-YEARLY must fall on the billing day of its "
            "group " + GROUP + ".",
        )
