"""Entries of the plans a user previews before they are carried out.

A join plan (switching grouping on, adding a member, changing a group's
billing day) holds one :class:`JoinEntry` per subscription; an ungroup plan
one :class:`UngroupEntry` per group. Each entry keeps, besides the core's
answer, what the answer was computed from, so that a plan whose
subscriptions or groups changed since can be refused instead of carried out
wrong. ``serial`` turns them into JSON-ready values and back.
"""

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date

from .dates import Anchor
from .plans import Charge, Line, Move, Refusal


@dataclass(frozen=True)
class JoinEntry:
    """One subscription of a join plan: where it goes and how, or why not.

    ``group`` is the existing group it joins, or ``None`` for the group of
    ``key`` to create on ``anchor``. ``key`` names the values that cannot
    differ inside one invoice, as ``(field, value)`` pairs. ``lines`` are the
    lines the plan was computed from; ``last_run`` and ``policy`` the group's
    last billed run date and transition policy when it was planned.
    """

    subscription: Hashable
    outcome: Move | Refusal
    group: Hashable | None = None
    key: tuple[tuple[str, Hashable], ...] = ()
    lines: tuple[Line, ...] = ()
    anchor: Anchor | None = None
    last_run: date | None = None
    policy: str | None = None

    @property
    def move(self):
        """The core's move, or ``None`` when the subscription stays out."""
        return self.outcome if isinstance(self.outcome, Move) else None

    @property
    def refusal(self):
        """Why the subscription stays out, or ``None`` when it joins."""
        return self.outcome.reason if isinstance(self.outcome, Refusal) else None

    @property
    def target(self):
        """The group the entry joins: an existing one, or a key to create."""
        return (self.group, self.key)

    def value(self, field):
        """The value of ``field`` in the entry's grouping key."""
        return dict(self.key)[field]


@dataclass(frozen=True)
class UngroupEntry:
    """One group of an ungroup plan (rule 8), as planned.

    ``members`` are the subscriptions taken out with their next invoice date
    now, ``paid_through`` their date afterwards; ``dropped`` and ``settle``
    are the core's (:class:`Ungroup`), ``settle`` limited to those members
    when only some leave (``whole`` false). ``posted`` and ``pending`` (the
    ids of the group's pending charges) are the group's state when planned.
    """

    group: Hashable
    whole: bool
    posted: bool
    members: tuple[tuple[Hashable, date], ...]
    paid_through: tuple[tuple[Hashable, date], ...]
    dropped: tuple[Charge, ...] = ()
    settle: tuple[Charge, ...] = ()
    pending: tuple[Hashable, ...] = ()

    def dropped_for(self, subscription):
        """The charges the plan drops for ``subscription``."""
        return tuple(
            charge for charge in self.dropped if charge.subscription == subscription
        )

    def restored(self):
        """``{subscription: (next date now, next date after)}``."""
        after = dict(self.paid_through)
        return {sub: (now, after[sub]) for sub, now in self.members}
