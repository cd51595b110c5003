# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from contextlib import contextmanager
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2.errors import SerializationFailure

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.subscription_grouping.models.sale_subscription_group_invoice import (
    SEND_CRON,
)
from odoo.addons.subscription_grouping.tests.common import SubscriptionGroupingCase


@tagged("post_install", "-at_install")
class TestSendJobs(SubscriptionGroupingCase):
    """The send action hands batches of merged invoices over to jobs, which
    render and mail them on the job workers; none is sent twice, none left."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        template = cls._create_template(
            "Monthly sent", 1, "months", invoicing_mode="invoice_send"
        )
        customers = [
            cls._create_customer(f"Sent Customer {index}") for index in range(5)
        ]
        for index, customer in enumerate(customers):
            cls._create_subscription(
                template, "2026-12-01", [100.0 + index], partner=customer
            )
            customer.subscription_grouping = True
        # billed inline (the base class's context): the sending is the subject
        with freeze_time("2026-12-01 02:00:00"):
            cls.env["sale.subscription.group"]._cron_bill()
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=False))
        cls.invoices = cls.env["account.move"].search(
            [("subscription_group_send_state", "=", "to_send")], order="id"
        )
        cls.env["ir.config_parameter"].sudo().set_param(
            "subscription_grouping.send_batch_size", "2"
        )

    def _send_call(self):
        return self.env["account.move"]._cron_send_subscription_group_invoices()

    def _stored_jobs(self):
        """One call of the send action: real jobs, stored, not run."""
        before = self.env["queue.job"].sudo().search([])
        self.assertEqual(self._send_call(), self.invoices)
        return (
            self.env["queue.job"]
            .sudo()
            .search([("id", "not in", before.ids)], order="id")
        )

    @contextmanager
    def _patched_send(self, batches):
        """Odoo's rendering and mailing replaced by a record of its batches
        in ``batches``, each rendered together (a wkhtmltopdf with patched
        Qt)."""

        def send(sender, moves, **settings):
            batches.append(moves.ids)

        Send = type(self.env["account.move.send"])
        Move = type(self.env["account.move"])
        with (
            patch.object(Send, "_generate_and_send_invoices", send),
            patch.object(Move, "_can_render_invoices_together", return_value=True),
        ):
            yield

    def _assert_sent_once(self, batches):
        """Each invoice rendered and mailed once, in batches of two."""
        self.assertEqual(
            batches,
            [self.invoices[:2].ids, self.invoices[2:4].ids, self.invoices[4:].ids],
        )
        self.assertEqual(
            self.invoices.mapped("subscription_group_send_state"), ["sent"] * 5
        )

    def _send_triggers(self):
        return (
            self.env["ir.cron.trigger"]
            .search([("cron_id", "=", self.env.ref(SEND_CRON).id)], order="id")
            .mapped("call_at")
        )

    def test_a_send_call_hands_batches_over_to_jobs_that_send_them(self):
        self.assertEqual(len(self.invoices), 5)
        batches = []
        triggers = self._send_triggers()
        with trap_jobs() as trap, freeze_time("2026-12-01 03:00:00"):
            self.assertEqual(self._send_call(), self.invoices)
            # looked at again ten minutes on, for jobs gone without the ORM
            self.assertEqual(
                self._send_triggers()[len(triggers) :],
                [fields.Datetime.to_datetime("2026-12-01 03:10:00")],
            )
            trap.assert_jobs_count(3)
            self.assertEqual(
                [job.recordset.ids for job in trap.enqueued_jobs],
                [self.invoices[:2].ids, self.invoices[2:4].ids, self.invoices[4:].ids],
            )
            self.assertEqual(
                {job.channel for job in trap.enqueued_jobs},
                {"root.subscription_grouping"},
            )
            self.assertEqual(
                self.invoices.mapped("subscription_group_send_queued_at"),
                [fields.Datetime.to_datetime("2026-12-01 03:00:00")] * 5,
            )
            # handed over, still to send: a second call takes none of them
            self.assertEqual(
                self.invoices.mapped("subscription_group_send_state"), ["to_send"] * 5
            )
            self.assertFalse(self._send_call())
            self.assertFalse(batches)
            with self._patched_send(batches):
                trap.perform_enqueued_jobs()
        self._assert_sent_once(batches)
        self.assertEqual(
            self.invoices.mapped("subscription_group_send_queued_at"), [False] * 5
        )

    def test_a_failed_or_cancelled_send_job_hands_its_invoices_back(self):
        with freeze_time("2026-12-01 03:00:00"):
            jobs = self._stored_jobs()
            self.assertEqual(len(jobs), 3)
            triggers = self._send_triggers()
            job = Job.load(self.env(su=True), jobs[0].uuid)
            job.set_failed(
                exc_name="psycopg2.InterfaceError",
                exc_message="cursor already closed",
                exc_info="Traceback...\npsycopg2.InterfaceError: cursor already closed",
            )
            job.store()
            jobs[1].sudo().button_cancelled()
            self.assertEqual(
                self.invoices.mapped("subscription_group_send_queued_at"),
                [False] * 4 + [fields.Datetime.to_datetime("2026-12-01 03:00:00")],
            )
            # the send action is woken at once, for each ending
            self.assertEqual(
                self._send_triggers()[len(triggers) :],
                [fields.Datetime.to_datetime("2026-12-01 03:00:00")] * 2,
            )
        batches = []
        with (
            trap_jobs() as trap,
            freeze_time("2026-12-01 03:05:00"),
            self._patched_send(batches),
        ):
            self.assertEqual(self._send_call(), self.invoices[:4])
            trap.assert_jobs_count(2)
            trap.perform_enqueued_jobs()
            Job.load(self.env(su=True), jobs[2].uuid).perform()
        self._assert_sent_once(batches)

    def test_invoices_whose_job_vanished_are_handed_back_ten_minutes_on(self):
        """A job the runner failed with plain SQL, or a user deleted: its
        invoices are handed over again by a call ten minutes after they were
        handed over; a late job then sends nothing twice."""
        with freeze_time("2026-12-01 03:00:00"):
            old_jobs = self._stored_jobs()
        # unseen by the write hook: queue_job's runner fails a job found dead
        # too often in SQL; a user deletes a waiting one
        self.env.cr.execute(
            "UPDATE queue_job SET state = 'failed' WHERE id = %s", [old_jobs[0].id]
        )
        old_jobs[1].sudo().unlink()
        with freeze_time("2026-12-01 03:09:59"):
            self.assertFalse(self._send_call())
        triggers = self._send_triggers()
        batches = []
        with (
            trap_jobs() as trap,
            freeze_time("2026-12-01 03:10:00"),
            self._patched_send(batches),
        ):
            self.assertEqual(self._send_call(), self.invoices[:4])
            # the last invoice's job still waits for a worker: looked at again
            self.assertEqual(
                self._send_triggers()[len(triggers) :],
                [fields.Datetime.to_datetime("2026-12-01 03:20:00")] * 2,
            )
            trap.assert_jobs_count(2)
            trap.perform_enqueued_jobs()
            for job in (old_jobs[0], old_jobs[2]):
                Job.load(self.env(su=True), job.uuid).perform()
        self._assert_sent_once(batches)

    def test_a_failed_sending_is_handed_over_again_on_the_next_day(self):
        """A job whose sending fails records the failure and lets go of its
        invoices: the next day's first call hands them over again."""

        def fail(sender, moves, **settings):
            raise OSError("no PDF renderer")

        Send = type(self.env["account.move.send"])
        with (
            trap_jobs() as trap,
            freeze_time("2026-12-01 03:00:00"),
            patch.object(Send, "_generate_and_send_invoices", fail),
            mute_logger("odoo.addons.subscription_grouping.models.account_move"),
        ):
            self._send_call()
            trap.perform_enqueued_jobs()
        self.assertEqual(
            self.invoices.mapped("subscription_group_send_state"), ["failed"] * 5
        )
        self.assertEqual(
            self.invoices.mapped("subscription_group_send_queued_at"), [False] * 5
        )
        with freeze_time("2026-12-01 23:59:59"):
            self.assertFalse(self._send_call())
        batches = []
        with (
            trap_jobs() as trap,
            freeze_time("2026-12-02 03:00:00"),
            self._patched_send(batches),
        ):
            self.assertEqual(self._send_call(), self.invoices)
            trap.assert_jobs_count(3)
            trap.perform_enqueued_jobs()
        self._assert_sent_once(batches)

    def test_a_send_job_meeting_a_concurrent_update_is_retried(self):
        with trap_jobs() as trap, freeze_time("2026-12-01 03:00:00"):
            self._send_call()
        job = trap.enqueued_jobs[0]
        Move = type(self.env["account.move"])
        with (
            patch.object(
                Move,
                "_send_subscription_group_invoices",
                side_effect=SerializationFailure("could not serialize access"),
            ),
            self.assertRaisesRegex(RetryableJobError, "could not serialize access"),
        ):
            job.perform()
        self.assertEqual(
            self.invoices.mapped("subscription_group_send_state"), ["to_send"] * 5
        )
