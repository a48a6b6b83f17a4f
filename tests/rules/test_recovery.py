"""Recovery rule: rest_days — 7 / 10 consecutive running days and rest days per 14 days."""

from __future__ import annotations

import pandas as pd
import pytest

from hiprisk.rules import evaluate, warnings_frame

from .conftest import MONDAY, config, make_log, of_rule, run, severities


def days_run(days, km: float = 6.0, hour: int = 7) -> list[dict]:
    return [run(MONDAY + pd.Timedelta(days=d, hours=hour), km) for d in days]


@pytest.mark.parametrize(
    ("streak", "expected"), [(6, None), (7, "caution"), (9, "caution"), (10, "high"), (15, "high")]
)
def test_consecutive_running_days(streak, expected, tz):
    rows = days_run(range(0, 20, 2)) + days_run(range(21, 21 + streak))  # rest on day 20
    log = make_log(rows, tz=tz)
    got = [w for w in evaluate(log, config=config(tz)) if w.rule == "rest_days"]
    assert severities(got) == ([expected] if expected else [])
    if expected:
        assert got[0].value == streak and got[0].unit == "days"
        assert f"{streak} consecutive days" in got[0].message


def test_late_evening_runs_stay_on_their_local_day(tz):
    """Runs at 23:30 local every day for 7 days: 7 local days, whatever UTC says."""
    rows = days_run(range(0, 20, 2)) + days_run(range(21, 28), hour=23) + days_run([28], hour=0)
    rows[-1]["local_start"] += pd.Timedelta(minutes=30)  # 00:30 on day 28: the 8th day of the streak
    log = make_log(rows, tz=tz)
    (w,) = [w for w in evaluate(log, config=config(tz)) if w.rule == "rest_days"]
    assert w.value == 8


def test_a_rest_day_ends_the_streak_and_the_warning():
    rows = days_run(range(0, 20, 2)) + days_run(range(21, 30))
    log = make_log(rows)
    assert severities(evaluate(log, as_of="2025-02-03"), "rest_days") == ["caution"]  # day 28: 8 days
    assert severities(evaluate(log, as_of="2025-02-05"), "rest_days") == []  # day 30: no run


def test_one_row_per_streak():
    rows = days_run(range(0, 20, 2)) + days_run(range(21, 33)) + days_run(range(40, 48))
    frame = of_rule(warnings_frame(make_log(rows)), "rest_days")
    assert frame[["period", "severity", "value"]].values.tolist() == [
        ["2025-02-02", "high", 12.0],  # days 21-32: flagged from the 7th day (day 27)
        ["2025-02-21", "caution", 8.0],  # days 40-47
    ]
    assert "2025-01-27 to 2025-02-07" in frame.loc[0, "message"]


def test_fewer_than_two_rest_days_in_14_days():
    """Days 0-6 run (caution on day 6), day 7 rest, days 8-13 run: on day 13 the streak is only 6 but
    the 14 days hold one rest day."""
    rows = days_run(range(0, 7)) + days_run(range(8, 14))
    log = make_log(rows)
    (w,) = [w for w in evaluate(log) if w.rule == "rest_days"]
    assert (w.severity, w.value, w.threshold) == ("caution", 1.0, 2.0)
    assert "Only 1 rest day in the 14 days" in w.message
    # two episodes: day 6 (the 7th running day) and day 13 (the window rule needs 14 days of history)
    assert of_rule(warnings_frame(log), "rest_days")["period"].tolist() == ["2025-01-12", "2025-01-19"]


def test_the_14_day_window_needs_14_days_of_history():
    rows = days_run(range(0, 6)) + days_run(range(7, 13))  # 13 days, 1 rest day
    assert of_rule(warnings_frame(make_log(rows)), "rest_days").empty


def test_cross_training_days_are_rest_days_from_running():
    rows = (
        days_run(range(0, 20, 2))
        + days_run(range(21, 24))
        + [run(MONDAY + pd.Timedelta(days=24, hours=7), 30.0, sport="cycling")]
        + days_run(range(25, 30))
    )
    assert of_rule(warnings_frame(make_log(rows)), "rest_days").empty
