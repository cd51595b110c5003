"""The planning core of subscription_grouping: dates, proration and plans.

Plain Python (standard library and python-dateutil): no Odoo import, so it
can be tested and reasoned about alone. The Odoo addon calls it.
"""

from .coverage import Coverage, check_coverage
from .dates import Anchor, Cadence, CannotAlign, Period, Unit
from .money import period_ratio, prorate, round_money, span_ratio
from .plans import (
    Charge,
    ChargeKind,
    ChargeLine,
    Line,
    Member,
    Move,
    Reason,
    Refusal,
    Resume,
    RunItem,
    RunPlan,
    Ungroup,
    default_anchor,
    join_refusal,
    next_run_date,
    plan_join,
    plan_leave,
    plan_price_change,
    plan_resume,
    plan_run,
    plan_ungroup,
)
from .serial import dump_charge, dump_move, load_charge, load_move

__all__ = [
    "Anchor",
    "Cadence",
    "CannotAlign",
    "Charge",
    "ChargeKind",
    "ChargeLine",
    "Coverage",
    "Line",
    "Member",
    "Move",
    "Period",
    "Reason",
    "Refusal",
    "Resume",
    "RunItem",
    "RunPlan",
    "Ungroup",
    "Unit",
    "check_coverage",
    "default_anchor",
    "dump_charge",
    "dump_move",
    "join_refusal",
    "load_charge",
    "load_move",
    "next_run_date",
    "period_ratio",
    "plan_join",
    "plan_leave",
    "plan_price_change",
    "plan_resume",
    "plan_run",
    "plan_ungroup",
    "prorate",
    "round_money",
    "span_ratio",
]
