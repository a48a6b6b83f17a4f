"""Form rule: cadence below 160 spm on easy runs, and a > 5 % drop late in long runs (info level)."""

from __future__ import annotations

import pandas as pd
import pytest

from hiprisk.rules import evaluate, warnings_frame

from .conftest import MONDAY, make_log, of_rule, run, steady


def day(n: int, hour: int = 7) -> pd.Timestamp:
    return MONDAY + pd.Timedelta(days=n, hours=hour)


def cadence_warnings(rows, **kw):
    return [w for w in evaluate(make_log(rows), **kw) if w.rule == "cadence"]


@pytest.mark.parametrize(("spm", "expected"), [(160.0, []), (159.9, ["info"])])
def test_easy_run_cadence_below_160(spm, expected):
    got = cadence_warnings(steady(1, 8.0, avg_cadence_spm=spm))
    assert [w.severity for w in got] == expected
    if expected:
        assert (got[0].unit, got[0].threshold, got[0].period) == ("spm", 160.0, "2025-W02")
        assert got[0].value == pytest.approx(159.9)
        assert "hip" in got[0].message and "Heiderscheit" in got[0].message


def test_the_weekly_cadence_is_time_weighted_over_easy_road_runs():
    rows = [
        run(day(0), 10.0, avg_cadence_spm=156.0),  # 3300 s
        run(day(2), 5.0, avg_cadence_spm=162.0),  # 1650 s
        run(day(4), 10.0, avg_cadence_spm=140.0, trail=True),  # trail: walking breaks, not counted
        run(day(5), 10.0, avg_cadence_spm=150.0, hard_s=1200.0),  # a hard session: not easy
        run(day(6), 10.0, avg_cadence_spm=80.0),  # strides/min or walking: ignored
    ]
    (w,) = cadence_warnings(rows)
    assert w.value == pytest.approx((156 * 3300 + 162 * 1650) / 4950)
    assert "(2 runs)" in w.message


def test_a_week_that_settles_above_160_gives_no_warning():
    """Monday's 156 spm run is below 160, but by Wednesday the week's easy runs average 160.5."""
    rows = [run(day(0), 10.0, avg_cadence_spm=156.0), run(day(2), 10.0, avg_cadence_spm=165.0)]
    log = make_log(rows)
    assert [w.rule for w in evaluate(log, as_of="2025-01-06", notes=False)] == ["cadence"]
    assert cadence_warnings(rows) == []
    assert of_rule(warnings_frame(log), "cadence").empty


def test_trail_and_hard_runs_alone_give_no_cadence_warning():
    rows = [
        run(day(0), 10.0, avg_cadence_spm=140.0, trail=True),
        run(day(2), 10.0, avg_cadence_spm=150.0, hard_s=900.0),
    ]
    assert cadence_warnings(rows) == []


@pytest.mark.parametrize(("drop", "expected"), [(5.0, []), (5.1, ["info"])])
def test_cadence_drop_in_the_last_third_of_long_runs(drop, expected):
    rows = steady(5, 8.0, avg_cadence_spm=172.0) + [
        run(day(35), 16.0, avg_cadence_spm=170.0, cadence_drop_pct=drop)
    ]
    got = cadence_warnings(rows)
    assert [w.severity for w in got] == expected
    if expected:
        assert (got[0].unit, got[0].value, got[0].threshold, got[0].period) == ("%", 5.1, 5.0, "2025-02-10")
        assert "last third" in got[0].message and "16.0 km" in got[0].message


def test_a_drop_on_a_short_run_is_not_flagged():
    rows = steady(5, 8.0, avg_cadence_spm=172.0) + [
        run(day(35), 6.0, avg_cadence_spm=170.0, cadence_drop_pct=9.0)
    ]
    assert cadence_warnings(rows) == []


def test_cadence_is_info_only():
    rows = steady(5, 8.0, avg_cadence_spm=150.0, cadence_drop_pct=9.0)
    frame = of_rule(warnings_frame(make_log(rows)), "cadence")
    assert len(frame) == 5 and set(frame["severity"]) == {"info"}  # one per week, no long runs
