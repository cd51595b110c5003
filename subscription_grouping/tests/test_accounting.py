# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import SubscriptionGroupingCase


@tagged("post_install", "-at_install")
class TestAccounting(SubscriptionGroupingCase):
    """What accountants see: journal items, the billing analysis, the PDF."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.subscription_grouping_anchor_day = 1

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
