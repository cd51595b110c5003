# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import SubscriptionGroupingCase

MODULE = "subscription_grouping"


@tagged("post_install", "-at_install")
class TestScreens(SubscriptionGroupingCase):
    """What the screens get from the server: the preview's title and columns,
    the customer's billing day, where Apply and the accountants' menu lead."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.joined = cls._create_subscription(
            cls.template_monthly, "2026-11-15", [100.0]
        )
        cls.aligned = cls._create_subscription(
            cls.template_monthly, "2026-12-01", [40.0]
        )

    def _open_preview(self, partner):
        action = partner.action_preview_subscription_grouping()
        return action, self.env[action["res_model"]].browse(action["res_id"])

    def test_preview_title_in_the_users_language(self):
        self.env["res.lang"]._activate_lang("da_DK")
        self.env["ir.module.module"]._load_module_terms([MODULE], ["da_DK"])
        action, _wizard = self._open_preview(self.customer.with_context(lang="da_DK"))
        self.assertEqual(action["name"], "Slå gruppering til")
        action, _wizard = self._open_preview(self.customer)
        self.assertEqual(action["name"], "Switch grouping on")

    def test_preview_counts_its_groups(self):
        # one currency, one group: the view hides the group column
        _action, wizard = self._open_preview(self.customer)
        self.assertEqual(
            wizard.line_ids.mapped("group_name"),
            ["New group: Grouping Customer, USD, day 15"] * 2,
        )
        self.assertEqual(wizard.group_count, 1)

    def test_billing_day_chosen_before_switching_on(self):
        self.assertFalse(self.customer.subscription_grouping_billing_day)
        self.assertEqual(self.customer.subscription_grouping_anchor_day, 0)
        self.customer.subscription_grouping_billing_day = "1"
        self.assertEqual(self.customer.subscription_grouping_anchor_day, 1)
        self.assertFalse(self.customer.subscription_grouping)
        # the preview plans on the day chosen
        _action, wizard = self._open_preview(self.customer)
        self.assertEqual(
            wizard.line_ids.mapped("group_name"),
            ["New group: Grouping Customer, USD, day 1"] * 2,
        )
        action = wizard.action_apply()
        group = self.customer.subscription_group_ids
        self.assertEqual(group.anchor_day, 1)
        # Apply opens the one group, not a list of one row
        self.assertEqual(
            (action["res_model"], action["res_id"], action["views"]),
            ("sale.subscription.group", group.id, [(False, "form")]),
        )
        self.assertEqual(self.customer.subscription_grouping_billing_day, "1")
        self.customer.subscription_grouping_billing_day = False
        self.assertEqual(self.customer.subscription_grouping_anchor_day, 0)

    def test_groups_button_lists_several_groups(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        pricelist = self.env["product.pricelist"].create(
            {"name": "Grouping EUR", "currency_id": eur.id}
        )
        self._create_subscription(
            self.template_monthly, "2026-11-20", [30.0], pricelist=pricelist
        )
        self.customer.subscription_grouping = True
        groups = self.customer.subscription_group_ids
        self.assertEqual(len(groups), 2)
        action = self.customer.action_view_subscription_groups()
        self.assertEqual(action["views"], [(False, "list"), (False, "form")])
        self.assertEqual(action["domain"], [("partner_id", "=", self.customer.id)])

    def test_journal_items_of_merged_invoices(self):
        self.customer.subscription_grouping_anchor_day = 1
        self.customer.subscription_grouping = True
        self._cron("2026-12-01")
        invoice = self._invoices()
        self.assertEqual(len(invoice), 1)
        action = self.env.ref(
            "subscription_grouping.sale_subscription_group_move_line_action"
        )
        lines = self.env["account.move.line"].search(safe_eval(action.domain))
        self.assertEqual(
            lines.filtered(lambda line: line.move_id == invoice),
            invoice.line_ids.filtered(
                lambda line: line.display_type not in ("line_section", "line_note")
            ),
        )
        self.assertFalse(
            lines.move_id - lines.move_id.filtered("subscription_group_id")
        )
        menu = self.env.ref(
            "subscription_grouping.sale_subscription_group_move_line_menu_accounting"
        )
        self.assertEqual(menu.action, action)
