"""Exact proration and currency rounding.

Ratios are exact fractions of days; amounts are ``Decimal``. Rounding is
half-up (away from zero) to a multiple of the currency's rounding unit, as
Odoo's ``res.currency.round`` does, but without any float on the way.
"""

from decimal import Decimal
from fractions import Fraction

from .dates import Period

HALF = Fraction(1, 2)


def round_money(amount, unit):
    """``amount`` (Fraction, Decimal or int) rounded half-up to a multiple of ``unit``.

    >>> round_money(Fraction(1600, 30), Decimal("0.01"))
    Decimal('53.33')
    >>> round_money(Decimal("-0.125"), Decimal("0.01"))
    Decimal('-0.13')
    """
    unit = Decimal(unit)
    if unit <= 0:
        raise ValueError(f"a rounding unit is positive, not {unit}")
    steps = Fraction(amount) / Fraction(unit)
    units = int(abs(steps) + HALF)  # floor: both operands are non-negative
    return (Decimal(units if steps >= 0 else -units) * unit).quantize(unit)


def period_ratio(span, period):
    """The part of one full ``period`` that ``span`` (inside it) represents."""
    if span.start < period.start or span.end > period.end:
        raise ValueError(f"{span} is not inside {period}")
    return Fraction(span.days, period.days)


def prorate(price, ratio, unit):
    """``price x ratio`` rounded to the currency: DESIGN, rule 2."""
    return round_money(Fraction(Decimal(price)) * ratio, unit)


def span_ratio(span, anchor, cadence):
    """How many periods of ``cadence`` the ``span`` covers, as an exact fraction.

    ``span.end`` must be aligned on ``anchor``. The span is cut at the
    member's period boundaries (``end``, ``end - 1 period``, ...) and every
    piece counts as its share of the period it lies in, so a span of exactly
    one period is 1 and ``[P, A)`` of a join is DESIGN's ratio.
    """
    ratio = Fraction(0)
    boundary = span.end
    while boundary > span.start:
        previous = anchor.shift(boundary, cadence, -1)
        piece = Period(max(previous, span.start), boundary)
        ratio += period_ratio(piece, Period(previous, boundary))
        boundary = previous
    return ratio
