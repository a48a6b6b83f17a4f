"""The training-log schema, the summary of one activity, and local-time daily/weekly views."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hiprisk.importers.base import SourceMeta
from hiprisk.log import LOG_COLUMNS, add_local_time, daily, summarise, weekly

from .helpers import flat_run


def row_of(act, meta=None, aid="a" * 16):
    return summarise(act, activity_id=aid, file_sha256="0" * 64, source_path="x.fit", meta=meta)


def test_summary_has_every_column_with_units_and_file_totals():
    row = row_of(flat_run(km=10.0, pace_s_per_km=330.0))
    assert set(row) == set(LOG_COLUMNS)
    assert row["distance_km"] == pytest.approx(10.0)
    assert row["moving_s"] == pytest.approx(3300.0)
    assert row["avg_speed_m_s"] == pytest.approx(1000 / 330)
    assert row["avg_hr"] == pytest.approx(145.0)
    assert row["avg_cadence_spm"] == pytest.approx(170.0)
    assert row["is_running"] and not row["trail"]
    assert row["elevation_source"] == "computed"
    assert row["warmup_hr"] == pytest.approx(145.0)
    assert row["cadence_drop_pct"] == pytest.approx(0.0, abs=1e-9)


def test_device_barometric_totals_win_and_ours_are_kept_as_cross_check():
    row = row_of(flat_run(ascent_m=120.0, descent_m=118.0, barometric=True))
    assert (row["ascent_m"], row["descent_m"], row["elevation_source"]) == (120.0, 118.0, "device")
    assert row["descent_calc_m"] == pytest.approx(0.0, abs=1.0)


def test_export_metadata_wins_over_the_file():
    meta = SourceMeta(name="Sunday long run", sport="running", sub_sport="trail", shoe="Speedgoat 5")
    row = row_of(flat_run(name="Track 1"), meta)
    assert row["name"] == "Sunday long run"
    assert row["shoe"] == "Speedgoat 5"
    assert row["trail"] and not row["trail_inferred"] and row["sub_sport"] == "trail"


def test_cross_training_is_not_running_volume():
    ride = row_of(flat_run(sport="cycling", sub_sport="road"))
    assert not ride["is_running"]
    assert np.isnan(ride["cadence_drop_pct"])


def test_gpx_without_totals_takes_them_from_samples():
    act = flat_run(km=5.0, distance_m=None, elapsed_s=None, moving_s=None, source_format="gpx")
    row = row_of(act)
    assert row["distance_km"] == pytest.approx(5.0, rel=1e-3)
    assert row["moving_s"] == pytest.approx(5 * 330, abs=2)


def _log(rows):
    df = pd.DataFrame(rows)
    df["start_utc"] = pd.to_datetime(df["start_utc"], utc=True)
    return df


@pytest.mark.parametrize(
    ("tz", "offset", "expected_day", "expected_week"),
    [
        # 06:30 on Monday 2 March 2026 in UTC+10 is Sunday 1 March 20:30 UTC: it belongs to the Monday.
        ("Australia/Brisbane", np.nan, "2026-03-02", "2026-W10"),
        ("UTC", 36000.0, "2026-03-02", "2026-W10"),  # the file's own offset wins over the zone
        ("UTC", np.nan, "2026-03-01", "2026-W09"),
        ("America/New_York", np.nan, "2026-03-01", "2026-W09"),
    ],
)
def test_local_day_and_iso_week(tz, offset, expected_day, expected_week):
    row = row_of(flat_run(start="2026-03-01T20:30:00Z"))
    row["utc_offset_s"] = offset
    log = add_local_time(_log([row]), tz)
    assert log["local_date"].iloc[0] == pd.Timestamp(expected_day)
    assert log["week"].iloc[0] == expected_week
    local = log["start_local"].iloc[0]
    assert local.tzinfo is not None
    assert local.tz_convert("UTC") == pd.Timestamp("2026-03-01T20:30:00Z")


def test_daily_and_weekly_views_fill_rest_days_and_exclude_cross_training():
    rows = [
        row_of(flat_run(start="2026-03-02T07:00:00Z", km=10), aid="r1"),
        row_of(flat_run(start="2026-03-04T07:00:00Z", km=6), aid="r2"),
        row_of(flat_run(start="2026-03-04T17:00:00Z", km=4), aid="r3"),
        row_of(flat_run(start="2026-03-05T07:00:00Z", km=40, sport="cycling"), aid="b1"),
        row_of(flat_run(start="2026-03-10T07:00:00Z", km=12), aid="r4"),
    ]
    log = add_local_time(_log(rows), "UTC")
    d = daily(log)
    assert list(d.index[:4].strftime("%Y-%m-%d")) == ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]
    assert d.loc["2026-03-04", "distance_km"] == pytest.approx(10.0)
    assert d.loc["2026-03-04", "runs"] == 2
    assert d.loc["2026-03-05", "rest"]  # a ride is not a run
    w = weekly(log)
    assert list(w["week"]) == ["2026-W10", "2026-W11"]
    assert w["distance_km"].tolist() == pytest.approx([20.0, 12.0])
    assert w["rest_days"].iloc[0] == 5  # Tue, Thu (ride only), Fri, Sat, Sun
    assert w["longest_km"].iloc[0] == pytest.approx(10.0)


def test_sunday_week_start():
    rows = [row_of(flat_run(start="2026-03-01T07:00:00Z"), aid="s")]  # a Sunday
    log = add_local_time(_log(rows), "UTC", week_start="sunday")
    w = weekly(log, week_start="sunday")
    assert w.index[0] == pd.Timestamp("2026-03-01")
