"""Intensity rules: intensity_jump, hard_back_to_back and warmup."""

from __future__ import annotations

import pandas as pd
import pytest

from hiprisk.config import Athlete
from hiprisk.rules import evaluate, warnings_frame

from .conftest import MONDAY, config, make_log, of_rule, run, severities, steady


def day(n: int, hour: int = 7) -> pd.Timestamp:
    return MONDAY + pd.Timedelta(days=n, hours=hour)


def with_hard(weeks: int, hard_min_per_week: float, sessions: int = 1) -> list[dict]:
    """Steady 4 × 8 km weeks (Mon/Wed/Fri/Sun) where ``sessions`` runs carry the week's hard minutes."""
    rows = steady(weeks, 8.0)
    for i, r in enumerate(rows):
        if i % 4 < sessions:
            r["hard_s"] = hard_min_per_week * 60.0 / sessions
    return rows


def this_week(*hard_minutes: float, week: int = 4) -> list[dict]:
    """The ``week``-th week (default days 28-34): four 8 km runs, the first ones carrying ``hard_minutes``."""
    rows = [run(day(7 * week + d), 8.0) for d in (0, 2, 4, 6)]
    for r, minutes in zip(rows, hard_minutes, strict=False):
        r["hard_s"] = minutes * 60.0
    return rows


def standing(rows, rule, **cfg):
    log = make_log(rows)
    return [w for w in evaluate(log, config=config(**cfg)) if w.rule == rule]


# -- intensity_jump -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("minutes", "expected"), [(26.0, None), (26.01, "caution")])
def test_hard_minutes_rise_threshold(minutes, expected):
    got = standing(with_hard(4, 20.0) + this_week(minutes), "intensity_jump")
    assert severities(got) == ([expected] if expected else [])
    if expected:
        assert got[0].unit == "%" and got[0].value == pytest.approx(30.05)
        assert "hip-flexor" in got[0].message and got[0].evidence == "exploratory"


@pytest.mark.parametrize(("sessions", "expected"), [(1, None), (2, "caution")])
def test_hard_sessions_doubling(sessions, expected):
    got = standing(
        with_hard(4, 12.0) + this_week(*[12.0] * sessions),
        "intensity_jump",
        intensity_jump={"caution_pct": 1000.0},
    )
    assert severities(got) == ([expected] if expected else [])
    if expected:
        assert (got[0].unit, got[0].value, got[0].threshold) == ("sessions", 2.0, 2.0)


@pytest.mark.parametrize(("minutes", "expected"), [(9.9, None), (10.0, "caution")])
def test_small_hard_minute_counts_need_10_minutes(minutes, expected):
    got = standing(with_hard(4, 4.0) + this_week(minutes / 2, minutes / 2), "intensity_jump")
    assert severities(got) == ([expected] if expected else [])


def test_no_intensity_verdict_without_a_baseline():
    log = make_log(with_hard(3, 5.0) + this_week(40.0, week=3))
    assert of_rule(warnings_frame(log), "intensity_jump").empty
    note = [w for w in evaluate(log) if w.rule == "intensity_jump"]
    assert [(n.severity, n.subject, n.value) for n in note] == [("info", "history", 3.0)]


# -- hard_back_to_back --------------------------------------------------------------------------------
def test_hard_sessions_on_consecutive_days():
    rows = steady(5, 8.0) + [run(day(36), 8.0, hard_s=900.0), run(day(37), 8.0, hard_s=1200.0)]
    (w,) = standing(rows, "hard_back_to_back")
    assert (w.severity, w.period, w.value, w.unit) == ("caution", "2025-02-12", 2.0, "days")
    assert "2025-02-11 (15 min above threshold)" in w.message and "20 min above threshold" in w.message
    assert "hip-flexor" in w.message


def test_an_easy_day_between_hard_sessions_is_fine():
    rows = steady(5, 8.0) + [
        run(day(36), 8.0, hard_s=900.0),
        run(day(37), 5.0),
        run(day(38), 8.0, hard_s=900.0),
    ]
    assert standing(rows, "hard_back_to_back") == []


def test_two_hard_runs_on_one_day_are_one_hard_day():
    rows = steady(5, 8.0) + [run(day(36, 7), 8.0, hard_s=900.0), run(day(36, 18), 8.0, hard_s=900.0)]
    assert standing(rows, "hard_back_to_back") == []


def test_a_long_run_then_a_hard_session():
    """A 16 km Sunday in 32 km weeks is 40 % of the weekly volume: a long run, so a hard Monday follows a
    hard day. The steady 8 km runs (25 % exactly) are not long."""
    rows = steady(5, 8.0) + [run(day(35), 8.0), run(day(37), 8.0), run(day(39), 8.0), run(day(41), 16.0)]
    rows.append(run(day(42), 8.0, hard_s=900.0))
    (w,) = standing(rows, "hard_back_to_back")
    assert "long run of 16.0 km, 40 % of the weekly volume" in w.message


def test_long_runs_are_not_recognised_before_28_days():
    rows = [run(day(d), 5.0) for d in (0, 2, 4, 7, 9)] + [run(day(11), 15.0), run(day(12), 6.0, hard_s=900.0)]
    assert standing(rows, "hard_back_to_back") == []


# -- warmup -------------------------------------------------------------------------------------------
def warm_log(rows, **athlete):
    return make_log(rows, athlete=Athlete(timezone="UTC", **athlete))


@pytest.mark.parametrize(("warmup_hr", "expected"), [(159.0, None), (160.0, "caution"), (172.0, "caution")])
def test_warmup_on_heart_rate(warmup_hr, expected):
    log = warm_log(
        steady(2, 8.0, warmup_hr=130.0) + [run(day(14), 8.0, warmup_hr=warmup_hr)], threshold_hr_bpm=160
    )
    got = [w for w in evaluate(log) if w.rule == "warmup"]
    assert severities(got) == ([expected] if expected else [])
    if expected:
        assert (got[0].unit, got[0].value, got[0].threshold) == ("bpm", warmup_hr, 160.0)
        assert "first 10 minutes" in got[0].message and got[0].evidence == "expert advice"


def test_warmup_on_pace_without_heart_rate():
    log = warm_log([run(day(0), 8.0, warmup_speed_m_s=4.2)], threshold_pace_s_per_km=240)
    (w,) = [w for w in evaluate(log) if w.rule == "warmup"]
    assert (w.unit, w.threshold) == ("min/km", 4.0)
    assert w.value == pytest.approx(1000 / 4.2 / 60, abs=1e-3)
    assert "3:58 min/km" in w.message


def test_a_recorded_warm_up_jog_just_before_counts_as_warming_up():
    jog = run(day(14, 7), 2.0, pace_s_per_km=420)  # 07:00-07:14
    fast = run(day(14, 7) + pd.Timedelta(minutes=20), 8.0, warmup_hr=170.0)  # starts 6 min later
    log = warm_log([jog, fast], threshold_hr_bpm=160)
    assert [w for w in evaluate(log) if w.rule == "warmup"] == []
    late = run(day(14, 7) + pd.Timedelta(minutes=50), 8.0, warmup_hr=170.0)  # 36 min after the jog ended
    log = warm_log([jog, late], threshold_hr_bpm=160)
    assert severities(evaluate(log), "warmup") == ["caution"]
