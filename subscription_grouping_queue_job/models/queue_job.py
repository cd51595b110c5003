# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models

from odoo.addons.queue_job.job import (
    CANCELLED,
    ENQUEUED,
    FAILED,
    PENDING,
    STARTED,
    WAIT_DEPENDENCIES,
)

BILL_JOB = ("sale.subscription.group", "_bill_job")
SEND_JOB = ("account.move", "_send_job")
LIVE_JOB_STATES = (WAIT_DEPENDENCIES, PENDING, ENQUEUED, STARTED)


class QueueJob(models.Model):
    _inherit = "queue.job"

    @api.model
    def _get_live_job_record_ids(self, job_function):
        """Ids of the records of the jobs of ``job_function`` (a ``(model,
        method)`` pair) still to run or running."""
        model_name, method_name = job_function
        jobs = self.search(
            [
                ("model_name", "=", model_name),
                ("method_name", "=", method_name),
                ("state", "in", LIVE_JOB_STATES),
            ]
        )
        return {record_id for job in jobs for record_id in job.records.ids}

    def write(self, vals):
        res = super().write(vals)
        if vals.get("state") in (FAILED, CANCELLED):
            jobs = self.grouped(lambda job: (job.model_name, job.method_name))
            # whoever ends the job (its worker, the job runner, a user's
            # Cancel) hands its groups or invoices back: the module's own
            # billing and sending state, which it alone writes
            if BILL_JOB in jobs:
                self.env["sale.subscription.group"].sudo()._bill_jobs_ended(
                    jobs[BILL_JOB].sudo()
                )
            if SEND_JOB in jobs:
                self.env["account.move"].sudo()._send_jobs_ended(jobs[SEND_JOB].sudo())
        return res
