# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The roles of docs/who-may-do-what.md, for test_trust and test_trust_actions."""

from odoo.tests import new_test_user

from .common import SubscriptionGroupingCase

SALES = "sales_team.group_sale_salesman_all_leads"
SALES_ADMIN = "sales_team.group_sale_manager"
BILLING = "account.group_account_invoice"
AUDITOR = "account.group_account_readonly"


class TrustCase(SubscriptionGroupingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        for attribute, groups in (
            ("salesman", SALES),
            ("sales_admin", SALES_ADMIN),
            ("billing", f"{SALES},{BILLING}"),
            ("billing_admin", f"{SALES_ADMIN},{BILLING}"),
            ("auditor", AUDITOR),
        ):
            user = new_test_user(
                cls.env,
                login=f"trust_{attribute}",
                groups=groups,
                company_id=company.id,
                company_ids=[company.id],
            )
            setattr(cls, attribute, user)
        cls.odoobot = cls.env.ref("base.user_root")
        cls.customer.subscription_grouping_anchor_day = 1
        cls.template_posted = cls._create_template(
            "Monthly posted", 1, "months", invoicing_mode="invoice"
        )

    def _group_of(self, *prices, policy=None, **group_vals):
        """The customer's group, of monthly posted subscriptions due Dec 1."""
        subs = self.env["sale.subscription"]
        for price in prices:
            subs |= self._create_subscription(
                self.template_posted, "2026-12-01", [price]
            )
        self.customer.subscription_grouping = True
        group = subs.group_id
        group.write(group_vals)
        return group, subs

    def _as_odoobot(self):
        """The scheduled action's user, in the fixtures' company (which
        company a bill run works in is another matter, issue 16's)."""
        return (
            self.env["sale.subscription.group"]
            .with_user(self.odoobot)
            .with_company(self.env.company)
        )

    def _moves(self):
        return self.env["account.move"].search(
            [("partner_id", "child_of", self.customer.id)], order="id"
        )
