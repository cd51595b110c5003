# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import SubscriptionGroupingCase, d


@tagged("post_install", "-at_install")
class TestAccountantGestures(SubscriptionGroupingCase):
    """What a billing user does to merged invoices every day: each gesture
    keeps every day billed once, or says it was credited."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.subscription_grouping_anchor_day = 1
        # billing rights only: no sales rights, no grouping rights
        cls.accountant = new_test_user(
            cls.env,
            login="grouping_accountant",
            groups="account.group_account_invoice",
            company_id=cls.env.company.id,
            company_ids=[cls.env.company.id],
        )
        cls.joined = cls._create_subscription(
            cls.template_monthly, "2026-11-15", [100.0]
        )
        cls.aligned = cls._create_subscription(
            cls.template_monthly, "2026-12-01", [40.0]
        )
        cls.joined.code = "SUB-JOINED"
        cls.aligned.code = "SUB-ALIGNED"
        cls.customer.subscription_grouping = True
        cls.group = cls.joined.group_id
        cls.transition = cls.group.charge_ids

    def _bill(self, day):
        before = self.group.invoice_ids
        self._cron(day)
        return self.group.invoice_ids - before

    def _as_accountant(self, moves):
        return moves.with_user(self.accountant)

    def _post(self, moves):
        with freeze_time("2026-12-10"):
            self._as_accountant(moves).action_post()

    def _reverse(self, invoice, is_modify=False):
        with freeze_time("2026-12-10"):
            return self._reverse_now(invoice, is_modify)

    def _reverse_now(self, invoice, is_modify):
        wizard = (
            self.env["account.move.reversal"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "journal_id": invoice.journal_id.id,
                    "date": d("2026-12-10"),
                    "reason": "Customer complaint",
                }
            )
        )
        wizard.reverse_moves(is_modify=is_modify)
        return wizard.new_move_ids

    def _putback_events(self):
        return self.group.event_ids.filtered(lambda e: e.kind == "putback").sorted(
            lambda event: (event.id > 0, event.subscription_id.id, event.id)
        )

    def assertBilledOnceAfterRebilling(self):
        """Billing again bills what was put back once: the same December,
        then January, and every day from the joins on exactly once."""
        december = self._bill("2026-12-01")
        self.assertRecordValues(
            december,
            [
                {
                    "subscription_group_run_date": d("2026-12-01"),
                    "amount_untaxed": 193.33,
                    "state": "draft",
                }
            ],
        )
        self.assertEqual(self.transition.state, "invoiced")
        self.assertEqual(
            self.transition.move_line_ids.move_id.filtered(
                lambda move: move.state != "cancel"
            ),
            december,
        )
        january = self._bill("2027-01-01")
        self.assertRecordValues(
            january,
            [{"subscription_group_run_date": d("2027-01-01"), "amount_untaxed": 140.0}],
        )
        self.assertExactCoverage(self.joined, d("2026-11-15"), d("2027-02-01"))
        self.assertExactCoverage(self.aligned, d("2026-12-01"), d("2027-02-01"))

    def assertPutBack(self, invoice, note):
        self.assertRecordValues(
            self.joined | self.aligned,
            [
                {"recurring_next_date": d("2026-12-01"), "group_id": self.group.id},
                {"recurring_next_date": d("2026-12-01"), "group_id": self.group.id},
            ],
        )
        self.assertEqual(self.group.next_run_date, d("2026-12-01"))
        self.assertEqual(self.transition.state, "pending")
        self.assertEqual(self.group.pending_amount, 53.33)
        self.assertRecordValues(
            self._putback_events(),
            [
                {
                    "subscription_id": self.joined.id,
                    "date_from": d("2027-01-01"),
                    "date_to": d("2026-12-01"),
                    "amount": -153.33,
                    "note": note,
                    "user_id": self.accountant.id,
                },
                {
                    "subscription_id": self.aligned.id,
                    "date_from": d("2027-01-01"),
                    "date_to": d("2026-12-01"),
                    "amount": -40.0,
                    "note": note,
                    "user_id": self.accountant.id,
                },
            ],
        )
        self.assertIn(
            f"SUB-JOINED: {note}, its run is put back: next invoice date "
            "01/01/2027 becomes 12/01/2026 again; $&nbsp;153.33 to bill again.",
            self.group.message_ids[:1].body,
        )

    # -- cancel and delete ----------------------------------------------------
    def test_cancelling_the_latest_merged_draft_puts_its_run_back(self):
        invoice = self._bill("2026-12-01")
        self.assertEqual(self.transition.state, "invoiced")
        self._as_accountant(invoice).button_cancel()
        self.assertEqual(invoice.state, "cancel")
        self.assertPutBack(invoice, "Draft Invoice of 12/01/2026 cancelled")
        self.assertEqual(self._putback_events().invoice_id, invoice)
        self.assertBilledOnceAfterRebilling()

    def test_deleting_the_latest_merged_draft_puts_its_run_back(self):
        invoice = self._bill("2026-12-01")
        self._as_accountant(invoice).unlink()
        self.assertFalse(invoice.exists())
        self.assertPutBack(invoice, "Draft Invoice of 12/01/2026 deleted")
        self.assertBilledOnceAfterRebilling()

    def test_cancelling_a_posted_merged_invoice_puts_its_run_back(self):
        invoice = self._bill("2026-12-01")
        self._post(invoice)
        self._as_accountant(invoice).button_cancel()
        self.assertEqual(invoice.state, "cancel")
        self.assertPutBack(invoice, "INV/2026/00001 cancelled")
        self.assertBilledOnceAfterRebilling()

    def test_an_earlier_run_is_refused_while_a_later_one_lives(self):
        december = self._bill("2026-12-01")
        january = self._bill("2027-01-01")
        with self.assertRaisesRegex(UserError, "later runs build on it") as caught:
            self._as_accountant(december).button_cancel()
        self.assertEqual(
            caught.exception.args[0],
            "Draft Invoice of 12/01/2026 bills the run of 12/01/2026 of the group "
            f"{self.group.display_name}, and later runs build on it: cancel or "
            "delete Draft Invoice of 01/01/2027 first.",
        )
        self.assertEqual(december.state, "draft")
        self.assertEqual(self.joined.recurring_next_date, d("2027-02-01"))
        self.assertFalse(self._putback_events())
        # both at once: the latest first, then the earlier one
        self._as_accountant(december | january).button_cancel()
        self.assertEqual(self.joined.recurring_next_date, d("2026-12-01"))
        self.assertEqual(self.aligned.recurring_next_date, d("2026-12-01"))
        self.assertEqual(len(self._putback_events()), 4)
        self.assertBilledOnceAfterRebilling()

    def test_a_run_whose_member_changed_since_is_refused(self):
        invoice = self._bill("2026-12-01")
        self.joined.action_pause()
        with self.assertRaisesRegex(UserError, "changed since") as caught:
            self._as_accountant(invoice).button_cancel()
        self.assertEqual(
            caught.exception.args[0],
            "SUB-JOINED changed since Draft Invoice of 12/01/2026 billed them (closed, "
            "paused, re-priced or moved to another billing day), so its run cannot "
            "be put back: keep it, or post it and credit it with a credit note.",
        )
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(self.transition.state, "invoiced")

    def test_a_salesman_cannot_cancel_a_merged_invoice(self):
        invoice = self._bill("2026-12-01")
        salesman = new_test_user(
            self.env,
            login="grouping_salesman",
            groups="sales_team.group_sale_salesman",
        )
        with self.assertRaises(AccessError):
            invoice.with_user(salesman).button_cancel()
        self.assertEqual(self.joined.recurring_next_date, d("2027-01-01"))

    # -- reset to draft ---------------------------------------------------------
    def test_reset_to_draft_and_post_again_keeps_every_link(self):
        invoice = self._bill("2026-12-01")
        self._post(invoice)
        self._as_accountant(invoice).button_draft()
        self._post(invoice)
        self.assertRecordValues(
            invoice,
            [
                {
                    "state": "posted",
                    "subscription_group_id": self.group.id,
                    "subscription_group_run_date": d("2026-12-01"),
                    "amount_untaxed": 193.33,
                }
            ],
        )
        self.assertEqual(
            invoice.invoice_line_ids.filtered("subscription_id").subscription_id,
            self.joined | self.aligned,
        )
        self.assertEqual(self.transition.state, "invoiced")
        self.assertEqual(self.joined.recurring_next_date, d("2027-01-01"))
        self.assertFalse(self._putback_events())

    # -- credit notes ---------------------------------------------------------
    def _credit_events(self):
        return self.group.event_ids.filtered(lambda e: e.kind == "credit").sorted(
            lambda event: event.subscription_id.id
        )

    def test_a_full_credit_note_waives_the_periods_it_credits(self):
        invoice = self._bill("2026-12-01")
        self._post(invoice)
        refund = self._reverse(invoice)
        self.assertRecordValues(
            refund,
            [
                {
                    "move_type": "out_refund",
                    "state": "draft",
                    "subscription_group_id": self.group.id,
                    "subscription_group_run_date": False,
                    "amount_untaxed": 193.33,
                }
            ],
        )
        # a draft credit note credits nothing yet
        self.assertFalse(self._credit_events())
        self._post(refund)
        note = (
            f"{invoice.display_name} credited in full by {refund.name}: "
            "these days are waived, not billed again"
        )
        self.assertRecordValues(
            self._credit_events(),
            [
                {
                    "subscription_id": self.joined.id,
                    "date_from": d("2026-11-15"),
                    "date_to": d("2026-12-31"),
                    "amount": 153.33,
                    "credit_kind": "waiver",
                    "invoice_id": refund.id,
                    "note": note,
                    "user_id": self.accountant.id,
                },
                {
                    "subscription_id": self.aligned.id,
                    "date_from": d("2026-12-01"),
                    "date_to": d("2026-12-31"),
                    "amount": 40.0,
                    "credit_kind": "waiver",
                    "invoice_id": refund.id,
                    "note": note,
                    "user_id": self.accountant.id,
                },
            ],
        )
        # the members' dates stay: the waived days are never billed again
        self.assertEqual(self.joined.recurring_next_date, d("2027-01-01"))
        self.assertEqual(self.aligned.recurring_next_date, d("2027-01-01"))
        self.assertIn(
            f"SUB-JOINED: {note}, 11/15/2026 to 12/31/2026: $&nbsp;153.33.",
            self.group.message_ids[:1].body,
        )
        # the billing analysis shows the December lines credited
        rows = self.env["sale.subscription.group.billing.report"].search(
            [("group_id", "=", self.group.id), ("move_id", "=", refund.id)],
            order="id",
        )
        self.assertEqual(
            sorted(rows.mapped("amount_untaxed_signed")), [-100.0, -53.33, -40.0]
        )
        # the credited invoice stays while its credit note lives
        with self.assertRaises(UserError) as caught:
            self._as_accountant(invoice).button_cancel()
        self.assertEqual(
            caught.exception.args[0],
            f"INV/2026/00001 is credited by {refund.name}: cancel the credit note "
            "first, or both together.",
        )
        self.assertEqual(self._bill("2027-01-01").amount_untaxed, 140.0)

    def test_reverse_and_create_invoice_bills_the_periods_again_on_a_draft(self):
        invoice = self._bill("2026-12-01")
        self._post(invoice)
        new_draft = self._reverse(invoice, is_modify=True)
        refund = invoice.reversal_move_ids
        self.assertRecordValues(
            refund, [{"state": "posted", "subscription_group_id": self.group.id}]
        )
        self.assertRecordValues(
            new_draft,
            [
                {
                    "move_type": "out_invoice",
                    "state": "draft",
                    "subscription_group_id": self.group.id,
                    # the run stays the original's, which is still posted
                    "subscription_group_run_date": False,
                    "amount_untaxed": 193.33,
                }
            ],
        )
        self.assertEqual(self._lines(new_draft), self._lines(invoice))
        self.assertEqual(
            new_draft.invoice_line_ids.subscription_group_charge_id, self.transition
        )
        self.assertRecordValues(
            self._credit_events(),
            [
                {
                    "subscription_id": self.joined.id,
                    "amount": 153.33,
                    "credit_kind": "reissue",
                },
                {
                    "subscription_id": self.aligned.id,
                    "amount": 40.0,
                    "credit_kind": "reissue",
                },
            ],
        )
        self.assertEqual(
            self._credit_events()[:1].note,
            f"{invoice.display_name} credited by {refund.name} and billed "
            "again on a new draft",
        )
        self.assertEqual(self.joined.recurring_next_date, d("2027-01-01"))
        self.assertExactCoverage(self.joined, d("2026-11-15"), d("2027-01-01"))
        self.assertExactCoverage(self.aligned, d("2026-12-01"), d("2027-01-01"))
        # either half alone would leave December unbilled, or billed twice
        for document, label in (
            (new_draft, "Draft Invoice of 12/10/2026"),
            (refund, refund.name),
        ):
            with self.assertRaises(UserError) as caught:
                self._as_accountant(document).button_cancel()
            self.assertEqual(
                caught.exception.args[0],
                f"{label} is one half of a credit note and a new invoice that bills "
                "the same periods again: cancelling or deleting it would leave those "
                "days unbilled, or billed twice. Keep it; to waive the days, post "
                "the new invoice and credit it in full.",
            )
        with self.assertRaises(UserError):
            self._as_accountant(new_draft).unlink()
        self.assertEqual((new_draft | refund).mapped("state"), ["draft", "posted"])

    def test_a_partial_credit_note_credits_what_it_holds(self):
        invoice = self._bill("2026-12-01")
        self._post(invoice)
        refund = self._reverse(invoice)
        # the accountant credits the aligned member's December only
        kept = refund.invoice_line_ids.filtered(
            lambda line: line.subscription_id == self.aligned
            and line.display_type == "product"
        )
        self._as_accountant(refund).write(
            {
                "invoice_line_ids": [
                    Command.unlink(line.id)
                    for line in refund.invoice_line_ids - kept
                    if line.display_type == "product"
                ]
            }
        )
        kept.with_user(self.accountant).price_unit = 10.0
        self._post(refund)
        self.assertRecordValues(
            self._credit_events(),
            [
                {
                    "subscription_id": self.aligned.id,
                    "date_from": d("2026-12-01"),
                    "date_to": d("2026-12-31"),
                    "amount": 10.0,
                    "credit_kind": "partial",
                    "note": f"{invoice.display_name} credited in part by "
                    f"{refund.name}",
                }
            ],
        )
        self.assertEqual(self.aligned.recurring_next_date, d("2027-01-01"))
