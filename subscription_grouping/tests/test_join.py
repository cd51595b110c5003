# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common import SubscriptionGroupingCase, d


@tagged("post_install", "-at_install")
class TestJoin(SubscriptionGroupingCase):
    """Switching grouping on aligns each subscription with a prorated transition."""

    def test_join_mid_period_design_example(self):
        subscription = self._create_subscription(
            self.template_monthly, "2026-11-15", [100.0]
        )
        self.customer.subscription_grouping_anchor_day = 1
        self.customer.subscription_grouping = True

        group = subscription.group_id
        self.assertTrue(group)
        self.assertEqual(group.partner_id, self.customer)
        self.assertEqual(group.currency_id, self.env.company.currency_id)
        self.assertEqual(group.anchor_day, 1)
        self.assertEqual(subscription.recurring_next_date, d("2026-12-01"))
        self.assertEqual(group.next_run_date, d("2026-12-01"))
        charge = group.charge_ids
        self.assertRecordValues(
            charge,
            [
                {
                    "subscription_id": subscription.id,
                    "subscription_line_id": subscription.sale_subscription_line_ids.id,
                    "kind": "transition",
                    "date_start": d("2026-11-15"),
                    "date_end": d("2026-11-30"),
                    "ratio_numerator": 8,
                    "ratio_denominator": 15,
                    "price": 100.0,
                    "amount": 53.33,
                    "state": "pending",
                }
            ],
        )
        self.assertEqual(group.pending_amount, 53.33)
        self.assertEqual(subscription.grouping_pending_amount, 53.33)
        self.assertEqual(subscription.group_next_run_date, d("2026-12-01"))
        self.assertRecordValues(
            group.event_ids,
            [
                {
                    "kind": "join",
                    "subscription_id": subscription.id,
                    "date_from": d("2026-11-15"),
                    "date_to": d("2026-12-01"),
                    "amount": 53.33,
                    "user_id": self.env.user.id,
                }
            ],
        )
        self.assertEqual(charge.share, "16 of 30 days")
        self.assertIn("16 of 30 days", charge.display_name)
        summary = (
            f"{subscription.display_name} joined: next invoice date 11/15/2026 becomes "
            "12/01/2026; transition 11/15/2026 to 11/30/2026"
        )
        self.assertIn(summary, group.message_ids[0].body)
        self.assertIn(summary, subscription.message_ids[0].body)

    def test_default_anchor_follows_the_longest_running_subscription(self):
        older = self._create_subscription(
            self.template_monthly, "2026-12-17", [30.0], start="2024-02-17"
        )
        newer = self._create_subscription(
            self.template_monthly, "2026-12-03", [31.0], start="2026-06-03"
        )
        self.customer.subscription_grouping = True
        group = older.group_id
        self.assertEqual(newer.group_id, group)
        self.assertEqual(group.anchor_day, 17)
        self.assertEqual(older.recurring_next_date, d("2026-12-17"))
        self.assertEqual(newer.recurring_next_date, d("2026-12-17"))
        # [Dec 3, Dec 17) of the period [Nov 17, Dec 17): 14 / 30
        self.assertRecordValues(
            group.charge_ids, [{"subscription_id": newer.id, "amount": 14.47}]
        )

    def test_join_on_the_anchor_moves_nothing(self):
        subscription = self._create_subscription(
            self.template_monthly, "2026-12-01", [100.0]
        )
        self.customer.subscription_grouping = True
        self.assertEqual(subscription.group_id.anchor_day, 1)
        self.assertEqual(subscription.recurring_next_date, d("2026-12-01"))
        self.assertFalse(subscription.group_id.charge_ids)
        self.assertRecordValues(
            subscription.group_id.event_ids,
            [{"date_from": d("2026-12-01"), "date_to": d("2026-12-01"), "amount": 0.0}],
        )

    def test_paid_beyond_the_anchor_moves_forward_never_back(self):
        self.customer.subscription_grouping_anchor_day = 1
        subscription = self._create_subscription(
            self.template_monthly, "2026-12-20", [62.0]
        )
        self.customer.subscription_grouping = True
        self.assertEqual(subscription.recurring_next_date, d("2027-01-01"))
        # [Dec 20, Jan 1) of [Dec 1, Jan 1): 12 / 31 x 62.00
        self.assertRecordValues(
            subscription.group_id.charge_ids,
            [
                {
                    "date_start": d("2026-12-20"),
                    "date_end": d("2026-12-31"),
                    "amount": 24.0,
                }
            ],
        )

    def test_anchor_31_through_february(self):
        self.customer.subscription_grouping_anchor_day = 31
        subscription = self._create_subscription(
            self.template_monthly, "2027-02-14", [100.0]
        )
        self.customer.subscription_grouping = True
        self.assertEqual(subscription.recurring_next_date, d("2027-02-28"))
        # [Feb 14, Feb 28) of [Jan 31, Feb 28): 14 / 28
        self.assertRecordValues(
            subscription.group_id.charge_ids,
            [
                {
                    "date_start": d("2027-02-14"),
                    "date_end": d("2027-02-27"),
                    "amount": 50.0,
                }
            ],
        )

    def test_transition_prorates_each_line_and_rounds_per_line(self):
        self.customer.subscription_grouping_anchor_day = 1
        subscription = self._create_subscription(
            self.template_monthly, "2026-11-15", [70.0, 30.0, 0.01]
        )
        self.customer.subscription_grouping = True
        self.assertEqual(
            subscription.group_id.charge_ids.sorted("id").mapped("amount"),
            [37.33, 16.0, 0.01],
        )

    def test_a_weekly_subscription_stays_out_with_its_reason(self):
        monthly = self._create_subscription(
            self.template_monthly, "2026-12-01", [100.0]
        )
        weekly = self._create_subscription(self.template_weekly, "2026-11-15", [5.0])
        self.customer.subscription_grouping = True
        self.assertTrue(monthly.group_id)
        self.assertFalse(weekly.group_id)
        self.assertEqual(weekly.grouping_refusal, "cadence")
        self.assertEqual(weekly.recurring_next_date, d("2026-11-15"))

    def test_a_subscription_without_lines_stays_out_with_its_reason(self):
        empty = self._create_subscription(self.template_monthly, "2026-12-01", [])
        self.customer.subscription_grouping = True
        self.assertFalse(empty.group_id)
        self.assertEqual(empty.grouping_refusal, "no_lines")
        self.assertFalse(self.customer.subscription_group_ids)

    def test_one_customer_with_two_currencies_has_two_groups(self):
        eur = self.setup_other_currency("EUR")
        pricelist_eur = self.env["product.pricelist"].create(
            {"name": "Grouping EUR", "currency_id": eur.id}
        )
        usd = self._create_subscription(self.template_monthly, "2026-12-01", [100.0])
        euro = self._create_subscription(
            self.template_monthly, "2026-11-15", [90.0], pricelist=pricelist_eur
        )
        self.customer.subscription_grouping_anchor_day = 1
        self.customer.subscription_grouping = True
        self.assertNotEqual(usd.group_id, euro.group_id)
        self.assertEqual(usd.group_id.currency_id, self.env.company.currency_id)
        self.assertEqual(euro.group_id.currency_id, eur)
        self.assertEqual(self.customer.subscription_group_count, 2)
        self.assertEqual(euro.group_id.charge_ids.amount, 48.0)  # 90 x 16/30
        self._cron("2026-12-01")
        invoices = self._invoices()
        self.assertRecordValues(
            invoices.sorted(lambda move: move.currency_id.name),
            [
                {"currency_id": eur.id, "amount_untaxed": 138.0},
                {
                    "currency_id": self.env.company.currency_id.id,
                    "amount_untaxed": 100.0,
                },
            ],
        )

    def test_contacts_subscriptions_join_the_companys_group(self):
        contact = self.env["res.partner"].create(
            {"name": "Accounts Payable", "parent_id": self.customer.id}
        )
        own = self._create_subscription(self.template_monthly, "2026-12-01", [10.0])
        contacts = self._create_subscription(
            self.template_monthly, "2026-12-01", [20.0], partner=contact
        )
        self.customer.subscription_grouping = True
        self.assertTrue(contact.subscription_grouping)
        self.assertEqual(own.group_id, contacts.group_id)
        self.assertEqual(own.group_id.partner_id, self.customer)

    def test_a_new_subscription_of_a_grouped_customer_joins_when_it_starts(self):
        self._create_subscription(self.template_monthly, "2026-12-01", [100.0])
        self.customer.subscription_grouping = True
        group = self.customer.subscription_group_ids
        new = self.env["sale.subscription"].create(
            {
                "partner_id": self.customer.id,
                "template_id": self.template_monthly.id,
                "pricelist_id": self.pricelist.id,
                "date_start": "2026-11-20",
                "sale_subscription_line_ids": [
                    (0, 0, {"product_id": self.product_service.id, "price_unit": 30.0})
                ],
            }
        )
        new.stage_id = self.env.ref("subscription_oca.subscription_stage_ready")
        self._cron("2026-11-20")
        self.assertEqual(new.group_id, group)
        self.assertEqual(new.recurring_next_date, d("2026-12-01"))
        self.assertFalse(self._invoices(), "no full-price invoice of its own")
        # [Nov 20, Dec 1) of [Nov 1, Dec 1): 11 / 30 x 30.00
        self.assertRecordValues(
            group.charge_ids,
            [{"subscription_id": new.id, "amount": 11.0, "state": "pending"}],
        )

    def test_transition_billed_at_once_by_policy(self):
        self.env.company.subscription_group_transition_policy = "immediate"
        subscription = self._create_subscription(
            self.template_monthly, "2026-11-15", [100.0]
        )
        self.customer.subscription_grouping_anchor_day = 1
        with self.subTest("switch on"):
            self.customer.subscription_grouping = True
        group = subscription.group_id
        self.assertEqual(group.transition_policy, "immediate")
        invoice = self._invoices()
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.subscription_group_id, group)
        self.assertFalse(invoice.subscription_group_run_date)
        self.assertEqual(invoice.amount_untaxed, 53.33)
        self.assertEqual(
            self._lines(invoice),
            [
                ("line_section", subscription, False, False, 0.0),
                ("product", subscription, d("2026-11-15"), d("2026-11-30"), 53.33),
            ],
        )
        self.assertEqual(group.charge_ids.state, "invoiced")
        self.assertEqual(group.pending_amount, 0.0)

    def test_a_subscription_starting_after_the_days_run_joins_the_next_one(self):
        first = self._create_subscription(
            self.template_monthly, "2026-12-01", [30.0], start="2026-11-01"
        )
        self.customer.subscription_grouping_anchor_day = 1
        self.customer.subscription_grouping = True
        group = first.group_id
        self._cron("2026-12-01")
        self.assertEqual(len(group.invoice_ids), 1)
        newcomer = self._start_subscription(self.template_monthly, "2026-12-01", [62.0])
        # Dec 1 is billed already: December is its transition, billed on Jan 1
        self.assertEqual(newcomer.group_id, group)
        self.assertEqual(newcomer.recurring_next_date, d("2027-01-01"))
        self.assertRecordValues(
            newcomer.grouping_charge_ids,
            [
                {
                    "date_start": d("2026-12-01"),
                    "date_end": d("2026-12-31"),
                    "amount": 62.0,
                }
            ],
        )
        self._cron("2026-12-01")
        self.assertEqual(len(group.invoice_ids), 1)
        self._cron("2027-01-01")
        self.assertEqual(
            group.invoice_ids.mapped("amount_untaxed"), [30.0, 30.0 + 62.0 + 62.0]
        )
        self.assertExactCoverage(newcomer, d("2026-12-01"), d("2027-02-01"))
