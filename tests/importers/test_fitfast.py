"""Tests of the vectorised FIT decoder (hiprisk.importers.fitfast) against fitparse, the reference decoder.

The oracle is fitparse itself: each file goes through :func:`hiprisk.importers.fit.parse_fit` twice, with the
fast path off (fitparse alone) and on, and the resulting activities must be equal — totals, sport, offsets,
device, notes, and every sample column within half its FIT resolution — or fail with the same error. Files
come from the real-device corpus (every FIT file: the small ones in the default suite, the rest with
``-m slow``), from hand-made FIT bytes that isolate one protocol feature each (big-endian definitions,
compressed timestamps, developer fields, chained files, invalid sentinels, subfields, components), and from
hypothesis-generated record streams. Where the fast path must decline, the test says which files and why.
"""

from __future__ import annotations

import math
import struct
from dataclasses import fields as dc_fields
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hiprisk.errors import HipriskError
from hiprisk.importers import fit, fitfast
from hiprisk.importers.fitcrc import fit_crc

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
T0 = 1_000_000_000  # an absolute FIT time (2021-09-08 01:46:40 UTC)
FILE_ID, SPORT, SESSION, RECORD, EVENT, DEVICE_INFO, ACTIVITY = 0, 12, 18, 20, 21, 23, 34
TS_CORRELATION, FIELD_DESCRIPTION, DEV_DATA_ID = 162, 206, 207

# --------------------------------------------------------------------------------------------------
# A FIT writer for hand-made files (FIT Protocol: header, definition and data messages, CRC)

TYPES = {  # name: (base type number, struct character, size, invalid value)
    "enum": (0x00, "B", 1, 0xFF),
    "sint8": (0x01, "b", 1, 0x7F),
    "uint8": (0x02, "B", 1, 0xFF),
    "sint16": (0x83, "h", 2, 0x7FFF),
    "uint16": (0x84, "H", 2, 0xFFFF),
    "sint32": (0x85, "i", 4, 0x7FFFFFFF),
    "uint32": (0x86, "I", 4, 0xFFFFFFFF),
    "float32": (0x88, "f", 4, math.nan),
    "uint8z": (0x0A, "B", 1, 0),
    "uint16z": (0x8B, "H", 2, 0),
    "uint32z": (0x8C, "I", 4, 0),
    "string": (0x07, "s", 1, None),
    "byte": (0x0D, "B", 1, 0xFF),
}


class Writer:
    """Definition and data messages; ``file()`` frames them (header, CRCs).

    A field is ``(number, type)`` or ``(number, type, size)`` (strings, byte fields, arrays). A value of
    ``None`` is the type's invalid sentinel; byte fields and strings take ``bytes`` / ``str``.
    """

    def __init__(self) -> None:
        self.body = b""
        self.layouts: dict[int, tuple] = {}

    def define(self, local: int, mesg: int, fields, *, big: bool = False, dev=(), size_override=None):
        spec = []
        raw = b""
        for f in fields:
            num, kind = f[0], f[1]
            base, _char, unit, _inv = TYPES[kind]
            size = f[2] if len(f) > 2 else unit
            spec.append((num, kind, size))
            raw += bytes([num, size if size_override is None else size_override.get(num, size), base])
        header = 0x40 | local | (0x20 if dev else 0)
        self.body += bytes([header, 0, 1 if big else 0]) + struct.pack(">H" if big else "<H", mesg)
        self.body += bytes([len(spec)]) + raw
        if dev:
            self.body += bytes([len(dev)]) + b"".join(bytes(d) for d in dev)
        self.layouts[local] = (spec, big, sum(d[1] for d in dev))
        return self

    def data(self, local: int, *values, compressed: int | None = None, dev: bytes | None = None):
        spec, big, dev_size = self.layouts[local]
        end = ">" if big else "<"
        out = b""
        for (_num, kind, size), value in zip(spec, values, strict=True):
            _base, char, unit, invalid = TYPES[kind]
            if kind == "string":
                out += (value or "").encode().ljust(size, b"\0")[:size]
            elif kind == "byte":
                out += (value if value is not None else b"\xff" * size)[:size].ljust(size, b"\xff")
            elif size != unit:  # array
                items = value if value is not None else (None,) * (size // unit)
                out += b"".join(struct.pack(end + char, invalid if v is None else v) for v in items)
            else:
                out += struct.pack(end + char, invalid if value is None else value)
        out += dev if dev is not None else b"\0" * dev_size
        header = local if compressed is None else 0x80 | (local << 5) | (compressed & 0x1F)
        self.body += bytes([header]) + out
        return self

    def file(self, header_size: int = 14) -> bytes:
        head = struct.pack("<BBHI4s", header_size, 0x20, 2132, len(self.body), b".FIT")
        if header_size == 14:
            head += struct.pack("<H", fit_crc(head))
        data = head + self.body
        return data + struct.pack("<H", fit_crc(data))


def file_id(w: Writer, local: int = 0, *, kind: int = 4, manufacturer: int = 1, product: int = 3291):
    w.define(local, FILE_ID, [(0, "enum"), (1, "uint16"), (2, "uint16"), (4, "uint32")])
    return w.data(local, kind, manufacturer, product, T0)


def session(w: Writer, local: int, start: int, elapsed_s: int, *, sport: int = 1, distance_m=None, cad=None):
    w.define(
        local,
        SESSION,
        [(253, "uint32"), (2, "uint32"), (5, "enum"), (6, "enum"), (7, "uint32"), (8, "uint32"),
         (9, "uint32"), (16, "uint8"), (18, "uint8"), (92, "uint8"), (22, "uint16"), (23, "uint16")],
    )  # fmt: skip
    dist = None if distance_m is None else round(distance_m * 100)
    return w.data(local, start + elapsed_s, start, sport, 0, elapsed_s * 1000, elapsed_s * 1000, dist, 140,
                  cad, 64 if cad else None, 12, 30)  # fmt: skip


def activity(w: Writer, local: int, t: int, local_offset_s: int = 3600) -> Writer:
    w.define(local, ACTIVITY, [(253, "uint32"), (5, "uint32")])
    return w.data(local, t, t + local_offset_s)


# --------------------------------------------------------------------------------------------------
# Comparing the two decoders

#: Half the FIT resolution of each sample column.
RESOLUTION = {
    "elapsed_s": 0.0,
    "distance_m": 0.005,
    "lat_deg": 0.5 * 180 / 2**31,
    "lon_deg": 0.5 * 180 / 2**31,
    "elevation_m": 0.1,
    "speed_m_s": 0.0005,
    "hr_bpm": 0.0,
    "cadence_spm": 1 / 128,
}


def _parse(data: bytes, fast: bool, monkeypatch=None):
    old = fit.FAST_PATH
    fit.FAST_PATH = fast
    try:
        return fit.parse_fit(data, "x.fit")
    except HipriskError as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        fit.FAST_PATH = old


def declined(data: bytes) -> str | None:
    """The fast path's reason to decline ``data`` (None: it decodes it)."""
    try:
        fitfast.decode(fit._gunzip_if_needed(data, "x.fit"), fit._fast_profile())
    except fitfast.Decline as exc:
        return str(exc)
    return None


def assert_same_activities(ref, fast) -> None:
    if isinstance(ref, str) or isinstance(fast, str):
        assert fast == ref
        return
    assert len(fast) == len(ref)
    for a, b in zip(ref, fast, strict=True):
        for f in dc_fields(a):
            x, y = getattr(a, f.name), getattr(b, f.name)
            if f.name == "samples":
                assert list(y.columns) == list(x.columns) and len(y) == len(x)
                assert y["time_utc"].equals(x["time_utc"])
                for col, tol in RESOLUTION.items():
                    u, v = x[col].to_numpy(float), y[col].to_numpy(float)
                    np.testing.assert_array_equal(np.isnan(v), np.isnan(u), err_msg=col)
                    assert np.nanmax(np.abs(u - v), initial=0.0) <= tol, col
            elif isinstance(x, float) and math.isnan(x):
                assert isinstance(y, float) and math.isnan(y), f.name
            else:
                assert y == x, f.name


def check_same(data: bytes, *, handled: bool = True):
    """Both decoders give the same activities (or error); ``handled``: the fast path must not decline."""
    reason = declined(data)
    if handled:
        assert reason is None, reason
    ref, fast = _parse(data, False), _parse(data, True)
    assert_same_activities(ref, fast)
    return fast, reason


# --------------------------------------------------------------------------------------------------
# The real-device corpus

SMALL = 40_000  # bytes: larger corpus files are compared with -m slow (fitparse takes ~5 s per MB)
DEFAULT_EXTRA = {  # features the small files do not show: chained headers, repeated 253, null compressed data
    "odd/sample_mulitple_header.fit",
    "odd/2024-10-14-070422-Pool Swim-BingiWatch.fit",
    "odd/null_compressed_speed_dist.fit",
    "history/519243248.fit",
}
#: The only corpus files the fast path leaves to fitparse, and why.
EXPECTED_DECLINES = {
    "odd/compressed-speed-distance.fit": "accumulated",  # compressed_speed_distance with values
    "odd/invalid/activity-filecrc.fit": "CRC",
    "odd/invalid/activity-activity-filecrc.fit": "CRC",
    "odd/invalid/activity-unexpected-eof.fit": "truncated",
    "odd/invalid/activity-settings-nodata.fit": "truncated",
    "odd/invalid/activity-settings-corruptheader.fit": "header",
    "odd/nick.fit": "CRC",  # no proper end
    "odd/strava-android-app-201.10-b1218918.fit": "truncated",  # ends inside its declared data
}


def _corpus_files() -> list:
    if not CORPUS.is_dir():
        return []
    params = []
    for p in sorted(CORPUS.rglob("*")):
        if not (p.suffix.lower() == ".fit" or p.name.lower().endswith(".fit.gz")):
            continue
        rel = p.relative_to(CORPUS).as_posix()
        small = p.stat().st_size < SMALL and not rel.startswith("history/")
        slow = not (small or rel in DEFAULT_EXTRA)
        params.append(pytest.param(rel, id=rel, marks=[pytest.mark.slow] if slow else []))
    return params


@pytest.mark.parametrize("rel", _corpus_files())
def test_corpus_file_same_as_fitparse(corpus, rel):
    data = (corpus / rel).read_bytes()
    _fast, reason = check_same(data, handled=rel not in EXPECTED_DECLINES)
    if rel in EXPECTED_DECLINES:
        assert reason is not None and EXPECTED_DECLINES[rel] in reason


def test_known_corpus_values_through_the_fast_path(corpus):
    """Oracles of SOURCES.md, read with the fast path (which must not decline these files)."""
    data = (corpus / "odd/sample_mulitple_header.fit").read_bytes()
    assert declined(data) is None
    acts = fit.parse_fit(data)
    assert [a.sport for a in acts] == ["swimming", "other", "cycling", "other", "running"]  # 4 chained files
    data = (corpus / "odd/activity-settings.fit").read_bytes()  # chained activity + settings, big-endian
    assert declined(data) is None
    (act,) = fit.parse_fit(data)
    assert len(act.samples) == 14 and act.distance_m == pytest.approx(5.73)
    data = (corpus / "odd/antfs-dump.63.fit").read_bytes()  # compressed-timestamp records
    assert declined(data) is None
    (act,) = fit.parse_fit(data)
    assert act.start_utc.year == 2012


# --------------------------------------------------------------------------------------------------
# One protocol feature at a time


def _run(w: Writer, n: int = 5, *, big: bool = False, compressed: bool = False) -> Writer:
    """file_id, n one-second records (HR, distance, position, altitude, speed, cadence), session, activity."""
    file_id(w)
    fields = [(0, "sint32"), (1, "sint32"), (2, "uint16"), (3, "uint8"), (4, "uint8"), (5, "uint32"),
              (6, "uint16"), (53, "uint8")]  # fmt: skip
    if compressed:  # an event with field 253 sets the clock; records carry 5-bit offsets
        w.define(1, EVENT, [(253, "uint32"), (0, "enum"), (1, "enum")]).data(1, T0, 0, 0)
        w.define(2, RECORD, fields, big=big)
    else:
        w.define(2, RECORD, [(253, "uint32"), *fields], big=big)
    for i in range(n):
        values = (2**29 + i, -(2**29) - i, (100 + i + 500) * 5, 120 + i, 85, i * 300, 3000, 64)
        if compressed:
            w.data(2, *values, compressed=(T0 + i) & 0x1F)
        else:
            w.data(2, T0 + i, *values)
    session(w, 3, T0, n - 1, distance_m=(n - 1) * 3.0, cad=85)
    return activity(w, 4, T0 + n - 1)


def test_plain_little_endian_run():
    (act,), _ = check_same(_run(Writer()).file())
    assert act.samples["hr_bpm"].tolist() == [120, 121, 122, 123, 124]
    assert act.samples["cadence_spm"].tolist() == [171.0] * 5  # 2 × (85 + 64/128)
    assert act.device == "garmin fenix6x" and act.utc_offset_s == 3600


def test_big_endian_records():
    (act,), _ = check_same(_run(Writer(), big=True).file())
    assert act.samples["distance_m"].tolist() == [0.0, 3.0, 6.0, 9.0, 12.0]
    assert act.samples["elevation_m"].tolist() == pytest.approx([100, 101, 102, 103, 104])


def test_twelve_byte_header():
    check_same(_run(Writer()).file(header_size=12))


def test_compressed_timestamps_roll_over():
    w = Writer()
    file_id(w)
    w.define(1, EVENT, [(253, "uint32"), (0, "enum"), (1, "enum")]).data(1, T0 + 30, 0, 0)
    w.define(2, RECORD, [(3, "uint8")])
    times = [T0 + 30, T0 + 31, T0 + 33, T0 + 40, T0 + 63, T0 + 64, T0 + 90]  # wraps the 5-bit offset
    for i, t in enumerate(times):
        w.data(2, 100 + i, compressed=t & 0x1F)
    session(w, 3, T0 + 30, 60)
    (act,), _ = check_same(w.file())
    expected = [np.datetime64(fit.FIT_EPOCH_UNIX_S + t, "s") for t in times]
    assert act.samples["time_utc"].dt.tz_localize(None).to_numpy().astype("datetime64[s]").tolist() == [
        e.astype(object) for e in expected
    ]


def test_compressed_timestamps_with_big_endian_and_chained_files():
    one = _run(Writer(), 4, compressed=True, big=True).file()
    two = _run(Writer(), 3, compressed=True).file()
    acts, _ = check_same(one + two)
    assert len(acts) == 2


def test_compressed_timestamp_on_a_message_with_253_is_left_to_fitparse():
    w = Writer()
    file_id(w)
    w.define(2, RECORD, [(253, "uint32"), (3, "uint8")]).data(2, T0, 100).data(2, T0 + 1, 101, compressed=1)
    session(w, 3, T0, 1)
    _fast, reason = check_same(w.file(), handled=False)
    assert "compressed" in reason


def test_unknown_message_with_253_feeds_the_compressed_clock():
    w = Writer()
    file_id(w)
    w.define(1, 65280, [(253, "uint32"), (1, "uint16")]).data(1, T0 + 100, 7)  # manufacturer-specific
    w.define(2, RECORD, [(3, "uint8")]).data(2, 100, compressed=(T0 + 101) & 0x1F)
    session(w, 3, T0 + 100, 1)
    (act,), _ = check_same(w.file())
    assert act.samples["elapsed_s"].tolist() == [0.0]


def test_invalid_sentinels_of_every_record_field():
    w = Writer()
    file_id(w)
    w.define(2, RECORD, [(253, "uint32"), (0, "sint32"), (1, "sint32"), (2, "uint16"), (3, "uint8"),
                         (4, "uint8"), (5, "uint32"), (6, "uint16"), (53, "uint8"), (73, "uint32"),
                         (78, "uint32")])  # fmt: skip
    w.data(2, T0, None, None, None, None, None, None, None, None, None, None)
    w.data(2, T0 + 1, 1, 2, 3000, 150, 80, 100, 2000, 32, None, 3100)
    w.data(2, None, 1, 2, 3000, 150, 80, 100, 2000, 32, 2500, None)  # no timestamp
    session(w, 3, T0, 1)
    (act,), _ = check_same(w.file())
    assert len(act.samples) == 2 and act.samples.iloc[0].drop(["time_utc", "elapsed_s"]).isna().all()


def test_first_valid_occurrence_wins_and_enhanced_fields():
    """``altitude`` expands to ``enhanced_altitude`` before it; a later native field only fills gaps."""
    w = Writer()
    file_id(w)
    w.define(2, RECORD, [(253, "uint32"), (78, "uint32"), (2, "uint16"), (73, "uint32"), (6, "uint16"),
                         (3, "uint8"), (3, "uint8")])  # fmt: skip
    w.data(2, T0, 3500, 3000, 2500, 2000, None, 150)  # native first: it wins
    w.data(2, T0 + 1, None, 3000, None, 2000, 140, 150)  # the component fills in
    w.data(2, T0 + 2, None, None, None, None, 141, None)
    session(w, 3, T0, 2)
    (act,), _ = check_same(w.file())
    s = act.samples
    assert s["elevation_m"].tolist()[:2] == pytest.approx([200.0, 100.0])
    assert s["speed_m_s"].tolist()[:2] == [2.5, 2.0]
    assert s["hr_bpm"].tolist() == [150.0, 140.0, 141.0]


@pytest.mark.parametrize("kind", ["sint8", "uint16", "uint16z", "uint32z", "sint16"])
def test_other_base_types_for_read_fields(kind):
    w = Writer()
    file_id(w)
    w.define(2, RECORD, [(253, "uint32"), (3, kind), (5, "uint32z")])
    w.data(2, T0, 100, 0).data(2, T0 + 1, None, 300).data(2, T0 + 2, 0, None)
    session(w, 3, T0, 2)
    check_same(w.file())


def test_arrays_and_strings_in_read_fields_are_left_to_fitparse():
    w = Writer()
    file_id(w)
    w.define(2, RECORD, [(253, "uint32"), (3, "uint8", 2)]).data(2, T0, (100, 101))
    session(w, 3, T0, 1)
    _fast, reason = check_same(w.file(), handled=False)
    assert "heart_rate" in reason


def test_arrays_and_odd_types_elsewhere_are_skipped():
    w = Writer()
    file_id(w)
    w.define(1, EVENT, [(253, "uint32"), (0, "enum"), (1, "enum"), (3, "uint32", 8), (4, "string", 6),
                        (9, "byte", 3), (250, "float32")])  # fmt: skip
    w.data(1, T0, 0, 0, (1, 2), "hello", b"\x01\x02\x03", 1.5)
    w.define(2, RECORD, [(253, "uint32"), (3, "uint8"), (90, "byte", 5)]).data(2, T0, 100, b"abcde")
    session(w, 3, T0, 1)
    check_same(w.file())


def test_misaligned_field_is_counted_and_skipped():
    """COROS writes fields whose size is not a multiple of their type (fit._FitFile reads them as bytes)."""
    w = Writer()
    file_id(w)
    w.define(2, RECORD, [(253, "uint32"), (3, "uint8"), (7, "byte", 3)], size_override=None)
    w.body = w.body.replace(bytes([7, 3, 0x0D]), bytes([7, 3, 0x84]))  # power: uint16 in 3 bytes
    w.data(2, T0, 100, b"\x01\x02\x03")
    session(w, 3, T0, 1)
    (act,), _ = check_same(w.file())
    assert any("raw bytes" in n for n in act.notes)


def test_developer_fields_skipped_by_size():
    w = Writer()
    file_id(w)
    w.define(1, DEV_DATA_ID, [(1, "byte", 16), (3, "uint8")]).data(1, b"\x00" * 16, 0)
    w.define(5, FIELD_DESCRIPTION, [(0, "uint8"), (1, "uint8"), (2, "uint8"), (3, "string", 8)])
    w.data(5, 0, 0, 0x84, "power").data(5, 0, 1, 0x07, "note")
    w.define(2, RECORD, [(253, "uint32"), (3, "uint8")], dev=[(0, 2, 0), (1, 6, 0)])
    w.data(2, T0, 150, dev=b"\x10\x00hello\x00").data(2, T0 + 1, 151, dev=b"\x11\x00world\x00")
    session(w, 3, T0, 1)
    (act,), _ = check_same(w.file())
    assert act.samples["hr_bpm"].tolist() == [150.0, 151.0]


def test_developer_field_without_description_is_left_to_fitparse():
    w = Writer()
    file_id(w)
    w.define(2, RECORD, [(253, "uint32"), (3, "uint8")], dev=[(0, 2, 0)]).data(2, T0, 150, dev=b"\0\0")
    session(w, 3, T0, 0)
    _fast, reason = check_same(w.file(), handled=False)
    assert "developer" in reason


def test_subfields_running_cadence_and_garmin_product():
    w = _run(Writer())
    (act,), _ = check_same(w.file())
    assert act.avg_cadence_spm == 2 * (85 + 0.5)  # avg_running_cadence (sport running) + fraction
    w = Writer()
    file_id(w, manufacturer=255, product=3291)  # development: product stays a number
    w.define(2, RECORD, [(253, "uint32"), (3, "uint8")]).data(2, T0, 100)
    session(w, 3, T0, 1, sport=2, cad=90)
    (act,), _ = check_same(w.file())
    assert act.device == "development product 3291" and act.avg_cadence_spm is None


def test_device_info_sport_message_and_no_session():
    w = Writer()
    file_id(w, manufacturer=1, product=65000)  # a product the profile does not know
    w.define(1, DEVICE_INFO, [(253, "uint32"), (0, "uint8"), (27, "string", 12)])
    w.data(1, T0, 0, "Forerunner X").data(1, T0, 1, "HRM")
    w.define(5, SPORT, [(0, "enum"), (1, "enum")]).data(5, 1, 3)  # running / trail
    w.define(2, RECORD, [(253, "uint32"), (3, "uint8")]).data(2, T0, 100).data(2, T0 + 1, 101)
    (act,), _ = check_same(w.file())
    assert act.device == "garmin Forerunner X" and act.sub_sport == "trail"


def test_relative_timestamps_and_correlation():
    w = Writer()
    w.define(0, FILE_ID, [(0, "enum")]).data(0, 4)
    w.define(2, RECORD, [(253, "uint32"), (3, "uint8")]).data(2, 100, 90)
    w.define(6, TS_CORRELATION, [(253, "uint32"), (1, "uint32")]).data(6, T0, 200)
    w.data(2, 300, 91)
    session(w, 3, 100, 200)
    (act,), _ = check_same(w.file())
    assert any("timestamp_correlation" in n for n in act.notes)


def test_relative_timestamps_anchored_to_first_absolute():
    w = Writer()
    file_id(w)
    w.define(2, RECORD, [(253, "uint32"), (3, "uint8")])
    for t in (100, 105, T0 + 10, T0 + 11, 120):
        w.data(2, t, 90)
    session(w, 3, 100, 15)
    check_same(w.file())


def test_multisport_sessions_and_redefinitions():
    w = Writer()
    file_id(w)
    w.define(2, RECORD, [(253, "uint32"), (3, "uint8")])
    for i in range(10):
        w.data(2, T0 + i, 100 + i)
    w.define(2, RECORD, [(253, "uint32"), (3, "uint8"), (5, "uint32")])  # local 2 redefined
    for i in range(10, 20):
        w.data(2, T0 + i, 100 + i, i * 100)
    session(w, 3, T0, 9, sport=2)
    session(w, 4, T0 + 10, 9, sport=1)
    acts, _ = check_same(w.file())
    assert [a.sport for a in acts] == ["cycling", "running"]


def test_record_runs_interrupted_by_other_messages():
    """A run of records right after its definition (read as one strided block), then records
    interleaved with other messages (read one by one), with a redefinition in between."""
    w = Writer()
    file_id(w)
    w.define(2, RECORD, [(253, "uint32"), (3, "uint8"), (5, "uint32")])
    for i in range(8):
        w.data(2, T0 + i, 100 + i, i * 100)
    w.define(1, 65281, [(253, "uint32"), (0, "uint16")])  # a manufacturer message between records
    for i in range(8, 20):
        w.data(1, T0 + i, 7)
        if i < 14:
            w.data(2, T0 + i, 100 + i, i * 100)
        else:
            if i == 14:
                w.define(2, RECORD, [(3, "uint8"), (253, "uint32"), (5, "uint32")])  # fields reordered
            w.data(2, 100 + i, T0 + i, i * 100)
    w.define(5, EVENT, [(253, "uint32"), (0, "enum"), (1, "enum")]).data(5, T0 + 20, 0, 4)
    session(w, 3, T0, 19)
    (act,), _ = check_same(w.file())
    assert len(act.samples) == 20
    assert act.samples["distance_m"].tolist()[:15] == [float(i) for i in range(15)]


def test_settings_file_is_refused_like_fitparse():
    w = Writer()
    file_id(w, kind=2)
    fast, _ = check_same(w.file())
    assert "settings" in fast


# --------------------------------------------------------------------------------------------------
# Damage: the fast path declines, fitparse gives the error


def test_damaged_files_are_declined_and_fitparse_reports():
    good = _run(Writer()).file()
    bad_crc = good[:-1] + bytes([good[-1] ^ 1])
    assert "CRC" in declined(bad_crc)
    assert "bad CRC" in _parse(bad_crc, True)
    for cut in (20, len(good) // 2, len(good) - 1):
        assert declined(good[:cut]) is not None
        assert "truncated" in _parse(good[:cut], True)
    undefined = Writer()
    file_id(undefined)
    undefined.body += b"\x05"  # a data message of local type 5, never defined
    assert "undefined" in declined(undefined.file())
    check_same(undefined.file(), handled=False)


def test_compressed_speed_distance_with_values_is_declined(corpus):
    data = (corpus / "odd/compressed-speed-distance.fit").read_bytes()
    assert "accumulated" in declined(data)


def test_decoded_fields_match_the_fitparse_intermediate():
    """fitfast.decode returns exactly the fields of fit._Decoded (a drift check on the seam)."""
    got = fitfast.decode(_run(Writer()).file(), fit._fast_profile())
    assert set(got) == {f.name for f in dc_fields(fit._Decoded)}


def test_profile_from_fitparse():
    profile = fit._fast_profile()
    record = profile.fields[RECORD]
    assert (record[5].name, record[5].scale) == ("distance", 100)
    assert [c.name for c in record[2].components] == ["enhanced_altitude"]
    assert 8 in profile.invalid_only_fields[RECORD]  # compressed_speed_distance
    assert profile.timestamp_fields[RECORD] == (253,)


def test_synthetic_writer_files():
    from hiprisk.synthetic import encode_activity, simulate_run

    for seed, profile in ((1, "trail"), (2, "treadmill")):
        act = simulate_run("2024-05-01 06:00", 2.0, profile=profile, seed=seed, smart_recording=seed == 1)
        check_same(encode_activity(act))


# --------------------------------------------------------------------------------------------------
# Generated record streams

RECORD_FIELDS = [  # (number, type, strategy of raw values)
    ((0, "sint32"), st.one_of(st.none(), st.integers(-(2**31) + 1, 2**31 - 2))),
    ((1, "sint32"), st.one_of(st.none(), st.integers(-(2**31) + 1, 2**31 - 2))),
    ((2, "uint16"), st.one_of(st.none(), st.integers(0, 0xFFFE))),
    ((78, "uint32"), st.one_of(st.none(), st.integers(0, 0xFFFFFFFE))),
    ((3, "uint8"), st.one_of(st.none(), st.integers(0, 254))),
    ((4, "uint8"), st.one_of(st.none(), st.integers(0, 254))),
    ((53, "uint8"), st.one_of(st.none(), st.integers(0, 254))),
    ((5, "uint32"), st.one_of(st.none(), st.integers(0, 0xFFFFFFFE))),
    ((6, "uint16"), st.one_of(st.none(), st.integers(0, 0xFFFE))),
    ((73, "uint32"), st.one_of(st.none(), st.integers(0, 0xFFFFFFFE))),
]


@st.composite
def record_streams(draw):
    big = draw(st.booleans())
    compressed = draw(st.booleans())
    chosen = draw(st.lists(st.sampled_from(range(len(RECORD_FIELDS))), min_size=1, max_size=6, unique=True))
    fields = [RECORD_FIELDS[i][0] for i in chosen]
    n = draw(st.integers(1, 25))
    steps = draw(st.lists(st.integers(0, 40 if compressed else 5), min_size=n, max_size=n))
    rows = [tuple(draw(RECORD_FIELDS[i][1]) for i in chosen) for _ in range(n)]
    sport = draw(st.sampled_from([1, 2, 11]))
    manufacturer, product = draw(st.sampled_from([(1, 3291), (1, 65000), (255, 7), (15, 2)]))
    relative = draw(st.booleans()) and not compressed
    return big, compressed, fields, steps, rows, sport, manufacturer, product, relative


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record_streams())
def test_generated_record_streams(stream):
    big, compressed, fields, steps, rows, sport, manufacturer, product, relative = stream
    w = Writer()
    file_id(w, manufacturer=manufacturer, product=product)
    start = 1000 if relative else T0
    if compressed:
        w.define(1, EVENT, [(253, "uint32"), (0, "enum"), (1, "enum")]).data(1, start, 0, 0)
        w.define(2, RECORD, fields, big=big)
    else:
        w.define(2, RECORD, [(253, "uint32"), *fields], big=big)
    t = start
    for step, row in zip(steps, rows, strict=True):
        t += step
        if compressed:
            w.data(2, *row, compressed=t & 0x1F)
        else:
            w.data(2, t, *row)
    session(w, 3, start, max(t - start, 1), sport=sport, cad=80)
    if relative:
        activity(w, 4, t)  # no absolute clock but the local one
    else:
        activity(w, 4, t, local_offset_s=-5 * 3600)
    check_same(w.file())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_bytes_fast_path_agrees_or_declines(data):
    """Random damage with the CRCs repaired: whatever the fast path accepts, fitparse must agree with."""
    raw = bytearray(_run(Writer(), 4, compressed=data.draw(st.booleans())).file())
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(14, len(raw) - 3))] = data.draw(st.integers(0, 255))
    raw[-2:] = struct.pack("<H", fit_crc(bytes(raw[:-2])))
    check_same(bytes(raw), handled=False)


@pytest.mark.parametrize(
    "size",
    # around the byte-loop threshold (512), the lane (32 bytes) and the lane group (4,096 bytes)
    [0, 1, 13, 511, 512, 513, 1023, 1024, 1025, 4095, 4096, 4097, 8191, 8192, 8193, 100_001, 1_000_003],
)
def test_vectorised_crc_equals_fitparse_crc(size):
    from fitparse.records import Crc

    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    assert fit_crc(data) == Crc.calculate(data)


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=0, max_size=20_000))
def test_vectorised_crc_equals_fitparse_crc_on_any_bytes(data):
    from fitparse.records import Crc

    assert fit_crc(data) == Crc.calculate(data)
    assert fit_crc(bytearray(data)) == fit_crc(memoryview(data)) == fit_crc(data)
