# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from subscription_grouping_core import Period, check_coverage

MANAGER_GROUP = "subscription_grouping.group_subscription_grouping_manager"


class SubscriptionGroupingCase(AccountTestInvoicingCommon):
    """Own products, customers and templates: never demo data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # These tests bill in their own transaction: when a job queue is
        # installed too (subscription_grouping_queue_job), queue_job's own key
        # keeps the scheduled bill run inline, as it is without one.
        cls.env = cls.env(
            context=dict(
                cls.env.context, tracking_disable=True, queue_job__no_delay=True
            )
        )
        cls.stage_in_progress = cls.env["sale.subscription.stage"].search(
            [("type", "=", "in_progress")], order="sequence", limit=1
        )
        cls.pricelist = cls.env["product.pricelist"].create(
            {"name": "Grouping USD", "currency_id": cls.env.company.currency_id.id}
        )
        cls.customer = cls._create_customer("Grouping Customer")
        cls.product_service = cls.env["product.product"].create(
            {
                "name": "Hosting",
                "type": "service",
                # a company-less product gets every other company's default taxes
                "company_id": cls.env.company.id,
                "list_price": 100.0,
                "taxes_id": [Command.clear()],
            }
        )
        cls.template_monthly = cls._create_template("Monthly", 1, "months")
        cls.template_quarterly = cls._create_template("Quarterly", 3, "months")
        cls.template_yearly = cls._create_template("Yearly", 1, "years")
        cls.template_weekly = cls._create_template("Weekly", 1, "weeks")

    @classmethod
    def _create_grouping_users(cls):
        """``cls.plain``, a salesman, and ``cls.manager``, a grouping manager,
        both of the fixtures' company only."""
        company = cls.env.company
        sales = "sales_team.group_sale_salesman_all_leads"
        for attribute, groups in (
            ("plain", sales),
            ("manager", f"{sales},{MANAGER_GROUP}"),
        ):
            user = new_test_user(
                cls.env,
                login=f"grouping_{attribute}",
                groups=groups,
                company_id=company.id,
                company_ids=[company.id],
            )
            setattr(cls, attribute, user)

    @classmethod
    def _create_customer(cls, name, **vals):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "property_product_pricelist": cls.pricelist.id,
                **vals,
            }
        )

    @classmethod
    def _create_early_discount_terms(cls):
        """Payment terms with an early payment discount: 2% within 7 days."""
        return cls.env["account.payment.term"].create(
            {
                "name": "2% within 7 days, net 30",
                "early_discount": True,
                "discount_percentage": 2.0,
                "discount_days": 7,
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 100.0, "nb_days": 30}
                    )
                ],
            }
        )

    def _create_legacy_product(self, price):
        """A product whose income account, 700099 Old Revenue, a test can
        deprecate to make billing fail: returns (product, account)."""
        account = self.company_data["default_account_revenue"].copy(
            {"name": "Old Revenue", "code": "700099"}
        )
        product = self.env["product.product"].create(
            {
                "name": "Legacy Hosting",
                "type": "service",
                # a line takes the product's price when its product changes
                "list_price": price,
                "company_id": self.env.company.id,
                "taxes_id": [Command.clear()],
                "property_account_income_id": account.id,
            }
        )
        return product, account

    @classmethod
    def _create_template(cls, name, interval, rule_type, **vals):
        return cls.env["sale.subscription.template"].create(
            {
                "name": name,
                "recurring_interval": interval,
                "recurring_rule_type": rule_type,
                **vals,
            }
        )

    @classmethod
    def _create_subscription(
        cls, template, next_date, prices, start=None, partner=None, pricelist=None
    ):
        """A running subscription whose next invoice date is ``next_date``.

        subscription_oca creates subscriptions in draft and, when they start,
        sets their next invoice date to today: the date is written after.
        """
        subscription = cls.env["sale.subscription"].create(
            cls._subscription_vals(
                template, start or next_date, prices, partner, pricelist
            )
            | {"recurring_next_date": next_date}
        )
        with freeze_time(start or next_date):
            subscription.stage_id = cls.stage_in_progress
        subscription.recurring_next_date = next_date
        return subscription

    @classmethod
    def _subscription_vals(cls, template, start, prices, partner=None, pricelist=None):
        return {
            "partner_id": (partner or cls.customer).id,
            "template_id": template.id,
            "date_start": start,
            "pricelist_id": (pricelist or cls.pricelist).id,
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

    @classmethod
    def _start_subscription(cls, template, day, prices, partner=None):
        """A draft subscription started on ``day``, as a user starts one.

        subscription_oca sets its next invoice date to ``day``; the
        subscription of a grouped customer joins its group then.
        """
        subscription = cls.env["sale.subscription"].create(
            cls._subscription_vals(template, day, prices, partner)
        )
        with freeze_time(day):
            subscription.stage_id = cls.stage_in_progress
        return subscription

    def _cron(self, day):
        """The scheduled actions of a night, run on ``day``: the resume of
        paused subscriptions due (all its batches), subscription_oca's own
        billing, then the groups' (all its batches), then sending."""
        with freeze_time(day):
            while self.env["sale.subscription"]._cron_resume_paused():
                pass
            self.env["sale.subscription"].cron_subscription_management()
            Group = self.env["sale.subscription.group"]
            while Group._cron_bill():
                pass
            while self.env["account.move"]._cron_send_subscription_group_invoices():
                pass

    def _invoices(self, partner=None):
        return self.env["account.move"].search(
            [
                ("partner_id", "child_of", (partner or self.customer).id),
                ("move_type", "in", ("out_invoice", "out_refund")),
            ],
            order="id",
        )

    def _lines(self, invoice):
        """Invoice lines as (subscription, start, end, amount) and sections."""
        return [
            (
                line.display_type,
                line.subscription_id,
                line.start_date,
                line.end_date,
                line.price_subtotal,
            )
            for line in invoice.invoice_line_ids.sorted("sequence")
        ]

    def assertExactCoverage(self, subscription, start, end, paused=()):
        """DESIGN's first invariant, on the real invoice lines of ``subscription``:
        ``[start, end)`` minus the ``paused`` periods billed exactly once."""
        lines = (
            self.env["account.move.line"]
            .search(
                [
                    ("subscription_id", "=", subscription.id),
                    ("display_type", "=", "product"),
                    ("parent_state", "!=", "cancel"),
                ]
            )
            .filtered(
                lambda line: line.subscription_group_charge_id.kind != "adjustment"
            )
        )
        # each invoice bills a period once, however many lines the subscription has
        billed = {
            (
                line.move_id,
                Period(line.start_date, line.end_date + timedelta(days=1)),
                # a credit note's positive line credits; a negative line reverses
                (-1 if line.move_id.move_type == "out_refund" else 1)
                * (-1 if line.price_subtotal < 0 else 1),
            )
            for line in lines
        }
        coverage = check_coverage(
            [(period, sign) for _move, period, sign in billed],
            Period(start, end) if start < end else None,
            paused,
        )
        self.assertEqual(
            coverage.gaps, (), f"days never billed for {subscription.name}"
        )
        self.assertEqual(
            coverage.overlaps, (), f"days billed twice for {subscription.name}"
        )


def d(text):
    return date.fromisoformat(text)
