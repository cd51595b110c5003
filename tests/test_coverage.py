from datetime import date

from subscription_grouping_core import Period, check_coverage

LIFE = Period(date(2026, 1, 15), date(2026, 4, 1))


def p(start, end):
    return Period(date.fromisoformat(start), date.fromisoformat(end))


def test_tiling_periods_cover_the_life_exactly():
    billed = [
        p("2026-01-15", "2026-02-01"),
        p("2026-02-01", "2026-03-01"),
        p("2026-03-01", "2026-04-01"),
    ]
    coverage = check_coverage(billed, LIFE)
    assert coverage.exact
    assert coverage.gaps == () and coverage.overlaps == ()


def test_a_missing_period_is_a_gap_and_a_repeated_one_an_overlap():
    billed = [
        p("2026-01-15", "2026-02-01"),
        p("2026-03-01", "2026-04-01"),
        p("2026-03-01", "2026-03-10"),
    ]
    coverage = check_coverage(billed, LIFE)
    assert coverage.gaps == (p("2026-02-01", "2026-03-01"),)
    assert coverage.overlaps == (p("2026-03-01", "2026-03-10"),)
    assert not coverage.exact


def test_credit_notes_net_out_billed_days():
    billed = [
        p("2026-01-15", "2026-02-01"),
        p("2026-02-01", "2026-05-01"),
        (p("2026-04-01", "2026-05-01"), -1),
    ]
    assert check_coverage(billed, LIFE).exact


def test_paused_spans_must_not_be_billed():
    billed = [p("2026-01-15", "2026-02-01"), p("2026-03-01", "2026-04-01")]
    assert check_coverage(billed, LIFE, [p("2026-02-01", "2026-03-01")]).exact
    billed.append(p("2026-02-01", "2026-02-15"))
    coverage = check_coverage(billed, LIFE, [p("2026-02-01", "2026-03-01")])
    assert coverage.overlaps == (p("2026-02-01", "2026-02-15"),)


def test_billing_outside_the_life_is_an_overlap():
    billed = [p("2026-01-01", "2026-04-01")]
    assert check_coverage(billed, LIFE).overlaps == (p("2026-01-01", "2026-01-15"),)


def test_without_a_billable_life_only_netted_billing_is_exact():
    month = p("2026-01-15", "2026-02-15")
    assert check_coverage([month, (month, -1)], None).exact
    assert check_coverage([month], None).overlaps == (month,)
