"""Cadences, anchors and service periods: the calendar a group bills on.

A group bills on an *anchor*: a day of the month (1-31, where 29-31 fall on
the last day of shorter months) and, for yearly cadences, optionally a month.
Aligned dates are always computed from the anchor itself (``relativedelta``
with an absolute ``day``), never by adding a period to the previous date, so
anchor 31 gives Jan 31, Feb 28, Mar 31 and never drifts to the 28th.

Only cadences counted in months or years can follow a day-of-month anchor.
Day and week cadences are refused (:class:`CannotAlign`): a weekly rhythm
lands on the anchor day only now and then, so it could never share the
group's single renewal date.
"""

import calendar
import enum
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

LAST_DAY_OF_MONTH = 31
ONE_DAY = timedelta(days=1)


class Unit(enum.Enum):
    """Cadence units, valued as ``subscription_oca``'s ``recurring_rule_type``."""

    DAY = "days"
    WEEK = "weeks"
    MONTH = "months"
    YEAR = "years"


class CannotAlign(ValueError):
    """A cadence that cannot follow a day-of-month anchor."""

    def __init__(self, cadence):
        super().__init__(
            f"a cadence in {cadence.unit.value} cannot follow a monthly anchor"
        )
        self.cadence = cadence


@dataclass(frozen=True)
class Cadence:
    """Every ``interval`` ``unit``: a subscription's own billing rhythm."""

    interval: int
    unit: Unit

    def __post_init__(self):
        if not isinstance(self.unit, Unit):
            object.__setattr__(self, "unit", Unit(self.unit))
        if self.interval < 1:
            raise ValueError(
                f"a cadence interval must be 1 or more, not {self.interval}"
            )

    @property
    def months(self):
        """Length in calendar months, or ``None`` for day and week cadences."""
        if self.unit is Unit.MONTH:
            return self.interval
        if self.unit is Unit.YEAR:
            return 12 * self.interval
        return None

    @property
    def alignable(self):
        return self.months is not None

    def delta(self, count=1):
        """``count`` periods as a relativedelta, for unanchored (ungrouped) stepping."""
        return relativedelta(**{self.unit.value: self.interval * count})


@dataclass(frozen=True)
class Anchor:
    """A group's billing day, and optionally its month for yearly cadences."""

    day: int
    month: int | None = None

    def __post_init__(self):
        if not 1 <= self.day <= LAST_DAY_OF_MONTH:
            raise ValueError(f"an anchor day is 1 to 31, not {self.day}")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"an anchor month is 1 to 12, not {self.month}")

    def on(self, year, month):
        """The anchor's date in the given month (29-31 clamp to the last day)."""
        return date(year, month, min(self.day, calendar.monthrange(year, month)[1]))

    def _month_fixed(self, cadence):
        return self.month is not None and cadence.unit is Unit.YEAR

    def is_aligned(self, day, cadence):
        """Whether ``day`` is a date a member of this cadence can be billed on."""
        if not cadence.alignable:
            raise CannotAlign(cadence)
        if self._month_fixed(cadence) and day.month != self.month:
            return False
        return day == self.on(day.year, day.month)

    def first_on_or_after(self, day, cadence):
        """``A``: the first aligned date on or after ``day`` (DESIGN, rule 1)."""
        if not cadence.alignable:
            raise CannotAlign(cadence)
        if self._month_fixed(cadence):
            candidate = self.on(day.year, self.month)
            return candidate if candidate >= day else self.on(day.year + 1, self.month)
        candidate = self.on(day.year, day.month)
        if candidate >= day:
            return candidate
        following = day + relativedelta(months=1)
        return self.on(following.year, following.month)

    def shift(self, day, cadence, count=1):
        """``day`` moved by ``count`` periods of ``cadence``, landing on the anchor.

        The month arithmetic is ``relativedelta``'s; the day is always the
        anchor's own (clamped to the month's length), so repeated shifts never
        drift. ``count`` may be negative.
        """
        if not cadence.alignable:
            raise CannotAlign(cadence)
        return day + relativedelta(months=cadence.months * count, day=self.day)


@dataclass(frozen=True, order=True)
class Period:
    """A half-open service period ``[start, end)``."""

    start: date
    end: date

    def __post_init__(self):
        if self.start >= self.end:
            raise ValueError(
                f"a period ends after it starts: [{self.start}, {self.end})"
            )

    @classmethod
    def from_inclusive(cls, start, last_day):
        """From the inclusive dates that invoice lines store."""
        return cls(start, last_day + ONE_DAY)

    @property
    def days(self):
        return (self.end - self.start).days

    @property
    def last_day(self):
        """Inclusive end date, as ``account_invoice_start_end_dates`` stores it."""
        return self.end - ONE_DAY

    def __str__(self):
        return f"[{self.start}, {self.end})"
