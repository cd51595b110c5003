# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from subscription_grouping_core import Period

from .common import SubscriptionGroupingCase, d


@tagged("post_install", "-at_install")
class TestLifecycle(SubscriptionGroupingCase):
    """Leave, pause, resume, price changes and ungrouping keep the money right."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.subscription_grouping_anchor_day = 1
        cls.close_reason = cls.env["sale.subscription.close.reason"].create(
            {"name": "Moved to a competitor"}
        )

    def _grouped_pair(self, first=100.0, second=40.0):
        """Two monthly members billed once, for November, on one merged invoice."""
        first = self._create_subscription(
            self.template_monthly, "2026-11-01", [first], start="2026-11-01"
        )
        second = self._create_subscription(
            self.template_monthly, "2026-11-01", [second], start="2026-11-01"
        )
        with freeze_time("2026-11-01"):
            self.customer.subscription_grouping = True
        self._cron("2026-11-01")
        return first, second, first.group_id

    def _last_event(self, group):
        return group.event_ids.sorted("id")[-1]

    def _events(self, group):
        return [
            (event.kind, event.subscription_id, event.date_from, event.date_to)
            for event in group.event_ids.sorted("id")
        ]

    # -- ungroup ----------------------------------------------------------------
    def test_rollback_restores_every_date_and_leaves_no_charge(self):
        monthly = self._create_subscription(
            self.template_monthly, "2026-11-15", [100.0], start="2026-06-15"
        )
        quarterly = self._create_subscription(
            self.template_quarterly, "2026-12-20", [300.0], start="2026-09-20"
        )
        yearly = self._create_subscription(
            self.template_yearly, "2027-03-07", [1200.0], start="2026-03-07"
        )
        aligned = self._create_subscription(
            self.template_monthly, "2026-12-01", [40.0], start="2026-10-01"
        )
        subscriptions = monthly | quarterly | yearly | aligned
        before = {sub: sub.recurring_next_date for sub in subscriptions}
        self.customer.subscription_grouping = True
        group = monthly.group_id
        self.assertEqual(
            subscriptions.mapped("recurring_next_date"),
            [d("2026-12-01"), d("2027-01-01"), d("2027-04-01"), d("2026-12-01")],
        )
        # 100 x 16/30; 300 x 12/92 ([Oct 1, Jan 1)); 1200 x 25/365
        self.assertEqual(
            group.charge_ids.sorted("date_start").mapped("amount"),
            [53.33, 39.13, 82.19],
        )
        self.customer.subscription_grouping = False

        self.assertEqual(
            {sub: sub.recurring_next_date for sub in subscriptions}, before
        )
        self.assertFalse(subscriptions.group_id)
        self.assertFalse(group.charge_ids)
        self.assertFalse(self.env["sale.subscription.group.charge"].search([]))
        self.assertFalse(self._invoices())
        rollbacks = group.event_ids.filtered(lambda event: event.kind == "rollback")
        self.assertEqual(sorted(rollbacks.mapped("amount")), [-82.19, -53.33, -39.13])
        # billing on their own goes on exactly as if grouping never happened
        self._cron("2026-11-15")
        self.assertEqual(monthly.recurring_next_date, d("2026-12-15"))
        self.assertEqual(self._invoices().amount_untaxed, 100.0)

    def test_removing_one_member_restores_only_its_date(self):
        joined = self._create_subscription(self.template_monthly, "2026-11-15", [100.0])
        other = self._create_subscription(self.template_monthly, "2026-11-20", [60.0])
        self.customer.subscription_grouping = True
        group = joined.group_id
        joined.action_remove_from_group()

        self.assertEqual(joined.recurring_next_date, d("2026-11-15"))
        self.assertFalse(joined.group_id)
        self.assertTrue(joined.grouping_excluded)
        self.assertEqual(other.group_id, group)
        self.assertEqual(other.recurring_next_date, d("2026-12-01"))
        self.assertTrue(group.active)
        self.assertEqual(group.charge_ids.subscription_id, other)
        # it stays out when its customer's grouping is switched again...
        self.customer.subscription_grouping = False
        self.customer.subscription_grouping = True
        self.assertFalse(joined.group_id)
        # ...until it is added back, by the join rule
        joined.action_add_to_group()
        self.assertEqual(joined.recurring_next_date, d("2026-12-01"))
        self.assertEqual(
            joined.group_id.charge_ids.filtered(
                lambda charge: charge.subscription_id == joined
            ).amount,
            53.33,
        )

    # -- leave and cancel ---------------------------------------------------------
    def test_close_keeps_the_prepaid_days_by_default(self):
        first, second, group = self._grouped_pair()
        with freeze_time("2026-11-20"):
            first.close_subscription(self.close_reason.id)
        self.assertFalse(first.group_id)
        self.assertFalse(group.charge_ids.filtered(lambda c: c.state == "pending"))
        self.assertEqual(
            self._events(group)[-1], ("leave", first, d("2026-12-01"), d("2026-11-20"))
        )
        self.assertIn(
            "closed on 11/20/2026 (Moved to a competitor); paid through 12/01/2026",
            group.message_ids[0].body,
        )
        self._cron("2026-12-01")
        december = self._invoices()[-1]
        self.assertEqual(december.amount_untaxed, 40.0)
        self.assertExactCoverage(first, d("2026-11-01"), d("2026-12-01"))

    def test_close_with_credit_on_the_next_merged_invoice(self):
        first, second, group = self._grouped_pair()
        group.cancellation_policy = "credit"
        with freeze_time("2026-11-20"):
            first.close_subscription(self.close_reason.id)
        credit = group.charge_ids.filtered(lambda c: c.kind == "credit")
        self.assertRecordValues(
            credit,
            [
                {
                    "subscription_id": first.id,
                    "date_start": d("2026-11-20"),
                    "date_end": d("2026-11-30"),
                    "ratio_numerator": 11,
                    "ratio_denominator": 30,
                    "amount": -36.67,
                    "state": "pending",
                }
            ],
        )
        self.assertEqual(self._last_event(group).amount, -36.67)
        self._cron("2026-12-01")
        december = self._invoices()[-1]
        self.assertEqual(
            self._lines(december),
            [
                ("line_section", first, False, False, 0.0),
                ("product", first, d("2026-11-20"), d("2026-11-30"), -36.67),
                ("line_section", second, False, False, 0.0),
                ("product", second, d("2026-12-01"), d("2026-12-31"), 40.0),
            ],
        )
        self.assertEqual(december.amount_untaxed, 3.33)
        self.assertExactCoverage(first, d("2026-11-01"), d("2026-11-20"))
        self.assertExactCoverage(second, d("2026-11-01"), d("2027-01-01"))

    def test_close_with_credit_and_no_run_due_makes_a_credit_note(self):
        first, second, group = self._grouped_pair()
        group.cancellation_policy = "credit"
        with freeze_time("2026-11-20"):
            second.close_subscription()
            first.close_subscription()
        refunds = self._invoices().filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(len(refunds), 1, "no merged invoice is due any more")
        self.assertEqual(refunds.amount_untaxed, 51.34)
        self.assertEqual(refunds.invoice_date, d("2026-11-20"))
        self.assertEqual(
            [
                (line.subscription_id, line.price_subtotal)
                for line in refunds.invoice_line_ids.filtered(
                    lambda line: line.display_type == "product"
                )
            ],
            [(first, 36.67), (second, 14.67)],
        )
        self.assertFalse(group.next_run_date)
        self.assertEqual(group.pending_amount, 0.0)
        self.assertExactCoverage(first, d("2026-11-01"), d("2026-11-20"))
        self.assertExactCoverage(second, d("2026-11-01"), d("2026-11-20"))

    def test_a_credit_larger_than_the_next_invoice_goes_on_a_credit_note(self):
        first, second, group = self._grouped_pair(first=900.0, second=50.0)
        group.cancellation_policy = "credit"
        self._cron("2026-12-01")
        with freeze_time("2026-12-02"):
            first.close_subscription()
        self.assertEqual(group.pending_amount, -870.97)  # 900 x 30/31
        self._cron("2027-01-01")
        january = self._invoices().filtered(lambda m: m.invoice_date == d("2027-01-01"))
        self.assertEqual(
            [
                (m.move_type, m.amount_untaxed, m.subscription_group_run_date)
                for m in january
            ],
            [("out_invoice", 50.0, d("2027-01-01")), ("out_refund", 870.97, False)],
        )
        self.assertEqual(group.pending_amount, 0.0)
        self.assertExactCoverage(first, d("2026-11-01"), d("2026-12-02"))

    def test_closing_a_paused_member_ends_the_pause(self):
        first, second, group = self._grouped_pair()
        with freeze_time("2026-11-10"):
            first.action_pause()
        with freeze_time("2026-11-12"):
            first.close_subscription()
        self.assertFalse(first.is_paused)
        self.assertFalse(first.group_id)
        self.assertEqual(
            [kind for kind, *_rest in self._events(group)][-2:], ["pause", "leave"]
        )

    def test_moving_to_the_closed_stage_leaves_too(self):
        first, second, group = self._grouped_pair()
        closed = self.env["sale.subscription.stage"].search(
            [("type", "=", "post")], limit=1
        )
        with freeze_time("2026-11-25"):
            first.stage_id = closed
        self.assertFalse(first.group_id)
        self.assertEqual(self._last_event(group).kind, "leave")

    # -- pause and resume -----------------------------------------------------------
    def test_pause_skips_the_member_then_resume_rejoins_with_a_transition(self):
        paused = self._create_subscription(
            self.template_monthly, "2026-10-01", [30.0], start="2026-10-01"
        )
        other = self._create_subscription(
            self.template_monthly, "2026-10-01", [50.0], start="2026-10-01"
        )
        self.customer.subscription_grouping = True
        group = paused.group_id
        self._cron("2026-10-01")
        self._cron("2026-11-01")
        with freeze_time("2026-11-20"):
            paused.action_pause()
        self.assertTrue(paused.is_paused)
        self.assertEqual(paused.recurring_next_date, d("2026-12-01"))
        self._cron("2026-12-01")
        self._cron("2027-01-01")
        self._cron("2027-02-01")
        for invoice in self._invoices()[2:]:
            self.assertEqual(invoice.invoice_line_ids.subscription_id, other)
        self.assertEqual(paused.recurring_next_date, d("2026-12-01"))

        with freeze_time("2027-02-10"):
            paused.action_resume()
        self.assertFalse(paused.is_paused)
        self.assertEqual(paused.recurring_next_date, d("2027-03-01"))
        resume = self._last_event(group)
        self.assertRecordValues(
            resume,
            [
                {
                    "kind": "resume",
                    "date_from": d("2026-12-01"),
                    "resume_date": d("2027-02-10"),
                    "date_to": d("2027-03-01"),
                    "amount": 20.36,  # 30 x 19 / 28
                }
            ],
        )
        self._cron("2027-03-01")
        march = self._invoices()[-1]
        self.assertEqual(march.amount_untaxed, 30.0 + 20.36 + 50.0)
        self.assertExactCoverage(
            paused,
            d("2026-10-01"),
            d("2027-04-01"),
            [Period(d("2026-12-01"), d("2027-02-10"))],
        )
        self.assertEqual(
            [kind for kind, *_rest in self._events(group)],
            ["join", "join", "pause", "resume"],
        )

    def test_a_member_resumed_without_lines_leaves_with_its_reason(self):
        first, second, group = self._grouped_pair()
        with freeze_time("2026-11-10"):
            first.action_pause()
            first.sale_subscription_line_ids.unlink()
        with freeze_time("2026-12-10"):
            first.action_resume()
        self.assertFalse(first.is_paused)
        self.assertFalse(first.group_id)
        self.assertEqual(first.grouping_refusal, "no_lines")
        self.assertEqual(first.recurring_next_date, d("2026-12-10"))
        self.assertEqual(
            self._events(group)[-1], ("leave", first, d("2026-12-01"), d("2026-12-10"))
        )

    def test_resume_before_the_paid_through_date_moves_nothing(self):
        first, second, group = self._grouped_pair()
        with freeze_time("2026-11-10"):
            first.action_pause()
        with freeze_time("2026-11-25"):
            first.action_resume()
        self.assertEqual(first.recurring_next_date, d("2026-12-01"))
        self.assertFalse(group.charge_ids.filtered(lambda c: c.state == "pending"))
        self._cron("2026-12-01")
        self.assertEqual(self._invoices()[-1].amount_untaxed, 140.0)

    def test_pause_and_resume_an_ungrouped_subscription(self):
        alone = self._create_subscription(self.template_monthly, "2026-11-15", [25.0])
        with freeze_time("2026-11-10"):
            alone.action_pause()
        self._cron("2026-11-15")
        self._cron("2026-12-15")
        self.assertFalse(self._invoices())
        with freeze_time("2027-01-04"):
            alone.action_resume()
        self.assertEqual(alone.recurring_next_date, d("2027-01-04"))
        self._cron("2027-01-04")
        self.assertEqual(self._invoices().amount_untaxed, 25.0)
        self.assertExactCoverage(
            alone,
            d("2026-11-15"),
            d("2027-02-04"),
            [Period(d("2026-11-15"), d("2027-01-04"))],
        )
        with self.assertRaisesRegex(UserError, "resume it to invoice it"):
            alone.action_pause()
            alone.manual_invoice()

    # -- price changes ---------------------------------------------------------------
    def test_price_change_applies_from_the_next_period_by_default(self):
        first, second, group = self._grouped_pair()
        with freeze_time("2026-11-20"):
            first.sale_subscription_line_ids.price_unit = 130.0
        self.assertEqual(group.pending_amount, 0.0)
        self.assertRecordValues(
            self._last_event(group),
            [
                {
                    "kind": "price",
                    "amount": 0.0,
                    "price_before": 100.0,
                    "price_after": 130.0,
                }
            ],
        )
        self._cron("2026-12-01")
        self.assertEqual(self._invoices()[-1].amount_untaxed, 170.0)

    def test_price_change_prorated_up_and_down(self):
        first, second, group = self._grouped_pair()
        group.price_change_policy = "prorate"
        with freeze_time("2026-11-20"):
            first.sale_subscription_line_ids.price_unit = 130.0
            second.sale_subscription_line_ids.price_unit = 10.0
        adjustments = group.charge_ids.filtered(lambda c: c.kind == "adjustment")
        self.assertEqual(
            [
                (c.subscription_id, c.date_start, c.date_end, c.amount)
                for c in adjustments
            ],
            [
                (first, d("2026-11-20"), d("2026-11-30"), 11.0),  # 30 x 11/30
                (second, d("2026-11-20"), d("2026-11-30"), -11.0),  # -30 x 11/30
            ],
        )
        self.assertIn(
            "difference for 11/20/2026 to 11/30/2026", group.message_ids[0].body
        )
        self._cron("2026-12-01")
        december = self._invoices()[-1]
        self.assertEqual(december.amount_untaxed, 130.0 + 11.0 + 10.0 - 11.0)
        self.assertExactCoverage(first, d("2026-11-01"), d("2027-01-01"))

    def test_a_line_added_mid_period_is_prorated(self):
        first, second, group = self._grouped_pair()
        group.price_change_policy = "prorate"
        with freeze_time("2026-11-16"):
            first.write(
                {
                    "sale_subscription_line_ids": [
                        (
                            0,
                            0,
                            {"product_id": self.product_service.id, "price_unit": 60.0},
                        )
                    ]
                }
            )
        self.assertEqual(group.pending_amount, 30.0)  # 60 x 15/30

    # -- event log --------------------------------------------------------------------
    def test_every_event_is_logged_with_who_and_when(self):
        first, second, group = self._grouped_pair()
        group.write({"cancellation_policy": "credit", "price_change_policy": "prorate"})
        with freeze_time("2026-11-10"):
            second.action_pause()
            first.sale_subscription_line_ids.price_unit = 160.0
        self._cron("2026-12-01")
        with freeze_time("2026-12-05"):
            second.action_resume()
        with freeze_time("2026-12-06"):
            first.close_subscription(self.close_reason.id)
        self.assertEqual(
            [
                (e.kind, e.date, e.user_id, e.amount)
                for e in group.event_ids.sorted("id")
            ],
            [
                ("join", d("2026-11-01"), self.env.user, 0.0),
                ("join", d("2026-11-01"), self.env.user, 0.0),
                ("pause", d("2026-11-10"), self.env.user, 0.0),
                ("price", d("2026-11-10"), self.env.user, 42.0),  # 60 x 21/30
                ("resume", d("2026-12-05"), self.env.user, 34.84),  # 40 x 27/31
                ("leave", d("2026-12-06"), self.env.user, -134.19),  # 160 x 26/31
            ],
        )
        bodies = " ".join(group.message_ids.mapped("body"))
        for text in ("paused", "price changed", "resumed", "left the group"):
            self.assertIn(text, bodies)
