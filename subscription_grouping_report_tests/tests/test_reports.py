# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import ast

from lxml import html

from odoo.tests import tagged

from odoo.addons.subscription_grouping.tests.common import d

from .common import (
    DECEMBER_LABELS,
    JANUARY_LABELS,
    REFUND_LABELS,
    AccountantReportsCase,
)


@tagged("post_install", "-at_install")
class TestAccountantReports(AccountantReportsCase):
    """OCA's Journal Ledger, General Ledger and prepaid revenue cut-off read the
    merged documents of the example group (see AccountantReportsCase)."""

    def test_the_example_group_bills_three_posted_documents(self):
        self.assertRecordValues(
            self.december | self.january | self.refund,
            [
                {
                    "move_type": "out_invoice",
                    "state": "posted",
                    "invoice_date": d("2026-12-01"),
                    "journal_id": self.journal.id,
                    "amount_untaxed": 539.22,
                },
                {
                    "move_type": "out_invoice",
                    "state": "posted",
                    "invoice_date": d("2027-01-01"),
                    "journal_id": self.journal.id,
                    "amount_untaxed": 80.29,
                },
                {
                    "move_type": "out_refund",
                    "state": "posted",
                    "invoice_date": d("2027-01-10"),
                    "journal_id": self.journal.id,
                    "amount_untaxed": 277.61,
                },
            ],
        )

    # -- Journal Ledger -------------------------------------------------------------
    def test_journal_ledger_shows_each_merged_document_as_one_entry(self):
        ledger = self._journal_ledger(d("2026-12-01"), d("2027-01-31"))
        entries = {
            move["entry"]: [
                (line["label"], line["debit"], line["credit"], line["partner_id"])
                for line in move["report_move_lines"]
            ]
            for move in ledger["report_moves"]
        }
        customer = self.customer.id
        self.assertEqual(
            entries,
            {
                self.december.name: [
                    (label, 0.0, amount, customer)
                    for label, amount in zip(
                        DECEMBER_LABELS, (100.0, 53.33, 90.0, 295.89), strict=True
                    )
                ]
                + [(self.december.name, 539.22, 0.0, customer)],
                self.january.name: [
                    (JANUARY_LABELS[0], 0.0, 130.0, customer),
                    (JANUARY_LABELS[1], 0.0, 21.29, customer),
                    (JANUARY_LABELS[2], 71.0, 0.0, customer),
                    (self.january.name, 80.29, 0.0, customer),
                ],
                # as on any Odoo credit note, the receivable has no payment
                # reference, hence no label
                self.refund.name: [
                    (REFUND_LABELS[0], 113.23, 0.0, customer),
                    (REFUND_LABELS[1], 164.38, 0.0, customer),
                    (False, 0.0, 277.61, customer),
                ],
            },
        )
        self.assertEqual(
            [move["entry"] for move in ledger["report_moves"]],
            sorted([self.december.name, self.january.name, self.refund.name]),
        )
        # balanced: 539.22 + 71.00 + 80.29 + 113.23 + 164.38 on each side
        self.assertAlmostEqual(ledger["debit"], 968.12, 2)
        self.assertAlmostEqual(ledger["credit"], 968.12, 2)

    def test_journal_ledger_lines_name_their_subscription_and_period(self):
        """Each product line says which subscription and which days it pays
        for, the same on the invoice, in the ledgers and in the cut-off."""
        for move, subscriptions in (
            (self.december, ["monthly", "monthly", "quarterly", "yearly"]),
            (self.january, ["monthly", "monthly", "quarterly"]),
            (self.refund, ["monthly", "yearly"]),
        ):
            lines = move.invoice_line_ids.filtered(
                lambda line: line.display_type == "product"
            ).sorted("id")
            self.assertEqual(
                lines.subscription_id.mapped("code"),
                sorted({getattr(self, name).code for name in subscriptions}),
            )
            for line, name in zip(lines, subscriptions, strict=True):
                subscription = getattr(self, name)
                self.assertEqual(line.subscription_id, subscription)
                self.assertTrue(
                    line.name.startswith(f"Hosting - {subscription.code}\n")
                )

    # -- General Ledger ------------------------------------------------------------
    def test_general_ledger_income_equals_untaxed_totals_per_month(self):
        for (date_from, date_to), documents, balance, lines in (
            (("2026-12-01", "2026-12-31"), self.december, -539.22, 4),
            (("2027-01-01", "2027-01-31"), self.january | self.refund, 197.32, 5),
        ):
            with self.subTest(month=date_from):
                account = self._income_ledger(d(date_from), d(date_to))
                # income accounts start each fiscal year (January) at 0
                self.assertEqual(account["init_bal"]["balance"], 0.0)
                self.assertAlmostEqual(account["fin_bal"]["balance"], balance, 2)
                self.assertAlmostEqual(
                    -sum(documents.mapped("amount_untaxed_signed")), balance, 2
                )
                self.assertEqual(len(account["move_lines"]), lines)
                self.assertEqual(
                    {line["entry_id"] for line in account["move_lines"]},
                    set(documents.ids),
                )

    def test_general_ledger_lines_carry_the_labels(self):
        account = self._income_ledger(d("2026-12-01"), d("2027-01-31"))
        self.assertEqual(
            sorted(line["ref_label"] for line in account["move_lines"]),
            sorted(DECEMBER_LABELS + JANUARY_LABELS + REFUND_LABELS),
        )
        self.assertEqual(
            {line["partner_id"] for line in account["move_lines"]},
            {self.customer.id},
        )

    # -- prepaid revenue cut-off ------------------------------------------------------
    def test_cutoff_at_december_end_defers_the_days_after_it(self):
        cutoff = self._cutoff(d("2026-12-31"))
        customer = self.customer
        # the monthly renewal and transition end by Dec 31: nothing deferred
        self.assertEqual(
            self._cutoff_rows(cutoff),
            [
                # 90.00 for Dec 1 - Feb 28 (90 days): 59 days after Dec 31
                (
                    self.december,
                    DECEMBER_LABELS[2],
                    customer,
                    d("2026-12-01"),
                    d("2027-02-28"),
                    90,
                    59,
                    90.0,
                    -59.0,
                ),
                # 295.89 for Dec 1 - Feb 28: 295.89 x 59 / 90 = 193.9723
                (
                    self.december,
                    DECEMBER_LABELS[3],
                    customer,
                    d("2026-12-01"),
                    d("2027-02-28"),
                    90,
                    59,
                    295.89,
                    -193.97,
                ),
            ],
        )
        self.assertAlmostEqual(cutoff.total_cutoff_amount, -252.97, 2)

    def test_cutoff_at_january_end_nets_the_credits(self):
        cutoff = self._cutoff(d("2027-01-31"))
        customer = self.customer
        self.assertEqual(
            self._cutoff_rows(cutoff),
            [
                # 90.00 for Dec 1 - Feb 28: 28 of 90 days after Jan 31
                (
                    self.december,
                    DECEMBER_LABELS[2],
                    customer,
                    d("2026-12-01"),
                    d("2027-02-28"),
                    90,
                    28,
                    90.0,
                    -28.0,
                ),
                # 295.89 x 28 / 90 = 92.0547
                (
                    self.december,
                    DECEMBER_LABELS[3],
                    customer,
                    d("2026-12-01"),
                    d("2027-02-28"),
                    90,
                    28,
                    295.89,
                    -92.05,
                ),
                # the quarterly credit -71.00 for Dec 20 - Feb 28 (71 days)
                (
                    self.january,
                    JANUARY_LABELS[2],
                    customer,
                    d("2026-12-20"),
                    d("2027-02-28"),
                    71,
                    28,
                    -71.0,
                    28.0,
                ),
                # the credit note's 164.38 for Jan 10 - Feb 28 (50 days):
                # 164.38 x 28 / 50 = 92.0528
                (
                    self.refund,
                    REFUND_LABELS[1],
                    customer,
                    d("2027-01-10"),
                    d("2027-02-28"),
                    50,
                    28,
                    -164.38,
                    92.05,
                ),
            ],
        )
        # every member left and its unused days were credited: nothing is
        # prepaid any more
        self.assertAlmostEqual(cutoff.total_cutoff_amount, 0.0, 2)

    def test_cutoff_at_february_end_has_nothing_left(self):
        self.assertFalse(self._cutoff(d("2027-02-28")).line_ids)

    # -- the grouping filters of journal items, in the reports' drill-downs ----------
    def test_journal_items_domain_of_the_general_ledger(self):
        """The General Ledger's journal items filter takes the group and the
        subscription like any field of journal items."""
        period = (d("2026-12-01"), d("2027-01-31"))
        for domain, balance, count in (
            ([("subscription_group_id", "=", self.group.id)], -341.90, 9),
            ([("subscription_id", "=", self.monthly.id)], -191.39, 5),
            ([("subscription_id", "=", self.quarterly.id)], -19.0, 2),
            ([("subscription_id", "=", self.yearly.id)], -131.51, 2),
        ):
            with self.subTest(domain=domain):
                account = self._income_ledger(*period, domain=domain)
                self.assertAlmostEqual(account["fin_bal"]["balance"], balance, 2)
                self.assertEqual(len(account["move_lines"]), count)

    def test_general_ledger_drill_down_takes_the_grouping_filters(self):
        """The General Ledger opens journal items in their list, with their
        search view, from its initial balances: the grouping filters narrow
        what it opened. An income account starts each fiscal year at 0 (no
        initial balance, each of its lines links to its own form); the
        receivable account carries January into February."""
        receivable = self.company_data["default_account_receivable"]
        wizard = self._general_ledger_wizard(
            d("2027-02-01"), d("2027-02-28"), accounts=self.income | receivable
        )
        # (an admin without a document layout is first asked to choose one)
        action = wizard.with_context(discard_logo_check=True).button_export_html()
        content, _type = self.env["ir.actions.report"]._render_qweb_html(
            action["report_name"], wizard.ids, data=self._report_data(wizard)
        )
        opened = {
            node.get("domain")
            for node in html.fromstring(content).xpath(
                '//*[@res-model="account.move.line"][@domain]'
            )
        }
        before = [("account_id", "=", receivable.id), ("date", "<", "2027-02-01")]
        debits, credits = [("debit", "<>", 0)], [("credit", "<>", 0)]
        partner = [("partner_id", "=", self.customer.id)]
        self.assertEqual(
            sorted(opened),
            sorted(
                str(domain)
                # the receivable's initial balance, per partner: all, debits,
                # credits
                for domain in (
                    before + partner,
                    before + debits + partner,
                    before + credits + partner,
                )
            ),
        )
        # the search view the drill-down opens (the list's default one)
        Line = self.env["account.move.line"]
        arch = html.fromstring(
            Line.get_views([(False, "search")])["views"]["search"]["arch"]
        )
        self.assertTrue(arch.xpath('//field[@name="subscription_id"]'))
        self.assertTrue(arch.xpath('//field[@name="subscription_group_id"]'))
        filters = {
            name: ast.literal_eval(
                arch.xpath(f'//filter[@name="{name}"]')[0].get("domain")
            )
            for name in ("subscription_lines", "subscription_grouped")
        }
        for domain in map(ast.literal_eval, opened):
            with self.subTest(domain=domain):
                expected = sorted(
                    balance
                    for balance in (539.22, 80.29, -277.61)
                    if ("debit", "<>", 0) not in domain or balance > 0
                    if ("credit", "<>", 0) not in domain or balance < 0
                )
                for grouping in (
                    filters["subscription_grouped"],
                    [("subscription_group_id", "=", self.group.id)],
                ):
                    lines = Line.search(domain + grouping)
                    self.assertEqual(sorted(lines.mapped("balance")), expected)
                # one receivable line per document, whatever subscriptions
                # it holds: it belongs to none of them
                for subscription in (
                    filters["subscription_lines"],
                    [("subscription_id", "=", self.quarterly.id)],
                ):
                    self.assertFalse(Line.search(domain + subscription))

    def test_cutoff_lines_filter_by_group_and_subscription(self):
        cutoff = self._cutoff(d("2027-01-31"))
        Line = self.env["account.cutoff.line"]
        base = [("parent_id", "=", cutoff.id)]
        for domain, amounts in (
            (
                [("origin_move_line_id.subscription_group_id", "=", self.group.id)],
                [-28.0, -92.05, 28.0, 92.05],
            ),
            (
                [("origin_move_line_id.subscription_id", "=", self.yearly.id)],
                [-92.05, 92.05],
            ),
            (
                [("origin_move_line_id.subscription_id", "=", self.quarterly.id)],
                [-28.0, 28.0],
            ),
            ([("origin_move_line_id.subscription_id", "=", self.monthly.id)], []),
        ):
            with self.subTest(domain=domain):
                lines = Line.search(base + domain).sorted(
                    lambda line: line.origin_move_line_id.id
                )
                self.assertEqual(lines.mapped("cutoff_amount"), amounts)
