"""Properties of the calendar, the money and the plans, over 1999-2099."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from subscription_grouping_core import (
    Anchor,
    Line,
    Member,
    Period,
    check_coverage,
    plan_join,
    plan_run,
    prorate,
    round_money,
    span_ratio,
)

from shared import CADENCES

UNITS = [Decimal("0.01"), Decimal("0.05"), Decimal("1"), Decimal("0.001")]

days = st.dates(date(1999, 1, 1), date(2099, 12, 31))
cadences = st.sampled_from(CADENCES)
units = st.sampled_from(UNITS)
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@st.composite
def anchors(draw):
    # half the draws on the awkward days 28-31
    day = draw(st.one_of(st.integers(1, 31), st.integers(28, 31)))
    return Anchor(day, draw(st.one_of(st.none(), st.integers(1, 12))))


@given(anchors(), cadences, days)
def test_aligned_dates_never_drift_over_ten_years(anchor, cadence, start):
    current = anchor.first_on_or_after(start, cadence)
    steps = 120 // cadence.months
    for count in range(1, steps + 1):
        following = anchor.shift(current, cadence)
        assert anchor.is_aligned(following, cadence)
        assert following == anchor.shift(
            anchor.first_on_or_after(start, cadence), cadence, count
        )
        last_of_month = (following.replace(day=28) + timedelta(days=4)).replace(
            day=1
        ) - timedelta(days=1)
        assert following.day == min(anchor.day, last_of_month.day)
        assert anchor.shift(following, cadence, -1) == current
        current = following


@given(anchors(), cadences, days)
def test_aligned_date_is_the_first_on_or_after_p(anchor, cadence, paid_through):
    aligned = anchor.first_on_or_after(paid_through, cadence)
    assert aligned >= paid_through
    assert anchor.is_aligned(aligned, cadence)
    # nothing aligned in between
    assert not any(
        anchor.is_aligned(paid_through + timedelta(days=offset), cadence)
        for offset in range((aligned - paid_through).days)
    )


@given(anchors(), cadences, days, st.lists(prices, min_size=1, max_size=4), units)
def test_join_ratio_and_sum_preservation(
    anchor, cadence, paid_through, line_prices, unit
):
    lines = tuple(Line(index, price) for index, price in enumerate(line_prices))
    move = plan_join(Member("S", paid_through, cadence, lines), anchor, unit)
    assert move.new_date >= move.old_date == paid_through
    if move.charge is None:
        assert move.new_date == paid_through
        return
    ratio = move.charge.ratio
    assert 0 < ratio < 1
    previous = anchor.shift(move.new_date, cadence, -1)
    assert ratio == Fraction(
        (move.new_date - paid_through).days, (move.new_date - previous).days
    )
    for line, charged in zip(lines, move.charge.lines, strict=True):
        assert (
            abs(Fraction(charged.amount) - Fraction(line.price) * ratio)
            <= Fraction(unit) / 2
        )
        assert charged.amount % unit == 0


@given(anchors(), cadences, days, st.integers(1, 24))
def test_transition_then_runs_tile_exactly(anchor, cadence, paid_through, runs):
    member = Member("S", paid_through, cadence, (Line("a", Decimal("10")),))
    move = plan_join(member, anchor, Decimal("0.01"))
    billed = [move.charge.period] if move.charge else []
    member = Member("S", move.new_date, cadence, member.lines)
    for _ in range(runs):
        plan = plan_run(member.paid_through, anchor, [member])
        (item,) = plan.items
        assert item.total == Decimal("10")  # a full period bills exactly its price
        billed.extend(item.periods)
        member = Member("S", item.new_paid_through, cadence, member.lines)
    assert check_coverage(billed, Period(paid_through, member.paid_through)).exact


@given(st.fractions(min_value=-(10**6), max_value=10**6), units)
def test_round_money_is_nearest_half_up_and_symmetric(amount, unit):
    rounded = round_money(amount, unit)
    assert rounded % unit == 0
    error = Fraction(rounded) - amount
    assert abs(error) <= Fraction(unit) / 2
    if abs(error) == Fraction(unit) / 2:  # ties go away from zero
        assert abs(Fraction(rounded)) > abs(amount)
    assert round_money(-amount, unit) == -rounded


@given(prices, st.integers(0, 366), st.integers(1, 366), units)
def test_prorate_stays_within_half_a_unit(price, numerator, denominator, unit):
    ratio = Fraction(min(numerator, denominator), denominator)
    amount = prorate(price, ratio, unit)
    assert abs(Fraction(amount) - Fraction(price) * ratio) <= Fraction(unit) / 2
    if ratio == 1:
        assert amount == round_money(price, unit)


@given(anchors(), cadences, days, st.integers(0, 6))
def test_span_ratio_counts_whole_periods_plus_the_transition(
    anchor, cadence, start, extra
):
    aligned = anchor.first_on_or_after(start, cadence)
    end = anchor.shift(aligned, cadence, extra)
    if end == start:
        return
    head = Fraction(0)
    if aligned > start:
        head = span_ratio(Period(start, aligned), anchor, cadence)
        assert 0 < head < 1
    assert span_ratio(Period(start, end), anchor, cadence) == head + extra


@given(days, st.lists(st.integers(1, 400), min_size=1, max_size=12), st.data())
def test_coverage_finds_exactly_the_removed_and_repeated_pieces(start, lengths, data):
    cuts = [start]
    for length in lengths:
        cuts.append(cuts[-1] + timedelta(days=length))
    pieces = [Period(a, b) for a, b in zip(cuts, cuts[1:], strict=False)]
    life = Period(cuts[0], cuts[-1])
    assert check_coverage(pieces, life).exact
    index = data.draw(st.integers(0, len(pieces) - 1))
    missing = pieces[:index] + pieces[index + 1 :]
    assert check_coverage(missing, life).gaps == (pieces[index],)
    repeated = pieces + [pieces[index]]
    assert check_coverage(repeated, life).overlaps == (pieces[index],)
    credited = pieces + [(pieces[index], -1)]
    assert check_coverage(credited, life).gaps == (pieces[index],)
