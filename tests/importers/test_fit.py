"""Tests of the FIT decoder.

Two kinds of input:

* tiny FIT files built here byte by byte (``_fit``), for behaviour the corpus does not show on its own
  (UTC+10, cadence arithmetic, invalid sentinels, relative clocks, error paths);
* the real-device corpus (``corpus`` fixture), checked against the oracles of ``SOURCES.md``: the FIT
  SDK's record dumps (``*-records.csv``), the session values quoted there and ``history/index.csv``.
"""

from __future__ import annotations

import gzip
import struct
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hiprisk.errors import FileFormatError, NotAnActivityError, UnsafeInputError
from hiprisk.importers import fit as fitmod
from hiprisk.importers.base import SAMPLE_COLUMNS
from hiprisk.importers.fit import parse_fit, read_fit

FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)
T0 = 1_000_000_000  # an absolute FIT time (2021-09-08 01:46:40 UTC)

# --------------------------------------------------------------------------------------------------
# A minimal FIT writer (FIT Protocol: 14-byte header, definition + data messages, CRC-16)

_CRC_TABLE = (
    0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
)  # fmt: skip
_TYPES = {"enum": (0x00, "B"), "uint8": (0x02, "B"), "uint16": (0x84, "H"), "sint32": (0x85, "i"),
          "uint32": (0x86, "I")}  # fmt: skip


def _crc(data: bytes, crc: int = 0) -> int:
    for byte in data:
        for nibble in (byte & 0xF, byte >> 4):
            tmp = _CRC_TABLE[crc & 0xF]
            crc = (crc >> 4) & 0x0FFF
            crc = crc ^ tmp ^ _CRC_TABLE[nibble]
    return crc


def _fit(*messages: tuple[int, dict[int, tuple[str, int]]]) -> bytes:
    """One FIT file from ``(global message number, {field number: (base type, raw value)})``."""
    body = b""
    for global_num, fields in messages:
        body += struct.pack("<BBBHB", 0x40, 0, 0, global_num, len(fields))
        for num, (kind, _) in fields.items():
            type_id, fmt = _TYPES[kind]
            body += struct.pack("<BBB", num, struct.calcsize(fmt), type_id)
        body += b"\x00" + b"".join(
            struct.pack("<" + _TYPES[kind][1], value) for kind, value in fields.values()
        )
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    header += struct.pack("<H", _crc(header))
    return header + body + struct.pack("<H", _crc(header + body))


def file_id(kind: int = 4, manufacturer: int = 1, product: int = 3291) -> tuple:
    return 0, {0: ("enum", kind), 1: ("uint16", manufacturer), 2: ("uint16", product),
               4: ("uint32", T0)}  # fmt: skip


def record(t: int, *, hr=None, cad=None, frac=None, lat=None, lon=None, dist=None, speed=None,
           alt=None) -> tuple:  # fmt: skip
    """A record; numbers are in SI units except ``hr``/``cad`` (raw) and ``lat``/``lon`` (semicircles)."""
    fields = {253: ("uint32", t)}
    if lat is not None:
        fields[0], fields[1] = ("sint32", lat), ("sint32", lon)
    if alt is not None:
        fields[2] = ("uint16", round((alt + 500) * 5))
    if hr is not None:
        fields[3] = ("uint8", hr)
    if cad is not None:
        fields[4] = ("uint8", cad)
    if dist is not None:
        fields[5] = ("uint32", round(dist * 100))
    if speed is not None:
        fields[6] = ("uint16", round(speed * 1000))
    if frac is not None:
        fields[53] = ("uint8", round(frac * 128))
    return 20, fields


def session(start: int, elapsed_s: float, *, sport=1, sub_sport=0, distance_m=None, avg_hr=None,
            avg_cad=None, avg_frac=None, ascent=None, descent=None) -> tuple:  # fmt: skip
    fields = {253: ("uint32", start + round(elapsed_s)), 2: ("uint32", start),
              5: ("enum", sport), 6: ("enum", sub_sport),
              7: ("uint32", round(elapsed_s * 1000)), 8: ("uint32", round(elapsed_s * 1000))}  # fmt: skip
    if distance_m is not None:
        fields[9] = ("uint32", round(distance_m * 100))
    if avg_hr is not None:
        fields[16] = ("uint8", avg_hr)
    if avg_cad is not None:
        fields[18] = ("uint8", avg_cad)
    if ascent is not None:
        fields[22] = ("uint16", ascent)
    if descent is not None:
        fields[23] = ("uint16", descent)
    if avg_frac is not None:
        fields[92] = ("uint8", round(avg_frac * 128))
    return 18, fields


def activity(t: int, local: int) -> tuple:
    return 34, {253: ("uint32", t), 5: ("uint32", local)}


def fit_time(seconds: int) -> pd.Timestamp:
    return pd.Timestamp(FIT_EPOCH + timedelta(seconds=seconds))


def small_run(**session_kwargs) -> bytes:
    """A 3-record run with a session and an activity message at UTC+10."""
    return _fit(
        file_id(),
        record(T0, hr=120, cad=85, frac=0.5, dist=0.0, speed=3.0, lat=2**29, lon=-(2**29), alt=100),
        record(T0 + 1, hr=121, cad=86, frac=0.0, dist=3.0, speed=3.0, lat=2**29, lon=-(2**29), alt=101),
        record(T0 + 2, hr=122, cad=87, frac=0.25, dist=6.0, speed=3.0, lat=2**29, lon=-(2**29), alt=102),
        session(T0, 2.0, distance_m=6.0, avg_hr=121, avg_cad=86, avg_frac=0.25, **session_kwargs),
        activity(T0 + 2, T0 + 2 + 36000),
    )


# --------------------------------------------------------------------------------------------------
# Behaviour on hand-made files


def test_small_run_columns_units_and_totals():
    (act,) = parse_fit(small_run(), "run.fit")
    s = act.samples
    assert list(s.columns) == list(SAMPLE_COLUMNS)
    assert [str(t) for t in s.dtypes] == list(SAMPLE_COLUMNS.values())
    assert act.source_format == "fit"
    assert act.start_utc == fit_time(T0)
    assert s["time_utc"].tolist() == [fit_time(T0 + i) for i in range(3)]
    assert s["elapsed_s"].tolist() == [0.0, 1.0, 2.0]
    assert s["lat_deg"].tolist() == [45.0] * 3  # 2**29 semicircles
    assert s["lon_deg"].tolist() == [-45.0] * 3
    assert s["elevation_m"].tolist() == pytest.approx([100, 101, 102])
    assert s["distance_m"].tolist() == [0.0, 3.0, 6.0]
    assert act.distance_m == 6.0 and act.elapsed_s == 2.0 and act.moving_s == 2.0
    assert act.avg_hr_bpm == 121 and act.sport == "running" and act.sub_sport == "generic"
    assert act.device == "garmin fenix6x"  # product 3291 in the FIT SDK profile
    assert act.name is None and act.notes == []


def test_running_cadence_is_doubled_with_its_fraction():
    (act,) = parse_fit(small_run())
    # FIT running cadence is strides/min of one leg: steps/min = 2 * (cadence + fractional_cadence)
    assert act.samples["cadence_spm"].tolist() == [171.0, 172.0, 174.5]
    assert act.avg_cadence_spm == 2 * (86 + 0.25)


@pytest.mark.parametrize(("sport", "spm"), [(11, 170.0), (17, 170.0), (2, None), (5, None)])
def test_cadence_kept_only_for_foot_sports(sport, spm):
    data = _fit(file_id(), record(T0, cad=85), session(T0, 1.0, sport=sport, avg_cad=85))
    (act,) = parse_fit(data)
    value = act.samples["cadence_spm"].iloc[0]
    if spm is None:  # cycling rpm / swim strokes are not steps per minute
        assert np.isnan(value) and act.avg_cadence_spm is None
    else:
        assert value == spm and act.avg_cadence_spm == spm


@pytest.mark.parametrize(
    ("local_minus_utc", "expected"),
    [(36000, 36000), (36000 + 7, 36000), (-(4 * 3600 + 30 * 60), -16200), (15 * 3600, None)],
)
def test_utc_offset_from_activity_message(local_minus_utc, expected):
    data = _fit(file_id(), record(T0), session(T0, 1.0), activity(T0 + 1, T0 + 1 + local_minus_utc))
    (act,) = parse_fit(data)
    assert act.utc_offset_s == expected


def test_invalid_sentinels_become_nan():
    data = _fit(
        file_id(),
        record(
            T0,
            hr=0xFF,
            cad=0xFF,
            lat=0x7FFFFFFF,
            lon=0x7FFFFFFF,
            dist=0xFFFFFFFF / 100,
            speed=0xFFFF / 1000,
            alt=0xFFFF / 5 - 500,
        ),  # fmt: skip
        record(T0 + 1, hr=130, cad=80, lat=2**29, lon=2**29, dist=1.0, speed=1.0, alt=10.0),
        session(T0, 1.0),
    )
    (act,) = parse_fit(data)
    first = act.samples.iloc[0].drop(["time_utc", "elapsed_s"])
    assert first.isna().all(), first
    assert act.samples.iloc[1]["hr_bpm"] == 130


@pytest.mark.parametrize(
    ("sport", "sub_sport", "expected", "trail"),
    [
        (1, 0, ("running", "generic"), None),
        (1, 2, ("running", "street"), False),
        (1, 3, ("running", "trail"), True),
        (1, 1, ("running", "treadmill"), False),
        (1, 4, ("running", "track"), False),
        (1, 45, ("running", "indoor"), False),
        (1, 58, ("running", "virtual"), False),
        (11, 0, ("walking", "generic"), None),
        (17, 0, ("hiking", "generic"), None),
        (2, 7, ("cycling", "road"), None),
        (21, 0, ("cycling", "e_biking"), None),
        (5, 17, ("swimming", "lap_swimming"), None),
        (3, 0, ("other", "transition"), None),
        (4, 15, ("other", "fitness_equipment"), None),
        (31, 0, ("other", "rock_climbing"), None),
    ],
)
def test_sport_mapping(sport, sub_sport, expected, trail):
    (act,) = parse_fit(_fit(file_id(), record(T0), session(T0, 1.0, sport=sport, sub_sport=sub_sport)))
    assert (act.sport, act.sub_sport) == expected
    assert act.trail_hint is trail


def test_session_totals_ascent_descent_are_device_totals():
    (act,) = parse_fit(small_run(ascent=12, descent=30))
    assert (act.ascent_m, act.descent_m, act.barometric) == (12.0, 30.0, True)
    (plain,) = parse_fit(small_run())
    assert (plain.ascent_m, plain.descent_m, plain.barometric) == (None, None, False)


def test_records_sorted_and_duplicate_timestamps_merged():
    data = _fit(
        file_id(),
        record(T0, hr=100, dist=0.0),
        record(T0 + 2, hr=102, dist=2.0),
        record(T0 + 1, hr=101, dist=1.0),  # time going backwards
        record(T0 + 2, dist=2.5),  # same second: later distance, no HR
        session(T0, 2.0),
    )
    (act,) = parse_fit(data)
    s = act.samples
    assert s["time_utc"].is_monotonic_increasing and s["time_utc"].is_unique
    assert s["hr_bpm"].tolist() == [100.0, 101.0, 102.0]
    assert s["distance_m"].tolist() == [0.0, 1.0, 2.5]
    assert any("sorted 1 " in n for n in act.notes)
    assert any("merged 1 " in n for n in act.notes)


def test_relative_timestamps_anchored_to_first_absolute():
    # relative 100 and 105 s after power-on, then the device learnt the time: absolute T0 + 10
    data = _fit(
        file_id(),
        record(100, hr=90),
        record(105, hr=91),
        record(T0 + 10, hr=92),
        record(T0 + 11, hr=93),
        session(100, 15.0),
    )
    (act,) = parse_fit(data)
    # the last relative time is taken as one second before the first absolute one
    assert act.samples["time_utc"].tolist() == [fit_time(T0 + d) for d in (4, 9, 10, 11)]
    assert act.start_utc == fit_time(T0 + 4)
    assert any("anchored" in n for n in act.notes)


def test_relative_timestamps_anchored_with_timestamp_correlation():
    correlation = (162, {253: ("uint32", T0), 1: ("uint32", 200)})  # UTC T0 was system time 200
    data = _fit(file_id(), record(100, hr=90), correlation, record(300, hr=91), session(100, 200.0))
    (act,) = parse_fit(data)
    assert act.samples["time_utc"].tolist() == [fit_time(T0 - 100), fit_time(T0 + 100)]
    assert act.start_utc == fit_time(T0 - 100)


def test_relative_timestamps_without_any_clock_are_refused():
    data = _fit((0, {0: ("enum", 4)}), record(100, hr=90), record(105, hr=91), session(100, 5.0))
    with pytest.raises(FileFormatError, match="no absolute timestamp"):
        parse_fit(data, "rel.fit")


def test_relative_timestamps_anchored_to_activity_local_clock():
    local = T0 + 3600
    data = _fit(
        (0, {0: ("enum", 4)}),
        record(100, hr=90),
        record(160, hr=91),
        session(100, 60.0),
        activity(160, local),
    )
    (act,) = parse_fit(data)
    assert act.start_utc == fit_time(local - 60)
    assert act.utc_offset_s is None  # the file states no UTC time
    assert any("local clock" in n for n in act.notes)


def test_session_with_zero_records_is_an_activity():
    (act,) = parse_fit(_fit(file_id(), session(T0, 60.0, distance_m=100.0)))
    assert act.samples.empty and list(act.samples.columns) == list(SAMPLE_COLUMNS)
    assert act.start_utc == fit_time(T0) and act.distance_m == 100.0 and act.elapsed_s == 60.0


def test_records_without_session_give_one_activity():
    sport = (12, {0: ("enum", 1), 1: ("enum", 3)})  # sport message: running / trail
    (act,) = parse_fit(_fit(file_id(), sport, record(T0, hr=100), record(T0 + 1, hr=101)))
    assert (act.sport, act.sub_sport, act.trail_hint) == ("running", "trail", True)
    assert len(act.samples) == 2 and act.distance_m is None


def test_multisport_records_split_by_session_window():
    data = _fit(
        file_id(),
        *[record(T0 + i, hr=100 + i) for i in range(0, 21)],
        session(T0, 10.0, sport=2),
        session(T0 + 10, 10.0, sport=1),
    )
    bike, run = parse_fit(data)
    assert (bike.sport, run.sport) == ("cycling", "running")
    assert bike.samples["hr_bpm"].tolist() == [100.0 + i for i in range(10)]
    assert run.samples["hr_bpm"].tolist() == [100.0 + i for i in range(10, 21)]


@pytest.mark.parametrize(("kind", "label"), [(2, "settings"), (15, "monitoring_a"), (32, "monitoring_b")])
def test_non_activity_file_type_is_refused(kind, label):
    with pytest.raises(NotAnActivityError, match=label):
        parse_fit(_fit(file_id(kind=kind)), "x.fit")


def test_activity_without_records_or_session_is_refused():
    with pytest.raises(NotAnActivityError, match="no records and no session"):
        parse_fit(_fit(file_id()), "x.fit")


@pytest.mark.parametrize("data", [b"", b"hello", b"<?xml version='1.0'?><gpx></gpx>", b"\0" * 64])
def test_not_fit_bytes(data):
    with pytest.raises(FileFormatError, match=r"^x\.fit: not a FIT file \(bad header\)"):
        parse_fit(data, "x.fit")


def test_irregular_header_size_is_not_fit():
    data = bytearray(small_run())
    data[0] = 13  # header size 13: one byte too short for a header CRC
    with pytest.raises(FileFormatError, match="not a FIT file"):
        parse_fit(bytes(data), "h.fit")


def test_bad_crc_and_truncation():
    data = small_run()
    damaged = data[:-3] + bytes([data[-3] ^ 0x01]) + data[-2:]
    with pytest.raises(FileFormatError, match="bad CRC") as err:
        parse_fit(damaged, "d.fit")
    assert isinstance(err.value.__cause__, Exception) and str(err.value).startswith("d.fit: ")
    for cut in (20, len(data) // 2, len(data) - 1):
        with pytest.raises(FileFormatError, match="truncated"):
            parse_fit(data[:cut], "t.fit")


def test_gzip_content_and_files(tmp_path):
    data = small_run()
    assert len(parse_fit(gzip.compress(data))) == 1
    path = tmp_path / "a.fit.gz"
    path.write_bytes(gzip.compress(data))
    (act,) = read_fit(path)
    assert len(act.samples) == 3
    with pytest.raises(FileFormatError, match="gzip"):
        parse_fit(gzip.compress(data)[:-10], "bad.fit.gz")


def test_gzip_bomb_refused(monkeypatch):
    monkeypatch.setattr(fitmod, "MAX_GUNZIPPED_BYTES", 1000)
    with pytest.raises(UnsafeInputError, match="inflates"):
        parse_fit(gzip.compress(b"\0" * 5000), "bomb.fit.gz")


def test_read_fit_missing_file_is_typed(tmp_path):
    with pytest.raises(FileFormatError, match="cannot read file"):
        read_fit(tmp_path / "nope.fit")


def test_unexpected_errors_are_wrapped(monkeypatch):
    def boom(message, out):
        raise KeyError("surprise")

    monkeypatch.setattr(fitmod, "FAST_PATH", False)  # the fitparse path is the one that calls _take
    monkeypatch.setattr(fitmod, "_take", boom)
    with pytest.raises(FileFormatError, match="cannot decode FIT data") as err:
        parse_fit(small_run(), "k.fit")
    assert isinstance(err.value.__cause__, KeyError)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_bytes_never_raise_untyped_errors(data):
    """Random byte damage, with the CRCs repaired so the decoder really walks the damaged bytes."""
    raw = bytearray(small_run())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(14, len(raw) - 3))
        raw[pos] = data.draw(st.integers(0, 255))
    raw[-2:] = struct.pack("<H", _crc(bytes(raw[:-2])))
    try:
        activities = parse_fit(bytes(raw), "fuzz.fit")
    except FileFormatError:
        return
    for act in activities:
        assert act.samples["time_utc"].is_monotonic_increasing
        assert act.samples["time_utc"].is_unique


# --------------------------------------------------------------------------------------------------
# The real-device corpus

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
SMALL = 120_000  # bytes: bigger files are read in the default suite only where an oracle needs them


def _p(rel: str, *values, size_limit: int = 250_000):
    """A test parameter for a corpus file; files above ``size_limit`` bytes run only with -m slow."""
    path = CORPUS / rel
    big = path.is_file() and path.stat().st_size > size_limit
    return pytest.param(rel, *values, id=rel, marks=[pytest.mark.slow] if big else [])


@cache
def _read(path: str):
    return read_fit(Path(path))


def load(corpus: Path, rel: str):
    return _read(str(corpus / rel))


def _corpus_fit_files() -> list:
    if not CORPUS.is_dir():
        return []
    files = sorted(
        p for p in CORPUS.rglob("*") if p.suffix.lower() == ".fit" or p.name.lower().endswith(".fit.gz")
    )
    params = []
    for p in files:
        rel = p.relative_to(CORPUS).as_posix()
        slow = rel.startswith("history/") or p.stat().st_size > SMALL
        params.append(pytest.param(rel, id=rel, marks=[pytest.mark.slow] if slow else []))
    return params


@pytest.mark.parametrize("rel", _corpus_fit_files())
def test_every_corpus_fit_file_parses_or_raises_typed(corpus, rel):
    try:
        activities = load(corpus, rel)
    except FileFormatError as exc:  # NotAnActivityError and UnsupportedFileError are subclasses
        assert str(exc).startswith(str(corpus / rel)) and "\n" not in str(exc)
        return
    assert activities
    for act in activities:
        s = act.samples
        assert list(s.columns) == list(SAMPLE_COLUMNS)
        assert s["time_utc"].is_monotonic_increasing and s["time_utc"].is_unique
        assert act.sport in ("running", "walking", "hiking", "cycling", "swimming", "other")
        assert s["hr_bpm"].dropna().between(1, 254).all()
        assert s["lat_deg"].dropna().between(-90, 90).all()


@pytest.mark.parametrize(
    ("rel", "reason"),
    [
        _p("odd/invalid/activity-filecrc.fit", "bad CRC"),
        _p("odd/invalid/activity-activity-filecrc.fit", "bad CRC"),
        _p("odd/invalid/activity-unexpected-eof.fit", "unexpected end of file"),
        _p("odd/invalid/activity-settings-nodata.fit", "unexpected end of file"),
        _p("odd/invalid/activity-settings-corruptheader.fit", "header"),
        _p("odd/nick.fit", "unexpected end of file"),  # no proper end: strict decoders give EOF
        _p("odd/strava-android-app-201.10-b1218918.fit", "local message type 11"),
    ],
)
def test_invalid_files_raise_with_reason(corpus, rel, reason):
    with pytest.raises(FileFormatError, match=reason) as err:
        read_fit(corpus / rel)
    assert not isinstance(err.value, NotAnActivityError)
    assert err.value.path == str(corpus / rel)


@pytest.mark.parametrize(("rel", "kind"), [("odd/Settings.fit", "settings"),
                                            ("odd/MonitoringFile.fit", "monitoring_b")])  # fmt: skip
def test_non_activity_corpus_files(corpus, rel, kind):
    with pytest.raises(NotAnActivityError, match=kind):
        read_fit(corpus / rel)


def _csv_oracle(corpus: Path, stem: str) -> pd.DataFrame:
    """The FIT SDK dump of every record; duplicate timestamps collapsed to their last row."""
    df = pd.read_csv(corpus / "fit" / f"{stem}-records.csv")
    local = pd.to_datetime(df["timestamp"], format="%a %b %d %H:%M:%S PDT %Y")
    df["time_utc"] = (local + pd.Timedelta(hours=7)).dt.tz_localize("UTC")  # PDT = UTC-7
    df["dup"] = df["time_utc"].duplicated(keep="last")
    return df


@pytest.mark.parametrize(
    "rel",
    [
        _p("fit/garmin-fenix-5-run.fit"),
        _p("fit/garmin-fenix-5-walk.fit"),
        _p("fit/garmin-fenix-5-bike.fit"),
        _p("fit/garmin-edge-820-bike.fit"),
        _p("fit/garmin-edge-500-activity.fit"),
    ],
)
def test_records_equal_fit_sdk_dump(corpus, rel):
    stem = Path(rel).stem
    (act,) = load(corpus, rel)
    full = _csv_oracle(corpus, stem)
    n_dup = int(full["dup"].sum())
    csv = full[~full["dup"]].reset_index(drop=True)
    s = act.samples
    # one row per record, duplicate-time records merged (and said so)
    assert len(s) == len(full) - n_dup
    if n_dup:
        assert f"merged {n_dup} records with duplicate timestamps (later values win)" in act.notes
    assert s["time_utc"].tolist() == csv["time_utc"].tolist()
    np.testing.assert_allclose(s["hr_bpm"], csv["heart_rate"])
    np.testing.assert_allclose(s["distance_m"], csv["distance"], atol=1e-9)
    np.testing.assert_allclose(s["speed_m_s"], csv["speed"], atol=1e-9)
    np.testing.assert_allclose(s["elevation_m"], csv["altitude"], atol=1e-6)
    # positions: the dump repeats the last valid position where the record has none
    lat_sc = np.round(s["lat_deg"] * 2**31 / 180).ffill()
    lon_sc = np.round(s["lon_deg"] * 2**31 / 180).ffill()
    assert s["lat_deg"].notna().iloc[0]
    np.testing.assert_array_equal(lat_sc, csv["position_lat"])
    np.testing.assert_array_equal(lon_sc, csv["position_long"])
    # cadence: steps/min for foot sports (the dump writes strides/min, 0 when missing)
    if act.sport in ("running", "walking"):
        strides = np.floor(s["cadence_spm"] / 2).fillna(0)
        np.testing.assert_array_equal(strides, csv["cadence"])
    else:
        assert s["cadence_spm"].isna().all()


@pytest.mark.parametrize(
    ("rel", "distance_m", "elapsed_s", "avg_hr", "sport"),
    [
        _p("fit/2013-02-06-12-11-14.fit", 4835.38, 2625, 147, "running"),  # FR110
        _p("fit/activity-small-fenix2-run.fit", 9008.22, 2832, None, "running"),  # Fenix 2
        _p("fit/10kUNLP2014-Garmin15.fit", 10010.82, 2223.803, None, "running"),  # FR15, no HR
        _p("fit/3386684871.fit", 4922.73, None, 137, "running"),  # vivoactive HR
        _p("fit/Fr955v19.28andStryd.fit", 10021.48, 3117, 139, "running"),  # FR955 + Stryd
        _p("fit/Garmin920_withFirstbeat.fit", 7278.71, None, None, "running"),  # FR920XT
        _p("fit/2015-10-13-08-43-15.fit", 11536.43, None, None, "cycling"),  # Edge 200, no HR
        _p("odd/compressed-speed-distance.fit", 10248.67, None, None, "running"),  # FR70
    ],
)
def test_session_oracles(corpus, rel, distance_m, elapsed_s, avg_hr, sport):
    (act,) = load(corpus, rel)
    assert act.sport == sport
    assert act.distance_m == pytest.approx(distance_m, abs=0.005)
    if elapsed_s is not None:
        assert act.elapsed_s == pytest.approx(elapsed_s, abs=0.5)
    if avg_hr is not None:
        assert act.avg_hr_bpm == avg_hr
    if rel == "fit/2015-10-13-08-43-15.fit":  # "no HR"
        assert act.avg_hr_bpm is None and act.samples["hr_bpm"].isna().all()
    if rel == "fit/10kUNLP2014-Garmin15.fit":  # the TCX of the same run totals 10010.82 m / 2223.8 s
        assert act.elapsed_s == pytest.approx(2223.8, abs=0.01)
        assert act.avg_hr_bpm is None


@pytest.mark.slow
def test_fr955_cadence_is_steps_per_minute(corpus):
    (act,) = load(corpus, "fit/Fr955v19.28andStryd.fit")
    running = act.samples["cadence_spm"][act.samples["speed_m_s"] > 2.5]
    assert 140 < running.median() < 200  # steps/min, not strides/min (~80)
    assert 140 < act.avg_cadence_spm < 200


def test_compressed_speed_distance_matches_dump(corpus):
    (act,) = load(corpus, "odd/compressed-speed-distance.fit")
    s = act.samples
    csv = pd.read_csv(corpus / "odd" / "compressed-speed-distance-records.csv", na_values="null")
    csv.columns = ["t", "hr", "speed", "distance", "cadence"]
    # the first record holds only its (relative) timestamp 17217864; the next 754 match the dump
    assert len(s) == 1 + len(csv) == 755
    assert s.iloc[0].drop(["time_utc", "elapsed_s"]).isna().all()
    rest = s.iloc[1:].reset_index(drop=True)
    np.testing.assert_array_equal(rest["elapsed_s"], csv["t"] - 17217864)
    np.testing.assert_allclose(rest["hr_bpm"], csv["hr"])
    np.testing.assert_allclose(rest["speed_m_s"], csv["speed"], atol=1e-9)
    np.testing.assert_allclose(rest["distance_m"], csv["distance"], atol=1e-9)
    cadence = np.floor(rest["cadence_spm"] / 2)
    np.testing.assert_array_equal(cadence.isna(), csv["cadence"].isna())
    np.testing.assert_array_equal(cadence.dropna(), csv["cadence"].dropna())
    assert act.distance_m == pytest.approx(10248.67)


@pytest.mark.parametrize("rel", ["odd/compressed-speed-distance.fit", "odd/antfs-dump.63.fit"])
def test_relative_time_files_anchored(corpus, rel):
    """FR70 files: every date_time is relative; the only clock is activity.local_timestamp."""
    (act,) = load(corpus, rel)
    local_clock = pd.Timestamp("2012-02-13 12:21:03", tz="UTC")  # activity.local_timestamp
    assert act.start_utc.year == 2012  # a date, not 1990 (relative seconds read as dates)
    assert local_clock - pd.Timedelta(hours=2) < act.start_utc < local_clock
    assert act.utc_offset_s is None
    first = act.samples["time_utc"].iloc[0]
    assert act.start_utc <= first <= act.start_utc + pd.Timedelta(seconds=5)
    assert any("local clock" in n for n in act.notes)


def test_compressed_speed_distance_anchor_arithmetic(corpus):
    (act,) = load(corpus, "odd/compressed-speed-distance.fit")
    # activity.timestamp 17221751 (relative) is local 2012-02-13 12:21:03; the session starts 17217864
    expected = pd.Timestamp("2012-02-13 12:21:03", tz="UTC") - pd.Timedelta(seconds=17221751 - 17217864)
    assert act.start_utc == expected


def test_multisport_file_split_into_sessions(corpus):
    acts = load(corpus, "odd/sample_mulitple_header.fit")  # 4 chained FIT files, a triathlon
    assert [(a.sport, a.sub_sport) for a in acts] == [
        ("swimming", "open_water"),
        ("other", "transition"),
        ("cycling", "generic"),
        ("other", "transition"),
        ("running", "generic"),
    ]
    starts = [a.start_utc for a in acts]
    assert starts == sorted(starts)
    for a, b in zip(acts, acts[1:], strict=False):
        if len(a.samples) and len(b.samples):
            assert a.samples["time_utc"].iloc[-1] < b.samples["time_utc"].iloc[0]
    for a in acts:
        if len(a.samples):
            assert a.samples["time_utc"].iloc[0] >= a.start_utc
            assert a.samples["time_utc"].iloc[-1] <= a.start_utc + pd.Timedelta(seconds=a.elapsed_s + 2)
    assert acts[-1].avg_cadence_spm > 120  # run cadence doubled; the bike's is not steps


def test_chained_activity_and_settings_file(corpus):
    (act,) = load(corpus, "odd/activity-settings.fit")
    # the FIT SDK example activity: 14 records, 5.73 m
    assert len(act.samples) == 14 and act.distance_m == pytest.approx(5.73)


def test_session_without_records(corpus):
    (act,) = load(corpus, "odd/2012_02_05_09_03_59.fit")
    assert act.samples.empty and act.sport == "cycling" and act.device == "garmin edge500"


def test_records_without_session(corpus):
    (act,) = load(corpus, "odd/WithGearChangeData.fit")
    assert len(act.samples) > 1000
    assert act.device == "garmin edge_1040"  # file_id.product 3843
    assert any("no session" in n for n in act.notes)


@pytest.mark.slow
def test_wahoo_elemnt_session(corpus):
    (act,) = load(corpus, "odd/2019-02-17-062644-ELEMNT-297E-195-0.fit")
    assert (act.elapsed_s, act.moving_s) == (23595, 13471)
    assert act.distance_m / act.moving_s == pytest.approx(5.86, abs=0.005)  # session avg_speed
    assert act.sport == "cycling"


def test_gzipped_fit_with_elapsed_below_timer(corpus):
    (act,) = load(corpus, "odd/14582164182.fit.gz")
    assert (act.sport, act.sub_sport) == ("cycling", "virtual_activity")
    assert (act.elapsed_s, act.moving_s) == (1632, 2760)
    assert act.device == "garmin edge_1030_plus"
    # the samples are not cut at the (too short) elapsed time
    assert act.samples["elapsed_s"].iloc[-1] > 2000


def test_null_compressed_speed_distance_keeps_distance(corpus):
    (act,) = load(corpus, "odd/null_compressed_speed_dist.fit")
    s = act.samples
    assert s["distance_m"].notna().all()  # fitparse get_values() would lose it
    assert s["distance_m"].iloc[-1] == pytest.approx(act.distance_m, abs=1.0)


def test_apple_watch_strava_file(corpus):
    (act,) = load(corpus, "odd/apple_watch.fit")
    assert act.moving_s is None  # the session has no total_timer_time
    assert act.distance_m == pytest.approx(1200.94)
    assert act.samples["hr_bpm"].notna().sum() == 67


def test_garsync_file(corpus):
    (act,) = load(corpus, "odd/garsync-01689ee462874de588ff4abf904c1e72.fit")
    assert (act.distance_m, act.avg_hr_bpm) == (4615.0, 155.0)
    assert (act.sport, act.sub_sport, act.trail_hint) == ("running", "street", False)


@pytest.mark.slow
def test_misaligned_field_sizes_fall_back_to_bytes(corpus):
    (act,) = load(corpus, "odd/coros-pace-2-cycling-misaligned-fields.fit")
    assert act.sport == "cycling" and len(act.samples) > 10_000
    assert any("raw bytes" in n for n in act.notes)


# history/: 128 fenix 6X runs with their session values in index.csv

HISTORY_DEFAULT = ("514755390.fit", "517815478.fit", "519243248.fit")


def _history_rows() -> list:
    index = CORPUS / "history" / "index.csv"
    if not index.is_file():
        return []
    rows = pd.read_csv(index).to_dict("records")
    return [
        pytest.param(row, id=row["file"], marks=[] if row["file"] in HISTORY_DEFAULT else [pytest.mark.slow])
        for row in rows
    ]


@pytest.mark.parametrize("row", _history_rows())
def test_history_matches_index(corpus, row):
    (act,) = load(corpus, "history/" + row["file"])
    assert act.start_utc == pd.Timestamp(row["start_time"])
    assert (act.sport, act.sub_sport) == (row["sport"], row["sub_sport"])
    if row["sub_sport"] == "trail":
        assert act.trail_hint is True
    assert act.distance_m == pytest.approx(row["total_distance"], abs=0.005)
    assert act.moving_s == pytest.approx(row["total_timer_time"], abs=0.0005)
    assert act.elapsed_s == pytest.approx(row["total_elapsed_time"], abs=0.0005)
    assert act.avg_hr_bpm == row["avg_heart_rate"] and act.max_hr_bpm == row["max_heart_rate"]
    ascent, descent = (None if pd.isna(row[k]) else row[k] for k in ("total_ascent", "total_descent"))
    assert (act.ascent_m, act.descent_m) == (ascent, descent)  # treadmill runs have none
    assert act.barometric is (ascent is not None or descent is not None)
    assert len(act.samples) == row["records"]
    assert act.samples["lat_deg"].notna().sum() == row["records_with_gps"]
    assert act.device == "garmin fenix6x"
