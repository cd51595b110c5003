from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from subscription_grouping_core import (
    Anchor,
    Period,
    period_ratio,
    prorate,
    round_money,
    span_ratio,
)

from shared import CENT, MONTHLY


@pytest.mark.parametrize(
    ("amount", "unit", "expected"),
    [
        (Decimal("0.005"), CENT, Decimal("0.01")),
        (Decimal("-0.005"), CENT, Decimal("-0.01")),
        (Decimal("0.0049"), CENT, Decimal("0.00")),
        (Decimal("2.675"), CENT, Decimal("2.68")),
        (Decimal("53.325"), Decimal("0.05"), Decimal("53.35")),
        (Decimal("53.32"), Decimal("0.05"), Decimal("53.30")),
        (Decimal("1234.5"), Decimal("1"), Decimal("1235")),
        (Fraction(1600, 30), CENT, Decimal("53.33")),
        (0, CENT, Decimal("0.00")),
    ],
)
def test_round_money_half_up_to_the_unit(amount, unit, expected):
    result = round_money(amount, unit)
    assert result == expected
    assert result.as_tuple().exponent == unit.as_tuple().exponent


def test_round_money_rejects_a_zero_unit():
    with pytest.raises(ValueError):
        round_money(Decimal(1), Decimal(0))


def test_prorate_design_example():
    assert prorate(Decimal("100.00"), Fraction(16, 30), CENT) == Decimal("53.33")


def test_period_ratio_requires_the_span_inside_the_period():
    period = Period(date(2026, 11, 1), date(2026, 12, 1))
    assert period_ratio(
        Period(date(2026, 11, 15), date(2026, 12, 1)), period
    ) == Fraction(8, 15)
    with pytest.raises(ValueError):
        period_ratio(Period(date(2026, 10, 31), date(2026, 12, 1)), period)


def test_span_ratio_of_one_full_period_is_one():
    span = Period(date(2027, 1, 31), date(2027, 2, 28))
    assert span_ratio(span, Anchor(31), MONTHLY) == 1


def test_span_ratio_cuts_at_period_boundaries():
    # [Jan 20, Mar 1) = 12/31 of January + all of February
    span = Period(date(2027, 1, 20), date(2027, 3, 1))
    assert span_ratio(span, Anchor(1), MONTHLY) == Fraction(12, 31) + 1
