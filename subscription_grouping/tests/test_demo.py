# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from fractions import Fraction

from dateutil.relativedelta import relativedelta

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemo(TransactionCase):
    """The demo data shows grouping at once.

    Its dates are relative to the day it was installed, so the amounts are
    checked against the formula (DESIGN, rules 1 and 2) rather than against
    fixed figures.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.Group = cls.env["sale.subscription.group"].with_context(active_test=False)
        cls.lumen = ref("subscription_grouping.demo_partner_lumen")
        cls.harbor = ref("subscription_grouping.demo_partner_harbor")
        cls.nordic = ref("subscription_grouping.demo_partner_nordic")
        cls.lumen_monthly = ref("subscription_grouping.demo_sub_lumen_monthly")
        cls.lumen_quarterly = ref("subscription_grouping.demo_sub_lumen_quarterly")
        cls.lumen_yearly = ref("subscription_grouping.demo_sub_lumen_yearly")
        cls.harbor_subs = ref("subscription_grouping.demo_sub_harbor_monthly") | ref(
            "subscription_grouping.demo_sub_harbor_quarterly"
        )
        cls.nordic_monthly = ref("subscription_grouping.demo_sub_nordic_monthly")
        cls.nordic_weekly = ref("subscription_grouping.demo_sub_nordic_weekly")
        cls.nordic_closed = ref("subscription_grouping.demo_sub_nordic_quarterly")

    def _months(self, sub):
        template = sub.template_id
        return template.recurring_interval * (
            12 if template.recurring_rule_type == "years" else 1
        )

    def test_grouped_customer(self):
        members = self.lumen_monthly | self.lumen_quarterly | self.lumen_yearly
        self.assertTrue(self.lumen.subscription_grouping)
        group = self.Group.search([("partner_id", "=", self.lumen.id)])
        self.assertEqual(len(group), 1)
        self.assertTrue(group.active)
        self.assertEqual(group.company_id, self.env.ref("base.main_company"))
        self.assertEqual(group.anchor_day, 1)
        self.assertEqual(group.subscription_ids, members)
        self.assertEqual(self.lumen.subscription_group_count, 1)
        for sub in members:
            self.assertTrue(sub.in_progress)
            self.assertEqual(sub.recurring_next_date.day, 1, sub.name)
            self.assertFalse(sub.grouping_refusal)
        # one paused member, skipped by the next merged invoice
        self.assertEqual(members.filtered("is_paused"), self.lumen_quarterly)
        self.assertEqual(
            group.next_run_date,
            min((self.lumen_monthly | self.lumen_yearly).mapped("recurring_next_date")),
        )
        pause = group.event_ids.filtered(lambda event: event.kind == "pause")
        self.assertEqual(pause.subscription_id, self.lumen_quarterly)
        self.assertEqual(pause.date_from, self.lumen_quarterly.recurring_next_date)
        # until two months after the install day, when the scheduled action
        # resumes it
        until = pause.create_date.date() + relativedelta(months=2)
        self.assertEqual(self.lumen_quarterly.paused_until, until)
        self.assertEqual(pause.resume_date, until)

    def test_grouped_customer_transitions(self):
        group = self.Group.search([("partner_id", "=", self.lumen.id)])
        joins = group.event_ids.filtered(lambda event: event.kind == "join")
        self.assertEqual(joins.subscription_id, group.subscription_ids)
        self.assertEqual(len(joins), 3)
        # three different next invoice dates before grouping, one billing day after
        self.assertEqual(len(set(joins.mapped("date_from"))), 3)
        for event in joins:
            sub, old, new = event.subscription_id, event.date_from, event.date_to
            # the first 1st of a month on or after the old date
            expected = old if old.day == 1 else old + relativedelta(months=1, day=1)
            self.assertEqual(new, expected, sub.name)
            if new == old:
                self.assertFalse(event.charge_ids, sub.name)
                continue
            days = (new - (new - relativedelta(months=self._months(sub)))).days
            ratio = Fraction((new - old).days, days)
            self.assertEqual(
                event.charge_ids.subscription_line_id, sub.sale_subscription_line_ids
            )
            for charge in event.charge_ids:
                self.assertEqual(charge.kind, "transition")
                self.assertEqual(charge.state, "pending")
                self.assertEqual(charge.subscription_id, sub)
                self.assertEqual(charge.date_start, old)
                self.assertEqual(charge.date_end, new - relativedelta(days=1))
                self.assertEqual(
                    Fraction(charge.ratio_numerator, charge.ratio_denominator), ratio
                )
                price = charge.subscription_line_id.price_unit
                self.assertEqual(charge.price, price)
                self.assertTrue(
                    charge.currency_id.is_zero(
                        charge.amount
                        - charge.currency_id.round(
                            price * ratio.numerator / ratio.denominator
                        )
                    ),
                    f"{sub.name}: {charge.amount} for {price} x {ratio}",
                )
            self.assertAlmostEqual(event.amount, sum(event.charge_ids.mapped("amount")))
        # at most one of the three old dates can be a 1st
        charges = group.charge_ids
        self.assertGreaterEqual(len(charges.subscription_id), 2)
        self.assertEqual(charges, joins.charge_ids)
        self.assertTrue(group.pending_amount > 0)
        self.assertAlmostEqual(group.pending_amount, sum(charges.mapped("amount")))

    def test_ungrouped_customer_preview(self):
        self.assertFalse(self.harbor.subscription_grouping)
        self.assertFalse(self.Group.search([("partner_id", "=", self.harbor.id)]))
        self.assertEqual(len(self.harbor_subs), 2)
        self.assertEqual(len(set(self.harbor_subs.mapped("recurring_next_date"))), 2)
        for sub in self.harbor_subs:
            self.assertTrue(sub.in_progress)
            self.assertFalse(sub.group_id)
        action = self.harbor.action_preview_subscription_grouping()
        self.assertEqual(action["type"], "ir.actions.act_window")
        self.assertEqual(action["res_model"], "sale.subscription.group.preview")
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        self.assertEqual(wizard.mode, "group")
        self.assertEqual(wizard.line_ids.subscription_id, self.harbor_subs)
        for line in wizard.line_ids:
            self.assertEqual(line.date_before, line.subscription_id.recurring_next_date)
            self.assertGreaterEqual(line.date_after, line.date_before)
        # the billing day follows the longest-running subscription: it stays
        oldest = self.harbor_subs.sorted("date_start")[0]
        oldest_line = wizard.line_ids.filtered(
            lambda line: line.subscription_id == oldest
        )
        self.assertEqual(oldest_line.date_after, oldest.recurring_next_date)
        # a preview changes nothing
        self.assertFalse(self.Group.search([("partner_id", "=", self.harbor.id)]))

    def test_customer_with_closed_and_weekly(self):
        self.assertTrue(self.nordic.subscription_grouping)
        self.assertEqual(self.nordic_weekly.grouping_refusal, "cadence")
        self.assertFalse(self.nordic_weekly.group_id)
        self.assertTrue(self.nordic_weekly.in_progress)
        self.assertEqual(self.nordic_closed.stage_id.type, "post")
        self.assertFalse(self.nordic_closed.in_progress)
        self.assertFalse(self.nordic_closed.group_id)
        group = self.Group.search([("partner_id", "=", self.nordic.id)])
        self.assertEqual(len(group), 1)
        self.assertEqual(group.subscription_ids, self.nordic_monthly)
        # its own rhythm is the group's: it joined without a transition
        self.assertEqual(group.anchor_day, self.nordic_monthly.recurring_next_date.day)
        self.assertFalse(group.charge_ids)
        self.assertEqual(group.event_ids.mapped("kind"), ["join"])

    def test_settings_save_keeps_the_pricelists(self):
        # the demo's pricelist comes with the Pricelists feature on: Settings
        # shows it ticked, and a Save archives no pricelist
        pricelist = self.env.ref("subscription_grouping.demo_pricelist")
        self.assertIn(
            self.env.ref("product.group_product_pricelist"),
            self.env.ref("base.group_user").implied_ids,
        )
        self.assertTrue(
            self.env.ref("base.user_admin").has_group("product.group_product_pricelist")
        )
        settings = self.env["res.config.settings"].create({})
        self.assertTrue(settings.group_product_pricelist)
        settings.execute()
        self.assertTrue(pricelist.active)
