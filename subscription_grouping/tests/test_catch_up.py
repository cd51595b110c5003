# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The catch-up policy: a group's missed run dates on one invoice, by the
scheduled run (OdooBot, two companies) and by Invoice Now (a billing user)."""

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import d
from .companies_common import TwoCompaniesCase
from .trust_common import TrustCase

RUN_DATES = [d("2026-12-01"), d("2027-01-01"), d("2027-02-01")]


@tagged("post_install", "-at_install")
class TestCatchUp(TrustCase):
    """Two monthly posted subscriptions, 100.00 and 40.00, due Dec 1 and not
    billed until Feb 10: three run dates due at once."""

    def _bill_as_odoobot(self, day="2027-02-10"):
        with freeze_time(day):
            while self._as_odoobot()._cron_bill():
                pass

    def _run_lines(self, invoice):
        return [
            (line.subscription_id, line.start_date, line.end_date, line.price_subtotal)
            for line in invoice.invoice_line_ids.sorted("sequence")
            if line.display_type == "product"
        ]

    def assertCaughtUp(self, invoice, subs, day):
        big, small = subs
        self.assertRecordValues(
            invoice,
            [
                {
                    "invoice_date": d(day),
                    "subscription_group_run_date": d("2027-02-01"),
                    "subscription_group_missed_runs": "12/01/2026, 01/01/2027",
                    "amount_total": 420.0,
                    "state": "posted",
                }
            ],
        )
        self.assertEqual(invoice._get_group_run_dates(), RUN_DATES)
        self.assertEqual(
            self._run_lines(invoice),
            [
                (big, d("2026-12-01"), d("2026-12-31"), 100.0),
                (big, d("2027-01-01"), d("2027-01-31"), 100.0),
                (big, d("2027-02-01"), d("2027-02-28"), 100.0),
                (small, d("2026-12-01"), d("2026-12-31"), 40.0),
                (small, d("2027-01-01"), d("2027-01-31"), 40.0),
                (small, d("2027-02-01"), d("2027-02-28"), 40.0),
            ],
        )
        # each line's label names its own period, as every merged line does
        self.assertEqual(
            [
                line.name.splitlines()[-1]
                for line in invoice.invoice_line_ids.sorted("sequence")[1:4]
            ],
            [
                "12/01/2026 to 12/31/2026",
                "01/01/2027 to 01/31/2027",
                "02/01/2027 to 02/28/2027",
            ],
        )
        self.assertEqual(subs.mapped("recurring_next_date"), [d("2027-03-01")] * 2)
        for sub in subs:
            self.assertExactCoverage(sub, d("2026-12-01"), d("2027-03-01"))

    def test_by_default_one_invoice_per_missed_run_each_dated_its_run_date(self):
        group, subs = self._group_of(100.0, 40.0)
        self.assertEqual(group.catch_up_policy, "per_run")
        self._bill_as_odoobot()
        self.assertRecordValues(
            group.invoice_ids.sorted("invoice_date"),
            [
                {
                    "invoice_date": run_date,
                    "subscription_group_run_date": run_date,
                    "subscription_group_missed_runs": False,
                    "amount_total": 140.0,
                }
                for run_date in RUN_DATES
            ],
        )
        for sub in subs:
            self.assertExactCoverage(sub, d("2026-12-01"), d("2027-03-01"))

    def test_the_scheduled_run_bills_three_missed_runs_on_one_invoice(self):
        group, subs = self._group_of(100.0, 40.0, catch_up_policy="one_invoice")
        with freeze_time("2027-02-10"):
            self.assertEqual(group.due_run_count, 3)
        self._bill_as_odoobot()
        self.assertEqual(len(group.invoice_ids), 1)
        self.assertCaughtUp(group.invoice_ids, subs, "2027-02-10")
        self.assertIn(
            "for 3 missed run dates, 12/01/2026, 01/01/2027, 02/01/2027: "
            "2 subscription(s) billed.",
            group.message_ids[:1].body,
        )
        with freeze_time("2027-02-10"):
            self.assertEqual(group.due_run_count, 0)
        # the next run is an ordinary one, dated its run date
        self._bill_as_odoobot("2027-03-01")
        self.assertRecordValues(
            group.invoice_ids.sorted("id")[1:],
            [
                {
                    "invoice_date": d("2027-03-01"),
                    "subscription_group_run_date": d("2027-03-01"),
                    "subscription_group_missed_runs": False,
                    "amount_total": 140.0,
                }
            ],
        )

    def test_invoice_now_bills_the_missed_runs_on_todays_invoice(self):
        group, subs = self._group_of(100.0, 40.0, catch_up_policy="one_invoice")
        with freeze_time("2027-02-10"):
            action = group.with_user(self.billing_admin).action_run_now()
        invoice = group.invoice_ids
        self.assertEqual(action["res_id"], invoice.id)
        self.assertEqual(invoice.create_uid, self.billing_admin)
        self.assertCaughtUp(invoice, subs, "2027-02-10")

    def test_cancelling_it_puts_back_all_three_runs_then_one_invoice_again(self):
        group, subs = self._group_of(100.0, 40.0, catch_up_policy="one_invoice")
        self._bill_as_odoobot()
        invoice = group.invoice_ids
        with freeze_time("2027-02-11"):
            invoice.with_user(self.billing).button_cancel()
        self.assertEqual(invoice.state, "cancel")
        self.assertEqual(subs.mapped("recurring_next_date"), [d("2026-12-01")] * 2)
        self.assertEqual(group.next_run_date, d("2026-12-01"))
        self.assertRecordValues(
            group.event_ids.filtered(lambda event: event.kind == "putback").sorted(
                "subscription_id"
            ),
            [
                {
                    "subscription_id": sub.id,
                    "date_from": d("2027-03-01"),
                    "date_to": d("2026-12-01"),
                    "amount": amount,
                    "note": f"{invoice.name} cancelled",
                    "invoice_id": invoice.id,
                    "user_id": self.billing.id,
                }
                for sub, amount in zip(subs, (-300.0, -120.0), strict=True)
            ],
        )
        with freeze_time("2027-02-12"):
            self.assertEqual(group.due_run_count, 3)
            group.with_user(self.billing_admin).action_run_now()
        again = group.invoice_ids - invoice
        self.assertEqual(len(again), 1)
        self.assertCaughtUp(again, subs, "2027-02-12")

    def test_only_grouping_managers_change_the_policy(self):
        group, _subs = self._group_of(100.0)
        for user in (self.salesman, self.billing):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                group.with_user(user).catch_up_policy = "one_invoice"
        group.with_user(self.sales_admin).catch_up_policy = "one_invoice"
        self.assertEqual(group.catch_up_policy, "one_invoice")


@tagged("post_install", "-at_install")
class TestCatchUpPreview(TrustCase):
    """Switching on a customer whose subscription is long due: the preview
    says how many run dates are due and that they go on one invoice."""

    def test_the_preview_counts_the_missed_runs_on_one_invoice(self):
        self.env.company.subscription_group_catch_up_policy = "one_invoice"
        self._create_subscription(self.template_monthly, "2026-10-20", [310.0])
        with freeze_time("2027-01-05"):
            action = self.customer.with_user(
                self.sales_admin
            ).action_preview_subscription_grouping()
            wizard = self.env["sale.subscription.group.preview"].browse(
                action["res_id"]
            )
            # 310.00 x 12/31 for Oct 20-31, then Nov, Dec and Jan
            self.assertIn(
                "3 missed run dates, 11/01/2026 to 01/01/2027, all on one merged "
                "invoice dated 01/05/2027: $&nbsp;1,050.00",
                wizard.summary,
            )
            wizard.with_user(self.sales_admin).action_apply()
        group = self.customer.subscription_group_ids
        self.assertEqual(group.catch_up_policy, "one_invoice")

    def test_the_default_policy_shows_the_first_invoice(self):
        self._create_subscription(self.template_monthly, "2026-10-20", [310.0])
        with freeze_time("2027-01-05"):
            action = self.customer.with_user(
                self.sales_admin
            ).action_preview_subscription_grouping()
        wizard = self.env["sale.subscription.group.preview"].browse(action["res_id"])
        self.assertIn(
            "first merged invoice on 11/01/2026: $&nbsp;430.00", wizard.summary
        )


@tagged("post_install", "-at_install")
class TestCatchUpCompanies(TwoCompaniesCase):
    """The scheduled run, as OdooBot in the main company, catches up each
    company's group in its own company."""

    def test_the_scheduled_run_catches_up_each_company_on_one_invoice(self):
        (self.group_a | self.group_b).catch_up_policy = "one_invoice"
        with freeze_time("2027-02-10"):
            Group = self.bot_env["sale.subscription.group"]
            while Group._cron_bill():
                pass
        for group, company_data, income, price, transition in (
            (self.group_a, self.company_data, self.income_a, 100.0, 53.33),
            (self.group_b, self.data_b, self.income_b, 60.0, 32.0),
        ):
            invoice = group.invoice_ids
            self.assertRecordValues(
                invoice,
                [
                    {
                        "company_id": company_data["company"].id,
                        "journal_id": company_data["default_journal_sale"].id,
                        "invoice_date": d("2027-02-10"),
                        "subscription_group_run_date": d("2027-02-01"),
                        "amount_untaxed": transition + 3 * price,
                        "state": "draft",
                    }
                ],
            )
            self.assertEqual(invoice._get_group_run_dates(), RUN_DATES)
            self.assertRecordValues(
                self._product_lines(invoice),
                [
                    {"account_id": income.id, "price_subtotal": amount}
                    for amount in (price, price, price, transition)
                ],
            )
        for sub in self.sub_a | self.sub_b:
            self.assertEqual(sub.recurring_next_date, d("2027-03-01"))
            self.assertExactCoverage(sub, d("2026-11-15"), d("2027-03-01"))
