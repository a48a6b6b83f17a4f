"""FIT decoder: Garmin/ANT FIT activity files to :class:`~hiprisk.importers.base.ParsedActivity`.

This is the only module that imports ``fitparse``. :func:`parse_fit` is the one seam. Messages are decoded
first by the vectorised fast path (:mod:`hiprisk.importers.fitfast`, numpy over the raw bytes, ~100× plain
fitparse); whatever it declines (accumulated compressed speed/distance, damaged files, shapes it does not
know) is decoded by fitparse, the reference decoder (:func:`_decode`). Both fill the same intermediate, so
everything after decoding is shared; benchmarks/equivalence.py and tests/importers/test_fitfast.py show the
two give bit-identical activities on every corpus file the fast path handles.

What the decoder does with the FIT data:

* **Chained files** (several FIT headers in one file, as multisport watches and the FIT SDK write them)
  are read whole; every CRC is checked.
* **One activity per ``session`` message.** A multisport file gives one activity per leg (transitions
  become sport ``"other"``, sub-sport ``"transition"``). A session's samples are the ``record`` messages
  that fall in its time window. A file with records but no session gives one activity built from the
  records.
* **Timestamps** are seconds since 1989-12-31 00:00 UTC. Values below ``0x10000000`` are *relative*
  (seconds since the device was switched on): they are anchored to an absolute clock in the file — a
  ``timestamp_correlation`` message, else the first absolute timestamp (taken as one second after the
  last relative one), else an absolute ``file_id.time_created`` (taken as the first relative time),
  else the ``activity`` message's local clock (then the UTC offset is unknown and the times are local
  ones). A file with no clock at all is refused ("no absolute timestamp").
* **Invalid values** (the FIT "no data" sentinels: HR 255, position 0x7FFFFFFF, ...) become NaN. Fields
  are read by name with the first *valid* occurrence winning, which avoids fitparse's ``get_values()``
  trap (a record's ``distance`` lost to an invalid ``compressed_speed_distance`` component).
* **Units**: positions from semicircles to degrees; ``enhanced_speed``/``enhanced_altitude`` preferred
  over ``speed``/``altitude``; running cadence from strides/min (one leg) to steps/min
  (``2 × (cadence + fractional_cadence)``), and only for foot sports (cycling cadence is rpm).

Errors are :class:`~hiprisk.errors.FileFormatError` (damaged or unreadable file, one-line reason naming
the file) or :class:`~hiprisk.errors.NotAnActivityError` (a valid FIT file that holds no activity:
settings, monitoring, ...). No exception of fitparse, ``struct`` or the standard library escapes.

References
----------
.. [1] Garmin, "FIT Protocol" and "FIT Profile" (FIT SDK), https://developer.garmin.com/fit/protocol/
.. [2] python-fitparse 1.2.0, https://github.com/dtcooper/python-fitparse
"""

from __future__ import annotations

import functools
import io
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path

import fitparse
import fitparse.records
import numpy as np
import pandas as pd
from fitparse.records import BASE_TYPES
from fitparse.utils import FitCRCError, FitEOFError, FitHeaderError, FitParseError

from ..errors import FileFormatError, NotAnActivityError
from . import fitfast
from .base import ParsedActivity, empty_samples, make_samples
from .sources import gunzip_if_needed

__all__ = ["parse_fit", "read_fit"]

#: FIT ``date_time`` epoch (1989-12-31 00:00 UTC) as a Unix time [s].
FIT_EPOCH_UNIX_S = 631_065_600
#: ``date_time`` values below this are seconds since device power-on, not dates (FIT Profile).
RELATIVE_TIME_LIMIT = 0x10000000
#: Slack when assigning records to a session's time window [s].
SESSION_TOLERANCE_S = 2.0
#: Largest plausible UTC offset [s] (UTC+14).
MAX_UTC_OFFSET_S = 14 * 3600
#: UTC offsets are rounded to this step [s].
UTC_OFFSET_STEP_S = 15 * 60
#: Refuse gzip data that inflates beyond this [bytes]: a real FIT activity is a few MB.
MAX_GUNZIPPED_BYTES = 256 * 1024 * 1024

_BASE_TYPE_BYTE_ID = 0x0D
_SEMICIRCLE_DEG = 180.0 / 2**31
_FOOT_SPORTS = frozenset({"running", "walking", "hiking"})
_SPORT_NAMES = {
    "running": "running",
    "walking": "walking",
    "hiking": "hiking",
    "cycling": "cycling",
    "e_biking": "cycling",
    "swimming": "swimming",
}
_RUNNING_SUB_SPORTS = {
    "generic": "generic",
    "street": "street",
    "trail": "trail",
    "treadmill": "treadmill",
    "track": "track",
    "indoor_running": "indoor",
    "virtual_activity": "virtual",
}
#: Garmin product ids newer than fitparse 1.2.0's profile (FIT SDK ``garmin_product`` type).
_GARMIN_PRODUCTS_EXTRA = {
    2158: "fr735xt",
    2503: "fr35",
    2700: "vivoactive3",
    2713: "edge_1030",
    2772: "vivo_move_hr",
    2859: "descent",
    2886: "fr645",
    2888: "fr645m",
    2891: "fr30",
    2900: "fenix5s_plus",
    2909: "edge_130",
    2927: "vivosmart_4",
    3011: "edge_explore",
    3076: "fr245",
    3077: "fr245_music",
    3110: "fenix5_plus",
    3111: "fenix5x_plus",
    3112: "edge_520_plus",
    3113: "fr945",
    3121: "edge_530",
    3122: "edge_830",
    3224: "vivoactive4_small",
    3225: "vivoactive4_large",
    3226: "venu",
    3258: "descent_mk2",
    3282: "fr45",
    3287: "fenix6s_sport",
    3288: "fenix6s",
    3289: "fenix6_sport",
    3290: "fenix6",
    3291: "fenix6x",
    3299: "hrm_dual",
    3300: "hrm_pro",
    3466: "instinct_solar",
    3512: "fenix6s_sport_asia",
    3513: "fenix6s_asia",
    3514: "fenix6_sport_asia",
    3515: "fenix6_asia",
    3516: "fenix6x_asia",
    3558: "edge_130_plus",
    3570: "edge_1030_plus",
    3589: "fr745",
    3600: "venusq",
    3638: "enduro",
    3652: "fr945_lte",
    3703: "venu2",
    3704: "venu2s",
    3843: "edge_1040",
    3869: "fr55",
    3888: "instinct_2",
    3905: "fenix7s",
    3906: "fenix7",
    3907: "fenix7x",
    3943: "epix_gen2",
    3990: "fr255_music",
    3991: "fr255_small_music",
    3992: "fr255",
    3993: "fr255_small",
    4024: "fr955",
    4061: "edge_540",
    4062: "edge_840",
    4130: "hrm_pro_plus",
    4257: "fr265_large",
    4258: "fr265_small",
    4260: "venu3",
    4261: "venu3s",
    4312: "epix_gen2_pro_42",
    4313: "epix_gen2_pro_47",
    4314: "epix_gen2_pro_51",
    4315: "fr965",
    4341: "enduro2",
    4374: "fenix7s_pro_solar",
    4375: "fenix7_pro_solar",
    4376: "fenix7x_pro_solar",
    4426: "vivoactive5",
    4432: "fr165",
    4433: "fr165_music",
    4440: "edge_1050",
    4532: "fenix8_solar",
    4533: "fenix8_solar_large",
    4534: "fenix8_small",
    4536: "fenix8",
    4575: "enduro3",
    4631: "fenix8_pro",
}
#: Manufacturer ids newer than fitparse 1.2.0's profile (FIT SDK ``manufacturer`` type).
_MANUFACTURERS_EXTRA = {
    294: "coros",
    305: "whoop",
    310: "decathlon",
    326: "nike",
    339: "zepp",
    348: "huawei",
}

# fitparse 1.2.0 keeps developer-field definitions in a module-level dict (fitparse.records.DEV_TYPES):
# they leak from one file to the next and are not safe across threads. Decoding holds this lock and
# starts from an empty table.
_FITPARSE_LOCK = threading.Lock()
#: Decode with :mod:`hiprisk.importers.fitfast` first; fitparse takes every file it declines.
FAST_PATH = True


class _RawProcessor:
    """A fitparse data processor that does nothing.

    fitparse's default processor turns ``date_time`` values into naive ``datetime`` objects, one
    ``getattr`` miss (an exception) per field; keeping the raw seconds is both faster (~1.4×) and what
    the relative-timestamp handling needs.
    """

    def run_type_processor(self, field_data):
        pass

    def run_field_processor(self, field_data):
        pass

    def run_unit_processor(self, field_data):
        pass

    def run_message_processor(self, data_message):
        pass


class _FitFile(fitparse.FitFile):
    """fitparse 1.2.0's reader plus one fix from later python-fitparse: a field whose size is not a
    multiple of its base type's size (COROS watches write such definitions) is read as raw bytes
    instead of aborting the whole file. Its values are then dropped (NaN), like any byte field.

    It works by watching the definition-message reads: after the ``"HB"`` read (global message number,
    field count) come exactly that many ``"3B"`` reads (field number, size, base type).
    """

    _fields_left = 0
    byte_fallbacks = 0

    def _read_struct(self, fmt, endian="<", data=None, always_tuple=False):
        value = super()._read_struct(fmt, endian=endian, data=data, always_tuple=always_tuple)
        if data is not None:
            return value
        if fmt == "HB":
            self._fields_left = value[1]
        elif fmt == "3B" and self._fields_left > 0:
            self._fields_left -= 1
            def_num, size, base_type_num = value
            base_type = BASE_TYPES.get(base_type_num)
            if base_type is not None and size % base_type.size:
                self.byte_fallbacks += 1
                return def_num, size, _BASE_TYPE_BYTE_ID
        return value


@dataclass
class _Decoded:
    """What one pass over the FIT messages keeps: column lists and a few small dicts, no message."""

    file_types: list = field(default_factory=list)
    file_id: dict | None = None
    device_names: list = field(default_factory=list)  # (device_index, product_name)
    sports: list = field(default_factory=list)  # sport messages, file order
    sessions: list = field(default_factory=list)
    activity: dict | None = None
    byte_fallbacks: int = 0
    correlation: tuple | None = None  # (absolute, relative) from timestamp_correlation
    first_abs: int | None = None
    first_rel: int | None = None
    time_created: int | None = None  # file_id.time_created when absolute
    rel_before_abs: int | None = None
    first_rel_after_abs: int | None = None
    last_rel: int | None = None
    rec_time: list = field(default_factory=list)
    rec_dist: list = field(default_factory=list)
    rec_lat: list = field(default_factory=list)
    rec_lon: list = field(default_factory=list)
    rec_alt: list = field(default_factory=list)
    rec_speed: list = field(default_factory=list)
    rec_hr: list = field(default_factory=list)
    rec_cad: list = field(default_factory=list)
    rec_frac: list = field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# Public API


def read_fit(path: str | Path) -> list[ParsedActivity]:
    """Read a FIT file (plain or gzip-compressed, detected by its magic bytes).

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    list of ParsedActivity
        One per ``session`` in the file (see :func:`parse_fit`).

    Raises
    ------
    FileFormatError
        The file cannot be read or is not a valid FIT activity file.
    NotAnActivityError
        A valid FIT file that holds no activity (settings, monitoring, ...).
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FileFormatError(path, f"cannot read file: {exc.strerror or exc}") from exc
    return parse_fit(data, name=str(path))


def parse_fit(data: bytes, name: str = "<bytes>") -> list[ParsedActivity]:
    """Decode FIT bytes into activities.

    Parameters
    ----------
    data : bytes
        The content of a FIT file (gzip-compressed content is inflated first).
    name : str
        Shown in error messages, normally the file's path.

    Returns
    -------
    list of ParsedActivity
        One per ``session`` message, in time order (several for a multisport file); one built from the
        records for a file that has records but no session. ``source_format`` is ``"fit"``.

    Raises
    ------
    FileFormatError
        Not a FIT file, bad CRC, truncated, or otherwise undecodable; the reason is one line.
    NotAnActivityError
        A valid FIT file of another type (settings, monitoring, ...) or with no records and no session.
    UnsafeInputError
        Gzip data that inflates beyond :data:`MAX_GUNZIPPED_BYTES`.

    References
    ----------
    .. [1] Garmin, "FIT Protocol", https://developer.garmin.com/fit/protocol/
    """
    data = _gunzip_if_needed(bytes(data), name)
    if len(data) < 12 or data[8:12] != b".FIT" or data[0] < 12:
        raise FileFormatError(name, "not a FIT file (bad header)", 0)
    decoded = _decode_fast(data) if FAST_PATH else None
    if decoded is None:
        decoded = _decode(data, name)
    try:
        return _build_activities(decoded, name)
    except (FileFormatError, NotAnActivityError):
        raise
    except Exception as exc:  # a bug or a file shape we did not foresee: still a typed, one-line error
        raise FileFormatError(name, f"cannot interpret FIT data: {_one_line(exc)}") from exc


# --------------------------------------------------------------------------------------------------
# Decoding (the fitparse seam)


def _gunzip_if_needed(data: bytes, name: str) -> bytes:
    too_large = f"gzip data inflates beyond {MAX_GUNZIPPED_BYTES >> 20} MiB"
    return gunzip_if_needed(data, name, MAX_GUNZIPPED_BYTES, corrupt="bad gzip data", too_large=too_large)


def _decode(data: bytes, name: str) -> _Decoded:
    """One pass over every message with fitparse, keeping only what the activities need."""
    buf = io.BytesIO(data)
    out = _Decoded()
    with _FITPARSE_LOCK:
        fitparse.records.DEV_TYPES.clear()
        try:
            fit = _FitFile(buf, check_crc=True, data_processor=_RawProcessor())
            for i, message in enumerate(fit.get_messages()):
                _take(message, out)
                if i % 256 == 0:
                    # fitparse keeps every parsed message in FitFile._messages; we do not need them
                    kept = getattr(fit, "_messages", None)
                    if isinstance(kept, list):
                        kept.clear()
            out.byte_fallbacks = fit.byte_fallbacks
        except FitCRCError as exc:
            raise FileFormatError(name, "bad CRC: the file is damaged", _tell(buf)) from exc
        except FitEOFError as exc:
            raise FileFormatError(name, "truncated: unexpected end of file", _tell(buf)) from exc
        except FitHeaderError as exc:
            offset = _tell(buf)
            first = offset is not None and offset <= data[0]
            reason = "not a FIT file (bad header)" if first else "bad header of a chained FIT file"
            raise FileFormatError(name, reason, offset) from exc
        except FitParseError as exc:
            raise FileFormatError(name, f"invalid FIT data: {_one_line(exc)}", _tell(buf)) from exc
        except Exception as exc:  # struct.error, KeyError, ... from malformed input
            raise FileFormatError(name, f"cannot decode FIT data: {_one_line(exc)}", _tell(buf)) from exc
        finally:
            fitparse.records.DEV_TYPES.clear()
    return out


@functools.cache
def _fast_profile():
    from fitparse.profile import MESSAGE_TYPES

    return fitfast.Profile.from_fitparse(MESSAGE_TYPES)


def _decode_fast(data: bytes) -> _Decoded | None:
    """The vectorised decoder (:mod:`hiprisk.importers.fitfast`); None when it declines the file.

    Any failure of the fast path (a decline, or a bug on a shape nobody foresaw) falls back to fitparse,
    the reference decoder, so no file is ever worse off for the fast path.
    """
    try:
        return _Decoded(**fitfast.decode(data, _fast_profile()))
    except Exception:
        return None


def _tell(buf: io.BytesIO) -> int | None:
    try:
        return buf.tell()
    except ValueError:  # closed
        return None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _values(message) -> dict:
    """Field name -> value, the first *valid* occurrence winning (profile fields only).

    A subfield is also filed under its parent's name (``avg_running_cadence`` under ``avg_cadence``).
    """
    out: dict = {}
    for fd in message.fields:
        value = fd.value
        f = fd.field
        if value is None or f is None or f.field_type == "devfield":
            continue
        if f.name not in out:
            out[f.name] = value
        parent = fd.parent_field
        if parent is not None and parent.name not in out:
            out[parent.name] = value
    return out


def _time_value(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _note_time(out: _Decoded, ts: int | None) -> None:
    """Track the stream's clock: first absolute time and the relative times around it."""
    if ts is None:
        return
    if ts >= RELATIVE_TIME_LIMIT:
        if out.first_abs is None:
            out.first_abs = ts
            out.rel_before_abs = out.last_rel
    else:
        out.last_rel = ts
        if out.first_rel is None:
            out.first_rel = ts
        if out.first_abs is not None and out.first_rel_after_abs is None:
            out.first_rel_after_abs = ts


def _take(message, out: _Decoded) -> None:
    name = message.name
    if name == "record":
        v = _values(message)
        ts = _time_value(v.get("timestamp"))
        _note_time(out, ts)
        out.rec_time.append(ts)
        out.rec_dist.append(v.get("distance"))
        out.rec_lat.append(v.get("position_lat"))
        out.rec_lon.append(v.get("position_long"))
        alt = v.get("enhanced_altitude")
        out.rec_alt.append(v.get("altitude") if alt is None else alt)
        speed = v.get("enhanced_speed")
        out.rec_speed.append(v.get("speed") if speed is None else speed)
        out.rec_hr.append(v.get("heart_rate"))
        out.rec_cad.append(v.get("cadence"))
        out.rec_frac.append(v.get("fractional_cadence"))
        return
    if name == "hrv" or name.startswith("unknown_"):
        return
    v = _values(message)
    if name == "file_id":
        created = _time_value(v.get("time_created"))
        if out.time_created is None and created is not None and created >= RELATIVE_TIME_LIMIT:
            out.time_created = created
        out.file_types.append(v.get("type"))
        if out.file_id is None or (out.file_id.get("type") != "activity" and v.get("type") == "activity"):
            out.file_id = v
        return
    _note_time(out, _time_value(v.get("timestamp")))
    if name == "session":
        out.sessions.append(v)
    elif name == "sport":
        out.sports.append(v)
    elif name == "activity":
        if out.activity is None:
            out.activity = v
    elif name == "device_info":
        product_name = v.get("product_name")
        if isinstance(product_name, str) and product_name.strip():
            out.device_names.append((v.get("device_index"), product_name.strip()))
    elif name == "timestamp_correlation" and out.correlation is None:
        absolute = _time_value(v.get("timestamp"))
        relative = _time_value(v.get("system_timestamp"))
        if absolute is not None and relative is not None and absolute >= RELATIVE_TIME_LIMIT:
            out.correlation = (absolute, relative)


# --------------------------------------------------------------------------------------------------
# From decoded messages to activities


def _build_activities(d: _Decoded, name: str) -> list[ParsedActivity]:
    file_types = [t for t in d.file_types if t is not None]
    if file_types and "activity" not in file_types:
        kinds = ", ".join(dict.fromkeys(str(t) for t in file_types))
        raise NotAnActivityError(name, f"not an activity: FIT file type {kinds}")
    if len(d.rec_time) == 0 and not d.sessions:
        raise NotAnActivityError(name, "FIT activity file with no records and no session")

    file_notes: list[str] = []
    if d.byte_fallbacks:
        file_notes.append(
            f"read {d.byte_fallbacks} field definitions whose size does not fit their type as raw "
            "bytes (values dropped)"
        )
    to_abs, utc_offset_known = _clock(d, name, file_notes)

    times, cols, rec_notes = _record_columns(d, to_abs)
    device = _device(d)
    utc_offset = _utc_offset(d) if utc_offset_known else None

    activities: list[ParsedActivity] = []
    if d.sessions:
        sessions = []
        for s in d.sessions:
            window = _session_window(s, to_abs)
            if window is None:
                file_notes.append("ignored a session with no start time")
                continue
            sessions.append((window, s))
        if not sessions:
            raise FileFormatError(name, "no session has a start time")
        sessions.sort(key=lambda item: item[0][0])
        starts = np.array([w[0] for w, _ in sessions], dtype="float64")
        ends = np.array([w[1] for w, _ in sessions], dtype="float64")
        owner = _assign_records(times, starts, ends)
        unassigned = int(((owner < 0) & ~np.isnan(times)).sum())  # timeless ones are noted already
        if unassigned:
            file_notes.append(f"ignored {unassigned} records outside every session's time window")
        for k, ((start, _end), s) in enumerate(sessions):
            sport, sub_sport = _map_sport(s.get("sport"), s.get("sub_sport"))
            mask = owner == k
            samples, notes = _samples(times[mask], {c: a[mask] for c, a in cols.items()}, sport)
            act = ParsedActivity(
                source_format="fit",
                start_utc=_ts(start),
                sport=sport,
                sub_sport=sub_sport,
                samples=samples,
                distance_m=_positive_or_zero(s.get("total_distance")),
                elapsed_s=_positive_or_zero(s.get("total_elapsed_time")),
                moving_s=_positive_or_zero(s.get("total_timer_time")),
                avg_hr_bpm=_positive(s.get("avg_heart_rate")),
                max_hr_bpm=_positive(s.get("max_heart_rate")),
                avg_cadence_spm=_avg_cadence_spm(s, sport),
                utc_offset_s=utc_offset,
                device=device,
                trail_hint=_trail_hint(sport, sub_sport),
                notes=file_notes + rec_notes + notes,
            )
            ascent = _positive_or_zero(s.get("total_ascent"))
            descent = _positive_or_zero(s.get("total_descent"))
            if ascent is not None or descent is not None:
                act.ascent_m, act.descent_m, act.barometric = ascent, descent, True
            activities.append(act)
    else:
        sport_msg = d.sports[0] if d.sports else {}
        sport, sub_sport = _map_sport(sport_msg.get("sport"), sport_msg.get("sub_sport"))
        samples, notes = _samples(times, cols, sport)
        if samples.empty:
            raise NotAnActivityError(name, "FIT activity file with no usable records and no session")
        activities.append(
            ParsedActivity(
                source_format="fit",
                start_utc=samples["time_utc"].iloc[0],
                sport=sport,
                sub_sport=sub_sport,
                samples=samples,
                utc_offset_s=utc_offset,
                device=device,
                trail_hint=_trail_hint(sport, sub_sport),
                notes=[*file_notes, "no session message: activity built from the records", *rec_notes]
                + notes,
            )
        )
    return activities


def _clock(d: _Decoded, name: str, notes: list[str]):
    """How to turn the file's time values into absolute FIT seconds, and whether they are UTC.

    Returns ``(to_abs, is_utc)`` where ``to_abs(value)`` maps a raw ``date_time`` value (relative or
    absolute) to absolute FIT seconds.
    """
    has_relative = d.last_rel is not None or any(
        (_time_value(s.get("start_time")) or RELATIVE_TIME_LIMIT) < RELATIVE_TIME_LIMIT for s in d.sessions
    )
    if not has_relative:
        return (lambda v: v), True

    offset: int | None = None
    is_utc = True
    if d.correlation is not None:
        absolute, relative = d.correlation
        offset = absolute - relative
        notes.append("relative timestamps anchored with the timestamp_correlation message")
    elif d.first_abs is not None:
        # the device learnt the time between its last relative and its first absolute timestamp:
        # assume one second (the shortest recording interval) between them
        if d.rel_before_abs is not None:
            offset = d.first_abs - 1 - d.rel_before_abs
        elif d.first_rel_after_abs is not None:
            offset = d.first_abs + 1 - d.first_rel_after_abs
        if offset is not None:
            notes.append("relative timestamps anchored to the file's first absolute timestamp (approximate)")
    if offset is None and d.time_created is not None and d.first_rel is not None:
        # the file was created when recording started
        offset = d.time_created - d.first_rel
        notes.append("relative timestamps anchored to file_id.time_created")
    if offset is None and d.activity is not None:
        local = _time_value(d.activity.get("local_timestamp"))
        relative = _time_value(d.activity.get("timestamp"))
        if local is not None and relative is not None and relative < RELATIVE_TIME_LIMIT <= local:
            offset = local - relative
            is_utc = False
            notes.append(
                "no UTC time in the file: relative timestamps anchored to the device's local "
                "clock (activity.local_timestamp), UTC offset unknown"
            )
    if offset is None:
        raise FileFormatError(name, "no absolute timestamp")

    def to_abs(value: int) -> int:
        return value + offset if value < RELATIVE_TIME_LIMIT else value

    return to_abs, is_utc


def _record_columns(d: _Decoded, to_abs):
    """Record lists to float arrays in SI units; invalid values NaN. Times are absolute FIT seconds."""
    notes: list[str] = []
    n = len(d.rec_time)
    if isinstance(d.rec_time, np.ndarray):  # fast path: float64, NaN for none; to_abs(0) is the offset
        times = np.where(d.rec_time < RELATIVE_TIME_LIMIT, d.rec_time + to_abs(0), d.rec_time)
    else:
        times = np.array(
            [np.nan if t is None else float(to_abs(t)) for t in d.rec_time], dtype="float64"
        ).reshape(n)
    lat = _floats(d.rec_lat) * _SEMICIRCLE_DEG
    lon = _floats(d.rec_lon) * _SEMICIRCLE_DEG
    bad_pos = (np.abs(lat) > 90) | (np.abs(lon) > 180) | ((lat == 0) & (lon == 0))
    bad_pos |= np.isnan(lat) | np.isnan(lon)
    lat[bad_pos] = np.nan
    lon[bad_pos] = np.nan
    hr = _floats(d.rec_hr)
    hr[hr <= 0] = np.nan
    cad = _floats(d.rec_cad)
    frac = np.nan_to_num(_floats(d.rec_frac), nan=0.0)
    strides = cad + frac
    cols = {
        "distance_m": _floats(d.rec_dist),
        "lat_deg": lat,
        "lon_deg": lon,
        "elevation_m": _floats(d.rec_alt),
        "speed_m_s": _floats(d.rec_speed),
        "hr_bpm": hr,
        "strides_per_min": strides,
    }
    missing = int(np.isnan(times).sum())
    if missing:
        notes.append(f"dropped {missing} records without a timestamp")
    return times, cols, notes


def _floats(values: list) -> np.ndarray:
    """Python values to float64; anything not a real number (None, tuple, string) becomes NaN."""
    if isinstance(values, np.ndarray):  # fast path columns are float64 already
        return values.astype("float64")
    return np.array(
        [float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan for v in values],
        dtype="float64",
    ).reshape(len(values))


def _samples(times: np.ndarray, cols: dict, sport: str) -> tuple[pd.DataFrame, list[str]]:
    """One activity's sample stream: sorted, one row per timestamp, cadence in steps/min."""
    notes: list[str] = []
    keep = ~np.isnan(times)
    if not keep.all():  # (a mask copies every column: only when a record has no time)
        times = times[keep]
        cols = {c: a[keep] for c, a in cols.items()}
    if times.size == 0:
        return empty_samples(), notes
    cols = dict(cols)  # the caller's dict stays as it was
    strides = cols.pop("strides_per_min")
    cols["cadence_spm"] = 2.0 * strides if sport in _FOOT_SPORTS else np.full(times.size, np.nan)
    steps = np.diff(times)
    if np.any(steps < 0):
        backwards = int((steps < 0).sum())
        notes.append(f"sorted {backwards} records with time going backwards")
        order = np.argsort(times, kind="stable")
        times = times[order]
        cols = {c: a[order] for c, a in cols.items()}
    dup = np.concatenate([[False], np.diff(times) == 0])
    if dup.any():
        # merge rows sharing a timestamp: the last valid value of each column wins (the later record
        # carries the later cumulative distance)
        frame = pd.DataFrame(cols)
        frame["t"] = times
        merged = frame.groupby("t", sort=True).last()
        notes.append(f"merged {int(dup.sum())} records with duplicate timestamps (later values win)")
        times = merged.index.to_numpy(dtype="float64")
        cols = {c: merged[c].to_numpy(dtype="float64") for c in cols}
    ns = np.round((times + FIT_EPOCH_UNIX_S) * 1e9).astype("int64")
    # already datetime64[ns, UTC], so make_samples takes it as it is (no second conversion)
    time_utc = pd.DatetimeIndex(ns.view("datetime64[ns]"), tz="UTC")
    return make_samples(time_utc=time_utc, **cols), notes


def _session_window(s: dict, to_abs) -> tuple[float, float] | None:
    """A session's (start, end) in absolute FIT seconds; end is the latest of the stated ends."""
    start = _time_value(s.get("start_time"))
    stamp = _time_value(s.get("timestamp"))
    elapsed = _number(s.get("total_elapsed_time"))
    timer = _number(s.get("total_timer_time"))
    if start is None:
        if stamp is None or elapsed is None:
            return None
        start_abs = float(to_abs(stamp)) - elapsed
    else:
        start_abs = float(to_abs(start))
    ends = [start_abs]
    for duration in (elapsed, timer):
        if duration is not None and duration >= 0:
            ends.append(start_abs + duration)
    if stamp is not None:
        ends.append(float(to_abs(stamp)))
    return start_abs, max(ends)


def _assign_records(times: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Index of the session each record belongs to (-1 for none).

    A record belongs to the latest session that started at or before it if it is not past that
    session's end (+ tolerance); else to the next session if it is just before that one's start.
    """
    owner = np.full(times.size, -1, dtype="int64")
    if times.size == 0:
        return owner
    valid = ~np.isnan(times)
    t = np.where(valid, times, 0.0)
    k = np.searchsorted(starts, t, side="right") - 1
    ok = (k >= 0) & (t <= ends[np.clip(k, 0, None)] + SESSION_TOLERANCE_S) & valid
    owner[ok] = k[ok]
    nxt = k + 1
    has_next = nxt < starts.size
    early = ~ok & valid & has_next & (t >= starts[np.clip(nxt, None, starts.size - 1)] - SESSION_TOLERANCE_S)
    owner[early] = nxt[early]
    return owner


def _map_sport(sport, sub_sport) -> tuple[str, str | None]:
    """FIT sport/sub_sport to :data:`~hiprisk.importers.base.SPORTS` and a sub-sport name."""
    sport_name = sport if isinstance(sport, str) else (None if sport is None else f"sport_{sport}")
    sub_name = (
        sub_sport if isinstance(sub_sport, str) else (None if sub_sport is None else f"sub_sport_{sub_sport}")
    )
    if sport_name == "transition":
        return "other", "transition"
    mapped = _SPORT_NAMES.get(sport_name or "")
    if mapped is None:
        return "other", sport_name
    if mapped == "running":
        return mapped, _RUNNING_SUB_SPORTS.get(sub_name or "", sub_name)
    if sport_name == "e_biking" and sub_name in (None, "generic"):
        return mapped, "e_biking"
    return mapped, sub_name


def _trail_hint(sport: str, sub_sport: str | None) -> bool | None:
    if sub_sport == "trail":
        return True
    if sport == "running" and sub_sport in ("street", "treadmill", "track", "indoor", "virtual"):
        return False
    return None


def _avg_cadence_spm(s: dict, sport: str) -> float | None:
    if sport not in _FOOT_SPORTS:
        return None
    cadence = _positive(s.get("avg_running_cadence", s.get("avg_cadence")))
    if cadence is None:
        return None
    frac = _number(s.get("avg_fractional_cadence")) or 0.0
    return 2.0 * (cadence + frac)


def _utc_offset(d: _Decoded) -> int | None:
    """``activity.local_timestamp - activity.timestamp``, rounded to 15 min, when plausible."""
    if d.activity is None:
        return None
    local = _time_value(d.activity.get("local_timestamp"))
    utc = _time_value(d.activity.get("timestamp"))
    if local is None or utc is None or utc < RELATIVE_TIME_LIMIT or local < RELATIVE_TIME_LIMIT:
        return None
    offset = int(round((local - utc) / UTC_OFFSET_STEP_S)) * UTC_OFFSET_STEP_S
    return offset if abs(offset) <= MAX_UTC_OFFSET_S else None


def _device(d: _Decoded) -> str | None:
    """A readable device name: manufacturer + product, e.g. ``"garmin fenix6x"``.

    The product is the profile's name (fitparse's, or our table of newer Garmin ids); failing that the
    creator's ``device_info.product_name``; failing that ``"product <id>"``.
    """
    fid = d.file_id or {}
    manufacturer = fid.get("manufacturer")
    if _is_int(manufacturer):
        manufacturer = _MANUFACTURERS_EXTRA.get(manufacturer, f"manufacturer {manufacturer}")
    product = fid.get("garmin_product")
    if product is None:
        product = fid.get("product")
    if _is_int(product) and manufacturer in ("garmin", "dynastream", "dynastream_oem"):
        product = _GARMIN_PRODUCTS_EXTRA.get(product, product)
    if product is None or _is_int(product):
        named = [p for idx, p in d.device_names if idx in ("creator", 0)]
        named = named or [p for _, p in d.device_names]
        if named:
            product = named[0]
        elif _is_int(product):
            product = f"product {product}" if product else None
    parts = [str(p) for p in (manufacturer, product) if p is not None]
    if len(parts) == 2 and parts[1].lower().startswith(parts[0].lower()):
        parts = parts[1:]
    return " ".join(parts) or None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _positive(value) -> float | None:
    value = _number(value)
    return value if value is not None and value > 0 else None


def _positive_or_zero(value) -> float | None:
    value = _number(value)
    return value if value is not None and value >= 0 else None


def _ts(fit_seconds: float) -> pd.Timestamp:
    return pd.Timestamp(round((fit_seconds + FIT_EPOCH_UNIX_S) * 1e9), unit="ns", tz="UTC")
