# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The bad-input matrix (see bad_input_common): changes in the middle."""

from freezegun import freeze_time

from odoo.tests import tagged

from .bad_input_common import GROUP, BadInputCase
from .common import d


@tagged("post_install", "-at_install")
class TestBadInputChanges(BadInputCase):
    """Changes in the middle: previews gone stale, rollbacks too late."""

    def _realign_wizard(self, group, day):
        action = group.action_preview_billing_day()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.anchor_day = day
        wizard.action_preview()
        return wizard

    def test_a_group_edited_while_its_preview_is_open(self):
        subscription = self._subscription("2026-11-15", [100.0])
        self.customer.subscription_grouping = True
        group = subscription.group_id
        changed = (
            "The group " + GROUP + " changed since the plan was made (a merged "
            "invoice, its billing day, its policies or its members), so the plan "
            "would no longer be right. Preview again."
        )
        with self.subTest("its transition policy"):
            wizard = self._realign_wizard(group, 15)
            group.transition_policy = "immediate"
            self.assertRefusedBeforeWriting(wizard.action_apply, changed)
            group.transition_policy = "next_invoice"
        with self.subTest("a new member"):
            wizard = self._realign_wizard(group, 15)
            self._start_subscription(self.template_monthly, "2026-11-20", [30.0])
            self.assertEqual(len(group.subscription_ids), 2)
            self.assertRefusedBeforeWriting(wizard.action_apply, changed)
        with self.subTest("previewed again, it applies"):
            wizard.action_preview()
            wizard.action_apply()
            self.assertEqual(
                group.subscription_ids.mapped("recurring_next_date"),
                [d("2026-12-15"), d("2026-12-15")],
            )

    def test_a_rollback_after_a_posted_merged_invoice_keeps_what_was_billed(self):
        first = self._subscription(
            "2026-11-15", [100.0], template=self.template_posted, code="SUB-FIRST"
        )
        self.customer.subscription_grouping = True
        group = first.group_id
        group.action_run_now()
        self.assertEqual(group.invoice_ids.state, "posted")
        late = self._start_subscription(self.template_posted, "2026-12-20", [31.0])
        late.code = "SUB-LATE"
        # [Dec 20, Jan 1) of [Dec 1, Jan 1): 12 / 31
        self.assertEqual(group.pending_amount, 12.0)

        action = self.customer.action_preview_subscription_grouping()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        self.assertEqual(
            [
                (line.subscription_id, line.date_before, line.date_after, line.note)
                for line in wizard.line_ids
            ],
            [
                (
                    first,
                    d("2027-01-01"),
                    d("2027-01-01"),
                    "Keeps its date, bills on its own",
                ),
                (
                    late,
                    d("2027-01-01"),
                    d("2027-01-01"),
                    "Keeps its date, bills on its own",
                ),
            ],
        )
        self.assertIn(
            "a merged invoice is posted: everything invoiced stays and the members "
            "bill on their own from their current dates; pending charges of "
            "$&nbsp;12.00 are billed on their own now",
            wizard.summary,
        )
        with freeze_time("2026-12-20"):
            wizard.action_apply()
        self.assertRecordValues(
            first | late,
            [
                {"group_id": False, "recurring_next_date": d("2027-01-01")},
                {"group_id": False, "recurring_next_date": d("2027-01-01")},
            ],
        )
        own = group.invoice_ids.filtered(
            lambda move: not move.subscription_group_run_date
        )
        self.assertRecordValues(
            own,
            [
                {
                    "state": "posted",
                    "invoice_date": d("2026-12-20"),
                    "amount_untaxed": 12.0,
                }
            ],
        )
        self.assertEqual(
            group.event_ids.filtered(
                lambda event: event.kind == "ungroup"
            ).subscription_id,
            first | late,
        )
        self.assertFalse(group.event_ids.filtered(lambda e: e.kind == "rollback"))
        self.assertExactCoverage(first, d("2026-11-15"), d("2027-01-01"))
        self.assertExactCoverage(late, d("2026-12-20"), d("2027-01-01"))
