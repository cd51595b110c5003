# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.subscription_grouping.tests.common import (
    SubscriptionGroupingCase,
    d,
)

BILL_CRON = "subscription_grouping.ir_cron_bill_subscription_groups"


@tagged("post_install", "-at_install")
class TestBillJobEnds(SubscriptionGroupingCase):
    """However a bill job ends, its groups are billed that day or their
    failure is recorded: never silently left for tomorrow."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=False))
        customers = [
            cls._create_customer(
                f"Job Customer {index}", subscription_grouping_anchor_day=1
            )
            for index in range(4)
        ]
        for index, customer in enumerate(customers):
            cls._create_subscription(
                cls.template_monthly, "2026-12-01", [100.0 + index], partner=customer
            )
            customer.subscription_grouping = True
        cls.groups = cls.env["sale.subscription.group"].search(
            [("partner_id", "in", [customer.id for customer in customers])],
            order="next_run_date, id",
        )
        cls.env["ir.config_parameter"].sudo().set_param(
            "subscription_grouping.bill_batch_size", "2"
        )
        cls.cron = cls.env.ref(BILL_CRON)

    def _enqueue(self):
        """One call of the scheduled action: real jobs, stored, not run."""
        Group = self.env["sale.subscription.group"]
        before = self.env["queue.job"].sudo().search([])
        self.assertEqual(Group._cron_bill(), self.groups)
        return (
            self.env["queue.job"]
            .sudo()
            .search([("id", "not in", before.ids)], order="id")
        )

    def _fail(self, job_record, message="cursor already closed"):
        """As queue_job marks a job whose worker lost its connection."""
        job = Job.load(self.env(su=True), job_record.uuid)
        job.set_failed(
            exc_name="psycopg2.InterfaceError",
            exc_message=message,
            exc_info=f"Traceback...\npsycopg2.InterfaceError: {message}",
        )
        job.store()

    def _triggers_at(self):
        return (
            self.env["ir.cron.trigger"]
            .search([("cron_id", "=", self.cron.id)], order="id")
            .mapped("call_at")
        )

    def test_a_failed_or_cancelled_job_hands_its_groups_back_at_once(self):
        with freeze_time("2026-12-01 10:00:00"):
            jobs = self._enqueue()
            self.assertEqual(len(jobs), 2)
            self.assertEqual(
                self.groups.mapped("billing_queued_on"), [d("2026-12-01")] * 4
            )
            triggers = self._triggers_at()
            self._fail(jobs[0])
            jobs[1].sudo().button_cancelled()
            self.assertEqual(self.groups.mapped("billing_queued_on"), [False] * 4)
            self.assertEqual(self.groups.mapped("billing_failed_jobs"), [1] * 4)
            self.assertFalse(any(self.groups.mapped("billing_error")))
            # the scheduled action is woken at once, for each ending
            self.assertEqual(
                self._triggers_at()[len(triggers) :],
                [fields.Datetime.to_datetime("2026-12-01 10:00:00")] * 2,
            )
            # the same day, the next call hands them over again, and they bill
            with trap_jobs() as trap:
                self.assertEqual(
                    self.env["sale.subscription.group"]._cron_bill(), self.groups
                )
                trap.assert_jobs_count(2)
                trap.perform_enqueued_jobs()
        self.assertEqual(
            self.groups.invoice_ids.mapped("amount_untaxed"),
            [100.0, 101.0, 102.0, 103.0],
        )

    def test_a_group_whose_jobs_keep_failing_has_its_failure_recorded(self):
        failing, others = self.groups[:2], self.groups[2:]
        Group = self.env["sale.subscription.group"]
        with (
            freeze_time("2026-12-01 10:00:00"),
            mute_logger(
                "odoo.addons.subscription_grouping.models.sale_subscription_group_run"
            ),
        ):
            first = self._enqueue()
            self._fail(first[0], "connection lost, attempt 1")
            for attempt in (2, 3):
                jobs = self._enqueue_again(failing)
                self._fail(jobs, f"connection lost, attempt {attempt}")
            self.assertEqual(failing.mapped("billing_failed_jobs"), [3, 3])
            self.assertEqual(failing.mapped("billing_failed_on"), [d("2026-12-01")] * 2)
            self.assertEqual(
                failing[0].billing_error,
                "Its bill job ended 3 times today without billing it (Failed): "
                "connection lost, attempt 3",
            )
            # failed today, or in a live job: the day's calls take none
            self.assertFalse(Group._cron_bill())
            Job.load(self.env(su=True), first[1].uuid).perform()
        self.assertFalse(failing.invoice_ids)
        self.assertEqual(others.invoice_ids.mapped("amount_untaxed"), [102.0, 103.0])

    def _enqueue_again(self, groups):
        before = self.env["queue.job"].sudo().search([])
        self.assertEqual(self.env["sale.subscription.group"]._cron_bill(), groups)
        return (
            self.env["queue.job"]
            .sudo()
            .search([("id", "not in", before.ids)], order="id")
        )

    def test_a_job_that_skipped_a_held_group_hands_it_back_for_later(self):
        with freeze_time("2026-12-01 10:00:00"):
            self._enqueue()
            batch = self.groups[:2]
            Group = type(batch)
            triggers = self._triggers_at()
            # the first group is held by another transaction: the job bills
            # the second only
            lock = Group._lock_for_run

            def held(groups, skip_changed=True):
                return lock(groups - batch[0], skip_changed=skip_changed)

            with patch.object(Group, "_lock_for_run", held):
                invoices = batch._bill_job(d("2026-12-01"))
        self.assertEqual(invoices.subscription_group_id, batch[1])
        self.assertEqual(batch.mapped("billing_queued_on"), [False, d("2026-12-01")])
        self.assertEqual(
            self._triggers_at()[len(triggers) :],
            [fields.Datetime.to_datetime("2026-12-01 10:05:00")],
        )

    def test_a_job_gone_without_the_orm_is_found_by_a_later_call(self):
        """queue_job's runner fails a job found dead too many times with plain
        SQL, and a user may delete a waiting job: no write hook sees either."""
        Group = self.env["sale.subscription.group"]
        with freeze_time("2026-12-01 10:00:00"):
            triggers = self._triggers_at()
            jobs = self._enqueue()
        # the call that handed them over looks again ten minutes on
        self.assertEqual(
            self._triggers_at()[len(triggers) :],
            [fields.Datetime.to_datetime("2026-12-01 10:10:00")],
        )
        with freeze_time("2026-12-01 10:10:00"):
            # both jobs still wait: nothing is handed back, look again later
            triggers = self._triggers_at()
            self.assertFalse(Group._cron_bill())
            self.assertEqual(
                self._triggers_at()[len(triggers) :],
                [fields.Datetime.to_datetime("2026-12-01 10:20:00")],
            )
        # as the runner's query does for a job whose worker died too often
        self.env.cr.execute(
            "UPDATE queue_job SET state = 'failed', exc_name = 'JobFoundDead'"
            " WHERE id = %s",
            [jobs[0].id],
        )
        jobs[1].sudo().unlink()
        self.env.invalidate_all()
        with freeze_time("2026-12-01 10:20:00"), trap_jobs() as trap:
            self.assertEqual(Group._cron_bill(), self.groups)
            self.assertEqual(self.groups.mapped("billing_failed_jobs"), [1] * 4)
            self.assertEqual(
                self.groups.mapped("billing_queued_on"), [d("2026-12-01")] * 4
            )
            trap.assert_jobs_count(2)
            trap.perform_enqueued_jobs()
        self.assertEqual(
            self.groups.invoice_ids.mapped("amount_untaxed"),
            [100.0, 101.0, 102.0, 103.0],
        )
        # billed: the next look finds nothing to hand back
        with freeze_time("2026-12-01 10:30:00"):
            self.assertFalse(Group._hand_back_orphaned_groups())
