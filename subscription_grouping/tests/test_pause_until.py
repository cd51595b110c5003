# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2.errors import SerializationFailure

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import SubscriptionGroupingCase, d
from .companies_common import TwoCompaniesCase
from .trust_common import TrustCase

PAUSE_LOGGER = "odoo.addons.subscription_grouping.models.sale_subscription_pause"
RESUME_FAILED = "subscription_grouping.mail_activity_type_resume_failed"
RESUME_CRON = "subscription_grouping.ir_cron_resume_paused_subscriptions"


class PauseCase(SubscriptionGroupingCase):
    def _pause(self, subscriptions, day, until=None):
        """Pause through the dialog, as a user does."""
        with freeze_time(day):
            action = subscriptions.action_open_pause_wizard()
            wizard = (
                self.env[action["res_model"]]
                .with_context(action["context"])
                .create({"paused_until": until})
            )
            wizard.action_confirm()

    def _open_resume(self, subscriptions, day):
        with freeze_time(day):
            action = subscriptions.action_open_resume_wizard()
        return self.env[action["res_model"]].browse(action["res_id"])

    def _events(self, group):
        return group.event_ids.sorted("id")


@tagged("post_install", "-at_install")
class TestPauseUntil(PauseCase):
    """A pause with a resume date, resumed by the scheduled action or by hand."""

    def _grouped_pair(self, start="2026-10-01"):
        paused = self._create_subscription(
            self.template_monthly, start, [30.0], start=start
        )
        other = self._create_subscription(
            self.template_monthly, start, [50.0], start=start
        )
        self.customer.subscription_grouping = True
        return paused, other, paused.group_id

    def test_a_grouped_member_is_resumed_on_its_date_with_a_transition(self):
        paused, other, group = self._grouped_pair()
        self._cron("2026-10-01")
        self._cron("2026-11-01")
        self._pause(paused, "2026-11-20", "2027-02-10")
        self.assertRecordValues(
            paused,
            [
                {
                    "is_paused": True,
                    "paused_until": d("2027-02-10"),
                    "recurring_next_date": d("2026-12-01"),
                }
            ],
        )
        pause = self._events(group)[-1]
        self.assertRecordValues(
            pause,
            [
                {
                    "kind": "pause",
                    "date_from": d("2026-12-01"),
                    "resume_date": d("2027-02-10"),
                }
            ],
        )
        self.assertIn(
            "paused until 02/10/2027: runs skip it from 12/01/2026",
            paused.message_ids[0].body,
        )
        for day in ("2026-12-01", "2027-01-01", "2027-02-01", "2027-02-09"):
            self._cron(day)
        self.assertTrue(paused.is_paused, "not before its resume date")
        self.assertEqual(
            self._invoices()[2:].invoice_line_ids.subscription_id,
            other,
            "the paused member is on no merged invoice",
        )

        self._cron("2027-02-10")
        self.assertRecordValues(
            paused,
            [
                {
                    "is_paused": False,
                    "paused_until": False,
                    "recurring_next_date": d("2027-03-01"),
                    "group_id": group.id,
                }
            ],
        )
        resume = self._events(group)[-1]
        self.assertRecordValues(
            resume,
            [
                {
                    "kind": "resume",
                    "date_from": d("2026-12-01"),
                    "resume_date": d("2027-02-10"),
                    "date_to": d("2027-03-01"),
                    "amount": 20.36,  # 30 x 19 / 28
                    "note": "automatically, on its resume date",
                }
            ],
        )
        self.assertRecordValues(
            resume.charge_ids,
            [
                {
                    "kind": "transition",
                    "date_start": d("2027-02-10"),
                    "date_end": d("2027-02-28"),
                    "amount": 20.36,
                    "state": "pending",
                }
            ],
        )
        self.assertIn(
            "resumed (automatically, on its resume date), service from 02/10/2027",
            paused.message_ids[0].body,
        )
        self._cron("2027-03-01")
        self.assertEqual(self._invoices()[-1].amount_untaxed, 30.0 + 20.36 + 50.0)
        self.assertEqual(
            [event.kind for event in self._events(group)],
            ["join", "join", "pause", "resume"],
        )

    def test_an_ungrouped_subscription_is_resumed_and_billed_on_its_date(self):
        sub = self._create_subscription(
            self.template_monthly, "2026-12-15", [40.0], start="2026-11-15"
        )
        self._pause(sub, "2026-11-20", "2027-01-10")
        self.assertIn(
            "Paused until 01/10/2027: not billed from 12/15/2026 on",
            sub.message_ids[0].body,
        )
        self._cron("2026-12-15")
        self.assertFalse(self._invoices())
        self._cron("2027-01-10")
        self.assertRecordValues(
            sub,
            [
                {
                    "is_paused": False,
                    "paused_until": False,
                    # billed the same night from the resume date
                    "recurring_next_date": d("2027-02-10"),
                }
            ],
        )
        invoice = self._invoices()
        self.assertEqual(len(invoice), 1)
        self.assertEqual(
            self._lines(invoice),
            [("product", sub, d("2027-01-10"), d("2027-02-09"), 40.0)],
        )
        self.assertIn(
            "Resumed automatically on its resume date: billed again from 01/10/2027.",
            sub.message_ids.mapped("body")[1],
        )

    def test_a_manual_resume_before_the_date_shows_what_it_bills_and_clears_it(self):
        paused, other, group = self._grouped_pair(start="2026-11-01")
        self._cron("2026-11-01")
        self._pause(paused, "2026-11-20", "2027-02-10")
        self._cron("2026-12-01")
        self.assertEqual(self._invoices()[-1].amount_untaxed, 50.0)
        wizard = self._open_resume(paused, "2026-12-10")
        self.assertEqual(wizard.resume_date, d("2026-12-10"))
        self.assertRecordValues(
            wizard.line_ids,
            [
                {
                    "subscription_id": paused.id,
                    "subscription_line_id": paused.sale_subscription_line_ids.id,
                    "restart_date": d("2026-12-10"),
                    "next_date": d("2027-01-01"),
                    "charge_start": d("2026-12-10"),
                    "charge_end": d("2026-12-31"),
                    "ratio": "22 of 31 days",
                    "amount": 21.29,  # 30 x 22 / 31
                    "note": False,
                }
            ],
        )
        self.assertIn(
            f"{paused.display_name}: service from 12/10/2026; billed with "
            f"{group.display_name} from 01/01/2027, with a transition for "
            "12/10/2026 to 12/31/2026 of $&nbsp;21.29 (on the next merged invoice).",
            wizard.summary,
        )
        self.assertTrue(paused.is_paused, "the preview writes nothing")
        with freeze_time("2026-12-10"):
            wizard.action_confirm()
        self.assertRecordValues(
            paused,
            [
                {
                    "is_paused": False,
                    "paused_until": False,
                    "recurring_next_date": d("2027-01-01"),
                }
            ],
        )
        self.assertIn("resumed, service from 12/10/2026", paused.message_ids[0].body)
        self._cron("2027-01-01")
        self.assertRecordValues(
            self._invoices()[-1],
            [{"invoice_date": d("2027-01-01"), "amount_untaxed": 30.0 + 21.29 + 50.0}],
        )
        self._cron("2027-02-10")
        self.assertEqual(
            [event.kind for event in self._events(group)],
            ["join", "join", "pause", "resume"],
            "no second resume on the date that was cleared",
        )

    def test_the_resume_preview_of_an_ungrouped_subscription_gives_its_restart(self):
        sub = self._create_subscription(
            self.template_monthly, "2026-12-15", [40.0], start="2026-11-15"
        )
        self._pause(sub, "2026-11-20")
        self.assertFalse(sub.paused_until)
        wizard = self._open_resume(sub, "2027-01-05")
        self.assertRecordValues(
            wizard.line_ids,
            [
                {
                    "subscription_id": sub.id,
                    "restart_date": d("2027-01-05"),
                    "next_date": d("2027-01-05"),
                    "amount": 0.0,
                    "note": "Bills on its own",
                }
            ],
        )
        self.assertIn(
            f"{sub.display_name}: billed again from 01/05/2027, on its own.",
            wizard.summary,
        )
        # a day later the preview is no longer what resuming bills
        with (
            freeze_time("2027-01-06"),
            self.assertRaisesRegex(
                UserError, "What resuming bills changed since it was shown"
            ),
        ):
            wizard.action_confirm()
        self.assertTrue(sub.is_paused)
        with freeze_time("2027-01-05"):
            wizard.action_confirm()
        self.assertEqual(sub.recurring_next_date, d("2027-01-05"))
        self.assertIn("Resumed: billed again from 01/05/2027.", sub.message_ids[0].body)

    def test_the_pause_dialog_wants_a_resume_date_after_today(self):
        sub = self._create_subscription(
            self.template_monthly, "2026-12-15", [40.0], start="2026-11-15"
        )
        for until, shown in (
            ("2026-11-20", "11/20/2026"),
            ("2026-10-01", "10/01/2026"),
        ):
            with self.assertRaises(UserError) as caught:
                self._pause(sub, "2026-11-20", until)
            self.assertEqual(
                caught.exception.args[0],
                f"The resume date must be after today (11/20/2026): {shown} is not. "
                "Leave it empty to resume by hand.",
            )
            self.assertFalse(sub.is_paused)
            self.assertFalse(sub.message_ids.filtered(lambda m: "Paused" in m.body))
        self._pause(sub, "2026-11-20", "2026-11-21")
        self.assertEqual(sub.paused_until, d("2026-11-21"))


@tagged("post_install", "-at_install")
class TestPauseUntilFailure(PauseCase):
    """A scheduled resume that fails is recorded; the others resume."""

    def test_a_failing_resume_is_recorded_and_the_others_resume(self):
        self.customer.subscription_grouping_anchor_day = 1
        template = self._create_template(
            "Monthly posted", 1, "months", invoicing_mode="invoice"
        )
        legacy, account = self._create_legacy_product(31.0)
        failing = self._create_subscription(template, "2026-12-01", [31.0])
        failing.sale_subscription_line_ids.product_id = legacy
        fine = self._create_subscription(template, "2026-12-01", [62.0])
        self.customer.subscription_grouping = True
        group = failing.group_id
        # transitions billed at once: a resume makes an invoice
        group.transition_policy = "immediate"
        self._pause(failing | fine, "2026-11-20", "2027-01-10")
        account.deprecated = True

        with mute_logger(PAUSE_LOGGER):
            self._cron("2027-01-10")
        self.assertRecordValues(
            failing | fine,
            [
                {
                    "is_paused": True,
                    "paused_until": d("2027-01-10"),
                    "resume_failed_on": d("2027-01-10"),
                },
                {
                    "is_paused": False,
                    "paused_until": False,
                    "resume_failed_on": False,
                },
            ],
        )
        self.assertEqual(fine.recurring_next_date, d("2027-02-01"))
        transition = self._invoices().filtered(
            lambda move: move.invoice_line_ids.subscription_id == fine
        )
        self.assertEqual(transition.amount_untaxed, 44.0)  # 62 x 22 / 31
        message = (
            "The income account 700099 Old Revenue of Legacy Hosting on "
            f"{failing.display_name} is deprecated: set another one on the "
            "product or its category."
        )
        self.assertIn(
            "could not be resumed on its resume date 01/10/2027",
            failing.message_ids[0].body,
        )
        self.assertIn(message, failing.message_ids[0].body)
        activity = failing.activity_ids
        self.assertRecordValues(
            activity,
            [
                {
                    "activity_type_id": self.env.ref(RESUME_FAILED).id,
                    "user_id": self.env.user.id,
                }
            ],
        )
        # the same day's later calls leave it alone
        messages = len(failing.message_ids)
        with mute_logger(PAUSE_LOGGER):
            self._cron("2027-01-10")
        self.assertEqual(len(failing.message_ids), messages)

        # the next day's call resumes it once the account is fixed
        account.deprecated = False
        self._cron("2027-01-11")
        self.assertRecordValues(
            failing,
            [
                {
                    "is_paused": False,
                    "paused_until": False,
                    "resume_failed_on": False,
                    "recurring_next_date": d("2027-02-01"),
                }
            ],
        )
        self.assertEqual(group.event_ids.sorted("id")[-1].amount, 21.0)  # 31 x 21/31
        self.assertFalse(failing.activity_ids, "the activity is marked done")

    def test_a_clash_or_a_killed_call_resumes_minutes_later_not_tomorrow(self):
        """A concurrent update is no failure of a subscription, and a call
        that does not end leaves a trigger: the resumes of the day are done
        that day."""
        sub = self._create_subscription(self.template_monthly, "2026-12-01", [30.0])
        self._pause(sub, "2026-11-20", "2027-01-10")
        cron = self.env.ref(RESUME_CRON)
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search([("cron_id", "=", cron.id)])

        def triggers():
            return (
                Trigger.search([("cron_id", "=", cron.id)], order="id") - before
            ).mapped("call_at")

        Sub = self.env["sale.subscription"]
        with (
            freeze_time("2027-01-10 01:00:00"),
            patch.object(
                type(Sub),
                "_resume_each",
                side_effect=SerializationFailure("could not serialize access"),
            ),
        ):
            self.assertFalse(Sub._cron_resume_paused())
        self.assertEqual(triggers(), [datetime(2027, 1, 10, 1, 5)])
        self.assertTrue(sub.is_paused)

        # the runner's call commits a trigger apart before it resumes anything
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        seen = []
        resume_each = type(Sub)._resume_each

        def resume(subs):
            seen.append(triggers())
            return resume_each(subs)

        with (
            freeze_time("2027-01-10 01:05:00"),
            patch.object(type(Sub), "_resume_each", resume),
        ):
            self.assertEqual(
                Sub.with_context(cron_id=cron.id)._cron_resume_paused(), sub
            )
        self.assertEqual(
            seen, [[datetime(2027, 1, 10, 1, 5), datetime(2027, 1, 10, 1, 10)]]
        )
        # the call ended: its own trigger went with it
        self.assertEqual(triggers(), [datetime(2027, 1, 10, 1, 5)])
        self.assertFalse(sub.is_paused)


@tagged("post_install", "-at_install")
class TestPauseUntilCompanies(TwoCompaniesCase, PauseCase):
    """The scheduled resume as OdooBot, from the main company of two."""

    def test_odoobot_resumes_both_companies_subscriptions_in_batches(self):
        self._pause(self.sub_a | self.sub_b, "2026-11-20", "2027-01-10")
        self.env["ir.config_parameter"].sudo().set_param(
            "subscription_grouping.bill_batch_size", "1"
        )
        cron = self.env.ref(RESUME_CRON)
        Sub = self.bot_env["sale.subscription"]
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        with freeze_time("2027-01-09"):
            self.assertFalse(Sub._cron_resume_paused())
        with freeze_time("2027-01-10"):
            first = Sub._cron_resume_paused()
            self.assertEqual(len(first), 1)
            self.assertEqual(
                self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
                triggers + 1,
                "called again for the one left",
            )
            second = Sub._cron_resume_paused()
            self.assertEqual(first | second, self.sub_a | self.sub_b)
            self.assertFalse(Sub._cron_resume_paused())
        for sub, group, amount in (
            (self.sub_a, self.group_a, 70.97),  # 100 x 22 / 31
            (self.sub_b, self.group_b, 42.58),  # 60 x 22 / 31
        ):
            self.assertRecordValues(
                sub,
                [
                    {
                        "is_paused": False,
                        "paused_until": False,
                        "recurring_next_date": d("2027-02-01"),
                        "group_id": group.id,
                    }
                ],
            )
            resume = group.event_ids.sorted("id")[-1]
            self.assertRecordValues(
                resume,
                [
                    {
                        "kind": "resume",
                        "user_id": self.env.ref("base.user_root").id,
                        "resume_date": d("2027-01-10"),
                        "amount": amount,
                    }
                ],
            )
            self.assertEqual(resume.charge_ids.group_id.company_id, group.company_id)


@tagged("post_install", "-at_install")
class TestPauseUntilSalesman(TrustCase, PauseCase):
    """A salesman without billing rights pauses until a date and resumes."""

    def test_a_salesman_pauses_until_a_date_and_resumes_with_the_preview(self):
        group, subs = self._group_of(30.0, 50.0)
        group.transition_policy = "immediate"
        admin_env = self.env
        self.env = self.env(user=self.salesman)
        first = subs[0].with_env(self.env)
        self._pause(first, "2026-11-20", "2027-02-10")
        self.assertEqual(first.paused_until, d("2027-02-10"))
        wizard = self._open_resume(first, "2026-12-10")
        self.assertEqual(wizard.line_ids.amount, 21.29)  # 30 x 22 / 31
        self.assertIn("(at once, by the next scheduled run)", wizard.summary)
        with freeze_time("2026-12-10"):
            wizard.action_confirm()
        self.env = admin_env
        self.assertRecordValues(
            first,
            [
                {
                    "is_paused": False,
                    "paused_until": False,
                    "recurring_next_date": d("2027-01-01"),
                }
            ],
        )
        resume = group.event_ids.sorted("id")[-1]
        self.assertEqual(resume.user_id, self.salesman)
        # no billing rights: the transition waits for the scheduled run
        self.assertEqual(resume.charge_ids.state, "pending")
        self.assertFalse(self._moves())
