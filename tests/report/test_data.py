"""The report's numbers: the chosen week, the headline totals, the weekly and calendar series.

Oracles: ``history/index.csv`` (each FIT file's own session totals) for distances and counts, and the
calendar itself (ISO weeks) for week choice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hiprisk.errors import ConfigError, HipriskError
from hiprisk.report import data, prepare
from hiprisk.rules import load_ratio_series, week_baselines, weekly_reference

from .conftest import local_days, log_from_rows


def _runs(*specs):
    """Hand-made runs: (local day 'YYYY-MM-DD', km[, extra fields])."""
    rows = []
    for spec in specs:
        day, km, *extra = spec
        row = {"start_utc": f"{day}T07:00:00Z", "distance_km": km, "moving_s": km * 330.0}
        if extra:
            row |= extra[0]
        rows.append(row)
    return log_from_rows(rows)


# -- choosing the week -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("label", "start"),
    [
        ("2026-W01", "2025-12-29"),  # ISO week 1 of 2026 starts in December 2025
        ("2026-W10", "2026-03-02"),
        ("2026w10", "2026-03-02"),
        ("2020-W53", "2020-12-28"),  # 2020 has 53 ISO weeks
    ],
)
def test_week_labels_map_to_their_monday(label, start):
    assert data.parse_week(label) == pd.Timestamp(start)


def test_sunday_weeks_start_the_day_before():
    assert data.parse_week("2026-W10", "sunday") == pd.Timestamp("2026-03-01")


@pytest.mark.parametrize("bad", ["2026-10", "W10", "2026-W54", "2025-W53", "next week"])
def test_bad_week_labels_are_config_errors(bad):
    with pytest.raises(ConfigError):
        data.parse_week(bad)


def test_period_for_a_week_and_for_a_day():
    log = _runs(("2026-03-02", 5.0))
    p = data.choose_period(log, week="2026-W10")
    assert (p.week, p.start, p.end, p.as_of, p.complete) == (
        "2026-W10", pd.Timestamp("2026-03-02"), pd.Timestamp("2026-03-08"), pd.Timestamp("2026-03-08"), True,
    )  # fmt: skip
    p = data.choose_period(log, as_of="2026-03-04")
    assert (p.week, p.start, p.as_of, p.complete) == (
        "2026-W10",
        pd.Timestamp("2026-03-02"),
        pd.Timestamp("2026-03-04"),
        False,
    )
    assert len(p.days) == 3
    with pytest.raises(ConfigError):
        data.choose_period(log, week="2026-W10", as_of="2026-03-04")


def test_default_period_is_the_last_complete_week():
    log = _runs(("2026-03-02", 5.0), ("2026-03-11", 6.0))
    # Wednesday 11 March 2026: the last complete week is W10 (2–8 March).
    p = data.choose_period(log, today="2026-03-11")
    assert p.week == "2026-W10" and p.complete
    # An old export: the log ends long before today, so the week of its last activity is reported.
    p = data.choose_period(log, today="2026-11-22")
    assert p.week == "2026-W11"


def test_empty_log_needs_a_week():
    with pytest.raises(HipriskError):
        data.choose_period(log_from_rows([]), today="2026-03-11")


# -- headline and weekly series against the device totals -------------------------------------------------
def test_headline_matches_the_device_totals_of_every_week(history_log, history_index):
    day = local_days(history_index)
    monday = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    expected = (history_index["total_distance"] / 1000.0).groupby(monday).sum()
    runs = history_index.groupby(monday).size()
    descent = history_index["total_descent"].fillna(0).groupby(monday).sum()
    for start in list(expected.index[::5]) + [expected.index[-1]]:
        label = data.week_of(start)[0]
        h = data.headline(history_log, data.choose_period(history_log, week=label))
        assert h["distance_km"] == pytest.approx(expected[start], abs=1e-6)
        assert h["runs"] == runs[start]
        assert h["descent_m"] == pytest.approx(descent[start])
        run_days = day[monday == start].nunique()
        assert h["rest_days"] == 7 - run_days


def test_weekly_series_spans_16_weeks_and_counts_the_empty_week(history_log, history_index):
    # SOURCES.md: only ISO week 2026-W05 of the history has no run.
    p = data.choose_period(history_log, week="2026-W11")
    w = data.weekly_series(history_log, p)
    shown = w.iloc[-16:]
    assert shown["week"].iloc[-1] == "2026-W11" and shown["week"].iloc[0] == "2025-W48"
    assert shown.loc[shown["week"] == "2026-W05", "distance_km"].item() == 0.0
    assert shown["logged"].all()
    total = history_index["total_distance"].sum() / 1000.0
    assert w["distance_km"].sum() <= total + 1e-9


def test_weeks_before_the_first_activity_are_no_data_not_zero():
    log = _runs(("2026-03-02", 5.0), ("2026-03-09", 6.0))
    w = data.weekly_series(log, data.choose_period(log, week="2026-W11"))
    assert len(w) == 16 + data.BASELINE_WEEKS
    assert w["logged"].sum() == 2
    assert list(w.loc[w["logged"], "distance_km"]) == [5.0, 6.0]


def test_activities_after_as_of_are_ignored():
    log = _runs(("2026-03-02", 5.0), ("2026-03-04", 6.0), ("2026-03-06", 7.0))
    h = data.headline(log, data.choose_period(log, as_of="2026-03-04"))
    assert h["distance_km"] == pytest.approx(11.0)
    assert h["days"] == 3 and h["rest_days"] == 1


# -- the rules' own series ------------------------------------------------------------------------------
def test_band_reference_is_last_weeks_km():
    weeks = [("2026-02-02", 10.0), ("2026-02-09", 10.0), ("2026-02-16", 10.0), ("2026-02-23", 10.0)]
    weeks += [("2026-03-02", 10.0), ("2026-03-09", 12.0), ("2026-03-16", 20.0)]
    log = _runs(*weeks)
    ref = weekly_reference(log, pd.Timestamp("2026-03-22"))
    assert ref.loc["2026-W11", "ref_km"] == pytest.approx(10.0)
    assert ref.loc["2026-W12", "ref_km"] == pytest.approx(12.0)
    assert ref.loc["2026-W12", "distance_km"] == pytest.approx(20.0)


def test_load_ratio_series_is_one_for_a_steady_load():
    days = pd.date_range("2026-01-01", "2026-03-31", freq="D")
    log = _runs(*[(d.strftime("%Y-%m-%d"), 8.0) for d in days])
    s = load_ratio_series(log, days[-1])
    assert s["ratio"].iloc[:27].isna().all()  # no verdict before 28 days of history
    assert s["ratio"].iloc[40:].to_numpy() == pytest.approx(1.0)


def test_report_marks_are_the_rules_warnings(history_log):
    rep = prepare(history_log, "2026-W11")
    weekly = rep.history[rep.history["rule"] == "weekly_increase"]
    assert set(rep.tables["weeks"].loc[rep.tables["weeks"]["broke"], "week"]) == set(weekly["period"]) & set(
        rep.tables["weeks"]["week"]
    )
    for rule, col in (("downhill_volume", "descent_flagged"), ("trail_volume", "trail_flagged")):
        periods = set(rep.history.loc[rep.history["rule"] == rule, "period"])
        shown = rep.tables["weeks"]
        assert set(shown.loc[shown[col], "week"]) == periods & set(shown["week"])
    spikes = rep.history[rep.history["rule"] == "session_spike"]
    cal = rep.tables["calendar"]
    assert set(cal.index[cal["spike"]]) == set(pd.to_datetime(spikes["date"])) & set(cal.index)


def test_calendar_covers_six_weeks_and_flags_future_days():
    log = _runs(("2026-03-02", 5.0), ("2026-03-03", 15.0), ("2026-03-04", 4.0))
    cal = data.calendar(log, data.choose_period(log, as_of="2026-03-04"))
    assert len(cal) == 42
    assert cal["future"].sum() == 4  # Thu–Sun of the report's week
    assert cal.loc["2026-03-03", "long"]  # the week's longest, without the rules' flags
    assert cal["rest"].sum() == 42 - 3


def test_terrain_baselines_are_the_mean_of_the_previous_complete_weeks():
    # Four complete weeks with 100, 200, 300, 400 m of descent, then the week judged.
    rows = [("2026-02-02", 10.0, {"descent_m": 100.0}), ("2026-02-09", 10.0, {"descent_m": 200.0})]
    rows += [("2026-02-16", 10.0, {"descent_m": 300.0}), ("2026-02-23", 10.0, {"descent_m": 400.0})]
    rows += [("2026-03-02", 10.0, {"descent_m": 900.0, "trail": True})]
    log = _runs(*rows)
    base = week_baselines(log, pd.Timestamp("2026-03-08"))
    assert np.isnan(base.loc["2026-W08", "descent_base_m"])
    assert base.loc["2026-W10", "descent_base_m"] == pytest.approx(250.0)
    assert base.loc["2026-W10", "trail_base_km"] == pytest.approx(0.0)
