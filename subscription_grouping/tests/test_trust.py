# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Who may do what (docs/who-may-do-what.md), role by role: a salesman, a
sales administrator, a billing user, an auditor, a portal user and OdooBot.

Only billing users and the scheduled runs make and post invoices; the
history (events, charges) is written by the module only; a preview's plan is
the server's; Invoice Now says what it did.
"""

from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import MANAGER_GROUP, SubscriptionGroupingCase, d

SALES = "sales_team.group_sale_salesman_all_leads"
SALES_ADMIN = "sales_team.group_sale_manager"
BILLING = "account.group_account_invoice"
AUDITOR = "account.group_account_readonly"


class TrustCase(SubscriptionGroupingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        for attribute, groups in (
            ("salesman", SALES),
            ("sales_admin", SALES_ADMIN),
            ("billing", f"{SALES},{BILLING}"),
            ("billing_admin", f"{SALES_ADMIN},{BILLING}"),
            ("auditor", AUDITOR),
        ):
            user = new_test_user(
                cls.env,
                login=f"trust_{attribute}",
                groups=groups,
                company_id=company.id,
                company_ids=[company.id],
            )
            setattr(cls, attribute, user)
        cls.odoobot = cls.env.ref("base.user_root")
        cls.customer.subscription_grouping_anchor_day = 1
        cls.template_posted = cls._create_template(
            "Monthly posted", 1, "months", invoicing_mode="invoice"
        )

    def _group_of(self, *prices, policy=None, **group_vals):
        """The customer's group, of monthly posted subscriptions due Dec 1."""
        subs = self.env["sale.subscription"]
        for price in prices:
            subs |= self._create_subscription(
                self.template_posted, "2026-12-01", [price]
            )
        self.customer.subscription_grouping = True
        group = subs.group_id
        group.write(group_vals)
        return group, subs

    def _as_odoobot(self):
        """The scheduled action's user, in the fixtures' company (which
        company a bill run works in is another matter, issue 16's)."""
        return (
            self.env["sale.subscription.group"]
            .with_user(self.odoobot)
            .with_company(self.env.company)
        )

    def _moves(self):
        return self.env["account.move"].search(
            [("partner_id", "child_of", self.customer.id)], order="id"
        )


@tagged("post_install", "-at_install")
class TestNoPostingWithoutBillingRights(TrustCase):
    def test_a_salesmans_close_leaves_the_credit_to_the_scheduled_run(self):
        group, sub = self._group_of(100.0, cancellation_policy="credit")
        with freeze_time("2026-11-20"):
            sub.with_user(self.salesman).close_subscription()
        # closed on Nov 20, paid through Dec 1: 100 x 11/30 credited, no
        # document made by the salesman's action
        self.assertFalse(self._moves())
        credit = group.charge_ids
        self.assertEqual(credit.mapped("kind"), ["credit"])
        self.assertEqual(credit.amount, -36.67)
        self.assertEqual(credit.state, "pending")
        self.assertTrue(credit.settle_by_run)
        self.assertEqual(group.event_ids.filtered("charge_ids").user_id, self.salesman)
        note = str(group.message_ids[0].body)
        self.assertIn("-\ufeff36.67 to bill at once waits for the next ", note)
        self.assertIn(f"scheduled run: {self.salesman.name} has no billing", note)
        # the scheduled run, as OdooBot, makes and posts the credit note
        with freeze_time("2026-11-21"):
            Group = self._as_odoobot()
            self.assertEqual(Group._cron_bill(), group)
        refund = self._moves()
        self.assertEqual(refund.move_type, "out_refund")
        self.assertEqual(refund.state, "posted")
        self.assertEqual(refund.invoice_date, d("2026-11-21"))
        self.assertEqual(refund.amount_total, 36.67)
        self.assertEqual(refund.create_uid, self.odoobot)
        self.assertEqual(credit.state, "invoiced")
        # and the next run finds nothing left
        with freeze_time("2026-11-22"):
            self.assertFalse(self.env["sale.subscription.group"]._cron_bill())

    def test_a_run_by_a_user_without_billing_rights_fails_for_the_day(self):
        group, sub = self._group_of(100.0, cancellation_policy="credit")
        with freeze_time("2026-11-20"):
            sub.with_user(self.salesman).close_subscription()
        # a bill run by a scheduled action set to a sales administrator
        with (
            freeze_time("2026-11-21"),
            mute_logger(
                "odoo.addons.subscription_grouping.models."
                "sale_subscription_group_run"
            ),
        ):
            self.assertFalse(group.with_user(self.sales_admin)._bill(d("2026-11-21")))
        self.assertFalse(self._moves())
        self.assertEqual(group.charge_ids.state, "pending")
        self.assertEqual(group.billing_failed_on, d("2026-11-21"))
        self.assertEqual(group.billing_error_run_date, d("2026-11-21"))
        self.assertEqual(
            group.billing_error,
            f"The bill run's user {self.sales_admin.name} has no billing rights "
            "(Invoicing: Billing), so it cannot bill the charges waiting for the "
            "scheduled run.",
        )

    def test_a_billing_users_close_posts_the_credit_note_himself(self):
        group, sub = self._group_of(100.0, cancellation_policy="credit")
        with freeze_time("2026-11-20"):
            sub.with_user(self.billing).close_subscription()
        refund = self._moves()
        self.assertEqual(refund.move_type, "out_refund")
        self.assertEqual(refund.state, "posted")
        self.assertEqual(refund.invoice_date, d("2026-11-20"))
        self.assertEqual(refund.amount_total, 36.67)
        self.assertEqual(refund.create_uid, self.billing)
        self.assertEqual(group.charge_ids.state, "invoiced")
        self.assertFalse(group.charge_ids.settle_by_run)

    def test_an_immediate_transition_started_by_a_salesman_waits(self):
        group, _sub = self._group_of(40.0, transition_policy="immediate")
        new = self.env["sale.subscription"].create(
            self._subscription_vals(self.template_posted, "2026-11-15", [100.0])
        )
        with freeze_time("2026-11-15"):
            new.with_user(self.salesman).stage_id = self.stage_in_progress
        # joined: Nov 15 to Dec 1, 16 of 30 days of 100, left for the run
        self.assertEqual(new.group_id, group)
        self.assertEqual(new.recurring_next_date, d("2026-12-01"))
        transition = group.charge_ids
        self.assertEqual(transition.amount, 53.33)
        self.assertEqual(
            (transition.state, transition.settle_by_run), ("pending", True)
        )
        self.assertFalse(self._moves())
        # the next night's run bills it on an invoice of its own, posted as
        # the group's invoicing mode says; Dec 1 is not due yet
        self._cron("2026-11-16")
        invoice = self._moves()
        self.assertEqual(invoice.move_type, "out_invoice")
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.invoice_date, d("2026-11-16"))
        self.assertEqual(invoice.amount_total, 53.33)
        self.assertFalse(invoice.subscription_group_run_date)
        self.assertEqual(transition.state, "invoiced")
        self.assertEqual(group.next_run_date, d("2026-12-01"))

    def test_a_sales_administrator_switches_on_without_billing(self):
        self.env.company.subscription_group_transition_policy = "immediate"
        sub = self._create_subscription(self.template_posted, "2026-11-15", [100.0])
        customer = self.customer.with_user(self.sales_admin)
        action = customer.action_preview_subscription_grouping()
        wizard = self.env[action["res_model"]].with_user(self.sales_admin)
        wizard.browse(action["res_id"]).action_apply()
        group = sub.group_id
        self.assertEqual(group.charge_ids.amount, 53.33)
        self.assertEqual(group.charge_ids.state, "pending")
        self.assertTrue(group.charge_ids.settle_by_run)
        self.assertFalse(self._moves())

    def test_a_billing_administrator_switches_on_and_bills_at_once(self):
        self.env.company.subscription_group_transition_policy = "immediate"
        sub = self._create_subscription(self.template_posted, "2026-11-15", [100.0])
        with freeze_time("2026-11-15"):
            self.customer.with_user(self.billing_admin).subscription_grouping = True
        invoice = self._moves()
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_total, 53.33)
        self.assertEqual(invoice.create_uid, self.billing_admin)
        self.assertEqual(sub.group_id.charge_ids.state, "invoiced")

    def test_the_scheduled_run_posts_as_odoobot(self):
        group, _subs = self._group_of(100.0, 40.0)
        with freeze_time("2026-12-01"):
            Group = self._as_odoobot()
            self.assertEqual(Group._cron_bill(), group)
        invoice = group.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_total, 140.0)
        self.assertEqual(invoice.subscription_group_run_date, d("2026-12-01"))
        self.assertEqual(invoice.create_uid, self.odoobot)
        self.assertEqual(group.next_run_date, d("2027-01-01"))


@tagged("post_install", "-at_install")
class TestServerPlans(TrustCase):
    def _open(self, user):
        customer = self.customer.with_user(user)
        action = customer.action_preview_subscription_grouping()
        return self.env[action["res_model"]].with_user(user).browse(action["res_id"])

    def _tampered(self, plan):
        """The shown plan with a later next date and a -999.00 transition."""
        entry = plan[0]
        entry["move"]["new"] = "2027-03-01"
        entry["move"]["charge"]["end"] = "2027-03-01"
        entry["move"]["charge"]["lines"][0][2] = "-999.00"
        return plan

    def test_a_client_cannot_write_a_plan_nor_its_summary(self):
        sub = self._create_subscription(self.template_posted, "2026-11-15", [100.0])
        wizard = self._open(self.sales_admin)
        shown = wizard.plan
        self.assertEqual(shown[0]["move"]["new"], "2026-12-01")
        self.assertEqual(shown[0]["move"]["charge"]["lines"][0][2], "53.33")
        summary = wizard.summary
        line = wizard.line_ids
        for vals in (
            {"plan": self._tampered(wizard.plan)},
            {"summary": "<img src=x onerror=alert(1)>"},
            {"planned_anchor": "15/"},
            {"line_ids": [(5, 0, 0)]},
            {"partner_id": self._create_customer("Someone Else").id},
        ):
            with self.subTest(vals=list(vals)), self.assertRaises(AccessError):
                wizard.write(vals)
        with self.assertRaises(AccessError):
            line.write({"amount": -999.0})
        Preview = self.env["sale.subscription.group.preview"]
        Preview = Preview.with_user(self.sales_admin)
        with self.assertRaises(AccessError):
            Preview.create(
                {"mode": "group", "partner_id": self.customer.id, "plan": shown}
            )
        self.assertEqual(wizard.plan, shown)
        self.assertEqual(wizard.summary, summary)
        self.assertEqual(wizard.line_ids, line)
        self.assertEqual(line.amount, 53.33)
        wizard.action_apply()
        self.assertEqual(sub.recurring_next_date, d("2026-12-01"))
        self.assertEqual(sub.group_id.charge_ids.amount, 53.33)

    def test_a_tampered_plan_is_refused_and_nothing_written(self):
        sub = self._create_subscription(self.template_posted, "2026-11-15", [100.0])
        wizard = self._open(self.sales_admin)
        # as if the plan had been written past the server (a bug, a script)
        wizard.sudo().write({"plan": self._tampered(wizard.plan)})
        with self.assertRaises(UserError) as caught:
            wizard.action_apply()
        self.assertEqual(
            caught.exception.args[0],
            f"These subscriptions changed since the plan was made, so it would no "
            f"longer be right: {sub.display_name}. Preview again.",
        )
        self.assertFalse(self.customer.subscription_grouping)
        self.assertFalse(sub.group_id)
        self.assertEqual(sub.recurring_next_date, d("2026-11-15"))
        self.assertFalse(self.customer.subscription_group_ids)
        self.assertFalse(
            self.env["sale.subscription.group.event"].search(
                [("subscription_id", "=", sub.id)]
            )
        )
        # previewed again, the server's plan applies
        wizard.action_preview()
        wizard.action_apply()
        self.assertEqual(sub.recurring_next_date, d("2026-12-01"))
        self.assertEqual(sub.group_id.charge_ids.amount, 53.33)

    def test_the_same_plan_in_another_order_applies(self):
        first = self._create_subscription(self.template_posted, "2026-11-15", [100.0])
        second = self._create_subscription(self.template_posted, "2026-11-20", [60.0])
        wizard = self._open(self.sales_admin)
        # the entries, and a key's pairs, as another read would order them
        plan = [
            dict(entry, key=list(reversed(entry["key"])))
            for entry in reversed(wizard.plan)
        ]
        wizard.sudo().write({"plan": plan})
        wizard.action_apply()
        self.assertEqual(first.group_id, second.group_id)
        self.assertEqual(
            sorted(first.group_id.charge_ids.mapped("amount")), [22.0, 53.33]
        )

    def test_a_plan_gone_stale_is_refused(self):
        sub = self._create_subscription(self.template_posted, "2026-11-15", [100.0])
        wizard = self._open(self.sales_admin)
        sub.sale_subscription_line_ids.price_unit = 130.0
        with self.assertRaisesRegex(UserError, "Preview again"):
            wizard.action_apply()
        self.assertFalse(sub.group_id)


@tagged("post_install", "-at_install")
class TestReadOnlyHistory(TrustCase):
    def test_events_and_charges_are_read_only_for_every_role(self):
        group, sub = self._group_of(100.0, transition_policy="next_invoice")
        with freeze_time("2026-11-20"):
            sub.action_pause()
        event = group.event_ids.sorted("id")[0]
        # the module's own write (see the event's _record)
        charge = (
            self.env["sale.subscription.group.charge"]
            .sudo()
            .create(
                {
                    "group_id": group.id,
                    "event_id": event.id,
                    "subscription_id": sub.id,
                    "kind": "adjustment",
                    "date_start": "2026-11-20",
                    "date_end": "2026-11-30",
                    "ratio_numerator": 11,
                    "ratio_denominator": 30,
                    "amount": 10.0,
                }
            )
        )
        for user in (
            self.salesman,
            self.sales_admin,
            self.billing,
            self.billing_admin,
            self.auditor,
        ):
            with self.subTest(user=user.login):
                events = group.event_ids.with_user(user)
                charges = charge.with_user(user)
                self.assertEqual(events.sorted("id").mapped("kind"), ["join", "pause"])
                self.assertEqual(charges.read(["amount"])[0]["amount"], 10.0)
                for call in (
                    lambda events=events: events.write({"date_to": "2027-03-01"}),
                    lambda events=events: events.unlink(),
                    lambda events=events: events.create(
                        {
                            "group_id": group.id,
                            "kind": "join",
                            "subscription_id": sub.id,
                        }
                    ),
                    lambda charges=charges: charges.write({"amount": -999.0}),
                    lambda charges=charges: charges.unlink(),
                    lambda charges=charges: charges.copy(),
                ):
                    with self.assertRaises(AccessError):
                        call()
        self.assertEqual(len(group.event_ids), 2)
        self.assertEqual(charge.amount, 10.0)


@tagged("post_install", "-at_install")
class TestInvoiceNow(TrustCase):
    def _failed(self, group):
        group.sudo().write(
            {
                "billing_error": "Earlier failure",
                "billing_failed_on": "2026-11-30",
                "billing_error_run_date": "2026-12-01",
            }
        )

    def test_who_may_invoice_now(self):
        group, _subs = self._group_of(100.0)
        for user in (self.salesman, self.sales_admin, self.billing, self.auditor):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                group.with_user(user).action_run_now()
        self.assertFalse(group.invoice_ids)

    def test_billed_it_opens_the_invoice_and_clears_the_failure(self):
        group, _subs = self._group_of(100.0, 40.0)
        self._failed(group)
        with freeze_time("2026-11-20"):
            action = group.with_user(self.billing_admin).action_run_now()
        invoice = group.invoice_ids
        self.assertEqual(
            (action["res_model"], action["res_id"]), ("account.move", invoice.id)
        )
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_total, 140.0)
        self.assertEqual(invoice.invoice_date, d("2026-12-01"))
        self.assertEqual(invoice.create_uid, self.billing_admin)
        self.assertFalse(group.billing_error)
        self.assertFalse(group.billing_failed_on)

    def test_nothing_due_says_so_and_keeps_the_failure(self):
        group, sub = self._group_of(100.0)
        with freeze_time("2026-11-20"):
            sub.action_pause()
        self._failed(group)
        action = group.with_user(self.billing_admin).action_run_now()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "info")
        self.assertEqual(
            action["params"]["message"],
            "Nothing to invoice for Grouping Customer, USD, day 1: none of its "
            "subscriptions is running (closed, paused or left), so no merged "
            "invoice is planned.",
        )
        self.assertFalse(group.invoice_ids)
        self.assertEqual(group.billing_error, "Earlier failure")

    def test_held_by_another_transaction_says_try_again(self):
        group, _subs = self._group_of(100.0)
        self._failed(group)
        Group = self.env["sale.subscription.group"]
        with patch.object(
            type(Group), "_lock_for_run", lambda groups, skip_changed=True: Group
        ):
            action = group.with_user(self.billing_admin).action_run_now()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertEqual(
            action["params"]["message"],
            "Grouping Customer, USD, day 1 is being billed by another transaction "
            "(the scheduled run, or another user): nothing was invoiced. Try again "
            "in a moment.",
        )
        self.assertFalse(group.invoice_ids)
        self.assertEqual(group.billing_error, "Earlier failure")
        self.assertEqual(group.next_run_date, d("2026-12-01"))

    def test_an_error_is_raised_and_the_failure_kept(self):
        group, _subs = self._group_of(100.0)
        self._failed(group)
        self.customer.active = False
        with self.assertRaises(UserError) as caught:
            group.with_user(self.billing_admin).action_run_now()
        self.assertEqual(
            caught.exception.args[0],
            "The customer Grouping Customer of the group Grouping Customer, USD, day "
            "1 is archived: restore the customer to bill it, or close its "
            "subscriptions.",
        )
        self.assertFalse(group.invoice_ids)
        self.assertEqual(group.billing_error, "Earlier failure")


@tagged("post_install", "-at_install")
class TestNamesInTheReadersLanguage(TrustCase):
    def test_a_groups_name_is_in_the_language_of_who_reads_it(self):
        self.env["res.lang"]._activate_lang("da_DK")
        self.env["ir.module.module"]._load_module_terms(
            ["subscription_grouping"], ["da_DK"]
        )
        group, _subs = self._group_of(100.0)
        danish = group.with_context(lang="da_DK")
        english = group.with_context(lang="en_US")
        self.assertEqual(danish.display_name, "Grouping Customer, USD, dag 1")
        self.assertEqual(danish.name, "Grouping Customer, USD, dag 1")
        self.assertEqual(english.display_name, "Grouping Customer, USD, day 1")
        self.assertEqual(danish.display_name, "Grouping Customer, USD, dag 1")
        Group = self.env["sale.subscription.group"]
        self.assertEqual(Group.search([("name", "ilike", "grouping cust")]), group)
        self.assertIn(group, Group.search([("name", "ilike", "usd")]))
        self.assertNotIn(group, Group.search([("name", "not ilike", "grouping cust")]))
        self.assertEqual(
            Group.name_search("Grouping Customer"), [(group.id, group.display_name)]
        )


@tagged("post_install", "-at_install")
class TestManagerGroupsInTests(TrustCase):
    def test_the_roles_are_what_the_tests_assume(self):
        self.assertTrue(self.sales_admin.has_group(MANAGER_GROUP))
        self.assertFalse(self.sales_admin.has_group(BILLING))
        self.assertFalse(self.salesman.has_group(MANAGER_GROUP))
        self.assertFalse(self.salesman.has_group(BILLING))
        self.assertTrue(self.billing.has_group(BILLING))
        self.assertFalse(self.billing.has_group(MANAGER_GROUP))
        self.assertTrue(self.billing_admin.has_group(MANAGER_GROUP))
        self.assertTrue(self.billing_admin.has_group(BILLING))
        self.assertFalse(self.auditor.has_group(BILLING))


@tagged("post_install", "-at_install")
class TestMembersActionsByRole(TrustCase):
    """What a member's own actions write, whoever may take them."""

    def test_a_salesmans_price_change_waits_for_the_next_merged_invoice(self):
        group, sub = self._group_of(100.0, price_change_policy="prorate")
        with freeze_time("2026-11-20"):
            sub.sale_subscription_line_ids.with_user(self.salesman).price_unit = 130.0
        # 30 more for Nov 20 to Dec 1, 11 of 30 days: on the next merged invoice
        event = group.event_ids.filtered(lambda event: event.kind == "price")
        self.assertEqual(event.user_id, self.salesman)
        self.assertEqual((event.price_before, event.price_after), (100.0, 130.0))
        adjustment = event.charge_ids
        self.assertEqual(adjustment.amount, 11.0)
        self.assertEqual(
            (adjustment.state, adjustment.settle_by_run), ("pending", False)
        )
        self.assertFalse(self._moves())
        self._cron("2026-12-01")
        self.assertEqual(group.invoice_ids.amount_total, 141.0)
        self.assertEqual(adjustment.state, "invoiced")

    def test_a_salesmans_resume_leaves_an_immediate_transition_to_the_run(self):
        group, sub = self._group_of(100.0, transition_policy="immediate")
        with freeze_time("2026-11-20"):
            sub.with_user(self.salesman).action_pause()
        self.assertFalse(group.next_run_date)
        with freeze_time("2026-12-05"):
            sub.with_user(self.salesman).action_resume()
        # service from Dec 5: 27 of 31 days to Jan 1, left for the run
        self.assertEqual(sub.recurring_next_date, d("2027-01-01"))
        events = group.event_ids.sorted("id")
        self.assertEqual(events.mapped("kind"), ["join", "pause", "resume"])
        self.assertEqual(events[1:].user_id, self.salesman)
        transition = events[2].charge_ids
        self.assertEqual(transition.amount, 87.10)
        self.assertEqual(
            (transition.state, transition.settle_by_run), ("pending", True)
        )
        self.assertFalse(self._moves())
        self._cron("2026-12-06")
        invoice = self._moves()
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.invoice_date, d("2026-12-06"))
        self.assertEqual(invoice.amount_total, 87.10)
        self.assertEqual(transition.state, "invoiced")

    def test_only_grouping_managers_move_members_or_change_the_billing_day(self):
        group, subs = self._group_of(100.0, 40.0)
        first, second = subs
        for user in (self.salesman, self.billing, self.auditor):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    first.with_user(user).action_remove_from_group()
                with self.assertRaises(AccessError):
                    group.with_user(user).action_preview_billing_day()
        with freeze_time("2026-11-20"):
            first.with_user(self.sales_admin).action_remove_from_group()
            self.assertFalse(first.group_id)
            self.assertTrue(first.grouping_excluded)
            self.assertEqual(first.recurring_next_date, d("2026-12-01"))
            action = group.with_user(self.sales_admin).action_preview_billing_day()
            wizard = self.env[action["res_model"]].with_user(self.sales_admin)
            wizard = wizard.browse(action["res_id"])
            wizard.anchor_day = 15
            wizard.action_preview()
            wizard.action_apply()
        self.assertEqual(group.anchor_day, 15)
        self.assertEqual(second.recurring_next_date, d("2026-12-15"))
        events = group.event_ids.sorted("id")
        self.assertEqual(events.mapped("kind"), ["join", "join", "ungroup", "realign"])
        self.assertEqual(events[2:].user_id, self.sales_admin)
        # Dec 1 to Dec 15, 14 days of the month to the new billing day (Nov 15
        # to Dec 15) at 40: on the next merged invoice
        self.assertEqual(events[3].charge_ids.share, "14 of 30 days")
        self.assertEqual(events[3].charge_ids.amount, 18.67)
        self.assertFalse(self._moves())

    def test_a_portal_user_takes_no_action(self):
        group, sub = self._group_of(100.0)
        portal = new_test_user(
            self.env, login="trust_portal", groups="base.group_portal"
        )
        portal.partner_id.parent_id = self.customer
        for call in (
            lambda: group.with_user(portal).action_run_now(),
            lambda: sub.with_user(portal).action_pause(),
            lambda: sub.with_user(portal).close_subscription(),
            lambda: self.customer.with_user(portal).write(
                {"subscription_grouping": False}
            ),
        ):
            with self.assertRaises(AccessError):
                call()
        self.assertEqual(sub.group_id, group)
        self.assertFalse(sub.paused)
        self.assertEqual(len(group.event_ids), 1)
