"""Plans as JSON-ready values, and back.

A plan shown to a user (a preview) is kept as it was computed and carried
out later exactly as shown: it travels as plain values (dates as ISO
strings, amounts as decimal strings, ratios as two integers), never as floats,
so nothing is recomputed or rounded again on the way.
"""

from datetime import date
from decimal import Decimal
from fractions import Fraction

from .dates import Anchor, Period
from .entries import JoinEntry, UngroupEntry
from .plans import Charge, ChargeKind, ChargeLine, Line, Move, Reason, Refusal


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


def _dump_date(value):
    return value.isoformat() if value else None


def _load_date(value):
    return date.fromisoformat(value) if value else None


def dump_join_entry(entry):
    data = {
        "subscription": entry.subscription,
        "group": entry.group,
        "key": [list(pair) for pair in entry.key],
        "lines": [[line.key, str(line.price)] for line in entry.lines],
        "anchor": [entry.anchor.day, entry.anchor.month] if entry.anchor else None,
        "last_run": _dump_date(entry.last_run),
        "policy": entry.policy,
    }
    if entry.move:
        data["move"] = dump_move(entry.move)
    else:
        data["refusal"] = entry.refusal.value
    return data


def load_join_entry(data):
    if "move" in data:
        outcome = load_move(data["move"])
    else:
        outcome = Refusal(data["subscription"], Reason(data["refusal"]))
    return JoinEntry(
        subscription=data["subscription"],
        outcome=outcome,
        group=data["group"],
        key=tuple((field, value) for field, value in data["key"]),
        lines=tuple(Line(key, Decimal(price)) for key, price in data["lines"]),
        anchor=Anchor(*data["anchor"]) if data["anchor"] else None,
        last_run=_load_date(data["last_run"]),
        policy=data["policy"],
    )


def dump_ungroup_entry(entry):
    return {
        "group": entry.group,
        "whole": entry.whole,
        "posted": entry.posted,
        "members": [[sub, _dump_date(day)] for sub, day in entry.members],
        "paid_through": [[sub, _dump_date(day)] for sub, day in entry.paid_through],
        "dropped": [dump_charge(charge) for charge in entry.dropped],
        "settle": [dump_charge(charge) for charge in entry.settle],
        "pending": list(entry.pending),
    }


def load_ungroup_entry(data):
    return UngroupEntry(
        group=data["group"],
        whole=data["whole"],
        posted=data["posted"],
        members=tuple((sub, _load_date(day)) for sub, day in data["members"]),
        paid_through=tuple((sub, _load_date(day)) for sub, day in data["paid_through"]),
        dropped=tuple(load_charge(charge) for charge in data["dropped"]),
        settle=tuple(load_charge(charge) for charge in data["settle"]),
        pending=tuple(data["pending"]),
    )
