"""The training log: one row per activity, its schema, and daily / weekly views in the athlete's local time.

Schema (units in the names; NaN where a file has no such data)
---------------------------------------------------------------
==================== ============ ==================================================================
column               dtype        meaning
==================== ============ ==================================================================
activity_id          str          stable id: first 16 hex digits of the file's SHA-256 (``-N`` suffix
                                  for the N-th further activity of a multi-activity file)
file_sha256          str          SHA-256 of the decoded file bytes
start_utc            datetime UTC start of the first sample (or the session start)
utc_offset_s         float        local − UTC offset stated by the file (FIT ``activity.local_timestamp``);
                                  NaN when the file states none
start_local          object       tz-aware local start time: the file's own offset when stated, else the
                                  athlete's configured time zone (system zone by default)
local_date           datetime     the local calendar day of the start (midnight, tz-naive)
sport                str          running, walking, hiking, cycling, swimming or other
sub_sport            str          running: generic/street/trail/treadmill/track/indoor/virtual; else as read
is_running           bool         counts as running volume (sport == running)
trail                bool         ran on trails (stated by the file/export, or inferred)
trail_inferred       bool         ``trail`` comes from the terrain heuristic, not from the file
distance_km          float        total distance
elapsed_s            float        wall-clock duration
moving_s             float        timer / moving time (pauses excluded)
ascent_m, descent_m  float        total ascent / descent: the device's barometric totals when the file
                                  has them, else our noise-filtered figures (see ``terrain``)
ascent_calc_m,
descent_calc_m       float        our own figures from the samples, kept as a cross-check
elevation_source     str          "device", "computed" or "none"
downhill_km          float        distance on grades steeper than −5 %
steep_downhill_km    float        distance on grades steeper than −10 %
avg_hr, max_hr       float        heart rate [bpm]
avg_cadence_spm      float        running cadence [steps/min], both legs
avg_speed_m_s        float        distance / moving time
warmup_hr            float        mean HR of the first 10 minutes [bpm]
warmup_speed_m_s     float        mean speed of the first 10 minutes [m/s]
cadence_drop_pct     float        cadence drop in the last third vs the first two thirds [%]
n_samples            int          samples in the stored stream
has_gps              bool         the stream has positions
device               str          device or app that recorded the file
source_path          str          where the file was imported from (``a.zip!member`` inside archives)
source_format        str          fit, gpx or tcx
name                 str          activity title (export or file)
shoe                 str          shoe name (export gear or assigned), None when unknown
notes                str          data-quality notes from decoding, "; "-joined
==================== ============ ==================================================================
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from . import features, terrain
from .errors import ConfigError
from .importers.base import ParsedActivity, SourceMeta

#: Stored columns and their dtypes (derived columns: ``start_local``, ``local_date``, ``week``).
LOG_COLUMNS: dict[str, str] = {
    "activity_id": "str",
    "file_sha256": "str",
    "start_utc": "datetime64[ns, UTC]",
    "utc_offset_s": "float64",
    "sport": "str",
    "sub_sport": "str",
    "is_running": "bool",
    "trail": "bool",
    "trail_inferred": "bool",
    "distance_km": "float64",
    "elapsed_s": "float64",
    "moving_s": "float64",
    "ascent_m": "float64",
    "descent_m": "float64",
    "ascent_calc_m": "float64",
    "descent_calc_m": "float64",
    "elevation_source": "str",
    "downhill_km": "float64",
    "steep_downhill_km": "float64",
    "avg_hr": "float64",
    "max_hr": "float64",
    "avg_cadence_spm": "float64",
    "avg_speed_m_s": "float64",
    "warmup_hr": "float64",
    "warmup_speed_m_s": "float64",
    "cadence_drop_pct": "float64",
    "n_samples": "int64",
    "has_gps": "bool",
    "device": "str",
    "source_path": "str",
    "source_format": "str",
    "name": "str",
    "shoe": "str",
    "notes": "str",
}
DERIVED_COLUMNS = ("start_local", "local_date", "week")
FOOT_SPORTS = ("running", "walking", "hiking")


def _num(value) -> float:
    return float(value) if value is not None and np.isfinite(value) else float("nan")


def summarise(
    parsed: ParsedActivity,
    *,
    activity_id: str,
    file_sha256: str,
    source_path: str,
    meta: SourceMeta | None = None,
    arrays: features.SampleArrays | None = None,
) -> dict:
    """One log row (a dict keyed by :data:`LOG_COLUMNS`) from a decoded activity.

    The file's own totals win where present (session distance, timer time, barometric ascent/descent);
    gaps are filled from the sample stream. An export's metadata (Strava title, type, gear) wins over the
    file's. ``arrays``: the columns of ``parsed.samples`` when the caller has read them already (the
    import shares them with the histograms and the Parquet encoding).
    """
    if arrays is not None and arrays.frame is not parsed.samples:
        raise ValueError("arrays must be the columns of parsed.samples")
    s = features.SampleArrays.of(parsed.samples if arrays is None else arrays)
    meta = meta or SourceMeta()
    sport = meta.sport or parsed.sport or "other"
    sub_sport = meta.sub_sport or parsed.sub_sport or ("generic" if sport == "running" else None)
    w = s.weights_s

    dist_m = _num(parsed.distance_m)
    if not (dist_m > 0) and (~np.isnan(s["distance_m"])).any():
        dist_m = float(np.nanmax(s["distance_m"]))
    dist_m = dist_m if np.isfinite(dist_m) else 0.0

    elapsed = _num(parsed.elapsed_s)
    if not np.isfinite(elapsed) and len(s):
        elapsed = float(s["elapsed_s"][-1])
    moving = _num(parsed.moving_s)
    if not np.isfinite(moving) and len(s):
        moving = features.moving_time_s(s)
    if not np.isfinite(moving):
        moving = elapsed

    has_elev = bool(np.count_nonzero(~np.isnan(s["elevation_m"])) >= 2)
    terr = terrain.summarise(s) if len(s) else None
    asc_calc = terr.ascent_m if terr and has_elev else float("nan")
    desc_calc = terr.descent_m if terr and has_elev else float("nan")
    if parsed.barometric and parsed.descent_m is not None and parsed.ascent_m is not None:
        ascent, descent, source = float(parsed.ascent_m), float(parsed.descent_m), "device"
    elif has_elev:
        ascent, descent, source = asc_calc, desc_calc, "computed"
    else:
        ascent, descent, source = 0.0, 0.0, "none"

    if parsed.trail_hint or sub_sport == "trail":
        trail, inferred = True, False
    elif sport == "running" and sub_sport in (None, "generic") and terr and terr.trail_inferred:
        trail, inferred = True, True
    else:
        trail, inferred = False, False
    if trail and sport == "running":
        sub_sport = "trail"

    hr = s["hr_bpm"]
    avg_hr = _num(parsed.avg_hr_bpm)
    if not np.isfinite(avg_hr):
        avg_hr = features.weighted_mean(hr, w)
    max_hr = _num(parsed.max_hr_bpm)
    if not np.isfinite(max_hr) and np.isfinite(hr).any():
        max_hr = float(np.nanmax(hr))
    cad = s["cadence_spm"]
    avg_cad = _num(parsed.avg_cadence_spm)
    if not np.isfinite(avg_cad) and sport in FOOT_SPORTS:
        avg_cad = features.weighted_mean(np.where(cad > 0, cad, np.nan), w)
    warm_hr, warm_speed = features.warmup(s) if len(s) else (float("nan"), float("nan"))

    return {
        "activity_id": activity_id,
        "file_sha256": file_sha256,
        "start_utc": pd.Timestamp(parsed.start_utc).tz_convert("UTC"),
        "utc_offset_s": float(parsed.utc_offset_s) if parsed.utc_offset_s is not None else np.nan,
        "sport": sport,
        "sub_sport": sub_sport,
        "is_running": sport == "running",
        "trail": trail,
        "trail_inferred": inferred,
        "distance_km": dist_m / 1000.0,
        "elapsed_s": elapsed,
        "moving_s": moving,
        "ascent_m": ascent,
        "descent_m": descent,
        "ascent_calc_m": asc_calc,
        "descent_calc_m": desc_calc,
        "elevation_source": source,
        "downhill_km": terr.downhill_km if terr else 0.0,
        "steep_downhill_km": terr.steep_downhill_km if terr else 0.0,
        "avg_hr": avg_hr,
        "max_hr": max_hr,
        "avg_cadence_spm": avg_cad,
        "avg_speed_m_s": dist_m / moving if moving and moving > 0 else np.nan,
        "warmup_hr": warm_hr,
        "warmup_speed_m_s": warm_speed,
        "cadence_drop_pct": features.cadence_drop_pct(s) if sport in FOOT_SPORTS else np.nan,
        "n_samples": len(s),
        "has_gps": bool((~np.isnan(s["lat_deg"])).any()),
        "device": parsed.device,
        "source_path": source_path,
        "source_format": parsed.source_format,
        "name": meta.name or parsed.name,
        "shoe": meta.shoe,
        "notes": "; ".join(parsed.notes) or None,
    }


def empty_log() -> pd.DataFrame:
    """A log with no rows and every column (stored and derived)."""
    df = pd.DataFrame({c: pd.Series(dtype=_pandas_dtype(t)) for c, t in LOG_COLUMNS.items()})
    return add_local_time(df, "UTC")


def _pandas_dtype(t: str):
    return object if t == "str" else t


def add_local_time(log: pd.DataFrame, tz: str, week_start: str = "monday") -> pd.DataFrame:
    """Add ``start_local`` (tz-aware), ``local_date`` and ``week`` (``YYYY-Www``) to a log.

    The file's own UTC offset wins (a run recorded while travelling belongs to the local day where it was
    run); rows without one use the athlete's time zone ``tz``.
    """
    log = log.copy()
    n = len(log)
    if n == 0:
        log["start_local"] = pd.Series(dtype=object)
        log["local_date"] = pd.Series(dtype="datetime64[ns]")
        log["week"] = pd.Series(dtype=object)
        return log
    start = pd.DatetimeIndex(log["start_utc"])
    zone_wall = start.tz_convert(tz).tz_localize(None)
    offsets = log["utc_offset_s"].to_numpy(dtype="float64")
    stated = np.isfinite(offsets)
    own_wall = start.tz_localize(None) + pd.to_timedelta(np.nan_to_num(offsets), unit="s")
    wall = pd.DatetimeIndex(np.where(stated, own_wall, zone_wall))
    zone_offset_s = (zone_wall - start.tz_localize(None)).total_seconds().to_numpy()
    off = np.where(stated, offsets, zone_offset_s)
    log["start_local"] = _with_offsets(wall, off)
    log["local_date"] = wall.normalize().as_unit("ns")
    log["week"] = week_label(log["local_date"], week_start)
    return log


def _with_offsets(wall: pd.DatetimeIndex, offsets_s: np.ndarray) -> list:
    """Wall-clock times as Timestamps with their fixed UTC offsets (whole seconds, truncated).

    Localised one offset at a time (a log has a handful), rather than one Timestamp at a time: a few times
    faster on a long log, the same Timestamps.
    """
    if not np.isfinite(offsets_s).all():  # not expected (every row has an offset); the plain way raises
        return [
            pd.Timestamp(w).tz_localize(dt.timezone(dt.timedelta(seconds=int(o))))
            for w, o in zip(wall, offsets_s, strict=True)
        ]
    secs = offsets_s.astype("int64")  # truncates toward zero, as int() does
    out = np.empty(len(wall), dtype=object)
    for o in np.unique(secs):
        idx = np.flatnonzero(secs == o)
        out[idx] = list(wall[idx].tz_localize(dt.timezone(dt.timedelta(seconds=int(o)))))
    return list(out)


def parse_day(value) -> pd.Timestamp:
    """A local calendar day (``YYYY-MM-DD`` text, date or Timestamp) as a tz-naive midnight Timestamp.

    Raises :class:`~hiprisk.errors.ConfigError` for anything that is not a date.
    """
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"not a date: {value!r} (use YYYY-MM-DD)") from exc
    if pd.isna(ts):
        raise ConfigError(f"not a date: {value!r} (use YYYY-MM-DD)")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def week_start_date(dates: pd.Series, week_start: str = "monday") -> pd.Series:
    """The first day of the athlete's week that contains each date."""
    d = pd.to_datetime(dates)
    first = 0 if week_start == "monday" else 6
    return d - pd.to_timedelta((d.dt.day_of_week - first) % 7, unit="D")


def week_label(dates: pd.Series, week_start: str = "monday") -> pd.Series:
    """``YYYY-Www`` label of each date's week (the ISO week of the week's Monday)."""
    monday = week_start_date(dates, week_start)
    if week_start == "sunday":
        monday = monday + pd.Timedelta(days=1)
    iso = monday.dt.isocalendar()
    return iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)


def running(log: pd.DataFrame) -> pd.DataFrame:
    """Only the rows that count as running volume (cross-training excluded)."""
    return log[log["is_running"].astype(bool)]


DAILY_SUMS = {
    "distance_km": "distance_km",
    "moving_s": "moving_s",
    "descent_m": "descent_m",
    "ascent_m": "ascent_m",
    "downhill_km": "downhill_km",
    "steep_downhill_km": "steep_downhill_km",
}


def daily(log: pd.DataFrame, start=None, end=None, *, running_only: bool = True) -> pd.DataFrame:
    """Per local day: running km, runs, time, descent, downhill and trail km; rest days as zero rows.

    Parameters
    ----------
    log : pandas.DataFrame
        The training log (:func:`hiprisk.load_log`), with ``local_date``.
    start, end : date-like, optional
        First and last day; default the first and the last activity's local day.
    running_only : bool
        Count only running (default): cross-training never counts as running volume.

    Returns
    -------
    pandas.DataFrame
        Index: every calendar day from ``start`` to ``end``, named ``date`` (local, tz-naive). Columns:
        ``distance_km`` [km], ``moving_s`` [s], ``descent_m``, ``ascent_m`` [m], ``downhill_km``,
        ``steep_downhill_km``, ``trail_km`` [km], ``runs``, ``longest_km`` [km] and ``rest`` (no run).
    """
    rows = running(log) if running_only else log
    # One grouped sum over the block of columns: named aggregation costs several ms more per call, and
    # daily() runs several times per command (the rules' day view, each week of a headline).
    g = rows.groupby("local_date")
    sums = g[list(DAILY_SUMS.values())].sum()
    sums.columns = list(DAILY_SUMS)
    sums["runs"] = g.size()
    sums["longest_km"] = g["distance_km"].max()
    trail_km = rows["distance_km"].where(rows["trail"].astype(bool), 0.0)
    sums["trail_km"] = trail_km.groupby(rows["local_date"]).sum()
    if start is None:
        start = log["local_date"].min() if len(log) else None
    if end is None:
        end = log["local_date"].max() if len(log) else None
    if start is None or end is None or pd.isna(start) or pd.isna(end):
        cols = [*DAILY_SUMS, "runs", "longest_km", "trail_km", "rest"]
        return pd.DataFrame(columns=cols, index=pd.DatetimeIndex([], name="date"), dtype=float)
    days = pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), freq="D")
    out = sums.reindex(days, fill_value=0).fillna(0.0)
    out.index.name = "date"
    out["runs"] = out["runs"].astype("int64")
    out["rest"] = out["runs"] == 0
    return out


def weekly(log: pd.DataFrame, week_start: str = "monday", **kwargs) -> pd.DataFrame:
    """Per athlete week: the sums of :func:`daily` plus rest days and the ``YYYY-Www`` label.

    Parameters
    ----------
    log : pandas.DataFrame
        The training log (:func:`hiprisk.load_log`).
    week_start : {"monday", "sunday"}
        First day of the athlete's week (the ``week_start`` of the athlete profile).
    **kwargs
        Passed to :func:`daily` (``start``, ``end``, ``running_only``).

    Returns
    -------
    pandas.DataFrame
        Index: the week's first day, named ``week_start``. Columns: the sums of :func:`daily`
        (``distance_km``, ``moving_s``, ``descent_m``, ``ascent_m``, ``downhill_km``, ``steep_downhill_km``,
        ``trail_km``), ``runs``, ``longest_km``, ``rest_days``, ``days`` (days of the week inside the span)
        and ``week``.
    """
    d = daily(log, **kwargs)
    if d.empty:
        return d.assign(rest_days=pd.Series(dtype="int64"), week=pd.Series(dtype=object))
    starts = week_start_date(pd.Series(d.index, index=d.index), week_start)
    g = d.groupby(starts.values)
    out = g[[*DAILY_SUMS, "trail_km"]].sum()
    out["runs"] = g["runs"].sum()
    out["longest_km"] = g["longest_km"].max()
    out["rest_days"] = g["rest"].sum().astype("int64")
    out["days"] = g["rest"].size()
    out.index.name = "week_start"
    out["week"] = week_label(pd.Series(out.index, index=out.index), week_start)
    return out
