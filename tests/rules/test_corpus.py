"""The rules on a real runner's history (corpus/history: 128 fēnix 6X runs, 2025-09-02 to 2026-03-14).

The oracle is ``history/index.csv``: each file's own FIT ``session`` totals (start time, distance). Weekly
km and the weekly_increase verdicts are recomputed here from that file alone, in plain Python, and
compared with what the engine reports from the imported FIT files.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import re
from collections import defaultdict

import pandas as pd
import pytest

import hiprisk
from hiprisk.config import Athlete, Config
from hiprisk.rules import evaluate, warnings_frame
from hiprisk.store import Store

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("hiprisk.importers.fit") is None,
    reason="hiprisk/importers/fit.py (the FIT decoder) is not there yet",
)
# The athlete's watch states UTC+8 for all but 6 of the 128 runs (a few runs abroad at +1..+3 h).
UTC_OFFSET = dt.timedelta(hours=8)
CONFIG = Config(athlete=Athlete(timezone="Asia/Shanghai"))


@pytest.fixture(scope="module")
def history(corpus, tmp_path_factory):
    home = tmp_path_factory.mktemp("hiprisk-home")
    with Store(home) as store:
        summary = hiprisk.import_paths([corpus / "history"], store=store, workers=2)
    assert len(summary.added) == 128 and not summary.failed
    return hiprisk.load_log(home, CONFIG)


@pytest.fixture(scope="module")
def index(corpus):
    """index.csv rows: (local start at UTC+8, km)."""
    with open(corpus / "history" / "index.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        (dt.datetime.fromisoformat(r["start_time"]) + UTC_OFFSET, float(r["total_distance"]) / 1000)
        for r in rows
    ]


def weekly_km(index) -> tuple[dict[dt.date, float], dt.date, dt.date]:
    """Running km per Monday-start week (keyed by the Monday), and the first and last local days."""
    weeks: dict[dt.date, float] = defaultdict(float)
    for start, km in index:
        day = start.date()
        weeks[day - dt.timedelta(days=day.weekday())] += km
    days = [s.date() for s, _ in index]
    return weeks, min(days), max(days)


def expected_weekly_increase(index) -> dict[str, tuple[str, float, float, float]]:
    """{iso week: (severity, rise %, this week's km, reference km)} by the rule's written definition."""
    weeks, first, last = weekly_km(index)
    monday = first - dt.timedelta(days=first.weekday())
    mondays = []
    while monday <= last:
        mondays.append(monday)
        monday += dt.timedelta(days=7)
    complete = {m for m in mondays if m >= first and m + dt.timedelta(days=6) <= last}
    out = {}
    for i, m in enumerate(mondays):
        previous = mondays[max(0, i - 4) : i]
        if len(previous) < 4 or not all(p in complete for p in previous):
            continue
        prev = weeks.get(previous[-1], 0.0)
        base = sum(weeks.get(p, 0.0) for p in previous) / 4
        ref = base if prev < 0.5 * base else prev
        if ref <= 0:
            continue
        rise = (weeks.get(m, 0.0) - ref) / ref * 100
        if rise > 10:
            iso = m.isocalendar()
            out[f"{iso.year}-W{iso.week:02d}"] = (
                "high" if rise > 30 else "caution",
                rise,
                weeks.get(m, 0.0),
                ref,
            )
    return out


def test_the_history_imports_with_the_index_totals(history, index):
    assert len(history) == 128
    assert history["distance_km"].sum() == pytest.approx(sum(km for _, km in index), abs=0.01)


def test_weekly_increase_matches_weekly_km_recomputed_from_index_csv(history, index):
    expected = expected_weekly_increase(index)
    assert len(expected) >= 5  # an irregular runner: several weeks rise by more than 10 %
    frame = warnings_frame(history, config=CONFIG)
    got = frame[frame["rule"] == "weekly_increase"]
    assert sorted(got["period"]) == sorted(expected)
    for row in got.itertuples():
        severity, rise, km, ref = expected[row.period]
        assert row.severity == severity
        assert row.value == pytest.approx(rise, abs=0.01)
        shown = [float(x) for x in re.findall(r"(\d+\.\d) km", row.message)]
        assert shown[:2] == pytest.approx([round(km, 1), round(ref, 1)], abs=0.051)


def test_no_weekly_verdict_in_the_first_four_complete_weeks(history):
    frame = warnings_frame(history, until="2025-10-05", config=CONFIG)  # W36 partial, W37-W40 complete
    assert frame[frame["rule"].isin(["weekly_increase", "downhill_volume", "trail_volume"])].empty
    notes = [w for w in evaluate(history, as_of="2025-10-05", config=CONFIG) if w.subject == "history"]
    assert {w.rule for w in notes} >= {"weekly_increase", "intensity_jump"}


def test_the_only_session_spike_is_a_run_much_longer_than_the_month_before(history, index):
    frame = warnings_frame(history, config=CONFIG)
    spikes = frame[frame["rule"] == "session_spike"]
    for row in spikes.itertuples():
        day = dt.date.fromisoformat(row.period)
        runs = [(s, km) for s, km in index]
        this = max(km for s, km in runs if s.date() == day)
        start = max(s for s, km in runs if s.date() == day and km == this)
        before = [km for s, km in runs if start - dt.timedelta(days=30) <= s < start]
        assert row.value == pytest.approx((this - max(before)) / max(before) * 100, abs=0.05)
    # every run that is > 10 % longer than the 30 days before it (with 30 days of history) is flagged
    first = min(s for s, _ in index)
    flagged = set()
    for s, km in index:
        before = [k for t, k in index if s - dt.timedelta(days=30) <= t < s]
        if s - first >= dt.timedelta(days=30) and before and km > 1.1 * max(before):
            flagged.add(s.date().isoformat())
    assert set(spikes["period"]) == flagged


def test_the_standing_warnings_on_the_last_day_are_a_subset_of_the_history(history):
    standing = evaluate(history, config=CONFIG, notes=False)
    frame = warnings_frame(history, config=CONFIG)
    assert {(w.rule, w.period) for w in standing} <= set(zip(frame["rule"], frame["period"], strict=True))
    assert pd.Timestamp(history["local_date"].max()).strftime("%Y-%m-%d") == "2026-03-14"
