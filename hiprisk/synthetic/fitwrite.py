"""A minimal, vectorised FIT *activity* file encoder (for synthetic test data, not a general FIT SDK).

The file is laid out the way Garmin watches write activity files::

    header (14 B) | file_id | device_info | event(timer start) | record × n | event(timer stop_all)
                  | lap × k | session | activity | file CRC (2 B)

Every message type is defined once (one local message number each) and its data messages follow as
one packed numpy structured array, so writing an hour of 1 s records costs a handful of array
operations instead of one Python object per field. Field numbers, base types, scales and offsets come
from the FIT profile and are kept in one table, :data:`MESSAGES`.

Conventions (all from the FIT protocol and profile, see References):

* little-endian architecture (definition byte ``architecture = 0``);
* ``date_time`` values are seconds since 1989-12-31 00:00 UTC (:data:`FIT_EPOCH_UNIX_S`);
* positions are semicircles, ``deg × 2**31 / 180`` (a scale in our table);
* a stored value is ``raw = round((physical + offset) × scale)``; NaN becomes the base type's invalid
  sentinel (``0xFF`` for uint8/enum, ``0x7FFFFFFF`` for sint32, ``0xFFFFFFFF`` for uint32, ``0`` for
  the ``…z`` types);
* running cadence is **strides** (one leg) per minute: ``cadence`` holds the integer part and
  ``fractional_cadence`` the rest in 1/128 units, so ``steps/min = 2 × (cadence + fractional)``;
* the CRC is the FIT CRC-16 (identical to CRC-16/ARC: reflected polynomial 0xA001, initial value 0)
  over the header and over the whole file; :func:`fit_crc` (from :mod:`hiprisk.importers.fitcrc`)
  computes it in numpy chunks.

References
----------
.. [1] Garmin, "FIT Protocol" (developer.garmin.com/fit/protocol/): sections *File Header*,
   *Record Header* (normal header), *Definition Message* and *Field Definition* (table
   *FIT Base Types and Invalid Values*), *Data Message*, *CRC*.
.. [2] Garmin, FIT SDK ``Profile.xlsx`` (messages ``file_id`` 0, ``session`` 18, ``lap`` 19,
   ``record`` 20, ``event`` 21, ``device_info`` 23, ``activity`` 34 and their field numbers), checked
   against the profile bundled with fitparse 1.2.0.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import EllipsisType
from typing import IO, Any, NamedTuple

import numpy as np
import pandas as pd

from hiprisk.importers.fitcrc import fit_crc  # the decoder's CRC, re-exported here
from hiprisk.synthetic.activity import SyntheticActivity, as_activity

__all__ = [
    "FIT_EPOCH_UNIX_S",
    "MESSAGES",
    "encode_activity",
    "fit_crc",
    "write_fit",
]

#: Unix time of the FIT epoch, 1989-12-31 00:00:00 UTC [1]_ (section *Data Types*, ``date_time``).
FIT_EPOCH_UNIX_S = 631_065_600
#: Protocol version byte: 2.0 (major in the high nibble) [1]_.
PROTOCOL_VERSION = 0x20
#: Profile version we claim to follow (21.40 → 2140); readers use it only for information.
PROFILE_VERSION = 2140
_SEMICIRCLES_PER_DEG = 2**31 / 180.0


class BaseType(NamedTuple):
    """One row of the *FIT Base Types and Invalid Values* table [1]_."""

    code: int  # base type number, endian-ability bit (0x80) included
    dtype: str  # numpy dtype, little-endian
    invalid: int  # sentinel for "no value"
    low: int  # smallest valid raw value
    high: int  # largest valid raw value


BASE_TYPES: dict[str, BaseType] = {
    "enum": BaseType(0x00, "u1", 0xFF, 0, 0xFE),
    "sint8": BaseType(0x01, "i1", 0x7F, -0x80, 0x7E),
    "uint8": BaseType(0x02, "u1", 0xFF, 0, 0xFE),
    "sint16": BaseType(0x83, "<i2", 0x7FFF, -0x8000, 0x7FFE),
    "uint16": BaseType(0x84, "<u2", 0xFFFF, 0, 0xFFFE),
    "sint32": BaseType(0x85, "<i4", 0x7FFFFFFF, -0x80000000, 0x7FFFFFFE),
    "uint32": BaseType(0x86, "<u4", 0xFFFFFFFF, 0, 0xFFFFFFFE),
    "string": BaseType(0x07, "S", 0x00, 0, 0),  # null-terminated UTF-8, size set per message
    "uint8z": BaseType(0x0A, "u1", 0x00, 1, 0xFF),
    "uint16z": BaseType(0x8B, "<u2", 0x0000, 1, 0xFFFF),
    "uint32z": BaseType(0x8C, "<u4", 0x00000000, 1, 0xFFFFFFFF),
}


class Field(NamedTuple):
    """A field of a FIT message: ``raw = round((value + offset) × scale)`` [2]_."""

    num: int
    base: str
    scale: float = 1.0
    offset: float = 0.0


_F = Field
_DEG = _SEMICIRCLES_PER_DEG  # degrees → semicircles, as a scale

#: Global message number and the fields we write, in the order they are written (profile [2]_).
MESSAGES: dict[str, tuple[int, dict[str, Field]]] = {
    "file_id": (
        0,
        {
            "type": _F(0, "enum"),
            "manufacturer": _F(1, "uint16"),
            "product": _F(2, "uint16"),
            "serial_number": _F(3, "uint32z"),
            "time_created": _F(4, "uint32"),
            "product_name": _F(8, "string"),
        },
    ),
    "device_info": (
        23,
        {
            "timestamp": _F(253, "uint32"),
            "device_index": _F(0, "uint8"),
            "manufacturer": _F(2, "uint16"),
            "serial_number": _F(3, "uint32z"),
            "product": _F(4, "uint16"),
            "software_version": _F(5, "uint16", 100),
            "product_name": _F(27, "string"),
        },
    ),
    "event": (
        21,
        {
            "timestamp": _F(253, "uint32"),
            "event": _F(0, "enum"),
            "event_type": _F(1, "enum"),
            "event_group": _F(4, "uint8"),
        },
    ),
    "record": (
        20,
        {
            "timestamp": _F(253, "uint32"),
            "position_lat": _F(0, "sint32", _DEG),
            "position_long": _F(1, "sint32", _DEG),
            "distance": _F(5, "uint32", 100),
            "enhanced_altitude": _F(78, "uint32", 5, 500),
            "enhanced_speed": _F(73, "uint32", 1000),
            "heart_rate": _F(3, "uint8"),
            "cadence": _F(4, "uint8"),
            "fractional_cadence": _F(53, "uint8", 128),
        },
    ),
    "lap": (
        19,
        {
            "timestamp": _F(253, "uint32"),
            "message_index": _F(254, "uint16"),
            "event": _F(0, "enum"),
            "event_type": _F(1, "enum"),
            "start_time": _F(2, "uint32"),
            "start_position_lat": _F(3, "sint32", _DEG),
            "start_position_long": _F(4, "sint32", _DEG),
            "end_position_lat": _F(5, "sint32", _DEG),
            "end_position_long": _F(6, "sint32", _DEG),
            "total_elapsed_time": _F(7, "uint32", 1000),
            "total_timer_time": _F(8, "uint32", 1000),
            "total_distance": _F(9, "uint32", 100),
            "enhanced_avg_speed": _F(110, "uint32", 1000),
            "enhanced_max_speed": _F(111, "uint32", 1000),
            "avg_heart_rate": _F(15, "uint8"),
            "max_heart_rate": _F(16, "uint8"),
            "avg_cadence": _F(17, "uint8"),  # avg_running_cadence when sport = running
            "avg_fractional_cadence": _F(80, "uint8", 128),
            "max_cadence": _F(18, "uint8"),
            "lap_trigger": _F(24, "enum"),
            "sport": _F(25, "enum"),
            "sub_sport": _F(39, "enum"),
        },
    ),
    "session": (
        18,
        {
            "timestamp": _F(253, "uint32"),
            "message_index": _F(254, "uint16"),
            "event": _F(0, "enum"),
            "event_type": _F(1, "enum"),
            "start_time": _F(2, "uint32"),
            "start_position_lat": _F(3, "sint32", _DEG),
            "start_position_long": _F(4, "sint32", _DEG),
            "sport": _F(5, "enum"),
            "sub_sport": _F(6, "enum"),
            "total_elapsed_time": _F(7, "uint32", 1000),
            "total_timer_time": _F(8, "uint32", 1000),
            "total_distance": _F(9, "uint32", 100),
            "total_cycles": _F(10, "uint32"),  # total_strides when sport = running
            "enhanced_avg_speed": _F(124, "uint32", 1000),
            "enhanced_max_speed": _F(125, "uint32", 1000),
            "avg_heart_rate": _F(16, "uint8"),
            "max_heart_rate": _F(17, "uint8"),
            "avg_cadence": _F(18, "uint8"),  # avg_running_cadence when sport = running
            "avg_fractional_cadence": _F(92, "uint8", 128),
            "max_cadence": _F(19, "uint8"),
            "total_ascent": _F(22, "uint16"),
            "total_descent": _F(23, "uint16"),
            "first_lap_index": _F(25, "uint16"),
            "num_laps": _F(26, "uint16"),
            "trigger": _F(28, "enum"),
        },
    ),
    "activity": (
        34,
        {
            "timestamp": _F(253, "uint32"),
            "total_timer_time": _F(0, "uint32", 1000),
            "num_sessions": _F(1, "uint16"),
            "type": _F(2, "enum"),
            "event": _F(3, "enum"),
            "event_type": _F(4, "enum"),
            "local_timestamp": _F(5, "uint32"),
        },
    ),
}

# Profile enum values used below [2]_.
FILE_ACTIVITY = 4
MANUFACTURERS = {"garmin": 1, "development": 255}
SPORTS = {"generic": 0, "other": 0, "running": 1, "cycling": 2, "swimming": 5, "walking": 11, "hiking": 17}
SUB_SPORTS = {
    "generic": 0,
    "treadmill": 1,
    "street": 2,
    "trail": 3,
    "track": 4,
    "indoor": 45,
    "indoor_running": 45,
    "virtual": 58,
    "virtual_activity": 58,
}
EVENT_TIMER, EVENT_SESSION, EVENT_LAP, EVENT_ACTIVITY = 0, 8, 9, 26
EVENT_TYPE_START, EVENT_TYPE_STOP, EVENT_TYPE_STOP_ALL = 0, 1, 4
LAP_TRIGGER_DISTANCE, LAP_TRIGGER_SESSION_END = 2, 7
SESSION_TRIGGER_ACTIVITY_END = 0
ACTIVITY_TYPE_MANUAL = 0

#: Sample columns that :func:`encode_activity` can leave out (``omit=``), with the FIT record fields.
OMITTABLE = {
    "position": ("position_lat", "position_long"),
    "elevation_m": ("enhanced_altitude",),
    "hr_bpm": ("heart_rate",),
    "cadence_spm": ("cadence", "fractional_cadence"),
    "speed_m_s": ("enhanced_speed",),
    "distance_m": ("distance",),
}


# --------------------------------------------------------------------------------------------------
# Messages


def _raw(message: str, name: str, field: Field, values: Any, n: int) -> np.ndarray:
    """Physical values → raw integers of the field's base type; NaN → the invalid sentinel."""
    base = BASE_TYPES[field.base]
    v = np.broadcast_to(np.asarray(values, dtype=np.float64), (n,))
    raw = np.round((v + field.offset) * field.scale)
    missing = np.isnan(raw)
    ok = raw[~missing]
    if ok.size and (ok.min() < base.low or ok.max() > base.high):
        raise ValueError(
            f"{message}.{name}: raw value outside {field.base} range "
            f"[{base.low}, {base.high}] (got {ok.min():.0f}..{ok.max():.0f})"
        )
    return np.where(missing, base.invalid, raw).astype(base.dtype)


def encode_messages(local: int, message: str, values: Mapping[str, Any], n: int = 1) -> bytes:
    """One definition message followed by *n* data messages of local type *local*.

    *values* maps field names of :data:`MESSAGES` to scalars or length-*n* arrays of physical values
    (strings for ``string`` fields); ``None`` leaves a field out of the definition.
    """
    global_num, table = MESSAGES[message]
    names, formats, columns, field_defs = ["_header"], ["u1"], [], []
    for name, field in table.items():  # table order = write order
        value = values.get(name)
        if value is None:
            continue
        base = BASE_TYPES[field.base]
        if field.base == "string":
            encoded = str(value).encode("utf-8") + b"\0"
            size, fmt, column = len(encoded), f"S{len(encoded)}", encoded
        else:
            column = _raw(message, name, field, value, n)
            size, fmt = column.dtype.itemsize, base.dtype
        names.append(name)
        formats.append(fmt)
        columns.append(column)
        field_defs.append(struct.pack("<BBB", field.num, size, base.code))
    unknown = set(values) - set(table)
    if unknown:
        raise KeyError(f"{message}: fields not in the table: {sorted(unknown)}")
    # Definition message [1]_: header (bit 6 set), reserved, architecture 0 = little endian,
    # global message number, number of fields, then (number, size, base type) per field.
    definition = struct.pack("<BBBHB", 0x40 | local, 0, 0, global_num, len(field_defs))
    data = np.zeros(n, dtype=np.dtype({"names": names, "formats": formats}))
    data["_header"] = local  # normal header, data message, local type in bits 0-3
    for name, column in zip(names[1:], columns, strict=True):
        data[name] = column
    return definition + b"".join(field_defs) + data.tobytes()


def _data_only(local: int, message: str, values: Mapping[str, Any]) -> bytes:
    """A further data message for an already defined local type (same fields, same order)."""
    encoded = encode_messages(local, message, values)
    _, table = MESSAGES[message]
    n_fields = sum(1 for k in table if values.get(k) is not None)
    return encoded[6 + 3 * n_fields :]


# --------------------------------------------------------------------------------------------------
# Activity → summaries


def _fit_seconds(times: pd.Series | pd.DatetimeIndex | pd.Timestamp) -> np.ndarray:
    """UTC datetimes → FIT ``date_time`` seconds (rounded to the second)."""
    if isinstance(times, pd.Timestamp):
        times = pd.DatetimeIndex([times])
    ns = pd.DatetimeIndex(times).as_unit("ns").asi8.astype(np.float64)
    return np.round(ns / 1e9) - FIT_EPOCH_UNIX_S


def _segment_stats(x: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NaN-ignoring mean and max of *x* over the segments beginning at *starts* (NaN if empty)."""
    if x.size == 0:
        empty = np.full(starts.size, np.nan)
        return empty, empty.copy()
    valid = ~np.isnan(x)
    sums = np.add.reduceat(np.where(valid, x, 0.0), starts)
    counts = np.add.reduceat(valid.astype(np.int64), starts)
    maxes = np.maximum.reduceat(np.where(valid, x, -np.inf), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return mean, np.where(counts > 0, maxes, np.nan)


def _ascent_descent(elevation_m: np.ndarray, threshold_m: float = 2.0) -> tuple[float, float]:
    """Ascent and descent with a hysteresis band (a fallback when the activity carries none)."""
    e = elevation_m[~np.isnan(elevation_m)]
    if e.size == 0:
        return np.nan, np.nan
    up = down = 0.0
    anchor = float(e[0])
    for value in e.tolist():  # only reached for hand-made activities without totals
        if value >= anchor + threshold_m:
            up += value - anchor
            anchor = value
        elif value <= anchor - threshold_m:
            down += anchor - value
            anchor = value
    return up, down


def _enum(value: str | int | None, table: Mapping[str, int], what: str) -> int:
    if value is None:
        return 0
    if isinstance(value, int | np.integer):
        return int(value)
    try:
        return table[str(value)]
    except KeyError:
        raise ValueError(f"unknown {what} {value!r}; use one of {sorted(table)} or a number") from None


def _first_valid(x: np.ndarray) -> float:
    ok = np.flatnonzero(~np.isnan(x))
    return float(x[ok[0]]) if ok.size else np.nan


def _last_valid(x: np.ndarray) -> float:
    ok = np.flatnonzero(~np.isnan(x))
    return float(x[ok[-1]]) if ok.size else np.nan


def _cadence_fields(spm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Steps/min → (``cadence`` strides/min, ``fractional_cadence``), NaN preserved."""
    raw128 = np.round(spm / 2.0 * 128.0)
    return np.floor(raw128 / 128.0), np.mod(raw128, 128.0) / 128.0


def _none_if_nan(x: Any) -> Any:
    """``None`` (leave the field out) when *x* is entirely NaN."""
    arr = np.asarray(x, dtype=np.float64)
    return None if np.all(np.isnan(arr)) else x


def _record_values(ts: np.ndarray, col: Mapping[str, np.ndarray], omit: set[str]) -> dict[str, Any]:
    """Record field → array of physical values, or ``None`` for fields left out of the file.

    A field is left out when *omit* names its sample column or when the column is entirely NaN;
    latitude and longitude, and cadence and its fraction, are written or left out together.
    """
    cadence, fractional = _cadence_fields(col["cadence_spm"])
    record: dict[str, Any] = {
        "timestamp": ts,
        "position_lat": col["lat_deg"],
        "position_long": col["lon_deg"],
        "distance": col["distance_m"],
        "enhanced_altitude": col["elevation_m"],
        "enhanced_speed": col["speed_m_s"],
        "heart_rate": col["hr_bpm"],
        "cadence": cadence,
        "fractional_cadence": fractional,
    }
    for key in omit:
        for name in OMITTABLE[key]:
            record[name] = None
    record = {k: (None if v is None else _none_if_nan(v)) for k, v in record.items()}
    if record["cadence"] is None:
        record["fractional_cadence"] = None
    if record["position_lat"] is None or record["position_long"] is None:
        record["position_lat"] = record["position_long"] = None
    return record


def _lap_starts(distance_m: np.ndarray, lap_m: float | None) -> np.ndarray:
    """Index of the first sample of each lap: auto-lap at every multiple of *lap_m* metres.

    A lap starts at the first sample at or past the mark (as a watch's auto-lap does); the last
    lap is never empty. Without distances or *lap_m* there is one lap.
    """
    n = distance_m.size
    if not lap_m or n == 0 or np.all(np.isnan(distance_m)):
        return np.array([0], dtype=np.int64)
    marks = np.arange(lap_m, _last_valid(distance_m), lap_m)
    filled = np.fmax.accumulate(np.where(np.isnan(distance_m), -np.inf, distance_m))
    cuts = np.searchsorted(filled, marks, side="left")
    return np.unique(np.concatenate([[0], cuts[(cuts > 0) & (cuts < n - 1)]])).astype(np.int64)


# --------------------------------------------------------------------------------------------------
# Public API


def encode_activity(
    activity: SyntheticActivity | Mapping[str, Any],
    *,
    manufacturer: str | int = "development",
    product: int = 1,
    serial_number: int = 12345,
    product_name: str | None = "hiprisk synthetic",
    software_version: float = 1.0,
    device_info: bool = True,
    utc_offset_s: int | None | EllipsisType = ...,
    omit: Iterable[str] = (),
    lap_m: float | None = 1000.0,
    profile_version: int = PROFILE_VERSION,
) -> bytes:
    """Encode one activity as the bytes of a FIT activity file.

    Parameters
    ----------
    activity : SyntheticActivity or mapping
        Samples (columns of :data:`hiprisk.importers.base.SAMPLE_COLUMNS`) and metadata; a mapping is
        passed through :func:`hiprisk.synthetic.history.as_activity`.
    manufacturer : {"development", "garmin"} or int
        ``file_id.manufacturer`` (development = 255, garmin = 1).
    product, serial_number, product_name, software_version
        Written to ``file_id`` and ``device_info`` (``product_name`` ``None`` leaves it out).
    device_info : bool
        Write a ``device_info`` message for the creator device.
    utc_offset_s : int, None or ``...``
        Local time − UTC [s] for ``activity.local_timestamp``. ``...`` (default) takes the
        activity's own ``utc_offset_s``; ``None`` leaves the field out.
    omit : iterable of str
        Record fields to leave out: any of ``"position"``, ``"elevation_m"``, ``"hr_bpm"``,
        ``"cadence_spm"``, ``"speed_m_s"``, ``"distance_m"``. Columns that are entirely NaN are
        always left out; a NaN inside a written column becomes the field's invalid value.
    lap_m : float or None
        Auto-lap distance [m] (a lap message each time the distance crosses a multiple); ``None``
        writes one lap for the whole session.
    profile_version : int
        Header profile version (e.g. 2140 for 21.40).

    Returns
    -------
    bytes
        A complete FIT file: header with CRC, messages, file CRC.

    Notes
    -----
    Timer time equals elapsed time (no pauses). Session ``total_ascent``/``total_descent`` are the
    activity's ``ascent_m``/``descent_m`` when set (a barometric device's own totals), else a 2 m
    hysteresis over the recorded elevations. ``avg_running_cadence`` is the mean of the recorded
    stride cadence.
    """
    act = as_activity(activity)
    omit = set(omit)
    unknown = omit - set(OMITTABLE)
    if unknown:
        raise ValueError(f"cannot omit {sorted(unknown)}; choose from {sorted(OMITTABLE)}")
    s = act.samples
    n = len(s)
    col = {c: s[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in s.columns if c != "time_utc"}
    ts = _fit_seconds(s["time_utc"]) if n else np.zeros(0)
    start = float(_fit_seconds(act.start_utc)[0])
    end = float(ts[-1]) if n else start
    if n and ts[0] < start:
        raise ValueError("samples start before start_utc")
    offset = act.utc_offset_s if utc_offset_s is ... else utc_offset_s
    sport = _enum(act.sport, SPORTS, "sport")
    sub_sport = _enum(act.sub_sport, SUB_SPORTS, "sub_sport")
    maker = _enum(manufacturer, MANUFACTURERS, "manufacturer")

    lat, lon = col["lat_deg"], col["lon_deg"]
    record = _record_values(ts, col, omit)
    written = {k: v for k, v in record.items() if v is not None}

    dist = written.get("distance", np.full(n, np.nan))
    lap_starts = _lap_starts(dist, lap_m)
    k = lap_starts.size
    lap_ends = np.append(lap_starts[1:], max(n - 1, 0))  # a lap ends on the next lap's first sample
    lap_t0 = ts[lap_starts] if n else np.array([start])
    lap_t0[0] = start
    lap_t1 = ts[lap_ends] if n else np.array([end])

    def at(x: np.ndarray | None, idx: np.ndarray) -> np.ndarray | None:
        return None if x is None or n == 0 else np.asarray(x, dtype=np.float64)[idx]

    def stats(x: np.ndarray | None) -> tuple[Any, Any, Any, Any]:
        if x is None or n == 0:
            return None, None, None, None
        x = np.asarray(x, dtype=np.float64)
        lap_mean, lap_max = _segment_stats(x, lap_starts)
        whole_mean, whole_max = _segment_stats(x, np.array([0]))
        return lap_mean, lap_max, whole_mean[0], whole_max[0]

    speed_lap_mean, speed_lap_max, _, speed_max = stats(written.get("enhanced_speed"))
    hr_lap_mean, hr_lap_max, hr_mean, hr_max = stats(written.get("heart_rate"))
    strides = None if "cadence" not in written else col["cadence_spm"] / 2.0
    cad_lap_mean, cad_lap_max, cad_mean, cad_max = stats(strides)
    lap_dist = None
    total_dist = None
    if "distance" in written:
        filled = np.fmax.accumulate(np.where(np.isnan(dist), 0.0, dist))
        lap_dist = filled[lap_ends] - np.where(lap_starts > 0, filled[lap_starts], 0.0)
        total_dist = _last_valid(dist)
    lap_time = lap_t1 - lap_t0
    elapsed = end - start
    with np.errstate(invalid="ignore", divide="ignore"):
        lap_avg_speed = None if lap_dist is None else np.where(lap_time > 0, lap_dist / lap_time, 0)
        avg_speed = None if total_dist is None else (total_dist / elapsed if elapsed > 0 else 0.0)
    if speed_lap_mean is not None and lap_avg_speed is None:
        lap_avg_speed = speed_lap_mean

    def split(mean: Any) -> tuple[Any, Any]:
        """Stride cadence → (integer part, fraction) for avg_cadence + avg_fractional_cadence."""
        if mean is None:
            return None, None
        return _cadence_fields(np.asarray(mean, dtype=np.float64) * 2.0)

    lap_cad, lap_cad_frac = split(cad_lap_mean)
    ses_cad, ses_cad_frac = split(cad_mean)
    ascent, descent = act.ascent_m, act.descent_m
    if (ascent is None or descent is None) and "enhanced_altitude" in written:
        auto_up, auto_down = _ascent_descent(col["elevation_m"])
        ascent = auto_up if ascent is None else ascent
        descent = auto_down if descent is None else descent
    if "enhanced_altitude" not in written and "elevation_m" in omit:
        ascent = descent = None
    total_strides = None
    if strides is not None and n > 1:
        dt = np.diff(ts, prepend=ts[0])
        total_strides = float(np.nansum(strides * dt / 60.0))

    pos = "position_lat" in written
    out = io.BytesIO()
    out.write(
        encode_messages(
            0,
            "file_id",
            {
                "type": FILE_ACTIVITY,
                "manufacturer": maker,
                "product": product,
                "serial_number": serial_number,
                "time_created": start,
                "product_name": product_name,
            },
        )
    )
    if device_info:
        out.write(
            encode_messages(
                1,
                "device_info",
                {
                    "timestamp": start,
                    "device_index": 0,  # creator
                    "manufacturer": maker,
                    "serial_number": serial_number,
                    "product": product,
                    "software_version": software_version,
                    "product_name": product_name,
                },
            )
        )
    timer = {"timestamp": start, "event": EVENT_TIMER, "event_type": EVENT_TYPE_START, "event_group": 0}
    out.write(encode_messages(2, "event", timer))
    if n:
        out.write(encode_messages(3, "record", written, n))
    out.write(_data_only(2, "event", {**timer, "timestamp": end, "event_type": EVENT_TYPE_STOP_ALL}))
    triggers = np.full(k, LAP_TRIGGER_DISTANCE)
    triggers[-1] = LAP_TRIGGER_SESSION_END
    lap = {
        "timestamp": lap_t1,
        "message_index": np.arange(k),
        "event": EVENT_LAP,
        "event_type": EVENT_TYPE_STOP,
        "start_time": lap_t0,
        "start_position_lat": at(record["position_lat"], lap_starts) if pos else None,
        "start_position_long": at(record["position_long"], lap_starts) if pos else None,
        "end_position_lat": at(record["position_lat"], lap_ends) if pos else None,
        "end_position_long": at(record["position_long"], lap_ends) if pos else None,
        "total_elapsed_time": lap_time,
        "total_timer_time": lap_time,
        "total_distance": lap_dist,
        "enhanced_avg_speed": lap_avg_speed,
        "enhanced_max_speed": speed_lap_max,
        "avg_heart_rate": hr_lap_mean,
        "max_heart_rate": hr_lap_max,
        "avg_cadence": lap_cad,
        "avg_fractional_cadence": lap_cad_frac,
        "max_cadence": None if cad_lap_max is None else np.floor(cad_lap_max),
        "lap_trigger": triggers,
        "sport": sport,
        "sub_sport": sub_sport,
    }
    out.write(encode_messages(4, "lap", lap, k))
    session = {
        "timestamp": end,
        "message_index": 0,
        "event": EVENT_SESSION,
        "event_type": EVENT_TYPE_STOP,
        "start_time": start,
        "start_position_lat": _first_valid(lat) if pos else None,
        "start_position_long": _first_valid(lon) if pos else None,
        "sport": sport,
        "sub_sport": sub_sport,
        "total_elapsed_time": elapsed,
        "total_timer_time": elapsed,
        "total_distance": total_dist,
        "total_cycles": total_strides,
        "enhanced_avg_speed": avg_speed,
        "enhanced_max_speed": speed_max,
        "avg_heart_rate": hr_mean,
        "max_heart_rate": hr_max,
        "avg_cadence": ses_cad,
        "avg_fractional_cadence": ses_cad_frac,
        "max_cadence": None if cad_max is None else np.floor(cad_max),
        "total_ascent": ascent,
        "total_descent": descent,
        "first_lap_index": 0,
        "num_laps": k,
        "trigger": SESSION_TRIGGER_ACTIVITY_END,
    }
    out.write(encode_messages(5, "session", session))
    activity_msg = {
        "timestamp": end,
        "total_timer_time": elapsed,
        "num_sessions": 1,
        "type": ACTIVITY_TYPE_MANUAL,
        "event": EVENT_ACTIVITY,
        "event_type": EVENT_TYPE_STOP,
        "local_timestamp": None if offset is None else end + offset,
    }
    out.write(encode_messages(6, "activity", activity_msg))
    return _frame(out.getvalue(), profile_version)


def _frame(data: bytes, profile_version: int = PROFILE_VERSION) -> bytes:
    """Wrap data records in a 14-byte header (with header CRC) and append the file CRC [1]_."""
    head = struct.pack("<BBHI4s", 14, PROTOCOL_VERSION, profile_version, len(data), b".FIT")
    head += struct.pack("<H", fit_crc(head))
    body = head + data
    return body + struct.pack("<H", fit_crc(body))


def write_fit(
    path_or_buffer: str | Path | IO[bytes],
    activity: SyntheticActivity | Mapping[str, Any],
    **options: Any,
) -> None:
    """Write *activity* as a FIT file to a path or a binary file object.

    Keyword options are those of :func:`encode_activity`.
    """
    data = encode_activity(activity, **options)
    if hasattr(path_or_buffer, "write"):
        path_or_buffer.write(data)  # type: ignore[union-attr]
    else:
        Path(path_or_buffer).write_bytes(data)
