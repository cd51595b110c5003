# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import d
from .companies_common import TwoCompaniesCase


@tagged("post_install", "-at_install")
class TestCompanies(TwoCompaniesCase):
    """Every group is billed in its own company, whoever runs it."""

    def test_the_scheduled_action_bills_each_group_in_its_own_company(self):
        # OdooBot works in the database's main company, neither group's
        self.assertEqual(self.bot_env.company, self.env.ref("base.main_company"))
        self.assertNotIn(self.bot_env.company, self.company_a | self.company_b)
        self.assertRecordValues(
            self.group_a | self.group_b,
            [
                {"company_id": self.company_a.id, "next_run_date": d("2026-12-01")},
                {"company_id": self.company_b.id, "next_run_date": d("2026-12-01")},
            ],
        )
        # both groups in one batch, in one call of the scheduled action
        with freeze_time("2026-12-01"):
            self.assertEqual(
                len(self.bot_env["sale.subscription.group"]._cron_bill()), 2
            )
            self.assertFalse(self.bot_env["sale.subscription.group"]._cron_bill())
        self.assertEqual(
            (self.group_a | self.group_b).mapped("billing_error"), [False, False]
        )
        # December and the transition of Nov 15-30 (16 of 30 days)
        self.assertBilledInItsCompany(
            self.group_a.invoice_ids, self.company_data, self.income_a, [100.0, 53.33]
        )
        self.assertBilledInItsCompany(
            self.group_b.invoice_ids, self.data_b, self.income_b, [60.0, 32.0]
        )
        self.assertRecordValues(
            self.sub_a | self.sub_b,
            [
                {"recurring_next_date": d("2027-01-01")},
                {"recurring_next_date": d("2027-01-01")},
            ],
        )

    def test_a_failing_group_of_one_company_leaves_the_other_billed(self):
        self.income_b.deprecated = True
        with (
            freeze_time("2026-12-01"),
            mute_logger(
                "odoo.addons.subscription_grouping.models.sale_subscription_group_run"
            ),
        ):
            self.bot_env["sale.subscription.group"]._cron_bill()
        self.assertBilledInItsCompany(
            self.group_a.invoice_ids, self.company_data, self.income_a, [100.0, 53.33]
        )
        self.assertFalse(self.group_b.invoice_ids)
        self.assertIn(
            f"The income account {self.income_b.display_name} of Support on SUB-B "
            "is deprecated",
            self.group_b.billing_error,
        )

    def test_invoice_now_bills_in_the_group_company_from_any_current_company(self):
        both = (self.company_a | self.company_b).ids
        with freeze_time("2026-12-01"):
            self.group_b.with_context(allowed_company_ids=both).action_run_now()
        self.assertBilledInItsCompany(
            self.group_b.invoice_ids, self.data_b, self.income_b, [60.0, 32.0]
        )

    def test_a_credit_note_on_close_is_made_in_the_group_company(self):
        self.group_b.cancellation_policy = "credit"
        with freeze_time("2026-12-01"):
            self.bot_env["sale.subscription.group"]._cron_bill()
        # closed on Dec 11 by a user working in the main company: no merged
        # invoice is due any more, Dec 11-31 is credited at once
        both = (self.company_a | self.company_b).ids
        with freeze_time("2026-12-11"):
            self.sub_b.with_context(allowed_company_ids=both).close_subscription()
        refund = self.group_b.invoice_ids.filtered(
            lambda move: move.move_type == "out_refund"
        )
        self.assertRecordValues(
            refund,
            [
                {
                    "company_id": self.company_b.id,
                    "journal_id": self.data_b["default_journal_sale"].id,
                    # 21 of December's 31 days of 60.00
                    "amount_untaxed": 40.65,
                }
            ],
        )
        self.assertRecordValues(
            self._product_lines(refund),
            [{"account_id": self.income_b.id, "start_date": d("2026-12-11")}],
        )

    def test_a_merged_invoice_is_sent_from_its_company(self):
        template = self._create_template(
            "Monthly sent", 1, "months", invoicing_mode="invoice_send"
        )
        customer = self._create_customer(
            "Sent Customer", subscription_grouping_anchor_day=1
        )
        subscription = self._create_company_subscription(
            self.company_b, 60.0, "SUB-SENT", customer, template
        ).with_env(self.env)
        customer.subscription_grouping = True
        Send = type(self.env["account.move.send"])
        sent_in = []
        with (
            patch.object(
                Send,
                "_generate_and_send_invoices",
                autospec=True,
                side_effect=lambda sender, moves, **settings: sent_in.append(
                    (sender.env.company, moves.env.company, moves)
                ),
            ),
            freeze_time("2026-12-01"),
        ):
            self.bot_env["sale.subscription.group"]._cron_bill()
            self.bot_env["account.move"]._cron_send_subscription_group_invoices()
        invoice = subscription.group_id.invoice_ids
        self.assertRecordValues(
            invoice,
            [
                {
                    "company_id": self.company_b.id,
                    "state": "posted",
                    "subscription_group_send_state": "sent",
                }
            ],
        )
        self.assertEqual(
            [(sender, moves, move.id) for sender, moves, move in sent_in],
            [(self.company_b, self.company_b, invoice.id)],
        )
