# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Seeded random sequences of every behaviour, through the real models.

Each sequence starts a customer with a few subscriptions billed by
subscription_oca, then draws actions: time passing (the scheduled action
bills), grouping switched on or off (directly or through the preview),
subscriptions added, closed (keeping or crediting unused days), paused,
resumed, re-priced, taken out of or put back into the group, invoices
posted; and an accountant cancels, deletes, resets and reverses the
customer's invoices. A part of the sequences bill a subscription from a
second company. At the end every subscription's invoice lines, net of credit
notes, with the charges still pending and the periods settled by a posted
credit note of a merged invoice, must tile its billable life exactly.
Each sequence runs in a savepoint that is rolled back.
"""

import logging
import os
import random
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from subscription_grouping_core import Period, check_coverage

from .common import SubscriptionGroupingCase, d

_logger = logging.getLogger(__name__)
SEQUENCES = int(os.environ.get("SUBSCRIPTION_GROUPING_SEQUENCES", 200))
# to replay sequences: SUBSCRIPTION_GROUPING_SEEDS=168,170 (each action is logged)
SEEDS = [
    int(seed)
    for seed in os.environ.get("SUBSCRIPTION_GROUPING_SEEDS", "").split(",")
    if seed
]
CENT = Fraction(1, 100)


@tagged("post_install", "-at_install")
class TestSequences(SubscriptionGroupingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # only the subscriptions of the sequence are billed by the scheduled action
        cls.env["sale.subscription"].search([]).active = False
        cls.templates = [
            cls.template_monthly,
            cls.template_quarterly,
            cls.template_yearly,
        ]
        cls.company_b = cls.setup_other_company(name="Sequence B")["company"]
        cls.product_b = cls.env["product.product"].create(
            {"name": "Hosting B", "company_id": cls.company_b.id, "taxes_id": False}
        )
        companies = (cls.env.company | cls.company_b).ids
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=companies))
        cls.accountant = new_test_user(
            cls.env,
            login="sequence_accountant",
            groups="account.group_account_invoice",
            company_id=cls.env.company.id,
            company_ids=companies,
        )

    def test_random_sequences_bill_every_day_exactly_once(self):
        checked = 0
        self.stats = Counter()
        for seed in SEEDS or range(SEQUENCES):
            with self.subTest(seed=seed):
                savepoint = self.env.cr.savepoint()
                try:
                    checked += self._run_sequence(random.Random(seed))
                finally:
                    self.env.flush_all()
                    savepoint.close(rollback=True)
                    self.env.invalidate_all()
        # every sequence checked at least one subscription
        self.assertGreaterEqual(checked, len(SEEDS) or SEQUENCES)
        _logger.info(
            "%s random sequences, %s subscriptions checked: %s",
            SEQUENCES,
            checked,
            ", ".join(f"{key} {count}" for key, count in sorted(self.stats.items())),
        )

    # -- one sequence ------------------------------------------------------------
    def _run_sequence(self, rng):
        self.rng = rng
        self.today = d("2026-01-01") + timedelta(days=rng.randrange(0, 3 * 365))
        company = self.env.company
        company.subscription_group_transition_policy = rng.choice(
            ["next_invoice", "next_invoice", "immediate"]
        )
        company.subscription_group_cancellation_policy = rng.choice(["keep", "credit"])
        company.subscription_group_price_change_policy = rng.choice(
            ["next_period", "prorate"]
        )
        # missed runs: an invoice per run date, or all of them on one
        company.subscription_group_catch_up_policy = rng.choice(
            ["per_run", "one_invoice"]
        )
        self.partner = self._create_customer(
            "Sequence customer",
            subscription_grouping_anchor_day=rng.choice([0, 0, 1, 15, 28, 30, 31]),
        )
        self.life = {}  # subscription: [start, end or None, paused spans]
        self.scheduled_resumes = {}  # paused with a resume date: its P
        for _index in range(rng.randint(1, 3)):
            start = self.today - timedelta(days=rng.randrange(0, 45))
            sub = self._create_subscription(
                rng.choice(self.templates), start, self._prices(), partner=self.partner
            )
            self.life[sub] = [start, None, []]
        if rng.random() < 0.3:
            # billed by the second company, in a group of its own
            start = self.today - timedelta(days=rng.randrange(0, 45))
            sub = self._create_subscription(
                rng.choice(self.templates), start, self._prices(), partner=self.partner
            )
            sub.write(
                {
                    "company_id": self.company_b.id,
                    "sale_subscription_line_ids": [
                        Command.update(
                            line.id, {"product_id": self.product_b.id, "tax_ids": False}
                        )
                        for line in sub.sale_subscription_line_ids
                    ],
                }
            )
            self.life[sub] = [start, None, []]
        self._bill()
        if rng.random() < 0.7:
            with freeze_time(self.today):
                self._switch()
        actions = [
            (self._advance, 6),
            (self._switch, 2),
            (self._add, 2),
            (self._close, 2),
            (self._pause, 3),
            (self._resume, 3),
            (self._reprice, 2),
            (self._remove_or_add_back, 1),
            (self._post, 2),
            (self._accountant, 3),
        ]
        for _step in range(rng.randint(4, 12)):
            action = rng.choices(
                [a for a, _w in actions], weights=[w for _a, w in actions]
            )[0]
            if SEEDS:
                _logger.info("%s %s", self.today, action.__name__)
            with freeze_time(self.today):
                action()
            if SEEDS:
                self._log_state()
            self.stats[action.__name__.strip("_")] += 1
        self._check()
        return len(self.life)

    def _prices(self):
        return [
            float(Decimal(self.rng.randint(1, 50000)) / 100)
            for _line in range(self.rng.randint(1, 2))
        ]

    def _running(self):
        return [sub for sub, life in self.life.items() if life[1] is None]

    def _bill(self):
        """The scheduled action, repeated until nothing is due (subscription_oca
        bills one period per run)."""
        for _run in range(40):
            self._cron(self.today)
            self._note_scheduled_resumes()
            due = [
                sub
                for sub in self._running()
                if not sub.group_id
                and not sub.is_paused
                and sub.recurring_next_date <= self.today
            ]
            if not due:
                return
        self.fail("subscription_oca never caught up")

    # -- actions ------------------------------------------------------------------
    def _advance(self):
        self.today += timedelta(days=self.rng.randint(1, 70))
        self._bill()

    def _switch(self):
        on = not self.partner.subscription_grouping
        if self.rng.random() < 0.5:
            action = self.partner.action_preview_subscription_grouping()
            self.env[action["res_model"]].browse(action["res_id"]).action_apply()
        else:
            self.partner.subscription_grouping = on
        self.assertEqual(self.partner.subscription_grouping, on)

    def _add(self):
        # a grouped customer's new subscription joins when it starts
        sub = self._start_subscription(
            self.rng.choice(self.templates), self.today, self._prices(), self.partner
        )
        self.life[sub] = [self.today, None, []]
        self._bill()

    def _pick(self, condition):
        candidates = [sub for sub in self._running() if condition(sub)]
        return self.rng.choice(candidates) if candidates else None

    def _close(self):
        sub = self._pick(lambda sub: True)
        if not sub:
            return
        paid_through = sub.recurring_next_date
        credited = (
            sub.group_id.cancellation_policy == "credit" and self.today < paid_through
        )
        sub.close_subscription()
        self.scheduled_resumes.pop(sub, None)
        self.life[sub][1] = self.today if credited else paid_through

    def _pause(self):
        sub = self._pick(lambda sub: not sub.is_paused)
        if not sub:
            return
        if self.rng.random() < 0.5:
            sub.action_pause()
            return
        # with a resume date: the scheduled action resumes it on the first
        # night on or after that date (see _note_scheduled_resumes)
        until = self.today + timedelta(days=self.rng.randint(1, 90))
        sub.action_pause(paused_until=until)
        self.scheduled_resumes[sub] = sub.recurring_next_date

    def _note_scheduled_resumes(self):
        """The paused days of the subscriptions the scheduled action resumed
        today: ``[P, max(P, today))``, as a resume by hand."""
        for sub, paid_through in list(self.scheduled_resumes.items()):
            if not sub.is_paused:
                del self.scheduled_resumes[sub]
                if self.today > paid_through:
                    self.life[sub][2].append(Period(paid_through, self.today))

    def _resume(self):
        sub = self._pick(lambda sub: sub.is_paused)
        if not sub:
            return
        paid_through = sub.recurring_next_date
        self.scheduled_resumes.pop(sub, None)
        sub.action_resume()
        if self.today > paid_through:
            self.life[sub][2].append(Period(paid_through, self.today))
        self._bill()

    def _reprice(self):
        sub = self._pick(lambda sub: True)
        if sub:
            line = self.rng.choice(sub.sale_subscription_line_ids)
            line.price_unit = self._prices()[0]

    def _remove_or_add_back(self):
        sub = self._pick(lambda sub: sub.group_id or sub.grouping_excluded)
        if not sub:
            return
        if sub.group_id:
            sub.action_remove_from_group()
        else:
            sub.action_add_to_group()
        self._bill()

    def _post(self):
        drafts = self.env["account.move"].search(
            [
                ("partner_id", "=", self.partner.id),
                ("state", "=", "draft"),
                ("move_type", "in", ("out_invoice", "out_refund")),
            ]
        )
        drafts.action_post()

    def _accountant(self):
        """An accountant's gesture on one of the customer's group documents:
        refused when it would lose or repeat days (an earlier run, a changed
        member). subscription_oca's own invoices are its own business."""
        moves = self.env["account.move"].search(
            [
                ("partner_id", "=", self.partner.id),
                ("subscription_group_id", "!=", False),
                ("state", "!=", "cancel"),
                ("move_type", "in", ("out_invoice", "out_refund")),
            ]
        )
        if not moves:
            return
        move = self.rng.choice(moves)
        move = move.with_user(self.accountant).with_company(move.company_id)
        gesture = self.rng.choice(
            ["cancel", "delete", "reset", "credit", "credit and redraft"]
        )
        if SEEDS:
            _logger.info(
                "  %s on %s (%s, run %s)",
                gesture,
                move.display_name,
                move.state,
                move.subscription_group_run_date,
            )
        try:
            with self.env.cr.savepoint():
                self._gesture(move, gesture)
        except UserError as error:
            if SEEDS:
                _logger.info("  refused: %s", error)
            self.stats["gesture refused"] += 1
            return
        self.stats[f"gesture {gesture}"] += 1
        self._bill()

    def _gesture(self, move, gesture):
        posted = move.state == "posted"
        if gesture == "cancel":
            move.button_cancel()
        elif gesture == "delete":
            if posted:
                move.button_draft()
            move.unlink()
        elif gesture == "reset":
            if posted:
                move.button_draft()
            move.action_post()
        elif move.move_type == "out_invoice":
            if not posted:
                move.action_post()
            wizard = (
                self.env["account.move.reversal"]
                .with_user(self.accountant)
                .with_context(
                    active_model="account.move",
                    active_ids=move.ids,
                    allowed_company_ids=move.company_id.ids,
                )
                .create({"journal_id": move.journal_id.id, "date": self.today})
            )
            wizard.reverse_moves(is_modify=gesture == "credit and redraft")
            wizard.new_move_ids.filtered(
                lambda new: new.move_type == "out_refund" and new.state == "draft"
            ).action_post()

    def _log_state(self):
        for sub in self.life:
            _logger.info(
                "  %s P=%s group=%s paused=%s stage=%s life=%s",
                sub.display_name,
                sub.recurring_next_date,
                sub.group_id.display_name,
                sub.is_paused,
                sub.stage_id.name,
                self.life[sub],
            )

    # -- the invariants -----------------------------------------------------------
    def _check(self):
        Line = self.env["account.move.line"]
        moves = self.env["account.move"].search([("partner_id", "=", self.partner.id)])
        events = self.env["sale.subscription.group.event"].search(
            [("subscription_id", "in", [sub.id for sub in self.life])]
        )
        self.stats.update(
            {
                "merged invoices": len(moves.filtered("subscription_group_run_date")),
                "catch-up invoices": len(
                    moves.filtered("subscription_group_missed_runs")
                ),
                "own invoices": len(moves.filtered("subscription_id")),
                "credit notes": len(
                    moves.filtered(lambda m: m.move_type == "out_refund")
                ),
                "posted": len(moves.filtered(lambda m: m.state == "posted")),
                **{
                    f"event {kind}": count
                    for kind, count in Counter(events.mapped("kind")).items()
                },
            }
        )
        for sub, (start, end, paused) in self.life.items():
            billed = [
                (
                    Period(line.start_date, line.end_date + timedelta(days=1)),
                    (-1 if line.move_id.move_type == "out_refund" else 1)
                    * (-1 if line.price_subtotal < 0 else 1),
                )
                for line in Line.search(
                    [
                        ("subscription_id", "=", sub.id),
                        ("display_type", "=", "product"),
                        ("parent_state", "!=", "cancel"),
                        "|",
                        ("subscription_group_charge_id", "=", False),
                        ("subscription_group_charge_id.kind", "!=", "adjustment"),
                    ]
                )
                # one period per invoice, whatever the number of lines
                if line
                == line.move_id.invoice_line_ids.filtered(
                    lambda other, line=line, sub=sub: other.subscription_id == sub
                    and other.start_date == line.start_date
                    and other.subscription_group_charge_id.kind
                    == line.subscription_group_charge_id.kind
                )[:1]
            ]
            # a posted credit note of a merged invoice waives its days, or
            # lowers what they cost: either way they are settled; one that
            # comes with a new draft leaves them to that draft
            billed += [
                (Period.from_inclusive(event.date_from, event.date_to), 1)
                for event in events.filtered(
                    lambda event, sub=sub: event.subscription_id == sub
                    and event.kind == "credit"
                    and event.credit_kind in ("waiver", "partial")
                    and event.invoice_id.state == "posted"
                )
            ]
            pending = sub.grouping_charge_ids.filtered(
                lambda charge: charge.state == "pending" and charge.kind != "adjustment"
            )
            billed += [
                (
                    Period.from_inclusive(charge.date_start, charge.date_end),
                    -1 if charge.kind == "credit" else 1,
                )
                for charge in pending
                if charge
                == pending.filtered(
                    lambda other, charge=charge: other.event_id == charge.event_id
                )[:1]
            ]
            end = end or sub.recurring_next_date
            coverage = check_coverage(
                billed, Period(start, end) if start < end else None, paused
            )
            self.assertTrue(
                coverage.exact,
                f"{sub.display_name} [{start}, {end}) paused {paused}: {coverage}",
            )
        for charge in self.env["sale.subscription.group.charge"].search(
            [("subscription_id", "in", [sub.id for sub in self.life])]
        ):
            sign = -1 if charge.kind == "credit" else 1
            exact = (
                Fraction(Decimal(str(charge.price)))
                * Fraction(charge.ratio_numerator, charge.ratio_denominator)
                * sign
            )
            self.assertLessEqual(
                abs(Fraction(Decimal(str(charge.amount))) - exact), CENT
            )
        runs = self.env["account.move"]._read_group(
            [
                ("partner_id", "=", self.partner.id),
                ("subscription_group_run_date", "!=", False),
                ("state", "!=", "cancel"),
            ],
            ["subscription_group_id", "subscription_group_run_date:day"],
            ["__count"],
        )
        self.assertEqual({count for _group, _day, count in runs} - {1}, set())
