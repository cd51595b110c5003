from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from subscription_grouping_core import (
    Anchor,
    Cadence,
    ChargeKind,
    Line,
    Member,
    Move,
    Period,
    Reason,
    Refusal,
    Unit,
    default_anchor,
    join_refusal,
    next_run_date,
    plan_first_run,
    plan_join,
    plan_leave,
    plan_price_change,
    plan_resume,
    plan_run,
    plan_ungroup,
)

from shared import CENT, MONTHLY, QUARTERLY, YEARLY


def member(key, paid_through, *prices, cadence=MONTHLY, is_paused=False):
    lines = tuple(
        Line(f"{key}-{index}", Decimal(price)) for index, price in enumerate(prices)
    )
    return Member(key, paid_through, cadence, lines, is_paused)


def test_join_design_example():
    move = plan_join(member("S1", date(2026, 11, 15), "100.00"), Anchor(1), CENT)
    assert move.old_date == date(2026, 11, 15)
    assert move.new_date == date(2026, 12, 1)
    charge = move.charge
    assert charge.kind is ChargeKind.TRANSITION
    assert charge.period == Period(date(2026, 11, 15), date(2026, 12, 1))
    assert charge.ratio == Fraction(16, 30)
    assert [line.amount for line in charge.lines] == [Decimal("53.33")]
    assert charge.total == Decimal("53.33")


def test_join_on_the_anchor_moves_nothing():
    move = plan_join(member("S1", date(2026, 12, 1), "100.00"), Anchor(1), CENT)
    assert move == Move("S1", date(2026, 12, 1), date(2026, 12, 1), None)


def test_join_in_february_uses_januarys_length():
    # A = Mar 1 2027; the period before it is [Feb 1, Mar 1): 28 days
    move = plan_join(member("S1", date(2027, 2, 20), "90.00"), Anchor(1), CENT)
    assert move.new_date == date(2027, 3, 1)
    assert move.charge.ratio == Fraction(9, 28)
    assert move.charge.total == Decimal("28.93")


def test_join_on_a_leap_day():
    # A = Mar 10 2028; [Feb 10, Mar 10) of a leap year has 29 days
    move = plan_join(
        member("S1", date(2028, 2, 29), "29.00", "10.00"), Anchor(10), CENT
    )
    assert move.new_date == date(2028, 3, 10)
    assert move.charge.ratio == Fraction(10, 29)
    assert [line.amount for line in move.charge.lines] == [
        Decimal("10.00"),
        Decimal("3.45"),
    ]


def test_join_anchor_31_through_february():
    # A = Feb 28 2027; the period before it is [Jan 31, Feb 28): 28 days
    move = plan_join(member("S1", date(2027, 2, 14), "100.00"), Anchor(31), CENT)
    assert move.new_date == date(2027, 2, 28)
    assert move.charge.period == Period(date(2027, 2, 14), date(2027, 2, 28))
    assert move.charge.ratio == Fraction(14, 28)
    assert move.charge.total == Decimal("50.00")


def test_join_quarterly_member_prorates_on_its_own_cadence():
    move = plan_join(
        member("Q", date(2026, 11, 15), "300.00", cadence=QUARTERLY), Anchor(1), CENT
    )
    assert move.new_date == date(2026, 12, 1)
    assert move.charge.ratio == Fraction(16, 91)  # [Sep 1, Dec 1) has 91 days
    assert move.charge.total == Decimal("52.75")


def test_join_yearly_member_with_an_anchor_month():
    move = plan_join(
        member("Y", date(2026, 11, 15), "1200.00", cadence=YEARLY), Anchor(1, 1), CENT
    )
    assert move.new_date == date(2027, 1, 1)
    assert move.charge.ratio == Fraction(47, 365)
    assert move.charge.total == Decimal("154.52")


@pytest.mark.parametrize(
    ("subscription", "reason"),
    [
        (
            member("W", date(2026, 11, 15), "5.00", cadence=Cadence(1, Unit.WEEK)),
            Reason.CADENCE,
        ),
        (
            member("D", date(2026, 11, 15), "5.00", cadence=Cadence(30, Unit.DAY)),
            Reason.CADENCE,
        ),
        (member("E", date(2026, 11, 15)), Reason.NO_LINES),
        (member("N", None, "5.00"), Reason.NO_NEXT_DATE),
        (member("C", date(2026, 11, 15), "10.00", "-30.00"), Reason.NEGATIVE),
        (member("P", date(2026, 11, 15), "10.00", is_paused=True), Reason.PAUSED),
    ],
)
def test_join_refusals_carry_their_reason(subscription, reason):
    assert plan_join(subscription, Anchor(1), CENT) == Refusal(subscription.key, reason)


def test_no_currency_comes_before_every_other_reason():
    weekly = member("W", None, cadence=Cadence(1, Unit.WEEK), is_paused=True)
    assert join_refusal(weekly, has_currency=False) is Reason.NO_CURRENCY
    assert join_refusal(weekly) is Reason.PAUSED
    assert join_refusal(member("S", date(2026, 11, 15), "1"), has_currency=False) is (
        Reason.NO_CURRENCY
    )


def test_first_run_of_a_join_plan_bills_the_earliest_date_with_its_transitions():
    # a member already in the group, due 2027-01-01, and two joining on day 1:
    # one from 2026-11-15 (transition of 16 days of November), one aligned
    staying = [member("in", date(2027, 1, 1), "30.00")]
    late = member("late", date(2026, 11, 15), "100.00")
    aligned = member("aligned", date(2026, 12, 1), "10.00")
    joining = [(sub, plan_join(sub, Anchor(1), CENT)) for sub in (late, aligned)]
    run = plan_first_run(Anchor(1), staying, joining)
    assert run.run_date == date(2026, 12, 1)
    assert [item.subscription for item in run.items] == ["late", "aligned"]
    assert [charge.subscription for charge in run.charges] == ["late"]
    # 100.00 + 10.00 for December, 100.00 x 16/30 for November 15-30
    assert run.total == Decimal("163.33")
    # transitions billed at once: not on the first merged invoice
    alone = plan_first_run(Anchor(1), staying, joining, charges_wait=False)
    assert alone.charges == () and alone.total == Decimal("110.00")


def test_first_run_waits_for_pending_charges_and_none_without_a_member():
    pending = plan_leave(
        member("gone", date(2026, 12, 15), "30.00"), date(2026, 12, 1), Anchor(15), CENT
    )
    run = plan_first_run(
        Anchor(15), [member("in", date(2026, 12, 15), "60.00")], [], [pending]
    )
    assert run.run_date == date(2026, 12, 15)
    assert run.charges == (pending,)
    assert run.total == Decimal("60.00") + pending.total
    assert plan_first_run(Anchor(1), [], [], [pending]) is None
    paused = member("P", date(2026, 12, 1), "5.00", is_paused=True)
    assert plan_first_run(Anchor(1), [paused], []) is None


def test_default_anchor_follows_the_longest_running_subscription():
    members = [
        (date(2025, 6, 3), member("new", date(2026, 12, 3), "1")),
        (date(2024, 2, 17), member("old", date(2026, 12, 17), "1")),
        (
            date(2023, 1, 1),
            member("weekly", date(2026, 12, 5), "1", cadence=Cadence(1, Unit.WEEK)),
        ),
    ]
    assert default_anchor(members) == Anchor(17)
    assert default_anchor([]) is None


def test_run_bills_due_members_and_pending_charges():
    anchor = Anchor(1)
    monthly = member("M", date(2026, 12, 1), "100.00")
    yearly = member("Y", date(2027, 6, 1), "1200.00", cadence=YEARLY)
    paused = member("P", date(2026, 12, 1), "40.00", is_paused=True)
    transition = plan_join(
        member("T", date(2026, 11, 15), "100.00"), anchor, CENT
    ).charge
    assert next_run_date([monthly, yearly, paused]) == date(2026, 12, 1)

    plan = plan_run(date(2026, 12, 1), anchor, [monthly, yearly, paused], [transition])
    assert [item.subscription for item in plan.items] == ["M"]
    assert plan.items[0].periods == (Period(date(2026, 12, 1), date(2027, 1, 1)),)
    assert plan.items[0].new_paid_through == date(2027, 1, 1)
    assert plan.charges == (transition,)
    assert plan.total == Decimal("153.33")


def test_run_with_nothing_due_keeps_charges_pending():
    transition = plan_join(
        member("T", date(2026, 11, 15), "100.00"), Anchor(1), CENT
    ).charge
    plan = plan_run(
        date(2026, 12, 1), Anchor(1), [member("M", date(2027, 1, 1), "1")], [transition]
    )
    assert not plan
    assert plan.charges == ()
    assert plan.total == Decimal(0)


def test_run_catches_up_missed_periods_on_one_invoice():
    plan = plan_run(
        date(2027, 2, 28), Anchor(31), [member("M", date(2026, 12, 31), "10.00")]
    )
    assert plan.items[0].periods == (
        Period(date(2026, 12, 31), date(2027, 1, 31)),
        Period(date(2027, 1, 31), date(2027, 2, 28)),
        Period(date(2027, 2, 28), date(2027, 3, 31)),
    )
    assert plan.items[0].new_paid_through == date(2027, 3, 31)
    assert plan.total == Decimal("30.00")


def test_run_refuses_a_member_off_the_anchor():
    with pytest.raises(ValueError, match="not on"):
        plan_run(date(2026, 12, 1), Anchor(1), [member("M", date(2026, 11, 15), "1")])


def test_leave_credits_unused_days():
    credit = plan_leave(
        member("S", date(2027, 1, 1), "31.00"), date(2026, 12, 21), Anchor(1), CENT
    )
    assert credit.kind is ChargeKind.CREDIT
    assert credit.period == Period(date(2026, 12, 21), date(2027, 1, 1))
    assert credit.ratio == Fraction(11, 31)
    assert credit.total == Decimal("-11.00")


def test_leave_on_or_after_the_paid_through_date_credits_nothing():
    subscription = member("S", date(2027, 1, 1), "31.00")
    assert plan_leave(subscription, date(2027, 1, 1), Anchor(1), CENT) is None


def test_resume_after_the_paid_through_date_skips_the_pause_and_rejoins():
    paused = member("S", date(2026, 12, 1), "100.00", is_paused=True)
    resume = plan_resume(paused, date(2027, 2, 10), Anchor(1), CENT)
    assert resume.paused == Period(date(2026, 12, 1), date(2027, 2, 10))
    assert resume.join.old_date == date(2027, 2, 10)
    assert resume.join.new_date == date(2027, 3, 1)
    assert resume.join.charge.ratio == Fraction(19, 28)
    assert resume.join.charge.total == Decimal("67.86")


def test_resume_before_the_pause_took_effect_changes_nothing():
    paused = member("S", date(2026, 12, 1), "100.00", is_paused=True)
    resume = plan_resume(paused, date(2026, 11, 20), Anchor(1), CENT)
    assert resume.paused is None
    assert resume.join == Move("S", date(2026, 12, 1), date(2026, 12, 1), None)


def test_price_change_adjusts_the_rest_of_the_paid_period_per_line():
    subscription = Member(
        "S",
        date(2027, 1, 1),
        MONTHLY,
        (Line("a", Decimal("31.00")), Line("b", Decimal("62.00"))),
    )
    new_lines = (Line("a", Decimal("62.00")), Line("c", Decimal("3.10")))
    charge = plan_price_change(
        subscription, new_lines, date(2026, 12, 21), Anchor(1), CENT
    )
    assert charge.kind is ChargeKind.ADJUSTMENT
    assert charge.ratio == Fraction(11, 31)
    assert [(line.key, line.price, line.amount) for line in charge.lines] == [
        ("a", Decimal("31.00"), Decimal("11.00")),
        ("b", Decimal("-62.00"), Decimal("-22.00")),
        ("c", Decimal("3.10"), Decimal("1.10")),
    ]
    assert charge.total == Decimal("-9.90")


def test_price_change_without_a_difference_is_no_charge():
    subscription = member("S", date(2027, 1, 1), "31.00")
    same = (Line("S-0", Decimal("31.00")),)
    assert (
        plan_price_change(subscription, same, date(2026, 12, 21), Anchor(1), CENT)
        is None
    )
    assert (
        plan_price_change(subscription, (), date(2027, 1, 1), Anchor(1), CENT) is None
    )


def test_ungroup_before_the_first_merged_invoice_is_an_exact_rollback():
    anchor = Anchor(1)
    before = [
        member("A", date(2026, 11, 15), "100.00"),
        member("B", date(2026, 12, 1), "50.00"),
    ]
    moves = {m.key: [plan_join(m, anchor, CENT)] for m in before}
    after = [
        member("A", date(2026, 12, 1), "100.00"),
        member("B", date(2026, 12, 1), "50.00"),
    ]
    pending = [moves["A"][0].charge]
    ungroup = plan_ungroup(after, moves, pending, merged_invoice_posted=False)
    assert ungroup.paid_through == {"A": date(2026, 11, 15), "B": date(2026, 12, 1)}
    assert ungroup.dropped == (moves["A"][0].charge,)
    assert ungroup.settle == ()


def test_ungroup_after_a_merged_invoice_keeps_dates_and_settles_charges():
    anchor = Anchor(1)
    late = member("L", date(2027, 1, 20), "31.00")
    move = plan_join(late, anchor, CENT)
    current = [
        member("A", date(2027, 2, 1), "100.00"),
        member("L", date(2027, 2, 1), "31.00"),
    ]
    ungroup = plan_ungroup(
        current, {"L": [move]}, [move.charge], merged_invoice_posted=True
    )
    assert ungroup.paid_through == {"A": date(2027, 2, 1), "L": date(2027, 2, 1)}
    assert ungroup.dropped == ()
    assert ungroup.settle == (move.charge,)


def test_ungroup_keeps_a_transition_that_was_already_invoiced():
    move = plan_join(member("A", date(2026, 11, 15), "100.00"), Anchor(1), CENT)
    current = [member("A", date(2026, 12, 1), "100.00")]
    ungroup = plan_ungroup(current, {"A": [move]}, [], merged_invoice_posted=False)
    assert ungroup.paid_through == {"A": date(2026, 12, 1)}
    assert ungroup.dropped == ()


def test_ungroup_stops_at_a_price_adjustment_of_the_moved_days():
    anchor = Anchor(1)
    move = plan_join(member("A", date(2026, 11, 15), "100.00"), anchor, CENT)
    joined = member("A", date(2026, 12, 1), "100.00")
    # on Nov 20 the price goes to 130.00: [Nov 20, Dec 1) is adjusted, 11/30
    adjustment = plan_price_change(
        joined, (Line("A-0", Decimal("130.00")),), date(2026, 11, 20), anchor, CENT
    )
    assert adjustment.total == Decimal("11.00")
    ungroup = plan_ungroup(
        [member("A", date(2026, 12, 1), "130.00")],
        {"A": [move]},
        [move.charge, adjustment],
        merged_invoice_posted=False,
    )
    # undoing the join would bill [Nov 15, Dec 15) at 130.00 and adjust again
    assert ungroup.paid_through == {"A": date(2026, 12, 1)}
    assert ungroup.dropped == ()
    assert ungroup.settle == (move.charge, adjustment)


def test_ungroup_undoes_a_join_when_the_adjustment_is_older_than_it():
    anchor = Anchor(1)
    older = plan_price_change(
        member("A", date(2026, 11, 15), "100.00"),
        (Line("A-0", Decimal("70.00")),),
        date(2026, 11, 5),
        Anchor(15),
        CENT,
    )
    move = plan_join(member("A", date(2026, 11, 15), "70.00"), anchor, CENT)
    ungroup = plan_ungroup(
        [member("A", date(2026, 12, 1), "70.00")],
        {"A": [move]},
        [older, move.charge],
        merged_invoice_posted=False,
    )
    assert ungroup.paid_through == {"A": date(2026, 11, 15)}
    assert ungroup.dropped == (move.charge,)
    assert ungroup.settle == (older,)


def test_credits_that_would_make_the_invoice_negative_are_refunded_apart():
    anchor = Anchor(1)
    leaving = member("L", date(2027, 1, 1), "900.00")
    credit = plan_leave(leaving, date(2026, 12, 2), anchor, CENT)
    assert credit.total == Decimal("-870.97")  # 900 x 30/31
    transition = plan_join(member("T", date(2026, 12, 20), "31.00"), anchor, CENT)
    staying = member("S", date(2026, 12, 1), "50.00")
    plan = plan_run(date(2026, 12, 1), anchor, [staying], [credit, transition.charge])
    assert plan.charges == (transition.charge,)
    assert plan.refunds == (credit,)
    assert plan.total == Decimal("50.00") + Decimal("12.00")  # 31 x 12/31
    small = plan_leave(leaving, date(2026, 12, 31), anchor, CENT)
    assert small.total == Decimal("-29.03")  # 900 x 1/31
    plan = plan_run(date(2026, 12, 1), anchor, [staying], [small])
    assert plan.charges == (small,)
    assert plan.refunds == ()
    assert plan.total == Decimal("20.97")


def test_joining_on_a_run_date_already_billed_waits_for_the_next_one():
    # the group billed Sep 8; a quarterly subscription starting that day
    newcomer = member("N", date(2026, 9, 8), "300.00", cadence=QUARTERLY)
    move = plan_join(newcomer, Anchor(8), CENT, last_run=date(2026, 9, 8))
    assert move.new_date == date(2026, 10, 8)
    assert move.charge.period == Period(date(2026, 9, 8), date(2026, 10, 8))
    assert move.charge.ratio == Fraction(30, 92)  # of [Jul 8, Oct 8)
    assert move.charge.total == Decimal("97.83")


def test_joining_behind_the_last_run_bills_the_days_up_to_the_next():
    late = member("L", date(2026, 8, 20), "31.00")
    move = plan_join(late, Anchor(8), CENT, last_run=date(2026, 10, 8))
    assert move.new_date == date(2026, 11, 8)
    # [Aug 20, Sep 8) is 19/31 of [Aug 8, Sep 8), then two full months
    assert move.charge.ratio == Fraction(19, 31) + 2
    assert move.charge.total == Decimal("81.00")
    # a run date before P changes nothing
    assert plan_join(late, Anchor(8), CENT, last_run=date(2026, 8, 8)) == plan_join(
        late, Anchor(8), CENT
    )


def test_join_refusal_needs_no_anchor():
    assert join_refusal(member("S", date(2026, 11, 15), "1")) is None
    assert join_refusal(member("E", date(2026, 11, 15))) is Reason.NO_LINES
    assert join_refusal(member("N", None, "1")) is Reason.NO_NEXT_DATE
    # a discount line is fine while the period still bills something (or nothing)
    assert join_refusal(member("D", date(2026, 11, 15), "100", "-30")) is None
    assert join_refusal(member("Z", date(2026, 11, 15), "30", "-30")) is None
    assert join_refusal(member("C", date(2026, 11, 15), "30", "-30.01")) is (
        Reason.NEGATIVE
    )
