# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The bill run on job queue workers: the scheduled action enqueues, jobs bill.

Each call of the scheduled action takes up to a number of batches of due
groups, marks them as handed over for the day and enqueues one job per batch;
it reports its progress and calls again while groups are left, as the plain
run does. A job locks its groups and bills them with the plain run's
``_bill`` (each failure alone); a concurrent update makes queue_job retry
the job later. Nothing handed over is forgotten: a group the job could not
take (held), or whose job failed or was cancelled, goes back to the day's
due groups and the scheduled action is called again.
"""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import format_date, split_every

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact
from odoo.addons.queue_job.utils import must_run_without_delay
from odoo.addons.subscription_grouping.locking import LOCKED_RETRY_DELAY

from .queue_job import BILL_JOB

BATCHES_PARAM = "subscription_grouping_queue_job.bill_batches_per_call"
DEFAULT_BATCHES = 20
# bill jobs of a group that may fail in a day before its failure is recorded
MAX_FAILED_JOBS = 3
# a call that handed groups over looks again this much later for groups
# whose job is gone without billing them
CHECK_BACK_DELAY = timedelta(minutes=10)


class SaleSubscriptionGroup(models.Model):
    _inherit = "sale.subscription.group"

    billing_queued_on = fields.Date(
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The day the scheduled run last handed this group to a job queue "
        "worker for billing: it is not handed over again that day, unless its "
        "job ends without billing it.",
    )
    billing_queued_at = fields.Datetime(
        string="Handed Over At",
        readonly=True,
        copy=False,
        help="When the scheduled run last handed this group to a job queue "
        "worker. A group whose job has gone without billing it is handed back "
        "by a call some minutes after this.",
    )
    billing_failed_jobs = fields.Integer(
        readonly=True,
        copy=False,
        help="Bill jobs of this group that failed or were cancelled on the day "
        "of billing_queued_on.",
    )

    # -- the scheduled action -------------------------------------------------
    @api.model
    def _get_bill_domain(self, date_ref, today):
        """Also except the groups already handed to a worker ``today``."""
        return super()._get_bill_domain(date_ref, today) + [
            "|",
            ("billing_queued_on", "=", False),
            ("billing_queued_on", "<", today),
        ]

    @api.model
    def _cron_bill_step(self, domain, date_ref):
        """Enqueue up to the batches of one call: one job per batch."""
        if must_run_without_delay(self.env):
            # queue_job's own "run it now" (the QUEUE_JOB__NO_DELAY variable,
            # the queue_job__no_delay context key): the plain run, one batch
            # billed in this transaction
            return super()._cron_bill_step(domain, date_ref)
        limit = self._get_bill_batch_size() * self._get_bill_batches_per_call()
        groups = self._take_due_groups(domain, limit)
        if not groups and self._hand_back_orphaned_groups():
            groups = self._take_due_groups(domain, limit)
        if groups:
            groups._enqueue_bill(date_ref)
        return groups

    @api.model
    def _hand_back_orphaned_groups(self):
        """Hand the groups handed over today, some minutes ago, whose bill
        jobs are all gone without billing them back to the day's due groups,
        and return them.

        queue_job's runner fails a job found dead too many times with plain
        SQL, which the job's write hook never sees, and a user may delete a
        waiting job. While jobs are still to run, the action looks again later.
        """
        today = fields.Date.context_today(self)
        handed = self.search(
            self._get_run_domain(today)
            + [
                ("billing_queued_on", "=", today),
                ("billing_queued_at", "<=", fields.Datetime.now() - CHECK_BACK_DELAY),
                ("billing_failed_on", "=", False),
            ]
        )
        if not handed:
            return handed
        # the jobs of every company's groups: queue_job's records, read only
        live_ids = self.env["queue.job"].sudo()._get_live_job_record_ids(BILL_JOB)
        orphans = handed.filtered(
            lambda group: group.id not in live_ids and group._is_due(today)
        )
        if len(orphans) < len(handed):
            self._get_bill_cron()._trigger(fields.Datetime.now() + CHECK_BACK_DELAY)
        orphans._hand_back_unbilled(
            self.env._("no bill job is left to bill it"), self.env._("gone")
        )
        return orphans.filtered(lambda group: not group.billing_failed_on)

    @api.model
    def _get_bill_batches_per_call(self):
        """Jobs one call enqueues at most (system parameter
        subscription_grouping_queue_job.bill_batches_per_call)."""
        return self._get_bill_setting(BATCHES_PARAM, DEFAULT_BATCHES, 1)

    def _enqueue_bill(self, date_ref):
        """Enqueue a job per batch of ``self`` to bill it on ``date_ref``, and
        mark the groups as handed over today.

        A batch that already waits for a worker with the same date is not
        enqueued twice (queue_job's ``identity_exact``: the same method,
        groups and arguments). Returns the jobs.
        """
        today = fields.Date.context_today(self)
        for queued_on, groups in self.grouped("billing_queued_on").items():
            if queued_on and queued_on != today:
                # a new day: the failed jobs of an earlier one count no more
                groups.billing_failed_jobs = 0
        self.write(
            {"billing_queued_on": today, "billing_queued_at": fields.Datetime.now()}
        )
        # a job that dies too often is failed without the ORM: looked for later
        self._get_bill_cron()._trigger(fields.Datetime.now() + CHECK_BACK_DELAY)
        return [
            batch.with_delay(
                description=batch._get_bill_job_description(date_ref),
                identity_key=identity_exact,
            )._bill_job(date_ref)
            for batch in split_every(self._get_bill_batch_size(), self.ids, self.browse)
        ]

    def _get_bill_job_description(self, date_ref):
        return self.env._(
            "Bill %(count)s subscription group(s) due by %(date)s",
            count=len(self),
            date=format_date(self.env, date_ref),
        )

    # -- the job --------------------------------------------------------------
    def _bill_job(self, date_ref):
        """Bill the groups of this batch due by ``date_ref`` (a queue job).

        Groups deleted since are skipped; groups held by another transaction
        (another job, Invoice Now) are handed back to the day's run, which is
        called again a few minutes later. A concurrent update is no failure
        of a group: the job is retried later, by the retry pattern of its job
        function.
        """
        try:
            # a group changed since this job began is not skipped: the job
            # is retried and bills it today
            groups = self.exists()
            invoices = groups._lock_for_run(skip_changed=False)._bill(date_ref)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
            raise RetryableJobError(
                f"Concurrent update, the job is retried: {error}"
            ) from error
        # A group another transaction held is still due: back to the day's
        # due groups, and the scheduled action called again a little later.
        # sudo: the module's own billing state, of groups of any company the
        # job holds (its user may not select them all).
        held = groups.sudo().filtered(
            lambda group: group._is_due(date_ref) and not group.billing_failed_on
        )
        (groups - held).sudo().billing_failed_jobs = 0
        if held:
            held.billing_queued_on = False
            self._get_bill_cron()._trigger(fields.Datetime.now() + LOCKED_RETRY_DELAY)
        return invoices

    @api.model
    def _bill_jobs_ended(self, jobs):
        """Bill jobs that failed or were cancelled: their groups still due are
        handed back, and the scheduled action is called again at once."""
        today = fields.Date.context_today(self)
        states = dict(jobs._fields["state"]._description_selection(self.env))
        for job in jobs:
            groups = job.records.exists().filtered(
                lambda group: (
                    group.billing_queued_on == today
                    and not group.billing_failed_on
                    and group._is_due(today)
                )
            )
            groups._hand_back_unbilled(
                job.exc_message or job.result or states[job.state], states[job.state]
            )
        self._get_bill_cron()._trigger()

    def _hand_back_unbilled(self, reason, state):
        """Groups a bill job left unbilled: back to the day's due groups; a
        group so left MAX_FAILED_JOBS times today has its failure recorded
        instead (banner, activity), and is tried again by the next day's run."""
        for count, same in self.grouped("billing_failed_jobs").items():
            same.billing_failed_jobs = count + 1
        for group in self.filtered(
            lambda group: group.billing_failed_jobs >= MAX_FAILED_JOBS
        ):
            group._record_billing_failure(
                UserError(
                    self.env._(
                        "Its bill job ended %(count)s times today without "
                        "billing it (%(state)s): %(reason)s",
                        count=group.billing_failed_jobs,
                        state=state,
                        reason=reason,
                    )
                )
            )
        self.filtered(lambda group: not group.billing_failed_on).write(
            {"billing_queued_on": False}
        )
