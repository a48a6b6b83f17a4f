"""What every decoder returns: :class:`ParsedActivity`, one activity with its sample stream.

Decoders (``fit.py``, ``gpx.py``, ``tcx.py``) know their format and nothing else: they return our own
types, never a third-party object, so the rest of hiprisk never imports a parser.

The sample stream is a DataFrame with exactly :data:`SAMPLE_COLUMNS` (missing values are NaN), sorted by
``time_utc``, one row per recorded point:

============== ====================== ==========================================================
column         dtype                  meaning
============== ====================== ==========================================================
time_utc       datetime64[ns, UTC]    time of the sample
elapsed_s      float64                seconds since the first sample
distance_m     float64                cumulative distance (device's own where recorded, else GPS)
lat_deg        float64                WGS84 latitude, degrees
lon_deg        float64                WGS84 longitude, degrees
elevation_m    float64                altitude (device, barometric or GPS)
speed_m_s      float64                instantaneous speed
hr_bpm         float64                heart rate, beats per minute
cadence_spm    float64                running cadence in **steps** per minute (both legs)
============== ====================== ==========================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SAMPLE_COLUMNS: dict[str, str] = {
    "time_utc": "datetime64[ns, UTC]",
    "elapsed_s": "float64",
    "distance_m": "float64",
    "lat_deg": "float64",
    "lon_deg": "float64",
    "elevation_m": "float64",
    "speed_m_s": "float64",
    "hr_bpm": "float64",
    "cadence_spm": "float64",
}

#: Sports hiprisk names; anything a decoder cannot map becomes "other".
SPORTS = ("running", "walking", "hiking", "cycling", "swimming", "other")
#: Sub-sports that matter for running; others are passed through as the file names them.
RUNNING_SUB_SPORTS = ("generic", "street", "trail", "treadmill", "track", "indoor", "virtual")


@dataclass
class ParsedActivity:
    """One activity as read from a file.

    Totals are the file's own (device or app computed) values, ``None`` when the file has none; the
    summary step fills gaps from ``samples``. Units are in the names.
    """

    source_format: str  # "fit", "gpx" or "tcx"
    start_utc: pd.Timestamp  # tz-aware UTC
    sport: str = "other"  # one of SPORTS
    sub_sport: str | None = None  # e.g. "generic", "trail", "treadmill", "track"
    samples: pd.DataFrame = field(default_factory=lambda: empty_samples())
    distance_m: float | None = None
    elapsed_s: float | None = None
    moving_s: float | None = None  # timer time (pauses excluded)
    ascent_m: float | None = None
    descent_m: float | None = None
    barometric: bool = False  # ascent/descent are the device's own totals (FIT session)
    avg_hr_bpm: float | None = None
    max_hr_bpm: float | None = None
    avg_cadence_spm: float | None = None  # steps per minute
    utc_offset_s: int | None = None  # local time - UTC, when the file states it (FIT activity)
    device: str | None = None
    name: str | None = None
    trail_hint: bool | None = None  # the file itself says trail (FIT sub_sport, GPX <type>, ...)
    notes: list[str] = field(default_factory=list)  # e.g. "dropped 3 samples with time going backwards"


def empty_samples() -> pd.DataFrame:
    """An empty sample stream with the right columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in SAMPLE_COLUMNS.items()})


def make_samples(**columns) -> pd.DataFrame:
    """Build a sample stream from arrays keyed by :data:`SAMPLE_COLUMNS` names (others are refused).

    ``time_utc`` may be anything ``pd.to_datetime(utc=True)`` reads. Missing columns become NaN,
    ``elapsed_s`` is derived from ``time_utc`` when absent, and rows are sorted by time.
    """
    unknown = set(columns) - set(SAMPLE_COLUMNS)
    if unknown:
        raise ValueError(f"unknown sample columns: {sorted(unknown)}")
    time = pd.to_datetime(columns.pop("time_utc"), utc=True)
    n = len(time)
    data = {"time_utc": pd.DatetimeIndex(time).as_unit("ns")}
    for name in SAMPLE_COLUMNS:
        if name == "time_utc":
            continue
        values = columns.get(name)
        data[name] = np.full(n, np.nan) if values is None else np.asarray(values, dtype="float64")
    df = pd.DataFrame(data)
    if n and not df["time_utc"].is_monotonic_increasing:
        df = df.sort_values("time_utc", kind="stable").reset_index(drop=True)
    if "elapsed_s" not in columns and n:
        df["elapsed_s"] = (df["time_utc"] - df["time_utc"].iloc[0]).dt.total_seconds()
    return df


#: File formats hiprisk decodes, by the extension left after stripping ``.gz``.
FORMATS = {".fit": "fit", ".gpx": "gpx", ".tcx": "tcx"}


@dataclass
class SourceMeta:
    """What an export archive says about a file (Strava ``activities.csv``, Garmin gear data).

    Every field is optional; an export's values win over the file's own (a Strava title beats a GPX
    track name, an export's activity type beats a guessed one).
    """

    name: str | None = None
    sport: str | None = None  # mapped to base.SPORTS ("running", "cycling", ...)
    sub_sport: str | None = None  # e.g. "trail" for Strava "Trail Run"
    shoe: str | None = None  # gear name as the export spells it
    external_id: str | None = None  # e.g. the Strava activity id
    export: str | None = None  # "strava" or "garmin"


@dataclass
class SourceFile:
    """One activity file found by :func:`hiprisk.importers.sources.iter_sources`.

    ``read()`` returns the file's bytes, already gunzipped (size-bounded); it may raise
    :class:`~hiprisk.errors.FileFormatError` or :class:`~hiprisk.errors.UnsafeInputError`.
    ``fingerprint`` is cheap identity without reading the content (path, size and mtime for plain files;
    archive path + member CRC and size inside a zip), used to skip unchanged files on re-import.
    """

    name: str  # display path: "runs/a.fit" or "export.zip!activities/123.fit.gz"
    fmt: str  # "fit", "gpx" or "tcx"
    read: Callable[[], bytes]
    fingerprint: str
    meta: SourceMeta | None = None


@dataclass
class SkippedFile:
    """A file met while walking the input that is not an activity file (counted and reported, not fatal)."""

    name: str
    reason: str
