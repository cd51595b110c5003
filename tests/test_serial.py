import json
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from subscription_grouping_core import (
    Anchor,
    Cadence,
    JoinEntry,
    Line,
    Member,
    Reason,
    Refusal,
    UngroupEntry,
    Unit,
    dump_join_entry,
    dump_move,
    dump_ungroup_entry,
    load_join_entry,
    load_move,
    load_ungroup_entry,
    plan_join,
    plan_leave,
)

from shared import CENT


def test_a_move_survives_json_exactly():
    member = Member(
        7,
        date(2026, 11, 15),
        Cadence(1, Unit.MONTH),
        (Line(70, Decimal("100.00")), Line(71, Decimal("0.05"))),
    )
    move = plan_join(member, Anchor(1), CENT)
    data = json.loads(json.dumps(dump_move(move)))
    assert data == {
        "subscription": 7,
        "old": "2026-11-15",
        "new": "2026-12-01",
        "charge": {
            "subscription": 7,
            "kind": "transition",
            "start": "2026-11-15",
            "end": "2026-12-01",
            "ratio": [8, 15],
            "lines": [[70, "100.00", "53.33"], [71, "0.05", "0.03"]],
        },
    }
    assert load_move(data) == move


def test_an_aligned_move_has_no_charge():
    member = Member(
        1, date(2026, 12, 1), Cadence(1, Unit.MONTH), (Line(1, Decimal("9")),)
    )
    move = plan_join(member, Anchor(1), CENT)
    assert dump_move(move)["charge"] is None
    assert load_move(json.loads(json.dumps(dump_move(move)))) == move


@given(
    st.dates(date(2000, 1, 1), date(2090, 12, 31)),
    st.integers(1, 31),
    st.sampled_from([Cadence(1, Unit.MONTH), Cadence(3, Unit.MONTH)]),
    st.lists(
        st.decimals(min_value=Decimal("-999"), max_value=Decimal("9999"), places=2),
        min_size=1,
        max_size=4,
    ).filter(lambda prices: sum(prices) >= 0),  # a credit cannot join (Reason)
)
def test_any_join_round_trips(paid_through, day, cadence, prices):
    member = Member(
        3,
        paid_through,
        cadence,
        tuple(Line(index, price) for index, price in enumerate(prices)),
    )
    move = plan_join(member, Anchor(day), CENT)
    assert load_move(json.loads(json.dumps(dump_move(move)))) == move


def test_join_entries_survive_json_exactly():
    member = Member(
        7, date(2026, 11, 15), Cadence(1, Unit.MONTH), (Line(70, Decimal("100.00")),)
    )
    key = (
        ("partner_id", 3),
        ("fiscal_position_id", False),
        ("invoicing_mode", "draft"),
    )
    joining = JoinEntry(
        subscription=7,
        outcome=plan_join(member, Anchor(1), CENT),
        group=None,
        key=key,
        lines=member.lines,
        anchor=Anchor(1),
        last_run=date(2026, 11, 1),
        policy="next_invoice",
    )
    refused = JoinEntry(8, Refusal(8, Reason.NO_CURRENCY))
    for entry in (joining, refused):
        data = json.loads(json.dumps(dump_join_entry(entry)))
        assert load_join_entry(data) == entry
    data = dump_join_entry(joining)
    assert data["key"] == [
        ["partner_id", 3],
        ["fiscal_position_id", False],
        ["invoicing_mode", "draft"],
    ]
    assert data["lines"] == [[70, "100.00"]] and data["last_run"] == "2026-11-01"
    assert joining.move.new_date == date(2026, 12, 1) and joining.refusal is None
    assert joining.value("invoicing_mode") == "draft"
    assert dump_join_entry(refused)["refusal"] == "no_currency"
    assert refused.move is None and refused.refusal is Reason.NO_CURRENCY


def test_ungroup_entries_survive_json_exactly():
    member = Member(
        7, date(2026, 12, 1), Cadence(1, Unit.MONTH), (Line(70, Decimal("30.00")),)
    )
    credit = plan_leave(member, date(2026, 11, 21), Anchor(1), CENT)
    entry = UngroupEntry(
        group=4,
        whole=True,
        posted=False,
        members=((7, date(2026, 12, 1)), (9, date(2026, 12, 1))),
        paid_through=((7, date(2026, 11, 15)), (9, date(2026, 12, 1))),
        dropped=(credit,),
        settle=(),
        pending=(11, 12),
    )
    data = json.loads(json.dumps(dump_ungroup_entry(entry)))
    assert data["members"] == [[7, "2026-12-01"], [9, "2026-12-01"]]
    assert load_ungroup_entry(data) == entry
    assert entry.dropped_for(7) == (credit,) and entry.dropped_for(9) == ()
    assert entry.restored() == {
        7: (date(2026, 12, 1), date(2026, 11, 15)),
        9: (date(2026, 12, 1), date(2026, 12, 1)),
    }
