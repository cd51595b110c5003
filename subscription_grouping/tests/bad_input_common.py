# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The bad-input matrix: each case gets a clear answer, or a right result.

A refusal names the record and what to do, and nothing is written: the
checks run before any write, which :meth:`assertRefusedBeforeWriting`
proves without rolling anything back. Refusals by a constraint come after
the write they refuse, which the request's rollback undoes
(:meth:`assertRefused`).
"""

from odoo.exceptions import UserError, ValidationError

from .common import SubscriptionGroupingCase

GROUP = "Grouping Customer, USD, day 1"
DAY_RULE = "from 1 to 31 (29 to 31 fall on the last day of shorter months)"
KEY_CHANGED = (
    "%s is billed with the group " + GROUP + ": its customer, company, currency, "
    "fiscal position, journal and invoicing mode must stay those of the group. "
    "Remove it from the group first."
)


class BadInputCase(SubscriptionGroupingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.subscription_grouping_anchor_day = 1
        cls.template_posted = cls._create_template(
            "Monthly posted", 1, "months", invoicing_mode="invoice"
        )

    def _state(self):
        """Everything grouping writes, as read from the database."""
        self.env.invalidate_all()
        Group = self.env["sale.subscription.group"].with_context(active_test=False)
        Partner = self.env["res.partner"].with_context(active_test=False)
        return {
            "groups": Group.search([]).read(
                [
                    "partner_id",
                    "anchor_day",
                    "anchor_month",
                    "active",
                    "transition_policy",
                    "next_run_date",
                    "subscription_ids",
                ]
            ),
            "subscriptions": self.env["sale.subscription"]
            .search([])
            .read(
                [
                    "partner_id",
                    "pricelist_id",
                    "template_id",
                    "recurring_next_date",
                    "group_id",
                    "grouping_refusal",
                    "grouping_excluded",
                    "is_paused",
                    "in_progress",
                ]
            ),
            "charges": self.env["sale.subscription.group.charge"]
            .search([])
            .read(["amount", "state", "date_start", "date_end"]),
            "events": self.env["sale.subscription.group.event"].search([]).ids,
            "moves": self.env["account.move"].search([]).ids,
            "messages": self.env["mail.message"]
            .search([("model", "in", ("sale.subscription.group", "sale.subscription"))])
            .ids,
            "customers": Partner.search([("id", "=", self.customer.id)]).read(
                ["active", "subscription_grouping", "subscription_grouping_anchor_day"]
            ),
        }

    def assertRefusedBeforeWriting(self, call, message, exception=UserError):
        """``call`` raises exactly ``message`` before writing anything.

        Nothing is rolled back here: whatever it wrote before raising would
        show in the state compared.
        """
        before = self._state()
        try:
            call()
        except exception as error:
            self.assertEqual(error.args[0], message)
        else:
            self.fail(f"not refused: {message}")
        self.assertEqual(self._state(), before)

    def assertRefused(self, call, message, exception=ValidationError):
        """``call`` raises exactly ``message``; with the transaction rolled
        back, as a request's is, nothing stays written."""
        before = self._state()
        with self.assertRaises(exception) as caught:
            call()
        self.assertEqual(caught.exception.args[0], message)
        self.assertEqual(self._state(), before)

    def _subscription(self, next_date, prices, template=None, code=None, **kwargs):
        subscription = self._create_subscription(
            template or self.template_monthly, next_date, prices, **kwargs
        )
        # a reference of its own: the test company has no subscription sequence
        subscription.code = code or f"SUB-{next_date}"
        return subscription

    def _preview_notes(self, partner=None):
        action = (partner or self.customer).action_preview_subscription_grouping()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        return {line.subscription_id: line.note for line in wizard.line_ids}

    def _product_lines(self, invoice):
        return [
            (line.start_date, line.end_date, line.price_subtotal)
            for line in invoice.invoice_line_ids.sorted("sequence")
            if line.display_type == "product"
        ]
