# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Who may do what (docs/who-may-do-what.md), role by role: a salesman, a
sales administrator, a billing user (and one who is also a grouping manager),
an auditor, a portal user and OdooBot.

Only billing users and the scheduled runs make and post invoices; the
history (events, charges) is written by the module only; a preview's plan is
the server's. Invoice Now, names and members' actions: test_trust_actions.
"""

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import MANAGER_GROUP, d
from .trust_common import BILLING, TrustCase


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
