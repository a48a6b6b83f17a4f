"""Load rules: weekly_increase, load_ratio, session_spike, monotony — thresholds at their boundaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hiprisk.rules import evaluate, warnings_frame

from .conftest import MONDAY, config, make_log, of_rule, run, severities, steady


def day(n: int, hour: int = 7, minute: int = 0) -> pd.Timestamp:
    """Local wall-clock time ``n`` days after the first Monday of the test logs."""
    return MONDAY + pd.Timedelta(days=n, hours=hour, minutes=minute)


def baseline_weeks(weeks: int = 4, km: float = 10.0, weekdays=(1, 3, 5, 6)) -> list[dict]:
    """``weeks`` complete weeks of 4 runs (Tue/Thu/Sat/Sun), ``4 × km`` a week, starting on MONDAY."""
    return [run(day(7 * w + d), km) for w in range(weeks) for d in weekdays]


# -- weekly_increase ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("this_week_km", "expected"),
    [
        (44.0, None),  # exactly +10.0 %: no warning
        (44.04, "caution"),  # +10.1 %
        (52.0, "caution"),  # exactly +30.0 %
        (52.04, "high"),  # +30.1 %
    ],
)
def test_weekly_increase_thresholds_at_the_boundary(this_week_km, expected):
    rows = baseline_weeks(5)  # 5 weeks of 40 km: week 6 is judged against week 5 (40 km)
    rows += [run(day(35 + 1), 10.0), run(day(35 + 3), 10.0), run(day(35 + 5), this_week_km - 20.0)]
    log = make_log(rows)
    got = severities(evaluate(log, as_of=MONDAY + pd.Timedelta(days=41)), "weekly_increase")
    assert got == ([expected] if expected else [])


def test_weekly_increase_value_message_and_evidence():
    rows = baseline_weeks(5) + [run(day(36), 30.0), run(day(38), 22.0), run(day(40), 0.4)]  # 52.4 km
    log = make_log(rows)
    (w,) = [w for w in evaluate(log, as_of=MONDAY + pd.Timedelta(days=40)) if w.rule == "weekly_increase"]
    assert w.severity == "high" and w.unit == "%"
    assert w.value == pytest.approx((52.4 - 40.0) / 40.0 * 100, abs=1e-3)
    assert w.threshold == 30.0
    assert w.period == "2025-W07"
    assert "52.4 km" in w.message and "40.0 km" in w.message
    assert "gluteus medius" in w.message and "trochanteric" in w.message  # Nielsen 2014's hip injuries
    assert "so far (6 of 7 days)" in w.message
    assert w.evidence == "convention" and "Nielsen" in w.source and "Buist" in w.source


def test_a_partial_week_is_judged_on_km_already_run_not_a_projection():
    """On Wednesday, 30 km done vs last week's 40 km: no warning yet (no projection); the warning comes
    the day the week's total really passes 44 km, and is dated that day."""
    rows = baseline_weeks(5) + [run(day(35), 15.0), run(day(37), 15.0), run(day(39), 20.0)]
    log = make_log(rows)
    wed = MONDAY + pd.Timedelta(days=37)
    assert severities(evaluate(log, as_of=wed), "weekly_increase") == []
    fri = MONDAY + pd.Timedelta(days=39)
    (w,) = [w for w in evaluate(log, as_of=fri) if w.rule == "weekly_increase"]
    assert (w.severity, w.date) == ("caution", "2025-02-14")
    # the whole history: one row for that week, with the week's final figure
    frame = of_rule(warnings_frame(log), "weekly_increase")
    assert list(frame["period"]) == ["2025-W07"]
    assert frame.loc[0, "value"] == pytest.approx(25.0)


def test_a_week_after_a_break_is_judged_against_the_4_week_average():
    # weeks 1-4: 40 km; week 5: 8 km (a break, < 50 % of the 40 km average); week 6: 40 km
    rows = baseline_weeks(4) + [run(day(29), 8.0)]
    rows += [run(day(35 + d), 10.0) for d in (1, 3, 5, 6)]
    log = make_log(rows)
    frame = of_rule(warnings_frame(log), "weekly_increase")
    # vs the 5-week mean of (40, 40, 40, 8) = 32 km → +25 %: caution, not the +400 % vs 8 km
    week6 = frame[frame["period"] == "2025-W07"].iloc[0]
    assert week6["severity"] == "caution"
    assert week6["value"] == pytest.approx(25.0)
    assert "4-week average of 32.0 km" in week6["message"] and "break" in week6["message"]


@pytest.mark.parametrize(("previous_km", "expected"), [(120 / 7, 28.33), (17.0, None)])
def test_break_fraction_boundary(previous_km, expected):
    """Weeks of 40, 40, 40 km then ``previous_km``: the 4-week mean is (120 + p) / 4 and p = 120 / 7 is
    exactly half of it — not a break, so 22 km is judged against p (+28 %); at 17 km it is a break and
    22 km is judged against the 34.25 km average (a fall: no warning)."""
    rows = baseline_weeks(4)[4:] + [run(day(29), previous_km), run(day(36), 22.0)]
    rows = [run(day(d), 10.0) for d in (0, 1, 2, 3)] + rows  # week 1, so weeks 1-3 are 40 km
    log = make_log(rows)
    frame = of_rule(warnings_frame(log), "weekly_increase")
    if expected is None:
        assert frame.empty
    else:
        assert frame["value"].tolist() == pytest.approx([expected], abs=0.01)
        assert "last week's 17.1 km" in frame.loc[0, "message"]


def test_weekly_increase_needs_four_complete_weeks_and_says_so():
    # a log starting on a Wednesday: its first week is partial and is not a baseline
    start = MONDAY + pd.Timedelta(days=2)
    rows = [run(start + pd.Timedelta(days=d, hours=7), 5.0) for d in (0, 2)]
    rows += [run(MONDAY + pd.Timedelta(days=7 * w + d, hours=7), 10.0 * w) for w in (1, 2, 3) for d in (1, 4)]
    log = make_log(rows)
    frame = warnings_frame(log)
    assert of_rule(frame, "weekly_increase").empty  # +100 % weeks, but no 4-week baseline yet
    notes = [w for w in evaluate(log) if w.rule == "weekly_increase"]
    assert [(n.severity, n.subject, n.value, n.threshold, n.unit) for n in notes] == [
        ("info", "history", 2.0, 4.0, "weeks")
    ]
    assert "not enough history" in notes[0].message.lower()


def test_a_monday_dawn_run_in_utc_plus_10_belongs_to_the_mondays_week(tz):
    """06:30 on a Monday in Brisbane (UTC+10) is Sunday 20:30 UTC: it must count in Monday's week."""
    rows = baseline_weeks(5)
    rows += [run(day(35, 6, 30), 14.1)]  # Monday 06:30 local
    rows += [run(day(35 + d), 10.0) for d in (1, 3, 5)]
    log = make_log(rows, tz=tz)
    monday_utc = log["start_utc"].iloc[20]
    if tz == "Australia/Brisbane":
        assert (monday_utc.day_name(), monday_utc.hour, monday_utc.minute) == ("Sunday", 20, 30)
    frame = of_rule(warnings_frame(log, config=config(tz)), "weekly_increase")
    assert frame[["period", "severity"]].values.tolist() == [["2025-W07", "caution"]]
    assert frame.loc[0, "value"] == pytest.approx(10.25)


def test_weeks_can_start_on_sunday():
    """The same runs judged in Monday weeks and in Sunday weeks: the jump lands in different weeks."""
    sunday = MONDAY - pd.Timedelta(days=1)
    rows = [
        run(sunday + pd.Timedelta(days=7 * w + d, hours=7), 20.0 if (w, d) == (5, 0) else 10.0)
        for w in range(6)
        for d in (0, 2, 4, 6)  # Sun, Tue, Thu, Sat
    ]
    monday_log = make_log(rows)
    by_monday = of_rule(warnings_frame(monday_log, config=config()), "weekly_increase")
    assert by_monday[["period", "severity", "value"]].values.tolist() == [["2025-W06", "caution", 25.0]]
    sunday_log = make_log(rows, week_start="sunday")
    by_sunday = of_rule(warnings_frame(sunday_log, config=config(week_start="sunday")), "weekly_increase")
    assert by_sunday[["period", "severity", "value"]].values.tolist() == [["2025-W07", "caution", 25.0]]


# -- load_ratio ---------------------------------------------------------------------------------------
def ewma_parts(loads: np.ndarray, n_days: int) -> tuple[float, float]:
    """``(P, D)`` of Williams' EWMA with λ = 2/(N+1) and adjust=True weights, for a final day of load x:
    EWMA = (x + P) / D. Written out here, independently of the rule's pandas code."""
    w = 1.0 - 2.0 / (n_days + 1)
    i = np.arange(1, len(loads) + 1)  # lags of the known days before the final one
    p = float(np.sum(w**i * loads[::-1]))
    d = float(np.sum(w ** np.arange(0, len(loads) + 1)))
    return p, d


def final_load_for_ratio(loads: np.ndarray, ratio: float) -> float:
    pa, da = ewma_parts(loads, 7)
    pc, dc = ewma_parts(loads, 28)
    return (ratio * da * pc - dc * pa) / (dc - ratio * da)


def daily_rows(loads) -> list[dict]:
    return [run(day(i), km) for i, km in enumerate(loads) if km > 0]


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [(1.3, None), (1.31, "caution"), (1.5, "caution"), (1.51, "high")],
)
def test_load_ratio_thresholds_on_the_williams_ewma(ratio, expected):
    history = np.full(35, 5.0)  # 5 weeks of 5 km a day
    x = final_load_for_ratio(history, ratio)
    assert x > 5.0  # the final week is heavier, so the rolling 7:28 ratio agrees (rhythm check)
    log = make_log(daily_rows([*history, x]))
    got = [w for w in evaluate(log) if w.rule == "load_ratio"]
    assert severities(got) == ([expected] if expected else [])
    if expected:
        assert got[0].value == pytest.approx(ratio, abs=1e-3) and got[0].unit == "ratio"
        assert "disputed" in got[0].message and got[0].evidence == "disputed"


@pytest.mark.parametrize(("ratio", "expected"), [(0.8, None), (0.79, "info")])
def test_load_ratio_detraining_is_info(ratio, expected):
    loads = np.concatenate([np.full(35, 5.0), [0.0]])  # then one rest day, and a short run on the next
    x = final_load_for_ratio(loads, ratio)
    assert 0 < x < 5.0
    log = make_log(daily_rows([*loads, x]))
    got = [w for w in evaluate(log) if w.rule == "load_ratio"]
    assert severities(got) == ([expected] if expected else [])
    if expected:
        assert "detraining" in got[0].message


def test_no_load_ratio_verdict_before_28_days_of_history():
    loads = [5.0] * 20 + [40.0]
    log = make_log(daily_rows(loads))
    assert of_rule(warnings_frame(log), "load_ratio").empty
    note = [w for w in evaluate(log) if w.rule == "load_ratio"]
    assert [(n.severity, n.subject, n.value, n.threshold) for n in note] == [("info", "history", 21.0, 28.0)]


def test_two_runs_a_week_do_not_trip_the_daily_ewma_with_the_rhythm_check():
    """A steady 2-runs-a-week routine pushes the daily EWMA ratio to ~1.38 on each run day."""
    rows = steady(16, 10.0, weekdays=(1, 6))
    log = make_log(rows)
    assert of_rule(warnings_frame(log), "load_ratio").empty
    off = of_rule(warnings_frame(log, config=config(load_ratio={"rhythm_check": False})), "load_ratio")
    assert (off["severity"] == "caution").any()  # what the check suppresses


def test_load_ratio_rolling_method_and_one_row_per_episode():
    rows = steady(6, 8.0) + [run(day(42 + d), 12.0) for d in range(7)]
    log = make_log(rows)
    frame = of_rule(warnings_frame(log, config=config(load_ratio={"method": "rolling"})), "load_ratio")
    high = frame[frame["severity"] != "info"]
    assert len(high) == 1  # consecutive flagged days are one episode
    # rolling: (7 × 12 / 7) / ((84 + 3 × 32) / 28) = 12 / 6.43 = 1.87
    assert high.iloc[0]["value"] == pytest.approx(12 / ((84 + 96) / 28), abs=1e-3)


# -- session_spike ------------------------------------------------------------------------------------
def spike_log(km: float, **kw):
    rows = steady(6, 10.0)  # 6 weeks of 4 × 10 km: the longest run is 10 km
    rows.append(run(day(42, 9), km, **kw))
    return make_log(rows)


@pytest.mark.parametrize(
    ("km", "expected"),
    [(11.0, None), (11.01, "caution"), (13.0, "caution"), (20.0, "caution"), (20.01, "high")],
)
def test_session_spike_thresholds(km, expected):
    got = [w for w in evaluate(spike_log(km)) if w.rule == "session_spike"]
    assert severities(got) == ([expected] if expected else [])


def test_session_spike_message_names_the_previous_longest_and_the_hazard_band():
    (w,) = [w for w in evaluate(spike_log(14.0)) if w.rule == "session_spike"]
    assert w.value == pytest.approx(40.0) and w.unit == "%"
    assert "10.0 km on 2025-02-16" in w.message  # the last 10 km run before it
    assert "30–100 %" in w.message and "1.52" in w.message and "Frandsen" in w.message
    assert w.evidence == "large cohort" and "59:1203" in w.source
    assert w.activity_id is not None and w.period == "2025-02-17"


@pytest.mark.parametrize(("km", "band", "hazard"), [(12.0, "10–30 %", "1.64"), (25.0, "over 100 %", "2.28")])
def test_session_spike_hazard_bands(km, band, hazard):
    (w,) = [w for w in evaluate(spike_log(km)) if w.rule == "session_spike"]
    assert band in w.message and hazard in w.message


def test_two_runs_on_one_day_the_second_is_compared_with_the_first():
    rows = steady(6, 10.0) + [run(day(42, 7), 12.0), run(day(42, 18), 12.5)]
    log = make_log(rows)
    frame = of_rule(warnings_frame(log), "session_spike")
    assert frame["value"].tolist() == pytest.approx([20.0])  # the 12.5 km is +4 % on the morning's 12 km


def test_session_spike_needs_30_days_of_history_and_a_run_in_the_window():
    rows = [run(day(d), 5.0) for d in range(0, 28, 2)] + [run(day(28), 15.0)]
    assert of_rule(warnings_frame(make_log(rows)), "session_spike").empty  # 28 days: no verdict
    rows = [run(day(d), 5.0) for d in range(0, 30, 2)] + [run(day(70), 15.0)]
    assert of_rule(warnings_frame(make_log(rows)), "session_spike").empty  # 40 days with no run before it
    rows = [run(day(d), 5.0) for d in range(0, 32, 2)] + [run(day(32), 15.0)]
    assert of_rule(warnings_frame(make_log(rows)), "session_spike")["severity"].tolist() == ["high"]


def test_cross_training_never_counts_for_the_spike():
    rows = steady(6, 10.0) + [run(day(41), 60.0, sport="cycling"), run(day(42, 9), 12.0)]
    frame = of_rule(warnings_frame(make_log(rows)), "session_spike")
    assert frame["value"].tolist() == pytest.approx([20.0])


# -- monotony -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("scale", "expected"), [(1.0, None), (0.99, "caution"), (1.01, None)])
def test_monotony_threshold(scale, expected):
    # loads 4 + (3, -3, 1, -1, 2, -2, 0): mean 4, population SD 2 → monotony exactly 2.0
    deviations = np.array([3, -3, 1, -1, 2, -2, 0], dtype=float)
    loads = 4.0 + scale * deviations
    log = make_log([run(day(i), km) for i, km in enumerate(loads)])
    got = [w for w in evaluate(log) if w.rule == "monotony"]
    assert severities(got) == ([expected] if expected else [])
    if expected:
        assert got[0].value == pytest.approx(4.0 / (2.0 * scale), abs=1e-3)
        assert "strain" in got[0].message and "Foster" in got[0].message


def test_monotony_counts_rest_days_as_zero_and_reports_strain():
    rows = [run(day(7 * w + d), 8.0) for w in range(3) for d in range(6)]  # 6 × 8 km, Sunday off
    log = make_log(rows)
    got = [w for w in evaluate(log, as_of=MONDAY + pd.Timedelta(days=20)) if w.rule == "monotony"]
    mean, sd = 48 / 7, np.std([8.0] * 6 + [0.0])
    assert got[0].value == pytest.approx(mean / sd, abs=1e-3)
    assert f"strain {48 * mean / sd:.0f}" in got[0].message


def test_time_intensity_load_sees_harder_sessions_at_the_same_distance():
    """5 weeks of easy 5 km (27.5 min at HR 130), then a week of 5 km at HR 170 taking 55 min: the
    distance load is flat, minutes × HR/threshold rises by ~2.6×."""
    from hiprisk.config import Athlete

    easy = [run(day(i), 5.0, avg_hr=130.0) for i in range(35)]
    hard = [run(day(35 + i), 5.0, pace_s_per_km=660.0, avg_hr=170.0) for i in range(7)]
    log = make_log(easy + hard, athlete=Athlete(timezone="UTC", threshold_hr_bpm=160))
    assert [w for w in evaluate(log) if w.rule == "load_ratio"] == []
    cfg = config(load_ratio={"load": "time_intensity"})
    cfg = cfg.with_athlete(threshold_hr_bpm=160)
    (w,) = [w for w in evaluate(log, config=cfg) if w.rule == "load_ratio"]
    assert w.severity in ("caution", "high") and "load units/day" in w.message


def test_detraining_days_a_few_days_apart_are_one_episode():
    """5 weeks of 4 × 8 km, then a taper of 4 × 5 km: the EWMA ratio dips below 0.8 on the rest days
    only. Flagged days at most 3 days apart are one episode, so the taper is one info row."""
    from hiprisk.rules import observations

    rows = steady(5, 8.0) + [run(day(35 + 7 * w + d), 5.0) for w in range(2) for d in (0, 2, 4, 6)]
    log = make_log(rows)
    days = pd.DatetimeIndex(observations(log, "load_ratio")["day"])
    assert days.strftime("%m-%d").tolist() == ["02-13", "02-15", "02-18", "02-20", "02-22"]  # on and off
    frame = of_rule(warnings_frame(log), "load_ratio")
    assert frame[["period", "severity"]].values.tolist() == [["2025-02-13", "info"]]
    assert "(flagged between 2025-02-13 and 2025-02-22)" in frame.loc[0, "message"]
