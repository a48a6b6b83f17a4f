"""The sample history raises the warnings it was built to contain, and no others.

``sample_data/`` is generated from a written story (hiprisk.synthetic.history.example_plan): a base block,
a +40 % week, a trail block with heavy descent, an easy week then a jump, 14 running days in a row, a 32 km
long run, hard runs without warm-up on consecutive days, a downhill run, a treadmill week and a taper; the
road shoe passes 450 km. The oracle is ``sample_data/truth.csv`` (each file's noise-free route values and the
plan's own flags), recomputed here in plain Python, never the engine's output.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pandas as pd
import pytest

import hiprisk
from hiprisk.config import Athlete, Config
from hiprisk.rules import RULES, warnings_frame
from hiprisk.store import Store

from ..conftest import SAMPLE_DATA

CONFIG = Config(athlete=Athlete(timezone="Europe/Berlin"))


@pytest.fixture(scope="module")
def frame(tmp_path_factory):
    home = tmp_path_factory.mktemp("sample-home")
    with Store(home) as store:
        summary = hiprisk.import_paths([SAMPLE_DATA], store=store, workers=2)
    assert not summary.failed
    log = hiprisk.load_log(home, CONFIG)
    with Store(home) as store:
        shoes = store.load_shoes()
    return warnings_frame(log, config=CONFIG, shoes=shoes)


@pytest.fixture(scope="module")
def truth():
    t = pd.read_csv(SAMPLE_DATA / "truth.csv")
    t["day"] = pd.to_datetime(t["local_date"]).dt.date
    return t


def rows(frame, rule):
    return frame[frame["rule"] == rule]


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def test_every_rule_fires_on_the_story(frame):
    assert set(frame["rule"]) == set(RULES)


def test_no_alarm_in_the_base_block(frame, truth):
    """The first five weeks are steady road running: no warning at all (and no baseline for most rules)."""
    start = truth["day"].min()
    assert not (pd.to_datetime(frame["date"]).dt.date < start + dt.timedelta(days=5 * 7 - 1)).any()


def test_weekly_increase_verdicts_equal_the_truth(frame, truth):
    km: dict[dt.date, float] = defaultdict(float)
    for day, metres in zip(truth["day"], truth["distance_m"], strict=True):
        km[day - dt.timedelta(days=day.weekday())] += metres / 1000
    mondays = sorted(km)
    expected = {}
    for i in range(5, len(mondays)):  # the first week started on a Tuesday: 4 complete weeks from the 2nd
        prev, avg4 = km[mondays[i - 1]], sum(km[m] for m in mondays[i - 4 : i]) / 4
        ref = avg4 if prev < 0.5 * avg4 else prev
        rise = (km[mondays[i]] / ref - 1) * 100
        if min(abs(rise - 10), abs(rise - 30)) < 2:  # GPS distance vs route truth: skip near-boundary weeks
            continue
        expected[iso_week(mondays[i])] = "high" if rise > 30 else "caution" if rise > 10 else None
    got = dict(
        zip(rows(frame, "weekly_increase")["period"], rows(frame, "weekly_increase")["severity"], strict=True)
    )
    for week, severity in expected.items():
        assert got.get(week) == severity, week
    assert expected["2024-W08"] == "high"  # the story's +40 % week


def test_the_32_km_run_is_a_spike_of_30_to_100_percent(frame, truth):
    long_run = truth.loc[truth["distance_m"].idxmax()]
    window = truth[
        (truth["day"] < long_run["day"]) & (truth["day"] >= long_run["day"] - dt.timedelta(days=30))
    ]
    spike = (long_run["distance_m"] / window["distance_m"].max() - 1) * 100
    assert 30 < spike < 100
    got = rows(frame, "session_spike")
    hit = got[got["period"] == long_run["day"].isoformat()]
    assert hit["severity"].tolist() == ["caution"]
    assert hit["value"].iloc[0] == pytest.approx(spike, abs=2)


def test_the_running_streak(frame, truth):
    days = sorted(set(truth["day"]))
    best = run = 1
    for a, b in zip(days, days[1:], strict=False):
        run = run + 1 if (b - a).days == 1 else 1
        best = max(best, run)
    assert best >= 14  # two full weeks without a rest day
    high = rows(frame, "rest_days")[lambda r: r["severity"] == "high"]
    assert high["value"].tolist() == [best]


def test_road_shoe_crosses_450_km_on_the_day_the_truth_says(frame, truth):
    road = truth[truth["shoe"] == "Road A"].sort_values("start_utc")
    crossing = road.loc[(road["distance_m"].cumsum() / 1000 >= 450).idxmax(), "day"]
    got = rows(frame, "shoe_mileage")
    assert got["subject"].tolist() == ["Road A"]
    assert got["severity"].tolist() == ["caution"]
    assert pd.Timestamp(got["date"].iloc[0]).date() == crossing


def test_warmup_flags_exactly_the_runs_planned_without_warm_up(frame, truth):
    planned = {d.isoformat() for d in truth.loc[~truth["warmup"].astype(bool), "day"]}
    assert planned and set(rows(frame, "warmup")["period"]) == planned


def test_hard_days_back_to_back(frame, truth):
    hard = sorted(truth.loc[~truth["warmup"].astype(bool), "day"])
    assert (hard[1] - hard[0]).days == 1
    assert rows(frame, "hard_back_to_back")["period"].tolist() == [hard[1].isoformat()]


def test_cadence_fade_on_the_long_runs_of_20_km_and_more(frame, truth):
    # the plan fades cadence on long runs planned at 20 km or more (others are at most 16 km)
    planned = truth["name"].str.endswith("long") & (truth["distance_m"] >= 19_000)
    fading = {d.isoformat() for d in truth.loc[planned, "day"]}
    assert len(fading) == 2
    got = rows(frame, "cadence")
    assert set(got["period"]) == fading and set(got["severity"]) == {"info"}


def test_trail_block_raises_trail_and_downhill(frame, truth):
    trail_weeks = sorted({iso_week(d) for d in truth.loc[truth["sub_sport"] == "trail", "day"]})
    first = trail_weeks[0]
    assert first in set(rows(frame, "trail_volume")["period"])
    downhill = rows(frame, "downhill_volume")
    assert downhill.loc[downhill["period"] == first, "severity"].tolist() == ["high"]
