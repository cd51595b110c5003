# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.subscription_grouping.tests.companies_common import (
    TwoCompaniesCase,
)


@tagged("post_install", "-at_install")
class TestBillJobCompanies(TwoCompaniesCase):
    """A job holding groups of two companies bills each in its own."""

    def test_one_job_bills_the_groups_of_two_companies_each_in_its_own(self):
        bot_env = self.bot_env(
            context=dict(self.bot_env.context, queue_job__no_delay=False)
        )
        with trap_jobs() as trap, freeze_time("2026-12-01"):
            taken = bot_env["sale.subscription.group"]._cron_bill()
            self.assertEqual(taken, (self.group_a | self.group_b).with_env(bot_env))
            # one batch: both groups in one job
            trap.assert_jobs_count(1)
            trap.perform_enqueued_jobs()
        self.assertEqual(
            (self.group_a | self.group_b).mapped("billing_error"), [False, False]
        )
        self.assertBilledInItsCompany(
            self.group_a.invoice_ids, self.company_data, self.income_a, [100.0, 53.33]
        )
        self.assertBilledInItsCompany(
            self.group_b.invoice_ids, self.data_b, self.income_b, [60.0, 32.0]
        )
