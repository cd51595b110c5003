# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The bad-input matrix: each case gets a clear answer, or a right result.

A refusal names the record and what to do, and nothing is written: the
checks run before any write, which :meth:`assertRefusedBeforeWriting`
proves without rolling anything back. Refusals by a constraint come after
the write they refuse, which the request's rollback undoes
(:meth:`assertRefused`).
"""

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import SubscriptionGroupingCase, d

GROUP = "Grouping Customer, USD, day 1"
DAY_RULE = "from 1 to 31 (29 to 31 fall on the last day of shorter months)"
KEY_CHANGED = (
    "%s is billed with the group " + GROUP + ": its customer, company, currency, "
    "fiscal position, journal and invoicing mode must stay those of the group. "
    "Remove it from the group first."
)


class BadInputCase(SubscriptionGroupingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.subscription_grouping_anchor_day = 1
        cls.template_posted = cls._create_template(
            "Monthly posted", 1, "months", invoicing_mode="invoice"
        )

    def _state(self):
        """Everything grouping writes, as read from the database."""
        self.env.invalidate_all()
        Group = self.env["sale.subscription.group"].with_context(active_test=False)
        Partner = self.env["res.partner"].with_context(active_test=False)
        return {
            "groups": Group.search([]).read(
                [
                    "partner_id",
                    "anchor_day",
                    "anchor_month",
                    "active",
                    "transition_policy",
                    "next_run_date",
                    "subscription_ids",
                ]
            ),
            "subscriptions": self.env["sale.subscription"]
            .search([])
            .read(
                [
                    "partner_id",
                    "pricelist_id",
                    "template_id",
                    "recurring_next_date",
                    "group_id",
                    "grouping_refusal",
                    "grouping_excluded",
                    "paused",
                    "in_progress",
                ]
            ),
            "charges": self.env["sale.subscription.group.charge"]
            .search([])
            .read(["amount", "state", "date_start", "date_end"]),
            "events": self.env["sale.subscription.group.event"].search([]).ids,
            "moves": self.env["account.move"].search([]).ids,
            "messages": self.env["mail.message"]
            .search([("model", "in", ("sale.subscription.group", "sale.subscription"))])
            .ids,
            "customers": Partner.search([("id", "=", self.customer.id)]).read(
                ["active", "subscription_grouping", "subscription_grouping_anchor_day"]
            ),
        }

    def assertRefusedBeforeWriting(self, call, message, exception=UserError):
        """``call`` raises exactly ``message`` before writing anything.

        Nothing is rolled back here: whatever it wrote before raising would
        show in the state compared.
        """
        before = self._state()
        try:
            call()
        except exception as error:
            self.assertEqual(error.args[0], message)
        else:
            self.fail(f"not refused: {message}")
        self.assertEqual(self._state(), before)

    def assertRefused(self, call, message, exception=ValidationError):
        """``call`` raises exactly ``message``; with the transaction rolled
        back, as a request's is, nothing stays written."""
        before = self._state()
        with self.assertRaises(exception) as caught:
            call()
        self.assertEqual(caught.exception.args[0], message)
        self.assertEqual(self._state(), before)

    def _subscription(self, next_date, prices, template=None, code=None, **kwargs):
        subscription = self._create_subscription(
            template or self.template_monthly, next_date, prices, **kwargs
        )
        # a reference of its own: the test company has no subscription sequence
        subscription.code = code or f"SUB-{next_date}"
        return subscription

    def _preview_notes(self, partner=None):
        action = (partner or self.customer).action_preview_subscription_grouping()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        return {line.subscription_id: line.note for line in wizard.line_ids}

    def _product_lines(self, invoice):
        return [
            (line.start_date, line.end_date, line.price_subtotal)
            for line in invoice.invoice_line_ids.sorted("sequence")
            if line.display_type == "product"
        ]


@tagged("post_install", "-at_install")
class TestBadInputKeys(BadInputCase):
    """What cannot differ inside one invoice: one group each, never mixed."""

    def test_a_subscription_of_another_company_joins_a_group_of_its_company(self):
        other = self.setup_other_company(name="Grouping Elsewhere")
        company_b = other["company"]
        product_b = self.env["product.product"].create(
            {"name": "Hosting B", "company_id": company_b.id, "taxes_id": False}
        )
        here = self._subscription("2026-11-15", [100.0])
        there = self.env["sale.subscription"].create(
            {
                "company_id": company_b.id,
                "partner_id": self.customer.id,
                "template_id": self.template_monthly.id,
                "pricelist_id": self.pricelist.id,
                "date_start": "2026-12-01",
                "code": "SUB-B",
                "sale_subscription_line_ids": [
                    Command.create({"product_id": product_b.id, "price_unit": 60.0})
                ],
            }
        )
        with freeze_time("2026-12-01"):
            there.stage_id = self.stage_in_progress
        company_a = self.env.company

        with self.subTest("only one of the companies selected: refused"):
            customer = self.customer.with_context(allowed_company_ids=company_a.ids)
            message = (
                "Grouping is switched for Grouping Customer in every company, but "
                "it has subscriptions in companies you have not selected: Grouping "
                "Elsewhere. Select these companies too, then try again."
            )
            self.assertRefusedBeforeWriting(
                lambda: customer.write({"subscription_grouping": True}), message
            )
            self.assertRefusedBeforeWriting(
                customer.action_preview_subscription_grouping, message
            )

        self.customer.with_context(
            allowed_company_ids=(company_a | company_b).ids
        ).subscription_grouping = True
        self.assertRecordValues(
            here.group_id | there.group_id,
            [{"company_id": company_a.id}, {"company_id": company_b.id}],
        )
        self.assertEqual(self.customer.subscription_group_count, 2)
        invoices = self.env["account.move"]
        for group in here.group_id | there.group_id:
            group.with_company(group.company_id).action_run_now()
            invoices |= group.invoice_ids
        self.assertRecordValues(
            invoices,
            [
                {
                    "company_id": company_a.id,
                    "journal_id": self.company_data["default_journal_sale"].id,
                    "amount_untaxed": 153.33,
                },
                {
                    "company_id": company_b.id,
                    "journal_id": other["default_journal_sale"].id,
                    "amount_untaxed": 60.0,
                },
            ],
        )

    def test_another_currency_is_another_group_and_cannot_be_switched_to(self):
        eur = self.setup_other_currency("EUR")
        pricelist_eur = self.env["product.pricelist"].create(
            {"name": "Grouping EUR", "currency_id": eur.id}
        )
        usd = self._subscription("2026-12-01", [100.0])
        euro = self._subscription("2026-11-15", [90.0], pricelist=pricelist_eur)
        self.customer.subscription_grouping = True
        self.assertNotEqual(usd.group_id, euro.group_id)
        self.assertEqual(euro.group_id.name, "Grouping Customer, EUR, day 1")
        euro.group_id.action_run_now()
        self.assertRecordValues(
            euro.group_id.invoice_ids,
            [{"currency_id": eur.id, "amount_untaxed": 138.0}],
        )
        self.assertRefused(
            lambda: usd.write({"pricelist_id": pricelist_eur.id}),
            KEY_CHANGED % "SUB-2026-12-01",
        )

    def test_another_fiscal_position_is_another_group(self):
        fiscal_position = self.env["account.fiscal.position"].create({"name": "Export"})
        domestic = self._subscription("2026-12-01", [100.0])
        export = self._subscription("2026-12-01", [40.0], code="SUB-EXPORT")
        export.fiscal_position_id = fiscal_position
        self.customer.subscription_grouping = True
        self.assertNotEqual(domestic.group_id, export.group_id)
        self.assertEqual(export.group_id.fiscal_position_id, fiscal_position)
        export.group_id.action_run_now()
        self.assertRecordValues(
            export.group_id.invoice_ids,
            [{"fiscal_position_id": fiscal_position.id, "amount_untaxed": 40.0}],
        )
        self.assertRefused(
            lambda: domestic.write({"fiscal_position_id": fiscal_position.id}),
            KEY_CHANGED % "SUB-2026-12-01",
        )

    def test_another_journal_is_another_group(self):
        journal = self.company_data["default_journal_sale"].copy({"code": "SUBS"})
        usual = self._subscription("2026-12-01", [100.0])
        own = self._subscription("2026-12-01", [40.0], code="SUB-OWN")
        own.journal_id = journal
        self.customer.subscription_grouping = True
        self.assertNotEqual(usual.group_id, own.group_id)
        own.group_id.action_run_now()
        self.assertRecordValues(
            own.group_id.invoice_ids,
            [{"journal_id": journal.id, "amount_untaxed": 40.0}],
        )
        self.assertRefused(
            lambda: usual.write({"journal_id": journal.id}),
            KEY_CHANGED % "SUB-2026-12-01",
        )

    def test_a_subscription_moved_to_another_customer_while_grouped(self):
        subscription = self._subscription("2026-11-15", [100.0])
        self.customer.subscription_grouping = True
        other = self._create_customer("Other Customer")
        self.assertRefused(
            lambda: subscription.write({"partner_id": other.id}),
            KEY_CHANGED % "SUB-2026-11-15",
        )
        # another contact of the same customer: the same invoices
        contact = self.env["res.partner"].create(
            {"name": "Its IT department", "parent_id": self.customer.id}
        )
        subscription.partner_id = contact
        self.assertEqual(subscription.group_id.name, GROUP)
        # out of the group, it may move: it bills on its own from its old date
        subscription.action_remove_from_group()
        subscription.partner_id = other
        self.assertRecordValues(
            subscription,
            [
                {
                    "partner_id": other.id,
                    "group_id": False,
                    "recurring_next_date": d("2026-11-15"),
                }
            ],
        )


@tagged("post_install", "-at_install")
class TestBadInputMembers(BadInputCase):
    """Subscriptions that cannot join are shown with their reason."""

    def test_a_day_or_week_cadence_stays_out_and_cannot_be_switched_to(self):
        daily = self._create_template("Every 30 days", 30, "days")
        weekly = self._subscription(
            "2026-11-18", [9.0], template=self.template_weekly, code="SUB-WEEKLY"
        )
        days = self._subscription("2026-11-20", [3.0], template=daily, code="SUB-DAYS")
        monthly = self._subscription("2026-12-01", [100.0])
        reason = "Its cadence, in days or weeks, cannot follow a monthly billing day"
        self.assertEqual(
            self._preview_notes(),
            {
                weekly: f"Stays out: {reason}",
                days: f"Stays out: {reason}",
                monthly: "Already on the billing day",
            },
        )
        self.customer.subscription_grouping = True
        self.assertRecordValues(
            weekly | days,
            [
                {"group_id": False, "grouping_refusal": "cadence"},
                {"group_id": False, "grouping_refusal": "cadence"},
            ],
        )
        self.assertEqual(weekly.recurring_next_date, d("2026-11-18"))
        cadence_changed = (
            "SUB-2026-12-01 is billed with the group " + GROUP + ", on a billing "
            "day of the month: its cadence must stay in months or years. Remove it "
            "from the group first."
        )
        self.assertRefused(
            lambda: monthly.write({"template_id": self.template_weekly.id}),
            cadence_changed,
        )
        self.assertRefused(
            lambda: self.template_monthly.write({"recurring_rule_type": "weeks"}),
            cadence_changed,
        )

    def test_no_lines_stays_out(self):
        empty = self._subscription("2026-12-01", [])
        self.assertEqual(
            self._preview_notes(), {empty: "Stays out: It has no lines to bill"}
        )
        self.customer.subscription_grouping = True
        self.assertRecordValues(
            empty, [{"group_id": False, "grouping_refusal": "no_lines"}]
        )
        self.assertFalse(self.customer.subscription_group_ids)

    def test_no_next_date_stays_out_and_a_member_keeps_its_date(self):
        dateless = self._subscription("2026-12-01", [10.0], code="SUB-DATELESS")
        dateless.recurring_next_date = False
        member = self._subscription("2026-12-01", [100.0])
        self.assertEqual(
            self._preview_notes()[dateless], "Stays out: It has no next invoice date"
        )
        self.customer.subscription_grouping = True
        self.assertRecordValues(
            dateless, [{"group_id": False, "grouping_refusal": "no_next_date"}]
        )
        self.assertRefused(
            lambda: member.write({"recurring_next_date": False}),
            "SUB-2026-12-01 is billed with the group " + GROUP + ": it needs a next "
            "invoice date. Remove it from the group first.",
        )

    def test_a_closed_subscription_is_left_alone_and_cannot_be_added(self):
        closed = self._subscription("2026-12-01", [10.0], code="SUB-CLOSED")
        closed.close_subscription()
        running = self._subscription("2026-12-01", [100.0])
        self.assertEqual(list(self._preview_notes()), [running])
        self.customer.subscription_grouping = True
        self.assertFalse(closed.group_id)
        self.assertRefusedBeforeWriting(
            closed.action_add_to_group,
            "SUB-CLOSED is not in progress: only a running subscription can join "
            "a group.",
        )

    def test_a_paused_subscription_joins_when_it_resumes(self):
        paused = self._subscription("2026-11-15", [30.0])
        with freeze_time("2026-11-10"):
            paused.action_pause()
        self.assertEqual(
            self._preview_notes(),
            {paused: "Stays out: It is paused: it joins its group when it is resumed"},
        )
        with freeze_time("2026-11-10"):
            self.customer.subscription_grouping = True
        self.assertRecordValues(
            paused,
            [
                {
                    "group_id": False,
                    "grouping_refusal": "paused",
                    "recurring_next_date": d("2026-11-15"),
                }
            ],
        )
        with freeze_time("2026-11-20"):
            paused.action_resume()
        # serves again from Nov 20: [Nov 20, Dec 1) of [Nov 1, Dec 1) is 11 / 30
        self.assertRecordValues(
            paused,
            [
                {
                    "paused": False,
                    "grouping_refusal": False,
                    "recurring_next_date": d("2026-12-01"),
                }
            ],
        )
        self.assertRecordValues(
            paused.grouping_charge_ids,
            [
                {
                    "date_start": d("2026-11-20"),
                    "date_end": d("2026-11-30"),
                    "amount": 11.0,
                }
            ],
        )

    def test_a_start_date_in_the_future_is_billed_from_its_start(self):
        self._subscription("2026-12-01", [100.0])
        self.customer.subscription_grouping = True
        group = self.customer.subscription_group_ids
        later = self.env["sale.subscription"].create(
            self._subscription_vals(self.template_monthly, "2027-01-10", [62.0])
        )
        # subscription_oca starts it today, with today as its next invoice date
        with freeze_time("2026-11-20"):
            later.stage_id = self.stage_in_progress
        self.assertEqual(later.group_id, group)
        # its service starts Jan 10: [Jan 10, Feb 1) of [Jan 1, Feb 1) is 22 / 31
        self.assertEqual(later.recurring_next_date, d("2027-02-01"))
        self.assertRecordValues(
            later.grouping_charge_ids,
            [
                {
                    "date_start": d("2027-01-10"),
                    "date_end": d("2027-01-31"),
                    "amount": 44.0,
                }
            ],
        )

    def test_a_next_date_years_in_the_past_is_caught_up_one_run_at_a_time(self):
        subscription = self._subscription("2023-11-15", [100.0])
        self.customer.subscription_grouping = True
        group = subscription.group_id
        self.assertEqual(subscription.recurring_next_date, d("2023-12-01"))
        with freeze_time("2026-12-01"):
            group.action_run_now()
        invoice = group.invoice_ids
        self.assertRecordValues(
            invoice,
            [
                {
                    "invoice_date": d("2023-12-01"),
                    "subscription_group_run_date": d("2023-12-01"),
                    "amount_untaxed": 153.33,
                }
            ],
        )
        self.assertEqual(
            self._product_lines(invoice),
            [
                (d("2023-12-01"), d("2023-12-31"), 100.0),
                (d("2023-11-15"), d("2023-11-30"), 53.33),
            ],
        )
        self.assertEqual(group.next_run_date, d("2024-01-01"))
        with freeze_time("2026-12-01"):
            group.action_run_now()
        self.assertEqual(
            group.invoice_ids.sorted("id").mapped("subscription_group_run_date"),
            [d("2023-12-01"), d("2024-01-01")],
        )
        self.assertEqual(subscription.recurring_next_date, d("2024-02-01"))
        self.assertExactCoverage(subscription, d("2023-11-15"), d("2024-02-01"))


@tagged("post_install", "-at_install")
class TestBadInputPrices(BadInputCase):
    """Odd prices still add up, per line."""

    def test_a_zero_price_line_is_billed_at_zero(self):
        subscription = self._subscription("2026-11-15", [100.0, 0.0])
        self.customer.subscription_grouping = True
        self.assertEqual(
            subscription.grouping_charge_ids.mapped("amount"), [53.33, 0.0]
        )
        subscription.group_id.action_run_now()
        self.assertEqual(
            self._product_lines(subscription.group_id.invoice_ids),
            [
                (d("2026-12-01"), d("2026-12-31"), 100.0),
                (d("2026-12-01"), d("2026-12-31"), 0.0),
                (d("2026-11-15"), d("2026-11-30"), 53.33),
                (d("2026-11-15"), d("2026-11-30"), 0.0),
            ],
        )

    def test_a_negative_line_is_a_discount_and_a_credit_stays_out(self):
        discounted = self._subscription("2026-11-15", [100.0, -30.0])
        credit = self._subscription("2026-11-15", [-50.0], code="SUB-CREDIT")
        reason = "Its lines add up to a credit, which no invoice can bill"
        self.assertEqual(self._preview_notes()[credit], f"Stays out: {reason}")
        self.customer.subscription_grouping = True
        self.assertRecordValues(
            credit, [{"group_id": False, "grouping_refusal": "negative"}]
        )
        # 100 x 16/30 and -30 x 16/30, each rounded
        self.assertEqual(
            discounted.grouping_charge_ids.mapped("amount"), [53.33, -16.0]
        )
        discounted.group_id.action_run_now()
        invoice = discounted.group_id.invoice_ids
        self.assertEqual(invoice.amount_untaxed, 107.33)
        self.assertEqual(invoice.move_type, "out_invoice")

    def test_a_full_discount_bills_nothing_for_its_line(self):
        subscription = self._subscription("2026-11-15", [100.0, 40.0])
        subscription.sale_subscription_line_ids[0].discount = 100.0
        self.customer.subscription_grouping = True
        self.assertEqual(
            subscription.grouping_charge_ids.mapped("amount"), [0.0, 21.33]
        )
        subscription.group_id.action_run_now()
        invoice = subscription.group_id.invoice_ids
        self.assertEqual(
            [
                (line.price_unit, line.discount, line.price_subtotal)
                for line in invoice.invoice_line_ids.sorted("sequence")
                if line.display_type == "product"
            ],
            [
                (100.0, 100.0, 0.0),
                (40.0, 0.0, 40.0),
                (0.0, 0.0, 0.0),
                (21.33, 0.0, 21.33),
            ],
        )
        self.assertEqual(invoice.amount_untaxed, 61.33)

    def test_a_price_changed_after_the_last_run(self):
        subscription = self._subscription("2026-12-01", [100.0])
        self.customer.subscription_grouping = True
        group = subscription.group_id
        group.price_change_policy = "prorate"
        group.action_run_now()  # December is billed at 100
        with freeze_time("2026-12-10"):
            subscription.sale_subscription_line_ids.price_unit = 131.0
        # the rest of December, [Dec 10, Jan 1): 31 x 22/31
        self.assertRecordValues(
            group.charge_ids,
            [
                {
                    "kind": "adjustment",
                    "date_start": d("2026-12-10"),
                    "date_end": d("2026-12-31"),
                    "amount": 22.0,
                }
            ],
        )
        group.action_run_now()
        self.assertEqual(
            group.invoice_ids.sorted("id").mapped("amount_untaxed"), [100.0, 153.0]
        )

    def test_a_price_changed_after_a_run_billed_ahead(self):
        subscription = self._subscription("2026-12-01", [100.0])
        self.customer.subscription_grouping = True
        group = subscription.group_id
        group.price_change_policy = "prorate"
        with freeze_time("2026-11-20"):
            group.action_run_now()  # Invoice Now bills December ahead
        with freeze_time("2026-11-25"):
            subscription.sale_subscription_line_ids.price_unit = 130.0
        # [Nov 25, Jan 1): 6/30 of November and all December, at 30 more
        self.assertEqual(group.charge_ids.amount, 36.0)
        self.assertEqual(group.charge_ids.share, "1.2000 periods")


@tagged("post_install", "-at_install")
class TestBadInputDates(BadInputCase):
    """Billing days: only days of the month, and no drift through February."""

    def test_billing_days_0_32_and_minus_1(self):
        subscription = self._subscription("2026-11-15", [100.0])
        self.customer.subscription_grouping = True
        group = subscription.group_id
        action = group.action_preview_billing_day()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        for day in (0, 32, -1):
            with self.subTest(day=day):
                if day:  # a customer's 0 is "no day of its own"
                    self.assertRefused(
                        lambda day=day: self.customer.write(
                            {"subscription_grouping_anchor_day": day}
                        ),
                        f"The grouping billing day of Grouping Customer must be a "
                        f"day of the month, {DAY_RULE}, or empty; not {day}.",
                    )
                self.assertRefused(
                    lambda day=day: self.env["res.config.settings"]
                    .create({"subscription_group_anchor_day": day})
                    .execute(),
                    f"The grouping fixed billing day of {self.env.company.name} must "
                    f"be a day of the month, {DAY_RULE}; not {day}.",
                )
                wizard.anchor_day = day
                self.assertRefusedBeforeWriting(
                    wizard.action_preview,
                    f"The new billing day of {GROUP} must be a day of the month, "
                    f"{DAY_RULE}; not {day}.",
                )
        # a customer's day 0 is no day: the oldest subscription's is used
        self.customer.subscription_grouping = False
        self.customer.subscription_grouping_anchor_day = 0
        self.customer.subscription_grouping = True
        self.assertEqual(subscription.group_id.anchor_day, 15)

    def _run_three_months(self, anchor_day, first):
        self.customer.subscription_grouping_anchor_day = anchor_day
        subscription = self._subscription(first, [100.0])
        self.customer.subscription_grouping = True
        group = subscription.group_id
        for _month in range(3):
            group.action_run_now()
        return subscription, group.invoice_ids.sorted("id")

    def test_anchors_29_to_31_through_a_leap_february(self):
        expected = {
            29: ["2028-01-29", "2028-02-29", "2028-03-29", "2028-04-29"],
            30: ["2028-01-30", "2028-02-29", "2028-03-30", "2028-04-30"],
            31: ["2028-01-31", "2028-02-29", "2028-03-31", "2028-04-30"],
        }
        for day, dates in expected.items():
            with self.subTest(day=day):
                self.customer.subscription_grouping = False
                subscription, invoices = self._run_three_months(day, dates[0])
                self.assertEqual(
                    invoices.mapped("invoice_date"), [d(date) for date in dates[:3]]
                )
                self.assertEqual(subscription.recurring_next_date, d(dates[3]))
                self.assertEqual(invoices.mapped("amount_untaxed"), [100.0] * 3)
                self.assertExactCoverage(subscription, d(dates[0]), d(dates[3]))
                subscription.close_subscription()

    def test_anchors_29_to_31_in_a_common_february(self):
        # a member paid through Feb 10, 2027 joins; February has 28 days
        expected = {
            # A, the period [A - 1 month, A), and 100 x 18 / its days
            29: (d("2027-02-28"), d("2027-01-29"), 60.0),  # 18 / 30
            30: (d("2027-02-28"), d("2027-01-30"), 62.07),  # 18 / 29
            31: (d("2027-02-28"), d("2027-01-31"), 64.29),  # 18 / 28
        }
        for day, (aligned, period_start, amount) in expected.items():
            with self.subTest(day=day):
                self.customer.subscription_grouping = False
                self.customer.subscription_grouping_anchor_day = day
                subscription = self._subscription("2027-02-10", [100.0])
                self.customer.subscription_grouping = True
                charge = subscription.grouping_charge_ids
                self.assertEqual(subscription.recurring_next_date, aligned)
                self.assertEqual(charge.amount, amount)
                days = (aligned - period_start).days
                self.assertEqual(charge.share, f"18 of {days} days")
                subscription.close_subscription()

    def test_a_leap_day(self):
        monthly = self._subscription("2028-02-29", [100.0])
        self.customer.subscription_grouping = True
        # [Feb 29, Mar 1) of [Feb 1, Mar 1): 1 / 29
        self.assertEqual(monthly.recurring_next_date, d("2028-03-01"))
        self.assertEqual(monthly.grouping_charge_ids.amount, 3.45)
        self.customer.subscription_grouping = False
        monthly.close_subscription()
        # a yearly member on a leap day, in a group billing on the 29th
        self.customer.subscription_grouping_anchor_day = 29
        yearly = self._subscription(
            "2028-02-29", [1200.0], template=self.template_yearly, code="SUB-LEAP"
        )
        self.customer.subscription_grouping = True
        self.assertEqual(yearly.recurring_next_date, d("2028-02-29"))
        yearly.group_id.action_run_now()
        self.assertEqual(
            self._product_lines(yearly.group_id.invoice_ids),
            [(d("2028-02-29"), d("2029-02-27"), 1200.0)],
        )
        self.assertEqual(yearly.recurring_next_date, d("2029-02-28"))

    def test_a_yearly_member_follows_the_billing_month(self):
        monthly = self._subscription("2026-12-01", [100.0])
        yearly = self._subscription(
            "2026-11-15", [1200.0], template=self.template_yearly, code="SUB-YEARLY"
        )
        self.customer.subscription_grouping = True
        group = monthly.group_id
        action = group.action_preview_billing_day()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.anchor_month = "3"
        wizard.action_preview()
        wizard.action_apply()
        self.assertRecordValues(group, [{"anchor_day": 1, "anchor_month": "3"}])
        self.assertEqual(monthly.recurring_next_date, d("2026-12-01"))
        self.assertEqual(yearly.recurring_next_date, d("2027-03-01"))
        # [Dec 1, Mar 1) of the year [Mar 1 2026, Mar 1 2027): 90 / 365
        self.assertEqual(
            yearly.grouping_charge_ids.sorted("id").mapped("amount"), [52.6, 295.89]
        )
        group.action_run_now()
        self.assertEqual(group.invoice_ids.amount_untaxed, 100.0 + 52.6 + 295.89)
        self.assertEqual(group.next_run_date, d("2027-01-01"))
        self.assertRefused(
            lambda: yearly.write({"recurring_next_date": "2027-12-01"}),
            "The next invoice date of SUB-YEARLY must fall on the billing day of its "
            "group " + GROUP + ".",
        )


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


@tagged("post_install", "-at_install")
class TestBadInputChanges(BadInputCase):
    """Changes in the middle: previews gone stale, rollbacks too late."""

    def _realign_wizard(self, group, day):
        action = group.action_preview_billing_day()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.anchor_day = day
        wizard.action_preview()
        return wizard

    def test_a_group_edited_while_its_preview_is_open(self):
        subscription = self._subscription("2026-11-15", [100.0])
        self.customer.subscription_grouping = True
        group = subscription.group_id
        changed = (
            "The group " + GROUP + " changed since the plan was made (a merged "
            "invoice, its billing day, its policies or its members), so the plan "
            "would no longer be right. Preview again."
        )
        with self.subTest("its transition policy"):
            wizard = self._realign_wizard(group, 15)
            group.transition_policy = "immediate"
            self.assertRefusedBeforeWriting(wizard.action_apply, changed)
            group.transition_policy = "next_invoice"
        with self.subTest("a new member"):
            wizard = self._realign_wizard(group, 15)
            self._start_subscription(self.template_monthly, "2026-11-20", [30.0])
            self.assertEqual(len(group.subscription_ids), 2)
            self.assertRefusedBeforeWriting(wizard.action_apply, changed)
        with self.subTest("previewed again, it applies"):
            wizard.action_preview()
            wizard.action_apply()
            self.assertEqual(
                group.subscription_ids.mapped("recurring_next_date"),
                [d("2026-12-15"), d("2026-12-15")],
            )

    def test_a_rollback_after_a_posted_merged_invoice_keeps_what_was_billed(self):
        first = self._subscription(
            "2026-11-15", [100.0], template=self.template_posted, code="SUB-FIRST"
        )
        self.customer.subscription_grouping = True
        group = first.group_id
        group.action_run_now()
        self.assertEqual(group.invoice_ids.state, "posted")
        late = self._start_subscription(self.template_posted, "2026-12-20", [31.0])
        late.code = "SUB-LATE"
        # [Dec 20, Jan 1) of [Dec 1, Jan 1): 12 / 31
        self.assertEqual(group.pending_amount, 12.0)

        action = self.customer.action_preview_subscription_grouping()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        self.assertEqual(
            [
                (line.subscription_id, line.date_before, line.date_after, line.note)
                for line in wizard.line_ids
            ],
            [
                (
                    first,
                    d("2027-01-01"),
                    d("2027-01-01"),
                    "Keeps its date, bills on its own",
                ),
                (
                    late,
                    d("2027-01-01"),
                    d("2027-01-01"),
                    "Keeps its date, bills on its own",
                ),
            ],
        )
        self.assertIn(
            "a merged invoice is posted: everything invoiced stays and the members "
            "bill on their own from their current dates; pending charges of "
            "$\xa012.00 are billed on their own now",
            wizard.summary,
        )
        with freeze_time("2026-12-20"):
            wizard.action_apply()
        self.assertRecordValues(
            first | late,
            [
                {"group_id": False, "recurring_next_date": d("2027-01-01")},
                {"group_id": False, "recurring_next_date": d("2027-01-01")},
            ],
        )
        own = group.invoice_ids.filtered(
            lambda move: not move.subscription_group_run_date
        )
        self.assertRecordValues(
            own,
            [
                {
                    "state": "posted",
                    "invoice_date": d("2026-12-20"),
                    "amount_untaxed": 12.0,
                }
            ],
        )
        self.assertEqual(
            group.event_ids.filtered(
                lambda event: event.kind == "ungroup"
            ).subscription_id,
            first | late,
        )
        self.assertFalse(group.event_ids.filtered(lambda e: e.kind == "rollback"))
        self.assertExactCoverage(first, d("2026-11-15"), d("2027-01-01"))
        self.assertExactCoverage(late, d("2026-12-20"), d("2027-01-01"))


@tagged("post_install", "-at_install")
class TestBadInputDanish(BadInputCase):
    """Each answer is a translated term: a Danish user reads it in Danish."""

    def test_refusals_speak_the_users_language(self):
        self.env["res.lang"]._activate_lang("da_DK")
        self.env["ir.module.module"]._load_module_terms(
            ["subscription_grouping"], ["da_DK"]
        )
        danish = self.env(context=dict(self.env.context, lang="da_DK"))
        subscription = self._subscription("2026-12-01", [100.0], self.template_posted)
        closed = self._subscription("2026-12-01", [10.0], code="SUB-CLOSED")
        closed.close_subscription()
        self.customer.subscription_grouping = True
        group = subscription.group_id
        other = self._create_customer("Other Customer")
        self.assertRefused(
            lambda: subscription.with_env(danish).write({"partner_id": other.id}),
            "SUB-2026-12-01 faktureres sammen med gruppen " + GROUP + ": dets kunde, "
            "virksomhed, valuta, skatteposition, journal og faktureringsmåde skal "
            "forblive gruppens. Fjern det først fra gruppen.",
        )
        self.assertRefusedBeforeWriting(
            closed.with_env(danish).action_add_to_group,
            "SUB-CLOSED er ikke igangværende: kun et igangværende abonnement kan "
            "tilslutte sig en gruppe.",
        )
        self.assertRefused(
            lambda: self.customer.with_env(danish).write(
                {"subscription_grouping_anchor_day": 32}
            ),
            "Faktureringsdagen for gruppering for Grouping Customer skal være en dag "
            "i måneden, fra 1 til 31 (29 til 31 falder på den sidste dag i kortere "
            "måneder), eller tom; ikke 32.",
        )
        self.customer.active = False
        self.assertRefusedBeforeWriting(
            group.with_env(danish).action_run_now,
            "Kunden Grouping Customer i gruppen " + GROUP + " er arkiveret: gendan "
            "kunden for at fakturere den, eller luk dens abonnementer.",
        )
