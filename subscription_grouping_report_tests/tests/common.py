# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The example group of the accountants' reports tests, and how the tests
drive OCA's reports (their wizards and report models)."""

import json

from freezegun import freeze_time

from odoo.tools import json_default

from odoo.addons.subscription_grouping.tests.common import SubscriptionGroupingCase

# What the merged documents of the example group say on their product lines,
# in the order of their journal items.
DECEMBER_LABELS = [
    "Hosting - SUB-MONTHLY\n12/01/2026 to 12/31/2026",
    "Hosting - SUB-MONTHLY\nTransition to the group's billing day, "
    "11/15/2026 to 11/30/2026 (16 of 30 days)",
    "Hosting - SUB-QUARTERLY\n12/01/2026 to 02/28/2027",
    "Hosting - SUB-YEARLY\nTransition to the group's billing day, "
    "12/01/2026 to 02/28/2027 (90 of 365 days)",
]
JANUARY_LABELS = [
    "Hosting - SUB-MONTHLY\n01/01/2027 to 01/31/2027",
    "Hosting - SUB-MONTHLY\nPrice change adjustment, "
    "12/10/2026 to 12/31/2026 (22 of 31 days)",
    "Hosting - SUB-QUARTERLY\nUnused days credited, "
    "12/20/2026 to 02/28/2027 (71 of 90 days)",
]
REFUND_LABELS = [
    "Hosting - SUB-MONTHLY\nUnused days credited, "
    "01/05/2027 to 01/31/2027 (27 of 31 days)",
    "Hosting - SUB-YEARLY\nUnused days credited, "
    "01/10/2027 to 02/28/2027 (50 of 365 days)",
]


class AccountantReportsCase(SubscriptionGroupingCase):
    """OCA's Journal Ledger, General Ledger and prepaid revenue cut-off on the
    merged documents of one group.

    The group bills on the 1st, yearly members in March; it credits the unused
    days of a member that leaves and prorates price changes. Its members:
    monthly 100.00 (next date Nov 15, 2026: a transition), quarterly 90.00 and
    yearly 1,200.00 (both Dec 1; the yearly one moves to Mar 1, 2027 with a
    transition). Then: Dec 1 merged invoice; Dec 10 the monthly price becomes
    130.00; Dec 20 the quarterly member leaves; Jan 1 merged invoice; Jan 5
    the monthly and Jan 10 the yearly member leave, and the group, left with
    nothing to bill, credits their unused days on a credit note at once.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.journal = cls.company_data["default_journal_sale"]
        cls.income = cls.company_data["default_account_revenue"]
        cls.customer.subscription_grouping_anchor_day = 1
        close_reason = cls.env["sale.subscription.close.reason"].create(
            {"name": "Moved to a competitor"}
        )
        members = {}
        for code, (interval, unit), price in (
            ("SUB-MONTHLY", (1, "months"), 100.0),
            ("SUB-QUARTERLY", (3, "months"), 90.0),
            ("SUB-YEARLY", (1, "years"), 1200.0),
        ):
            template = cls._create_template(
                f"{code} posted", interval, unit, invoicing_mode="invoice"
            )
            next_date = "2026-11-15" if code == "SUB-MONTHLY" else "2026-12-01"
            members[code] = cls._create_subscription(template, next_date, [price])
            # a reference of its own: the test company has no subscription sequence
            members[code].code = code
        cls.monthly = members["SUB-MONTHLY"]
        cls.quarterly = members["SUB-QUARTERLY"]
        cls.yearly = members["SUB-YEARLY"]
        with freeze_time("2026-11-10"):
            cls.customer.subscription_grouping = True
            cls.group = cls.monthly.group_id
            cls.group.write(
                {"cancellation_policy": "credit", "price_change_policy": "prorate"}
            )
            action = cls.group.action_preview_billing_day()
            wizard = cls.env[action["res_model"]].browse(action["res_id"])
            wizard.anchor_month = "3"
            wizard.action_preview()
            wizard.action_apply()
        cls._night("2026-12-01")
        with freeze_time("2026-12-10"):
            cls.monthly.sale_subscription_line_ids.price_unit = 130.0
        with freeze_time("2026-12-20"):
            cls.quarterly.close_subscription(close_reason.id)
        cls._night("2027-01-01")
        with freeze_time("2027-01-05"):
            cls.monthly.close_subscription(close_reason.id)
        with freeze_time("2027-01-10"):
            cls.yearly.close_subscription(close_reason.id)
        cls.december, cls.january, cls.refund = cls.env["account.move"].search(
            [("subscription_group_id", "=", cls.group.id)], order="id"
        )

    @classmethod
    def _night(cls, day):
        """The scheduled billing of ``day``: subscription_oca's, then the groups'."""
        with freeze_time(day):
            cls.env["sale.subscription"].cron_subscription_management()
            while cls.env["sale.subscription.group"]._cron_bill():
                pass

    # -- helpers: the reports as their wizards compute them -------------------------
    def _report_data(self, wizard):
        """The wizard's report data as the report action hands it over (JSON)."""
        return json.loads(
            json.dumps(wizard._prepare_report_data(), default=json_default)
        )

    def _journal_ledger(self, date_from, date_to):
        wizard = self.env["journal.ledger.report.wizard"].create(
            {
                "company_id": self.company.id,
                "date_from": date_from,
                "date_to": date_to,
                "journal_ids": self.journal.ids,
                "move_target": "posted",
            }
        )
        data = self._report_data(wizard)
        values = self.env[
            "report.account_financial_report.journal_ledger"
        ]._get_report_values(wizard.ids, data)
        [ledger] = values["Journal_Ledgers"]
        return ledger

    def _general_ledger_wizard(self, date_from, date_to, domain=None, accounts=None):
        return self.env["general.ledger.report.wizard"].create(
            {
                "company_id": self.company.id,
                "date_from": date_from,
                "date_to": date_to,
                "account_ids": (accounts or self.income).ids,
                "target_move": "posted",
                "centralize": False,
                "domain": str(domain or []),
            }
        )

    def _income_ledger(self, date_from, date_to, domain=None):
        """The income account's entry of the General Ledger."""
        wizard = self._general_ledger_wizard(date_from, date_to, domain)
        values = self.env[
            "report.account_financial_report.general_ledger"
        ]._get_report_values(wizard.ids, self._report_data(wizard))
        [account] = values["general_ledger"]
        self.assertEqual(account["id"], self.income.id)
        return account

    def _cutoff(self, cutoff_date):
        cutoff = self.env["account.cutoff"].create(
            {
                "company_id": self.company.id,
                "cutoff_type": "prepaid_revenue",
                "cutoff_date": cutoff_date,
            }
        )
        cutoff.get_lines()
        return cutoff

    def _cutoff_rows(self, cutoff):
        return [
            (
                line.origin_move_id,
                line.name,
                line.partner_id,
                line.start_date,
                line.end_date,
                line.total_days,
                line.cutoff_days,
                line.amount,
                line.cutoff_amount,
            )
            for line in cutoff.line_ids.sorted(lambda line: line.origin_move_line_id.id)
        ]

    # -- the scenario itself ----------------------------------------------------------
