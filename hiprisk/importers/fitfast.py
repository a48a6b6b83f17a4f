"""A vectorised FIT decoder: the messages an activity needs, read with numpy straight from the bytes.

:func:`decode` is a fast path for :func:`hiprisk.importers.fit.parse_fit`. It returns the same
intermediate as the fitparse pass there (the fields of ``fit._Decoded``, record columns as float64 arrays
with NaN for "no value"), so both decoders feed the same activity builder. Anything it does not clearly
handle raises :class:`Decline`, and the caller falls back to fitparse, the reference decoder: a file is
never worse off for having a fast path.

How it works (FIT Protocol [1]_):

1. **Framing.** Each FIT header (chained files have several) is checked, and the CRC-16 of the header and
   of the whole file is computed with the vectorised :func:`hiprisk.importers.fitcrc.fit_crc` (shared
   with the synthetic FIT writer).
2. **Message boundaries** in one tight loop over the bytes: between two definition messages every
   record-header byte maps to a fixed message size, so the loop is ``p += size[data[p]]``. Right after a
   definition, a run of messages of that size (a watch's 1 s records) is found in one numpy pass over
   the header bytes at that stride. Definitions are parsed once per distinct byte string and cached
   across files.
3. **Columns.** A field of all the data messages of one definition is one numpy array: a strided view of
   the file's bytes when the messages are evenly spaced, a gather otherwise (offsets and endianness from
   the definition, big-endian included); only the fields needed are read. Field 253 (``timestamp``) of
   every message feeds the compressed-timestamp accumulator (record headers with a 5-bit time offset,
   resolved with a cumulative sum) and the clock anchoring of relative timestamps.
4. **Semantics** are those of fitparse 1.2.0 as used by ``fit._take``: invalid-value sentinels mean "no
   value"; a name's *first valid* occurrence wins, in definition order, components (``altitude`` →
   ``enhanced_altitude``) before their field; subfields (``avg_running_cadence``, ``garmin_product``)
   follow their reference fields; scale and offset as ``float(raw) / scale - offset``; enum names, field
   names, scales and components come from the reference decoder's own profile (:class:`Profile`).
   Developer fields are skipped by size, after the same checks fitparse makes.

Declined (fitparse decides): bad or odd headers, CRC mismatches, truncation, data past the declared size,
undefined local message types, ``compressed_speed_distance`` holding values (an accumulated field; an
all-invalid one is fine) and any other accumulated or unusual field that would produce a value we read,
arrays, strings, floats or 64-bit integers where a number or a time is read, a compressed-timestamp
header on a message that also has field 253, developer fields without a description or whose size does
not fit their type.

References
----------
.. [1] Garmin, "FIT Protocol" (developer.garmin.com/fit/protocol/): File Header, Record Header (normal and
   compressed timestamp), Definition Message, Field Definition (base types and invalid values), Developer
   Data, CRC.
.. [2] python-fitparse 1.2.0, ``fitparse/base.py`` (``_parse_data_message``, subfields, components and the
   compressed timestamp accumulator), https://github.com/dtcooper/python-fitparse
"""

from __future__ import annotations

import math
import struct
from array import array
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .fitcrc import fit_crc

__all__ = ["Decline", "Profile", "decode"]

#: ``date_time`` values below this are seconds since device power-on (FIT Profile).
RELATIVE_TIME_LIMIT = 0x10000000
_TIMESTAMP = 253
_NOT_NOTED = (0, 78)  # file_id and hrv: their times do not feed the clock (see fit._take)
_DEV_DATA_ID, _FIELD_DESCRIPTION = 207, 206
_RECORD = 20
_DEF_CACHE_MAX = 4096

#: What is read from each message, by profile name (``timestamp`` is read from every message).
RECORD_NAMES = frozenset(
    {
        "position_lat",
        "position_long",
        "distance",
        "altitude",
        "enhanced_altitude",
        "speed",
        "enhanced_speed",
        "heart_rate",
        "cadence",
        "fractional_cadence",
    }
)
DICT_NAMES: dict[int, frozenset[str]] = {
    0: frozenset({"type", "manufacturer", "product", "time_created"}),  # file_id
    12: frozenset({"sport", "sub_sport"}),  # sport
    18: frozenset(  # session
        {
            "start_time",
            "sport",
            "sub_sport",
            "total_elapsed_time",
            "total_timer_time",
            "total_distance",
            "avg_heart_rate",
            "max_heart_rate",
            "avg_cadence",
            "avg_fractional_cadence",
            "total_ascent",
            "total_descent",
        }
    ),
    23: frozenset({"device_index", "product_name"}),  # device_info
    34: frozenset({"local_timestamp"}),  # activity
    162: frozenset({"system_timestamp"}),  # timestamp_correlation
    _FIELD_DESCRIPTION: frozenset({"developer_data_index", "field_definition_number", "fit_base_type_id"}),
    _DEV_DATA_ID: frozenset({"developer_data_index"}),
}


class Decline(Exception):  # noqa: N818 - not an error: "use the reference decoder for this file"
    """The fast path does not handle this file; the reason is one line."""


# --------------------------------------------------------------------------------------------------
# Base types (FIT Protocol, "Field Definition": base type number, invalid value)


@dataclass(frozen=True)
class _Base:
    name: str
    char: str  # struct / numpy type character
    size: int
    invalid: Any  # the "no value" sentinel; None for string/byte, NaN marker for floats

    @property
    def is_int(self) -> bool:
        """Read as one integer by fitparse (a byte field is a tuple of bytes, never a number)."""
        return self.char in "bBhHiIqQ" and self.name != "byte"


_BASES = {
    0x00: _Base("enum", "B", 1, 0xFF),
    0x01: _Base("sint8", "b", 1, 0x7F),
    0x02: _Base("uint8", "B", 1, 0xFF),
    0x83: _Base("sint16", "h", 2, 0x7FFF),
    0x84: _Base("uint16", "H", 2, 0xFFFF),
    0x85: _Base("sint32", "i", 4, 0x7FFFFFFF),
    0x86: _Base("uint32", "I", 4, 0xFFFFFFFF),
    0x07: _Base("string", "s", 1, None),
    0x88: _Base("float32", "f", 4, math.nan),
    0x89: _Base("float64", "d", 8, math.nan),
    0x0A: _Base("uint8z", "B", 1, 0),
    0x8B: _Base("uint16z", "H", 2, 0),
    0x8C: _Base("uint32z", "I", 4, 0),
    0x0D: _Base("byte", "B", 1, None),
    0x8E: _Base("sint64", "q", 8, 0x7FFFFFFFFFFFFFFF),
    0x8F: _Base("uint64", "Q", 8, 0xFFFFFFFFFFFFFFFF),
    0x90: _Base("uint64z", "Q", 8, 0),
}
_BYTE = 0x0D
_NUMPY_CHAR = {"b": "i1", "B": "u1", "h": "i2", "H": "u2", "i": "i4", "I": "u4", "q": "i8", "Q": "u8"}


# --------------------------------------------------------------------------------------------------
# The profile: names, scales, components and subfields of the messages we read


@dataclass(frozen=True)
class _Component:
    name: str  # destination field name
    scale: float | None
    offset: float | None
    bits: int
    bit_offset: int
    accumulate: bool


@dataclass(frozen=True)
class _Sub:
    name: str
    scale: float | None
    offset: float | None
    values: dict | None
    refs: tuple[tuple[int, int], ...]  # (reference field number, raw value)


@dataclass(frozen=True)
class _Field:
    name: str
    scale: float | None
    offset: float | None
    values: dict | None
    components: tuple[_Component, ...] = ()
    subfields: tuple[_Sub, ...] = ()


@dataclass(frozen=True)
class Profile:
    """The parts of the FIT profile the fast path needs, taken from the reference decoder.

    Build it with :meth:`from_fitparse`; nothing here imports a parser.
    """

    messages: frozenset[int]  # global message numbers the profile knows (others are unknown_<n>)
    timestamp_fields: dict[int, tuple[int, ...]]  # message → its fields named "timestamp"
    fields: dict[int, dict[int, _Field]]  # message → field number → field, for the messages we read
    declined_fields: dict[int, frozenset[int]]  # message → fields whose presence we do not handle
    invalid_only_fields: dict[int, frozenset[int]]  # message → byte fields handled only when invalid
    declined_messages: frozenset[int]  # messages whose timestamp we cannot read as an integer

    @classmethod
    def from_fitparse(cls, message_types: dict) -> Profile:
        """From ``fitparse.profile.MESSAGE_TYPES`` (read by duck typing).

        Whatever in the profile does not match the simple cases handled here becomes a decline rule
        (a message or field whose presence sends the file to fitparse), never a silent difference.
        """
        read = {_RECORD: RECORD_NAMES, **DICT_NAMES}
        fields: dict[int, dict[int, _Field]] = {}
        declined_fields: dict[int, set[int]] = {}
        invalid_only: dict[int, frozenset[int]] = {}
        declined_messages: set[int] = set()
        timestamp_fields: dict[int, tuple[int, ...]] = {}
        for num, mt in message_types.items():
            stamps = []
            for fnum, f in mt.fields.items():
                names = {f.name} | {s.name for s in f.subfields or ()} | {c.name for c in f.components or ()}
                if "timestamp" not in names:
                    continue
                plain = (
                    f.name == "timestamp"
                    and not f.subfields
                    and not f.components
                    and getattr(f.type, "name", None) == "date_time"
                    and not f.type.values
                    and not f.scale
                    and not f.offset
                )
                if not plain:
                    declined_messages.add(num)
                stamps.append(fnum)
            timestamp_fields[num] = tuple(stamps)
        for num, names in read.items():
            mt = message_types.get(num)
            if mt is None:
                continue
            table: dict[int, _Field] = {}
            bad: set[int] = set()
            only_invalid: set[int] = set()
            for fnum, f in mt.fields.items():
                comps = tuple(
                    _Component(c.name, c.scale, c.offset, c.bits, c.bit_offset, bool(c.accumulate))
                    for c in f.components or ()
                )
                subs = tuple(
                    _Sub(
                        s.name,
                        s.scale,
                        s.offset,
                        s.type.values or None,
                        tuple((r.def_num, r.raw_value) for r in s.ref_fields),
                    )
                    for s in f.subfields or ()
                )
                if any(s.name in names or s.name == "timestamp" for s in subs) and f.name not in names:
                    bad.add(fnum)  # a subfield we read under another parent: not handled
                if any(c.name in names and (c.accumulate or num != _RECORD) for c in comps):
                    # e.g. compressed_speed_distance → speed, distance (accumulated): handled only when
                    # the (byte) field is invalid, which makes fitparse skip its components too
                    byte = getattr(f.type, "name", None) == "byte" and num == _RECORD
                    (only_invalid if byte else bad).add(fnum)
                if num == _RECORD and f.name in names and (subs or f.type.values):
                    bad.add(fnum)  # record columns are plain numbers
                table[fnum] = _Field(f.name, f.scale, f.offset, f.type.values or None, comps, subs)
            fields[num] = table
            declined_fields[num] = frozenset(bad)
            invalid_only[num] = frozenset(only_invalid)
        return cls(
            messages=frozenset(message_types),
            timestamp_fields=timestamp_fields,
            fields=fields,
            declined_fields={k: frozenset(v) for k, v in declined_fields.items()},
            invalid_only_fields=invalid_only,
            declined_messages=frozenset(declined_messages),
        )


# --------------------------------------------------------------------------------------------------
# Definitions


@dataclass
class _Def:
    """One definition message (cached by its bytes)."""

    global_num: int
    big: bool
    fields: tuple[tuple[int, int, int, int], ...]  # (number, size, base type code, offset)
    dev_fields: tuple[tuple[int, int, int], ...]  # (number, size, developer data index)
    size: int  # data message payload size
    misaligned: int  # fields whose size is not a multiple of their base type's (read as bytes)
    zero_size: bool
    plans: dict = field(default_factory=dict)  # per Profile id: what to read

    def endian(self) -> str:
        return ">" if self.big else "<"


_DEF_CACHE: dict[bytes, _Def] = {}


def _parse_definition(data: bytes, p: int, end: int) -> tuple[_Def, int]:
    """The definition message whose header is at ``p``; returns it and the next position."""
    h = data[p]
    if p + 6 > end:
        raise Decline("definition message past the end of the data")
    n = data[p + 5]
    q = p + 6 + 3 * n
    if h & 0x20:
        if q >= end:
            raise Decline("definition message past the end of the data")
        q += 1 + 3 * data[q]
    if q > end:
        raise Decline("definition message past the end of the data")
    key = bytes([h & 0x20]) + data[p + 1 : q]
    found = _DEF_CACHE.get(key)
    if found is not None:
        return found, q
    big = data[p + 2] != 0
    (global_num,) = struct.unpack_from(">H" if big else "<H", data, p + 3)
    fields = []
    offset = misaligned = 0
    zero = False
    for i in range(n):
        num, size, base = data[p + 6 + 3 * i : p + 9 + 3 * i]
        if base not in _BASES:
            base = _BYTE  # fitparse: unknown base types are bytes
        if size % _BASES[base].size:
            base = _BYTE  # fit._FitFile: a size that does not fit its type is read as bytes
            misaligned += 1
        zero = zero or size == 0
        fields.append((num, size, base, offset))
        offset += size
    dev = []
    if h & 0x20:
        r = p + 6 + 3 * n
        for i in range(data[r]):
            num, size, index = data[r + 1 + 3 * i : r + 4 + 3 * i]
            zero = zero or size == 0
            dev.append((num, size, index))
            offset += size
    d = _Def(global_num, big, tuple(fields), tuple(dev), offset, misaligned, zero)
    if len(_DEF_CACHE) >= _DEF_CACHE_MAX:
        _DEF_CACHE.clear()
    _DEF_CACHE[key] = d
    return d, q


@dataclass
class _Plan:
    """What one definition contributes, for one profile."""

    known: bool
    noted: bool  # its timestamps feed the clock
    decline: str | None  # reason to decline if a data message uses it
    stamp253: tuple[tuple[int, str, int], ...]  # field 253 (offset, dtype, invalid): the accumulator
    stamp_named: tuple[tuple[int, str, int], ...]  # fields named "timestamp": (offset, dtype, invalid)
    must_be_invalid: tuple[tuple[int, int], ...] = ()  # (offset, size) of byte fields that must be 0xFF…
    record: tuple | None = None  # record columns: ((name, offset, dtype, invalid, mode, args), ...)
    read: tuple = ()  # other messages: (field index, profile field) of the fields with a name we read


def _plan(d: _Def, profile: Profile) -> _Plan:
    key = id(profile)
    found = d.plans.get(key)
    if found is not None and found[0] is profile:
        return found[1]
    plan = _make_plan(d, profile)
    d.plans[key] = (profile, plan)
    return plan


def _plain_int(b: _Base, size: int) -> bool:
    """One integer of at most 32 bits (exact in int64 and float64)."""
    return b.is_int and size == b.size and b.size <= 4


def _dtype(d: _Def, base: int) -> str:
    b = _BASES[base]
    return d.endian() + (_NUMPY_CHAR.get(b.char) or ("f4" if b.char == "f" else "f8"))


def _make_plan(d: _Def, profile: Profile) -> _Plan:
    g = d.global_num
    known = g in profile.messages
    decline = None
    if d.zero_size:
        decline = "a field of size 0"
    elif g in profile.declined_messages:
        decline = f"message {g}: timestamp not a plain date_time"
    bad = profile.declined_fields.get(g, frozenset())
    if decline is None and any(num in bad for num, *_ in d.fields):
        decline = f"message {g}: a field the fast path does not handle"
    if decline is None and any(num == _TIMESTAMP for num, *_ in d.dev_fields):
        decline = "a developer field numbered 253"
    stamp253 = []
    for num, size, base, off in d.fields:
        if num == _TIMESTAMP:
            b = _BASES[base]
            if not _plain_int(b, size):
                decline = decline or "field 253 is not one integer of at most 32 bits"
                continue
            stamp253.append((off, _dtype(d, base), b.invalid))
    must_be_invalid = []
    for num, size, base, off in d.fields:
        if num in profile.invalid_only_fields.get(g, ()):
            if base != _BYTE:
                decline = decline or f"message {g}: field {num} is not a byte field"
            must_be_invalid.append((off, size))
    named = []
    if known:
        for num, size, base, off in d.fields:
            if num in profile.timestamp_fields.get(g, ()):
                b = _BASES[base]
                if not _plain_int(b, size):
                    decline = decline or "a timestamp that is not one integer"
                    continue
                named.append((off, _dtype(d, base), b.invalid))
    noted = known and g not in _NOT_NOTED
    plan = _Plan(known, noted, decline, tuple(stamp253), tuple(named), tuple(must_be_invalid))
    table = profile.fields.get(g, {})
    names = DICT_NAMES.get(g, frozenset())
    plan.read = tuple(
        (i, table[num])
        for i, (num, *_rest) in enumerate(d.fields)
        if num in table and (table[num].name in names or any(s.name in names for s in table[num].subfields))
    )
    if g == _RECORD and known and decline is None:
        skip = profile.invalid_only_fields.get(_RECORD, frozenset())
        plan.record, plan.decline = _record_plan(d, profile.fields.get(_RECORD, {}), skip)
    return plan


def _record_plan(d: _Def, table: dict[int, _Field], skip: frozenset[int]):
    """Column sources of a record definition, in fitparse's order: components, then their field.

    Fields in ``skip`` are checked to be invalid in every message (their components are then skipped).
    """
    out = []
    for num, size, base, off in d.fields:
        spec = table.get(num)
        if spec is None or num in skip:
            continue
        b = _BASES[base]
        wanted = [c for c in spec.components if c.name in RECORD_NAMES]
        if spec.name in RECORD_NAMES or wanted:
            if not _plain_int(b, size):
                return None, f"record field {spec.name}: {b.name} of {size} bytes"
            dtype = _dtype(d, base)
        for c in wanted:
            args = (c.bits, c.bit_offset, c.scale, c.offset)
            out.append((c.name, off, dtype, b.invalid, "component", args))
        if spec.name in RECORD_NAMES:
            out.append((spec.name, off, dtype, b.invalid, "field", (spec.scale, spec.offset)))
    return tuple(out), None


# --------------------------------------------------------------------------------------------------
# Raw values of single messages (the few non-record messages), exactly as fitparse parses them


def _parse_string(raw: bytes) -> str | None:
    cut = raw.find(b"\0")
    return (raw if cut < 0 else raw[:cut]).decode("utf-8", errors="replace") or None


def _raw_value(data: bytes, at: int, size: int, base: int, endian: str):
    b = _BASES[base]
    if base == _BYTE:
        chunk = data[at : at + size]
        return None if all(x == 0xFF for x in chunk) else tuple(chunk)
    if b.char == "s":
        return _parse_string(data[at : at + size])
    n = size // b.size
    values = struct.unpack_from(f"{endian}{n}{b.char}", data, at)
    if b.char in "fd":
        parsed = tuple(None if math.isnan(v) else v for v in values)
    else:
        parsed = tuple(None if v == b.invalid else v for v in values)
    return parsed[0] if n == 1 else parsed


def _render(values: dict | None, scale, offset, raw):
    """fitparse: ``render`` (enum name), then scale and offset on numbers (element-wise in a tuple)."""
    value = values[raw] if values and raw in values else raw
    return _scale_offset(value, scale, offset)


def _scale_offset(value, scale, offset):
    if isinstance(value, tuple):
        return tuple(_scale_offset(v, scale, offset) for v in value)
    if isinstance(value, (int, float)):
        if scale:
            value = float(value) / scale
        if offset:
            value = value - offset
    return value


def _message_values(data: bytes, pos: int, d: _Def, read: tuple) -> dict:
    """Name → first valid value of one data message (payload at ``pos``), for the fields in ``read``."""
    endian = d.endian()
    cache: dict[int, Any] = {}

    def raw_of(i: int):
        if i not in cache:
            num, size, base, off = d.fields[i]
            cache[i] = _raw_value(data, pos + off, size, base, endian)
        return cache[i]

    out: dict = {}
    for i, spec in read:
        raw = raw_of(i)
        if raw is None:
            continue
        target: Any = spec
        parent = None
        for sub in spec.subfields:
            if _sub_matches(sub, d, raw_of):
                target, parent = sub, spec
                break
        value = _render(target.values, target.scale, target.offset, raw)
        if value is None:
            continue
        out.setdefault(target.name, value)
        if parent is not None:
            out.setdefault(parent.name, value)
    return out


def _sub_matches(sub: _Sub, d: _Def, raw_of) -> bool:
    for ref_num, ref_raw in sub.refs:
        for j, (num, *_rest) in enumerate(d.fields):
            if num == ref_num and raw_of(j) == ref_raw:
                return True
    return False


# --------------------------------------------------------------------------------------------------
# The decoder


@dataclass
class _Scan:
    """Data message positions (header byte) and, per stretch between definitions, local type → def."""

    starts: array = field(default_factory=lambda: array("q"))
    stretches: list[tuple[int, tuple]] = field(default_factory=list)  # (first index in starts, defs)
    segments: list[int] = field(default_factory=list)  # index in starts where each FIT file begins
    byte_fallbacks: int = 0
    dev: dict = field(default_factory=dict)  # developer data index → {field number: base type size}


def decode(data: bytes, profile: Profile) -> dict:
    """Decode FIT bytes (a whole file, chained files included) into ``fit._Decoded`` fields.

    Parameters
    ----------
    data : bytes
        The file's content (already inflated; the first header already checked by the caller).
    profile : Profile
        From :meth:`Profile.from_fitparse`.

    Returns
    -------
    dict
        Keyword arguments for ``hiprisk.importers.fit._Decoded``; the ``rec_*`` columns are float64 arrays
        (NaN = no value), ``rec_time`` in raw FIT seconds (relative ones not anchored yet).

    Raises
    ------
    Decline
        The file is damaged or has something the fast path does not handle; decode it with fitparse.
    """
    try:
        return _decode(data, profile)
    except Decline:
        raise
    except Exception as exc:  # a file shape not foreseen: the reference decoder decides
        raise Decline(f"internal: {type(exc).__name__}: {exc}") from exc


def _decode(data: bytes, profile: Profile) -> dict:
    scan = _Scan()
    p = 0
    total = len(data)
    while p < total:
        if total - p < 12 or data[p + 8 : p + 12] != b".FIT":
            raise Decline("bad or truncated FIT header")
        header_size = data[p]
        if header_size not in (12, 14):
            raise Decline(f"header size {header_size}")
        if header_size == 14:
            if total - p < 14:
                raise Decline("truncated header")
            stored = data[p + 12] | data[p + 13] << 8
            if stored and stored != fit_crc(data[p : p + 12]):
                raise Decline("header CRC mismatch")
        (data_size,) = struct.unpack_from("<I", data, p + 4)
        start, end = p + header_size, p + header_size + data_size
        if end + 2 > total:
            raise Decline("truncated file")
        if fit_crc(data[p:end]) != (data[end] | data[end + 1] << 8):
            raise Decline("file CRC mismatch")
        scan.segments.append(len(scan.starts))
        _scan_messages(data, start, end, scan, profile)
        p = end + 2
    return _assemble(data, scan, profile)


# local message type of a data-message header byte; -1 for definition headers
_LOCAL = np.array(
    [((h >> 5) & 3) if h & 0x80 else (-1 if h & 0x40 else h & 0x0F) for h in range(256)], dtype=np.int64
)
_HEADERS_OF_LOCAL = [
    [h for h in range(256) if h & 0xC0 != 0x40 and _LOCAL[h] == local] for local in range(16)
]


def _scan_messages(data: bytes, p: int, end: int, scan: _Scan, profile: Profile) -> None:
    """Find every message between ``p`` and ``end`` (one FIT file of a chain)."""
    step = [0] * 256  # header byte → 1 + payload size; 0 = stop (definition, undefined or special)
    step_np = np.zeros(256, dtype=np.int64)  # the same, for the vectorised run jump
    defs: list[_Def | None] = [None] * 16
    starts = scan.starts
    append = starts.append
    scan.stretches.append((len(starts), tuple(defs)))
    buf = None
    while True:
        while p < end:  # the hot loop
            s = step[data[p]]
            if not s:
                break
            append(p)
            p += s
        if p >= end:
            break
        h = data[p]
        if h & 0xC0 == 0x40:  # definition message
            d, p = _parse_definition(data, p, end)
            _check_dev_fields(d, scan)
            scan.byte_fallbacks += d.misaligned
            local = h & 0x0F
            defs[local] = d
            special = d.global_num in (_DEV_DATA_ID, _FIELD_DESCRIPTION) and d.global_num in profile.messages
            size = 0 if special else d.size + 1
            for header in _HEADERS_OF_LOCAL[local]:
                step[header] = size
            step_np[_HEADERS_OF_LOCAL[local]] = size
            scan.stretches.append((len(starts), tuple(defs)))
            # a definition is often followed by a long run of its messages (records at 1 s): when the
            # next three messages have the same size, find where the run ends in one numpy pass
            if (
                size
                and p + 2 * size < end
                and step[data[p]] == size
                and step[data[p + size]] == size
                and step[data[p + 2 * size]] == size
            ):
                if buf is None:
                    buf = np.frombuffer(data, dtype=np.uint8)
                n = (end - p) // size  # messages of this size that fit before the end
                same = step_np[buf[p : p + n * size : size]] == size
                k = n if same.all() else int(same.argmin())
                starts.frombytes(np.arange(p, p + k * size, size, dtype=np.int64).tobytes())  # = extend
                p += k * size
            continue
        d = defs[int(_LOCAL[h])]
        if d is None:
            raise Decline(f"data message of undefined local type {int(_LOCAL[h])}")
        # developer data messages: registered now, as fitparse does, before later definitions use them
        if p + 1 + d.size > end:
            raise Decline("message past the end of the data")
        _register_dev(data, p + 1, d, scan, profile)
        append(p)
        p += 1 + d.size
    if p != end:
        raise Decline("a message runs past the declared data size")


def _check_dev_fields(d: _Def, scan: _Scan) -> None:
    for num, size, index in d.dev_fields:
        sizes = scan.dev.get(index)
        if sizes is None or num not in sizes:
            raise Decline(f"developer field {index}/{num} without a description")
        if size % sizes[num]:
            raise Decline("developer field size does not fit its type")


def _register_dev(data: bytes, pos: int, d: _Def, scan: _Scan, profile: Profile) -> None:
    g = d.global_num
    values = _message_raw_by_name(data, pos, d, profile.fields.get(g, {}), DICT_NAMES[g])
    index = values.get("developer_data_index")
    if g == _DEV_DATA_ID:
        scan.dev[index] = {}
        return
    base, num = values.get("fit_base_type_id"), values.get("field_definition_number")
    if not (_is_int(index) and _is_int(num) and _is_int(base)) or index not in scan.dev or base not in _BASES:
        raise Decline("field description of an unknown developer or base type, or not plain numbers")
    scan.dev[index][num] = _BASES[base].size


def _message_raw_by_name(data: bytes, pos: int, d: _Def, table: dict[int, _Field], names) -> dict:
    """fitparse ``get_raw_value``: the raw value of the first field of each name."""
    out: dict = {}
    endian = d.endian()
    for num, size, base, off in d.fields:
        spec = table.get(num)
        if spec is not None and spec.name in names and spec.name not in out:
            out[spec.name] = _raw_value(data, pos + off, size, base, endian)
    return out


class _Rows:
    """The payload positions of one definition's messages, and their spacing when it is even."""

    def __init__(self, data: bytes, buf: np.ndarray, pos: np.ndarray) -> None:
        self.data, self.buf, self.pos = data, buf, pos
        self.stride = None
        if pos.size > 1:
            gaps = np.diff(pos)
            if (gaps == gaps[0]).all() and gaps[0] > 0:
                self.stride = int(gaps[0])  # a run: fields are strided views of the bytes, no copy

    def field(self, offset: int, dtype: str) -> np.ndarray:
        """The value at ``offset`` of every message, as int64."""
        pos = self.pos
        if pos.size == 0:
            return np.zeros(0, dtype=np.int64)
        dt = np.dtype(dtype)
        if self.stride is not None:
            start = int(pos[0]) + offset
            raw = np.ndarray((pos.size,), dtype=dt, buffer=self.data, offset=start, strides=(self.stride,))
        else:
            idx = pos[:, None] + (offset + np.arange(dt.itemsize))
            raw = self.buf[idx].view(dt).reshape(pos.size)
        return raw.astype(np.int64)


def _assemble(data: bytes, scan: _Scan, profile: Profile) -> dict:
    buf = np.frombuffer(data, dtype=np.uint8)
    starts = np.frombuffer(scan.starts, dtype=np.int64) if scan.starts else np.zeros(0, np.int64)
    n = starts.size
    headers = buf[starts] if n else np.zeros(0, dtype=np.uint8)
    local = _LOCAL[headers]

    # definition of every data message
    defs: list[_Def] = []
    def_ids: dict[int, int] = {}
    msg_def = np.empty(n, dtype=np.int64)
    bounds = [s for s, _ in scan.stretches] + [n]
    for (first, table), last in zip(scan.stretches, bounds[1:], strict=True):
        if first == last:
            continue
        ids = np.full(16, -1, dtype=np.int64)
        for loc, d in enumerate(table):
            if d is not None:
                ids[loc] = def_ids.setdefault(id(d), len(defs))
                if ids[loc] == len(defs):
                    defs.append(d)
        msg_def[first:last] = ids[local[first:last]]
    plans = [_plan(d, profile) for d in defs]
    payload = starts + 1
    compressed = (headers & 0x80) != 0

    # field 253 of every message (the accumulator), and each known message's own "timestamp"
    anchor = np.zeros(n, dtype=bool)
    anchor_value = np.zeros(n, dtype=np.int64)
    stamp = np.full(n, -1, dtype=np.int64)  # -1: none yet (timestamps are unsigned in practice)
    has_stamp = np.zeros(n, dtype=bool)
    order = np.argsort(msg_def.astype(np.int16) if len(defs) < 2**15 else msg_def, kind="stable")  # radix
    cuts = np.searchsorted(msg_def[order], np.arange(len(defs) + 1))
    members = [order[cuts[k] : cuts[k + 1]] for k in range(len(defs))]
    row_sets: dict[int, _Rows] = {}
    for k, plan in enumerate(plans):
        rows = members[k]
        if rows.size == 0:
            continue
        if plan.decline:
            raise Decline(plan.decline)
        for off, size in plan.must_be_invalid:
            if size and not (buf[payload[rows][:, None] + (off + np.arange(size))] == 0xFF).all():
                raise Decline(f"message {defs[k].global_num}: an accumulated field with values")
        if plan.stamp253 and compressed[rows].any():
            raise Decline("a compressed-timestamp message that also has field 253")
        rows_of = row_sets[k] = _Rows(data, buf, payload[rows])
        for off, dtype, invalid in plan.stamp253:  # each valid one sets the accumulator: the last wins
            value = rows_of.field(off, dtype)
            valid = value != invalid
            anchor[rows] |= valid
            anchor_value[rows] = np.where(valid, value, anchor_value[rows])
        for off, dtype, invalid in plan.stamp_named:
            value = rows_of.field(off, dtype)
            take = (value != invalid) & ~has_stamp[rows]
            stamp[rows[take]] = value[take]
            has_stamp[rows[take]] = True

    # compressed timestamps: ts = acc + ((offset - acc) mod 32); acc resets to 0 at each chained file
    if compressed.any():
        real = np.flatnonzero(anchor | compressed)
        seg = np.array([i for i in scan.segments if i < n], dtype=np.int64)  # virtual anchors at 0
        ev_key = np.concatenate([seg * 2, real * 2 + 1])  # a file's virtual anchor sorts first
        ev_anchor = np.concatenate([np.ones(seg.size, bool), anchor[real]])
        ev_value = np.concatenate(
            [np.zeros(seg.size, np.int64), np.where(anchor[real], anchor_value[real], headers[real] & 0x1F)]
        )
        ev_msg = np.concatenate([np.full(seg.size, -1, np.int64), real])
        o = np.argsort(ev_key, kind="stable")
        ev_anchor, ev_value, ev_msg = ev_anchor[o], ev_value[o], ev_msg[o]
        low = np.where(ev_anchor, ev_value & 0x1F, ev_value)
        prev = np.concatenate([[0], low[:-1]])
        delta = np.where(ev_anchor, 0, (ev_value - prev) % 32)
        csum = np.cumsum(delta)
        last_anchor = np.maximum.accumulate(np.where(ev_anchor, np.arange(o.size), 0))
        times = ev_value[last_anchor] + csum - csum[last_anchor]
        is_comp = ~ev_anchor
        comp_msgs = ev_msg[is_comp]
        comp_times = times[is_comp]
        fill = ~has_stamp[comp_msgs]
        stamp[comp_msgs[fill]] = comp_times[fill]
        has_stamp[comp_msgs[fill]] = True

    out: dict[str, Any] = {"byte_fallbacks": scan.byte_fallbacks}
    noted = np.array([p.noted for p in plans], dtype=bool)[msg_def] if n else np.zeros(0, bool)
    _clock_fields(stamp, has_stamp & noted, out)

    # records: columns in file order
    rec = [k for k, p in enumerate(plans) if p.record is not None and members[k].size]
    _record_fields(stamp, has_stamp, [members[k] for k in rec], [row_sets[k] for k in rec],
                   [plans[k] for k in rec], out)  # fmt: skip

    # the few other messages, one by one, in file order
    _dict_fields(data, payload, stamp, has_stamp, defs, plans, members, out)
    return out


def _clock_fields(stamp: np.ndarray, noted: np.ndarray, out: dict) -> None:
    """``fit._note_time`` over the noted timestamps, in file order."""
    ts = stamp[noted]
    absolute = ts >= RELATIVE_TIME_LIMIT
    out.update(first_abs=None, first_rel=None, rel_before_abs=None, first_rel_after_abs=None, last_rel=None)
    rel_idx = np.flatnonzero(~absolute)
    abs_idx = np.flatnonzero(absolute)
    if rel_idx.size:
        out["first_rel"] = int(ts[rel_idx[0]])
        out["last_rel"] = int(ts[rel_idx[-1]])
    if abs_idx.size:
        first = abs_idx[0]
        out["first_abs"] = int(ts[first])
        before = rel_idx[rel_idx < first]
        after = rel_idx[rel_idx > first]
        out["rel_before_abs"] = int(ts[before[-1]]) if before.size else None
        out["first_rel_after_abs"] = int(ts[after[0]]) if after.size else None


def _record_fields(stamp, has_stamp, rec_rows, rec_sets, rec_plans, out) -> None:
    rows = np.concatenate(rec_rows) if rec_rows else np.zeros(0, dtype=np.int64)
    # message index = file order; one record definition (the usual file) is in file order already
    order = None if (np.diff(rows) > 0).all() else np.argsort(rows, kind="stable")
    n = rows.size
    cols = {name: np.full(n, np.nan) for name in RECORD_NAMES}
    at = 0
    for r, rows_of, plan in zip(rec_rows, rec_sets, rec_plans, strict=True):
        block = {name: np.full(r.size, np.nan) for name in RECORD_NAMES}
        raw_cache: dict[tuple[int, str], np.ndarray] = {}
        for name, off, dtype, invalid, mode, args in plan.record:
            raw = raw_cache.get((off, dtype))
            if raw is None:
                raw = raw_cache[(off, dtype)] = rows_of.field(off, dtype)
            valid = raw != invalid
            if mode == "component":
                bits, bit_offset, scale, offset = args
                value = (raw >> bit_offset) & ((1 << bits) - 1)
            else:
                scale, offset = args
                value = raw
            value = value.astype(np.float64)
            if scale:
                value = value / float(scale)
            if offset:
                value = value - offset
            target = block[name]
            fill = valid & np.isnan(target)
            target[fill] = value[fill]
        for name in RECORD_NAMES:
            cols[name][at : at + r.size] = block[name]
        at += r.size
    if order is not None:
        cols = {name: c[order] for name, c in cols.items()}
        rows = rows[order]
    times = np.where(has_stamp[rows], stamp[rows], -1).astype(np.float64)
    times[~has_stamp[rows]] = np.nan
    alt = np.where(np.isnan(cols["enhanced_altitude"]), cols["altitude"], cols["enhanced_altitude"])
    speed = np.where(np.isnan(cols["enhanced_speed"]), cols["speed"], cols["enhanced_speed"])
    out.update(
        rec_time=times,
        rec_dist=cols["distance"],
        rec_lat=cols["position_lat"],
        rec_lon=cols["position_long"],
        rec_alt=alt,
        rec_speed=speed,
        rec_hr=cols["heart_rate"],
        rec_cad=cols["cadence"],
        rec_frac=cols["fractional_cadence"],
    )


def _dict_fields(data, payload, stamp, has_stamp, defs, plans, members, out) -> None:
    """file_id, sport, session, device_info, activity and timestamp_correlation, as ``fit._take``."""
    wanted = [k for k, d in enumerate(defs) if d.global_num in DICT_NAMES and plans[k].known]
    rows = np.sort(np.concatenate([members[k] for k in wanted])) if wanted else np.zeros(0, np.int64)
    def_of, plans_of = {}, {}
    for k in wanted:
        for r in members[k].tolist():
            def_of[r], plans_of[r] = defs[k], plans[k]
    out.update(
        file_types=[],
        file_id=None,
        device_names=[],
        sports=[],
        sessions=[],
        activity=None,
        correlation=None,
        time_created=None,
    )
    for r in rows.tolist():
        d = def_of[r]
        g = d.global_num
        if g in (_DEV_DATA_ID, _FIELD_DESCRIPTION):
            continue
        v = _message_values(data, int(payload[r]), d, plans_of[r].read)
        if has_stamp[r]:
            v["timestamp"] = int(stamp[r])
        if g == 0:
            ftype = v.get("type")
            created = v.get("time_created")
            if out["time_created"] is None and _is_int(created) and created >= RELATIVE_TIME_LIMIT:
                out["time_created"] = created
            out["file_types"].append(ftype)
            fid = out["file_id"]
            if fid is None or (fid.get("type") != "activity" and ftype == "activity"):
                out["file_id"] = v
        elif g == 18:
            out["sessions"].append(v)
        elif g == 12:
            out["sports"].append(v)
        elif g == 34:
            if out["activity"] is None:
                out["activity"] = v
        elif g == 23:
            name = v.get("product_name")
            if isinstance(name, str) and name.strip():
                out["device_names"].append((v.get("device_index"), name.strip()))
        elif g == 162 and out["correlation"] is None:
            absolute, relative = v.get("timestamp"), v.get("system_timestamp")
            if _is_int(absolute) and _is_int(relative) and absolute >= RELATIVE_TIME_LIMIT:
                out["correlation"] = (absolute, relative)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
