# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Sending merged invoices on job queue workers.

Rendering the PDFs is most of a posted and emailed bill run, and the send
action runs in the one cron worker. With the job queue, a call of the send
action only hands batches of invoices over to jobs, which the job workers
render and mail side by side. An invoice handed over is not handed over again
while its job may still send it: a job that fails or is cancelled hands its
invoices back at once, and the invoices of a job that vanished are handed
back by a call ten minutes after they were handed over, as for bill jobs.
"""

from odoo import api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import split_every

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact
from odoo.addons.queue_job.utils import must_run_without_delay
from odoo.addons.subscription_grouping.locking import lock_free_rows
from odoo.addons.subscription_grouping.models.sale_subscription_group_invoice import (
    SEND_CRON,
)

from .queue_job import SEND_JOB
from .sale_subscription_group import CHECK_BACK_DELAY


class AccountMove(models.Model):
    _inherit = "account.move"

    subscription_group_send_queued_at = fields.Datetime(
        string="Handed to a Send Job At",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="When the send action last handed this merged invoice to a job "
        "queue worker to be rendered and mailed.",
    )

    @api.model
    def _get_subscription_group_send_domain(self):
        """Except the invoices handed to a send job."""
        return super()._get_subscription_group_send_domain() + [
            ("subscription_group_send_queued_at", "=", False)
        ]

    @api.model
    def _cron_send_step(self, domain):
        """Hand up to the batches of one call over to send jobs."""
        if must_run_without_delay(self.env):
            # queue_job's "run it now": the plain sending, in this transaction
            return super()._cron_send_step(domain)
        moves = self._take_to_send(domain)
        if not moves and self._hand_back_orphaned_sends():
            moves = self._take_to_send(domain)
        if moves:
            moves._enqueue_send()
        return moves

    @api.model
    def _take_to_send(self, domain):
        """The invoices of ``domain`` for the batches of one call, locked."""
        Group = self.env["sale.subscription.group"]
        limit = self._get_send_batch_size() * Group._get_bill_batches_per_call()
        return lock_free_rows(self.search(domain, limit=limit, order="id"))

    @api.model
    def _hand_back_orphaned_sends(self):
        """Hand the invoices handed over some minutes ago whose send jobs are
        all gone without sending them back to the send action, and return them.

        queue_job's runner fails a job found dead too many times with plain
        SQL, which the job's write hook never sees, and a user may delete a
        waiting job. While jobs are still to run, the action looks again later.
        """
        handed = self.search(
            self._get_subscription_group_to_send_domain()
            + [
                (
                    "subscription_group_send_queued_at",
                    "<=",
                    fields.Datetime.now() - CHECK_BACK_DELAY,
                )
            ]
        )
        if not handed:
            return handed
        live_ids = self.env["queue.job"].sudo()._get_live_job_record_ids(SEND_JOB)
        orphans = handed.filtered(lambda move: move.id not in live_ids)
        if len(orphans) < len(handed):
            self.env.ref(SEND_CRON)._trigger(fields.Datetime.now() + CHECK_BACK_DELAY)
        orphans.subscription_group_send_queued_at = False
        return orphans

    def _enqueue_send(self):
        """Enqueue a send job per batch of ``self`` and mark the invoices as
        handed over; returns the jobs."""
        self.subscription_group_send_queued_at = fields.Datetime.now()
        # a job that dies too often is failed without the ORM: looked for later
        self.env.ref(SEND_CRON)._trigger(fields.Datetime.now() + CHECK_BACK_DELAY)
        return [
            batch.with_delay(
                description=self.env._(
                    "Send %(count)s merged invoice(s)", count=len(batch)
                ),
                identity_key=identity_exact,
            )._send_job()
            for batch in split_every(self._get_send_batch_size(), self.ids, self.browse)
        ]

    def _send_job(self):
        """Render and mail the invoices of this batch still to send (a queue
        job). An invoice another transaction holds or has just sent is left
        to it; a concurrent update makes queue_job retry the job later. The
        invoices it took are no longer handed over: sent, or failed and left
        to a later day's run."""
        try:
            moves = lock_free_rows(self.exists(), skip_changed=False)
            moves = moves.filtered_domain(self._get_subscription_group_to_send_domain())
            moves._send_subscription_group_invoices()
            moves.subscription_group_send_queued_at = False
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
            raise RetryableJobError(
                f"Concurrent update, the job is retried: {error}"
            ) from error
        return moves

    @api.model
    def _send_jobs_ended(self, jobs):
        """Send jobs that failed or were cancelled: their invoices still to
        send are handed back, and the send action is called again at once."""
        moves = self.browse().union(*(job.records for job in jobs)).exists()
        moves = moves.filtered_domain(self._get_subscription_group_to_send_domain())
        moves.subscription_group_send_queued_at = False
        self.env.ref(SEND_CRON)._trigger()
