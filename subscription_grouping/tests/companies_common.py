# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Two legal entities in one database, each with its own chart of accounts,
and a customer grouped in both: the fixtures of the multi-company tests."""

from freezegun import freeze_time

from odoo import Command

from .common import SubscriptionGroupingCase, d


class TwoCompaniesCase(SubscriptionGroupingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.data_b = cls.setup_other_company(name="Grouping B")
        cls.company_b = cls.data_b["company"]
        cls.income_a = cls.company_data["default_account_revenue"]
        cls.income_b = cls.data_b["default_account_revenue"]
        # one product for both companies, booked to each company's own income
        cls.product_shared = cls.env["product.product"].create(
            {"name": "Support", "type": "service", "taxes_id": False}
        )
        cls.product_shared.with_company(
            cls.company_a
        ).property_account_income_id = cls.income_a
        cls.product_shared.with_company(
            cls.company_b
        ).property_account_income_id = cls.income_b
        cls.customer.subscription_grouping_anchor_day = 1
        cls.sub_a = cls._create_company_subscription(cls.company_a, 100.0, "SUB-A")
        cls.sub_b = cls._create_company_subscription(cls.company_b, 60.0, "SUB-B")
        # the fixtures' user works in both companies, the main one first
        cls.env = cls.env(
            context=dict(
                cls.env.context,
                allowed_company_ids=(cls.company_a | cls.company_b).ids,
            )
        )
        cls.customer = cls.customer.with_env(cls.env)
        cls.customer.subscription_grouping = True
        cls.sub_a, cls.sub_b = (sub.with_env(cls.env) for sub in (cls.sub_a, cls.sub_b))
        cls.group_a = cls.sub_a.group_id
        cls.group_b = cls.sub_b.group_id
        # the scheduled action's own user, its main company current (no
        # allowed companies in its context, as Odoo's cron runner calls it)
        cls.bot_env = cls.env(
            user=cls.env.ref("base.user_root"),
            context={"tracking_disable": True, "queue_job__no_delay": True},
        )

    @classmethod
    def _create_company_subscription(
        cls, company, price, code, customer=None, template=None
    ):
        subscription = (
            cls.env["sale.subscription"]
            .with_company(company)
            .create(
                {
                    "company_id": company.id,
                    "partner_id": (customer or cls.customer).id,
                    "template_id": (template or cls.template_monthly).id,
                    "pricelist_id": cls.pricelist.id,
                    "date_start": "2026-11-15",
                    "code": code,
                    "sale_subscription_line_ids": [
                        Command.create(
                            {
                                "product_id": cls.product_shared.id,
                                "price_unit": price,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        with freeze_time("2026-11-15"):
            subscription.stage_id = cls.stage_in_progress
        subscription.recurring_next_date = "2026-11-15"
        return subscription

    def _product_lines(self, invoice):
        return invoice.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        ).sorted("sequence")

    def assertBilledInItsCompany(self, invoice, company_data, income, amounts):
        self.assertRecordValues(
            invoice,
            [
                {
                    "company_id": company_data["company"].id,
                    "journal_id": company_data["default_journal_sale"].id,
                    "invoice_date": d("2026-12-01"),
                    "amount_untaxed": sum(amounts),
                    "state": "draft",
                }
            ],
        )
        self.assertRecordValues(
            self._product_lines(invoice),
            [{"account_id": income.id, "price_subtotal": amount} for amount in amounts],
        )
        self.assertEqual(
            invoice.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            ).account_id.company_ids,
            company_data["company"],
        )
