# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Who may do what (docs/who-may-do-what.md), continued: Invoice Now's
answers, names in the reader's language, and what members' own actions
write, role by role.
"""

from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import d
from .trust_common import TrustCase


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
        self.assertFalse(sub.is_paused)
        self.assertEqual(len(group.event_ids), 1)
