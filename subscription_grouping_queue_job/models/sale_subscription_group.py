# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The bill run on job queue workers: the scheduled action enqueues, jobs bill.

Each call of the scheduled action takes up to a number of batches of due
groups, marks them as handed over for the day and enqueues one job per batch;
it reports its progress and calls again while groups are left, as the plain
run does. A job locks its groups and bills them with the plain run's
``_bill`` (each failure alone); a group another transaction holds is skipped,
and a concurrent update makes queue_job retry the job later.
"""

from odoo import api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import format_date, split_every

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact
from odoo.addons.queue_job.utils import must_run_without_delay

BATCHES_PARAM = "subscription_grouping_queue_job.bill_batches_per_call"
DEFAULT_BATCHES = 20


class SaleSubscriptionGroup(models.Model):
    _inherit = "sale.subscription.group"

    billing_queued_on = fields.Date(
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The day the scheduled run last handed this group to a job queue "
        "worker for billing: it is not handed over again that day.",
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
        groups = self._take_due_groups(
            domain, self._get_bill_batch_size() * self._get_bill_batches_per_call()
        )
        if groups:
            groups._enqueue_bill(date_ref)
        return groups

    @api.model
    def _get_bill_batches_per_call(self):
        """Jobs one call enqueues at most (system parameter
        subscription_grouping_queue_job.bill_batches_per_call)."""
        # system parameters are read by every user's run: sudo for the read only
        value = self.env["ir.config_parameter"].sudo().get_param(BATCHES_PARAM)
        if value and value.strip().isdigit() and int(value) > 0:
            return int(value)
        return DEFAULT_BATCHES

    def _enqueue_bill(self, date_ref):
        """Enqueue a job per batch of ``self`` to bill it on ``date_ref``, and
        mark the groups as handed over today.

        A batch that already waits for a worker with the same date is not
        enqueued twice (queue_job's ``identity_exact``: the same method,
        groups and arguments). Returns the jobs.
        """
        self.write({"billing_queued_on": fields.Date.context_today(self)})
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

        Groups deleted since, or held by another transaction (another job,
        Invoice Now), are skipped: whoever holds them bills them, or the next
        day's run does. A concurrent update is no failure of a group: the job
        is retried later, by the retry pattern of its job function.
        """
        try:
            # a group changed since this job began is not skipped: the job
            # is retried and bills it today
            return self.exists()._lock_for_run(skip_changed=False)._bill(date_ref)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
            raise RetryableJobError(
                f"Concurrent update, the job is retried: {error}"
            ) from error
