"""Data-sanity rules (hiprisk.sanity): each repair counted in the notes, each rejection a one-line error."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hiprisk
from hiprisk import sanity
from hiprisk.errors import FileFormatError
from hiprisk.geo import haversine_m
from hiprisk.importers import decode
from hiprisk.importers.base import ParsedActivity, SourceMeta, make_samples
from hiprisk.importers.gpx import cumulative_distance_m
from hiprisk.ingest import prepare

from ..helpers import flat_run

REPO = Path(__file__).resolve().parents[2]
NOW = pd.Timestamp("2026-03-20T12:00:00Z")
M_PER_DEG_LAT = 111_195.0  # mean Earth radius × π/180 [m/deg]


def new_notes(before: ParsedActivity, after: ParsedActivity) -> list[str]:
    assert after.notes[: len(before.notes)] == before.notes
    return after.notes[len(before.notes) :]


def gps_run(n: int = 601, speed_m_s: float = 3.0, *, device_distance: bool = False, **kwargs):
    """A straight run north at 1 Hz; the distance column from the positions (like GPX) or the device."""
    t = np.arange(n, dtype=float)
    lat = 45.0 + t * speed_m_s / M_PER_DEG_LAT
    lon = np.full(n, 7.0)
    lat = kwargs.pop("lat", lat)
    lon = kwargs.pop("lon", lon)
    dist = t * speed_m_s if device_distance else cumulative_distance_m(lat, lon)
    samples = make_samples(
        time_utc=pd.Timestamp("2026-03-02T06:00:00Z") + pd.to_timedelta(t, unit="s"),
        distance_m=dist,
        lat_deg=lat,
        lon_deg=lon,
        hr_bpm=np.full(n, 150.0),
    )
    return ParsedActivity(
        source_format="fit" if device_distance else "gpx",
        start_utc=samples["time_utc"].iloc[0],
        sport=kwargs.pop("sport", "running"),
        samples=samples,
        **kwargs,
    )


def displaced(lat: np.ndarray, rows, metres: float) -> np.ndarray:
    out = lat.copy()
    out[list(rows)] += metres / M_PER_DEG_LAT
    return out


# ---------------------------------------------------------------------------------------------- the table


def test_rules_table_is_mirrored_in_the_module_docs_and_docs_hardening():
    """``sanity.RULES``, the module docs and ``docs/hardening.md`` list the same rules in the same order."""
    doc = (REPO / "docs" / "hardening.md").read_text()
    module_doc = sanity.__doc__
    assert len({r.rule for r in sanity.RULES}) == len(sanity.RULES)
    for rule in sanity.RULES:
        assert re.search(rf"\|\s*`{re.escape(rule.rule)}`\s*\|", doc), rule.rule
        assert f"``{rule.rule}``" in module_doc, rule.rule
    table_ids = re.findall(r"^\|\s*`([a-z0-9-]+)`\s*\|", doc, flags=re.M)
    assert [i for i in table_ids if i in {r.rule for r in sanity.RULES}] == [r.rule for r in sanity.RULES]


def test_a_clean_activity_is_returned_untouched():
    act = flat_run()
    assert sanity.clean(act, "f.fit") is act
    sanity.check(act, "f.fit", now=NOW)


# ---------------------------------------------------------------------------------------------- rejections


def test_empty_file():
    with pytest.raises(FileFormatError) as info:
        sanity.check_bytes(b"", "runs/empty.fit")
    assert str(info.value) == "runs/empty.fit: empty file (0 bytes)"
    sanity.check_bytes(b"x", "runs/one.fit")


@pytest.mark.parametrize(
    ("start", "ok"),
    [
        ("1999-12-31T23:59:59Z", False),
        ("2000-01-01T00:00:00Z", True),
        ("2026-03-21T12:00:00Z", True),  # now + 1 day: clock skew, still accepted
        ("2026-03-21T12:00:01Z", False),
    ],
)
def test_start_date_bounds(start, ok):
    act = flat_run(start=start, km=1.0)
    if ok:
        sanity.check(act, "f.fit", now=NOW)
        return
    with pytest.raises(FileFormatError, match=r"^f\.fit: (implausible start date .* \(before 2000\)|"
                       r"start date .* is in the future)$"):  # fmt: skip
        sanity.check(act, "f.fit", now=NOW)


def test_no_start_time_and_naive_start():
    act = flat_run(km=1.0)
    act.start_utc = pd.NaT
    with pytest.raises(FileFormatError, match="no start time"):
        sanity.check(act, "f.fit", now=NOW)
    act.start_utc = pd.Timestamp("1995-01-01")  # naive: read as UTC, still refused for its date
    with pytest.raises(FileFormatError, match="before 2000"):
        sanity.check(act, "f.fit", now=NOW)


@pytest.mark.parametrize(
    ("field", "seconds", "ok"),
    [("elapsed_s", 86_400.0, True), ("elapsed_s", 86_401.0, False), ("moving_s", 90_000.0, False)],
)
def test_over_24_hours_from_the_file_totals(field, seconds, ok):
    act = flat_run(km=1.0, **{field: seconds})
    if ok:
        sanity.check(act, "f.fit", now=NOW)
    else:
        with pytest.raises(FileFormatError, match=r"activity lasts 2\d\.\d h \(over 24 h\)"):
            sanity.check(act, "f.fit", now=NOW)


def test_over_24_hours_from_the_samples_even_when_the_file_says_less():
    act = flat_run(km=1.0)
    late = act.samples.iloc[[-1]].assign(time_utc=act.samples["time_utc"].iloc[0] + pd.Timedelta(hours=30))
    act.samples = make_samples(**{c: pd.concat([act.samples[c], late[c]]) for c in act.samples.columns})
    with pytest.raises(FileFormatError, match=r"activity lasts 30\.0 h"):
        sanity.check(act, "f.gpx", now=NOW)


def test_zero_length_activity():
    one = make_samples(time_utc=["2026-03-02T06:00:00Z"], hr_bpm=[120.0])
    act = ParsedActivity("gpx", pd.Timestamp("2026-03-02T06:00:00Z"), "running", samples=one)
    with pytest.raises(FileFormatError, match=r"^f\.gpx: zero-length activity"):
        sanity.check(act, "f.gpx", now=NOW)
    act.distance_m = 1200.0  # a session total with no records (odd/2012_02_05_09_03_59.fit): kept
    sanity.check(act, "f.gpx", now=NOW)


# ---------------------------------------------------------------------------------------------- times


def test_duplicate_backwards_and_missing_times_are_dropped_and_counted():
    act = flat_run(km=0.1)  # 34 one-second samples
    s = act.samples
    rows = [0, 1, 2, 2, 3, 1, 4, 5]  # row 2 repeated, row 1 again after row 3 (backwards)
    unsorted = s.iloc[rows].reset_index(drop=True)  # built directly: make_samples would sort it
    unsorted.loc[7, "time_utc"] = pd.NaT
    act.samples = unsorted
    out = sanity.clean(act, "f.fit")
    assert new_notes(act, out) == [
        "dropped 1 samples without a time",
        "dropped 1 samples with a duplicate timestamp",
        "dropped 1 samples with time going backwards",
    ]
    assert out.samples["time_utc"].tolist() == s["time_utc"].iloc[[0, 1, 2, 3, 4]].tolist()
    assert out.samples["elapsed_s"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert act.samples is unsorted and len(act.samples) == 8  # the input is not modified


def test_duplicate_timestamps_first_wins():
    s = make_samples(time_utc=["2026-03-02T06:00:00Z"] * 2 + ["2026-03-02T06:00:01Z"], hr_bpm=[100, 200, 110])
    out = sanity.clean(ParsedActivity("gpx", s["time_utc"].iloc[0], samples=s), "f.gpx")
    assert out.samples["hr_bpm"].tolist() == [100.0, 110.0]


def test_corpus_gpx_duplicate_times_match_an_independent_count(corpus):
    """10km_2024-11-29 (Apple Watch) repeats some <time> values: as many samples are dropped as gpxpy
    finds points whose time equals the previous point's."""
    gpxpy = pytest.importorskip("gpxpy")
    path = corpus / "gpx" / "10km_2024-11-29_10.09pm.gpx"
    times = [p.time for t in gpxpy.parse(path.read_text()).tracks for s in t.segments for p in s.points]
    repeats = sum(a == b for a, b in zip(times, times[1:], strict=False))
    assert repeats > 0
    (act,) = decode(path.read_bytes(), "gpx", path.name)
    out = sanity.clean(act, path.name)
    assert f"dropped {repeats} samples with a duplicate timestamp" in out.notes
    assert len(out.samples) == len(times) - repeats
    assert out.samples["time_utc"].is_unique and out.samples["time_utc"].is_monotonic_increasing


def test_corpus_file_from_1901_is_rejected(corpus):
    """odd/Mojstrovka.gpx: gpxpy's own test reads its first point at 1901-12-13 20:45:52."""
    with pytest.raises(FileFormatError, match=r"Mojstrovka\.gpx: implausible start date 1901-12-13"):
        prepare((corpus / "odd" / "Mojstrovka.gpx").read_bytes(), "gpx", "odd/Mojstrovka.gpx", None)


# ---------------------------------------------------------------------------------------------- values


def test_out_of_range_values_become_missing():
    act = flat_run(km=0.1)
    s = act.samples.copy()
    s.loc[3, "hr_bpm"] = 1e20  # a hostile TCX/GPX value (found by the fuzzer)
    s.loc[4, "hr_bpm"] = np.inf
    s.loc[5, "speed_m_s"] = -1.0
    s.loc[6, "lat_deg"] = 95.0  # a bad latitude drops the whole position
    s.loc[7, "elevation_m"] = 12_600.0
    s.loc[8, "cadence_spm"] = 400.0  # the bound itself is kept
    act.samples = s
    out = sanity.clean(act, "f.fit")
    assert new_notes(act, out) == [
        "dropped 2 heart-rate values outside 20 to 250",
        "dropped 1 speed values outside 0 to 100",
        "dropped 1 elevation values outside -500 to 9000",
        "dropped 1 latitude values outside -90 to 90",
        "dropped 1 longitude values outside -180 to 180",
    ]
    o = out.samples
    assert o.loc[[3, 4], "hr_bpm"].isna().all() and o.loc[5, "speed_m_s"] != o.loc[5, "speed_m_s"]
    assert np.isnan(o.loc[6, "lat_deg"]) and np.isnan(o.loc[6, "lon_deg"])
    assert o.loc[8, "cadence_spm"] == 400.0
    assert o["hr_bpm"].notna().sum() == len(o) - 2


def test_hostile_heart_rate_never_reaches_the_log_or_the_histograms():
    """Regression found by the fuzzer: HR 99999999999999999999 in a TCX became avg_hr 6e16 and an int64
    overflow in the HR histogram (bin -9223372036854775808)."""
    doc = (
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">'
        '<Activities><Activity Sport="Running"><Id>2026-03-02T06:00:00Z</Id>'
        '<Lap StartTime="2026-03-02T06:00:00Z">'
        "<TotalTimeSeconds>3</TotalTimeSeconds><Track>"
        + "".join(
            f"<Trackpoint><Time>2026-03-02T06:00:0{i}Z</Time><DistanceMeters>{3 * i}</DistanceMeters>"
            f"<HeartRateBpm><Value>{hr}</Value></HeartRateBpm></Trackpoint>"
            for i, hr in enumerate(["140", "99999999999999999999", "150", "152"])
        )
        + "</Track></Lap></Activity></Activities></TrainingCenterDatabase>"
    ).encode()
    _, (act,) = prepare(doc, "tcx", "hostile.tcx", None)
    assert act.row["max_hr"] == 152.0
    assert 140.0 <= act.row["avg_hr"] <= 152.0
    assert all(0 <= b <= 2000 for _, b, _ in act.hist)
    assert "dropped 1 heart-rate values outside 20 to 250" in act.row["notes"]


def test_negative_infinite_backwards_and_jumping_distances():
    act = flat_run(km=0.1, pace_s_per_km=300.0)  # 3.33 m/s for 30 s
    d = act.samples["distance_m"].to_numpy().copy()
    d[2] = -5.0
    d[3] = np.inf
    d[10] = 5000.0  # a spike: off the longest non-decreasing run
    d[11] = d[9]  # flat is fine
    d[20] = 1.0  # backwards
    d[25] = np.nan  # missing is not a defect
    d[28:] += 2000.0  # a glitch adding 2 km in one second, kept by every later value
    act.samples = act.samples.assign(distance_m=d)
    out = sanity.clean(act, "f.fit")
    assert new_notes(act, out) == [
        "dropped 2 negative or infinite distance values",
        "dropped 2 distance values going backwards",
        "removed 1 distance jumps over 100 m/s (2003 m in all)",
    ]
    clean = out.samples["distance_m"].to_numpy()
    assert np.isnan(clean[[2, 3, 10, 20, 25]]).all()
    finite = clean[np.isfinite(clean)]
    assert (np.diff(finite) >= 0).all()
    # the 2 km are gone from every later value; the step 27 -> 28 counts nothing (unknown)
    assert clean[28] == pytest.approx(27 * 1000 / 300)
    assert clean[-1] == pytest.approx(act.samples["distance_m"].iloc[-1] - 2000 - 1000 / 300)


def test_bad_file_totals_are_ignored_with_a_note():
    act = flat_run(km=1.0)
    act.distance_m = float("nan")
    act.elapsed_s = -3.0
    act.avg_hr_bpm = 0.0
    act.max_hr_bpm = 1e20
    act.descent_m, act.barometric = 1e9, True
    out = sanity.clean(act, "f.fit")
    assert (out.distance_m, out.elapsed_s, out.avg_hr_bpm, out.max_hr_bpm, out.descent_m) == (None,) * 5
    assert out.barometric is False and out.moving_s == act.moving_s
    assert len(new_notes(act, out)) == 5 and all(n.startswith("ignored the file's") for n in out.notes)


def test_a_total_distance_faster_than_any_vehicle_is_ignored():
    act = flat_run(km=1.0, pace_s_per_km=300.0)  # 300 s
    act.distance_m = 300 * 100.0 + 1.0
    out = sanity.clean(act, "f.fit")
    assert out.distance_m is None
    assert new_notes(act, out) == ["ignored the file's distance (30001 m): over 100 m/s for 300 s"]
    act.distance_m = 300 * 100.0
    assert sanity.clean(act, "f.fit").distance_m == 30_000.0


# ---------------------------------------------------------------------------------------------- teleports


def test_a_teleport_drops_the_position_keeps_the_sample_and_remeasures_gps_distance():
    base = gps_run()
    true_m = base.samples["distance_m"].iloc[-1]
    act = gps_run(lat=displaced(base.samples["lat_deg"].to_numpy(), [300], 500.0))
    assert act.samples["distance_m"].iloc[-1] == pytest.approx(true_m + 994, abs=0.1)  # 503 m out, 497 back
    out = sanity.clean(act, "f.gpx")
    assert new_notes(act, out) == [
        "dropped 1 GPS positions implying over 12 m/s (teleports); GPS distance re-measured across 1 of them"
    ]
    assert len(out.samples) == len(act.samples) and out.samples["hr_bpm"].notna().all()
    assert out.samples["lat_deg"].isna().tolist() == [i == 300 for i in range(len(act.samples))]
    pos = base.samples[["lat_deg", "lon_deg"]].to_numpy()
    assert haversine_m(*pos[299], *pos[301]) == pytest.approx(6.0, abs=0.01)  # re-measured over 299-301
    assert out.samples["distance_m"].iloc[-1] == pytest.approx(true_m, abs=1e-6)
    assert out.samples["distance_m"].is_monotonic_increasing


def test_a_device_distance_is_not_touched_by_a_gps_teleport():
    act = gps_run(device_distance=True)
    act.samples = act.samples.assign(lat_deg=displaced(act.samples["lat_deg"].to_numpy(), [100, 101], 800.0))
    out = sanity.clean(act, "f.fit")
    assert new_notes(act, out) == ["dropped 2 GPS positions implying over 12 m/s (teleports)"]
    pd.testing.assert_series_equal(out.samples["distance_m"], act.samples["distance_m"])


def test_a_gps_cold_start_drops_the_first_fixes_not_the_track():
    base = gps_run()
    lat = base.samples["lat_deg"].to_numpy().copy()
    lat[:3] = 45.3  # three identical wrong fixes ~33 km away, then the real track
    out = sanity.clean(gps_run(lat=lat), "f.gpx")
    assert out.samples["lat_deg"].isna().tolist()[:5] == [True, True, True, False, False]
    assert out.samples["lat_deg"].isna().sum() == 3


def test_a_real_relocation_is_believed_after_five_plausible_fixes():
    """A GPS gap while travelling: the track resumes 2 km away and goes on plausibly from there."""
    base = gps_run()
    lat = displaced(base.samples["lat_deg"].to_numpy(), range(400, 601), 2000.0)
    out = sanity.clean(gps_run(lat=lat), "f.gpx")
    assert out.samples["lat_deg"].notna().all()
    assert out is not None and not any("teleport" in n for n in out.notes)


def test_just_under_the_thresholds_is_not_a_teleport():
    base = gps_run()
    lat = base.samples["lat_deg"].to_numpy()
    noisy = displaced(lat, [100], 16.0)  # steps of 19 m and 13 m in 1 s: under TELEPORT_MIN_JUMP_M
    assert sanity.clean(gps_run(lat=noisy), "f.gpx").notes == []
    fast = gps_run(speed_m_s=11.9)  # a sprinter: under MAX_FOOT_SPEED_M_S
    assert sanity.clean(fast, "f.gpx").notes == []


def test_teleports_only_for_foot_sports_and_the_export_sport_wins():
    base = gps_run()
    lat = displaced(base.samples["lat_deg"].to_numpy(), [300], 500.0)
    jump = "removed 2 distance jumps over 100 m/s (1000 m in all)"  # out and back, any sport
    ride = gps_run(lat=lat, sport="cycling")
    assert sanity.clean(ride, "f.gpx").notes == [jump]
    run_says_file = gps_run(lat=lat)  # a GPX with no <type> is "running" ...
    assert sanity.clean(run_says_file, "f.gpx", sport="cycling").notes == [jump]  # ... the export: ride
    walk = gps_run(lat=lat, sport="hiking")
    (note,) = sanity.clean(walk, "f.gpx").notes
    assert note.startswith("dropped 1 GPS positions implying over 12 m/s (teleports)")


def test_a_car_ride_filed_as_a_run_keeps_its_positions_with_a_note():
    car = gps_run(speed_m_s=25.0)
    out = sanity.clean(car, "f.gpx")
    assert out.samples["lat_deg"].notna().all()
    assert new_notes(car, out) == [
        "GPS implies over 12 m/s on foot in more than 10% of the track: positions kept (is the sport right?)"
    ]


def test_teleport_rule_on_corpus_gpx_keeps_strava_distance(corpus):
    """The 95.75 km ultra (Strava export, SOURCES.md: 95752.4 m): dropping its teleports moves our GPS
    distance by less than 0.1 % and keeps it within 1 % of Strava's figure."""
    path = corpus / "odd" / "strava-export-archipelagic" / "activities" / "1009074316.gpx"
    (act,) = decode(path.read_bytes(), "gpx", path.name)
    out = sanity.clean(act, path.name)
    before, after = act.samples["distance_m"].max(), out.samples["distance_m"].max()
    assert any("teleports" in n for n in new_notes(act, out))
    assert after < before and before - after < 0.001 * before
    assert after == pytest.approx(95_752.4, rel=0.01)


# ---------------------------------------------------------------------------------------------- pipeline


def test_notes_reach_the_training_log(home, tmp_path):
    from hiprisk.synthetic import encode_gpx, simulate_run

    run = simulate_run("2026-03-02T06:00:00Z", 2.0, seed=5)
    doc = encode_gpx(run).decode()
    points = re.findall(r"<trkpt.*?</trkpt>", doc, flags=re.S)
    doc = doc.replace(points[10], points[10] + points[10], 1)  # one duplicated point
    (tmp_path / "dup.gpx").write_text(doc)
    (tmp_path / "empty.fit").write_bytes(b"")
    summary = hiprisk.import_paths([tmp_path])
    assert summary.failed == [(str(tmp_path / "empty.fit"), "empty file (0 bytes)")]
    (row,) = hiprisk.load_log().itertuples()
    assert "dropped 1 samples with a duplicate timestamp" in row.notes
    assert row.n_samples == len(points)


def test_prepare_uses_the_export_sport_for_the_teleport_rule():
    base = gps_run()
    lat = displaced(base.samples["lat_deg"].to_numpy(), [300], 500.0)
    from hiprisk.synthetic.gpxwrite import encode_gpx

    doc = encode_gpx({"samples": gps_run(lat=lat).samples, "sport": "running"})
    _, (as_run,) = prepare(doc, "gpx", "a.gpx", None)
    _, (as_ride,) = prepare(doc, "gpx", "a.gpx", SourceMeta(sport="cycling", export="strava"))
    assert "teleports" in as_run.row["notes"] and "distance jumps" not in as_run.row["notes"]
    assert "teleports" not in as_ride.row["notes"] and "distance jumps" in as_ride.row["notes"]
    true_km = base.samples["distance_m"].iloc[-1] / 1000
    assert as_run.row["distance_km"] == pytest.approx(true_km, abs=1e-3)
    assert as_ride.row["distance_km"] == pytest.approx(true_km, abs=0.01)


# ------------------------------------------------------------------------- fast paths against references


def ref_jumps(lat: np.ndarray, lon: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The teleport step test with the haversine of every step (what the bound screen must equal)."""
    step = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    dt = np.diff(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (step > sanity.TELEPORT_MIN_JUMP_M) & ((dt <= 0) | (step / dt > sanity.MAX_FOOT_SPEED_M_S))


_near_limit = st.sampled_from([19.99, 19.999999, 20.0, 20.000001, 20.01, 14.15, 14.143, -20.000001])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-25.0, 25.0) | _near_limit | st.just(1e5),  # north [m]
            st.floats(-25.0, 25.0) | _near_limit | st.just(3e6),  # east [m] (at the start's latitude)
            st.sampled_from([0.0, 1.0, 1.0, 2.0]),  # seconds
        ),
        min_size=1,
        max_size=80,
    ),
    st.sampled_from([(45.0, 7.0), (0.0, -180.0), (-33.9, 179.9999), (60.0, 0.0), (89.99, 0.0)]),
)
def test_teleport_screen_leaves_out_only_steps_within_the_limit(steps, origin):
    north, east, dt = (np.array(v) for v in zip(*steps, strict=True))
    lat = np.clip(origin[0] + np.concatenate([[0.0], np.cumsum(north)]) / M_PER_DEG_LAT, -90.0, 90.0)
    per_deg_lon = M_PER_DEG_LAT * np.cos(np.radians(origin[0]))
    lon = origin[1] + np.concatenate([[0.0], np.cumsum(east)]) / per_deg_lon  # past ±180 too
    t = np.concatenate([[0.0], np.cumsum(dt)])
    step = sanity._steps_over_m(lat, lon, sanity.TELEPORT_MIN_JUMP_M)
    full = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    screened = step != full
    assert (step[screened] == 0.0).all() and (full[screened] <= sanity.TELEPORT_MIN_JUMP_M).all()
    with np.errstate(divide="ignore", invalid="ignore"):
        jump = (step > sanity.TELEPORT_MIN_JUMP_M) & (
            (np.diff(t) <= 0) | (step / np.diff(t) > sanity.MAX_FOOT_SPEED_M_S)
        )
    np.testing.assert_array_equal(jump, ref_jumps(lat, lon, t))


def test_clean_with_the_callers_arrays_equals_clean_alone():
    from hiprisk.features import SampleArrays

    cases = [flat_run(km=0.5), gps_run(lat=displaced(gps_run().samples["lat_deg"].to_numpy(), [300], 500.0))]
    hostile = flat_run(km=0.1)
    hostile.samples = hostile.samples.assign(hr_bpm=np.where(np.arange(34) == 3, 1e20, 150.0))
    cases.append(hostile)
    late = flat_run(km=0.1)  # a duplicate time: rows dropped, the caller's arrays no longer apply
    late.samples = make_samples(**{c: late.samples[c].to_numpy()[[0, 1, 1, 2, 3]] for c in late.samples})
    cases.append(late)
    for act in cases:
        alone = sanity.clean(act, "f.fit")
        shared = sanity.clean(act, "f.fit", arrays=SampleArrays(act.samples))
        assert shared.notes == alone.notes
        pd.testing.assert_frame_equal(shared.samples, alone.samples, check_exact=True)
    assert any(sanity.clean(a, "f.fit") is not a for a in cases)
