"""Random sequences of every behaviour, checked against DESIGN's invariants.

A small in-memory ledger stands in for Odoo: it keeps each subscription's
paid-through date and the service periods invoiced for it, and changes them
only as the core's plans say. Whatever the sequence (switch on, runs, new
subscriptions, leave with or without credit, pause, resume, price change,
switch off), every day of every subscription's billable life must end up
billed exactly once, and every prorated line within one rounding unit.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from subscription_grouping_core import (
    Anchor,
    Cadence,
    ChargeKind,
    Line,
    Member,
    Move,
    Period,
    Refusal,
    check_coverage,
    next_run_date,
    plan_join,
    plan_leave,
    plan_price_change,
    plan_resume,
    plan_run,
    plan_ungroup,
)

from shared import CADENCES

UNIT = Decimal("0.01")


@dataclass
class Subscription:
    key: int
    start: date
    cadence: Cadence
    prices: dict
    paid_through: date
    is_paused: bool = False
    closed_at: date | None = None
    member: bool = False
    billed: list = field(default_factory=list)
    paused_spans: list = field(default_factory=list)

    def as_member(self):
        lines = tuple(Line(key, price) for key, price in self.prices.items())
        return Member(self.key, self.paid_through, self.cadence, lines, self.is_paused)

    @property
    def running(self):
        return self.closed_at is None


class Ledger:
    """One customer's subscriptions, grouped or not, billed through the core."""

    def __init__(self, today, anchor):
        self.today = today
        self.anchor = anchor
        self.grouped = False
        self.subscriptions = []
        self.pending = []
        self.moves = {}
        self.merged_invoice_posted = False
        self.last_run = None
        self.refused = 0

    # -- billing ---------------------------------------------------------
    def bill_charge(self, charge):
        for line in charge.lines:
            exact = (
                Fraction(line.price)
                * charge.ratio
                * (-1 if charge.kind is ChargeKind.CREDIT else 1)
            )
            assert abs(Fraction(line.amount) - exact) <= Fraction(UNIT), (charge, line)
        if charge.kind.covers_service:
            sign = -1 if charge.kind is ChargeKind.CREDIT else 1
            self.by_key(charge.subscription).billed.append((charge.period, sign))

    def bill_alone(self, subscription):
        """subscription_oca's own billing: one period from P, unanchored."""
        while (
            subscription.running
            and not subscription.is_paused
            and subscription.paid_through <= self.today
        ):
            end = subscription.paid_through + subscription.cadence.delta()
            subscription.billed.append((Period(subscription.paid_through, end), 1))
            subscription.paid_through = end

    def run_group(self):
        while True:
            members = [s.as_member() for s in self.members()]
            run_date = next_run_date(members)
            if run_date is None or run_date > self.today:
                return
            # one date, one invoice: a group's run dates only go forward
            assert self.last_run is None or run_date > self.last_run, run_date
            plan = plan_run(run_date, self.anchor, members, self.pending)
            assert plan, run_date
            self.last_run = run_date
            for item in plan.items:
                subscription = self.by_key(item.subscription)
                subscription.billed.extend((period, 1) for period in item.periods)
                subscription.paid_through = item.new_paid_through
            for charge in plan.charges + plan.refunds:  # refunds: a credit note
                self.bill_charge(charge)
            self.pending = []
            self.merged_invoice_posted = True

    def bill(self):
        if self.grouped:
            self.run_group()
        for subscription in self.subscriptions:
            if not subscription.member:
                self.bill_alone(subscription)

    # -- behaviours ------------------------------------------------------
    def by_key(self, key):
        return next(s for s in self.subscriptions if s.key == key)

    def members(self):
        return [s for s in self.subscriptions if s.member and s.running]

    def join(self, subscription, immediate):
        plan = plan_join(subscription.as_member(), self.anchor, UNIT, self.last_run)
        if isinstance(plan, Refusal):
            self.refused += 1
            return
        self.accept_move(subscription, plan, immediate)

    def accept_move(self, subscription, move, immediate=False):
        assert isinstance(move, Move)
        subscription.member = True
        subscription.paid_through = move.new_date
        self.moves.setdefault(subscription.key, []).append(move)
        if move.charge is not None:
            if immediate:
                self.bill_charge(move.charge)
            else:
                self.pending.append(move.charge)

    def switch_on(self, immediate):
        if self.grouped:
            return
        self.grouped = True
        self.merged_invoice_posted = False
        self.last_run = None
        self.moves = {}
        for subscription in self.subscriptions:
            # a paused subscription joins when it resumes (rule 6)
            if subscription.running and not subscription.is_paused:
                self.join(subscription, immediate)

    def switch_off(self):
        if not self.grouped:
            return
        members = self.members()
        plan = plan_ungroup(
            [s.as_member() for s in members],
            self.moves,
            self.pending,
            self.merged_invoice_posted,
        )
        for subscription in members:
            subscription.paid_through = plan.paid_through[subscription.key]
        for charge in plan.settle:  # billed on an invoice (or credit note) of their own
            self.bill_charge(charge)
        for subscription in self.subscriptions:
            subscription.member = False
        self.pending = []
        self.grouped = False

    def add_subscription(self, cadence, prices):
        """A new subscription: a grouped customer's joins when it starts."""
        key = len(self.subscriptions)
        prices = {f"{key}-{index}": price for index, price in enumerate(prices)}
        subscription = Subscription(key, self.today, cadence, prices, self.today)
        self.subscriptions.append(subscription)
        if self.grouped:
            self.join(subscription, immediate=False)

    def close(self, subscription, credit):
        if not subscription.running:
            return
        if subscription.member and credit:
            charge = plan_leave(subscription.as_member(), self.today, self.anchor, UNIT)
            if charge is not None:
                self.pending.append(charge)
                subscription.paid_through = self.today
        subscription.closed_at = self.today

    def pause(self, subscription):
        if subscription.running:
            subscription.is_paused = True  # takes effect at P: paid days are kept

    def resume(self, subscription):
        if not (subscription.running and subscription.is_paused):
            return
        if self.grouped:
            resume = plan_resume(
                subscription.as_member(), self.today, self.anchor, UNIT, self.last_run
            )
            if resume.paused:
                subscription.paused_spans.append(resume.paused)
            subscription.is_paused = False
            subscription.paid_through = resume.join.old_date
            if isinstance(resume.join, Refusal):
                self.refused += 1
                subscription.member = False
            else:
                self.accept_move(subscription, resume.join)
        else:
            restart = max(subscription.paid_through, self.today)
            if restart > subscription.paid_through:
                subscription.paused_spans.append(
                    Period(subscription.paid_through, restart)
                )
            subscription.paid_through = restart
            subscription.is_paused = False

    def change_prices(self, subscription, prices):
        new_prices = dict(zip(subscription.prices, prices, strict=False))
        if subscription.member and subscription.running and not subscription.is_paused:
            new_lines = tuple(Line(key, price) for key, price in new_prices.items())
            charge = plan_price_change(
                subscription.as_member(), new_lines, self.today, self.anchor, UNIT
            )
            if charge is not None:
                self.pending.append(charge)
        subscription.prices = new_prices

    # -- the invariant ---------------------------------------------------
    def settle(self):
        """Everything still pending is billed on its own, as at the end of a group."""
        for charge in self.pending:
            self.bill_charge(charge)
        self.pending = []

    def assert_exactly_once(self):
        for subscription in self.subscriptions:
            start, end = subscription.start, subscription.paid_through
            life = Period(start, end) if start < end else None
            coverage = check_coverage(
                subscription.billed, life, subscription.paused_spans
            )
            assert coverage.exact, (subscription, coverage)


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
line_prices = st.lists(amounts, min_size=1, max_size=3)
actions = st.one_of(
    st.tuples(st.just("advance"), st.integers(1, 120)),
    st.tuples(st.just("to_run_date")),
    st.tuples(st.just("switch_on"), st.booleans()),
    st.tuples(st.just("switch_off")),
    st.tuples(st.just("add"), st.sampled_from(CADENCES), line_prices),
    st.tuples(st.just("close"), st.integers(0, 9), st.booleans()),
    st.tuples(st.just("pause"), st.integers(0, 9)),
    st.tuples(st.just("resume"), st.integers(0, 9)),
    st.tuples(st.just("price"), st.integers(0, 9), line_prices),
)


@st.composite
def initial_subscriptions(draw, today):
    result = []
    for key in range(draw(st.integers(1, 4))):
        cadence = draw(st.sampled_from(CADENCES))
        start = today - timedelta(days=draw(st.integers(0, 800)))
        prices = {
            f"{key}-{index}": price for index, price in enumerate(draw(line_prices))
        }
        result.append(Subscription(key, start, cadence, prices, start))
    return result


@settings(max_examples=max(300, settings.default.max_examples), deadline=None)
@given(
    st.dates(date(1999, 1, 1), date(2097, 12, 31)),
    st.integers(1, 31),
    st.data(),
)
def test_any_sequence_bills_every_day_exactly_once(today, anchor_day, data):
    ledger = Ledger(today, Anchor(anchor_day))
    ledger.subscriptions = data.draw(initial_subscriptions(today))
    ledger.bill()
    for action in data.draw(st.lists(actions, max_size=25)):
        name, *args = action
        if name == "advance":
            ledger.today += timedelta(days=args[0])
            ledger.bill()
        elif name == "to_run_date":  # the next day on the anchor: a run date
            ledger.today = ledger.anchor.first_on_or_after(
                ledger.today + timedelta(days=1), CADENCES[0]
            )
            ledger.bill()
        elif name == "switch_on":
            ledger.switch_on(immediate=args[0])
        elif name == "switch_off":
            ledger.switch_off()
        elif name == "add":
            ledger.add_subscription(*args)
        else:
            subscription = ledger.subscriptions[args[0] % len(ledger.subscriptions)]
            if name == "close":
                ledger.close(subscription, credit=args[1])
            elif name == "pause":
                ledger.pause(subscription)
            elif name == "resume":
                ledger.resume(subscription)
            elif name == "price":
                ledger.change_prices(subscription, args[1])
    ledger.settle()
    ledger.assert_exactly_once()


def test_rollback_restores_every_date_exactly():
    ledger = Ledger(date(2026, 11, 10), Anchor(1))
    ledger.subscriptions = [
        Subscription(
            0,
            date(2026, 6, 15),
            CADENCES[0],
            {"a": Decimal("100.00")},
            date(2026, 6, 15),
        ),
        Subscription(
            1,
            date(2025, 12, 20),
            CADENCES[2],
            {"b": Decimal("1200.00")},
            date(2025, 12, 20),
        ),
    ]
    ledger.bill()
    before = [s.paid_through for s in ledger.subscriptions]
    assert before == [date(2026, 11, 15), date(2026, 12, 20)]
    ledger.switch_on(immediate=False)
    assert [s.paid_through for s in ledger.subscriptions] == [
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]
    assert [c.total for c in ledger.pending] == [Decimal("53.33"), Decimal("39.45")]
    ledger.switch_off()
    assert [s.paid_through for s in ledger.subscriptions] == before
    assert ledger.pending == []
    ledger.today = date(2027, 1, 1)
    ledger.bill()
    ledger.assert_exactly_once()


def test_a_paused_member_in_a_group_is_skipped_then_rejoins():
    ledger = Ledger(date(2026, 11, 20), Anchor(1))
    ledger.subscriptions = [
        Subscription(
            0,
            date(2026, 10, 1),
            CADENCES[0],
            {"a": Decimal("30.00")},
            date(2026, 10, 1),
        ),
    ]
    ledger.bill()
    ledger.switch_on(immediate=False)
    ledger.pause(ledger.subscriptions[0])
    ledger.today = date(2027, 2, 10)
    ledger.bill()
    assert ledger.subscriptions[0].billed == [
        (Period(date(2026, 10, 1), date(2026, 11, 1)), 1),
        (Period(date(2026, 11, 1), date(2026, 12, 1)), 1),
    ]
    ledger.resume(ledger.subscriptions[0])
    assert ledger.subscriptions[0].paused_spans == [
        Period(date(2026, 12, 1), date(2027, 2, 10))
    ]
    assert ledger.subscriptions[0].paid_through == date(2027, 3, 1)
    assert [c.total for c in ledger.pending] == [Decimal("20.36")]  # 30 x 19/28
    ledger.today = date(2027, 3, 1)
    ledger.bill()
    ledger.assert_exactly_once()
    assert ledger.subscriptions[0].paid_through == date(2027, 4, 1)


def test_a_subscription_added_after_the_days_run_waits_for_the_next_run_date():
    ledger = Ledger(date(2026, 12, 1), Anchor(1))
    ledger.subscriptions = [
        Subscription(
            0,
            date(2026, 11, 1),
            CADENCES[0],
            {"a": Decimal("30.00")},
            date(2026, 11, 1),
        ),
    ]
    ledger.switch_on(immediate=False)
    ledger.bill()
    assert ledger.last_run == date(2026, 12, 1)
    ledger.add_subscription(CADENCES[0], [Decimal("62.00")])
    added = ledger.subscriptions[1]
    # Dec 1 is billed already: the whole of December is its transition
    assert added.paid_through == date(2027, 1, 1)
    assert [c.total for c in ledger.pending] == [Decimal("62.00")]
    ledger.today = date(2027, 1, 1)
    ledger.bill()
    ledger.assert_exactly_once()
