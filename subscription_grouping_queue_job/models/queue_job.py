# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models

from odoo.addons.queue_job.job import CANCELLED, FAILED

BILL_JOB = ("sale.subscription.group", "_bill_job")


class QueueJob(models.Model):
    _inherit = "queue.job"

    def write(self, vals):
        res = super().write(vals)
        if vals.get("state") in (FAILED, CANCELLED):
            ended = self.filtered(
                lambda job: (job.model_name, job.method_name) == BILL_JOB
            )
            if ended:
                # whoever ends the job (its worker, the job runner, a user's
                # Cancel) hands its groups back: the groups' own billing state,
                # which the module alone writes
                self.env["sale.subscription.group"].sudo()._bill_jobs_ended(
                    ended.sudo()
                )
        return res
