# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Sending merged invoices on job queue workers.

Rendering the PDFs is most of a posted and emailed bill run, and the send
action runs in the one cron worker. With the job queue, a call of the send
action only hands batches of invoices over to jobs, which the job workers
render and mail side by side. An invoice handed over is not handed over again
for an hour; a job that fails or is cancelled hands its invoices back at
once, and one that vanished is made up for by the hourly run.
"""

from datetime import timedelta

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

# an invoice handed to a send job is handed over again after this long
# (the send action runs every hour) if its job has not sent it
SEND_HANDOVER_DELAY = timedelta(hours=1)


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
        """Except the invoices handed to a send job within the last hour."""
        return super()._get_subscription_group_send_domain() + [
            "|",
            ("subscription_group_send_queued_at", "=", False),
            (
                "subscription_group_send_queued_at",
                "<",
                fields.Datetime.now() - SEND_HANDOVER_DELAY,
            ),
        ]

    @api.model
    def _cron_send_step(self, domain):
        """Hand up to the batches of one call over to send jobs."""
        if must_run_without_delay(self.env):
            # queue_job's "run it now": the plain sending, in this transaction
            return super()._cron_send_step(domain)
        Group = self.env["sale.subscription.group"]
        limit = self._get_send_batch_size() * Group._get_bill_batches_per_call()
        moves = lock_free_rows(self.search(domain, limit=limit, order="id"))
        if moves:
            moves._enqueue_send()
        return moves

    def _enqueue_send(self):
        """Enqueue a send job per batch of ``self`` and mark the invoices as
        handed over; returns the jobs."""
        self.subscription_group_send_queued_at = fields.Datetime.now()
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
        to it; a concurrent update makes queue_job retry the job later."""
        try:
            moves = lock_free_rows(self.exists(), skip_changed=False)
            # the invoices still to send, handed over or not (the base domain)
            moves = moves.filtered_domain(super()._get_subscription_group_send_domain())
            moves._send_subscription_group_invoices()
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
        # the invoices still to send, handed over or not (the base domain)
        moves = moves.filtered_domain(super()._get_subscription_group_send_domain())
        moves.subscription_group_send_queued_at = False
        self.env.ref(SEND_CRON)._trigger()
