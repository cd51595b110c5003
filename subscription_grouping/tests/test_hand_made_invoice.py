# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.tests import Form, tagged

from .common import SubscriptionGroupingCase, d


@tagged("post_install", "-at_install")
class TestAsHandMade(SubscriptionGroupingCase):
    """A merged invoice books and falls due as the same invoice made by hand in
    Odoo's form would, on either creation path, alone or in a batch."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.early_terms = cls._create_early_discount_terms()

    def _grouped_customer(self, name, **vals):
        customer = self._create_customer(
            name, subscription_grouping_anchor_day=1, **vals
        )
        subscription = self._create_subscription(
            self.template_monthly, "2026-12-01", [100.0], partner=customer
        )
        customer.subscription_grouping = True
        return subscription.group_id

    def _hand_made(self, partner, invoice_date, price=100.0):
        """The same invoice, typed into Odoo's invoice form on the run date and
        posted (Odoo's form keeps the due date it showed before the lines were
        typed until the invoice is posted)."""
        with freeze_time(invoice_date):
            form = Form(
                self.env["account.move"].with_context(default_move_type="out_invoice")
            )
            form.partner_id = partner
            form.invoice_date = invoice_date
            with form.invoice_line_ids.new() as line:
                line.product_id = self.product_service
                line.price_unit = price
            invoice = form.save()
            invoice.action_post()
            return invoice

    def _term_dates(self, invoice):
        return sorted(
            invoice.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            ).mapped("date_maturity")
        )

    def assertDueAsHandMade(self, invoice):
        hand_made = self._hand_made(invoice.partner_id, invoice.invoice_date)
        self.assertEqual(
            hand_made.invoice_payment_term_id, invoice.invoice_payment_term_id
        )
        self.assertEqual(self._term_dates(invoice), self._term_dates(hand_made))
        self.assertEqual(invoice.invoice_date_due, hand_made.invoice_date_due)
        self.assertEqual(self._term_dates(invoice), self._term_dates(hand_made))
        return hand_made

    def test_payment_terms_fall_due_as_on_a_hand_made_invoice(self):
        group = self._grouped_customer(
            "Paying in Two", property_payment_term_id=self.pay_terms_b.id
        )
        self._cron("2026-12-01")
        invoice = group.invoice_ids
        hand_made = self.assertDueAsHandMade(invoice)
        # 30% on the day, the rest at the end of the following month
        self.assertEqual(self._term_dates(invoice), [d("2026-12-01"), d("2027-01-31")])
        self.assertEqual(invoice.invoice_date_due, d("2027-01-31"))
        invoice.action_post()
        self.assertEqual(invoice.invoice_date_due, hand_made.invoice_date_due)

    def test_an_early_payment_discount_falls_due_as_on_a_hand_made_invoice(self):
        group = self._grouped_customer(
            "Paying Early", property_payment_term_id=self.early_terms.id
        )
        self._cron("2026-12-01")
        self.assertDueAsHandMade(group.invoice_ids)
        self.assertEqual(group.invoice_ids.invoice_date_due, d("2026-12-31"))

    def test_a_batch_on_the_standard_path_dates_each_invoice_alone(self):
        groups = (
            self._grouped_customer("No Terms")
            | self._grouped_customer(
                "Paying in Two", property_payment_term_id=self.pay_terms_b.id
            )
            | self._grouped_customer(
                "Paying Early", property_payment_term_id=self.early_terms.id
            )
        )
        Move = type(self.env["account.move"])
        # every invoice of the batch created by Odoo's own create, the one
        # without terms first
        with patch.object(Move, "_get_fast_create_blocker", return_value="forced"):
            self._cron("2026-12-01")
        invoices = groups.invoice_ids.sorted(lambda move: move.subscription_group_id.id)
        self.assertEqual(len(invoices), 3)
        self.assertEqual(
            invoices.mapped("invoice_date_due"),
            [d("2026-12-01"), d("2027-01-31"), d("2026-12-31")],
        )
        for invoice in invoices:
            self.assertDueAsHandMade(invoice)

    def test_invoice_now_ahead_without_terms_is_due_on_its_own_date(self):
        group = self._grouped_customer("No Terms")
        with freeze_time("2026-11-20"):
            group.action_run_now()
        invoice = group.invoice_ids
        self.assertRecordValues(
            invoice,
            [{"invoice_date": d("2026-12-01"), "invoice_date_due": d("2026-12-01")}],
        )
        self.assertEqual(self._term_dates(invoice), [d("2026-12-01")])
        # Odoo's form would make it due the day it is typed, before its date
        with freeze_time("2026-11-20"):
            hand_made = Form(
                self.env["account.move"].with_context(default_move_type="out_invoice")
            )
            hand_made.partner_id = invoice.partner_id
            hand_made.invoice_date = d("2026-12-01")
            self.assertEqual(hand_made.invoice_date_due, d("2026-11-20"))

    def test_invoice_now_ahead_with_terms_falls_due_as_by_hand(self):
        group = self._grouped_customer(
            "Paying in Two", property_payment_term_id=self.pay_terms_b.id
        )
        with freeze_time("2026-11-20"):
            group.action_run_now()
        self.assertEqual(group.invoice_ids.invoice_date_due, d("2027-01-31"))
        self.assertDueAsHandMade(group.invoice_ids)

    def test_the_fiscal_position_maps_the_income_account(self):
        income = self.company_data["default_account_revenue"]
        mapped = self.copy_account(income, {"name": "Sales abroad"})
        fiscal_position = self.env["account.fiscal.position"].create(
            {
                "name": "Abroad",
                "account_ids": [
                    Command.create(
                        {"account_src_id": income.id, "account_dest_id": mapped.id}
                    )
                ],
            }
        )
        self.product_service.property_account_income_id = income
        customer = self._create_customer(
            "Abroad Customer",
            subscription_grouping_anchor_day=1,
            property_account_position_id=fiscal_position.id,
        )
        subscription = self._create_subscription(
            self.template_monthly, "2026-11-15", [100.0], partner=customer
        )
        # as subscription_oca's form sets it from the customer
        subscription.onchange_partner_id_fpos()
        self.assertEqual(subscription.fiscal_position_id, fiscal_position)
        customer.subscription_grouping = True
        group = customer.subscription_group_ids
        self.assertEqual(group.fiscal_position_id, fiscal_position)
        self._cron("2026-12-01")
        lines = group.invoice_ids.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        )
        # the renewal and the transition alike
        self.assertEqual(len(lines), 2)
        self.assertEqual(lines.account_id, mapped)
        hand_made = self._hand_made(customer, d("2026-12-01"))
        self.assertEqual(hand_made.invoice_line_ids.account_id, mapped)
