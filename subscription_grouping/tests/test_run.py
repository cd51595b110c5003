# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import subprocess
from datetime import datetime
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2 import IntegrityError
from psycopg2.errors import SerializationFailure

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models import account_move
from ..models.sale_subscription_group_invoice import SEND_CRON
from .common import SubscriptionGroupingCase, d

MOVE_MODULE = "odoo.addons.subscription_grouping.models.account_move"


class WorkerKilled(BaseException):
    """The billing process dies (SIGKILL, out of memory) half way."""


@tagged("post_install", "-at_install")
class TestRun(SubscriptionGroupingCase):
    """Each run date of a group produces exactly one merged invoice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.subscription_grouping_anchor_day = 1

    def test_first_merged_invoice_design_example(self):
        joined = self._create_subscription(self.template_monthly, "2026-11-15", [100.0])
        aligned = self._create_subscription(
            self.template_monthly, "2026-12-01", [40.0, 2.5]
        )
        self.customer.subscription_grouping = True
        group = joined.group_id

        self._cron("2026-11-30")
        self.assertFalse(self._invoices(), "nothing is due before the run date")
        self._cron("2026-12-01")

        invoice = self._invoices()
        self.assertEqual(len(invoice), 1)
        self.assertRecordValues(
            invoice,
            [
                {
                    "subscription_group_id": group.id,
                    "subscription_group_run_date": d("2026-12-01"),
                    "invoice_date": d("2026-12-01"),
                    "partner_id": self.customer.id,
                    "state": "draft",
                    "amount_untaxed": 195.83,
                }
            ],
        )
        self.assertEqual(
            self._lines(invoice),
            [
                ("line_section", joined, False, False, 0.0),
                ("product", joined, d("2026-12-01"), d("2026-12-31"), 100.0),
                ("product", joined, d("2026-11-15"), d("2026-11-30"), 53.33),
                ("line_section", aligned, False, False, 0.0),
                ("product", aligned, d("2026-12-01"), d("2026-12-31"), 40.0),
                ("product", aligned, d("2026-12-01"), d("2026-12-31"), 2.5),
            ],
        )
        self.assertEqual(joined.recurring_next_date, d("2027-01-01"))
        self.assertEqual(aligned.recurring_next_date, d("2027-01-01"))
        self.assertEqual(group.next_run_date, d("2027-01-01"))
        self.assertEqual(group.charge_ids.state, "invoiced")
        self.assertEqual(joined.account_invoice_ids_count, 1)
        self.assertIn(invoice, group.invoice_ids)
        self.assertIn("2 subscription(s) billed", group.message_ids[0].body)
        self.assertIn("12/01/2026 to 12/31/2026", joined.message_ids[0].body)
        self.assertExactCoverage(joined, d("2026-11-15"), d("2027-01-01"))
        self.assertExactCoverage(aligned, d("2026-12-01"), d("2027-01-01"))

    def test_a_second_run_the_same_day_bills_nothing_more(self):
        self._create_subscription(self.template_monthly, "2026-11-15", [100.0])
        self.customer.subscription_grouping = True
        self._cron("2026-12-01")
        self._cron("2026-12-01")
        self.customer.subscription_group_ids._run(d("2026-12-01"))
        self.assertEqual(len(self._invoices()), 1)

    def test_the_database_refuses_a_second_invoice_for_a_run_date(self):
        self._create_subscription(self.template_monthly, "2026-12-01", [100.0])
        self.customer.subscription_grouping = True
        self._cron("2026-12-01")
        invoice = self._invoices()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                group = invoice.subscription_group_id
                invoice.copy(
                    {
                        "subscription_group_id": group.id,
                        "subscription_group_run_date": d("2026-12-01"),
                    }
                )
                invoice.flush_model()

    def test_a_crash_half_way_writes_nothing_and_the_rerun_bills_once(self):
        subscription = self._create_subscription(
            self.template_monthly, "2026-12-01", [100.0]
        )
        self.customer.subscription_grouping = True
        group = subscription.group_id
        # a dying worker raises nothing the run could catch: what the run
        # isolates is an Exception, so the crash is a BaseException here
        with (
            patch.object(type(group), "_log_run", side_effect=WorkerKilled),
            self.assertRaises(WorkerKilled),
            self.env.cr.savepoint(),
        ):
            self._cron("2026-12-01")
        self.env.invalidate_all()
        self.assertFalse(self._invoices())
        self.assertEqual(subscription.recurring_next_date, d("2026-12-01"))
        self._cron("2026-12-01")
        self.assertEqual(len(self._invoices()), 1)
        self.assertEqual(subscription.recurring_next_date, d("2027-01-01"))

    def test_anchor_31_runs_through_february_without_drift(self):
        self.customer.subscription_grouping_anchor_day = 31
        subscription = self._create_subscription(
            self.template_monthly, "2027-01-31", [100.0]
        )
        self.customer.subscription_grouping = True
        for day in ("2027-01-31", "2027-02-28", "2027-03-31"):
            self._cron(day)
        self.assertEqual(subscription.recurring_next_date, d("2027-04-30"))
        invoices = self._invoices()
        self.assertEqual(
            invoices.mapped("subscription_group_run_date"),
            [d("2027-01-31"), d("2027-02-28"), d("2027-03-31")],
        )
        self.assertEqual(
            [
                (line.start_date, line.end_date)
                for line in invoices.invoice_line_ids
                if line.display_type == "product"
            ],
            [
                (d("2027-01-31"), d("2027-02-27")),
                (d("2027-02-28"), d("2027-03-30")),
                (d("2027-03-31"), d("2027-04-29")),
            ],
        )
        self.assertExactCoverage(subscription, d("2027-01-31"), d("2027-04-30"))

    def test_a_yearly_member_is_billed_only_on_its_own_run_dates(self):
        monthly = self._create_subscription(
            self.template_monthly, "2026-12-01", [100.0]
        )
        yearly = self._create_subscription(self.template_yearly, "2026-11-15", [1200.0])
        self.customer.subscription_grouping = True
        self.assertEqual(yearly.recurring_next_date, d("2026-12-01"))
        # [Nov 15, Dec 1) of the year [Dec 1 2025, Dec 1 2026): 16 / 365
        self.assertEqual(yearly.group_id.charge_ids.amount, 52.6)

        self._cron("2026-12-01")
        self._cron("2027-01-01")
        first, second = self._invoices()
        self.assertEqual(
            self._lines(first),
            [
                ("line_section", monthly, False, False, 0.0),
                ("product", monthly, d("2026-12-01"), d("2026-12-31"), 100.0),
                ("line_section", yearly, False, False, 0.0),
                ("product", yearly, d("2026-12-01"), d("2027-11-30"), 1200.0),
                ("product", yearly, d("2026-11-15"), d("2026-11-30"), 52.6),
            ],
        )
        self.assertEqual(
            self._lines(second),
            [
                ("line_section", monthly, False, False, 0.0),
                ("product", monthly, d("2027-01-01"), d("2027-01-31"), 100.0),
            ],
        )
        self.assertEqual(yearly.recurring_next_date, d("2027-12-01"))
        self.assertEqual(monthly.recurring_next_date, d("2027-02-01"))
        self.assertExactCoverage(yearly, d("2026-11-15"), d("2027-12-01"))

    def test_missed_runs_are_caught_up_one_invoice_per_run_date(self):
        subscription = self._create_subscription(
            self.template_monthly, "2026-12-01", [100.0]
        )
        self.customer.subscription_grouping = True
        self._cron("2027-02-10")
        invoices = self._invoices()
        self.assertEqual(
            invoices.mapped("subscription_group_run_date"),
            [d("2026-12-01"), d("2027-01-01"), d("2027-02-01")],
        )
        self.assertEqual(invoices.mapped("amount_untaxed"), [100.0, 100.0, 100.0])
        self.assertEqual(subscription.recurring_next_date, d("2027-03-01"))
        self.assertExactCoverage(subscription, d("2026-12-01"), d("2027-03-01"))

    def test_posted_mode_posts_the_merged_invoice(self):
        template = self._create_template(
            "Monthly posted", 1, "months", invoicing_mode="invoice"
        )
        self._create_subscription(template, "2026-12-01", [100.0])
        self._create_subscription(template, "2026-11-15", [50.0])
        self.customer.subscription_grouping = True
        self._cron("2026-12-01")
        invoice = self._invoices()
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_untaxed, 176.67)  # 100 + 50 + 50 x 16/30
        self.assertFalse(invoice.subscription_group_send_state)
        self.assertEqual(len(invoice.line_ids.move_id), 1, "one journal entry")

    def test_draft_and_posted_templates_are_separate_groups(self):
        posted = self._create_template(
            "Monthly posted", 1, "months", invoicing_mode="invoice"
        )
        draft_sub = self._create_subscription(
            self.template_monthly, "2026-12-01", [10.0]
        )
        posted_sub = self._create_subscription(posted, "2026-12-01", [20.0])
        self.customer.subscription_grouping = True
        self.assertNotEqual(draft_sub.group_id, posted_sub.group_id)
        self._cron("2026-12-01")
        self.assertEqual(sorted(self._invoices().mapped("state")), ["draft", "posted"])

    def test_taxes_and_fiscal_position_are_applied_per_line(self):
        tax = self.percent_tax(21.0)
        self.product_service.taxes_id = tax
        subscription = self._create_subscription(
            self.template_monthly, "2026-11-15", [100.0]
        )
        self.assertEqual(subscription.sale_subscription_line_ids.tax_ids, tax)
        self.customer.subscription_grouping = True
        self._cron("2026-12-01")
        invoice = self._invoices()
        self.assertEqual(invoice.amount_untaxed, 153.33)
        self.assertEqual(invoice.amount_tax, 32.2)
        self.assertEqual(invoice.invoice_line_ids.filtered("product_id").tax_ids, tax)

    def test_fiscal_position_payment_terms_and_journal_are_honoured(self):
        tax_21 = self.percent_tax(21.0)
        tax_0 = self.percent_tax(0.0)
        self.product_service.taxes_id = tax_21
        fiscal_position = self.env["account.fiscal.position"].create(
            {
                "name": "Export",
                "tax_ids": [(0, 0, {"tax_src_id": tax_21.id, "tax_dest_id": tax_0.id})],
            }
        )
        journal = self.company_data["default_journal_sale"].copy({"code": "SUBS"})
        self.customer.property_payment_term_id = self.pay_terms_a
        subscription = self._create_subscription(
            self.template_monthly, "2026-12-01", [100.0]
        )
        subscription.write(
            {"fiscal_position_id": fiscal_position.id, "journal_id": journal.id}
        )
        self.assertEqual(subscription.sale_subscription_line_ids.tax_ids, tax_0)
        self.customer.subscription_grouping = True
        self.assertRecordValues(
            subscription.group_id,
            [{"fiscal_position_id": fiscal_position.id, "journal_id": journal.id}],
        )
        self._cron("2026-12-01")
        invoice = self._invoices()
        self.assertRecordValues(
            invoice,
            [
                {
                    "fiscal_position_id": fiscal_position.id,
                    "journal_id": journal.id,
                    "invoice_payment_term_id": self.pay_terms_a.id,
                    "amount_untaxed": 100.0,
                    "amount_tax": 0.0,
                }
            ],
        )
        self.assertEqual(invoice.invoice_line_ids.filtered("product_id").tax_ids, tax_0)

    def test_a_failed_send_never_bills_twice_and_is_retried(self):
        template = self._create_template(
            "Monthly sent", 1, "months", invoicing_mode="invoice_send"
        )
        subscription = self._create_subscription(template, "2026-12-01", [100.0])
        self.customer.subscription_grouping = True
        Send = type(self.env["account.move.send"])
        with (
            patch.object(
                Send,
                "_generate_and_send_invoices",
                side_effect=OSError("no PDF renderer"),
            ),
            mute_logger(MOVE_MODULE),
        ):
            self._cron("2026-12-01")
            self._cron("2026-12-01")
        invoice = self._invoices()
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.subscription_group_send_state, "failed")
        self.assertEqual(invoice.subscription_group_send_error, "no PDF renderer")
        self.assertEqual(subscription.recurring_next_date, d("2027-01-01"))

        with patch.object(Send, "_generate_and_send_invoices") as send:
            self._cron("2026-12-02")
        send.assert_called_once()
        self.assertEqual(invoice.subscription_group_send_state, "sent")
        self.assertFalse(invoice.subscription_group_send_error)
        self.assertEqual(len(self._invoices()), 1)

    def test_a_run_with_invoices_to_send_calls_the_send_action_at_once(self):
        sent = self._create_template(
            "Monthly sent", 1, "months", invoicing_mode="invoice_send"
        )
        posted = self._create_template(
            "Monthly posted", 1, "months", invoicing_mode="invoice"
        )
        self._create_subscription(posted, "2026-12-01", [20.0])
        sent_sub = self._create_subscription(sent, "2027-01-01", [100.0])
        self.customer.subscription_grouping = True
        send_cron = self.env.ref(SEND_CRON)
        Trigger = self.env["ir.cron.trigger"]
        Group = self.env["sale.subscription.group"]
        with freeze_time("2026-12-01 02:00:00"):
            self.assertEqual(len(Group._cron_bill()), 1)
        self.assertEqual(self._invoices().mapped("state"), ["posted"])
        self.assertFalse(Trigger.search([("cron_id", "=", send_cron.id)]))

        with freeze_time("2027-01-01 02:00:00"):
            self.assertEqual(len(Group._cron_bill()), 2)
        invoices = self._invoices()
        self.assertEqual(len(invoices), 3)
        to_send = invoices.filtered(
            lambda move: move.subscription_group_send_state == "to_send"
        )
        self.assertEqual(to_send.subscription_group_id, sent_sub.group_id)
        self.assertEqual(to_send.amount_untaxed, 100.0)
        self.assertEqual(
            Trigger.search([("cron_id", "=", send_cron.id)]).mapped("call_at"),
            [datetime(2027, 1, 1, 2, 0)],
        )

    def _group_two_customers_to_send(self):
        """The test's customer and a second one, each grouped with one
        subscription to invoice and send on 2026-12-01; returns the second."""
        template = self._create_template(
            "Monthly sent", 1, "months", invoicing_mode="invoice_send"
        )
        other = self._create_customer("Second Customer")
        self._create_subscription(template, "2026-12-01", [100.0])
        self._create_subscription(template, "2026-12-01", [60.0], partner=other)
        self.customer.subscription_grouping = True
        other.subscription_grouping = True
        return other

    def _bill_two_customers_to_send(self):
        """Both customers' merged invoices of 2026-12-01, billed, to send."""
        other = self._group_two_customers_to_send()
        with freeze_time("2026-12-01 02:00:00"):
            self.env["sale.subscription.group"]._cron_bill()
        invoices = self._invoices() | self._invoices(other)
        self.assertEqual(
            invoices.mapped("subscription_group_send_state"), ["to_send"] * 2
        )
        return invoices

    def _send_triggers(self):
        return self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.env.ref(SEND_CRON).id)], order="id"
        )

    def test_a_send_call_meeting_a_concurrent_update_tries_again_shortly(self):
        """Odoo's cron runner does not retry a call that raises: it would give
        the send action up to its next hour."""
        invoices = self._bill_two_customers_to_send()
        before = self._send_triggers()
        Move = self.env["account.move"]
        with (
            freeze_time("2026-12-01 03:00:00"),
            patch.object(
                type(Move),
                "_send_subscription_group_invoices",
                side_effect=SerializationFailure("could not serialize access"),
            ),
        ):
            self.assertFalse(Move._cron_send_subscription_group_invoices())
        self.assertEqual(
            (self._send_triggers() - before).mapped("call_at"),
            [datetime(2026, 12, 1, 3, 5)],
        )
        self.assertEqual(
            invoices.mapped("subscription_group_send_state"), ["to_send"] * 2
        )

    def test_invoices_held_by_another_transaction_are_sent_a_little_later(self):
        invoices = self._bill_two_customers_to_send()
        before = self._send_triggers()
        Move = self.env["account.move"]
        with (
            freeze_time("2026-12-01 03:00:00"),
            patch(f"{MOVE_MODULE}.lock_free_rows", lambda records: records.browse()),
        ):
            self.assertFalse(Move._cron_send_subscription_group_invoices())
        self.assertEqual(
            (self._send_triggers() - before).mapped("call_at"),
            [datetime(2026, 12, 1, 3, 5)],
        )
        Send = type(self.env["account.move.send"])
        with (
            freeze_time("2026-12-01 03:05:00"),
            patch.object(Send, "_generate_and_send_invoices") as send,
        ):
            self.assertEqual(Move._cron_send_subscription_group_invoices(), invoices)
        self.assertEqual(send.call_count, 2)
        self.assertEqual(invoices.mapped("subscription_group_send_state"), ["sent"] * 2)

    def test_a_send_call_that_does_not_end_leaves_a_trigger_to_resume(self):
        """After three calls in a row that did not end, Odoo's runner moves
        the action to its next interval; each call's own trigger brings it
        back within minutes."""
        invoices = self._bill_two_customers_to_send()
        # the trigger is committed by a cursor of its own: the test's
        # transaction underneath here
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        cron = self.env.ref(SEND_CRON)
        before = self._send_triggers()
        seen = []
        Move = self.env["account.move"]
        send_step = type(Move)._cron_send_step

        def step(moves, domain):
            seen.append((self._send_triggers() - before).mapped("call_at"))
            return send_step(moves, domain)

        Send = type(self.env["account.move.send"])
        with (
            freeze_time("2026-12-01 03:00:00"),
            patch.object(type(Move), "_cron_send_step", step),
            patch.object(Send, "_generate_and_send_invoices"),
        ):
            # called by the runner: the call carries the action's id
            self.assertEqual(
                Move.with_context(
                    cron_id=cron.id
                )._cron_send_subscription_group_invoices(),
                invoices,
            )
            # another action's call, or one outside the runner, arms none
            bill_cron = self.env.ref(
                "subscription_grouping.ir_cron_bill_subscription_groups"
            )
            self.assertFalse(
                Move.with_context(
                    cron_id=bill_cron.id
                )._cron_send_subscription_group_invoices()
            )
        self.assertEqual(seen, [[datetime(2026, 12, 1, 3, 5)], []])
        # the call ended: its trigger went with it
        self.assertFalse(self._send_triggers() - before)

    def test_invoices_to_send_are_sent_together_a_failing_one_alone(self):
        other = self._group_two_customers_to_send()
        calls = []

        def send(sender, moves, **settings):
            calls.append(moves.partner_id.mapped("name"))
            if other in moves.partner_id:
                raise UserError("no address to send to")

        Send = type(self.env["account.move.send"])
        Move = type(self.env["account.move"])
        with (
            patch.object(Send, "_generate_and_send_invoices", send),
            patch.object(Move, "_can_render_invoices_together", return_value=True),
            mute_logger(MOVE_MODULE),
        ):
            self._cron("2026-12-01")
        self.assertEqual(
            calls,
            [
                ["Grouping Customer", "Second Customer"],
                ["Grouping Customer"],
                ["Second Customer"],
            ],
            "the two together first, then each alone",
        )
        mine, others = self._invoices(), self._invoices(other)
        self.assertEqual(mine.subscription_group_send_state, "sent")
        self.assertEqual(others.subscription_group_send_state, "failed")
        self.assertEqual(others.subscription_group_send_error, "no address to send to")

    def test_where_wkhtmltopdf_cannot_mark_invoices_each_one_is_sent_alone(self):
        """Odoo splits a PDF of several invoices by the outlines that only
        wkhtmltopdf builds with patched Qt write: with another build, each
        invoice is rendered alone, never a batch rendered for nothing first."""
        other = self._group_two_customers_to_send()
        calls = []

        def send(sender, moves, **settings):
            calls.append(moves.partner_id.mapped("name"))

        Send = type(self.env["account.move.send"])
        Move = type(self.env["account.move"])
        with (
            patch.object(Send, "_generate_and_send_invoices", send),
            patch.object(Move, "_can_render_invoices_together", return_value=False),
        ):
            self._cron("2026-12-01")
        self.assertEqual(calls, [["Grouping Customer"], ["Second Customer"]])
        invoices = self._invoices() | self._invoices(other)
        self.assertEqual(
            invoices.mapped("subscription_group_send_state"), ["sent", "sent"]
        )

    def test_only_a_wkhtmltopdf_with_patched_qt_marks_the_invoices(self):
        answers = {
            "wkhtmltopdf 0.12.6 (with patched qt)\n": True,
            "wkhtmltopdf 0.12.6\n": False,
            "": False,
        }
        # whether this machine has a wkhtmltopdf or not
        found = patch(
            f"{MOVE_MODULE}._get_wkhtmltopdf_bin", return_value="/usr/bin/wkhtmltopdf"
        )
        for version, expected in answers.items():
            account_move.wkhtmltopdf_marks_documents.cache_clear()
            with (
                found,
                patch(
                    f"{MOVE_MODULE}.subprocess.run",
                    return_value=subprocess.CompletedProcess([], 0, version.encode()),
                ),
            ):
                self.assertIs(account_move.wkhtmltopdf_marks_documents(), expected)
        account_move.wkhtmltopdf_marks_documents.cache_clear()
        # none in the PATH (Odoo's lookup raises), or gone since
        with patch(f"{MOVE_MODULE}._get_wkhtmltopdf_bin", side_effect=OSError):
            self.assertIs(account_move.wkhtmltopdf_marks_documents(), False)
        account_move.wkhtmltopdf_marks_documents.cache_clear()
        with found, patch(f"{MOVE_MODULE}.subprocess.run", side_effect=OSError):
            self.assertIs(account_move.wkhtmltopdf_marks_documents(), False)
        account_move.wkhtmltopdf_marks_documents.cache_clear()

    def test_a_send_call_takes_batches_until_its_seconds_are_spent(self):
        """PDFs are slow to render: a call sends small batches for a few
        seconds, so that it stays far inside the cron worker's time limit."""
        template = self._create_template(
            "Monthly sent", 1, "months", invoicing_mode="invoice_send"
        )
        customers = [self.customer] + [
            self._create_customer(f"Sent Customer {index}") for index in range(4)
        ]
        for index, customer in enumerate(customers):
            self._create_subscription(
                template, "2026-12-01", [100.0 + index], partner=customer
            )
            customer.subscription_grouping = True
        with freeze_time("2026-12-01 02:00:00"):
            self.env["sale.subscription.group"]._cron_bill()
        Move = self.env["account.move"]
        invoices = Move.search(
            [("subscription_group_send_state", "=", "to_send")], order="id"
        )
        self.assertEqual(len(invoices), 5)
        self.env["ir.config_parameter"].sudo().set_param(
            "subscription_grouping.send_batch_size", "2"
        )
        send_cron = self.env.ref(SEND_CRON)
        progress = self.env["ir.cron.progress"].create(
            {"cron_id": send_cron.id, "done": 0, "remaining": 0}
        )
        batches = []

        def send(sender, moves, **settings):
            batches.append(moves)

        Send = type(self.env["account.move.send"])
        # the call starts at 100 s; its first batch ends at 103 s, its second
        # at 106 s, past the 5 seconds of a call: no third batch
        clock = iter([100.0, 103.0, 106.0])
        with (
            freeze_time("2026-12-01 03:00:00"),
            patch.object(Send, "_generate_and_send_invoices", send),
            patch.object(
                type(Move), "_can_render_invoices_together", return_value=True
            ),
            patch(f"{MOVE_MODULE}.time.monotonic", lambda: next(clock)),
        ):
            taken = Move.with_context(
                ir_cron_progress_id=progress.id
            )._cron_send_subscription_group_invoices()
        self.assertEqual(taken, invoices[:4])
        self.assertEqual(batches, [invoices[:2], invoices[2:4]])
        self.assertEqual((progress.done, progress.remaining), (4, 1))
        self.assertEqual(
            invoices.mapped("subscription_group_send_state"),
            ["sent", "sent", "sent", "sent", "to_send"],
        )
        self.assertEqual(
            self.env["ir.cron.trigger"]
            .search([("cron_id", "=", send_cron.id)])
            .mapped("call_at"),
            [datetime(2026, 12, 1, 2, 0), datetime(2026, 12, 1, 3, 0)],
            "the bill run's trigger, then the call's own for the invoice left",
        )

    def test_grouped_subscriptions_are_never_billed_on_their_own(self):
        subscription = self._create_subscription(
            self.template_monthly, "2026-12-01", [100.0]
        )
        self.customer.subscription_grouping = True
        subscription.generate_invoice()
        self.assertFalse(self._invoices())
        with self.assertRaisesRegex(Exception, "billed with its group"):
            subscription.manual_invoice()

    def test_a_next_date_off_the_billing_day_is_refused(self):
        subscription = self._create_subscription(
            self.template_monthly, "2026-12-01", [100.0]
        )
        self.customer.subscription_grouping = True
        with self.assertRaisesRegex(Exception, "must fall on the billing day"):
            subscription.recurring_next_date = "2026-12-15"

    def test_invoice_now_bills_the_next_run_date(self):
        subscription = self._create_subscription(
            self.template_monthly, "2026-12-01", [100.0]
        )
        self.customer.subscription_grouping = True
        subscription.group_id.action_run_now()
        invoice = self._invoices()
        self.assertEqual(invoice.subscription_group_run_date, d("2026-12-01"))
        self.assertEqual(subscription.recurring_next_date, d("2027-01-01"))

    def test_ungroup_before_the_first_merged_invoice_restores_every_date(self):
        joined = self._create_subscription(self.template_monthly, "2026-11-15", [100.0])
        aligned = self._create_subscription(self.template_monthly, "2026-12-01", [40.0])
        self.customer.subscription_grouping = True
        group = joined.group_id
        self.customer.subscription_grouping = False
        self.assertEqual(joined.recurring_next_date, d("2026-11-15"))
        self.assertEqual(aligned.recurring_next_date, d("2026-12-01"))
        self.assertFalse(joined.group_id | aligned.group_id)
        self.assertFalse(group.active)
        self.assertFalse(group.charge_ids)
        self.assertFalse(self._invoices())
        self.assertEqual(
            sorted(group.event_ids.mapped("kind")),
            ["join", "join", "rollback", "ungroup"],
        )
        self.assertIn(
            "previous next invoice dates are restored", group.message_ids[0].body
        )

    def test_ungroup_after_a_posted_merged_invoice_keeps_dates_and_bills_alone(self):
        first = self._create_subscription(self.template_monthly, "2026-11-15", [100.0])
        second = self._create_subscription(self.template_monthly, "2026-12-01", [40.0])
        self.customer.subscription_grouping = True
        group = first.group_id
        self._cron("2026-12-01")
        self._invoices().action_post()
        self.customer.subscription_grouping = False
        self.assertEqual(first.recurring_next_date, d("2027-01-01"))
        self.assertEqual(second.recurring_next_date, d("2027-01-01"))
        self.assertFalse(group.active)
        self.assertEqual(
            sorted(group.event_ids.mapped("kind")),
            ["join", "join", "ungroup", "ungroup"],
        )
        self.assertIn(
            "2 subscription(s) bill on their own again", group.message_ids[0].body
        )
        # subscription_oca bills them one by one from there: the merged invoice
        # counts as theirs, so their dates move on instead of restarting today
        self._cron("2027-01-01")
        own = self._invoices() - group.invoice_ids
        self.assertEqual(len(own), 2)
        self.assertEqual(sorted(own.mapped("amount_untaxed")), [40.0, 100.0])
        self.assertEqual(first.recurring_next_date, d("2027-02-01"))
        self.assertEqual(second.recurring_next_date, d("2027-02-01"))
