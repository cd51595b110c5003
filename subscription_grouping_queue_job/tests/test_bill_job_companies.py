# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.subscription_grouping.tests.common import d
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

    def test_a_job_bills_missed_runs_by_each_groups_catch_up_policy(self):
        self.group_a.catch_up_policy = "one_invoice"
        bot_env = self.bot_env(
            context=dict(self.bot_env.context, queue_job__no_delay=False)
        )
        with trap_jobs() as trap, freeze_time("2027-02-10"):
            bot_env["sale.subscription.group"]._cron_bill()
            trap.assert_jobs_count(1)
            trap.perform_enqueued_jobs()
        # December, January and February on one invoice of the day ...
        self.assertRecordValues(
            self.group_a.invoice_ids,
            [
                {
                    "invoice_date": d("2027-02-10"),
                    "subscription_group_run_date": d("2027-02-01"),
                    "subscription_group_missed_runs": "12/01/2026, 01/01/2027",
                    "amount_untaxed": 353.33,
                }
            ],
        )
        # ... or one invoice per run date, each dated its run date
        self.assertRecordValues(
            self.group_b.invoice_ids.sorted("invoice_date"),
            [
                {
                    "invoice_date": d(day),
                    "subscription_group_run_date": d(day),
                    "amount_untaxed": amount,
                }
                for day, amount in (
                    ("2026-12-01", 92.0),
                    ("2027-01-01", 60.0),
                    ("2027-02-01", 60.0),
                )
            ],
        )
