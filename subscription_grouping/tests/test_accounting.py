# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from lxml import html

from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import SubscriptionGroupingCase, d


@tagged("post_install", "-at_install")
class TestAccounting(SubscriptionGroupingCase):
    """What accountants see: journal items, the billing analysis, the PDF."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.subscription_grouping_anchor_day = 1
        cls.Report = cls.env["sale.subscription.group.billing.report"]

    def _bill_design_example(self):
        """DESIGN's example: 100.00 joins with a transition of 53.33, 40.00 aligned."""
        self.joined = self._create_subscription(
            self.template_monthly, "2026-11-15", [100.0]
        )
        self.aligned = self._create_subscription(
            self.template_monthly, "2026-12-01", [40.0]
        )
        # references of their own: the test company has no subscription sequence
        self.joined.code = "SUB-JOINED"
        self.aligned.code = "SUB-ALIGNED"
        self.customer.subscription_grouping = True
        self.group = self.joined.group_id
        self._cron("2026-12-01")
        return self._invoices()

    def test_report_rows_bill_each_subscription_per_service_period(self):
        invoice = self._bill_design_example()
        rows = self.Report.search([("group_id", "=", self.group.id)], order="id")
        common = {
            "move_id": invoice.id,
            "move_type": "out_invoice",
            "state": "draft",
            "invoice_date": d("2026-12-01"),
            "partner_id": self.customer.id,
            "company_id": self.env.company.id,
            "currency_id": self.env.company.currency_id.id,
            "group_id": self.group.id,
            "product_id": self.product_service.id,
        }
        self.assertRecordValues(
            rows,
            [
                {
                    **common,
                    "subscription_id": self.joined.id,
                    "charge_kind": "period",
                    "charge_id": False,
                    "start_date": d("2026-12-01"),
                    "end_date": d("2026-12-31"),
                    "service_month": d("2026-12-01"),
                    "amount_untaxed_signed": 100.0,
                    "amount_untaxed_in_currency_signed": 100.0,
                },
                {
                    **common,
                    "subscription_id": self.joined.id,
                    "charge_kind": "transition",
                    "charge_id": self.group.charge_ids.id,
                    "start_date": d("2026-11-15"),
                    "end_date": d("2026-11-30"),
                    "service_month": d("2026-11-01"),
                    "amount_untaxed_signed": 53.33,
                    "amount_untaxed_in_currency_signed": 53.33,
                },
                {
                    **common,
                    "subscription_id": self.aligned.id,
                    "charge_kind": "period",
                    "charge_id": False,
                    "start_date": d("2026-12-01"),
                    "end_date": d("2026-12-31"),
                    "service_month": d("2026-12-01"),
                    "amount_untaxed_signed": 40.0,
                    "amount_untaxed_in_currency_signed": 40.0,
                },
            ],
        )
        self.assertEqual(
            rows.move_line_id,
            invoice.invoice_line_ids.filtered(lambda line: line.product_id),
        )

    def test_report_sums_by_group_and_service_month(self):
        self._bill_design_example()
        self._cron("2027-01-01")
        groups = self.Report.read_group(
            [("partner_id", "=", self.customer.id)],
            ["amount_untaxed_signed:sum"],
            ["group_id", "service_month:month"],
            lazy=False,
        )
        self.assertEqual(
            [
                (
                    group["group_id"][0],
                    group["service_month:month"],
                    group["amount_untaxed_signed"],
                )
                for group in groups
            ],
            [
                (self.group.id, "November 2026", 53.33),
                (self.group.id, "December 2026", 140.0),
                (self.group.id, "January 2027", 140.0),
            ],
        )
        by_kind = self.Report.read_group(
            [("group_id", "=", self.group.id)],
            ["amount_untaxed_signed:sum"],
            ["charge_kind"],
        )
        self.assertEqual(
            {group["charge_kind"]: group["amount_untaxed_signed"] for group in by_kind},
            {"period": 280.0, "transition": 53.33},
        )

    def test_a_reversed_merged_invoice_credits_the_same_subscriptions(self):
        invoice = self._bill_design_example()
        invoice.action_post()
        refund = invoice._reverse_moves()
        self.assertEqual(refund.subscription_group_id, self.group)

        def billed(move):
            return [
                (line.subscription_id, line.start_date, line.price_subtotal)
                for line in move.invoice_line_ids
                if line.display_type == "product"
            ]

        self.assertEqual(billed(refund), billed(invoice))
        self.assertEqual(
            refund.invoice_line_ids.subscription_group_charge_id,
            self.group.charge_ids,
        )
        refund.action_post()
        [(count, total)] = self.Report._read_group(
            [("group_id", "=", self.group.id)],
            [],
            ["__count", "amount_untaxed_signed:sum"],
        )
        self.assertEqual((count, total), (6, 0.0))

    def test_credit_notes_count_against_what_was_billed(self):
        invoice = self._bill_design_example()
        invoice.action_post()
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": self.customer.id,
                "invoice_date": d("2026-12-10"),
                "subscription_group_id": self.group.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.product_service.id,
                            "price_unit": 100.0,
                            "tax_ids": [Command.clear()],
                            "start_date": d("2026-12-01"),
                            "end_date": d("2026-12-31"),
                            "subscription_id": self.joined.id,
                        }
                    )
                ],
            }
        )
        refund.action_post()
        self.assertRecordValues(
            self.Report.search([("move_id", "=", refund.id)]),
            [
                {
                    "move_type": "out_refund",
                    "state": "posted",
                    "group_id": self.group.id,
                    "subscription_id": self.joined.id,
                    "charge_kind": "period",
                    "service_month": d("2026-12-01"),
                    "amount_untaxed_signed": -100.0,
                    "amount_untaxed_in_currency_signed": -100.0,
                }
            ],
        )
        by_subscription = self.Report.read_group(
            [("group_id", "=", self.group.id), ("state", "=", "posted")],
            ["amount_untaxed_signed:sum"],
            ["subscription_id"],
        )
        self.assertEqual(
            {
                group["subscription_id"][0]: group["amount_untaxed_signed"]
                for group in by_subscription
            },
            {self.joined.id: 53.33, self.aligned.id: 40.0},
        )

    def test_cancelled_invoices_leave_the_report(self):
        invoice = self._bill_design_example()
        self.assertEqual(len(self.Report.search([("move_id", "=", invoice.id)])), 3)
        invoice.button_cancel()
        self.assertFalse(self.Report.search([("move_id", "=", invoice.id)]))

    def test_amounts_in_company_and_invoice_currency(self):
        eur = self.setup_other_currency("EUR")  # 2.00 EUR for 1.00 USD
        pricelist_eur = self.env["product.pricelist"].create(
            {"name": "Grouping EUR", "currency_id": eur.id}
        )
        euro = self._create_subscription(
            self.template_monthly, "2026-11-15", [90.0], pricelist=pricelist_eur
        )
        self.customer.subscription_grouping = True
        self._cron("2026-12-01")
        rows = self.Report.search([("subscription_id", "=", euro.id)], order="id")
        self.assertRecordValues(
            rows,
            [
                {
                    "currency_id": eur.id,
                    "company_currency_id": self.env.company.currency_id.id,
                    "charge_kind": "period",
                    "amount_untaxed_in_currency_signed": 90.0,
                    "amount_untaxed_signed": 45.0,
                },
                {
                    "currency_id": eur.id,
                    "company_currency_id": self.env.company.currency_id.id,
                    "charge_kind": "transition",
                    "amount_untaxed_in_currency_signed": 48.0,
                    "amount_untaxed_signed": 24.0,
                },
            ],
        )

    def test_journal_items_sum_by_subscription_and_group(self):
        invoice = self._bill_design_example()
        invoice.action_post()
        billing = new_test_user(
            self.env,
            login="grouping_billing",
            groups="base.group_user,account.group_account_invoice",
            company_id=self.env.company.id,
            company_ids=[Command.set(self.env.company.ids)],
        )
        Line = self.env["account.move.line"].with_user(billing)
        by_subscription = Line.read_group(
            [
                ("subscription_group_id", "=", self.group.id),
                ("display_type", "=", "product"),
            ],
            ["price_subtotal:sum", "balance:sum"],
            ["subscription_id"],
        )
        self.assertEqual(
            {
                group["subscription_id"][0]: (group["price_subtotal"], group["balance"])
                for group in by_subscription
            },
            {self.joined.id: (153.33, -153.33), self.aligned.id: (40.0, -40.0)},
        )
        by_group = Line.read_group(
            [
                ("subscription_group_id", "!=", False),
                ("partner_id", "=", self.customer.id),
            ],
            ["balance:sum"],
            ["subscription_group_id"],
        )
        self.assertEqual(
            [
                (group["subscription_group_id"][0], group["balance"])
                for group in by_group
            ],
            [(self.group.id, 0.0)],
            "a merged invoice's journal entry balances",
        )
        self.assertEqual(
            Line.search_count([("subscription_group_id", "=", self.group.id)]),
            len(invoice.line_ids),
        )
        self.assertEqual(
            self.env["account.move"].search(
                [
                    ("subscription_group_id", "!=", False),
                    ("partner_id", "=", self.customer.id),
                ]
            ),
            invoice,
        )

    def test_search_views_filter_and_group_by_subscription_and_group(self):
        def arch(model, xmlid, view_type):
            view = self.env.ref(xmlid)
            return self.env[model].get_view(view.id, view_type)["arch"]

        lines = arch(
            "account.move.line", "account.view_account_move_line_filter", "search"
        )
        for node in (
            '<field name="subscription_id"',
            '<field name="subscription_group_id"',
            'name="subscription_lines"',
            'name="subscription_grouped"',
            "{'group_by': 'subscription_id'}",
            "{'group_by': 'subscription_group_id'}",
        ):
            self.assertIn(node, lines)
        items = arch("account.move.line", "account.view_move_line_tree", "list")
        self.assertIn('<field name="subscription_id" optional="hide"', items)
        self.assertIn('<field name="subscription_group_id" optional="hide"', items)
        invoices = arch("account.move", "account.view_account_invoice_filter", "search")
        self.assertIn('name="subscription_grouped"', invoices)
        self.assertIn("{'group_by': 'subscription_group_id'}", invoices)

    def test_billing_and_sales_users_read_the_report_of_their_company(self):
        self._bill_design_example()
        other = self.env["res.company"].create({"name": "Grouping Other Company"})
        users = {
            "billing": ("account.group_account_invoice", self.env.company),
            "salesman": ("sales_team.group_sale_salesman", self.env.company),
            "elsewhere": ("account.group_account_invoice", other),
        }
        totals = {}
        for login, (group, company) in users.items():
            user = new_test_user(
                self.env,
                login=f"grouping_{login}",
                groups=f"base.group_user,{group}",
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )
            rows = self.Report.with_user(user).search(
                [("partner_id", "=", self.customer.id)]
            )
            totals[login] = self.env.company.currency_id.round(
                sum(rows.mapped("amount_untaxed_signed"))
            )
        self.assertEqual(
            totals, {"billing": 193.33, "salesman": 193.33, "elsewhere": 0}
        )

    def test_merged_invoice_pdf_shows_sections_and_service_periods(self):
        invoice = self._bill_design_example()
        content, _type = self.env["ir.actions.report"]._render_qweb_html(
            "account.report_invoice", invoice.ids
        )
        text = " ".join(html.fromstring(content).text_content().split())
        self.assertEqual(text.count("SUB-JOINED - Monthly"), 1, text)
        self.assertEqual(text.count("SUB-ALIGNED - Monthly"), 1)
        # every line says its subscription and its service period in its label
        self.assertEqual(text.count("Hosting - SUB-JOINED 12/01/2026 to 12/31/2026"), 1)
        self.assertEqual(
            text.count("Hosting - SUB-ALIGNED 12/01/2026 to 12/31/2026"), 1
        )
        self.assertEqual(text.count("12/01/2026 to 12/31/2026"), 2, text)
        self.assertIn(
            "Hosting - SUB-JOINED Transition to the group's billing day, "
            "11/15/2026 to 11/30/2026 (16 of 30 days)",
            text,
        )
        # sections in order, each before its own lines
        first = text.index("SUB-JOINED - Monthly")
        transition = text.index("Transition to the group's billing day")
        second = text.index("SUB-ALIGNED - Monthly")
        self.assertLess(first, transition)
        self.assertLess(transition, second)
