# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import random
from copy import deepcopy
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import d
from .invoice_fast_path_common import InvoiceFastPathCase


@tagged("post_install", "-at_install")
class TestInvoiceFastPath(InvoiceFastPathCase):
    """Merged invoices created with their journal items computed once are the
    invoices Odoo's standard ``account.move.create`` makes of the same values,
    to the cent, tag and due date."""

    # -- cases --------------------------------------------------------------
    def test_taxes_excluded(self):
        self.company.tax_calculation_rounding_method = "round_per_line"
        vals = self._merged_invoice_vals(
            [("2026-11-15", 100.0, self.tax_15), ("2026-12-01", 40.0, self.tax_15)]
        )
        self.assertIsNone(self._fast_path_blocker(vals))
        fast, standard = self._create_both_ways(vals)
        # 100.00 + the transition 16/30 x 100.00 = 53.33 + 40.00; 15% of each
        # line rounded: 15.00 + 8.00 + 6.00
        self.assertRecordValues(
            fast,
            [
                {
                    "amount_untaxed": 193.33,
                    "amount_tax": 29.0,
                    "amount_total": 222.33,
                    "amount_residual": 222.33,
                }
            ],
        )
        self.assertRecordValues(
            self._journal_items(fast, "tax"),
            [
                {
                    "tax_line_id": self.tax_15.id,
                    "balance": -29.0,
                    "tax_base_amount": 193.33,
                    "tax_tag_ids": self.tax_15.invoice_repartition_line_ids[
                        1
                    ].tag_ids.ids,
                }
            ],
        )
        self.assertRecordValues(
            self._journal_items(fast, "payment_term"),
            [{"balance": 222.33, "date_maturity": d("2026-12-01")}],
        )
        self.assertSameInvoice(fast, standard)

    def test_taxes_included(self):
        # Odoo's own example (account.tax._round_base_lines_tax_details): the
        # rounding difference of the tax included is put on the first line
        self.company.tax_calculation_rounding_method = "round_globally"
        vals = self._merged_invoice_vals(
            [
                ("2026-12-01", 21.53, self.tax_21_included),
                ("2026-12-01", 21.53, self.tax_21_included),
            ]
        )
        self.assertIsNone(self._fast_path_blocker(vals))
        fast, standard = self._create_both_ways(vals)
        self.assertRecordValues(
            fast,
            [
                {
                    "amount_untaxed": 35.59,
                    "amount_tax": 7.47,
                    "amount_total": 43.06,
                    "amount_residual": 43.06,
                }
            ],
        )
        self.assertRecordValues(
            self._journal_items(fast, "product"),
            [
                {"price_total": 21.53, "balance": -17.80},
                {"price_total": 21.53, "balance": -17.79},
            ],
        )
        self.assertSameInvoice(fast, standard)

    def test_two_taxes_on_one_line(self):
        self.company.tax_calculation_rounding_method = "round_per_line"
        taxes = self.tax_10_in_base | self.tax_15
        vals = self._merged_invoice_vals(
            [("2026-11-15", 100.0, taxes), ("2026-12-01", 40.0, taxes)]
        )
        self.assertIsNone(self._fast_path_blocker(vals))
        fast, standard = self._create_both_ways(vals)
        # 10%: 10.00 + 5.33 + 4.00, split 60/40 per line (6.00/4.00,
        # 3.20/2.13, 2.40/1.60); 15% of the price with the 10%: 16.50 + 8.80
        # + 6.60
        self.assertRecordValues(
            fast,
            [
                {
                    "amount_untaxed": 193.33,
                    "amount_tax": 51.23,
                    "amount_total": 244.56,
                    "amount_residual": 244.56,
                }
            ],
        )
        rep_a, rep_b = self.tax_10_in_base.invoice_repartition_line_ids.filtered(
            lambda rep: rep.repartition_type == "tax"
        )
        self.assertRecordValues(
            self._journal_items(fast, "tax"),
            [
                {
                    "tax_repartition_line_id": rep_a.id,
                    "balance": -11.60,
                    "tax_base_amount": 193.33,
                    "tax_ids": self.tax_15.ids,
                },
                {
                    "tax_repartition_line_id": rep_b.id,
                    "balance": -7.73,
                    "tax_base_amount": 193.33,
                    "tax_ids": self.tax_15.ids,
                },
                {
                    "tax_repartition_line_id": self.tax_15.invoice_repartition_line_ids[
                        1
                    ].id,
                    "balance": -31.90,
                    "tax_base_amount": 212.66,
                    "tax_ids": [],
                },
            ],
        )
        self.assertSameInvoice(fast, standard)

    def test_foreign_currency(self):
        self.company.tax_calculation_rounding_method = "round_per_line"
        euro = self.setup_other_currency("EUR", rates=[("2026-01-01", 1.3)])
        pricelist = self.env["product.pricelist"].create(
            {"name": "Grouping EUR", "currency_id": euro.id}
        )
        customer = self._create_customer(
            "Euro Customer", property_product_pricelist=pricelist.id
        )
        vals = self._merged_invoice_vals(
            [("2026-11-15", 100.0, self.tax_15), ("2026-12-01", 40.0, self.tax_15)],
            partner=customer,
            pricelist=pricelist,
        )
        self.assertEqual(vals["currency_id"], euro.id)
        self.assertIsNone(self._fast_path_blocker(vals))
        fast, standard = self._create_both_ways(vals)
        # in USD, each line at 1.3 EUR per USD, rounded per line:
        # 76.92 + 41.02 + 30.77, and taxes 11.54 + 6.15 + 4.62
        self.assertRecordValues(
            fast,
            [
                {
                    "currency_id": euro.id,
                    "invoice_currency_rate": 1.3,
                    "amount_untaxed": 193.33,
                    "amount_tax": 29.0,
                    "amount_total": 222.33,
                    "amount_residual": 222.33,
                    "amount_untaxed_signed": 148.71,
                    "amount_tax_signed": 22.31,
                    "amount_total_signed": 171.02,
                }
            ],
        )
        self.assertSameInvoice(fast, standard)

    def test_payment_term_in_installments(self):
        self.company.tax_calculation_rounding_method = "round_per_line"
        customer = self._create_customer(
            "Customer Paying in Two", property_payment_term_id=self.pay_terms_b.id
        )
        vals = self._merged_invoice_vals(
            [("2026-12-01", 100.0, self.tax_15), ("2026-12-01", 40.0, self.tax_15)],
            partner=customer,
        )
        self.assertIsNone(self._fast_path_blocker(vals))
        fast, standard = self._create_both_ways(vals)
        # 161.00: 30% at once, the rest at the end of the following month
        self.assertRecordValues(
            fast,
            [
                {
                    "invoice_payment_term_id": self.pay_terms_b.id,
                    "amount_total": 161.0,
                    "amount_residual": 161.0,
                    "invoice_date_due": d("2027-01-31"),
                }
            ],
        )
        self.assertRecordValues(
            self._journal_items(fast, "payment_term"),
            [
                {"balance": 48.30, "date_maturity": d("2026-12-01")},
                {"balance": 112.70, "date_maturity": d("2027-01-31")},
            ],
        )
        self.assertSameInvoice(fast, standard)

    def test_a_credit_line_on_an_invoice(self):
        self.company.tax_calculation_rounding_method = "round_per_line"
        vals = self._merged_invoice_vals([("2026-12-01", 100.0, self.tax_15)])
        # as a credit for unused days or a lower price is billed
        __, __, line_vals = vals["invoice_line_ids"][1]
        vals["invoice_line_ids"].append(
            Command.create(dict(line_vals, name="Credit", price_unit=-30.0))
        )
        self.assertIsNone(self._fast_path_blocker(vals))
        fast, standard = self._create_both_ways(vals)
        self.assertRecordValues(
            fast,
            [
                {
                    "amount_untaxed": 70.0,
                    "amount_tax": 10.5,
                    "amount_total": 80.5,
                    "amount_residual": 80.5,
                }
            ],
        )
        self.assertSameInvoice(fast, standard)

    def test_credit_note(self):
        self.company.tax_calculation_rounding_method = "round_per_line"
        vals = self._merged_invoice_vals(
            [("2026-11-15", 100.0, self.tax_15), ("2026-12-01", 40.0, self.tax_15)]
        )
        vals["move_type"] = "out_refund"
        self.assertIsNone(self._fast_path_blocker(vals))
        fast, standard = self._create_both_ways(vals)
        self.assertRecordValues(
            fast,
            [
                {
                    "move_type": "out_refund",
                    "amount_untaxed": 193.33,
                    "amount_tax": 29.0,
                    "amount_total": 222.33,
                    "amount_total_signed": -222.33,
                }
            ],
        )
        self.assertRecordValues(
            self._journal_items(fast, "tax"),
            [
                {
                    "balance": 29.0,
                    "tax_tag_ids": self.tax_15.refund_repartition_line_ids[
                        1
                    ].tag_ids.ids,
                }
            ],
        )
        self.assertSameInvoice(fast, standard)

    def test_cash_rounding_takes_the_standard_path(self):
        self.company.tax_calculation_rounding_method = "round_per_line"
        vals = self._merged_invoice_vals([("2026-12-01", 100.01, self.tax_15)])
        vals["invoice_cash_rounding_id"] = self.cash_rounding_a.id
        self.assertEqual(self._fast_path_blocker(vals), "cash_rounding")
        fast, standard = self._create_both_ways(vals)
        # 100.01 + 15.00, rounded up to 0.05 on a line of its own
        self.assertRecordValues(
            fast, [{"amount_untaxed": 100.05, "amount_total": 115.05}]
        )
        self.assertRecordValues(
            self._journal_items(fast, "rounding"), [{"balance": -0.04}]
        )
        self.assertSameInvoice(fast, standard)

    def test_early_payment_discount_takes_the_standard_path(self):
        terms = self._create_early_discount_terms()
        customer = self._create_customer(
            "Customer Paying Early", property_payment_term_id=terms.id
        )
        vals = self._merged_invoice_vals(
            [("2026-12-01", 100.0, self.tax_15)], partner=customer
        )
        self.assertEqual(self._fast_path_blocker(vals), "early_payment_discount")
        fast, standard = self._create_both_ways(vals)
        self.assertSameInvoice(fast, standard)

    def test_lines_left_to_odoo_take_the_standard_path(self):
        vals = self._merged_invoice_vals([("2026-12-01", 100.0, self.tax_15)])
        __, __, line_vals = vals["invoice_line_ids"][1]
        del line_vals["account_id"]
        self.assertEqual(self._fast_path_blocker(vals), "line_fields")

    def test_the_scheduled_run_takes_the_fast_path(self):
        self.company.tax_calculation_rounding_method = "round_per_line"
        self._merged_invoice_vals(
            [("2026-11-15", 100.0, self.tax_15), ("2026-12-01", 40.0, self.tax_15)]
        )
        Move = type(self.env["account.move"])
        with patch.object(
            Move,
            "_prepare_fast_create_vals",
            autospec=True,
            side_effect=Move._prepare_fast_create_vals,
        ) as prepare:
            self._cron("2026-12-01")
        self.assertEqual(prepare.call_count, 1)
        self.assertRecordValues(
            self._invoices(),
            [
                {
                    "amount_untaxed": 193.33,
                    "amount_tax": 29.0,
                    "amount_total": 222.33,
                    "invoice_date_due": d("2026-12-01"),
                }
            ],
        )

    def test_a_batch_keeps_its_order_whatever_the_paths(self):
        vals = self._merged_invoice_vals([("2026-12-01", 100.0, self.tax_15)])
        rounded = dict(deepcopy(vals), invoice_cash_rounding_id=self.cash_rounding_a.id)
        moves = self.Move._create_with_precomputed_lines(
            [deepcopy(vals), rounded, deepcopy(vals)]
        )
        self.assertEqual(len(moves), 3)
        self.assertEqual(
            [bool(move.invoice_cash_rounding_id) for move in moves],
            [False, True, False],
        )

    def test_varied_invoices_are_equal_both_ways(self):
        """Prices, quantities, discounts, taxes of every kind the fast path
        takes (percent, included, in the base of others, fixed, division,
        groups), currencies,
        payment terms and both tax rounding methods, drawn at random (with a
        fixed seed): every invoice the same both ways, all on the fast path."""
        rng = random.Random(20261201)
        euro = self.setup_other_currency("EUR", rates=[("2026-01-01", 0.8765)])
        account = self.company_data["default_account_revenue"]
        fixed = self._create_tax("Fixed 2.50", 2.5, amount_type="fixed")
        division = self._create_tax("Division 8%", 8.0, amount_type="division")
        group = self.env["account.tax"].create(
            {
                "name": "Group 15% and fixed",
                "amount_type": "group",
                "type_tax_use": "sale",
                "children_tax_ids": [Command.set((self.tax_15 | fixed).ids)],
            }
        )
        tax_sets = [
            self.env["account.tax"],
            self.tax_15,
            self.tax_21_included,
            self.tax_10_in_base | self.tax_15,
            self.tax_10_in_base | self.tax_21_included,
            fixed | division,
            group,
        ]
        for method in ("round_per_line", "round_globally"):
            self.company.tax_calculation_rounding_method = method
            vals_list = []
            for __ in range(15):
                lines = [
                    Command.create(
                        {
                            "product_id": self.product_service.id,
                            "product_uom_id": self.product_service.uom_id.id,
                            "name": "Line",
                            "account_id": account.id,
                            "analytic_distribution": False,
                            # credits too, never more than the first line
                            "price_unit": rng.randint(-5000, 50000) / 100
                            + (1000.0 if not index else 0.0),
                            "quantity": rng.choice([1.0, 1.0, 2.0, 0.5, 3.0]),
                            "discount": rng.choice([0.0, 0.0, 10.0, 12.5]),
                            "tax_ids": [Command.set(rng.choice(tax_sets).ids)],
                        }
                    )
                    for index in range(rng.randint(1, 8))
                ]
                vals_list.append(
                    {
                        "move_type": rng.choice(["out_invoice", "out_refund"]),
                        "partner_id": self.customer.id,
                        "company_id": self.company.id,
                        "currency_id": rng.choice([self.company.currency_id, euro]).id,
                        "invoice_date": d("2026-12-01"),
                        "invoice_payment_term_id": rng.choice(
                            [False, self.pay_terms_a.id, self.pay_terms_b.id]
                        ),
                        "invoice_line_ids": lines,
                    }
                )
            for vals in vals_list:
                self.assertIsNone(self._fast_path_blocker(vals))
            with freeze_time("2026-12-01"):
                fast = self.Move._create_with_precomputed_lines(deepcopy(vals_list))
                # each one on its own: see test_due_dates_in_a_batch
                standard = self.Move.union(
                    *(self.Move.create(deepcopy(vals)) for vals in vals_list)
                )
            for fast_move, standard_move in zip(fast, standard, strict=True):
                self.assertSameInvoice(fast_move, standard_move)

    def test_due_dates_in_a_batch(self):
        """Each invoice of a batch is due when its last installment is, as Odoo
        dates it when creating it alone. (Odoo 18's create of a batch dates an
        invoice with payment terms today when one without terms comes before
        it: its stored due date is computed before its receivable lines.)"""
        customer = self._create_customer(
            "Customer Paying in Two", property_payment_term_id=self.pay_terms_b.id
        )
        without_terms = self._merged_invoice_vals([("2026-12-01", 100.0, self.tax_15)])
        with_terms = self._merged_invoice_vals(
            [("2026-12-01", 100.0, self.tax_15)], partner=customer
        )
        with freeze_time("2026-12-01"):
            moves = self.Move._create_with_precomputed_lines(
                [without_terms, with_terms]
            )
        self.assertEqual(
            [move.invoice_date_due for move in moves],
            [d("2026-12-01"), d("2027-01-31")],
        )
        for move in moves:
            self.assertEqual(
                move.invoice_date_due,
                max(self._journal_items(move, "payment_term").mapped("date_maturity")),
            )
