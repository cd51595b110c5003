# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import SubscriptionGroupingCase, d


@tagged("post_install", "-at_install")
class TestUninstall(SubscriptionGroupingCase):
    """Uninstalling loses no day and bills none twice: it waits until nothing
    but aligned next invoice dates is left."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # only this test's subscriptions and groups: the demo data's, in the
        # main company, settled as it would be by hand
        cls.env["sale.subscription.group.charge"].sudo().search([]).unlink()
        cls.env["sale.subscription"].sudo().search(
            [("is_paused", "=", True)]
        ).is_paused = False
        cls.customer.subscription_grouping_anchor_day = 1
        cls.joined = cls._create_subscription(
            cls.template_monthly, "2026-11-15", [100.0]
        )
        cls.joined.code = "SUB-JOINED"
        cls.customer.subscription_grouping = True
        cls.group = cls.joined.group_id
        cls.module = cls.env["ir.module.module"].search(
            [("name", "=", "subscription_grouping")]
        )

    def test_pending_charges_and_paused_subscriptions_are_settled_first(self):
        self.assertEqual(self.group.pending_amount, 53.33)
        with freeze_time("2026-11-20"):
            self.joined.action_pause()
        message = (
            "Subscription Grouping cannot be uninstalled yet, or some days would "
            "never be billed and others billed twice:\n"
            "- 1 group(s) hold charges not billed yet (Grouping Customer): switch "
            "grouping off for these customers, which bills the charges on invoices "
            "of their own.\n"
            "- 1 subscription(s) are paused (SUB-JOINED): resume or close them, or "
            "subscription_oca would bill their paused days."
        )
        with self.assertRaises(UserError) as caught:
            self.module.button_uninstall()
        self.assertEqual(caught.exception.args[0], message)
        self.assertEqual(self.module.state, "installed")
        # removing subscription_oca would remove this module with it
        oca = self.env["ir.module.module"].search([("name", "=", "subscription_oca")])
        with self.assertRaises(UserError):
            oca.button_uninstall()
        self.assertEqual(oca.state, "installed")

    def test_uninstall_goes_ahead_once_everything_is_billed(self):
        self._cron("2026-12-01")
        self.assertEqual(self.group.pending_amount, 0.0)
        self.assertEqual(self.joined.recurring_next_date, d("2027-01-01"))
        self.module.button_uninstall()
        self.assertEqual(self.module.state, "to remove")
        # what subscription_oca bills next starts where the group stopped
        self.assertExactCoverage(self.joined, d("2026-11-15"), d("2027-01-01"))
