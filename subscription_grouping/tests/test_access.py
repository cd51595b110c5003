# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import SubscriptionGroupingCase, d

MANAGER = "subscription_grouping.group_subscription_grouping_manager"


@tagged("post_install", "-at_install")
class TestAccess(SubscriptionGroupingCase):
    """Only grouping managers change grouping; other users see it read-only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_grouping_users()
        cls.customer.subscription_grouping_anchor_day = 1
        cls.joined = cls._create_subscription(
            cls.template_monthly, "2026-11-15", [100.0]
        )
        cls.aligned = cls._create_subscription(
            cls.template_monthly, "2026-12-01", [40.0]
        )

    def _grouped(self):
        self.customer.subscription_grouping = True
        return self.joined.group_id

    def test_a_plain_user_cannot_switch_grouping(self):
        customer = self.customer.with_user(self.plain)
        with self.assertRaisesRegex(AccessError, "Only subscription grouping managers"):
            customer.subscription_grouping = True
        with self.assertRaises(AccessError):
            customer.subscription_grouping_anchor_day = 15
        with self.assertRaises(AccessError):
            customer.action_preview_subscription_grouping()
        self.assertFalse(self.customer.subscription_grouping)
        self.assertFalse(self.joined.group_id)
        self.assertEqual(self.joined.recurring_next_date, d("2026-11-15"))

    def test_a_plain_user_sees_groups_read_only(self):
        group = self._grouped().with_user(self.plain)
        self.assertEqual(group.anchor_day, 1)
        self.assertEqual(group.pending_amount, 53.33)
        self.assertEqual(len(group.event_ids), 2)
        self.assertEqual(group.subscription_ids, self.joined | self.aligned)
        with self.assertRaises(AccessError):
            group.cancellation_policy = "credit"
        with self.assertRaises(AccessError):
            group.action_preview_billing_day()
        with self.assertRaises(AccessError):
            group.action_run_now()
        with self.assertRaises(AccessError):
            group.charge_ids.amount = 0.0
        with self.assertRaises(AccessError):
            group.event_ids.unlink()
        with self.assertRaises(AccessError):
            self.joined.with_user(self.plain).action_remove_from_group()
        self.assertEqual(self.joined.group_id, group)
        self.assertEqual(group.sudo().cancellation_policy, "keep")

    def test_a_plain_users_own_actions_still_update_the_group(self):
        group = self._grouped()
        group.cancellation_policy = "credit"
        joined = self.joined.with_user(self.plain)
        with freeze_time("2026-11-20"):
            self.aligned.with_user(self.plain).action_pause()
            joined.close_subscription()
        self.assertTrue(self.aligned.is_paused)
        self.assertFalse(self.joined.group_id)
        events = group.event_ids.sorted("id")[-2:]
        self.assertEqual(events.mapped("kind"), ["pause", "leave"])
        self.assertEqual(events.user_id, self.plain)
        # closed on Nov 20, paid through Dec 1: 100 x 11/30 credited
        self.assertEqual(events[1].amount, -36.67)

    def test_a_manager_switches_grouping_and_edits_policies(self):
        customer = self.customer.with_user(self.manager)
        action = customer.action_preview_subscription_grouping()
        wizard = self.env[action["res_model"]].with_user(self.manager)
        wizard.browse(action["res_id"]).action_apply()
        group = self.joined.group_id
        self.assertTrue(group)
        self.assertEqual(group.event_ids.user_id, self.manager)
        group.with_user(self.manager).price_change_policy = "prorate"
        self.assertEqual(group.price_change_policy, "prorate")
        customer.subscription_grouping = False
        self.assertEqual(self.joined.recurring_next_date, d("2026-11-15"))

    def test_sales_administrators_are_grouping_managers(self):
        admin = new_test_user(
            self.env,
            login="grouping_sales_admin",
            groups="sales_team.group_sale_manager",
        )
        self.assertTrue(admin.has_group(MANAGER))
        self.assertFalse(self.plain.has_group(MANAGER))

    def test_another_companys_users_do_not_see_the_groups(self):
        group = self._grouped()
        other = self.setup_other_company(name="Grouping Elsewhere")["company"]
        stranger = new_test_user(
            self.env,
            login="grouping_stranger",
            groups=f"sales_team.group_sale_salesman_all_leads,{MANAGER}",
            company_id=other.id,
            company_ids=[other.id],
        )
        Group = self.env["sale.subscription.group"].with_user(stranger)
        self.assertFalse(Group.search([]))
        self.assertFalse(
            self.env["sale.subscription.group.event"].with_user(stranger).search([])
        )
        with self.assertRaises(AccessError):
            Group.browse(group.id).read(["anchor_day"])
