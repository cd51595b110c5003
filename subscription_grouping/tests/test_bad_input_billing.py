# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The bad-input matrix (see bad_input_common): billing a group."""

from odoo import Command
from odoo.tests import tagged

from .bad_input_common import GROUP, BadInputCase
from .common import d


@tagged("post_install", "-at_install")
class TestBadInputBilling(BadInputCase):
    """Billing a group: what accounting would refuse is refused first, clearly."""

    def _grouped(self, template=None):
        subscription = self._subscription(
            "2026-12-01", [100.0], template=template or self.template_posted
        )
        self.customer.subscription_grouping = True
        return subscription, subscription.group_id

    def test_an_archived_customer_is_not_billed(self):
        subscription, group = self._grouped()
        self.customer.active = False
        self.assertRefusedBeforeWriting(
            group.action_run_now,
            "The customer Grouping Customer of the group " + GROUP + " is archived: "
            "restore the customer to bill it, or close its subscriptions.",
        )
        subscription.close_subscription()
        self.assertFalse(group.next_run_date)

    def test_merging_customers_keeps_one_group_per_invoice(self):
        subscription, group = self._grouped(self.template_monthly)
        other = self._create_customer("Other Customer", email="same@example.com")
        self.customer.email = "same@example.com"
        Merge = self.env["base.partner.merge.automatic.wizard"]

        def merge(source, kept):
            Merge.create(
                {
                    "partner_ids": [Command.set((source | kept).ids)],
                    "dst_partner_id": kept.id,
                    "state": "selection",
                }
            ).action_merge()

        with self.subTest("both grouped, same invoices: refused"):
            twin = self._subscription(
                "2026-11-15", [5.0], partner=other, code="SUB-TWIN"
            )
            other.subscription_grouping = True
            self.assertRefusedBeforeWriting(
                lambda: merge(other, self.customer),
                "Merging these customers would give one customer two groups billing "
                "the same invoices: " + GROUP + " and Other Customer, USD, day 15. "
                "Switch grouping off for one of these customers, then merge them.",
            )
            other.subscription_grouping = False
            self.assertFalse(twin.group_id)
            self.assertEqual(twin.recurring_next_date, d("2026-11-15"))

        with self.subTest("an ungrouped customer merged into a grouped one"):
            merge(other, self.customer)
            self.assertFalse(other.exists())
            self.assertEqual(twin.partner_id, self.customer)
            self.assertEqual(twin.group_id, group)
            self.assertEqual(twin.recurring_next_date, d("2026-12-01"))
            self.assertEqual(twin.grouping_charge_ids.amount, 2.67)  # 5 x 16/30

        with self.subTest("a grouped customer merged into an ungrouped one"):
            kept = self._create_customer("Kept Customer", email="same@example.com")
            own = self._subscription("2026-11-20", [30.0], partner=kept, code="SUB-K")
            merge(self.customer, kept)
            self.assertTrue(kept.subscription_grouping)
            self.assertEqual(group.partner_id, kept)
            self.assertEqual(group.name, "Kept Customer, USD, day 1")
            self.assertEqual(own.group_id, group)
            self.assertEqual(group.subscription_ids, subscription | twin | own)

    def test_the_invoice_goes_to_the_customers_invoice_address(self):
        subscription, group = self._grouped()
        contact = self.env["res.partner"].create(
            {"name": "Its IT department", "parent_id": self.customer.id}
        )
        subscription.partner_id = contact
        group.action_run_now()
        # no invoice address: the customer itself, not the subscription's contact
        self.assertEqual(group.invoice_ids.partner_id, self.customer)
        billing = self.env["res.partner"].create(
            {"name": "Accounts", "type": "invoice", "parent_id": self.customer.id}
        )
        group.action_run_now()
        self.assertEqual(group.invoice_ids.sorted("id")[-1].partner_id, billing)

    def test_a_product_without_income_account(self):
        subscription, group = self._grouped()
        self.product_service.property_account_income_id = False
        self.product_service.categ_id.property_account_income_categ_id = False
        journal = self.company_data["default_journal_sale"]
        with self.subTest("the journal's default account"):
            with self.env.cr.savepoint() as savepoint:
                group.action_run_now()
                lines = group.invoice_ids.invoice_line_ids.filtered("product_id")
                self.assertEqual(lines.account_id, journal.default_account_id)
                savepoint.rollback()
        journal.default_account_id = False
        self.assertRefusedBeforeWriting(
            group.action_run_now,
            "Hosting on SUB-2026-12-01 has no income account, and the journal "
            "Customer Invoices no default account: set one on the product, its "
            "category or the journal.",
        )

    def test_a_deprecated_income_account(self):
        subscription, group = self._grouped()
        account = self.company_data["default_account_revenue"].copy(
            {"code": "400999", "name": "Old Sales"}
        )
        self.product_service.property_account_income_id = account
        account.deprecated = True
        self.assertRefusedBeforeWriting(
            group.action_run_now,
            "The income account 400999 Old Sales of Hosting on SUB-2026-12-01 is "
            "deprecated: set another one on the product or its category.",
        )

    def test_a_tax_of_another_company(self):
        subscription, group = self._grouped()
        other = self.setup_other_company(name="Grouping Elsewhere")["company"]
        tax = self.env["account.tax"].create(
            {"name": "Elsewhere VAT", "amount": 10.0, "company_id": other.id}
        )
        subscription.sale_subscription_line_ids.tax_ids = tax
        self.assertRefusedBeforeWriting(
            group.action_run_now,
            f"The taxes Elsewhere VAT of Hosting on SUB-2026-12-01 belong to another "
            f"company than {self.env.company.name}: choose taxes of "
            f"{self.env.company.name} on the subscription line.",
        )

    def test_a_currency_without_rate(self):
        chf = self.env.ref("base.CHF")
        chf.active = True
        chf.rate_ids.unlink()
        pricelist = self.env["product.pricelist"].create(
            {"name": "Grouping CHF", "currency_id": chf.id}
        )
        subscription = self._subscription("2026-12-01", [100.0], pricelist=pricelist)
        self.customer.subscription_grouping = True
        group = subscription.group_id
        self.assertRefusedBeforeWriting(
            group.action_run_now,
            f"CHF has no exchange rate in {self.env.company.name}, so the invoice of "
            "the group Grouping Customer, CHF, day 1 would be booked at 1 to 1. Add a "
            "rate of CHF, then bill again.",
        )
        self.env["res.currency.rate"].create(
            {"currency_id": chf.id, "name": "2026-11-30", "rate": 0.9}
        )
        group.action_run_now()
        self.assertRecordValues(
            group.invoice_ids, [{"amount_total": 100.0, "amount_total_signed": 111.11}]
        )

    def test_a_locked_period(self):
        subscription, group = self._grouped()
        self.env.company.sale_lock_date = "2026-12-31"
        self.assertRefusedBeforeWriting(
            group.action_run_now,
            "The invoice of the group " + GROUP + " for 12/01/2026 would be posted "
            "in a locked period (Sales Lock Date (12/31/2026)). Unlock the period to "
            "bill it, or ask an accountant how to bill it.",
        )
        # a draft may be redated before it is posted
        draft = self._subscription("2026-12-01", [40.0], code="SUB-DRAFT")
        self.customer.subscription_grouping = False
        self.customer.subscription_grouping = True
        draft.group_id.action_run_now()
        self.assertRecordValues(
            draft.group_id.invoice_ids,
            [{"state": "draft", "invoice_date": d("2026-12-01"), "amount_total": 40.0}],
        )

    def test_a_journal_never_used_numbers_its_first_invoice(self):
        journal = self.company_data["default_journal_sale"].copy(
            {"code": "SUBS", "name": "Subscriptions"}
        )
        subscription = self._create_subscription(
            self.template_posted, "2026-12-01", [100.0]
        )
        subscription.journal_id = journal
        self.customer.subscription_grouping = True
        group = subscription.group_id
        group.action_run_now()
        group.action_run_now()
        self.assertEqual(
            group.invoice_ids.sorted("id").mapped("name"),
            ["SUBS/2026/00001", "SUBS/2027/00001"],
        )
        # and a subscription without a reference of its own is still named
        section = group.invoice_ids[:1].invoice_line_ids.filtered(
            lambda line: line.display_type == "line_section"
        )
        self.assertEqual(section.name, f"Monthly posted #{subscription.id}")
