# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class SubscriptionGroupingCase(AccountTestInvoicingCommon):
    """Own products, customers and templates: never demo data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.customer = cls.env["res.partner"].create({"name": "Grouping Customer"})
        cls.product_service = cls.env["product.product"].create(
            {
                "name": "Hosting",
                "type": "service",
                "list_price": 100.0,
                "taxes_id": [Command.clear()],
            }
        )
        cls.template_monthly = cls._create_template("Monthly", 1, "months")
        cls.template_quarterly = cls._create_template("Quarterly", 3, "months")
        cls.template_yearly = cls._create_template("Yearly", 1, "years")
        cls.template_weekly = cls._create_template("Weekly", 1, "weeks")

    @classmethod
    def _create_template(cls, name, interval, rule_type):
        return cls.env["sale.subscription.template"].create(
            {
                "name": name,
                "recurring_interval": interval,
                "recurring_rule_type": rule_type,
            }
        )

    @classmethod
    def _create_subscription(cls, template, next_date, prices, start=None):
        """A subscription of ``cls.customer`` with one line per price."""
        return cls.env["sale.subscription"].create(
            {
                "partner_id": cls.customer.id,
                "template_id": template.id,
                "date_start": start or next_date,
                "recurring_next_date": next_date,
                "pricelist_id": cls.customer.property_product_pricelist.id,
                "sale_subscription_line_ids": [
                    Command.create(
                        {
                            "product_id": cls.product_service.id,
                            "price_unit": price,
                            "product_uom_qty": 1.0,
                        }
                    )
                    for price in prices
                ],
            }
        )
