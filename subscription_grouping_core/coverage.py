"""Exactly-once coverage: are a subscription's billed days its billable life?

Each day of a subscription's billable life (from its start to its close or
its paid-through date, minus paused spans) must be billed exactly once, net
of credits; every other day not at all.
"""

from dataclasses import dataclass
from itertools import pairwise

from .dates import Period


@dataclass(frozen=True)
class Coverage:
    """Where billing misses days (``gaps``) or bills them twice (``overlaps``)."""

    gaps: tuple[Period, ...]
    overlaps: tuple[Period, ...]

    @property
    def exact(self):
        return not self.gaps and not self.overlaps


def _merge(periods):
    merged = []
    for period in sorted(periods):
        if merged and period.start <= merged[-1].end:
            last = merged.pop()
            period = Period(last.start, max(last.end, period.end))
        merged.append(period)
    return merged


def check_coverage(billed, life, paused=()):
    """Compare billed service periods with the billable life.

    ``billed`` holds periods, or ``(period, sign)`` pairs where a credit note
    has sign -1. ``life`` is the half-open billable life (``None`` when no
    day is billable, as for a subscription closed the day it started) and
    ``paused`` the spans inside it that are not billable.
    """
    changes = {}

    def add(day, billed_delta, expected_delta):
        billed_count, expected_count = changes.get(day, (0, 0))
        changes[day] = (billed_count + billed_delta, expected_count + expected_delta)

    for entry in billed:
        period, sign = entry if isinstance(entry, tuple) else (entry, 1)
        add(period.start, sign, 0)
        add(period.end, -sign, 0)
    if life is None:
        paused = ()
    else:
        add(life.start, 0, 1)
        add(life.end, 0, -1)
    for span in _merge(paused):
        start, end = max(span.start, life.start), min(span.end, life.end)
        if start < end:
            add(start, 0, -1)
            add(end, 0, 1)

    gaps, overlaps = [], []
    billed_count = expected_count = 0
    for day, following in pairwise(sorted(changes)):
        billed_delta, expected_delta = changes[day]
        billed_count += billed_delta
        expected_count += expected_delta
        if billed_count < expected_count:
            gaps.append(Period(day, following))
        elif billed_count > expected_count:
            overlaps.append(Period(day, following))
    return Coverage(tuple(_merge(gaps)), tuple(_merge(overlaps)))
