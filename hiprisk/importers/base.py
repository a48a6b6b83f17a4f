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
from datetime import UTC

import numpy as np
import pandas as pd

from hiprisk.errors import UnsafeInputError

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


_FLOAT_COLUMNS = tuple(c for c in SAMPLE_COLUMNS if c != "time_utc")


def empty_samples() -> pd.DataFrame:
    """An empty sample stream with the right columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in SAMPLE_COLUMNS.items()})


def make_samples(**columns) -> pd.DataFrame:
    """Build a sample stream from arrays keyed by :data:`SAMPLE_COLUMNS` names (others are refused).

    ``time_utc`` may be anything ``pd.to_datetime(utc=True)`` reads. Missing columns become NaN,
    ``elapsed_s`` is derived from ``time_utc`` when absent, and rows are sorted by time.

    Every decoder calls this once per activity, so it is built for speed without changing a bit of the
    result: times that are already ``datetime64[ns, UTC]`` (the FIT decoder's) are not converted again,
    order is checked in numpy, and ``elapsed_s`` is computed before the frame is built (pandas' own
    ``total_seconds`` on the time array, so it is exactly what the frame's ``.dt.total_seconds()`` gives)
    so that the frame is built once with all its float columns in one block. Unsorted or NaT-holding
    times, rare, take pandas' stable sort as they always did.
    """
    unknown = set(columns) - set(SAMPLE_COLUMNS)
    if unknown:
        raise ValueError(f"unknown sample columns: {sorted(unknown)}")
    time = _utc_ns(columns.pop("time_utc"))
    n = len(time)
    derive_elapsed = "elapsed_s" not in columns and n > 0
    data: dict = {"time_utc": time}
    for name in _FLOAT_COLUMNS:
        values = columns.get(name)
        data[name] = np.full(n, np.nan) if values is None else np.asarray(values, dtype="float64")
    if not n:
        return pd.DataFrame(data)
    ns = time.asi8  # int64 nanoseconds, NaT as the smallest int64
    if time.isna().any() or (np.diff(ns) < 0).any():
        # what ``is_monotonic_increasing`` refuses (any NaT, any step back): pandas' stable sort, NaT last
        df = pd.DataFrame(data).sort_values("time_utc", kind="stable").reset_index(drop=True)
        if derive_elapsed:
            df["elapsed_s"] = _elapsed_s(df["time_utc"].array)
        return df
    if derive_elapsed:
        data["elapsed_s"] = _elapsed_s(time)
    return pd.DataFrame(data)


def _utc_ns(values) -> pd.api.extensions.ExtensionArray:
    """``values`` as a ``datetime64[ns, UTC]`` array: as given when it is one already (no copy: the frame
    constructor copies), else through ``pd.to_datetime(utc=True)``."""
    dtype = getattr(values, "dtype", None)
    if (
        isinstance(values, (pd.DatetimeIndex, pd.Series))
        and isinstance(dtype, pd.DatetimeTZDtype)
        and dtype.unit == "ns"
        and dtype.tz is UTC  # the very tz object pd.to_datetime(utc=True) gives
    ):
        return values.array
    return pd.DatetimeIndex(pd.to_datetime(values, utc=True)).as_unit("ns").array


def _elapsed_s(time) -> np.ndarray:
    """Seconds since the first sample: the array form of ``(t - t.iloc[0]).dt.total_seconds()`` (same
    pandas arithmetic: NaT gives NaN, overflow raises), without building a Series."""
    return (time - time[0]).total_seconds()


#: File formats hiprisk decodes, by the extension left after stripping ``.gz``.
FORMATS = {".fit": "fit", ".gpx": "gpx", ".tcx": "tcx"}

#: Most activities read from one GPX/TCX file. Real files hold one, a multisport TCX a few (4 in the
#: corpus), an old Garmin Training Center history export maybe hundreds; each activity costs a few ms and
#: some hundred kB however small its XML, so a file of 20,000 one-point activities (1 MB, 55 kB gzipped)
#: took minutes and 150x its size in memory. Beyond this: :class:`~hiprisk.errors.UnsafeInputError`.
MAX_ACTIVITIES_PER_FILE = 1000


def too_many_activities(name: str) -> UnsafeInputError:
    """The error for a file with more than :data:`MAX_ACTIVITIES_PER_FILE` activities."""
    return UnsafeInputError(name, f"unsafe input: more than {MAX_ACTIVITIES_PER_FILE} activities in one file")


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
