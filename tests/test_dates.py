from datetime import date

import pytest

from subscription_grouping_core import Anchor, Cadence, CannotAlign, Period, Unit

from shared import MONTHLY, QUARTERLY, YEARLY


def test_anchor_31_falls_on_each_months_last_day_without_drift():
    anchor = Anchor(31)
    dates = [date(2027, 1, 31)]
    for _ in range(4):
        dates.append(anchor.shift(dates[-1], MONTHLY))
    assert dates == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
    ]


def test_anchor_30_in_a_leap_february():
    assert Anchor(30).shift(date(2028, 1, 30), MONTHLY) == date(2028, 2, 29)
    assert Anchor(30).shift(date(2028, 2, 29), MONTHLY) == date(2028, 3, 30)


def test_shift_backwards_lands_on_the_anchor():
    assert Anchor(31).shift(date(2027, 2, 28), MONTHLY, -1) == date(2027, 1, 31)
    assert Anchor(15).shift(date(2027, 2, 15), QUARTERLY, -1) == date(2026, 11, 15)


def test_first_aligned_on_or_after_design_example():
    assert Anchor(1).first_on_or_after(date(2026, 11, 15), MONTHLY) == date(2026, 12, 1)


def test_first_aligned_on_the_anchor_itself_does_not_move():
    assert Anchor(1).first_on_or_after(date(2026, 12, 1), MONTHLY) == date(2026, 12, 1)


def test_first_aligned_crosses_the_year_end():
    assert Anchor(10).first_on_or_after(date(2026, 12, 11), MONTHLY) == date(
        2027, 1, 10
    )


def test_first_aligned_last_day_anchor_in_february():
    assert Anchor(31).first_on_or_after(date(2027, 2, 3), MONTHLY) == date(2027, 2, 28)
    assert Anchor(29).first_on_or_after(date(2028, 2, 3), MONTHLY) == date(2028, 2, 29)


def test_anchor_month_fixes_yearly_cadences_only():
    anchor = Anchor(1, month=4)
    assert anchor.first_on_or_after(date(2026, 11, 15), YEARLY) == date(2027, 4, 1)
    assert anchor.first_on_or_after(date(2026, 3, 15), YEARLY) == date(2026, 4, 1)
    assert anchor.first_on_or_after(date(2026, 11, 15), MONTHLY) == date(2026, 12, 1)
    assert anchor.is_aligned(date(2026, 4, 1), YEARLY)
    assert not anchor.is_aligned(date(2026, 5, 1), YEARLY)
    assert anchor.is_aligned(date(2026, 5, 1), MONTHLY)


def test_yearly_anchor_on_leap_day():
    anchor = Anchor(29, month=2)
    assert anchor.first_on_or_after(date(2026, 3, 1), YEARLY) == date(2027, 2, 28)
    assert anchor.shift(date(2027, 2, 28), YEARLY) == date(2028, 2, 29)


@pytest.mark.parametrize("unit", [Unit.DAY, Unit.WEEK])
def test_day_and_week_cadences_cannot_align(unit):
    cadence = Cadence(2, unit)
    assert not cadence.alignable
    assert cadence.months is None
    with pytest.raises(CannotAlign, match=unit.value):
        Anchor(1).first_on_or_after(date(2026, 11, 15), cadence)


def test_cadence_months_and_unit_from_odoo_value():
    assert Cadence(2, "years").months == 24
    assert Cadence(3, "months").months == 3
    assert Cadence(1, "weeks").unit is Unit.WEEK


@pytest.mark.parametrize(
    "kwargs", [{"day": 0}, {"day": 32}, {"day": 1, "month": 0}, {"day": 1, "month": 13}]
)
def test_anchor_rejects_impossible_values(kwargs):
    with pytest.raises(ValueError):
        Anchor(**kwargs)


def test_cadence_rejects_a_zero_interval():
    with pytest.raises(ValueError):
        Cadence(0, Unit.MONTH)


def test_period_inclusive_dates_round_trip():
    period = Period(date(2026, 11, 15), date(2026, 12, 1))
    assert period.days == 16
    assert period.last_day == date(2026, 11, 30)
    assert Period.from_inclusive(date(2026, 11, 15), date(2026, 11, 30)) == period
    assert str(period) == "[2026-11-15, 2026-12-01)"


def test_period_must_not_be_empty():
    with pytest.raises(ValueError):
        Period(date(2026, 12, 1), date(2026, 12, 1))
