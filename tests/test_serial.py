import json
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from subscription_grouping_core import (
    Anchor,
    Cadence,
    Line,
    Member,
    Unit,
    dump_move,
    load_move,
    plan_join,
)

CENT = Decimal("0.01")


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
