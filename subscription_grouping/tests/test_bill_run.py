# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2.errors import SerializationFailure

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import SubscriptionGroupingCase, d

RUN_LOGGER = "odoo.addons.subscription_grouping.models.sale_subscription_group_run"
BILL_CRON = "subscription_grouping.ir_cron_bill_subscription_groups"


@tagged("post_install", "-at_install")
class TestBillRun(SubscriptionGroupingCase):
    """The scheduled bill run: bounded batches, a failing group alone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = [
            cls._create_customer(
                f"Batch Customer {index}", subscription_grouping_anchor_day=1
            )
            for index in range(5)
        ]
        # posted invoices: Odoo checks a posted entry's accounts
        template = cls._create_template(
            "Monthly posted", 1, "months", invoicing_mode="invoice"
        )
        cls.subscriptions = [
            cls._create_subscription(
                template, "2026-12-01", [100.0 + index], partner=customer
            )
            for index, customer in enumerate(cls.customers)
        ]
        for customer in cls.customers:
            customer.subscription_grouping = True
        cls.groups = cls.env["sale.subscription.group"].browse(
            [sub.group_id.id for sub in cls.subscriptions]
        )
        cls.cron = cls.env.ref(BILL_CRON)

    def _merged_invoices(self):
        return self.env["account.move"].search(
            [("subscription_group_id", "in", self.groups.ids)], order="id"
        )

    def _triggers(self):
        return self.env["ir.cron.trigger"].search_count(
            [("cron_id", "=", self.cron.id)]
        )

    def _set_batch_size(self, size, call_seconds=0):
        """``size`` groups per batch; with 0 seconds, one batch per call."""
        self.env["ir.config_parameter"].sudo().set_param(
            "subscription_grouping.bill_batch_size", str(size)
        )
        self.env["ir.config_parameter"].sudo().set_param(
            "subscription_grouping.bill_call_seconds", str(call_seconds)
        )

    def test_each_call_bills_one_batch_and_reports_its_progress(self):
        self._set_batch_size(2)
        progress = self.env["ir.cron.progress"].create(
            {"cron_id": self.cron.id, "done": 0, "remaining": 0}
        )
        Group = self.env["sale.subscription.group"].with_context(
            ir_cron_progress_id=progress.id
        )
        triggers = self._triggers()
        with freeze_time("2026-12-01"):
            billed = Group._cron_bill()
        self.assertEqual(billed, self.groups[:2])
        self.assertEqual((progress.done, progress.remaining), (2, 3))
        self.assertEqual(self._triggers(), triggers + 1)
        self.assertEqual(len(self._merged_invoices()), 2)

        with freeze_time("2026-12-01"):
            self.assertEqual(Group._cron_bill(), self.groups[2:4])
            self.assertEqual((progress.done, progress.remaining), (2, 1))
            self.assertEqual(Group._cron_bill(), self.groups[4:])
            self.assertEqual((progress.done, progress.remaining), (1, 0))
            self.assertEqual(self._triggers(), triggers + 2, "no trigger when done")
            self.assertFalse(Group._cron_bill())
        self.assertEqual((progress.done, progress.remaining), (0, 0))
        invoices = self._merged_invoices()
        self.assertEqual(len(invoices), 5)
        self.assertEqual(invoices.subscription_group_id, self.groups)
        self.assertEqual(
            invoices.mapped("amount_untaxed"), [100.0, 101.0, 102.0, 103.0, 104.0]
        )

    def test_a_call_takes_batches_until_its_seconds_are_spent(self):
        self._set_batch_size(2, call_seconds=5)
        progress = self.env["ir.cron.progress"].create(
            {"cron_id": self.cron.id, "done": 0, "remaining": 0}
        )
        Group = self.env["sale.subscription.group"].with_context(
            ir_cron_progress_id=progress.id
        )
        # the call starts at 100 s; its first batch ends at 103 s, its
        # second at 106 s, past its 5 seconds: no third batch
        clock = iter([100.0, 103.0, 106.0])
        with (
            freeze_time("2026-12-01"),
            patch(f"{RUN_LOGGER}.time.monotonic", lambda: next(clock)),
        ):
            self.assertEqual(Group._cron_bill(), self.groups[:4])
        self.assertEqual((progress.done, progress.remaining), (4, 1))
        self.assertEqual(len(self._merged_invoices()), 4)

    def test_default_settings_and_bad_values(self):
        Group = self.env["sale.subscription.group"]
        self.assertEqual(
            (Group._get_bill_batch_size(), Group._get_bill_call_seconds()), (10, 5)
        )
        self._set_batch_size(0, call_seconds=0)
        self.assertEqual(
            (Group._get_bill_batch_size(), Group._get_bill_call_seconds()), (10, 0)
        )
        self._set_batch_size(" 7 ", call_seconds="-3")
        self.assertEqual(
            (Group._get_bill_batch_size(), Group._get_bill_call_seconds()), (7, 5)
        )

    def test_a_call_that_does_not_end_leaves_a_trigger_to_resume_the_same_day(self):
        """Odoo's runner moves the action to the next day after three calls in
        a row that did not end; each call's own trigger brings it back."""
        # the runner's calls carry the action's id; the trigger is committed
        # by a cursor of its own, the test's transaction underneath here
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        Group = self.env["sale.subscription.group"].with_context(cron_id=self.cron.id)
        before = self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])

        def triggers():
            return (
                self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])
                - before
            )

        # what a kill during the call would leave: the trigger, committed
        # before the call bills anything
        seen = []
        bill_step = type(Group)._cron_bill_step

        def step(groups, domain, date_ref):
            seen.append(triggers().mapped("call_at"))
            return bill_step(groups, domain, date_ref)

        with (
            freeze_time("2026-12-01 10:00:00"),
            patch.object(type(Group), "_cron_bill_step", step),
        ):
            self.assertEqual(Group._cron_bill(), self.groups)
            # a call outside the runner (a shell, a test) arms none
            self.assertFalse(self.env["sale.subscription.group"]._cron_bill())
        self.assertEqual(
            seen, [[fields.Datetime.to_datetime("2026-12-01 10:05:00")], []]
        )
        # the call ended: its trigger went with it
        self.assertFalse(triggers())
        self.assertEqual(len(self._merged_invoices()), 5)

    def test_groups_locked_by_another_transaction_are_tried_again_later(self):
        Group = self.env["sale.subscription.group"]
        before = self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])
        # every due group is being billed by another transaction (an Invoice
        # Now, a job, a worker killed a moment ago): none can be taken now
        with (
            freeze_time("2026-12-01 10:00:00"),
            patch.object(type(Group), "_lock_for_run", lambda groups: Group),
        ):
            self.assertFalse(Group._cron_bill())
        triggers = (
            self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])
            - before
        )
        self.assertEqual(
            triggers.mapped("call_at"),
            [fields.Datetime.to_datetime("2026-12-01 10:05:00")],
        )
        self.assertFalse(self._merged_invoices())
        with freeze_time("2026-12-01 10:05:00"):
            self.assertEqual(Group._cron_bill(), self.groups)
        self.assertEqual(len(self._merged_invoices()), 5)

    def test_a_concurrent_update_is_tried_again_shortly_not_raised(self):
        """Odoo's cron runner does not retry a call that raises: it would
        count a failure and leave every group still due to tomorrow."""
        Group = self.env["sale.subscription.group"]
        before = self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])

        def clash(groups, date_ref):
            groups.env.cr.execute("SELECT 1")  # the batch began to bill
            raise SerializationFailure("could not serialize access")

        with (
            freeze_time("2026-12-01 10:00:00"),
            patch.object(type(Group), "_bill", clash),
        ):
            self.assertFalse(Group._cron_bill())
        triggers = (
            self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])
            - before
        )
        self.assertEqual(
            triggers.mapped("call_at"),
            [fields.Datetime.to_datetime("2026-12-01 10:05:00")],
        )
        self.assertFalse(self._merged_invoices())
        self.assertFalse(any(self.groups.mapped("billing_error")))
        with freeze_time("2026-12-01 10:05:00"):
            while Group._cron_bill():
                pass
        self.assertEqual(len(self._merged_invoices()), 5)

    def test_a_run_killed_between_or_inside_batches_resumes_without_duplicates(self):
        self._set_batch_size(2)
        Group = self.env["sale.subscription.group"]
        with freeze_time("2026-12-01"):
            Group._cron_bill()  # committed by the cron runner
            # the next batch is killed before its commit: its transaction is
            # rolled back, as PostgreSQL does for a killed worker
            with self.assertRaises(InterruptedError), self.env.cr.savepoint():
                Group._cron_bill()
                self.assertEqual(len(self._merged_invoices()), 4)
                raise InterruptedError
            self.env.invalidate_all()
            self.assertEqual(len(self._merged_invoices()), 2)
            while Group._cron_bill():
                pass
        invoices = self._merged_invoices()
        self.assertEqual(len(invoices), 5)
        self.assertEqual(invoices.subscription_group_id, self.groups)
        self.assertEqual(
            invoices.mapped("subscription_group_run_date"), [d("2026-12-01")] * 5
        )
        for subscription in self.subscriptions:
            self.assertEqual(subscription.recurring_next_date, d("2027-01-01"))
            self.assertExactCoverage(subscription, d("2026-12-01"), d("2027-01-01"))

    def test_a_failing_group_fails_alone_is_recorded_and_retried_the_next_day(self):
        product, account = self._create_legacy_product(102.0)
        failing = self.subscriptions[2]
        failing.sale_subscription_line_ids.product_id = product
        self.assertEqual(
            failing.sale_subscription_line_ids._prepare_account_move_line()[
                "account_id"
            ],
            account.id,
        )
        account.deprecated = True
        group = failing.group_id
        manager = self.env.user

        with mute_logger(RUN_LOGGER):
            self._cron("2026-12-01")
        invoices = self._merged_invoices()
        self.assertEqual(len(invoices), 4)
        self.assertEqual(invoices.subscription_group_id, self.groups - group)
        self.assertEqual(
            [sub.recurring_next_date for sub in self.subscriptions],
            [d("2027-01-01")] * 2 + [d("2026-12-01")] + [d("2027-01-01")] * 2,
        )
        self.assertRecordValues(
            group,
            [
                {
                    "billing_error": (
                        "The income account 700099 Old Revenue of Legacy Hosting on "
                        f"{failing.display_name} is deprecated: set another one on "
                        "the product or its category."
                    ),
                    "billing_error_run_date": d("2026-12-01"),
                    "billing_failed_on": d("2026-12-01"),
                    "next_run_date": d("2026-12-01"),
                }
            ],
        )
        self.assertFalse(group.charge_ids.filtered(lambda c: c.state == "invoiced"))
        self.assertEqual(
            self.env["sale.subscription.group"].search(
                [("id", "in", self.groups.ids), ("billing_error", "!=", False)]
            ),
            group,
            "the Billing failed filter finds it",
        )
        activity = group.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("subscription_grouping.mail_activity_type_billing_failed"),
        )
        self.assertEqual(activity.user_id, manager)
        self.assertIn("could not be made", group.message_ids[0].body)
        self.assertIn("700099 Old Revenue of Legacy Hosting", group.message_ids[0].body)

        # not in a tight loop: the same day's later calls leave it alone
        messages = len(group.message_ids)
        with mute_logger(RUN_LOGGER):
            self._cron("2026-12-01")
        self.assertEqual(len(group.message_ids), messages)
        self.assertEqual(len(group.activity_ids), 1)

        # the next day's run bills it once the account is fixed
        account.deprecated = False
        self._cron("2026-12-02")
        invoice = self._merged_invoices() - invoices
        self.assertEqual(len(invoice), 1)
        self.assertRecordValues(
            invoice,
            [
                {
                    "subscription_group_id": group.id,
                    "subscription_group_run_date": d("2026-12-01"),
                    "invoice_date": d("2026-12-01"),
                    "amount_untaxed": 102.0,
                    "state": "posted",
                }
            ],
        )
        self.assertEqual(failing.recurring_next_date, d("2027-01-01"))
        self.assertRecordValues(
            group,
            [
                {
                    "billing_error": False,
                    "billing_error_run_date": False,
                    "billing_failed_on": False,
                }
            ],
        )
        self.assertFalse(group.activity_ids, "the activity is marked done")

    def test_a_group_failing_again_the_next_day_keeps_one_activity(self):
        failing = self.subscriptions[0]
        Group = type(self.env["sale.subscription.group"])
        run = Group._run

        def run_failing_for_that_group(groups, date_ref):
            if failing.group_id in groups:
                raise ZeroDivisionError("no luck")
            return run(groups, date_ref)

        with (
            mute_logger(RUN_LOGGER),
            patch.object(Group, "_run", run_failing_for_that_group),
        ):
            self._cron("2026-12-01")
            self._cron("2026-12-02")
        group = failing.group_id
        self.assertEqual(group.billing_error, "ZeroDivisionError: no luck")
        self.assertEqual(group.billing_error_run_date, d("2026-12-01"))
        self.assertEqual(group.billing_failed_on, d("2026-12-02"))
        self.assertEqual(len(group.activity_ids), 1)
        self.assertEqual(len(self._merged_invoices()), 4)
