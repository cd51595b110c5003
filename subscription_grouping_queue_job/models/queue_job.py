# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models

from odoo.addons.queue_job.job import CANCELLED, FAILED

BILL_JOB = ("sale.subscription.group", "_bill_job")
SEND_JOB = ("account.move", "_send_job")


class QueueJob(models.Model):
    _inherit = "queue.job"

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
