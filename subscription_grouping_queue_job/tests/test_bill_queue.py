# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from contextlib import closing

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.queue_job.job import identity_exact
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.subscription_grouping.tests.common import (
    SubscriptionGroupingCase,
    d,
)

BILL_CRON = "subscription_grouping.ir_cron_bill_subscription_groups"
BILL_JOB = "<sale.subscription.group>._bill_job"
CHANNEL = "root.subscription_grouping"


@tagged("post_install", "-at_install")
class TestBillQueue(SubscriptionGroupingCase):
    """The scheduled action enqueues a job per batch; the jobs bill."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the base class keeps the run inline; here the jobs are the subject
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=False))
        customers = [
            cls._create_customer(
                f"Queued Customer {index}", subscription_grouping_anchor_day=1
            )
            for index in range(5)
        ]
        # the first customer is due since November: two run dates by December
        cls.subscriptions = cls._create_subscription(
            cls.template_monthly, "2026-11-01", [90.0], partner=customers[0]
        ) | cls._create_subscription(
            cls.template_quarterly, "2026-12-01", [300.0, 12.5], partner=customers[0]
        )
        for index, customer in enumerate(customers[1:], start=1):
            cls.subscriptions |= cls._create_subscription(
                cls.template_monthly, "2026-12-01", [100.0 + index], partner=customer
            )
        for customer in customers:
            customer.subscription_grouping = True
        Group = cls.env["sale.subscription.group"]
        # in the order the scheduled action takes them: oldest run date first
        cls.groups = Group.search(
            [("partner_id", "in", [customer.id for customer in customers])],
            order="next_run_date, id",
        )
        cls.env["ir.config_parameter"].sudo().set_param(
            "subscription_grouping.bill_batch_size", "2"
        )
        cls.cron = cls.env.ref(BILL_CRON)

    def _invoices(self):
        return self.env["account.move"].search(
            [("subscription_group_id", "in", self.groups.ids)]
        )

    def _triggers(self):
        return self.env["ir.cron.trigger"].search_count(
            [("cron_id", "=", self.cron.id)]
        )

    def _billed(self):
        """What a run left, in plain values: the invoices of the groups
        (without their ids), the members' next dates and the groups' state."""
        invoices = self._invoices().sorted(
            lambda move: (
                move.subscription_group_id.id,
                move.subscription_group_run_date,
            )
        )
        return {
            "invoices": [
                (
                    invoice.subscription_group_id.id,
                    invoice.subscription_group_run_date,
                    invoice.invoice_date,
                    invoice.move_type,
                    invoice.state,
                    invoice.amount_untaxed,
                    invoice.amount_total,
                    [
                        (
                            line.display_type,
                            line.subscription_id.id,
                            line.start_date,
                            line.end_date,
                            line.price_subtotal,
                        )
                        for line in invoice.invoice_line_ids.sorted("sequence")
                    ],
                )
                for invoice in invoices
            ],
            "next_dates": self.subscriptions.mapped("recurring_next_date"),
            "groups": [
                (group.next_run_date, group.billing_error) for group in self.groups
            ],
        }

    def _run_queued(self, day):
        """The scheduled action's calls of ``day`` until it takes nothing, then
        the jobs they enqueued, performed as workers would."""
        with trap_jobs() as trap, freeze_time(day):
            while self.env["sale.subscription.group"]._cron_bill():
                pass
            jobs = list(trap.enqueued_jobs)
            trap.perform_enqueued_jobs()
        return jobs

    def test_a_call_enqueues_one_job_per_batch_on_its_channel(self):
        Group = self.env["sale.subscription.group"]
        progress = self.env["ir.cron.progress"].create(
            {"cron_id": self.cron.id, "done": 0, "remaining": 0}
        )
        triggers = self._triggers()
        with trap_jobs() as trap, freeze_time("2026-12-01"):
            taken = Group.with_context(ir_cron_progress_id=progress.id)._cron_bill()
            self.assertEqual(taken, self.groups)
            trap.assert_jobs_count(3)
            for batch in (self.groups[:2], self.groups[2:4], self.groups[4:]):
                trap.assert_enqueued_job(
                    batch._bill_job,
                    args=(d("2026-12-01"),),
                    properties={
                        "identity_key": identity_exact,
                        "description": f"Bill {len(batch)} subscription group(s) "
                        "due by 12/01/2026",
                    },
                )
            self.assertEqual(
                [job.recordset for job in trap.enqueued_jobs],
                [self.groups[:2], self.groups[2:4], self.groups[4:]],
            )
            for job in trap.enqueued_jobs:
                self.assertEqual(job.channel, CHANNEL)
                self.assertEqual(
                    job.job_config.retry_pattern, {1: (5, 15), 3: (30, 90)}
                )
            self.assertEqual((progress.done, progress.remaining), (5, 0))
            self.assertEqual(
                self._triggers(), triggers + 1, "nothing left: the look back only"
            )
            self.assertFalse(self._invoices(), "the jobs bill, not the call")
            self.assertEqual(
                self.groups.mapped("billing_queued_on"), [d("2026-12-01")] * 5
            )

            # handed over for the day: the next call takes none of them again
            self.assertFalse(Group._cron_bill())
            trap.assert_jobs_count(3)

    def test_a_call_enqueues_a_bounded_number_of_batches_then_calls_again(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "subscription_grouping_queue_job.bill_batches_per_call", "2"
        )
        progress = self.env["ir.cron.progress"].create(
            {"cron_id": self.cron.id, "done": 0, "remaining": 0}
        )
        Group = self.env["sale.subscription.group"].with_context(
            ir_cron_progress_id=progress.id
        )
        triggers = self._triggers()
        with trap_jobs() as trap, freeze_time("2026-12-01"):
            self.assertEqual(Group._cron_bill(), self.groups[:4])
            trap.assert_jobs_count(2)
            self.assertEqual((progress.done, progress.remaining), (4, 1))
            # the next call at once, and a look back ten minutes on
            self.assertEqual(self._triggers(), triggers + 2)

            self.assertEqual(Group._cron_bill(), self.groups[4:])
            trap.assert_jobs_count(3)
            self.assertEqual((progress.done, progress.remaining), (1, 0))
            self.assertEqual(self._triggers(), triggers + 3, "a look back only")

            self.assertFalse(Group._cron_bill())
            trap.assert_jobs_count(3)

    def test_the_same_groups_and_date_are_enqueued_once(self):
        with trap_jobs() as trap, freeze_time("2026-12-01"):
            self.groups._enqueue_bill(d("2026-12-01"))
            self.groups._enqueue_bill(d("2026-12-01"))
            self.assertEqual(len(trap.calls), 6)
            trap.assert_jobs_count(3)

    def test_the_job_queue_keeps_one_job_per_groups_and_date(self):
        # the job queue itself, not trapped: one job while the first one waits
        # (the jobs themselves are for Job Queue managers to read)
        QueueJob = self.env["queue.job"].sudo()
        job_domain = [
            ("model_name", "=", "sale.subscription.group"),
            ("method_name", "=", "_bill_job"),
        ]
        before = QueueJob.search_count(job_domain)
        with freeze_time("2026-12-01"):
            self.groups._enqueue_bill(d("2026-12-01"))
            self.assertEqual(QueueJob.search_count(job_domain), before + 3)
            self.groups._enqueue_bill(d("2026-12-01"))
            self.assertEqual(QueueJob.search_count(job_domain), before + 3)
            # another run date is another job
            self.groups[:2]._enqueue_bill(d("2026-12-02"))
            self.assertEqual(QueueJob.search_count(job_domain), before + 4)
        jobs = QueueJob.search(job_domain, order="id desc", limit=4)
        self.assertEqual(set(jobs.mapped("channel")), {CHANNEL})
        self.assertEqual(set(jobs.mapped("state")), {"pending"})

    def test_the_jobs_bill_what_the_plain_run_bills(self):
        # the plain run, as without the job queue, then undone
        with closing(self.env.cr.savepoint()), freeze_time("2026-12-01"):
            Group = self.env["sale.subscription.group"].with_context(
                queue_job__no_delay=True
            )
            while Group._cron_bill():
                pass
            plain = self._billed()
            self.env.flush_all()
        self.env.invalidate_all()
        self.assertFalse(self._invoices())
        self.assertEqual(len(plain["invoices"]), 6, "two run dates for the first")

        jobs = self._run_queued("2026-12-01")
        self.assertEqual(len(jobs), 3)
        self.assertEqual(self._billed(), plain)
        self.assertEqual(
            [
                (group_id, run_date, amount)
                for group_id, run_date, _day, _type, _state, amount, *_rest in plain[
                    "invoices"
                ]
            ],
            [
                (self.groups[0].id, d("2026-11-01"), 90.0),
                (self.groups[0].id, d("2026-12-01"), 402.5),
                (self.groups[1].id, d("2026-12-01"), 101.0),
                (self.groups[2].id, d("2026-12-01"), 102.0),
                (self.groups[3].id, d("2026-12-01"), 103.0),
                (self.groups[4].id, d("2026-12-01"), 104.0),
            ],
        )
        for subscription in self.subscriptions:
            self.assertExactCoverage(
                subscription,
                subscription.date_start,
                subscription.recurring_next_date,
            )

        # the next day, nothing is due: no call takes anything
        self.assertFalse(self._run_queued("2026-12-02"))

    def test_a_failing_group_fails_alone_in_its_job(self):
        account = self.company_data["default_account_revenue"].copy(
            {"name": "Old Revenue", "code": "700098"}
        )
        product = self.env["product.product"].create(
            {
                "name": "Legacy Hosting",
                "type": "service",
                "company_id": self.env.company.id,
                "property_account_income_id": account.id,
            }
        )
        failing = self.groups[3]
        failing.subscription_ids.sale_subscription_line_ids.product_id = product
        account.deprecated = True
        with self.assertLogs(
            "odoo.addons.subscription_grouping.models.sale_subscription_group_run",
            level="WARNING",
        ):
            self._run_queued("2026-12-01")
        self.assertEqual(self._invoices().subscription_group_id, self.groups - failing)
        self.assertEqual(
            failing.billing_error,
            "The income account 700098 Old Revenue of Legacy Hosting on "
            f"{failing.subscription_ids.display_name} is deprecated: set another one "
            "on the product or its category.",
        )
        self.assertEqual(failing.billing_failed_on, d("2026-12-01"))
        self.assertEqual(len(failing.activity_ids), 1)

        # the next day's run hands it over again, and its job bills it
        account.deprecated = False
        self.assertEqual(len(self._run_queued("2026-12-02")), 1)
        self.assertEqual(len(failing.invoice_ids), 1)
        self.assertFalse(failing.billing_error)

    def test_without_delay_the_plain_run_bills_one_batch_inline(self):
        # 0 seconds: the plain run's calls take one batch each
        self.env["ir.config_parameter"].sudo().set_param(
            "subscription_grouping.bill_call_seconds", "0"
        )
        Group = self.env["sale.subscription.group"].with_context(
            queue_job__no_delay=True
        )
        with trap_jobs() as trap, freeze_time("2026-12-01"):
            self.assertEqual(Group._cron_bill(), self.groups[:2])
            trap.assert_jobs_count(0)
        self.assertEqual(len(self._invoices()), 3)
        self.assertEqual(self._invoices().subscription_group_id, self.groups[:2])
        self.assertFalse(any(self.groups.mapped("billing_queued_on")))
