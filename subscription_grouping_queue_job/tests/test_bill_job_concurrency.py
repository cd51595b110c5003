# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from contextlib import contextmanager
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api, sql_db
from odoo.modules.registry import Registry
from odoo.tests import tagged
from odoo.tests.common import get_db_name
from odoo.tools import mute_logger

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.subscription_grouping.tests.common import (
    SubscriptionGroupingCase,
    d,
)


@tagged("post_install", "-at_install")
class TestBillJobConcurrency(SubscriptionGroupingCase):
    """A job meets other transactions: real ones, on another connection.

    Another transaction sees only committed rows, and a test's own rows are
    never committed: two groups are committed before the test transaction
    starts (so that it sees them too), and deleted after it.
    """

    @classmethod
    def setUpClass(cls):
        with Registry(get_db_name()).cursor() as cr:  # committed on exit
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            partner = env["res.partner"].create({"name": "Concurrency Customer"})
            company = env.ref("base.main_company")
            committed = env["sale.subscription.group"].create(
                [
                    {
                        "partner_id": partner.id,
                        "company_id": company.id,
                        "currency_id": company.currency_id.id,
                        "anchor_day": day,
                    }
                    for day in (1, 2)
                ]
            )
            cls.committed_ids = committed.ids
            cls.committed_partner_id = partner.id
        # after the test transaction is rolled back (class cleanups run last
        # in, first out)
        cls.addClassCleanup(cls._delete_committed)
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=False))
        cls.held_group, cls.updated_group = cls.env["sale.subscription.group"].browse(
            cls.committed_ids
        )
        customer = cls._create_customer(
            "Unheld Customer", subscription_grouping_anchor_day=1
        )
        cls._create_subscription(
            cls.template_monthly, "2026-12-01", [100.0], partner=customer
        )
        customer.subscription_grouping = True
        cls.due_group = customer.subscription_group_ids

    @classmethod
    def _delete_committed(cls):
        with Registry(get_db_name()).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["sale.subscription.group"].browse(cls.committed_ids).unlink()
            env["res.partner"].browse(cls.committed_partner_id).unlink()

    @contextmanager
    def _other_transaction(self):
        """A transaction of its own, on a connection of its own."""
        cr = sql_db.db_connect(get_db_name()).cursor()
        try:
            yield cr
        finally:
            cr.rollback()
            cr.close()

    def test_a_job_skips_the_groups_another_transaction_holds(self):
        Group = type(self.env["sale.subscription.group"])
        bill = Group._bill
        billed = []

        def spy(groups, date_ref):
            billed.append(groups)
            return bill(groups, date_ref)

        batch = self.held_group | self.due_group
        with self._other_transaction() as other, freeze_time("2026-12-01"):
            # NOWAIT: fail at once, rather than wait, if this test held it
            other.execute(
                "SELECT id FROM sale_subscription_group WHERE id = %s "
                "FOR UPDATE NOWAIT",
                [self.held_group.id],
            )
            with patch.object(Group, "_bill", spy):
                invoices = batch._bill_job(d("2026-12-01"))
        self.assertEqual(billed, [self.due_group])
        self.assertEqual(invoices.subscription_group_id, self.due_group)
        # (in another company than the test user's)
        self.assertFalse(self.held_group.sudo().billing_error)
        # held no more: the next job takes it
        self.assertEqual(batch._lock_for_run(), batch)

    def _update_in_another_transaction(self, group):
        """``group`` changed by a transaction committed after this one's
        snapshot: PostgreSQL refuses this transaction a lock on it."""
        with self._other_transaction() as other:
            other.execute(
                "UPDATE sale_subscription_group SET write_date = write_date "
                "WHERE id = %s",
                [group.id],
            )
            other.commit()

    def test_the_scheduled_run_skips_a_group_changed_since_it_began(self):
        self._update_in_another_transaction(self.updated_group)
        batch = self.updated_group | self.due_group
        # skipped, not failing the run: whoever changed it may have billed it
        self.assertEqual(batch._lock_for_run(), self.due_group)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(SerializationFailure),
            self.env.cr.savepoint(),
        ):
            batch._lock_for_run(skip_changed=False)

    def test_a_concurrent_update_makes_the_job_retry_later(self):
        self._update_in_another_transaction(self.updated_group)
        with trap_jobs() as trap, freeze_time("2026-12-01"):
            (self.updated_group | self.due_group).with_delay(
                identity_key=identity_exact
            )._bill_job(d("2026-12-01"))
            [job] = trap.enqueued_jobs
            # PostgreSQL refuses the lock; Odoo logs the refused query
            with (
                mute_logger("odoo.sql_db"),
                self.assertRaises(RetryableJobError),
                self.env.cr.savepoint(),
            ):
                job.perform()
        self.assertEqual(job.retry, 1)
        self.assertLess(job.retry, job.max_retries, "retried, not failed")
        self.assertFalse(self.due_group.invoice_ids, "nothing billed by that try")
