"""Builders for rule tests: training logs made directly as DataFrames, with known numbers.

``run("2025-01-06 07:00", km=8)`` makes one log row (local wall-clock start) with defaults for every
column; ``make_log(rows, tz=...)`` turns rows into a log the way :func:`hiprisk.load_log` does
(``add_local_time`` + ``add_intensity``), then applies any ``hard_s`` / ``warmup_hard`` given per row.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from hiprisk.config import Athlete, Config
from hiprisk.intensity import add_intensity
from hiprisk.log import LOG_COLUMNS, add_local_time

MONDAY = pd.Timestamp("2025-01-06")  # a Monday: week 2025-W02
_ids = itertools.count()

DEFAULTS = {
    "file_sha256": "0" * 64,
    "utc_offset_s": np.nan,
    "sport": "running",
    "sub_sport": "generic",
    "is_running": True,
    "trail": False,
    "trail_inferred": False,
    "ascent_m": 0.0,
    "descent_m": 0.0,
    "ascent_calc_m": np.nan,
    "descent_calc_m": np.nan,
    "elevation_source": "device",
    "downhill_km": 0.0,
    "steep_downhill_km": 0.0,
    "avg_hr": np.nan,
    "max_hr": np.nan,
    "avg_cadence_spm": np.nan,
    "warmup_hr": np.nan,
    "warmup_speed_m_s": np.nan,
    "cadence_drop_pct": np.nan,
    "n_samples": 1000,
    "has_gps": True,
    "device": "test",
    "source_path": "test.fit",
    "source_format": "fit",
    "name": "run",
    "shoe": None,
    "notes": None,
}


def run(start, km: float = 8.0, *, pace_s_per_km: float = 330.0, **columns) -> dict:
    """One log row. ``start`` is the local wall-clock start (a string or Timestamp, tz-naive), unless
    ``start_utc`` is given in ``columns``. Extra keys set columns (``hard_s`` and ``warmup_hard`` too)."""
    row = dict(DEFAULTS)
    row["activity_id"] = f"a{next(_ids):06d}"
    row["local_start"] = pd.Timestamp(start)
    row["distance_km"] = float(km)
    row["moving_s"] = km * pace_s_per_km
    row["elapsed_s"] = km * pace_s_per_km
    row["avg_speed_m_s"] = 1000.0 / pace_s_per_km if km > 0 else np.nan
    row.update(columns)
    if columns.get("sport", "running") != "running":
        row["is_running"] = False
    return row


def make_log(rows: list[dict], tz: str = "UTC", week_start: str = "monday", athlete: Athlete | None = None):
    """A log as :func:`hiprisk.load_log` returns it (local time and intensity columns added)."""
    athlete = athlete or Athlete(timezone=tz, week_start=week_start)
    df = pd.DataFrame(rows)
    if df.empty:
        df = pd.DataFrame(columns=[*LOG_COLUMNS, "local_start"])
    if "start_utc" not in df:
        df["start_utc"] = pd.NaT
    local = pd.to_datetime(df["local_start"])
    from_local = pd.DatetimeIndex(local).tz_localize(tz).tz_convert("UTC") if len(df) else local
    df["start_utc"] = pd.to_datetime(df["start_utc"].where(df["start_utc"].notna(), from_local), utc=True)
    for col, dtype in LOG_COLUMNS.items():
        if col not in df:
            df[col] = None
        elif dtype == "float64":
            df[col] = df[col].astype(float)
    log = add_local_time(df.drop(columns=["local_start"]), tz, week_start)
    extra = {c: df[c] for c in ("hard_s", "warmup_hard") if c in df}
    hist = pd.DataFrame({"activity_id": [], "kind": [], "bin": [], "seconds": []})
    log = add_intensity(log, hist, athlete)
    for col, values in extra.items():
        given = values.notna().to_numpy()
        log.loc[given, col] = values[given].to_numpy()
    log["hard_s"] = log["hard_s"].astype(float)
    log["warmup_hard"] = log["warmup_hard"].astype(bool)
    return log


def steady(weeks: int = 16, km: float = 8.0, start=MONDAY, weekdays=(0, 2, 4, 6), hour: int = 7, **cols):
    """Rows of a steady history: one ``km`` run on each of ``weekdays`` (0 = Monday) for ``weeks`` weeks."""
    start = pd.Timestamp(start)
    return [
        run(start + pd.Timedelta(days=7 * w + d, hours=hour), km, **cols)
        for w in range(weeks)
        for d in weekdays
    ]


def config(tz: str = "UTC", week_start: str = "monday", **rules) -> Config:
    """A Config with an athlete time zone and per-rule overrides (``weekly_increase={"caution_pct": 5}``)."""
    return Config(athlete=Athlete(timezone=tz, week_start=week_start), rules=rules)


def severities(warnings, rule: str | None = None) -> list[str]:
    return [w.severity for w in warnings if (rule is None or w.rule == rule) and w.subject != "history"]


def of_rule(frame: pd.DataFrame, rule: str) -> pd.DataFrame:
    return frame[frame["rule"] == rule].reset_index(drop=True)


TIME_ZONES = ["UTC", "Australia/Brisbane", "America/Los_Angeles", "Asia/Kolkata"]


@pytest.fixture(params=TIME_ZONES)
def tz(request) -> str:
    """Dates are the athlete's local ones: rules must give the same answers in every time zone."""
    return request.param
