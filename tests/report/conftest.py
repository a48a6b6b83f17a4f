"""Fixtures for the reporter: training logs built from device oracles and hand-made rows.

``index_log`` turns ``history/index.csv`` of the real corpus (one row per FIT file: that file's own
``session`` totals, see SOURCES.md) into a training log without decoding a single file. The reporter's
numbers can then be checked against the device's totals, and the report tests do not depend on the
decoders being finished.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hiprisk.config import Athlete
from hiprisk.intensity import add_intensity
from hiprisk.log import LOG_COLUMNS, add_local_time

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DATA_DIR = REPO / "sample_data"


def log_from_rows(rows: list[dict], tz: str = "UTC") -> pd.DataFrame:
    """A training log (stored + derived columns) from partial rows; missing columns get neutral values."""
    defaults = {
        "sport": "running",
        "sub_sport": "generic",
        "is_running": True,
        "trail": False,
        "trail_inferred": False,
        "elapsed_s": np.nan,
        "moving_s": np.nan,
        "ascent_m": 0.0,
        "descent_m": 0.0,
        "ascent_calc_m": np.nan,
        "descent_calc_m": np.nan,
        "elevation_source": "device",
        "downhill_km": 0.0,
        "steep_downhill_km": 0.0,
        "utc_offset_s": np.nan,
        "n_samples": 0,
        "has_gps": True,
        "source_format": "fit",
        "file_sha256": "0" * 64,
        "shoe": None,
        "name": None,
        "notes": None,
        "device": None,
    }
    out = []
    for i, row in enumerate(rows):
        full = {c: np.nan for c in LOG_COLUMNS} | defaults | {"activity_id": f"{i:016x}"} | row
        full.setdefault("source_path", f"{full['activity_id']}.fit")
        out.append(full)
    df = pd.DataFrame(out, columns=list(LOG_COLUMNS))
    df["start_utc"] = pd.to_datetime(df["start_utc"], utc=True).astype("datetime64[ns, UTC]")
    for col, dtype in LOG_COLUMNS.items():
        if dtype in ("float64", "int64", "bool"):
            df[col] = df[col].astype(dtype)
    log = add_local_time(df, tz)
    hist = pd.DataFrame(columns=["activity_id", "kind", "bin", "seconds"])
    return add_intensity(log, hist, Athlete(timezone=tz))


def read_index(corpus: Path) -> pd.DataFrame:
    """``history/index.csv``: the device session totals of every run of the real history."""
    return pd.read_csv(corpus / "history" / "index.csv")


#: The history's runner records in UTC+8 (122 of its 128 FIT files state that offset); index.csv has UTC only.
HISTORY_OFFSET_S = 8 * 3600.0


def index_rows(index: pd.DataFrame, offset_s: float = HISTORY_OFFSET_S) -> list[dict]:
    """Partial log rows (for :func:`log_from_rows`) from the FIT session totals of ``index.csv``."""
    rows = []
    for r in index.itertuples():
        sub = r.sub_sport if isinstance(r.sub_sport, str) else "generic"
        rows.append(
            {
                "activity_id": Path(r.file).stem.zfill(16)[:16],
                "file_sha256": hashlib.sha256(r.file.encode()).hexdigest(),
                "start_utc": r.start_time,
                "utc_offset_s": offset_s,
                "sub_sport": sub,
                "trail": sub == "trail",
                "distance_km": r.total_distance / 1000.0,
                "elapsed_s": r.total_elapsed_time,
                "moving_s": r.total_timer_time,
                "ascent_m": float(r.total_ascent) if pd.notna(r.total_ascent) else 0.0,
                "descent_m": float(r.total_descent) if pd.notna(r.total_descent) else 0.0,
                "avg_hr": r.avg_heart_rate,
                "max_hr": r.max_heart_rate,
                "avg_speed_m_s": r.enhanced_avg_speed,
                "has_gps": r.records_with_gps > 0,
                "source_path": r.file,
                "name": f"Run {Path(r.file).stem}",
                "shoe": "Speedgoat 5 <trail>" if sub == "trail" else "Pegasus & Co",
            }
        )
    return rows


def log_from_index(index: pd.DataFrame, tz: str = "UTC") -> pd.DataFrame:
    """A training log whose rows are the FIT session totals of ``index.csv`` (no file decoded)."""
    return log_from_rows(index_rows(index), tz)


def local_days(index: pd.DataFrame, offset_s: float = HISTORY_OFFSET_S) -> pd.Series:
    """The local calendar day of each index.csv run (UTC start + the runner's offset)."""
    start = pd.to_datetime(index["start_time"], utc=True).dt.tz_localize(None)
    return (start + pd.Timedelta(seconds=offset_s)).dt.normalize()


def seed_store(home: Path, log: pd.DataFrame) -> None:
    """Store the rows of a log (stored columns only, no samples) as if each had been imported from a file."""
    from hiprisk.importers.base import empty_samples
    from hiprisk.store import NewActivity, Store

    hist = pd.DataFrame({"kind": [], "bin": [], "seconds": []})
    with Store(home) as store:
        for rec in log[list(LOG_COLUMNS)].to_dict("records"):
            row = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in rec.items()}
            act = NewActivity(row=row, samples=empty_samples(), hist=hist)
            store.add_file(f"seed:{row['source_path']}", row["source_path"], row["file_sha256"], [act])


@pytest.fixture(scope="session")
def history_index(corpus) -> pd.DataFrame:
    return read_index(corpus)


@pytest.fixture(scope="session")
def history_log(history_index) -> pd.DataFrame:
    """The real history (128 runs, 2025-09-02 … 2026-03-14) as a log built from its device totals.

    Shoe names carry ``<``, ``>`` and ``&`` on purpose: the HTML must escape them.
    """
    return log_from_index(history_index)
