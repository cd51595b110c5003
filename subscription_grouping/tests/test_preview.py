# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from subscription_grouping_core import plan_join

from .common import SubscriptionGroupingCase, d

CORE = "odoo.addons.subscription_grouping.models.sale_subscription_group_join"


@tagged("post_install", "-at_install")
class TestPreview(SubscriptionGroupingCase):
    """The preview shows the plan; Apply carries out that very plan."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.subscription_grouping_anchor_day = 1
        cls.joined = cls._create_subscription(
            cls.template_monthly, "2026-11-15", [100.0]
        )
        cls.aligned = cls._create_subscription(
            cls.template_monthly, "2026-12-01", [40.0]
        )
        cls.weekly = cls._create_subscription(cls.template_weekly, "2026-11-18", [9.0])

    def _open(self, action):
        self.assertEqual(action["res_model"], "sale.subscription.group.preview")
        self.assertEqual(action["target"], "new")
        return self.env["sale.subscription.group.preview"].browse(action["res_id"])

    def _rows(self, wizard):
        return [
            (
                line.subscription_id,
                line.date_before,
                line.date_after,
                line.charge_start,
                line.charge_end,
                line.ratio,
                line.amount,
                line.note,
            )
            for line in wizard.line_ids
        ]

    def test_switching_on_shows_every_subscription_and_the_first_invoice(self):
        wizard = self._open(self.customer.action_preview_subscription_grouping())
        self.assertEqual(wizard.mode, "group")
        self.assertEqual(
            sorted(self._rows(wizard), key=lambda row: row[0].id),
            [
                (
                    self.joined,
                    d("2026-11-15"),
                    d("2026-12-01"),
                    d("2026-11-15"),
                    d("2026-11-30"),
                    "16 of 30 days",
                    53.33,
                    False,
                ),
                (
                    self.aligned,
                    d("2026-12-01"),
                    d("2026-12-01"),
                    False,
                    False,
                    False,
                    0.0,
                    "Already on the billing day",
                ),
                (
                    self.weekly,
                    d("2026-11-18"),
                    False,
                    False,
                    False,
                    False,
                    0.0,
                    "Stays out: Its cadence, in days or weeks, cannot follow a "
                    "monthly billing day",
                ),
            ],
        )
        self.assertIn("New group: Grouping Customer, USD, day 1", wizard.summary)
        self.assertIn(
            "first merged invoice on 12/01/2026: $&nbsp;193.33", wizard.summary
        )
        # a preview writes nothing
        self.assertFalse(self.customer.subscription_grouping)
        self.assertFalse(self.customer.subscription_group_ids)
        self.assertEqual(self.joined.recurring_next_date, d("2026-11-15"))

    def test_apply_plans_again_and_carries_out_the_plan_shown(self):
        wizard = self._open(self.customer.action_preview_subscription_grouping())
        shown = {line.subscription_id: line for line in wizard.line_ids}
        # Apply plans again (the stored plan is only compared with it): the
        # plan it carries out is the server's, and the one shown
        with patch(f"{CORE}.plan_join", wraps=plan_join) as planned:
            action = wizard.action_apply()
        self.assertEqual(planned.call_count, 2)
        self.assertEqual(action["res_model"], "sale.subscription.group")
        group = self.joined.group_id
        self.assertTrue(self.customer.subscription_grouping)
        for sub in self.joined | self.aligned:
            self.assertEqual(sub.group_id, group)
            self.assertEqual(sub.recurring_next_date, shown[sub].date_after)
        self.assertEqual(self.weekly.grouping_refusal, "cadence")
        self.assertRecordValues(
            group.charge_ids,
            [
                {
                    "subscription_id": self.joined.id,
                    "date_start": shown[self.joined].charge_start,
                    "date_end": shown[self.joined].charge_end,
                    "amount": shown[self.joined].amount,
                }
            ],
        )
        self._cron("2026-12-01")
        self.assertEqual(group.invoice_ids.amount_untaxed, 193.33)

    def test_a_plan_gone_stale_is_refused_and_nothing_is_written(self):
        wizard = self._open(self.customer.action_preview_subscription_grouping())
        self.joined.recurring_next_date = "2026-11-16"
        with self.assertRaisesRegex(UserError, "changed since the plan was made"):
            wizard.action_apply()
        self.assertFalse(self.customer.subscription_grouping)
        self.assertFalse(self.env["sale.subscription.group"].search([]))
        self.assertFalse(self.env["sale.subscription.group.charge"].search([]))
        self.assertEqual(self.aligned.recurring_next_date, d("2026-12-01"))

    def test_a_run_billed_after_the_preview_makes_it_stale(self):
        self.customer.subscription_grouping = True
        group = self.joined.group_id
        wizard = self._open(group.action_preview_billing_day())
        wizard.anchor_day = 15
        wizard.action_preview()
        self._cron("2026-12-01")  # the group bills Dec 1 meanwhile
        with self.assertRaisesRegex(UserError, "changed since the plan was made"):
            wizard.action_apply()
        self.assertEqual(group.anchor_day, 1)
        self.assertEqual(self.joined.recurring_next_date, d("2027-01-01"))

    def test_switching_off_previews_and_applies_the_rollback(self):
        self.customer.subscription_grouping = True
        wizard = self._open(self.customer.action_preview_subscription_grouping())
        self.assertEqual(wizard.mode, "ungroup")
        self.assertEqual(
            sorted(
                ((row[0], row[1], row[2], row[6]) for row in self._rows(wizard)),
                key=lambda row: row[0].id,
            ),
            [
                (self.joined, d("2026-12-01"), d("2026-11-15"), -53.33),
                (self.aligned, d("2026-12-01"), d("2026-12-01"), 0.0),
            ],
        )
        self.assertIn("get back the dates they had before grouping", wizard.summary)
        wizard.action_apply()
        self.assertFalse(self.customer.subscription_grouping)
        self.assertEqual(self.joined.recurring_next_date, d("2026-11-15"))
        self.assertEqual(self.aligned.recurring_next_date, d("2026-12-01"))
        self.assertFalse(self.weekly.grouping_refusal)

    def test_changing_the_billing_day_then_rolling_everything_back(self):
        self.customer.subscription_grouping = True
        group = self.joined.group_id
        wizard = self._open(group.action_preview_billing_day())
        self.assertEqual(wizard.mode, "realign")
        wizard.anchor_day = 15
        self.assertTrue(wizard.stale)
        with self.assertRaisesRegex(UserError, "preview again"):
            wizard.action_apply()
        wizard.action_preview()
        self.assertFalse(wizard.stale)
        self.assertEqual(
            sorted(
                (
                    (row[0], row[2], row[4], row[5], row[6])
                    for row in self._rows(wizard)
                ),
                key=lambda row: row[0].id,
            ),
            [
                # [Dec 1, Dec 15) of [Nov 15, Dec 15)
                (self.joined, d("2026-12-15"), d("2026-12-14"), "14 of 30 days", 46.67),
                (
                    self.aligned,
                    d("2026-12-15"),
                    d("2026-12-14"),
                    "14 of 30 days",
                    18.67,
                ),
            ],
        )
        # 100 + 40, the pending 53.33, and the two new transitions
        self.assertIn(
            "first merged invoice on 12/15/2026: $&nbsp;258.67", wizard.summary
        )
        wizard.action_apply()
        self.assertEqual(group.anchor_day, 15)
        self.assertEqual(self.joined.recurring_next_date, d("2026-12-15"))
        self.assertEqual(group.pending_amount, 53.33 + 46.67 + 18.67)
        self.assertEqual(
            group.event_ids.sorted("id").mapped("kind"),
            ["join", "join", "realign", "realign"],
        )
        # switching off before any merged invoice undoes both moves
        self.customer.subscription_grouping = False
        self.assertEqual(self.joined.recurring_next_date, d("2026-11-15"))
        self.assertEqual(self.aligned.recurring_next_date, d("2026-12-01"))
        self.assertFalse(group.charge_ids)
