"""The catch-up policy: the missed run dates of a group on one invoice."""

from collections import Counter
from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from subscription_grouping_core import (
    Anchor,
    Line,
    Member,
    Period,
    due_run_dates,
    next_run_date,
    plan_catch_up,
    plan_first_run,
    plan_join,
    plan_leave,
    plan_run,
)

from shared import CENT, MONTHLY, QUARTERLY, YEARLY


def member(key, paid_through, price, cadence=MONTHLY, paused=False):
    return Member(key, paid_through, cadence, (Line(key, Decimal(price)),), paused)


def one_invoice_per_run(date_ref, anchor, members, pending=()):
    """The default policy, as the bill run does it: a run per run date, the
    pending charges on the first invoice."""
    plans = []
    members = list(members)
    while (run_date := next_run_date(members)) and run_date <= date_ref:
        plan = plan_run(run_date, anchor, members, () if plans else pending)
        plans.append(plan)
        moved = {item.subscription: item.new_paid_through for item in plan.items}
        members = [
            replace(each, paid_through=moved.get(each.key, each.paid_through))
            for each in members
        ]
    return plans


def test_three_missed_months_on_one_invoice_dated_the_day_it_is_made():
    anchor = Anchor(1)
    monthly = member("M", date(2027, 1, 1), "100.00")
    quarterly = member("Q", date(2027, 2, 1), "300.00", QUARTERLY)
    assert due_run_dates(anchor, [monthly, quarterly], date(2027, 3, 17)) == (
        date(2027, 1, 1),
        date(2027, 2, 1),
        date(2027, 3, 1),
    )
    plan = plan_catch_up(date(2027, 3, 17), anchor, [monthly, quarterly])
    assert plan.run_date == date(2027, 3, 1)
    assert plan.run_dates == (date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1))
    assert plan.dated == date(2027, 3, 17)
    by_member = {item.subscription: item for item in plan.items}
    assert by_member["M"].periods == (
        Period(date(2027, 1, 1), date(2027, 2, 1)),
        Period(date(2027, 2, 1), date(2027, 3, 1)),
        Period(date(2027, 3, 1), date(2027, 4, 1)),
    )
    assert by_member["M"].new_paid_through == date(2027, 4, 1)
    assert by_member["Q"].periods == (Period(date(2027, 2, 1), date(2027, 5, 1)),)
    assert plan.total == Decimal("600.00")


def test_a_group_billed_on_time_is_billed_as_always():
    anchor = Anchor(15)
    monthly = member("M", date(2027, 1, 15), "10.00")
    on_time = plan_catch_up(date(2027, 1, 15), anchor, [monthly])
    assert on_time == plan_run(date(2027, 1, 15), anchor, [monthly])
    assert on_time.dated == date(2027, 1, 15)
    # one run a few days late: dated its run date, as the default does
    late = plan_catch_up(date(2027, 1, 20), anchor, [monthly])
    assert late.run_dates == (date(2027, 1, 15),)
    assert late.dated == date(2027, 1, 15)
    # billed ahead (Invoice Now): the next run date
    ahead = plan_catch_up(date(2027, 1, 2), anchor, [monthly])
    assert ahead.run_dates == (date(2027, 1, 15),)
    assert not plan_catch_up(date(2027, 1, 2), anchor, [])


def test_first_run_of_a_join_years_back_catches_up():
    anchor = Anchor(1)
    joining = member("J", date(2026, 10, 20), "310.00")
    move = plan_join(joining, anchor, CENT)
    plan = plan_first_run(anchor, [], [(joining, move)], catch_up_by=date(2027, 1, 5))
    assert plan.run_dates == (date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1))
    assert plan.dated == date(2027, 1, 5)
    assert plan.charges == (move.charge,)
    # 12/31 of October's 310.00, then three full months
    assert plan.total == Decimal("120.00") + Decimal("930.00")
    default = plan_first_run(anchor, [], [(joining, move)])
    assert default.run_dates == (date(2026, 11, 1),)


def test_credits_larger_than_the_catch_up_go_on_a_credit_note():
    anchor = Anchor(1)
    leaving = member("L", date(2027, 6, 1), "900.00")
    credit = plan_leave(leaving, date(2027, 1, 1), anchor, CENT)
    staying = member("S", date(2027, 1, 1), "100.00")
    plan = plan_catch_up(date(2027, 3, 1), anchor, [staying], [credit])
    assert plan.run_dates == (date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1))
    assert plan.refunds == (credit,)
    assert plan.total == Decimal("300.00")


anchors = st.builds(
    Anchor, st.one_of(st.integers(1, 31), st.integers(28, 31)), st.none()
)


@st.composite
def groups(draw):
    """An anchor, members on it (some paused), pending charges, a date_ref."""
    anchor = draw(anchors)
    start = draw(st.dates(date(2000, 1, 1), date(2090, 1, 1)))
    members, pending = [], []
    for index in range(draw(st.integers(1, 4))):
        cadence = draw(st.sampled_from([MONTHLY, QUARTERLY, YEARLY]))
        offset = draw(st.integers(0, 400))
        paid_through = anchor.first_on_or_after(
            date.fromordinal(start.toordinal() + offset), cadence
        )
        prices = draw(
            st.lists(
                st.decimals(Decimal(0), Decimal("9999.99"), places=2),
                min_size=1,
                max_size=3,
            )
        )
        lines = tuple(Line((index, line), price) for line, price in enumerate(prices))
        each = Member(index, paid_through, cadence, lines, draw(st.booleans()))
        members.append(each)
        if draw(st.booleans()):
            close = date.fromordinal(
                paid_through.toordinal() - draw(st.integers(1, 90))
            )
            credit = plan_leave(each, close, anchor, CENT)
            if credit:
                pending.append(credit)
    date_ref = date.fromordinal(start.toordinal() + draw(st.integers(0, 900)))
    return anchor, members, pending, date_ref


@given(groups())
def test_catch_up_bills_what_one_invoice_per_run_bills(group):
    anchor, members, pending, date_ref = group
    runs = one_invoice_per_run(date_ref, anchor, members, pending)
    plan = plan_catch_up(date_ref, anchor, members, pending)
    if len(runs) < 2:
        # nothing missed: the group's next run, dated its run date
        assert plan.missed == () and plan.invoice_date is None
        if runs:
            assert plan == runs[0]
        return
    assert plan.run_dates == tuple(run.run_date for run in runs)
    assert plan.dated == date_ref
    assert due_run_dates(anchor, members, date_ref) == plan.run_dates
    # the same periods of the same members, each line its own period
    periods = {}
    moved = {}
    for run in runs:
        for item in run.items:
            periods.setdefault(item.subscription, []).extend(item.periods)
            moved[item.subscription] = item.new_paid_through
    assert {item.subscription: list(item.periods) for item in plan.items} == periods
    assert {item.subscription: item.new_paid_through for item in plan.items} == moved
    # the same money: every charge billed once, on the invoice or a credit note
    assert Counter(plan.charges + plan.refunds) == Counter(pending)
    assert plan.total + sum(charge.total for charge in plan.refunds) == sum(
        run.total + sum(charge.total for charge in run.refunds) for run in runs
    )
    assert plan.total >= 0
