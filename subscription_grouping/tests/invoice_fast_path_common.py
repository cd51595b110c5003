# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The shared setup of the fast-path tests: taxes, merged invoice values,
both ways of creating them, and what they must agree on."""

from copy import deepcopy

from freezegun import freeze_time

from odoo import Command
from odoo.tools import float_repr

from .common import SubscriptionGroupingCase, d

# What an invoice's journal items must hold, whichever way it was created.
LINE_FIELDS = (
    "display_type",
    "date",
    "journal_id",
    "currency_rate",
    "is_refund",
    "product_uom_id",
    "name",
    "sequence",
    "account_id",
    "partner_id",
    "currency_id",
    "product_id",
    "quantity",
    "price_unit",
    "discount",
    "tax_ids",
    "tax_line_id",
    "tax_repartition_line_id",
    "group_tax_id",
    "tax_tag_ids",
    "tax_tag_invert",
    "date_maturity",
    "discount_date",
    "analytic_distribution",
    "start_date",
    "end_date",
    "subscription_id",
    "subscription_group_charge_id",
)
COMPANY_AMOUNTS = (
    "debit",
    "credit",
    "balance",
    "tax_base_amount",
    "amount_residual",
    "discount_balance",
)
CURRENCY_AMOUNTS = (
    "amount_currency",
    "amount_residual_currency",
    "price_subtotal",
    "price_total",
    "discount_amount_currency",
)
MOVE_FIELDS = (
    "journal_id",
    "partner_id",
    "commercial_partner_id",
    "fiscal_position_id",
    "payment_state",
    "tax_totals",
    "invoice_date",
    "invoice_date_due",
    "date",
    "currency_id",
    "invoice_currency_rate",
    "invoice_payment_term_id",
)
MOVE_AMOUNTS = ("amount_untaxed", "amount_tax", "amount_total", "amount_residual")
MOVE_SIGNED_AMOUNTS = (
    "amount_untaxed_signed",
    "amount_tax_signed",
    "amount_total_signed",
    "amount_residual_signed",
)


class InvoiceFastPathCase(SubscriptionGroupingCase):
    """Taxes of its own, and helpers making merged invoices both ways and
    comparing them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.subscription_grouping_anchor_day = 1
        cls.Move = cls.env["account.move"].with_context(
            default_move_type="out_invoice", tracking_disable=True
        )
        cls.company = cls.env.company
        cls.tax_15 = cls._create_tax("Sales 15%", 15.0)
        cls.tax_21_included = cls._create_tax(
            "Sales 21% included", 21.0, price_include_override="tax_included"
        )
        # a tax in the base of the next one, with its amount split on two accounts
        cls.tax_10_in_base = cls._create_tax(
            "Sales 10% in base",
            10.0,
            include_base_amount=True,
            sequence=0,
            split=(60.0, 40.0),
        )

    @classmethod
    def _create_tax(cls, name, amount, split=(100.0,), **vals):
        country = cls.company.account_fiscal_country_id
        tags = cls.env["account.account.tag"].create(
            [
                {
                    "name": f"{name} {kind}",
                    "applicability": "taxes",
                    "country_id": country.id,
                }
                for kind in ("base", "tax", "refund base", "refund tax")
            ]
        )
        accounts = [
            cls.company_data["default_account_tax_sale"],
            cls.company_data["default_account_tax_sale"].copy(),
        ]

        def repartition(base_tag, tax_tag):
            return [
                Command.create({"repartition_type": "base", "tag_ids": base_tag.ids}),
                *(
                    Command.create(
                        {
                            "repartition_type": "tax",
                            "factor_percent": factor,
                            "account_id": account.id,
                            "tag_ids": tax_tag.ids,
                        }
                    )
                    for factor, account in zip(
                        split, accounts[: len(split)], strict=True
                    )
                ),
            ]

        return cls.env["account.tax"].create(
            {
                "name": name,
                "amount_type": "percent",
                "amount": amount,
                "type_tax_use": "sale",
                "country_id": country.id,
                "invoice_repartition_line_ids": repartition(tags[0], tags[1]),
                "refund_repartition_line_ids": repartition(tags[2], tags[3]),
                **vals,
            }
        )

    # -- helpers ------------------------------------------------------------
    def _merged_invoice_vals(self, members, partner=None, pricelist=None):
        """The values of the first merged invoice of ``partner``'s group, whose
        ``members`` are ``(next invoice date, price, taxes)``: those due
        before 2026-12-01 join with a transition charge."""
        partner = partner or self.customer
        partner.subscription_grouping_anchor_day = 1
        subscriptions = self.env["sale.subscription"]
        for next_date, price, taxes in members:
            subscription = self._create_subscription(
                self.template_monthly,
                next_date,
                [price],
                partner=partner,
                pricelist=pricelist,
            )
            subscription.sale_subscription_line_ids.tax_ids = taxes
            subscriptions |= subscription
        partner.subscription_grouping = True
        group = subscriptions.group_id
        plan = group._plan_next_run()
        self.assertEqual(plan.run_date, d("2026-12-01"))
        # made on its run date, as the scheduled run makes it
        with freeze_time("2026-12-01"):
            vals = group._prepare_run_invoice_vals(plan)
        # both ways bill the same run date: the database allows one of them
        del vals["subscription_group_run_date"]
        return vals

    def _fast_path_blocker(self, vals):
        header = self.Move._new_fast_create_header(vals)
        return header._get_fast_create_blocker(vals) or header._get_fast_lines_blocker(
            self.Move._get_fast_product_lines(vals)
        )

    def _create_both_ways(self, vals):
        """The invoice of ``vals`` created by the fast path, and by Odoo's
        standard create."""
        # on the run date, as the scheduled run does: an invoice without payment
        # terms is due today
        with freeze_time("2026-12-01"):
            fast = self.Move._create_with_precomputed_lines([deepcopy(vals)])
            standard = self.Move.create([deepcopy(vals)])
        return fast, standard

    def _snapshot(self, move):
        """Every stored value the two ways must agree on, money to its digits."""
        company_currency = move.company_id.currency_id

        def stored(record, fname):
            value = record[fname]
            if fname in COMPANY_AMOUNTS:
                return float_repr(value, company_currency.decimal_places)
            if fname in CURRENCY_AMOUNTS + MOVE_AMOUNTS:
                return float_repr(value, move.currency_id.decimal_places)
            if fname in MOVE_SIGNED_AMOUNTS:
                return float_repr(value, company_currency.decimal_places)
            if fname in ("quantity", "price_unit", "discount"):
                return float_repr(value, 6)
            if hasattr(value, "ids"):
                return sorted(value.ids)
            return value

        return {
            "move": {
                fname: stored(move, fname)
                for fname in MOVE_FIELDS + MOVE_AMOUNTS + MOVE_SIGNED_AMOUNTS
            },
            "lines": [
                {
                    fname: stored(line, fname)
                    for fname in LINE_FIELDS + COMPANY_AMOUNTS + CURRENCY_AMOUNTS
                }
                for line in move.line_ids.sorted("id")
            ],
        }

    def assertSameInvoice(self, fast, standard):
        self.assertEqual(len(fast), 1)
        self.assertEqual(len(standard), 1)
        self.assertNotEqual(fast, standard)
        expected = self._snapshot(standard)
        self.assertEqual(
            self._snapshot(fast)["lines"], expected["lines"], "journal items differ"
        )
        self.assertEqual(self._snapshot(fast)["move"], expected["move"])
        # and both stay equal once posted, but for their numbers, which the
        # receivable lines are named after
        (fast | standard).action_post()
        posted = [self._snapshot(move)["lines"] for move in (fast, standard)]
        for move, lines in zip(fast | standard, posted, strict=True):
            for line in lines:
                if line["name"]:
                    line["name"] = line["name"].replace(move.name, "<number>")
        self.assertEqual(posted[0], posted[1], "posted journal items differ")

    def _journal_items(self, move, display_type):
        return move.line_ids.filtered(
            lambda line: line.display_type == display_type
        ).sorted("id")
