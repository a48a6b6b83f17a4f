"""Series for charts and notebooks (hiprisk.rules.series): every day, week or run, the rules' own numbers.

Oracles: values worked out by hand (or in plain Python from the formula) on made-up logs, and the rules'
warnings themselves: on every flagged day, week or run a series holds the warning's value, and with the
default settings its flags reproduce the warnings of ``warnings_frame`` on ``sample_data/`` exactly. The
last section checks that the shoe rule counts a shoe's km as the report's shoe chart does
(:func:`hiprisk.shoes.shoe_table`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hiprisk
from hiprisk.config import Athlete, Config
from hiprisk.errors import ConfigError
from hiprisk.rules import (
    SEVERITIES,
    evaluate,
    load_ratio_series,
    run_flags,
    warnings_frame,
    week_baselines,
    weekly_reference,
)
from hiprisk.rules.series import (
    LOAD_RATIO_COLUMNS,
    RUN_FLAG_COLUMNS,
    WEEK_BASELINE_COLUMNS,
    WEEKLY_REFERENCE_COLUMNS,
)
from hiprisk.shoes import shoe_table
from hiprisk.store import Store

from ..conftest import SAMPLE_DATA
from .conftest import MONDAY, config, make_log, of_rule, run, steady

SAMPLE_CONFIG = Config(athlete=Athlete(timezone="Europe/Berlin"))
RANK = {name: i for i, name in enumerate(SEVERITIES)}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """``sample_data/`` imported into a fresh data folder: ``(log, shoes, warnings_frame)``."""
    home = tmp_path_factory.mktemp("sample-home")
    with Store(home) as store:
        summary = hiprisk.import_paths([SAMPLE_DATA], store=store, workers=2)
        shoes = store.load_shoes()
    assert not summary.failed
    log = hiprisk.load_log(home, SAMPLE_CONFIG)
    return log, shoes, warnings_frame(log, config=SAMPLE_CONFIG, shoes=shoes)


def r3(x) -> float:
    """A number as a warning carries it (rounded to 3 decimals)."""
    return round(float(x), 3)


def flagged(frame: pd.DataFrame, column: str = "severity") -> pd.DataFrame:
    return frame[frame[column] != ""]


# -- every flag of a series is a warning and every warning a flag (sample_data, default settings) ----------
def test_weekly_reference_flags_are_the_weekly_increase_warnings(sample):
    log, _, frame = sample
    ref = weekly_reference(log, config=SAMPLE_CONFIG)
    got = {(week, r.severity, r3(r.rise_pct)) for week, r in flagged(ref).iterrows()}
    want = set(of_rule(frame, "weekly_increase")[["period", "severity", "value"]].itertuples(index=False))
    assert got == want and len(got) == 5


def _metric_value(row: pd.Series, unit: str, by_unit: dict[str, list[str]]) -> list[float]:
    return [r3(row[c]) for c in by_unit[unit]]


@pytest.mark.parametrize(
    ("rule", "by_unit"),
    [
        ("downhill_volume", {"%": ["descent_rise_pct", "downhill_rise_pct"], "m": ["descent_m"]}),
        ("trail_volume", {"points": ["trail_share_points"], "%": ["trail_rise_pct"]}),
        ("intensity_jump", {"%": ["hard_rise_pct"], "sessions": ["hard_sessions"]}),
    ],
)
def test_week_baselines_flags_are_the_terrain_and_intensity_warnings(sample, rule, by_unit):
    log, _, frame = sample
    base = week_baselines(log, config=SAMPLE_CONFIG)
    warnings = of_rule(frame, rule)
    assert len(warnings)
    got = {(week, sev) for week, sev in flagged(base, f"{rule}_severity")[f"{rule}_severity"].items()}
    assert got == set(warnings[["period", "severity"]].itertuples(index=False))
    for w in warnings.itertuples():
        assert w.value in _metric_value(base.loc[w.period], w.unit, by_unit), w.period


def test_run_flags_are_the_per_run_warnings(sample):
    log, _, frame = sample
    runs = run_flags(log, config=SAMPLE_CONFIG).set_index("activity_id")
    spikes = flagged(runs, "session_spike_severity")
    got = {(a, r.session_spike_severity, r3(r.spike_pct)) for a, r in spikes.iterrows()}
    want = of_rule(frame, "session_spike")[["activity_id", "severity", "value"]]
    assert got == set(want.itertuples(index=False)) and len(got) == 2

    warm = of_rule(frame, "warmup")
    assert set(flagged(runs, "warmup_severity").index) == set(warm["activity_id"]) and len(warm) == 2
    for w in warm.itertuples():
        column = "warmup_hr_bpm" if w.unit == "bpm" else "warmup_pace_min_km"
        assert r3(runs.loc[w.activity_id, column]) == w.value
        assert runs.loc[w.activity_id, "warmup_hard"] and not runs.loc[w.activity_id, "warmed_up"]

    b2b = of_rule(frame, "hard_back_to_back")
    hits = flagged(runs, "hard_back_to_back_severity")
    assert list(hits.index) == list(b2b["activity_id"]) and len(b2b) == 1
    assert list(hits["hard_streak_days"].astype(float)) == list(b2b["value"])
    assert hits["hard"].all()


def _ratio_episodes(series: pd.DataFrame, gap_days: int = 3) -> set[tuple]:
    """warnings_frame's load_ratio rows rebuilt from the series' flags, as docs/rules.md describes them:
    flagged days of the same kind at most ``gap_days`` apart are one episode, reported at its highest
    severity with the extreme ratio (lowest for detraining), dated the first day of that severity."""
    days = flagged(series).assign(kind=lambda d: np.where(d["severity"] == "info", "low", "high"))
    out = set()
    for kind, part in days.groupby("kind"):
        episode = (part.index.to_series().diff() > pd.Timedelta(days=gap_days)).cumsum()
        for _, ep in part.groupby(episode.to_numpy()):
            top = max(ep["severity"], key=RANK.get)
            at_top = ep[ep["severity"] == top]
            value = at_top["ratio"].min() if kind == "low" else at_top["ratio"].max()
            out.add((ep.index[0].strftime("%Y-%m-%d"), top, r3(value), at_top.index[0].strftime("%Y-%m-%d")))
    return out


def test_load_ratio_series_flags_are_the_load_ratio_warnings(sample):
    log, _, frame = sample
    series = load_ratio_series(log, config=SAMPLE_CONFIG)
    want = of_rule(frame, "load_ratio")[["period", "severity", "value", "date"]]
    assert _ratio_episodes(series) == set(want.itertuples(index=False)) and len(want) == 5


def test_a_standing_load_ratio_warning_has_the_series_value_of_its_day(sample):
    log, shoes, _ = sample
    series = load_ratio_series(log, config=SAMPLE_CONFIG)
    days = flagged(series).index
    assert len(days) > 5
    for day in days[::3]:
        (w,) = [w for w in evaluate(log, day, SAMPLE_CONFIG, shoes) if w.rule == "load_ratio"]
        assert (w.severity, w.value) == (series.loc[day, "severity"], r3(series.loc[day, "ratio"]))
    quiet = series.index[(series["severity"] == "") & series["ratio"].notna()][::15]
    for day in quiet:
        assert not [w for w in evaluate(log, day, SAMPLE_CONFIG, shoes) if w.rule == "load_ratio"]


def test_a_week_to_date_series_is_the_standing_weekly_warning(sample):
    """Cut mid-week, the last row of the weekly series is the week so far, as ``evaluate`` judges it."""
    log, shoes, frame = sample
    for period in of_rule(frame, "weekly_increase")["period"]:
        day = pd.Timestamp.fromisocalendar(int(period[:4]), int(period[-2:]), 4)  # Thursday
        ref = weekly_reference(log, day, SAMPLE_CONFIG)
        last = ref.iloc[-1]
        assert ref.index[-1] == period and not last["complete"]
        standing = [w for w in evaluate(log, day, SAMPLE_CONFIG, shoes) if w.rule == "weekly_increase"]
        standing = [w for w in standing if w.period == period]
        if last["severity"]:
            assert [(w.severity, w.value) for w in standing] == [(last["severity"], r3(last["rise_pct"]))]
        else:
            assert standing == []


# -- the numbers, against hand-worked oracles ----------------------------------------------------------------
def _ewma(values: list[float], span: int) -> list[float]:
    """Exponentially weighted mean with λ = 2/(span+1), weights normalised over the days so far."""
    lam = 2.0 / (span + 1)
    out = []
    for t in range(len(values)):
        weights = [(1 - lam) ** (t - i) for i in range(t + 1)]
        out.append(sum(w * v for w, v in zip(weights, values[: t + 1], strict=True)) / sum(weights))
    return out


def test_load_ratio_series_is_the_ewma_of_the_daily_km():
    km = [0.0 if d % 3 == 2 else 5.0 + d % 7 for d in range(50)]
    log = make_log([run(MONDAY + pd.Timedelta(days=d, hours=7), k) for d, k in enumerate(km) if k])
    s = load_ratio_series(log)
    assert list(s.columns) == list(LOAD_RATIO_COLUMNS)
    assert list(s.index) == list(pd.date_range(MONDAY, periods=50, freq="D"))
    acute, chronic = _ewma(km, 7), _ewma(km, 28)
    assert s["load"].tolist() == km
    assert s["acute"].to_numpy() == pytest.approx(acute, rel=1e-12)
    assert s["chronic"].to_numpy() == pytest.approx(chronic, rel=1e-12)
    assert s["ratio"].iloc[:27].isna().all()  # no verdict before 28 days of history
    ratio = np.array(acute) / np.array(chronic)
    assert s["ratio"].iloc[27:].to_numpy() == pytest.approx(ratio[27:], rel=1e-12)
    rolling = [np.mean(km[d - 6 : d + 1]) / np.mean(km[d - 27 : d + 1]) for d in range(27, 50)]
    assert s["rolling_ratio"].iloc[27:].to_numpy() == pytest.approx(rolling, rel=1e-12)


def _weeks(*week_km: float) -> list[dict]:
    """Two equal runs (Monday, Friday) a week from MONDAY, adding up to each week's km."""
    return [
        run(MONDAY + pd.Timedelta(days=7 * w + d, hours=7), km / 2)
        for w, km in enumerate(week_km)
        for d in (0, 4)
        if km
    ]


def test_weekly_reference_is_last_week_or_the_average_after_a_break():
    log = make_log(_weeks(20, 20, 20, 20, 20, 5, 30))
    ref = weekly_reference(log)
    assert list(ref.columns) == list(WEEKLY_REFERENCE_COLUMNS)
    assert list(ref.index) == [f"2025-W{n:02d}" for n in range(2, 9)]
    assert ref["distance_km"].tolist() == [20, 20, 20, 20, 20, 5, 30]
    assert ref["ref_km"].iloc[:4].isna().all()  # fewer than 4 complete weeks before
    w6, w7, w8 = ref.loc["2025-W06"], ref.loc["2025-W07"], ref.loc["2025-W08"]
    assert (w6["ref_km"], w6["rise_pct"], w6["severity"]) == (20.0, 0.0, "")
    assert (w7["ref_km"], w7["rise_pct"], w7["after_break"]) == (20.0, -75.0, False)
    # After the 5 km break week the reference is the 4-week average (20 + 20 + 20 + 5) / 4 = 16.25 km.
    assert w8["after_break"] and w8["prev_km"] == 5.0 and w8["base_km"] == pytest.approx(16.25)
    assert w8["ref_km"] == pytest.approx(16.25)
    assert w8["rise_pct"] == pytest.approx((30 - 16.25) / 16.25 * 100)
    assert (w8["caution_km"], w8["high_km"]) == (pytest.approx(16.25 * 1.1), pytest.approx(16.25 * 1.3))
    assert w8["severity"] == "high"


def test_week_baselines_for_a_trail_and_intensity_jump():
    rows = []
    for w in range(4):  # four road weeks: 3 × 10 km, one run with 15 minutes above threshold
        for d, hard_s in ((0, 900.0), (2, 0.0), (4, 0.0)):
            rows.append(
                run(MONDAY + pd.Timedelta(days=7 * w + d, hours=7), 10.0, hard_s=hard_s, descent_m=50.0)
            )
    for d, trail in ((28, False), (30, False), (32, True)):  # then: one trail run, three hard runs
        rows.append(
            run(MONDAY + pd.Timedelta(days=d, hours=7), 10.0, hard_s=900.0, trail=trail, descent_m=150.0)
        )
    base = week_baselines(make_log(rows))
    assert list(base.columns) == list(WEEK_BASELINE_COLUMNS)
    w = base.loc["2025-W06"]
    assert (w["distance_km"], w["distance_base_km"]) == (30.0, 30.0)
    assert (w["trail_km"], w["trail_base_km"]) == (10.0, 0.0)
    assert w["trail_share_pct"] == pytest.approx(100 / 3) and w["trail_base_share_pct"] == 0.0
    assert w["trail_share_points"] == pytest.approx(100 / 3) and np.isnan(w["trail_rise_pct"])
    assert w["trail_volume_severity"] == "caution"  # +33 points > 20, with 10 km ≥ 5 km of trail
    assert (w["hard_min"], w["hard_base_min"], w["hard_rise_pct"]) == (45.0, 15.0, 200.0)
    assert (w["hard_sessions"], w["hard_base_sessions"]) == (3.0, 1.0)
    assert w["intensity_jump_severity"] == "caution"
    assert (w["descent_m"], w["descent_base_m"], w["descent_rise_pct"]) == (450.0, 150.0, 200.0)
    assert w["downhill_volume_severity"] == "high"  # +200 % > 100 %, with 450 m ≥ 300 m
    assert base.loc["2025-W05", "trail_volume_severity"] == ""
    assert np.isnan(base.loc["2025-W05", "hard_base_min"])  # only 3 complete weeks before it


def test_run_flags_spike_long_run_warmup_and_back_to_back():
    rows = steady(weeks=5, km=8.0)  # Mon/Wed/Fri/Sun, days 0 … 34
    rows.append(run(MONDAY + pd.Timedelta(days=36, hours=7), 12.0))  # Tuesday of week 6
    rows.append(run(MONDAY + pd.Timedelta(days=38, hours=6, minutes=45), 3.0, sport="cycling"))
    rows.append(run(MONDAY + pd.Timedelta(days=38, hours=7), 6.0, warmup_hard=True, hard_s=900.0))
    rows.append(run(MONDAY + pd.Timedelta(days=39, hours=7), 6.0, warmup_hard=True, hard_s=900.0))
    flags = run_flags(make_log(rows)).set_index("local_date")
    assert list(flags.columns) == [c for c in RUN_FLAG_COLUMNS if c != "local_date"]
    assert len(flags) == 20 + 3  # the ride is not a run
    long = flags.loc[MONDAY + pd.Timedelta(days=36)]
    # 30 days back the longest run was 8 km: +50 %. Usual week: max(8+8+8+12 km in the last 7 days,
    # (13 × 8 + 12) / 4 km a week over 28 days) = 36 km, and 12 km is 33 % > 25 % of it: a long run.
    assert (long["prior_max_km"], long["spike_pct"], long["session_spike_severity"]) == (8.0, 50.0, "caution")
    assert long["usual_week_km"] == 36.0 and long["long"] and long["hard"] and not long["hard_by_min"]
    warmed, cold = flags.loc[MONDAY + pd.Timedelta(days=38)], flags.loc[MONDAY + pd.Timedelta(days=39)]
    assert warmed["warmed_up"] and warmed["warmup_severity"] == ""  # the ride ended 5 min before
    assert not cold["warmed_up"] and cold["warmup_severity"] == "caution"
    assert (warmed["hard_streak_days"], cold["hard_streak_days"]) == (1, 2)
    assert (warmed["hard_back_to_back_severity"], cold["hard_back_to_back_severity"]) == ("", "caution")
    assert flags["spike_pct"].iloc[:7].isna().all()  # no verdict before 30 days of history


# -- settings, cuts and empty logs ---------------------------------------------------------------------------
def test_changed_settings_move_the_flags_with_the_warnings(sample):
    log, shoes, _ = sample
    cfg = Config(
        athlete=SAMPLE_CONFIG.athlete,
        rules={"weekly_increase": {"high_pct": 15.0}, "session_spike": {"caution_pct": 3.0}},
    )
    frame = warnings_frame(log, config=cfg, shoes=shoes)
    ref = flagged(weekly_reference(log, config=cfg))
    weekly = of_rule(frame, "weekly_increase")
    assert set(ref["severity"].items()) == set(weekly[["period", "severity"]].itertuples(index=False))
    assert (ref["severity"] == "high").sum() == 4  # 34, 21, 29 and 20 % rises are now all above 15 %
    spikes = flagged(run_flags(log, config=cfg), "session_spike_severity")
    assert set(spikes["activity_id"]) == set(of_rule(frame, "session_spike")["activity_id"])
    assert len(spikes) == 3  # a +4 % run joins the +18 % and +75 % ones


def test_a_switched_off_rule_keeps_its_numbers_but_flags_nothing():
    log = make_log(_weeks(20, 20, 20, 20, 20, 5, 30))
    cfg = config(weekly_increase={"enabled": False})
    ref = weekly_reference(log, config=cfg)
    assert (ref["severity"] == "").all()
    assert ref.loc["2025-W08", "rise_pct"] == pytest.approx((30 - 16.25) / 16.25 * 100)
    assert of_rule(warnings_frame(log, config=cfg), "weekly_increase").empty


def test_as_of_cuts_the_series_and_a_typo_in_the_config_is_refused():
    log = make_log(_weeks(20, 20, 20, 20, 20, 5, 30))
    day = MONDAY + pd.Timedelta(days=17)  # Thursday of the third week
    assert weekly_reference(log, day).index[-1] == "2025-W04"
    assert load_ratio_series(log, day).index[-1] == day
    assert run_flags(log, day)["local_date"].max() <= day
    assert week_baselines(log, day).loc["2025-W04", "distance_km"] == 10.0  # Monday's run only
    with pytest.raises(ConfigError, match="weekly_increase"):
        weekly_reference(log, config=config(weekly_increse={"caution_pct": 5}))


@pytest.mark.parametrize(
    ("fn", "columns"),
    [
        (load_ratio_series, LOAD_RATIO_COLUMNS),
        (weekly_reference, WEEKLY_REFERENCE_COLUMNS),
        (week_baselines, WEEK_BASELINE_COLUMNS),
        (run_flags, RUN_FLAG_COLUMNS),
    ],
)
def test_a_log_without_runs_gives_empty_series_with_their_columns(fn, columns):
    ride = make_log([run(MONDAY + pd.Timedelta(hours=7), 20.0, sport="cycling")])
    for log in (make_log([]), ride):
        out = fn(log)
        assert out.empty and list(out.columns) == list(columns)


@st.composite
def histories(draw):
    """Rows of a random 6–10 week running history: each day rest, one run or two runs of 1–30 km."""
    rows = []
    for d in range(draw(st.integers(42, 70))):
        for k in range(draw(st.sampled_from([0, 0, 1, 1, 2]))):
            km = draw(st.floats(1.0, 30.0).map(lambda x: round(x, 2)))
            rows.append(run(MONDAY + pd.Timedelta(days=d, hours=7 + 10 * k), km))
    return rows or [run(MONDAY + pd.Timedelta(hours=7), 5.0)]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_series_flags_reproduce_the_warnings_on_random_histories(rows):
    log = make_log(rows)
    frame = warnings_frame(log)
    ref = weekly_reference(log)
    got = {(w, r.severity, r3(r.rise_pct)) for w, r in flagged(ref).iterrows()}
    assert got == set(
        of_rule(frame, "weekly_increase")[["period", "severity", "value"]].itertuples(index=False)
    )
    runs = run_flags(log)
    got = {
        (r.activity_id, r.session_spike_severity, r3(r.spike_pct))
        for r in flagged(runs, "session_spike_severity").itertuples()
    }
    want = of_rule(frame, "session_spike")[["activity_id", "severity", "value"]]
    assert got == set(want.itertuples(index=False))
    want = of_rule(frame, "load_ratio")[["period", "severity", "value", "date"]]
    assert _ratio_episodes(load_ratio_series(log)) == set(want.itertuples(index=False))


# -- the shoe chart and the shoe rule count the same km ---------------------------------------------------
@pytest.mark.parametrize("with_is_running", [True, False])
def test_the_shoe_rule_counts_the_km_of_the_shoe_table(with_is_running):
    """Runs count, walks and hikes in the shoe do not, and the shoe's start km do: 300 + 4 × 40 km."""
    rows = [run(MONDAY + pd.Timedelta(days=2 * i, hours=7), 40.0, shoe="Pegasus 40") for i in range(4)]
    rows.append(run(MONDAY + pd.Timedelta(days=9, hours=7), 25.0, shoe="pegasus 40", sport="walking"))
    rows.append(run(MONDAY + pd.Timedelta(days=10, hours=7), 30.0, shoe="Pegasus 40", sport="hiking"))
    log = make_log(rows)
    if not with_is_running:  # a hand-built frame: the rules read "running" from the sport, as the log does
        log = log.drop(columns="is_running")
    shoes = pd.DataFrame({"name": ["Pegasus 40"], "start_km": [300.0]})
    (w,) = [w for w in evaluate(log, shoes=shoes) if w.rule == "shoe_mileage"]
    table = shoe_table(log, shoes, log["local_date"].max())
    assert table["km"].tolist() == [460.0]
    assert (w.subject, w.severity, w.value) == ("Pegasus 40", "caution", 460.0)
    frame = of_rule(warnings_frame(log, shoes=shoes), "shoe_mileage")
    assert frame[["period", "value"]].values.tolist() == [
        ["2025-01-12", 460.0]
    ]  # the 4th run (day 6) crossed 450


def test_the_sample_shoe_warning_is_the_shoe_chart_km(sample):
    log, shoes, _ = sample
    end = log["local_date"].max()
    (w,) = [w for w in evaluate(log, end, SAMPLE_CONFIG, shoes) if w.rule == "shoe_mileage"]
    table = shoe_table(log, shoes, end).set_index("name")
    assert w.subject == "Road A" and w.value == r3(table.loc["Road A", "km"])
    truth = pd.read_csv(SAMPLE_DATA / "truth.csv")
    road_km = truth.loc[truth["shoe"] == "Road A", "distance_m"].sum() / 1000  # the route's 572.34 km
    assert w.value == pytest.approx(road_km, rel=0.02)
