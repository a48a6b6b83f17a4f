"""GPX decoder: corpus oracles (SOURCES.md), gpxpy as cross-check, and built edge cases."""

from __future__ import annotations

import gzip
import math

import gpxpy
import numpy as np
import pandas as pd
import pytest

from hiprisk.errors import FileFormatError, NotAnActivityError, UnsafeInputError
from hiprisk.importers.base import SAMPLE_COLUMNS
from hiprisk.importers.gpx import (
    EARTH_RADIUS_M,
    SEPARATE_ACTIVITY_GAP_S,
    cumulative_distance_m,
    haversine_m,
    parse_gpx,
    parse_times_utc,
    read_gpx,
    sport_from_type,
    steps_per_minute,
)

STRAVA = "odd/strava-export-archipelagic"


def _one(path):
    acts = read_gpx(path)
    assert len(acts) == 1
    return acts[0]


def _check_frame(act):
    s = act.samples
    assert list(s.columns) == list(SAMPLE_COLUMNS)
    assert {c: str(t) for c, t in s.dtypes.items()} == SAMPLE_COLUMNS
    assert s["time_utc"].is_monotonic_increasing
    assert (s["distance_m"].diff().dropna() >= 0).all()
    assert s["elapsed_s"].iloc[0] == 0
    assert act.source_format == "gpx"
    assert act.distance_m is None  # GPX has no device distance
    assert act.moving_s is None
    assert act.start_utc == s["time_utc"].iloc[0]
    assert act.elapsed_s == pytest.approx(s["elapsed_s"].iloc[-1])


# ---------------------------------------------------------------------------------------------
# corpus oracles


def test_garmin_connect_run_514705132(corpus):
    act = _one(corpus / "gpx/514705132.gpx")
    _check_frame(act)
    s = act.samples
    assert len(s) == 1678
    assert s["hr_bpm"].notna().all()  # ns3:hr on every point
    # running_page's copy of Garmin's summary: 5196.81 m, elapsed 1676.603 s
    assert s["distance_m"].iloc[-1] == pytest.approx(5196.81, rel=0.02)
    assert act.elapsed_s == pytest.approx(1676.603, abs=1.0)
    assert act.start_utc == pd.Timestamp("2025-09-02T12:27:05Z")
    assert act.sport == "running" and act.trail_hint is None
    assert act.name == "成都市 跑步"
    assert act.device == "Garmin Connect"
    # Garmin writes ns3:cad as strides per leg (the first point says 62): doubled to steps/min
    assert s["cadence_spm"].iloc[0] == 124
    assert 140 < s["cadence_spm"][s["cadence_spm"] > 0].median() < 200
    assert any(n.startswith("cadence doubled") for n in act.notes)
    # average HR 171 per the summary: ours from the points is close to it
    assert s["hr_bpm"].mean() == pytest.approx(171, abs=3)


def test_move_2014_millisecond_times(corpus):
    act = _one(corpus / "gpx/Move_2014_01_16_19_48_44.gpx")
    _check_frame(act)
    s = act.samples
    assert len(s) == 669
    assert s["time_utc"].iloc[0] == pd.Timestamp("2014-01-16T18:48:44.340Z")
    assert s["time_utc"].iloc[1] == pd.Timestamp("2014-01-16T18:48:46.870Z")
    assert (s["time_utc"].dt.microsecond != 0).mean() > 0.5  # sub-second parts are kept


def test_points_without_times_are_a_format_error(corpus):
    with pytest.raises(FileFormatError, match="no timestamps") as info:
        read_gpx(corpus / "gpx/cerknicko-without-times.gpx")
    assert not isinstance(info.value, NotAnActivityError)
    assert info.value.path == str(corpus / "gpx/cerknicko-without-times.gpx")


def test_korita_zbevnica_reads_only_timed_tracks(corpus):
    path = corpus / "gpx/korita-zbevnica.gpx"
    ref = gpxpy.parse(path.read_text())
    assert len(ref.tracks) == 4  # gpxpy's own test: empty, no times, timed, timed
    timed = [p for t in ref.tracks[2:] for seg in t.segments for p in seg.points]
    act = _one(path)
    _check_frame(act)
    assert len(act.samples) == len(timed)
    assert act.start_utc == pd.Timestamp(timed[0].time)
    assert act.samples["time_utc"].iloc[-1] == pd.Timestamp(timed[-1].time)
    assert any("dropped" in n and "without times" in n for n in act.notes)
    assert "sport assumed running (GPX has no type)" in act.notes  # the typed tracks are unused


def test_metadata_only_is_not_an_activity(corpus):
    with pytest.raises(NotAnActivityError, match="no track points"):
        read_gpx(corpus / "odd/MetadataOnly.gpx")


@pytest.fixture(scope="module")
def strava_csv(corpus):
    df = pd.read_csv(corpus / STRAVA / "activities.csv")
    # duplicate headers: pandas names the second "Distance" (metres) "Distance.1"
    return df.set_index("Activity ID")


@pytest.mark.parametrize(
    ("activity_id", "sport", "strava_type", "exact_elapsed"),
    [
        (638693618, "running", "Run", True),
        (668551054, "running", "Run", True),
        (895988668, "cycling", "Ride", False),  # Strava's elapsed runs 286 s past the track
        (902707189, "cycling", "Ride", True),
        (3163073099, "hiking", "Hike", True),
    ],
)
def test_strava_export_types_and_totals(corpus, strava_csv, activity_id, sport, strava_type, exact_elapsed):
    row = strava_csv.loc[activity_id]
    assert row["Activity Type"] == strava_type
    act = _one(corpus / STRAVA / f"activities/{activity_id}.gpx")
    _check_frame(act)
    assert act.sport == sport
    assert act.name == row["Activity Name"]
    assert act.device == "StravaGPX Android"
    assert act.samples["distance_m"].iloc[-1] == pytest.approx(row["Distance.1"], rel=0.02)
    elapsed_csv = row["Elapsed Time"]
    if exact_elapsed:
        assert act.elapsed_s == pytest.approx(elapsed_csv, abs=1.0)
    else:
        assert row["Moving Time"] <= act.elapsed_s <= elapsed_csv
    assert not any("assumed" in n for n in act.notes)


def test_strava_ultra_1009074316(corpus, strava_csv):
    row = strava_csv.loc[1009074316]
    act = _one(corpus / STRAVA / "activities/1009074316.gpx")
    _check_frame(act)
    assert len(act.samples) == 19887
    assert act.sport == "running"
    assert act.samples["distance_m"].iloc[-1] == pytest.approx(row["Distance.1"], rel=0.03)
    assert row["Distance.1"] == pytest.approx(95752.39844)
    assert act.elapsed_s == pytest.approx(row["Elapsed Time"], abs=1.0)


def test_apple_health_speed_extension(corpus):
    act = _one(corpus / "gpx/10km_2024-11-29_10.09pm.gpx")
    s = act.samples
    assert len(s) == 3643
    assert s["speed_m_s"].notna().all()
    assert s["speed_m_s"].iloc[:2].tolist() == [1.200156, 1.390441]
    assert s["hr_bpm"].isna().all()
    assert act.device == "Apple Health Export"
    assert act.name == "Route 2024-11-29 10:09pm"
    # the mean recorded speed and the GPS distance tell the same story (1 Hz samples)
    assert s["speed_m_s"].mean() * act.elapsed_s == pytest.approx(s["distance_m"].iloc[-1], rel=0.05)


def test_mojstrovka_corrupt_dates_are_read_truthfully(corpus):
    act = _one(corpus / "odd/Mojstrovka.gpx")
    s = act.samples
    # gpxpy's oracle: point 0 has elevation 1614.678 and time 1901-12-13 20:45:52.207343 (gpxpy
    # keeps µs of the 7-digit fraction); point 1 is at …52.207000, so it sorts first here
    first = s[np.isclose(s["elevation_m"], 1614.678)]
    assert len(first) == 1
    assert first["time_utc"].iloc[0].floor("us") == pd.Timestamp("1901-12-13 20:45:52.207343Z")
    assert act.start_utc == pd.Timestamp("1901-12-13 20:45:52.207Z")
    assert len(s) == 184


def _gpx_files(corpus):
    return sorted(
        p
        for pattern in ("gpx/*.gpx", "odd/*.gpx", f"{STRAVA}/activities/*.gpx")
        for p in corpus.glob(pattern)
    )


@pytest.fixture(scope="module")
def corpus_results(corpus):
    """Every corpus GPX read once: ``(path, activities or the FileFormatError raised)``."""
    out = []
    for path in _gpx_files(corpus):
        try:
            out.append((path, read_gpx(path)))
        except FileFormatError as exc:  # anything else fails the test run right here
            out.append((path, exc))
    return out


def test_every_corpus_gpx_parses_or_raises_a_format_error(corpus_results):
    assert len(corpus_results) >= 16
    for path, result in corpus_results:
        if isinstance(result, FileFormatError):
            assert result.path == str(path)
            continue
        assert result, path
        for act in result:
            _check_frame(act)
    failed = sorted(p.name for p, r in corpus_results if isinstance(r, FileFormatError))
    assert failed == ["MetadataOnly.gpx", "cerknicko-without-times.gpx"]


def _gpxpy_points(path):
    """Timed points of gpxpy's timed segments (≥ 75 % of points with a time), sorted by time."""
    ref = gpxpy.parse(path.read_text(encoding="utf-8"))
    pts = []
    for trk in ref.tracks:
        for seg in trk.segments:
            if seg.points and sum(p.time is not None for p in seg.points) >= 0.75 * len(seg.points):
                pts += [p for p in seg.points if p.time is not None]
    pts.sort(key=lambda p: p.time)
    return pts


def test_same_points_and_times_as_gpxpy(corpus_results):
    """gpxpy, the user's named library, is the cross-check of our own extractor."""
    checked = 0
    for path, acts in corpus_results:
        ref = _gpxpy_points(path)
        if isinstance(acts, FileFormatError):
            assert not ref, path
            continue
        s = pd.concat([a.samples for a in acts], ignore_index=True)
        assert len(s) == len(ref), path
        ref_times = pd.DatetimeIndex([pd.Timestamp(p.time) for p in ref]).tz_convert("UTC")
        assert (s["time_utc"].dt.floor("us").to_numpy() == ref_times.to_numpy()).all(), path
        np.testing.assert_allclose(s["lat_deg"], [p.latitude for p in ref], err_msg=str(path))
        np.testing.assert_allclose(s["lon_deg"], [p.longitude for p in ref], err_msg=str(path))
        ref_ele = np.array([np.nan if p.elevation is None else p.elevation for p in ref])
        np.testing.assert_allclose(s["elevation_m"], ref_ele, err_msg=str(path))
        checked += 1
    assert checked >= 14


def test_read_gpx_accepts_gzip_by_content(corpus, tmp_path):
    src = corpus / "gpx/Move_2014_01_16_19_48_44.gpx"
    gz = tmp_path / "move.gpx"  # no .gz suffix on purpose
    gz.write_bytes(gzip.compress(src.read_bytes()))
    plain = _one(src)
    zipped = _one(gz)
    pd.testing.assert_frame_equal(plain.samples, zipped.samples)
    (from_bytes,) = parse_gpx(gzip.compress(src.read_bytes()))
    pd.testing.assert_frame_equal(plain.samples, from_bytes.samples)
    with pytest.raises(FileFormatError) as info:
        read_gpx(corpus / "gpx/cerknicko-without-times.gpx")
    assert info.value.path.endswith("cerknicko-without-times.gpx")


# ---------------------------------------------------------------------------------------------
# built cases

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"'
    ' xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"'
    ' xmlns:ns3="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
)


def _pt(t, lat=45.0, lon=14.0, ext=""):
    time = f"<time>{t}</time>" if t else ""
    extensions = f"<extensions>{ext}</extensions>" if ext else ""
    return f'<trkpt lat="{lat}" lon="{lon}"><ele>100</ele>{time}{extensions}</trkpt>'


def _trk(points, name=None, type_=None, segments=None):
    segs = segments or [points]
    head = (f"<name>{name}</name>" if name else "") + (f"<type>{type_}</type>" if type_ else "")
    return "<trk>" + head + "".join("<trkseg>" + "".join(s) + "</trkseg>" for s in segs) + "</trk>"


def _doc(*tracks, meta_name=None):
    meta = f"<metadata><name>{meta_name}</name></metadata>" if meta_name else ""
    return (HEAD + meta + "".join(tracks) + "</gpx>").encode()


def _run(minutes=10, start="2024-03-01T08:00:00Z", ext=lambda i: "", lat0=45.0):
    t0 = pd.Timestamp(start)
    return [
        _pt((t0 + pd.Timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"), lat0 + i * 0.002, 14.0, ext(i))
        for i in range(minutes + 1)
    ]


@pytest.mark.parametrize(
    ("type_", "sport", "sub_sport", "trail"),
    [
        ("9", "running", None, None),
        ("1", "cycling", None, None),
        ("4", "hiking", None, None),
        ("10", "walking", None, None),
        ("16", "swimming", None, None),
        ("2", "other", None, None),
        ("running", "running", None, None),
        ("trail_running", "running", "trail", True),
        ("Trail Run", "running", "trail", True),
        ("TrailRun", "running", "trail", True),
        ("treadmill_running", "running", "treadmill", False),
        ("Run", "running", None, None),
        ("cycling", "cycling", None, None),
        ("mountain_biking", "cycling", None, None),
        ("Ride", "cycling", None, None),
        ("hiking", "hiking", None, None),
        ("walking", "walking", None, None),
        ("lap_swimming", "swimming", None, None),
    ],
)
def test_type_maps_to_sport(type_, sport, sub_sport, trail):
    (act,) = parse_gpx(_doc(_trk(_run(), name="x", type_=type_)))
    assert (act.sport, act.sub_sport, act.trail_hint) == (sport, sub_sport, trail)
    assert not any("assumed" in n for n in act.notes)


def test_unknown_type_is_other_with_a_note():
    (act,) = parse_gpx(_doc(_trk(_run(), type_="jkljkl")))
    assert act.sport == "other"
    assert any("jkljkl" in n for n in act.notes)
    assert sport_from_type("  ") is None and sport_from_type("999") is None


def test_no_type_assumes_running_and_says_so():
    (act,) = parse_gpx(_doc(_trk(_run())))
    assert act.sport == "running"
    assert "sport assumed running (GPX has no type)" in act.notes


def test_name_from_track_else_metadata():
    (a,) = parse_gpx(_doc(_trk(_run(), name="Track name"), meta_name="Meta name"))
    (b,) = parse_gpx(_doc(_trk(_run()), meta_name="Meta name"))
    assert (a.name, b.name) == ("Track name", "Meta name")
    gpx10 = (
        '<gpx version="1.0" xmlns="http://www.topografix.com/GPX/1/0"><name>Old</name>'
        + _trk(_run())
        + "</gpx>"
    ).encode()
    assert parse_gpx(gpx10)[0].name == "Old"


@pytest.mark.parametrize("prefix", ["gpxtpx", "ns3"])
def test_garmin_trackpoint_extension_hr_and_cadence(prefix):
    def ext(i):
        return (
            f"<{prefix}:TrackPointExtension><{prefix}:hr>{140 + i}</{prefix}:hr>"
            f"<{prefix}:cad>85</{prefix}:cad></{prefix}:TrackPointExtension>"
        )

    (act,) = parse_gpx(_doc(_trk(_run(ext=ext), type_="running")))
    s = act.samples
    assert s["hr_bpm"].tolist() == [140.0 + i for i in range(11)]
    assert (s["cadence_spm"] == 170).all()  # 85 strides/min ≤ 130 → doubled
    assert "cadence doubled: strides/min (median 85 <= 130)" in act.notes


def test_cadence_already_in_steps_is_kept():
    (act,) = parse_gpx(
        _doc(
            _trk(
                _run(
                    ext=lambda i: (
                        "<gpxtpx:TrackPointExtension><gpxtpx:cad>172</gpxtpx:cad>"
                        "</gpxtpx:TrackPointExtension>"
                    )
                ),
                type_="9",
            )
        )
    )
    assert (act.samples["cadence_spm"] == 172).all()
    assert any(n.startswith("cadence read as steps/min") for n in act.notes)


def test_cycling_cadence_is_not_a_step_rate():
    (act,) = parse_gpx(
        _doc(
            _trk(
                _run(
                    ext=lambda i: (
                        "<gpxtpx:TrackPointExtension><gpxtpx:cad>90</gpxtpx:cad></gpxtpx:TrackPointExtension>"
                    )
                ),
                type_="1",
            )
        )
    )
    assert act.samples["cadence_spm"].isna().all()
    assert any(n.startswith("cadence not kept") for n in act.notes)


@pytest.mark.parametrize(
    ("values", "sport", "expected"),
    [
        ([0, 80, 82, 84], "running", [0, 160, 164, 168]),  # zeros do not drag the median
        ([0, 0, 0, 150, 160, 170], "running", [0, 0, 0, 150, 160, 170]),
        ([130, 130, 130], "running", [260, 260, 260]),  # not above the threshold → doubled
        ([131, 131], "running", [131, 131]),
        ([55, 60], "walking", [110, 120]),
        ([105, 110], "hiking", [105, 110]),
    ],
)
def test_cadence_rule_boundaries(values, sport, expected):
    out, note = steps_per_minute(np.array(values, dtype=float), sport)
    assert out.tolist() == expected and note


def test_no_cadence_gives_no_note():
    assert steps_per_minute(np.array([np.nan, 0.0]), "running") == (None, None)


def test_tracks_are_concatenated_sorted_and_gaps_not_bridged():
    late = _trk(_run(start="2024-03-01T23:40:00Z", lat0=46.0), name="second")
    early = _trk(_run(start="2024-03-01T23:00:00Z"), name="first")  # written after, starts before
    (act,) = parse_gpx(_doc(late, early))  # crosses midnight, 30 min apart: one activity
    s = act.samples
    assert len(s) == 22
    assert act.name == "first"  # the earliest named track names the activity
    assert act.start_utc == pd.Timestamp("2024-03-01T23:00:00Z")
    assert act.elapsed_s == 50 * 60
    # 1° of latitude lies between the two tracks; it is not counted
    one_step = haversine_m(45.0, 14.0, 45.002, 14.0)
    assert s["distance_m"].iloc[-1] == pytest.approx(20 * one_step, rel=1e-9)
    assert "2 tracks read as one activity" in act.notes


def test_a_track_after_a_long_break_is_a_separate_activity():
    gap_h = SEPARATE_ACTIVITY_GAP_S / 3600
    day1 = _trk(_run(start="2024-03-01T08:00:00Z"), name="day 1", type_="hiking")
    day2 = _trk(_run(start="2024-03-02T08:00:00Z"), name="day 2", type_="hiking")
    acts = parse_gpx(_doc(day1, day2))
    assert [a.name for a in acts] == ["day 1", "day 2"]
    assert all(len(a.samples) == 11 and a.elapsed_s == 600 for a in acts)
    assert all(f"file split into 2 activities at gaps over {gap_h:g} h" in a.notes for a in acts)
    # just inside the gap: one activity
    end1 = pd.Timestamp("2024-03-01T08:10:00Z")
    start2 = (end1 + pd.Timedelta(seconds=SEPARATE_ACTIVITY_GAP_S)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(parse_gpx(_doc(day1, _trk(_run(start=start2))))) == 1


def test_segments_within_a_track_are_not_bridged():
    seg1 = _run(minutes=2)
    seg2 = _run(minutes=2, start="2024-03-01T08:05:00Z", lat0=45.5)
    (act,) = parse_gpx(_doc(_trk(None, segments=[seg1, seg2])))
    assert act.samples["distance_m"].iloc[-1] == pytest.approx(4 * haversine_m(45.0, 14.0, 45.002, 14.0))


def test_untimed_point_in_a_timed_segment_is_dropped_with_a_note():
    pts = _run()
    pts.insert(3, _pt(None, 45.1, 14.0))
    pts.insert(5, _pt("not a time", 45.1, 14.0))
    (act,) = parse_gpx(_doc(_trk(pts)))
    assert len(act.samples) == 11
    assert "dropped 2 track points in segments without times" in act.notes


def test_unreadable_times_everywhere():
    # pandas alone would read "now" and "today" as the current time
    with pytest.raises(FileFormatError, match="no readable timestamps"):
        parse_gpx(_doc(_trk([_pt("yesterday"), _pt("today"), _pt("now")])))
    with pytest.raises(FileFormatError, match="no readable timestamps"):
        parse_gpx(_doc(_trk([_pt("1500-01-01T00:00:00Z"), _pt("9999-01-01T00:00:00Z")])))


def test_parse_times_utc():
    t = parse_times_utc(
        ["2014-01-16T18:48:44.340Z", None, "now", "1901-12-13T20:45:52.2073437Z", " 2020-01-01 "]
    )
    assert str(t.dtype) == "datetime64[ns, UTC]"
    assert t[0] == pd.Timestamp("2014-01-16T18:48:44.340Z")
    assert t[1] is pd.NaT and t[2] is pd.NaT
    assert t[3].nanosecond == 700
    assert t[4] == pd.Timestamp("2020-01-01T00:00:00Z")


def test_routes_and_waypoints_only_are_not_an_activity():
    doc = (
        HEAD
        + '<wpt lat="45" lon="14"><time>2024-01-01T00:00:00Z</time></wpt>'
        + '<rte><rtept lat="45" lon="14"><time>2024-01-01T00:00:00Z</time></rtept></rte>'
        + "<trk><trkseg></trkseg></trk></gpx>"
    ).encode()
    with pytest.raises(NotAnActivityError, match="no track points"):
        parse_gpx(doc, name="route.gpx")


def test_offsets_and_fractions_are_utc():
    pts = [
        _pt("2024-03-01T10:00:00.5+02:00"),
        _pt("2024-03-01T08:00:01.123456789Z", 45.001),
        _pt("2024-03-01T08:00:02", 45.002),  # no zone: GPX times are UTC
    ]
    (act,) = parse_gpx(_doc(_trk(pts)))
    assert act.samples["time_utc"].tolist() == [
        pd.Timestamp("2024-03-01T08:00:00.5Z"),
        pd.Timestamp("2024-03-01T08:00:01.123456789Z"),
        pd.Timestamp("2024-03-01T08:00:02Z"),
    ]


def test_latin1_gpx():
    doc = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><gpx version="1.1">'
        + _trk(_run(), name="Läufer")
        + "</gpx>"
    ).encode("latin-1")
    assert parse_gpx(doc)[0].name == "Läufer"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<TrainingCenterDatabase/>", "not a GPX file (root element <TrainingCenterDatabase>)"),
        (b"<gpx><trk>", "not valid XML"),
        (b"", "not valid XML"),
        (b"\x89PNG\r\n\x1a\n", "not valid XML"),
    ],
)
def test_not_gpx(data, reason):
    with pytest.raises(FileFormatError) as info:
        parse_gpx(data, name="x.gpx")
    assert reason in info.value.reason
    assert info.value.path == "x.gpx"
    assert not isinstance(info.value, UnsafeInputError)


def test_negative_speed_is_invalid():
    ext = "<speed>{}</speed><course>-1</course>"
    pts = [_pt(t, ext=ext.format(v)) for t, v in zip(_times3(), ["-1", "2.5", "-1.0"], strict=True)]
    (act,) = parse_gpx(_doc(_trk(pts)))
    assert act.samples["speed_m_s"].tolist()[1] == 2.5
    assert act.samples["speed_m_s"].isna().sum() == 2


def _times3():
    return ["2024-03-01T08:00:00Z", "2024-03-01T08:00:01Z", "2024-03-01T08:00:02Z"]


def test_bad_coordinates_do_not_break_distance():
    pts = _run(minutes=3)
    pts[1] = _pt("2024-03-01T08:01:00Z", "abc", 14.0)
    (act,) = parse_gpx(_doc(_trk(pts)))
    d = act.samples["distance_m"]
    assert d.iloc[1] == 0.0  # carried
    assert d.iloc[-1] == pytest.approx(haversine_m(45.0, 14.0, 45.006, 14.0))


# ---------------------------------------------------------------------------------------------
# geometry


def test_haversine_one_degree_of_latitude():
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(2 * math.pi * EARTH_RADIUS_M / 360)
    # a quarter of a great circle
    assert haversine_m(0.0, 0.0, 0.0, 90.0) == pytest.approx(math.pi * EARTH_RADIUS_M / 2)
    assert haversine_m(10.0, 20.0, 10.0, 20.0) == 0.0


def test_cumulative_distance_respects_segments():
    lat = [0.0, 0.001, 0.002, 1.0, 1.001]
    lon = [0.0] * 5
    step = haversine_m(0.0, 0.0, 0.001, 0.0)
    out = cumulative_distance_m(lat, lon, segment=[1, 1, 1, 2, 2])
    np.testing.assert_allclose(out, [0, step, 2 * step, 2 * step, 3 * step], rtol=1e-6)
    assert cumulative_distance_m([], []).size == 0


# ---------------------------------------------------------------------------------------------
# what is not read is freed (xmlsafe role), and changes nothing


JUNK = '<j:x xmlns:j="urn:junk"><a>1</a><trkseg/><b><time>2000-01-01T00:00:00Z</time></b></j:x>'


def test_unread_elements_anywhere_change_nothing():
    """Unknown elements in every position, including inside the elements read and around the
    extension values, are dropped by the parser as they end: the activity is the same."""

    def ext(i):
        return (
            f"{JUNK}<gpxtpx:TrackPointExtension>{JUNK}<gpxtpx:hr>{140 + i}</gpxtpx:hr>{JUNK}"
            f"<gpxtpx:cad>85</gpxtpx:cad></gpxtpx:TrackPointExtension>{JUNK}"
        )

    clean = _doc(_trk(_run(ext=ext), name="Run", type_="trail_running"), meta_name="Meta")
    junky = (
        clean.replace(b"<trkpt ", JUNK.encode() + b"<trkpt ")
        .replace(b"<ele>", JUNK.encode() + b"<ele>")
        .replace(b"</time>", b"</time>" + JUNK.encode())
        .replace(b"<trk>", b"<trk>" + JUNK.encode())
        .replace(b"<metadata>", b"<metadata>" + JUNK.encode())
        .replace(b"</metadata>", b"</metadata><wpt lat='1' lon='2'><name>w</name></wpt>" + JUNK.encode())
    )
    assert junky.count(b"urn:junk") > 100
    (a,), (b,) = parse_gpx(clean), parse_gpx(junky)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    assert b.samples["hr_bpm"].tolist() == [140.0 + i for i in range(11)]
    assert (b.name, b.sport, b.sub_sport, b.notes) == (a.name, a.sport, a.sub_sport, a.notes)


def test_extension_values_are_read_at_any_depth_inside_wrappers():
    """Wrappers that hold a value are kept until the point is read, however deep (Apple writes
    <speed> directly under <extensions>, Garmin one wrapper deep); empty wrappers are not."""
    ext = "<w1><w2><w3><heartrate>151</heartrate></w3><empty/></w2></w1><speed>2.5</speed>"
    (act,) = parse_gpx(_doc(_trk([_pt(t, ext=ext) for t in _times3()])))
    assert act.samples["hr_bpm"].tolist() == [151.0] * 3
    assert act.samples["speed_m_s"].tolist() == [2.5] * 3


def test_deep_nesting_is_unsafe():
    deep = _doc(_trk(_run(minutes=2))).replace(b"<trkseg>", b"<trkseg>" + b"<a>" * 101 + b"</a>" * 101)
    with pytest.raises(UnsafeInputError, match="nesting deeper than 100 levels"):
        parse_gpx(deep, "deep.gpx")
    ok = _doc(_trk(_run(minutes=2))).replace(b"<trkseg>", b"<trkseg>" + b"<a>" * 90 + b"</a>" * 90)
    assert len(parse_gpx(ok)[0].samples) == 3


def test_unexpected_failure_becomes_a_one_line_format_error(monkeypatch):
    import hiprisk.importers.gpx as gpx

    def boom(*args, **kwargs):
        raise ZeroDivisionError("boom\n  on two lines")

    doc = (
        b'<gpx><trk><trkseg><trkpt lat="1" lon="2"><time>2024-05-01T07:00:00Z</time></trkpt>'
        b"</trkseg></trk></gpx>"
    )
    assert parse_gpx(doc, "x.gpx")
    monkeypatch.setattr(gpx, "_points", boom)
    with pytest.raises(FileFormatError) as info:
        parse_gpx(doc, name="x.gpx")
    assert info.value.reason == "unreadable GPX: ZeroDivisionError: boom on two lines"
    assert info.value.path == "x.gpx"
    assert isinstance(info.value.__cause__, ZeroDivisionError)


# ---------------------------------------------------------------------------------------------
# points converted in batches


_ODD_NUMBERS = [
    None,
    "",
    " ",
    "1",
    "-0",
    " -0 ",
    "-00",
    "+0",
    "0",
    "-1",
    "1.5",
    "NaN",
    "inf",
    "1e309",
    "1_000",
    "0x10",
    "abc",
    " 12 ",
    "9223372036854775808",
    "99999999999999999999",
    "150",
]
_ODD_TIMES = [
    "2026-01-01T10:00:00Z",
    " 2026-01-01T10:00:00.123456789+02:00 ",
    "2026-01-01T10:00:00",
    "now",
    "garbage",
    "1601-01-01T00:00:00Z",
    "2262-04-11T23:47:16.854775808Z",
    "",
]


@pytest.mark.parametrize("batch", [1, 2, 3, 4096])
@pytest.mark.parametrize("drop", [False, True])
def test_point_columns_convert_in_batches_as_whole_columns_do(monkeypatch, batch, drop):
    """Batches give, bit for bit, what one conversion of each whole column gives: pandas reads a
    column of integers as integers ("-0" → 0.0) and any other column as floats ("-0" → −0.0), so
    a batch of integers must get its signs back when another batch (or a mix of values over 2**63
    and negative ones) makes the column a float one."""
    from hiprisk.importers import gpx

    monkeypatch.setattr(gpx, "POINT_BATCH", batch)
    rng = np.random.default_rng(8)
    columns = {
        "odd": list(rng.choice(np.array(_ODD_NUMBERS, dtype=object), 40)),
        "ints": ["-0", "1", "-0", "150", "0", " -0 "] * 3,  # integers only: every "-0" is 0.0
        "ints then a float": ["-0", "1", "-0", "2"] * 4 + ["1.5"],
        "over 2**63 then negative": ["-0", "9223372036854775808", "-0", "5"] * 2 + ["-1", "-0"],
        "negative then over 2**63": ["-1", "-0", "3"] * 3 + ["18446744073709551615", "-0"],
    }
    for name, values in columns.items():
        times = list(rng.choice(np.array(_ODD_TIMES, dtype=object), len(values)))
        points = gpx.PointColumns(("x", "y"), drop_unreadable_times=drop)
        for t, v in zip(times, values, strict=True):
            points.append((t, v, v))
        got_times, got = points.columns()

        want_times = parse_times_utc(times)
        readable = want_times.notna() if drop else np.ones(len(times), dtype=bool)
        kept = [v for v, ok in zip(values, readable, strict=True) if ok]
        want = pd.to_numeric(pd.Series(kept, dtype=object), errors="coerce").to_numpy(dtype=float)
        assert got_times.equals(want_times[readable]) and got_times.dtype == want_times.dtype, name
        assert got["x"].tobytes() == want.tobytes() and got["y"].tobytes() == want.tobytes(), name
        assert points.unreadable == (int((~readable).sum()) if drop else 0)
        assert points.first_time == times[0] and len(points) == len(values)
    assert np.signbit(gpx.PointColumns(("x",)).columns()[1]["x"]).size == 0  # nothing appended


@pytest.mark.parametrize("batch", [1, 3, 7])
def test_tracks_and_segments_across_batches_decode_as_in_one(monkeypatch, batch):
    """Segments, tracks, untimed and unreadable points spread over many batches: the same
    activities as one batch, down to the bit (and the same refusal for a file of unreadable times)."""
    from hiprisk.importers import gpx

    def point(i, time=None, ele="-0"):
        time = time or f"2024-05-01T07:{i // 60:02d}:{i % 60:02d}Z"
        return f'<trkpt lat="45.{i:03d}" lon="14.0"><ele>{ele}</ele><time>{time}</time></trkpt>'.encode()

    segs = [
        b"".join(point(i) for i in range(0, 11)) + b"<trkpt/>",
        b"".join(point(i, "bad" if i % 5 == 0 else None) for i in range(11, 30)),
        b"".join(point(i, ele="1.5" if i == 40 else "2") for i in range(30, 45)),
    ]
    doc = (
        b"<gpx><trk><trkseg>" + segs[0] + b"</trkseg><trkseg>" + segs[1] + b"</trkseg></trk>"
        b"<trk><type>9</type><trkseg>" + segs[2] + b"</trkseg>" + point(50) + b"</trk>"
        b"<trkseg>" + point(60) + b"</trkseg></gpx>"
    )
    unreadable = (
        b"<gpx><trk><trkseg>" + b"".join(point(i, f"x{i}") for i in range(9)) + b"</trkseg></trk></gpx>"
    )
    (want,) = parse_gpx(doc)
    with pytest.raises(FileFormatError) as want_error:
        parse_gpx(unreadable)
    monkeypatch.setattr(gpx, "POINT_BATCH", batch)
    (got,) = parse_gpx(doc)
    pd.testing.assert_frame_equal(got.samples, want.samples, check_exact=True)
    for column in ("elevation_m", "distance_m"):  # −0.0 and 0.0 compare equal: compare the bits
        assert got.samples[column].to_numpy().tobytes() == want.samples[column].to_numpy().tobytes()
    assert np.signbit(got.samples["elevation_m"]).any()  # "-0" in a float column is −0.0
    assert (got.notes, got.sport, got.elapsed_s) == (want.notes, want.sport, want.elapsed_s)
    assert "dropped 4 track points in segments without times" in got.notes  # 3 unreadable, 1 untimed
    with pytest.raises(FileFormatError) as got_error:
        parse_gpx(unreadable)
    assert got_error.value.reason == want_error.value.reason == "no readable timestamps (first: 'x0')"
