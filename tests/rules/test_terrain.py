"""Terrain rules: downhill_volume and trail_volume against the 4-week baseline."""

from __future__ import annotations

import pandas as pd
import pytest

from hiprisk.rules import evaluate, warnings_frame

from .conftest import MONDAY, config, make_log, of_rule, run, severities


def day(n: int, hour: int = 7) -> pd.Timestamp:
    return MONDAY + pd.Timedelta(days=n, hours=hour)


def weeks_of(weeks: int, *, descent_m: float = 0.0, downhill_km: float = 0.0, trail_km: float = 0.0):
    """``weeks`` weeks of 4 × 8 km (Mon/Wed/Fri/Sun, so the first week is whole); per week ``descent_m``
    and ``downhill_km`` spread over the runs, and ``trail_km`` as trail runs of 8 km plus a remainder."""
    rows = []
    for w in range(weeks):
        trail_left = trail_km
        for d in (0, 2, 4, 6):
            t = min(8.0, trail_left)
            trail_left -= t
            if 0 < t < 8.0:  # split: a trail run of t km and a road run of the rest
                rows.append(
                    run(day(7 * w + d), t, trail=True, descent_m=descent_m / 4, downhill_km=downhill_km / 4)
                )
                rows.append(run(day(7 * w + d, 18), 8.0 - t))
                continue
            rows.append(
                run(day(7 * w + d), 8.0, trail=t > 0, descent_m=descent_m / 4, downhill_km=downhill_km / 4)
            )
    return rows


def judged_week(rows_this_week, baseline_rows, **cfg):
    log = make_log(baseline_rows + rows_this_week)
    return [w for w in evaluate(log, as_of=MONDAY + pd.Timedelta(days=34), config=config(**cfg))]


# -- downhill_volume ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("descent_m", "expected"),
    [(520.0, None), (521.0, "caution"), (800.0, "caution"), (801.0, "high")],
)
def test_downhill_rise_thresholds(descent_m, expected):
    base = weeks_of(4, descent_m=400.0)
    this = [run(day(28 + d), 8.0, descent_m=descent_m / 4) for d in (0, 2, 4, 6)]
    got = [w for w in judged_week(this, base) if w.rule == "downhill_volume"]
    assert severities(got) == ([expected] if expected else [])
    if expected:
        assert got[0].value == pytest.approx((descent_m - 400) / 4, abs=1e-3)
        assert "ITB" in got[0].message and got[0].evidence == "biomechanics"


@pytest.mark.parametrize(("descent_m", "expected"), [(299.9, None), (300.0, "caution")])
def test_downhill_needs_300_m_of_weekly_descent(descent_m, expected):
    base = weeks_of(4, descent_m=200.0)  # +50 % either way
    this = [run(day(28 + d), 8.0, descent_m=descent_m / 2) for d in (1, 3)] + [run(day(28 + 5), 8.0)]
    got = [w for w in judged_week(this, base) if w.rule == "downhill_volume"]
    assert severities(got) == ([expected] if expected else [])


def test_downhill_km_can_trigger_alone():
    base = weeks_of(4, descent_m=400.0, downhill_km=2.0)
    this = [run(day(28 + d), 8.0, descent_m=100.0, downhill_km=2.7 / 4) for d in (0, 2, 4, 6)]
    (w,) = [w for w in judged_week(this, base) if w.rule == "downhill_volume"]
    assert (w.severity, w.unit) == ("caution", "%")
    assert w.value == pytest.approx(35.0)
    assert "Downhill distance" in w.message and "2.7 km" in w.message


def test_descent_after_flat_weeks_is_high_in_metres():
    base = weeks_of(4)
    this = [run(day(28 + d), 8.0, descent_m=160.0) for d in (1, 3)]
    (w,) = [w for w in judged_week(this, base) if w.rule == "downhill_volume"]
    assert (w.severity, w.unit, w.value, w.threshold) == ("high", "m", 320.0, 300.0)
    assert "had none" in w.message


def test_downhill_needs_a_baseline():
    rows = weeks_of(2, descent_m=400.0) + [run(day(14 + d), 8.0, descent_m=400.0) for d in (1, 3)]
    assert of_rule(warnings_frame(make_log(rows)), "downhill_volume").empty


def test_cross_training_descent_does_not_count():
    base = weeks_of(4, descent_m=400.0)
    this = [run(day(29), 8.0, descent_m=400.0), run(day(30), 10.0, sport="hiking", descent_m=900.0)]
    assert [w for w in judged_week(this, base) if w.rule == "downhill_volume"] == []


# -- trail_volume -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("trail_km", "expected"), [(14.4, None), (14.432, "caution")])
def test_trail_share_points_threshold(trail_km, expected):
    """Baseline 25 % of 32 km on trails; 14.4 of 32 km is 45 %: +20.0 points exactly."""
    base = weeks_of(4, trail_km=8.0)
    this = weeks_of(1, trail_km=trail_km)
    this = [{**r, "local_start": r["local_start"] + pd.Timedelta(days=28)} for r in this]
    got = [w for w in judged_week(this, base, trail_volume={"km_pct": 1000.0}) if w.rule == "trail_volume"]
    assert severities(got) == ([expected] if expected else [])
    if expected:
        assert got[0].unit == "points" and got[0].value == pytest.approx(20.1, abs=1e-3)
        assert "gluteus medius" in got[0].message and got[0].evidence == "expert advice"


@pytest.mark.parametrize(("trail_km", "expected"), [(10.4, None), (10.41, "caution")])
def test_trail_km_rise_threshold(trail_km, expected):
    base = weeks_of(4, trail_km=8.0)
    this = weeks_of(1, trail_km=trail_km)
    this = [{**r, "local_start": r["local_start"] + pd.Timedelta(days=28)} for r in this]
    got = [
        w for w in judged_week(this, base, trail_volume={"share_points": 1000.0}) if w.rule == "trail_volume"
    ]
    assert severities(got) == ([expected] if expected else [])
    if expected:
        assert got[0].unit == "%"


def test_a_monday_trail_run_is_not_read_as_a_leap_in_share():
    """Monday: one 8 km trail run is 100 % of the week so far, but 25 % of a usual 32 km week."""
    base = weeks_of(4)  # road only
    log = make_log(base + [run(day(28), 8.0, trail=True)])
    monday = MONDAY + pd.Timedelta(days=28)
    got = [w for w in evaluate(log, as_of=monday) if w.rule == "trail_volume"]
    assert got[0].value == pytest.approx(25.0)  # share of a usual week, +25 points: flagged honestly
    log = make_log(base + [run(day(28), 6.0, trail=True)])
    assert [w for w in evaluate(log, as_of=monday) if w.rule == "trail_volume"] == []  # 6 < 32 × 20 %


def test_trail_needs_5_km_of_trail():
    base = weeks_of(4)
    this = [run(day(29), 4.9, trail=True), run(day(30), 4.0)]
    assert [w for w in judged_week(this, base) if w.rule == "trail_volume"] == []
