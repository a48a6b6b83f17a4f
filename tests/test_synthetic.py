"""Synthetic runs and their FIT/GPX encoders, cross-checked with independent decoders.

fitparse and gpxpy are imported here *only* as independent oracles for files we write ourselves
(hiprisk's own readers live in hiprisk/importers/). A FIT value is compared with the sample it came
from within half the field's resolution (scale 100 → 0.005 m, scale 5 → 0.1 m, ...).
"""

from __future__ import annotations

import io
import math
import struct
import time
import warnings
from datetime import UTC, datetime, timedelta

import fitparse
import fitparse.records
import gpxpy
import numpy as np
import pandas as pd
import pytest

from hiprisk.importers.base import SAMPLE_COLUMNS
from hiprisk.synthetic import (
    SyntheticActivity,
    encode_activity,
    encode_gpx,
    example_plan,
    fit_crc,
    plan_to_files,
    simulate_run,
    write_fit,
    write_gpx,
)

START = pd.Timestamp("2024-05-04T06:30:00Z")
SEMICIRCLE_DEG = 180.0 / 2**31


def crc_reference(data: bytes) -> int:
    """The FIT protocol's CRC, transcribed from the nibble-table algorithm in its *CRC* section."""
    table = [0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
             0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400]  # fmt: skip
    crc = 0
    for byte in data:
        tmp = table[crc & 0xF]
        crc = (crc >> 4) & 0x0FFF
        crc = crc ^ tmp ^ table[byte & 0xF]
        tmp = table[crc & 0xF]
        crc = (crc >> 4) & 0x0FFF
        crc = crc ^ tmp ^ table[(byte >> 4) & 0xF]
    return crc


def decode(data: bytes) -> dict[str, list[dict]]:
    """All messages of a FIT file by name, via fitparse with CRC checks on; fails on any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = fitparse.FitFile(io.BytesIO(data), check_crc=True)
        messages: dict[str, list[dict]] = {}
        for message in fit.get_messages():
            values = {f.name: f.value for f in message.fields}
            messages.setdefault(message.name, []).append(values)
    return messages


def fit_utc(value: datetime) -> pd.Timestamp:
    return pd.Timestamp(value).tz_localize("UTC")


@pytest.fixture(scope="module")
def run() -> SyntheticActivity:
    return simulate_run(START, 3.2, profile="rolling", seed=11, utc_offset_s=7200, name="Test run")


@pytest.fixture(scope="module")
def run_fit(run) -> bytes:
    return encode_activity(run)


@pytest.fixture(scope="module")
def decoded(run_fit) -> dict[str, list[dict]]:
    return decode(run_fit)


# ------------------------------------------------------------------------------------------ CRC


@pytest.mark.parametrize("size", [0, 1, 13, 1023, 1024, 1025, 4097, 70_001])
def test_crc_matches_protocol_algorithm(size):
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    assert fit_crc(data) == crc_reference(data)


def test_crc_matches_fitparse():
    data = np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    crc = fitparse.records.Crc()
    crc.update(data)
    assert fit_crc(data) == crc.value


def test_header_layout_and_crcs(run_fit):
    size, protocol, _profile, data_size, magic, header_crc = struct.unpack("<BBHI4sH", run_fit[:14])
    assert (size, protocol, magic) == (14, 0x20, b".FIT")
    assert data_size == len(run_fit) - 16
    assert header_crc == crc_reference(run_fit[:12])
    # a CRC-16/ARC run over data followed by its own little-endian CRC gives 0
    assert crc_reference(run_fit) == 0


def test_corrupted_byte_fails_crc(run_fit):
    bad = bytearray(run_fit)
    bad[len(bad) // 2] ^= 0x01
    with pytest.raises(fitparse.FitParseError):
        decode(bytes(bad))


# ------------------------------------------------------------------------------ FIT round trip


def test_fit_message_structure(decoded, run):
    names = list(decoded)
    assert names[:3] == ["file_id", "device_info", "event"]
    assert names[-3:] == ["lap", "session", "activity"]
    assert len(decoded["record"]) == len(run.samples)
    (file_id,) = decoded["file_id"]
    assert file_id["type"] == "activity"
    assert file_id["manufacturer"] == "development"
    assert [e["event_type"] for e in decoded["event"]] == ["start", "stop_all"]
    assert all(e["event"] == "timer" for e in decoded["event"])


def test_fit_records_round_trip(decoded, run):
    s = run.samples
    records = pd.DataFrame(decoded["record"])
    times = pd.to_datetime(records["timestamp"]).dt.tz_localize("UTC")
    assert (times.to_numpy() == s["time_utc"].to_numpy()).all()
    np.testing.assert_allclose(records["distance"], s["distance_m"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(records["enhanced_altitude"], s["elevation_m"], atol=0.1 + 1e-9)
    np.testing.assert_allclose(records["enhanced_speed"], s["speed_m_s"], atol=0.0005 + 1e-9)
    np.testing.assert_allclose(records["position_lat"] * SEMICIRCLE_DEG, s["lat_deg"], atol=SEMICIRCLE_DEG)
    np.testing.assert_allclose(records["position_long"] * SEMICIRCLE_DEG, s["lon_deg"], atol=SEMICIRCLE_DEG)
    np.testing.assert_array_equal(records["heart_rate"], s["hr_bpm"])
    steps = 2 * (records["cadence"] + records["fractional_cadence"])
    np.testing.assert_allclose(steps, s["cadence_spm"], atol=1 / 128)
    assert records["cadence"].between(70, 100).all()  # per leg, not steps


def test_fit_session_totals(decoded, run):
    s = run.samples
    (session,) = decoded["session"]
    assert session["sport"] == "running"
    assert session["sub_sport"] == "generic"
    assert fit_utc(session["start_time"]) == run.start_utc
    elapsed = (s["time_utc"].iloc[-1] - s["time_utc"].iloc[0]).total_seconds()
    assert session["total_elapsed_time"] == pytest.approx(elapsed, abs=0.0005)
    assert session["total_timer_time"] == pytest.approx(elapsed, abs=0.0005)
    assert session["total_distance"] == pytest.approx(3200.0, abs=0.005)
    assert session["total_ascent"] == round(run.ascent_m)
    assert session["total_descent"] == round(run.descent_m)
    assert session["avg_heart_rate"] == round(s["hr_bpm"].mean())
    assert session["max_heart_rate"] == s["hr_bpm"].max()
    avg_strides = session["avg_running_cadence"] + session["avg_fractional_cadence"]
    assert avg_strides == pytest.approx(s["cadence_spm"].mean() / 2, abs=1 / 256)
    assert session["max_running_cadence"] == math.floor(s["cadence_spm"].max() / 2)
    assert session["num_laps"] == 4  # auto-lap every 1000 m over 3.2 km
    assert fit_utc(session["timestamp"]) == s["time_utc"].iloc[-1]


def test_fit_laps_partition_the_session(decoded):
    laps = decoded["lap"]
    (session,) = decoded["session"]
    assert [lap["message_index"] for lap in laps] == [0, 1, 2, 3]
    assert [lap["lap_trigger"] for lap in laps] == ["distance"] * 3 + ["session_end"]
    assert sum(lap["total_distance"] for lap in laps) == pytest.approx(3200.0, abs=0.02)
    assert laps[0]["total_distance"] == pytest.approx(1000.0, abs=15.0)  # first sample past 1 km
    assert sum(lap["total_elapsed_time"] for lap in laps) == pytest.approx(
        session["total_elapsed_time"], abs=0.005
    )
    assert laps[0]["start_time"] == session["start_time"]
    assert laps[-1]["timestamp"] == session["timestamp"]
    for earlier, later in zip(laps, laps[1:], strict=False):
        assert later["start_time"] == earlier["timestamp"]


def test_fit_activity_local_timestamp(decoded):
    (activity,) = decoded["activity"]
    assert activity["num_sessions"] == 1
    assert activity["type"] == "manual"
    offset = activity["local_timestamp"] - activity["timestamp"]
    assert offset == timedelta(hours=2)


@pytest.mark.parametrize("offset_s", [-25_200, 0, 19_800, 45_900])
def test_fit_utc_offset_option(run, offset_s):
    (activity,) = decode(encode_activity(run, utc_offset_s=offset_s))["activity"]
    assert (activity["local_timestamp"] - activity["timestamp"]).total_seconds() == offset_s


def test_fit_without_utc_offset_has_no_local_timestamp(run):
    (activity,) = decode(encode_activity(run, utc_offset_s=None))["activity"]
    assert "local_timestamp" not in activity


def test_fit_garmin_manufacturer_and_no_device_info(run):
    messages = decode(encode_activity(run, manufacturer="garmin", product=3290, device_info=False))
    assert messages["file_id"][0]["manufacturer"] == "garmin"
    assert "device_info" not in messages


def test_fit_treadmill_has_no_positions_or_altitude():
    act = simulate_run(START, 2.0, profile="treadmill", seed=3)
    assert act.sub_sport == "treadmill"
    assert not act.has_positions
    messages = decode(encode_activity(act))
    records = messages["record"]
    assert len(records) == len(act.samples)
    assert all("position_lat" not in r and "enhanced_altitude" not in r for r in records)
    assert all(r["heart_rate"] is not None and r["distance"] is not None for r in records)
    (session,) = messages["session"]
    assert session["sub_sport"] == "treadmill"
    assert "start_position_lat" not in session
    assert "total_descent" not in session
    assert session["total_distance"] == pytest.approx(2000.0, abs=0.005)


def test_fit_omit_options(run):
    messages = decode(encode_activity(run, omit=("hr_bpm", "elevation_m", "position")))
    record = messages["record"][10]
    assert {"heart_rate", "enhanced_altitude", "position_lat", "position_long"}.isdisjoint(record)
    assert {"distance", "enhanced_speed", "cadence"} <= set(record)
    session = messages["session"][0]
    assert "avg_heart_rate" not in session and "total_ascent" not in session


def test_fit_nan_becomes_invalid_value(run):
    s = run.samples.copy()
    s.loc[5:9, "hr_bpm"] = np.nan
    s.loc[20, "lat_deg"] = np.nan
    s.loc[20, "lon_deg"] = np.nan
    act = SyntheticActivity(samples=s, start_utc=run.start_utc, utc_offset_s=0)
    records = decode(encode_activity(act))["record"]
    assert [records[i]["heart_rate"] for i in range(4, 11)] == [
        s["hr_bpm"][4],
        None,
        None,
        None,
        None,
        None,
        s["hr_bpm"][10],
    ]
    assert records[20]["position_lat"] is None and records[20]["position_long"] is None
    assert records[21]["position_lat"] is not None


def test_fit_from_hand_made_mapping():
    act = {
        "samples": {
            "time_utc": ["2024-01-01T23:59:58Z", "2024-01-02T00:00:00Z", "2024-01-02T00:00:07Z"],
            "distance_m": [0.0, 5.5, 25.25],
            "hr_bpm": [100, np.nan, 120],
            "cadence_spm": [171, 172, 173.5],
        },
        "sub_sport": "track",
        "utc_offset_s": -18_000,
    }
    messages = decode(encode_activity(act, lap_m=None))
    records = messages["record"]
    assert [r["distance"] for r in records] == [0.0, 5.5, 25.25]
    assert [r["heart_rate"] for r in records] == [100, None, 120]
    assert [2 * (r["cadence"] + r["fractional_cadence"]) for r in records] == [171, 172, 173.5]
    assert fit_utc(records[2]["timestamp"]) == pd.Timestamp("2024-01-02T00:00:07Z")
    (session,) = messages["session"]
    assert session["sub_sport"] == "track"
    assert session["total_elapsed_time"] == 9.0
    assert session["num_laps"] == 1
    assert "total_ascent" not in session  # no elevation at all


def test_fit_empty_activity_is_valid():
    act = {"samples": {"time_utc": []}, "start_utc": "2024-01-01T10:00:00Z"}
    messages = decode(encode_activity(act))
    assert "record" not in messages
    assert messages["session"][0]["total_elapsed_time"] == 0.0


def test_fit_out_of_range_value_is_refused(run):
    s = run.samples.copy()
    s.loc[3, "hr_bpm"] = 300.0  # uint8: 255 is the invalid value, 300 does not fit
    with pytest.raises(ValueError, match="heart_rate"):
        encode_activity(SyntheticActivity(samples=s, start_utc=run.start_utc))


def test_write_fit_to_path_and_buffer(run, run_fit, tmp_path):
    path = tmp_path / "a.fit"
    write_fit(path, run)
    buffer = io.BytesIO()
    write_fit(buffer, run)
    assert path.read_bytes() == buffer.getvalue() == run_fit


# ------------------------------------------------------------------------------ GPX round trip


def parse_gpx(data: bytes):
    return gpxpy.parse(data.decode("utf-8"))


def test_gpx_round_trip(run):
    gpx = parse_gpx(encode_gpx(run))
    assert gpx.version == "1.1"
    assert gpx.creator == "hiprisk synthetic"
    assert gpx.time == run.start_utc.to_pydatetime()
    (track,) = gpx.tracks
    assert track.name == "Test run"
    assert track.type == "running"
    points = track.segments[0].points
    s = run.samples
    assert len(points) == len(s)
    np.testing.assert_allclose([p.latitude for p in points], s["lat_deg"], atol=5e-8 + 1e-12)
    np.testing.assert_allclose([p.longitude for p in points], s["lon_deg"], atol=5e-8 + 1e-12)
    np.testing.assert_allclose([p.elevation for p in points], s["elevation_m"], atol=0.005 + 1e-9)
    times = pd.to_datetime([p.time for p in points], utc=True)
    assert (times == pd.DatetimeIndex(s["time_utc"])).all()
    assert points[0].time.utcoffset() == timedelta(0)
    hr, cad = [], []
    for p in points:
        (ext,) = p.extensions
        values = {child.tag.split("}")[1]: float(child.text) for child in ext}
        hr.append(values["hr"])
        cad.append(values["cad"])
    np.testing.assert_array_equal(hr, s["hr_bpm"])
    np.testing.assert_array_equal(cad, np.floor(s["cadence_spm"] / 2))  # per leg, like Garmin


def test_gpx_trail_type_and_missing_values():
    act = simulate_run(START, 1.0, profile="trail", seed=5, heart_rate=False)
    s = act.samples
    s.loc[3, "elevation_m"] = np.nan
    gpx = parse_gpx(encode_gpx(act))
    assert gpx.tracks[0].type == "trail_running"
    points = gpx.tracks[0].segments[0].points
    assert points[3].elevation is None and points[4].elevation is not None
    ext = points[0].extensions[0]
    assert [child.tag.split("}")[1] for child in ext] == ["cad"]  # no hr element


def test_gpx_escapes_names(run):
    gpx = parse_gpx(encode_gpx(run, name="Tom & Jerry <run>", creator='say "hi"'))
    assert gpx.tracks[0].name == "Tom & Jerry <run>"
    assert gpx.creator == 'say "hi"'


def test_gpx_refuses_activity_without_positions(tmp_path):
    act = simulate_run(START, 1.0, profile="treadmill", seed=1)
    with pytest.raises(ValueError, match="positions"):
        write_gpx(tmp_path / "x.gpx", act)


# -------------------------------------------------------------------------------- determinism


def test_same_seed_same_bytes_other_seed_other_bytes():
    def files(seed: int) -> tuple[bytes, bytes]:
        act = simulate_run(START, 2.0, profile="trail", seed=seed, utc_offset_s=3600)
        return encode_activity(act), encode_gpx(act)

    assert files(4) == files(4)
    fit_a, gpx_a = files(4)
    fit_b, gpx_b = files(5)
    assert fit_a != fit_b and gpx_a != gpx_b


# ------------------------------------------------------------------ simulation: plausibility


def test_samples_contract(run):
    s = run.samples
    assert list(s.columns) == list(SAMPLE_COLUMNS)
    assert {c: str(t) for c, t in s.dtypes.items()} == SAMPLE_COLUMNS
    assert s["time_utc"].is_monotonic_increasing and s["time_utc"].is_unique
    assert (s["time_utc"].dt.microsecond == 0).all() and (s["time_utc"].dt.nanosecond == 0).all()
    assert s["distance_m"].is_monotonic_increasing
    assert s["distance_m"].iloc[0] == 0.0 and s["distance_m"].iloc[-1] == pytest.approx(3200.0)
    assert s["time_utc"].iloc[0] == START == run.start_utc
    assert not s.drop(columns="time_utc").isna().any().any()


def test_sampling_options():
    fixed = simulate_run(START, 2.0, sample_interval_s=5, seed=1).samples
    assert set(np.diff(fixed["elapsed_s"])[:-1]) == {5.0}
    smart = simulate_run(START, 2.0, smart_recording=True, seed=1).samples
    gaps = np.diff(smart["elapsed_s"])
    assert gaps.min() >= 1 and gaps.max() <= 8 and len(set(gaps)) > 4


def test_easy_cadence_and_heart_rate_are_plausible():
    s = simulate_run(START, 8.0, pace_s_per_km=360, seed=2).samples
    assert 165 <= s["cadence_spm"].median() <= 180  # Heiderscheit 2011: typical 160–180 spm
    assert 50 < s["hr_bpm"].median() < 170  # easy pace stays below the threshold HR


def test_heart_rate_lags_a_hard_start():
    hard = simulate_run(START, 5.0, pace_s_per_km=270, warmup=False, seed=3).samples
    warm = simulate_run(START, 5.0, pace_s_per_km=270, warmup=True, seed=3).samples
    assert hard["hr_bpm"].iloc[0] < 90 < hard["hr_bpm"].iloc[180]  # rises within minutes
    first10 = slice(0, 600)
    assert warm["hr_bpm"].iloc[first10].mean() < hard["hr_bpm"].iloc[first10].mean() - 5
    assert warm["speed_m_s"].iloc[first10].mean() < hard["speed_m_s"].iloc[first10].mean()


def test_pace_reacts_to_grade():
    act = simulate_run(START, 10.0, profile="trail", seed=8)
    s = act.samples
    moving = s["distance_m"].diff().fillna(1.0) > 0  # the last sample repeats the end distance
    s = s[moving]
    elevation = s["elevation_m"].rolling(15, center=True, min_periods=1).mean()
    grade = np.gradient(elevation, s["distance_m"])
    up, down = s["speed_m_s"][grade > 0.06], s["speed_m_s"][grade < -0.06]
    assert len(up) > 100 and len(down) > 100
    assert up.mean() < 0.85 * down.mean()


@pytest.mark.parametrize(
    ("profile", "low", "high"),
    [("trail", 40.0, 80.0), ("downhill", 30.0, 80.0), ("rolling", 5.0, 40.0), ("flat", 0.0, 0.0)],
)
def test_descent_per_km_by_profile(profile, low, high):
    act = simulate_run(START, 6.0, profile=profile, seed=9)
    assert low <= act.descent_m / 6.0 <= high
    if profile in ("trail", "rolling", "flat"):  # loops: back at the start height
        assert act.ascent_m == pytest.approx(act.descent_m, abs=1.0)


def test_flat_elevation_noise_is_small_and_gps_jitter_is_metres():
    s = simulate_run(START, 5.0, profile="flat", seed=6).samples
    assert (s["elevation_m"] - 420.0).abs().quantile(0.95) < 0.6
    lat = np.radians(s["lat_deg"].to_numpy())
    north = (lat - lat.mean()) * 6_371_000
    smooth = pd.Series(north).rolling(61, center=True).mean().to_numpy()
    jitter = np.nanstd(north - smooth)
    assert 0.3 < jitter < 4.0  # AR(1) error of ~2.5 m SD, partly absorbed by the 61 s smoothing


def test_cadence_drop_over_last_third():
    s = simulate_run(START, 12.0, cadence_drop_pct=8.0, seed=4).samples
    thirds = np.array_split(s["cadence_spm"].to_numpy(), 3)
    assert thirds[2].mean() < 0.97 * thirds[1].mean()


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="profile"):
        simulate_run(START, 5.0, profile="moon")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        simulate_run(START, 0.0)
    with pytest.raises(ValueError):
        simulate_run(START, 5.0, sample_interval_s=1.5)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------- plans


def test_plan_to_files_formats_index_and_determinism(tmp_path):
    plan = [
        {"start_utc": START, "distance_km": 1.5, "name": "a", "utc_offset_s": 3600},
        {"start_utc": START + pd.Timedelta(days=1), "distance_km": 1.5, "name": "b"},
        {"start_utc": START + pd.Timedelta(days=2), "distance_km": 1.5, "profile": "treadmill"},
        {"start_utc": START + pd.Timedelta(days=3), "distance_km": 1.5, "format": "gpx"},
        simulate_run(START + pd.Timedelta(days=4), 1.0, seed=1, name="ready"),
    ]
    paths = plan_to_files(plan, tmp_path / "one", formats=("fit", "gpx"))
    assert [p.suffix for p in paths] == [".fit", ".gpx", ".fit", ".gpx", ".fit"]  # treadmill → FIT
    assert paths[0].name == "2024-05-04_0730_a.fit"  # local time in the name
    index = pd.read_csv(tmp_path / "one" / "index.csv")
    assert list(index["file"]) == [p.name for p in paths]
    assert list(index["sub_sport"])[2] == "treadmill"
    assert index["distance_m"].tolist() == [1500.0, 1500.0, 1500.0, 1500.0, 1000.0]
    decode(paths[0].read_bytes())
    parse_gpx(paths[1].read_bytes())
    again = plan_to_files(plan, tmp_path / "two", formats=("fit", "gpx"))
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again]


def test_example_plan_tells_its_story():
    plan = example_plan()
    starts = pd.DatetimeIndex([e["start_utc"] for e in plan])
    assert starts.is_monotonic_increasing
    local_days = pd.DatetimeIndex(
        [(e["start_utc"] + pd.Timedelta(seconds=e["utc_offset_s"])).normalize() for e in plan]
    ).unique()
    assert (local_days[-1] - local_days[0]).days < 16 * 7
    assert {e["utc_offset_s"] for e in plan} == {3600, 7200}  # crosses the DST change
    profiles = {e["profile"] for e in plan}
    assert {"flat", "rolling", "trail", "downhill", "treadmill"} <= profiles
    assert any(not e["warmup"] for e in plan)
    # longest streak of consecutive running days (local dates)
    gaps = (local_days[1:] - local_days[:-1]).days
    streak = best = 1
    for gap in gaps:
        streak = streak + 1 if gap == 1 else 1
        best = max(best, streak)
    assert best >= 10
    assert example_plan() == plan  # deterministic


def test_twenty_one_hour_runs_throughput(tmp_path, capsys):
    """Speed figure for the report (printed, not asserted): 20 × 1 h at 1 s, FIT and GPX."""
    t0 = time.perf_counter()
    runs = [simulate_run(START, 10.0, pace_s_per_km=360, seed=i) for i in range(20)]
    t1 = time.perf_counter()
    for i, act in enumerate(runs):
        (write_fit if i % 2 else write_gpx)(tmp_path / f"{i}.{'fit' if i % 2 else 'gpx'}", act)
    t2 = time.perf_counter()
    samples = sum(len(r.samples) for r in runs)
    with capsys.disabled():
        print(f"\n20 runs, {samples} samples: simulate {t1 - t0:.2f} s, write {t2 - t1:.2f} s")
    assert samples >= 20 * 3600
    decode((tmp_path / "1.fit").read_bytes())


def test_naive_datetimes_are_utc():
    act = simulate_run(datetime(2024, 1, 1, 12, 0), 1.0, seed=0)
    assert act.start_utc == pd.Timestamp("2024-01-01T12:00:00Z")
    aware = simulate_run(datetime(2024, 1, 1, 13, 0, tzinfo=UTC) + timedelta(hours=-1), 1.0)
    assert aware.start_utc == act.start_utc
