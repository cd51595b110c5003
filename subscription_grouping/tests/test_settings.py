# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common import SubscriptionGroupingCase, d


@tagged("post_install", "-at_install")
class TestSettings(SubscriptionGroupingCase):
    """The company's defaults, set in the subscription settings."""

    def _save_settings(self, **vals):
        self.env["res.config.settings"].create(vals).execute()

    def test_settings_store_the_company_defaults(self):
        self._save_settings(
            subscription_grouping_default=True,
            subscription_group_anchor_mode="day",
            subscription_group_anchor_day=15,
            subscription_group_transition_policy="immediate",
            subscription_group_cancellation_policy="credit",
            subscription_group_price_change_policy="prorate",
        )
        self.assertRecordValues(
            self.env.company,
            [
                {
                    "subscription_grouping_default": True,
                    "subscription_group_anchor_mode": "day",
                    "subscription_group_anchor_day": 15,
                    "subscription_group_transition_policy": "immediate",
                    "subscription_group_cancellation_policy": "credit",
                    "subscription_group_price_change_policy": "prorate",
                }
            ],
        )

    def test_new_customers_are_grouped_by_default_and_new_groups_take_defaults(self):
        self._save_settings(
            subscription_grouping_default=True,
            subscription_group_anchor_mode="day",
            subscription_group_anchor_day=31,
            subscription_group_cancellation_policy="credit",
            subscription_group_price_change_policy="prorate",
        )
        customer = self._create_customer("Grouped From The Start")
        contact = self.env["res.partner"].create(
            {"name": "Its accountant", "parent_id": customer.id}
        )
        self.assertTrue(customer.subscription_grouping)
        self.assertTrue(contact.subscription_grouping)
        subscription = self._start_subscription(
            self.template_monthly, "2027-02-10", [56.0], partner=customer
        )
        # it joined on the company's day 31, which is Feb 28 in 2027
        self.assertEqual(subscription.recurring_next_date, d("2027-02-28"))
        # [Feb 10, Feb 28) of [Jan 31, Feb 28): 56 x 18/28
        self.assertEqual(subscription.grouping_charge_ids.amount, 36.0)
        group = subscription.group_id
        self.assertRecordValues(
            group,
            [
                {
                    "anchor_day": 31,
                    "transition_policy": "next_invoice",
                    "cancellation_policy": "credit",
                    "price_change_policy": "prorate",
                }
            ],
        )

    def test_a_customers_own_day_wins_over_the_company_day(self):
        self._save_settings(
            subscription_group_anchor_mode="day", subscription_group_anchor_day=20
        )
        sub = self._create_subscription(self.template_monthly, "2026-11-15", [30.0])
        self.customer.subscription_grouping_anchor_day = 1
        self.customer.subscription_grouping = True
        self.assertEqual(sub.group_id.anchor_day, 1)
        self.assertEqual(sub.recurring_next_date, d("2026-12-01"))

    def test_the_company_day_is_used_when_the_customer_has_none(self):
        self._save_settings(
            subscription_group_anchor_mode="day", subscription_group_anchor_day=20
        )
        sub = self._create_subscription(self.template_monthly, "2026-11-15", [30.0])
        self.customer.subscription_grouping = True
        self.assertEqual(sub.group_id.anchor_day, 20)
        self.assertEqual(sub.recurring_next_date, d("2026-11-20"))
        self.assertEqual(sub.group_id.charge_ids.amount, 4.84)  # 30 x 5/31

    def test_default_is_off_and_follows_the_oldest_subscription(self):
        customer = self._create_customer("Not Grouped")
        self.assertFalse(customer.subscription_grouping)
        self.assertEqual(self.env.company.subscription_group_anchor_mode, "oldest")
