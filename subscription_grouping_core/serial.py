"""Plans as JSON-ready values, and back.

A plan shown to a user (a preview) is kept as it was computed and carried
out later exactly as shown: it travels as plain values (dates as ISO
strings, amounts as decimal strings, ratios as two integers), never as floats,
so nothing is recomputed or rounded again on the way.
"""

from datetime import date
from decimal import Decimal
from fractions import Fraction

from .dates import Period
from .plans import Charge, ChargeKind, ChargeLine, Move


def dump_charge(charge):
    return {
        "subscription": charge.subscription,
        "kind": charge.kind.value,
        "start": charge.period.start.isoformat(),
        "end": charge.period.end.isoformat(),
        "ratio": [charge.ratio.numerator, charge.ratio.denominator],
        "lines": [
            [line.key, str(line.price), str(line.amount)] for line in charge.lines
        ],
    }


def load_charge(data):
    return Charge(
        data["subscription"],
        ChargeKind(data["kind"]),
        Period(date.fromisoformat(data["start"]), date.fromisoformat(data["end"])),
        Fraction(*data["ratio"]),
        tuple(
            ChargeLine(key, Decimal(price), Decimal(amount))
            for key, price, amount in data["lines"]
        ),
    )


def dump_move(move):
    return {
        "subscription": move.subscription,
        "old": move.old_date.isoformat(),
        "new": move.new_date.isoformat(),
        "charge": dump_charge(move.charge) if move.charge else None,
    }


def load_move(data):
    return Move(
        data["subscription"],
        date.fromisoformat(data["old"]),
        date.fromisoformat(data["new"]),
        load_charge(data["charge"]) if data["charge"] else None,
    )
