"""Plans: what each grouping behaviour of DESIGN.md does to members and money.

Every function here is pure: it reads values (members, dates, an anchor, a
currency rounding unit) and returns a plan made of values. The Odoo layer
reads records into these values, asks for a plan and writes it back.

A member's *paid-through date* ``P`` is its next invoice date: billing is in
advance, so everything before ``P`` is paid for.
"""

import enum
from collections.abc import Hashable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

from .dates import ONE_DAY, Anchor, Cadence, Period
from .money import prorate, span_ratio


class ChargeKind(enum.Enum):
    """Lines a group bills besides the members' full periods."""

    TRANSITION = "transition"  # [P, A) when a member joins (rule 1)
    CREDIT = "credit"  # unused prepaid days [close, P) when it leaves (rule 5)
    ADJUSTMENT = "adjustment"  # price difference for [change, P) (rule 7)

    @property
    def covers_service(self):
        """Whether the charge's period counts as service billed (or credited).

        An adjustment re-prices days that were already billed: it moves money,
        not coverage.
        """
        return self is not ChargeKind.ADJUSTMENT


class Reason(enum.Enum):
    """Why a subscription cannot join a group (never dropped silently)."""

    CADENCE = "cadence"  # days or weeks cannot follow a monthly anchor
    NO_LINES = "no_lines"  # nothing to bill
    NO_NEXT_DATE = "no_next_date"  # no paid-through date (not running)
    NEGATIVE = "negative"  # its lines add up to a credit: no invoice can bill it
    NO_CURRENCY = "no_currency"  # no pricelist, hence no currency to bill in
    PAUSED = "paused"  # it joins when it resumes (rule 6)


@dataclass(frozen=True)
class Line:
    """A subscription line and the amount it bills for one full period."""

    key: Hashable
    price: Decimal


@dataclass(frozen=True)
class Member:
    """What a plan needs to know of a subscription."""

    key: Hashable
    paid_through: date | None
    cadence: Cadence
    lines: tuple[Line, ...] = ()
    is_paused: bool = False


@dataclass(frozen=True)
class ChargeLine:
    """One subscription line's share of a charge.

    ``price`` is the full-period amount the charge is prorated from (for an
    adjustment, the price difference); ``amount`` is what is billed, rounded
    to the currency.
    """

    key: Hashable
    price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Charge:
    """A prorated charge (or credit) for one member over one service period."""

    subscription: Hashable
    kind: ChargeKind
    period: Period
    ratio: Fraction
    lines: tuple[ChargeLine, ...]

    @property
    def total(self):
        return sum((line.amount for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class Refusal:
    """A subscription that stays out of the group, and why."""

    subscription: Hashable
    reason: Reason


@dataclass(frozen=True)
class Move:
    """A member's paid-through date moved onto the anchor (rule 1).

    ``charge`` is the transition for ``[old_date, new_date)``, or ``None``
    when the member was already aligned.
    """

    subscription: Hashable
    old_date: date
    new_date: date
    charge: Charge | None = None


@dataclass(frozen=True)
class RunItem:
    """A member billed on a run: full periods at full price."""

    subscription: Hashable
    periods: tuple[Period, ...]
    lines: tuple[Line, ...]
    new_paid_through: date

    @property
    def total(self):
        return len(self.periods) * sum((line.price for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class RunPlan:
    """One merged invoice: the members due on ``run_date`` and pending charges.

    ``refunds`` are credits held off the invoice because they would make its
    total negative, which no customer invoice may be: they go on a credit
    note of their own. A catch-up (:func:`plan_catch_up`) also bills the
    earlier run dates ``missed`` and is dated ``invoice_date``.
    """

    run_date: date
    items: tuple[RunItem, ...]
    charges: tuple[Charge, ...]
    refunds: tuple[Charge, ...] = ()
    missed: tuple[date, ...] = ()
    invoice_date: date | None = None

    def __bool__(self):
        return bool(self.items)

    @property
    def run_dates(self):
        """The group's run dates this invoice bills, oldest first: the run
        date, after the missed ones a catch-up bills with it."""
        return (*self.missed, self.run_date)

    @property
    def dated(self):
        """The invoice's date: its run date, or the day a catch-up is made."""
        return self.invoice_date or self.run_date

    @property
    def total(self):
        return sum((item.total for item in self.items), Decimal(0)) + sum(
            (charge.total for charge in self.charges), Decimal(0)
        )


@dataclass(frozen=True)
class Resume:
    """A paused member resuming: the span never billed, then a new join.

    ``restart`` is the day its service restarts, ``max(P, R)``.
    """

    restart: date
    paused: Period | None
    join: Move | Refusal


@dataclass(frozen=True)
class Ungroup:
    """What switching grouping off does (rule 8).

    ``paid_through`` gives each member's next invoice date from now on;
    ``dropped`` are pending charges that vanish with the moves they came from;
    ``settle`` are pending charges that must still be billed, on their own.
    """

    paid_through: dict
    dropped: tuple[Charge, ...]
    settle: tuple[Charge, ...]


def _charge(subscription, kind, span, cadence, anchor, unit, prices, sign=1):
    ratio = span_ratio(span, anchor, cadence)
    lines = tuple(
        ChargeLine(key, price, sign * prorate(price, ratio, unit))
        for key, price in prices
    )
    return Charge(subscription, kind, span, ratio, lines)


def join_refusal(member, has_currency=True):
    """Why ``member`` cannot join any group, or ``None`` if it can.

    None of these reasons depends on the anchor, so they can be known before
    a group exists. ``has_currency``: whether the subscription has a
    currency to be billed in.
    """
    if not has_currency:
        return Reason.NO_CURRENCY
    if member.is_paused:
        return Reason.PAUSED
    if not member.cadence.alignable:
        return Reason.CADENCE
    if member.paid_through is None:
        return Reason.NO_NEXT_DATE
    if not member.lines:
        return Reason.NO_LINES
    if sum(line.price for line in member.lines) < 0:
        return Reason.NEGATIVE
    return None


def plan_join(member, anchor, unit, last_run=None):
    """Align ``member`` on ``anchor``: a :class:`Move`, or a :class:`Refusal`.

    ``A`` is the first aligned date on or after ``P``; the transition charge
    covers ``[P, A)`` at ``price x days([P, A)) / days([A - 1 period, A))``
    per line. Joining never credits: ``A >= P``.

    ``last_run`` is the group's last billed run date, if any. A group never
    bills a run date twice, so ``A`` comes after it: a member joining on (or
    behind) a date already billed has the days up to the group's next date
    in its transition, however many periods they make.
    """
    reason = join_refusal(member)
    if reason is not None:
        return Refusal(member.key, reason)
    start = member.paid_through
    earliest = start if last_run is None else max(start, last_run + ONE_DAY)
    aligned = anchor.first_on_or_after(earliest, member.cadence)
    if aligned == start:
        return Move(member.key, start, aligned)
    charge = _charge(
        member.key,
        ChargeKind.TRANSITION,
        Period(start, aligned),
        member.cadence,
        anchor,
        unit,
        ((line.key, line.price) for line in member.lines),
    )
    return Move(member.key, start, aligned, charge)


def default_anchor(members):
    """DESIGN's default: the day of the next date of the longest-running member.

    ``members`` are ``(start_date, Member)`` pairs; only members that can
    align and have a next date count. ``None`` when there is none.
    """
    candidates = [
        (start, member.paid_through)
        for start, member in members
        if member.cadence.alignable and member.paid_through
    ]
    if not candidates:
        return None
    _start, next_date = min(candidates)
    return Anchor(next_date.day)


def next_run_date(members):
    """The group's next run date: the earliest ``P`` of its running members."""
    return min(
        (
            member.paid_through
            for member in members
            if member.paid_through and not member.is_paused
        ),
        default=None,
    )


def plan_run(run_date, anchor, members, pending=()):
    """The merged invoice of ``run_date`` (rule 4).

    Members that are not paused and have ``P <= run_date`` are due; each is
    billed every full period starting on or before the run date (one, unless
    runs were missed) and its ``P`` moves on by its own cadence on the
    anchored calendar. Pending charges go on the invoice when anything is due,
    except credits that would make it negative (``refunds``).
    """
    items = []
    for member in members:
        start = member.paid_through
        if member.is_paused or start is None or start > run_date:
            continue
        if not anchor.is_aligned(start, member.cadence):
            raise ValueError(
                f"{member.key!r} is due on {start}, which is not on {anchor}"
            )
        periods = []
        while start <= run_date:
            end = anchor.shift(start, member.cadence)
            periods.append(Period(start, end))
            start = end
        items.append(RunItem(member.key, tuple(periods), member.lines, start))
    if not items:
        return RunPlan(run_date, (), ())
    plan = RunPlan(run_date, tuple(items), tuple(pending))
    if plan.total >= 0:
        return plan
    return RunPlan(
        run_date,
        plan.items,
        tuple(charge for charge in pending if charge.total >= 0),
        tuple(charge for charge in pending if charge.total < 0),
    )


def due_run_dates(anchor, members, date_ref):
    """The group's run dates due by ``date_ref`` and not billed yet, oldest
    first: the first day of every full period a run on ``date_ref`` bills."""
    plan = plan_run(date_ref, anchor, members)
    return tuple(
        sorted({period.start for item in plan.items for period in item.periods})
    )


def plan_catch_up(date_ref, anchor, members, pending=()):
    """Every run date due by ``date_ref`` on one invoice dated ``date_ref``.

    The group's catch-up policy: the missed runs bill the same periods at the
    same prices as one invoice per run date would, each line keeping its own
    period; the plan's ``run_date`` is the last of them. With at most one
    run date due, this is the group's next run, dated its run date.
    """
    dates = due_run_dates(anchor, members, date_ref)
    if len(dates) < 2:
        first = dates[0] if dates else next_run_date(members)
        if first is None:
            return RunPlan(date_ref, (), ())
        return plan_run(first, anchor, members, pending)
    plan = plan_run(dates[-1], anchor, members, pending)
    return replace(plan, missed=dates[:-1], invoice_date=date_ref)


def plan_first_run(
    anchor, staying, joining, pending=(), charges_wait=True, catch_up_by=None
):
    """The first merged invoice of a group once a join plan is carried out.

    ``staying`` are the members that keep their dates, ``joining`` the
    ``(Member, Move)`` pairs of the plan: each member bills from its move's
    new date. ``pending`` are the group's pending charges; the moves'
    transitions join them when they wait for the next merged invoice
    (``charges_wait``; else they are billed at once, on their own). With
    ``catch_up_by``, the group catches up: every run date due by then on one
    invoice (see :func:`plan_catch_up`). A :class:`RunPlan`, or ``None`` when
    no member is due at all.
    """
    members = [*staying]
    charges = [*pending]
    for member, move in joining:
        members.append(replace(member, paid_through=move.new_date))
        if move.charge and charges_wait:
            charges.append(move.charge)
    run_date = next_run_date(members)
    if run_date is None:
        return None
    if catch_up_by is not None:
        return plan_catch_up(catch_up_by, anchor, members, charges)
    return plan_run(run_date, anchor, members, charges)


def plan_leave(member, close_date, anchor, unit):
    """Credit for the unused prepaid days ``[close_date, P)``, or ``None``.

    Used when the group's policy credits a leaving member (rule 5); by
    default those days stay paid.
    """
    end = member.paid_through
    if end is None or close_date >= end:
        return None
    return _charge(
        member.key,
        ChargeKind.CREDIT,
        Period(close_date, end),
        member.cadence,
        anchor,
        unit,
        ((line.key, line.price) for line in member.lines),
        sign=-1,
    )


def plan_resume(member, resume_date, anchor, unit, last_run=None):
    """A paused member resumes on ``resume_date`` (rule 6).

    The pause took effect at ``P``, so ``[P, max(P, R))`` is never billed;
    the member then joins again from ``max(P, R)`` by rule 1 (``last_run``:
    see :func:`plan_join`).
    """
    restart = restart_date(member.paid_through, resume_date)
    paused = (
        Period(member.paid_through, restart) if restart > member.paid_through else None
    )
    rejoined = replace(member, paid_through=restart, is_paused=False)
    return Resume(restart, paused, plan_join(rejoined, anchor, unit, last_run))


def restart_date(paid_through, resume_date):
    """The day a paused subscription's service restarts: ``max(P, R)``.

    The pause took effect at ``P``: resumed before, nothing was skipped;
    after, the days up to ``R`` are never billed (rule 6). The same for a
    subscription that bills on its own.
    """
    return max(paid_through, resume_date)


def plan_price_change(member, new_lines, change_date, anchor, unit):
    """The prorated price difference for ``[change_date, P)``, or ``None`` (rule 7).

    New prices apply to periods starting on or after the change; the days
    already paid at the old prices are adjusted per line (a line that
    appears or disappears counts as priced 0 on the other side).
    """
    end = member.paid_through
    if end is None or change_date >= end:
        return None
    old = {line.key: line.price for line in member.lines}
    new = {line.key: line.price for line in new_lines}
    keys = list(old) + [key for key in new if key not in old]
    differences = [
        (key, new.get(key, Decimal(0)) - old.get(key, Decimal(0))) for key in keys
    ]
    differences = [(key, price) for key, price in differences if price]
    if not differences:
        return None
    return _charge(
        member.key,
        ChargeKind.ADJUSTMENT,
        Period(change_date, end),
        member.cadence,
        anchor,
        unit,
        differences,
    )


def plan_ungroup(members, moves, pending, merged_invoice_posted):
    """Switch grouping off (rule 8).

    Before the group's first merged invoice is posted, each member's moves
    are undone newest first, as long as the member still stands where the
    move put it and the move's charge is still pending: its old ``P`` comes
    back and the charge is dropped, as if grouping never happened. Once a
    merged invoice is posted, nothing is undone: members go on from their
    current ``P`` and every pending charge is settled.

    A pending price adjustment reaching past a move's old date stops the undo
    too: it re-prices days that only the move made paid, and they would be
    billed again at the new prices once the member bills on its own.

    ``moves`` maps a member's key to its moves, oldest first. Charges are
    matched by equality, so a caller may rebuild them from its own records.
    """
    paid_through = {member.key: member.paid_through for member in members}
    dropped = []
    if not merged_invoice_posted:
        waiting = set(pending)
        adjusted = {}
        for charge in pending:
            if charge.kind is ChargeKind.ADJUSTMENT:
                end = adjusted.get(charge.subscription, charge.period.end)
                adjusted[charge.subscription] = max(end, charge.period.end)
        for key in paid_through:
            for move in reversed(moves.get(key, ())):
                if move.new_date != paid_through[key]:
                    break
                if key in adjusted and adjusted[key] > move.old_date:
                    break
                if move.charge is not None:
                    if move.charge not in waiting:
                        break
                    dropped.append(move.charge)
                paid_through[key] = move.old_date
    settle = tuple(charge for charge in pending if charge not in dropped)
    return Ungroup(paid_through, tuple(dropped), settle)
