# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The bad-input matrix (see bad_input_common): what keeps a subscription
in its group, or out of every group.
"""

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .bad_input_common import GROUP, KEY_CHANGED, BadInputCase
from .common import d


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
                    "is_paused": False,
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
