# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re
from pathlib import Path

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import SubscriptionGroupingCase

MANAGER = "subscription_grouping.group_subscription_grouping_manager"
XSS = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
GROUPING_MODELS = (
    "sale.subscription.group",
    "sale.subscription.group.charge",
    "sale.subscription.group.event",
    "sale.subscription.group.billing.report",
)


class SecurityCase(SubscriptionGroupingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.subscription_grouping_anchor_day = 1
        cls.template_posted = cls._create_template(
            "Monthly posted", 1, "months", invoicing_mode="invoice"
        )

    def _billed_group(self):
        """A group with a transition, an event and a posted merged invoice."""
        subscription = self._create_subscription(
            self.template_posted, "2026-11-15", [100.0]
        )
        self.customer.subscription_grouping = True
        group = subscription.group_id
        group.action_run_now()
        return group


@tagged("post_install", "-at_install")
class TestPortal(SecurityCase):
    def test_a_portal_user_sees_the_merged_invoices_and_nothing_of_groups(self):
        group = self._billed_group()
        invoice = group.invoice_ids
        self.assertEqual(invoice.state, "posted")
        portal = new_test_user(
            self.env, login="grouping_portal", groups="base.group_portal"
        )
        portal.partner_id.parent_id = self.customer
        Move = self.env["account.move"].with_user(portal)
        self.assertEqual(Move.search([]), invoice)
        self.assertEqual(
            invoice.with_user(portal).read(["amount_total"]),
            [{"id": invoice.id, "amount_total": 153.33}],
        )
        for model in GROUPING_MODELS:
            with self.subTest(model=model):
                Model = self.env[model].with_user(portal)
                with self.assertRaises(AccessError):
                    Model.search([])
                with self.assertRaises(AccessError):
                    Model.read_group([], ["__count"], [])
        for record, fields in (
            (
                invoice,
                [
                    "subscription_group_id",
                    "subscription_group_run_date",
                    "subscription_group_send_state",
                    "subscription_group_send_error",
                ],
            ),
            (
                invoice.invoice_line_ids[1],
                ["subscription_group_id", "subscription_group_charge_id"],
            ),
        ):
            for field in fields:
                with self.subTest(field=field), self.assertRaises(AccessError):
                    record.with_user(portal).read([field])


@tagged("post_install", "-at_install")
class TestOtherCompany(SecurityCase):
    def test_a_user_of_another_company_sees_nothing(self):
        group = self._billed_group()
        other = self.setup_other_company(name="Grouping Elsewhere")["company"]
        stranger = new_test_user(
            self.env,
            login="grouping_stranger",
            groups=f"sales_team.group_sale_salesman_all_leads,{MANAGER},"
            "account.group_account_invoice",
            company_id=other.id,
            company_ids=[other.id],
        )
        records = {
            "sale.subscription.group": group,
            "sale.subscription.group.charge": group.charge_ids,
            "sale.subscription.group.event": group.event_ids,
            "sale.subscription.group.billing.report": self.env[
                "sale.subscription.group.billing.report"
            ].search([("group_id", "=", group.id)]),
        }
        for model, mine in records.items():
            with self.subTest(model=model):
                self.assertTrue(mine)
                Model = self.env[model].with_user(stranger)
                self.assertFalse(Model.search([]))
                self.assertEqual(Model.search_count([]), 0)
                self.assertEqual(Model.read_group([], ["__count"], ["company_id"]), [])
                self.assertEqual(Model._read_group([], [], ["__count"]), [(0,)])
                self.assertEqual(Model._read_group([], ["company_id"], ["__count"]), [])
                with self.assertRaises(AccessError):
                    Model.browse(mine.ids).read(["company_id"])
        # nor through the customer, which both companies share
        customer = self.customer.with_user(stranger)
        self.assertEqual(customer.subscription_group_count, 0)
        self.assertFalse(self.env["sale.subscription"].with_user(stranger).search([]))


@tagged("post_install", "-at_install")
class TestSalesman(SecurityCase):
    """A salesman sees grouping, and cannot change it, even by a crafted call."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_grouping_users()

    def test_a_salesman_cannot_reach_the_preview_by_a_crafted_call(self):
        subscription = self._create_subscription(
            self.template_monthly, "2026-11-15", [100.0]
        )
        Preview = self.env["sale.subscription.group.preview"]
        with self.assertRaises(AccessError):
            Preview.with_user(self.plain).create(
                {"mode": "group", "partner_id": self.customer.id}
            )
        action = self.customer.with_user(
            self.manager
        ).action_preview_subscription_grouping()
        wizard = Preview.browse(action["res_id"])
        for call in ("action_apply", "action_preview"):
            with self.subTest(call=call), self.assertRaises(AccessError):
                getattr(wizard.with_user(self.plain), call)()
        with self.assertRaises(AccessError):
            wizard.with_user(self.plain).write({"plan": []})
        self.assertFalse(self.customer.subscription_grouping)
        self.assertFalse(subscription.group_id)
        self.assertEqual(str(subscription.recurring_next_date), "2026-11-15")

    def test_a_salesman_cannot_move_subscriptions_in_or_out_by_hand(self):
        joined = self._create_subscription(self.template_monthly, "2026-11-15", [100.0])
        aligned = self._create_subscription(self.template_monthly, "2026-12-01", [40.0])
        self.customer.subscription_grouping = True
        group = joined.group_id
        joined.action_remove_from_group()
        message = (
            "Only subscription grouping managers may switch grouping on or off, move "
            "subscriptions in or out of a group, or change a group."
        )
        for sub, vals in (
            (joined, {"group_id": group.id}),
            (joined, {"grouping_excluded": False}),
            (aligned, {"group_id": False}),
            (aligned, {"grouping_refusal": "cadence"}),
        ):
            with self.subTest(vals=vals):
                with self.assertRaises(AccessError) as caught:
                    sub.with_user(self.plain).write(vals)
                self.assertEqual(caught.exception.args[0], message)
        with self.assertRaises(AccessError):
            self.env["sale.subscription"].with_user(self.plain).create(
                self._subscription_vals(self.template_monthly, "2026-12-01", [1.0])
                | {"group_id": group.id}
            )
        for call in (
            lambda: group.with_user(self.plain).write({"anchor_day": 15}),
            lambda: self.env["sale.subscription.group"]
            .with_user(self.plain)
            .create({"partner_id": self.customer.id, "currency_id": 1}),
            lambda: group.with_user(self.plain).action_run_now(),
            lambda: joined.with_user(self.plain).action_add_to_group(),
        ):
            with self.assertRaises(AccessError):
                call()
        self.assertEqual(group.subscription_ids, aligned)
        self.assertTrue(joined.grouping_excluded)
        self.assertEqual(group.anchor_day, 1)
        self.assertFalse(group.invoice_ids)


@tagged("post_install", "-at_install")
class TestHtmlNames(SecurityCase):
    """Names holding HTML are text wherever this module writes them."""

    def test_html_in_names_is_escaped_in_messages_events_and_invoices(self):
        self.customer.name = XSS
        self.product_service.name = XSS
        template = self._create_template(XSS, 1, "months", invoicing_mode="invoice")
        reason = self.env["sale.subscription.close.reason"].create({"name": XSS})
        joined = self._create_subscription(template, "2026-11-15", [100.0])
        other = self._create_subscription(template, "2026-11-15", [40.0])
        (joined | other).code = XSS
        self.assertEqual(joined.display_name, XSS)
        action = self.customer.action_preview_subscription_grouping()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        self.assertNotIn(XSS, wizard.summary)
        self.assertIn(f"New group: {ESCAPED}, USD, day 1", wizard.summary)
        wizard.action_apply()
        group = joined.group_id
        group.write({"price_change_policy": "prorate", "cancellation_policy": "credit"})
        with freeze_time("2026-11-20"):
            joined.sale_subscription_line_ids.price_unit = 130.0
            other.action_pause()
        group.action_run_now()
        with freeze_time("2026-12-05"):
            other.action_resume()
            joined.close_subscription(reason.id)
        self.customer.subscription_grouping = False

        messages = self.env["mail.message"].search(
            [
                "|",
                "&",
                ("model", "=", "sale.subscription.group"),
                ("res_id", "=", group.id),
                "&",
                ("model", "=", "sale.subscription"),
                ("res_id", "in", (joined | other).ids),
            ]
        )
        bodies = [str(body) for body in messages.mapped("body")]
        # join (group, 2 members), price, pause, run (group, member), resume,
        # leave: each on the group and on the member; ungroup
        self.assertEqual(len(bodies), 14)
        for body in bodies:
            with self.subTest(body=body):
                self.assertNotIn("<img", body)
        self.assertEqual(
            sorted(body[:20] for body in bodies if ESCAPED not in body),
            ["<p>Grouping switched", "<p>Merged invoice <a"],
        )
        # events are text: their summaries keep the name as it is written
        summaries = [event._get_summary() for event in group.event_ids]
        self.assertEqual(len(summaries), 7)
        for summary in summaries:
            self.assertTrue(summary.startswith(XSS), summary)
        # invoice lines: text, printed escaped
        invoice = group.invoice_ids.filtered("subscription_group_run_date")
        names = invoice.invoice_line_ids.mapped("name")
        self.assertEqual(names[0], f"{XSS} - {XSS}")
        self.assertTrue(all(XSS in name for name in names))
        html = str(
            self.env["ir.actions.report"]._render_qweb_html(
                "account.report_invoice", invoice.ids
            )[0]
        )
        self.assertNotIn("<img src=x", html)
        self.assertIn(ESCAPED, html)


@tagged("post_install", "-at_install")
class TestSudo(SubscriptionGroupingCase):
    def test_every_sudo_says_why(self):
        """A comment right above each sudo() (or its statement) says why."""
        root = Path(__file__).parents[1]
        missing = []
        for path in sorted(root.glob("**/*.py")):
            if "tests" in path.parts:
                continue
            lines = path.read_text().splitlines()
            for number, line in enumerate(lines):
                if ".sudo()" not in line or line.lstrip().startswith("#"):
                    continue
                above = lines[max(0, number - 4) : number]
                if not any(re.match(r"\s*#", text) for text in above):
                    missing.append(f"{path.relative_to(root)}:{number + 1}")
        self.assertEqual(missing, [])
