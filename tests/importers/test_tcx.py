"""TCX decoder: corpus oracles (SOURCES.md: python-tcxparser, tcxreader, GoldenCheetah, lap totals)."""

from __future__ import annotations

import gzip
import re
import time

import numpy as np
import pandas as pd
import pytest

from hiprisk.errors import FileFormatError, NotAnActivityError, UnsafeInputError
from hiprisk.importers.base import SAMPLE_COLUMNS
from hiprisk.importers.gpx import haversine_m
from hiprisk.importers.tcx import parse_tcx, read_tcx, sport_from_tcx


def _one(path):
    acts = read_tcx(path)
    assert len(acts) == 1
    return acts[0]


def _check(act):
    s = act.samples
    assert list(s.columns) == list(SAMPLE_COLUMNS)
    assert {c: str(t) for c, t in s.dtypes.items()} == SAMPLE_COLUMNS
    assert s["time_utc"].is_monotonic_increasing
    assert act.source_format == "tcx"
    assert act.start_utc.tzinfo is not None


def _lap_values(path, tag):
    """A lap-level value straight from the file's text (an independent route to the numbers)."""
    text = path.read_text(encoding="utf-8")
    laps = re.findall(r"<Lap\b.*?</Lap>", text, flags=re.S)
    out = []
    for lap in laps:
        head = re.split(r"<Track>", lap)[0]  # lap fields come before the track
        m = re.search(rf"<{tag}>\s*(?:<Value>)?\s*([-\d.]+)", head)
        out.append(float(m.group(1)) if m else np.nan)
    return np.array(out)


# ---------------------------------------------------------------------------------------------
# python-tcxparser's oracles for tcx/test.tcx


def test_tcxparser_oracles(corpus):
    path = corpus / "tcx/test.tcx"
    act = _one(path)
    _check(act)
    s = act.samples
    assert len(s) == 384
    assert act.start_utc == pd.Timestamp("2012-12-26T21:29:53Z")
    assert s["time_utc"].iloc[-1] == pd.Timestamp("2012-12-26T22:03:05Z")  # "completed"
    assert act.elapsed_s == 1992.0
    assert act.distance_m == pytest.approx(4686.31103516, abs=1e-8)  # last trackpoint
    assert act.moving_s == pytest.approx(1992.78)  # tcxparser's "duration"
    assert act.sport == "running"
    assert act.name == "Aerobics"
    assert act.device.startswith("Forerunner 410")
    # tcxparser: HR avg 156 (a plain mean of the trackpoints), max 189, min 60; first/last 62/180
    hr = s["hr_bpm"].dropna()
    assert int(hr.mean()) == 156 and hr.max() == 189 and hr.min() == 60
    assert (hr.iloc[0], hr.iloc[-1]) == (62, 180)
    assert (s["lat_deg"].iloc[0], s["lon_deg"].iloc[0]) == (35.951880198, -79.0931872185)
    assert s["elevation_m"].max() == pytest.approx(215.95324707)
    assert s["elevation_m"].min() == pytest.approx(157.793579102)
    assert s["elevation_m"].mean() == pytest.approx(172.020056184, abs=0.01)
    # the totals are the laps' own (device) values: lap averages weighted by lap time
    lap_t = _lap_values(path, "TotalTimeSeconds")
    lap_hr = _lap_values(path, "AverageHeartRateBpm")
    assert act.avg_hr_bpm == pytest.approx(np.average(lap_hr, weights=lap_t))
    assert act.max_hr_bpm == 189
    # ... which a time-weighted mean of the (unevenly spaced) trackpoints confirms within 1 bpm,
    # while the plain point mean (156) is biased low
    dt = s["time_utc"].diff().dt.total_seconds().shift(-1)
    ok = s["hr_bpm"].notna() & dt.notna()
    assert act.avg_hr_bpm == pytest.approx(np.average(s["hr_bpm"][ok], weights=dt[ok]), abs=1)


def test_no_hr_variant(corpus):
    act = _one(corpus / "tcx/no_hr.tcx")
    assert act.samples["hr_bpm"].isna().all()
    assert act.avg_hr_bpm is None and act.max_hr_bpm is None
    assert act.distance_m == pytest.approx(4686.31103516)
    assert len(act.samples) == 384


# ---------------------------------------------------------------------------------------------
# lap totals


@pytest.mark.parametrize(
    ("name", "laps", "distance_m", "time_s"),
    [
        ("tcx/running_activity_1.tcx", 15, 14332.28, 3270),
        ("tcx/running_activity_2.tcx", 11, 19150.97, 5259),
        ("tcx/10kUNLP2014-Garmin15.tcx", 11, 10010.82, 2223.8),
    ],
)
def test_lap_totals(corpus, name, laps, distance_m, time_s):
    path = corpus / name
    assert len(_lap_values(path, "TotalTimeSeconds")) == laps
    act = _one(path)
    _check(act)
    assert act.distance_m == pytest.approx(distance_m, abs=0.01)
    assert act.moving_s == pytest.approx(time_s, abs=0.05)
    assert act.elapsed_s >= act.moving_s - 1
    assert act.sport == "running"
    assert act.samples["distance_m"].dropna().iloc[-1] == act.distance_m


def test_10k_same_run_as_the_fit_file(corpus):
    """GoldenCheetah's FR15 10 km: the FIT session says 10010.82 m and 2223.803 s."""
    act = _one(corpus / "tcx/10kUNLP2014-Garmin15.tcx")
    assert act.distance_m == pytest.approx(10010.82, abs=0.01)
    assert act.moving_s == pytest.approx(2223.803, abs=0.001)
    assert act.start_utc == pd.Timestamp("2014-10-11T18:08:45Z")
    assert act.avg_hr_bpm is None  # no HR strap
    assert act.device == "Forerunner 15"
    assert act.samples["speed_m_s"].notna().all()  # TPX/Speed


def test_multi_session_file_has_four_activities(corpus):
    acts = read_tcx(corpus / "odd/activity_165850259_multi-session.tcx")
    assert [a.sport for a in acts] == ["running", "cycling", "running", "cycling"]
    days = [a.start_utc.date().isoformat() for a in acts]
    assert days[0] == "2011-11-29" and days[-1] == "2011-12-07"
    assert len(set(days)) == 4
    for act in acts:
        _check(act)
        assert act.device.startswith("Forerunner305")
        assert act.samples["time_utc"].dt.date.nunique() == 1  # no trackpoint leaks across
    assert sum(len(a.samples) for a in acts) == 1893  # every <Trackpoint> in the file


def test_cross_country_ski_two_laps(corpus):
    path = corpus / "odd/cross-country-skiing_activity_1.tcx"
    act = _one(path)
    _check(act)
    text = path.read_text(encoding="utf-8")
    # tcxreader: 2 laps; trackpoints = lap 0 + lap 1 trackpoints; lap 0 AvgRunCadence 38
    assert text.count("<Lap ") == 2
    assert len(act.samples) == text.count("<Trackpoint>") == 486
    assert act.moving_s == pytest.approx(_lap_values(path, "TotalTimeSeconds").sum())
    assert act.distance_m == pytest.approx(5692.01, abs=0.01)
    assert act.sport == "other"
    # RunCadence is per leg: doubled
    assert "cadence doubled: RunCadence is strides/min" in act.notes
    first_run_cad = float(re.search(r"<ns3:RunCadence>(\d+)</ns3:RunCadence>", text).group(1))
    assert act.samples["cadence_spm"].iloc[0] == 2 * first_run_cad
    lap_cad = [float(v) for v in re.findall(r"<ns3:AvgRunCadence>(\d+)<", text)]
    assert lap_cad[0] == 38 and len(lap_cad) == 2
    lap_t = _lap_values(path, "TotalTimeSeconds")
    assert act.avg_cadence_spm == pytest.approx(2 * np.average(lap_cad, weights=lap_t))


def test_mapmyride_offsets_and_fractions(corpus):
    act = _one(corpus / "odd/mapmyride_biking.tcx")
    _check(act)
    s = act.samples
    # tcxreader's oracle counts GPS trackpoints only: the first one is at 15:58:31.4735 UTC
    assert s.loc[s["lat_deg"].notna(), "time_utc"].iloc[0] == pd.Timestamp("2022-11-12 15:58:31.473500Z")
    assert act.start_utc == pd.Timestamp("2022-11-12T15:58:25.849800Z")  # a time-only point
    assert act.sport == "cycling"
    assert act.distance_m == pytest.approx(15350.42, abs=0.01)


def test_sport_other_stays_other(corpus):
    act = _one(corpus / "tcx/walking_activity_1.tcx")
    assert act.sport == "other"
    assert act.avg_hr_bpm is not None and act.avg_cadence_spm is not None
    assert sport_from_tcx("Running") == "running"
    assert sport_from_tcx("Biking") == "cycling"
    assert sport_from_tcx(None) == "other"


def _tcx_files(corpus):
    return sorted([*corpus.glob("tcx/*.tcx"), *corpus.glob("odd/*.tcx")])


def test_every_corpus_tcx_parses_or_raises_a_format_error(corpus):
    files = _tcx_files(corpus)
    assert len(files) >= 13
    for path in files:
        try:
            acts = read_tcx(path)
        except FileFormatError as exc:
            assert exc.path == str(path)
            continue
        assert acts, path
        for act in acts:
            _check(act)
            assert act.distance_m is None or act.distance_m >= 0
            assert act.moving_s is None or act.moving_s > 0
        n_points = path.read_text(encoding="utf-8").count("<Trackpoint>")
        assert sum(len(a.samples) for a in acts) == n_points, path  # all have a <Time>


def test_read_tcx_accepts_gzip_by_content(corpus, tmp_path):
    src = corpus / "tcx/test.tcx"
    gz = tmp_path / "strava-export-member.tcx"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    a, b = _one(src), _one(gz)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    assert (a.distance_m, a.moving_s) == (b.distance_m, b.moving_s)


# ---------------------------------------------------------------------------------------------
# built cases

NS = 'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"'
TPX = 'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2"'


def _tp(t, lat=None, dist=None, hr=None, cad=None, run_cad=None):
    pos = (
        f"<Position><LatitudeDegrees>{lat}</LatitudeDegrees>"
        f"<LongitudeDegrees>14.0</LongitudeDegrees></Position>"
        if lat is not None
        else ""
    )
    parts = [f"<Time>{t}</Time>" if t else "", pos]
    if dist is not None:
        parts.append(f"<DistanceMeters>{dist}</DistanceMeters>")
    if hr is not None:
        parts.append(f"<HeartRateBpm><Value>{hr}</Value></HeartRateBpm>")
    if cad is not None:
        parts.append(f"<Cadence>{cad}</Cadence>")
    if run_cad is not None:
        parts.append(
            f"<Extensions><ns3:TPX><ns3:RunCadence>{run_cad}</ns3:RunCadence></ns3:TPX></Extensions>"
        )
    return "<Trackpoint>" + "".join(parts) + "</Trackpoint>"


def _tcx(body_points, sport="Running", laps_xml=None):
    lap = laps_xml or (
        '<Lap StartTime="2024-05-01T07:00:00Z"><TotalTimeSeconds>120</TotalTimeSeconds>'
        "<DistanceMeters>500</DistanceMeters><Track>" + "".join(body_points) + "</Track></Lap>"
    )
    return (
        f'<TrainingCenterDatabase {NS} {TPX}><Activities><Activity Sport="{sport}">'
        f"<Id>2024-05-01T07:00:00Z</Id>{lap}</Activity></Activities></TrainingCenterDatabase>"
    ).encode()


def _times(n):
    return [f"2024-05-01T07:0{i // 60}:{i % 60:02d}Z" for i in range(0, n * 10, 10)]


def test_run_cadence_in_cadence_element_uses_the_median_rule():
    (act,) = parse_tcx(_tcx([_tp(t, cad=84) for t in _times(5)]))
    assert (act.samples["cadence_spm"] == 168).all()
    assert any(n.startswith("cadence doubled") for n in act.notes)
    (act,) = parse_tcx(_tcx([_tp(t, cad=170) for t in _times(5)]))
    assert (act.samples["cadence_spm"] == 170).all()


def test_bike_cadence_is_not_kept():
    (act,) = parse_tcx(_tcx([_tp(t, cad=90) for t in _times(5)], sport="Biking"))
    assert act.samples["cadence_spm"].isna().all()
    assert any(n.startswith("cadence not kept") for n in act.notes)


def test_run_cadence_extension_is_doubled_for_any_sport():
    (act,) = parse_tcx(_tcx([_tp(t, run_cad=80) for t in _times(3)], sport="Other"))
    assert (act.samples["cadence_spm"] == 160).all()


def test_without_distance_meters_gps_distance_is_used():
    pts = [_tp(t, lat=45 + i * 0.001) for i, t in enumerate(_times(4))]
    (act,) = parse_tcx(_tcx(pts))
    d = act.samples["distance_m"]
    assert d.iloc[-1] == pytest.approx(haversine_m(45.0, 14.0, 45.003, 14.0))
    assert act.distance_m == 500  # the lap's, as no trackpoint states a distance
    assert any("distance from GPS" in n for n in act.notes)


def test_trackpoints_without_time_are_dropped_and_order_fixed():
    pts = [
        _tp("2024-05-01T07:00:20Z", dist=20, hr=120),
        _tp(None, dist=5),
        _tp("2024-05-01T07:00:00Z", dist=0, hr=110),
    ]
    (act,) = parse_tcx(_tcx(pts))
    s = act.samples
    assert s["hr_bpm"].tolist() == [110, 120]
    assert act.distance_m == 20  # the last trackpoint in time
    assert act.elapsed_s == 20
    assert "dropped 1 trackpoints without a readable time" in act.notes
    assert "trackpoints re-ordered by time" in act.notes


def test_laps_without_trackpoints_give_totals_and_an_empty_stream():
    laps = (
        '<Lap StartTime="2024-05-01T07:00:00Z"><TotalTimeSeconds>300</TotalTimeSeconds>'
        "<DistanceMeters>1000</DistanceMeters><AverageHeartRateBpm><Value>140</Value>"
        "</AverageHeartRateBpm><MaximumHeartRateBpm><Value>150</Value></MaximumHeartRateBpm></Lap>"
        '<Lap StartTime="2024-05-01T07:06:00Z"><TotalTimeSeconds>100</TotalTimeSeconds>'
        "<DistanceMeters>400</DistanceMeters><AverageHeartRateBpm><Value>160</Value>"
        "</AverageHeartRateBpm><MaximumHeartRateBpm><Value>170</Value></MaximumHeartRateBpm></Lap>"
    )
    (act,) = parse_tcx(_tcx([], laps_xml=laps))
    assert act.samples.empty and list(act.samples.columns) == list(SAMPLE_COLUMNS)
    assert act.distance_m == 1400
    assert act.moving_s == 400
    assert act.elapsed_s == 460  # 07:00:00 → 07:06:00 + 100 s
    assert act.avg_hr_bpm == pytest.approx((140 * 300 + 160 * 100) / 400)
    assert act.max_hr_bpm == 170
    assert act.start_utc == pd.Timestamp("2024-05-01T07:00:00Z")


def test_courses_only_is_not_an_activity():
    doc = (
        f"<TrainingCenterDatabase {NS}><Courses><Course><Name>Plan</Name><Track>"
        + _tp("2024-05-01T07:00:00Z", lat=45)
        + "</Track></Course></Courses>"
        "</TrainingCenterDatabase>"
    ).encode()
    with pytest.raises(NotAnActivityError, match="no activities"):
        parse_tcx(doc, name="course.tcx")


def test_activity_without_any_time():
    doc = (
        f'<TrainingCenterDatabase {NS}><Activities><Activity Sport="Running"><Id>?</Id>'
        "<Lap><TotalTimeSeconds>10</TotalTimeSeconds></Lap></Activity></Activities>"
        "</TrainingCenterDatabase>"
    ).encode()
    with pytest.raises(FileFormatError, match="no timestamps"):
        parse_tcx(doc)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'<gpx version="1.1"/>', "not a TCX file (root element <gpx>)"),
        (b"<TrainingCenterDatabase><Activities>", "not valid XML"),
        (b"", "not valid XML"),
    ],
)
def test_not_tcx(data, reason):
    with pytest.raises(FileFormatError) as info:
        parse_tcx(data, name="x.tcx")
    assert reason in info.value.reason
    assert info.value.path == "x.tcx"
    assert not isinstance(info.value, (NotAnActivityError, UnsafeInputError))


def test_unexpected_failure_becomes_a_format_error(monkeypatch):
    import hiprisk.importers.tcx as tcx

    def boom(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(tcx, "_activity", boom)
    with pytest.raises(FileFormatError, match="unreadable TCX: ZeroDivisionError: boom") as info:
        parse_tcx(_tcx([_tp("2024-05-01T07:00:00Z")]), name="x.tcx")
    assert isinstance(info.value.__cause__, ZeroDivisionError)


# ---------------------------------------------------------------------------------------------
# what is not read is freed (xmlsafe role), and changes nothing; hostile shapes stay cheap

JUNK = '<j:x xmlns:j="urn:junk"><a>1</a><Value>2</Value><Track><Trackpoint/></Track></j:x>'


def test_unread_elements_anywhere_change_nothing():
    pts = [_tp(t, lat=45 + i * 0.001, dist=i * 10, hr=120 + i, run_cad=80) for i, t in enumerate(_times(6))]
    laps = (
        '<Lap StartTime="2024-05-01T07:00:00Z"><TotalTimeSeconds>50</TotalTimeSeconds>'
        "<DistanceMeters>50</DistanceMeters><AverageHeartRateBpm><Value>122</Value>"
        "</AverageHeartRateBpm><MaximumHeartRateBpm><Value>125</Value></MaximumHeartRateBpm>"
        "<Extensions><LX><AvgRunCadence>80</AvgRunCadence></LX></Extensions><Track>"
        + "".join(pts)
        + "</Track></Lap>"
    )
    clean = _tcx([], laps_xml=laps)
    j = JUNK.encode()
    junky = (
        clean.replace(b"<Trackpoint>", b"<Trackpoint>" + j)
        .replace(b"<Position>", b"<Position>" + j)
        .replace(b"<HeartRateBpm>", b"<HeartRateBpm>" + j)
        .replace(b"<ns3:TPX>", b"<ns3:TPX>" + j)
        .replace(b"<LX>", b"<LX>" + j)
        .replace(b"<Track>", b"<Track>" + j)
        .replace(b"<Id>", j + b"<Id>")
        .replace(b"<Activities>", b"<Activities>" + j + b"<Courses>" + j + b"</Courses>")
    )
    assert junky.count(b"urn:junk") > 20
    (a,), (b,) = parse_tcx(clean), parse_tcx(junky)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    assert b.samples["hr_bpm"].tolist() == [120.0 + i for i in range(6)]
    assert (b.samples["cadence_spm"] == 160).all()
    for attr in ("distance_m", "moving_s", "elapsed_s", "avg_hr_bpm", "max_hr_bpm", "avg_cadence_spm"):
        assert getattr(a, attr) == getattr(b, attr), attr
    assert (b.distance_m, b.avg_hr_bpm, b.max_hr_bpm, b.avg_cadence_spm) == (50, 122, 125, 160)


def test_lap_start_times_in_every_form():
    """Lap StartTime is read like any TCX time (Z, offsets, fractions); unreadable ones are ignored."""
    laps = "".join(
        f"<Lap{' StartTime=' + repr(start) if start is not None else ''}>"
        f"<TotalTimeSeconds>{secs}</TotalTimeSeconds></Lap>"
        for start, secs in [
            ("2024-05-01T09:00:00+02:00", 60),  # 07:00:00Z
            ("2024-05-01T07:01:30.500Z", 30),
            ("yesterday", 600),
            (None, 600),
            ("2024-05-01T07:05:00", 100),  # no zone: UTC
        ]
    )
    (act,) = parse_tcx(_tcx([], laps_xml=laps))
    assert act.start_utc == pd.Timestamp("2024-05-01T07:00:00Z")
    assert act.elapsed_s == 400  # 07:00:00 → 07:05:00 + 100 s
    assert act.moving_s == 1390


def test_many_laps_and_empty_activities_stay_cheap():
    """Lap starts are parsed in one call and an activity with nothing to date it is skipped before
    any frame is built: 10,000 laps took 5.6 s and 20,000 empty <Activity/> about 40 s before."""
    lap = b'<Lap StartTime="2024-05-01T07:00:00Z"><TotalTimeSeconds>1</TotalTimeSeconds></Lap>'
    doc = _tcx([], laps_xml=(lap * 10_000).decode())
    t0 = time.perf_counter()
    (act,) = parse_tcx(doc)
    assert time.perf_counter() - t0 < 1.0
    assert act.moving_s == 10_000 and act.elapsed_s == 1
    real = _tcx([_tp(t) for t in _times(3)])
    doc = real.replace(b"<Activities>", b"<Activities>" + b"<Activity/>" * 20_000)
    t0 = time.perf_counter()
    (act,) = parse_tcx(doc)
    assert time.perf_counter() - t0 < 1.0
    assert len(act.samples) == 3
    assert act.notes[-1] == "skipped 20000 activities without any time in this file"


def test_deep_nesting_is_unsafe():
    deep = _tcx([_tp(t) for t in _times(3)]).replace(b"<Track>", b"<Track>" + b"<a>" * 101 + b"</a>" * 101)
    with pytest.raises(UnsafeInputError, match="nesting deeper than 100 levels"):
        parse_tcx(deep, "deep.tcx")


@pytest.mark.parametrize("batch", [1, 3, 7])
def test_trackpoints_across_batches_decode_as_in_one(monkeypatch, batch):
    """Trackpoints converted a few at a time (``gpx.POINT_BATCH``): unreadable times dropped before
    their fields are read, out-of-order points, a "-0" in a column that is not all integers, two
    activities: the same activities as one batch, down to the bit."""
    from hiprisk.importers import gpx

    def times(start, n):
        return [f"2024-05-01T07:{i // 60:02d}:{i % 60:02d}Z" for i in range(start, start + n)]

    first = [
        _tp(t, lat=45 + i / 1000, dist="-0" if i % 4 else i, hr=140 + i) for i, t in enumerate(times(0, 13))
    ]
    first[5] = _tp("not a time", dist=1.5, hr=200)  # dropped: its 1.5 must not make "dist" a float column
    first[2], first[9] = first[9], first[2]
    second = [_tp(t, dist="-0" if i % 2 else "0.5", run_cad=85) for i, t in enumerate(times(100, 11))]
    doc = _tcx(first).replace(
        b"</Activities>", _tcx(second).split(b"<Activities>")[1].split(b"</Activities>")[0] + b"</Activities>"
    )
    want = parse_tcx(doc)
    monkeypatch.setattr(gpx, "POINT_BATCH", batch)
    got = parse_tcx(doc)
    assert len(got) == len(want) == 2
    for a, b in zip(got, want, strict=True):
        pd.testing.assert_frame_equal(a.samples, b.samples, check_exact=True)
        for column in a.samples.columns[1:]:  # −0.0 and 0.0 compare equal: compare the bits
            assert a.samples[column].to_numpy().tobytes() == b.samples[column].to_numpy().tobytes(), column
        assert (a.notes, a.distance_m, a.elapsed_s, a.avg_hr_bpm) == (
            b.notes,
            b.distance_m,
            b.elapsed_s,
            b.avg_hr_bpm,
        )
    assert "dropped 1 trackpoints without a readable time" in got[0].notes
    assert not np.signbit(got[0].samples["distance_m"]).any()  # integers only: "-0" is 0.0
    assert np.signbit(got[1].samples["distance_m"]).any()  # with "0.5" beside it: −0.0
