"""Gear rule: shoe_mileage at 450 / 800 km, start_km, retire_at_km, retirement, walks."""

from __future__ import annotations

import pandas as pd
import pytest

from hiprisk.rules import evaluate, warnings_frame

from .conftest import MONDAY, make_log, of_rule, run, severities


def shoe_runs(total_km: float, shoe: str = "Pegasus 40", n: int = 20, start_day: int = 0) -> list[dict]:
    """``n`` runs with one shoe adding up to ``total_km``, every other day."""
    return [
        run(MONDAY + pd.Timedelta(days=start_day + 2 * i, hours=7), total_km / n, shoe=shoe) for i in range(n)
    ]


@pytest.mark.parametrize(
    ("km", "expected"),
    [(449.9, None), (450.0, "caution"), (799.9, "caution"), (800.0, "high"), (1200.0, "high")],
)
def test_shoe_thresholds(km, expected):
    got = [w for w in evaluate(make_log(shoe_runs(km))) if w.rule == "shoe_mileage"]
    assert severities(got) == ([expected] if expected else [])
    if expected:
        (w,) = got
        assert w.subject == "Pegasus 40" and w.unit == "km"
        assert w.value == pytest.approx(km)  # standing: the shoe's current km
        assert "Malisoux" in w.advice and w.evidence == "convention"


def test_one_row_per_shoe_and_threshold_dated_by_the_crossing_run():
    frame = of_rule(warnings_frame(make_log(shoe_runs(1000.0, n=20))), "shoe_mileage")
    # 50 km per run: 450 km is reached on run 9 (day 16), 800 km on run 16 (day 30)
    assert frame[["severity", "period", "value", "threshold"]].values.tolist() == [
        ["caution", "2025-01-22", 450.0, 450.0],
        ["high", "2025-02-05", 800.0, 800.0],
    ]


def test_start_km_from_the_shoes_table_and_name_matching():
    shoes = pd.DataFrame({"name": ["pegasus  40"], "start_km": [300.0], "retired_on": [None]})
    log = make_log(shoe_runs(160.0))
    assert [w for w in evaluate(log) if w.rule == "shoe_mileage"] == []
    (w,) = [w for w in evaluate(log, shoes=shoes) if w.rule == "shoe_mileage"]
    assert (w.severity, w.value) == ("caution", pytest.approx(460.0))


def test_a_retired_shoe_stops_standing_but_keeps_its_history():
    log = make_log(shoe_runs(900.0) + [run(MONDAY + pd.Timedelta(days=60, hours=7), 8.0, shoe="Other")])
    shoes = pd.DataFrame({"name": ["Pegasus 40", "Other"], "retired_on": ["2025-02-20", None]})
    assert [w for w in evaluate(log, shoes=shoes) if w.rule == "shoe_mileage"] == []
    before = [w for w in evaluate(log, as_of="2025-02-19", shoes=shoes) if w.rule == "shoe_mileage"]
    assert severities(before) == ["high"]
    assert len(of_rule(warnings_frame(log, shoes=shoes), "shoe_mileage")) == 2


def test_a_shoes_own_retire_at_km_scales_both_levels():
    shoes = pd.DataFrame({"name": ["Pegasus 40"], "retire_at_km": [600.0]})
    log = make_log(shoe_runs(340.0))  # caution at 450 × 600 / 800 = 337.5 km
    (w,) = [w for w in evaluate(log, shoes=shoes) if w.rule == "shoe_mileage"]
    assert (w.severity, w.threshold) == ("caution", 337.5)
    log = make_log(shoe_runs(600.0))
    (w,) = [w for w in evaluate(log, shoes=shoes) if w.rule == "shoe_mileage"]
    assert (w.severity, w.threshold) == ("high", 600.0)


def test_walks_in_the_shoe_and_runs_without_a_shoe_do_not_count():
    rows = shoe_runs(440.0) + [
        run(MONDAY + pd.Timedelta(days=50, hours=7), 20.0, shoe="Pegasus 40", sport="walking")
    ]
    rows.append(run(MONDAY + pd.Timedelta(days=51, hours=7), 20.0))
    assert [w for w in evaluate(make_log(rows)) if w.rule == "shoe_mileage"] == []


def test_several_shoes_are_judged_separately():
    rows = shoe_runs(500.0, "A") + shoe_runs(300.0, "B", start_day=1)
    got = [w for w in evaluate(make_log(rows)) if w.rule == "shoe_mileage"]
    assert [(w.subject, w.severity) for w in got] == [("A", "caution")]
