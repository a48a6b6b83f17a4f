"""GPX tracks → :class:`~hiprisk.importers.base.ParsedActivity`.

Decoder choice
--------------
gpxpy is the library the user named, and it is kept as the cross-check of this module's tests (same
points, same times on every corpus GPX file). The decoding itself is a small streaming extractor over
:func:`hiprisk.importers.xmlsafe.iterparse` (defusedxml), chosen on these measurements (the 16 GPX
files of the corpus, 6.8 MB, medians of 5 runs, standard-library expat, no lxml):

* defusedxml screen, then ``gpxpy.parse``, then the points into a DataFrame: 1.3 s (5.2 MB/s). The
  file is parsed twice: the screen alone takes 0.27 s, and gpxpy must not see unscreened bytes;
* this extractor, one defusedxml pass including building the sample frame: 0.58 s (11.7 MB/s),
  2.3× faster (2.6× in a second run on a busy machine: 3.3 s against 1.26 s; ``DECODERS.md``
  measured 4–7× against gpxpy on an lxml backend);
* it streams (points are dropped once read, points without a time only counted, and every
  element it does not read freed as soon as it ends: memory follows the timed points, not the
  element count of a hostile file), reads any encoding expat
  knows where gpxpy decodes bytes as UTF-8 only, returns our own frame rather than gpxpy objects to
  convert, and picks Garmin, Apple and Cluetrust extension values by local name whatever their
  namespace prefix.

What is read
------------
Track points (``trk/trkseg/trkpt``) only: waypoints and routes are plans, not recordings. A file whose
tracks hold no points → :class:`~hiprisk.errors.NotAnActivityError` ``"no track points"``; points
but no times → :class:`~hiprisk.errors.FileFormatError` ``"no timestamps"``. Like gpxpy's
``has_times``, a segment counts as timed when at least 75 % of its points have a time
(:data:`TIMED_SEGMENT_SHARE`); the other segments, and untimed points inside timed segments, are
dropped with a note. gpxpy's ``korita-zbevnica.gpx`` has an untimed track beside two timed ones (read);
``cerknicko-without-times.gpx`` has 5 timed points out of 296, all in a mostly untimed segment
(no timestamps).

Per point: ``lat``/``lon``, ``ele``, ``time`` (UTC; ``Z``, offsets, any number of fractional digits,
kept to the nanosecond), and from ``<extensions>`` by local name: ``hr``/``heartrate`` (Garmin
TrackPointExtension ``gpxtpx:``/``ns3:``, Cluetrust ``gpxdata:``), ``cad``/``cadence`` and ``speed``
(Apple Health export, TrackPointExtension v2). Non-standard summary blocks (running_page writes one
under ``<gpx><extensions>``) are ignored: ``odd/469527533.gpx`` shows such a block contradicting
its own track (5800 m claimed, ≈2.25 km recorded).

Tracks and activities
---------------------
All tracks and segments of a file are one activity, concatenated and sorted by time, even when they
cross midnight: a GPX file is one export of one recording (device "ACTIVE LOG" tracks are pieces of
one outing split at power cycles). A track is read as a *separate* activity only when it clearly is
one: when it starts more than :data:`SEPARATE_ACTIVITY_GAP_S` (6 h) after everything before it has
ended, a break no single training session has (e.g. a multi-day GPSBabel device dump). Distance does
not bridge the jump between two segments or tracks (as gpxpy's ``length_2d`` and devices do).

Totals
------
GPX has no device distance: ``samples["distance_m"]`` is the cumulative haversine distance and
``ParsedActivity.distance_m`` stays ``None`` (the summary step uses the last sample). ``elapsed_s`` is
last − first point time; ``moving_s``, HR and cadence totals are left to the summary step.

Sport
-----
``<trk><type>``: Strava's numeric codes (1 ride, 2 alpine ski, 4 hike, 9 run, 10 walk, 16 swim,
23 rowing) or words (``running``, ``trail_running``, ``Trail Run``, ``cycling``, ``hiking``,
``walking``, …). No type → ``"running"`` with the note ``"sport assumed running (GPX has no type)"``;
an unknown type (``"jkljkl"``, ``"trip#track"``, an unlisted code) → ``"other"`` with a note: it
is not evidence of a run, and counting a non-run as one would inflate running load.
``trail_hint`` is ``True`` when the type names trail, ``False`` for treadmill/track/indoor/virtual
runs, else ``None``.

Cadence
-------
GPX ``cad`` is ambiguous: Garmin writes strides (one leg) per minute, Strava and some apps write steps
per minute. Rule (``FACTORS.md``): for a running activity, if the median non-zero cadence is above
:data:`RUN_STEPS_THRESHOLD_SPM` (130) it already is steps/min, else it is doubled (running strides
are 75–100/min, running steps 150–200/min, so 130 separates them). Walking and hiking use
:data:`WALK_STEPS_THRESHOLD_SPM` (80; walking steps are about 90–130/min, strides half that) — our
convention. Other sports' ``cad`` (cycling rpm, unknown units) is not a step rate and is not kept.
The choice is written into ``notes``.

References
----------
.. [1] GPX 1.1 schema, https://www.topografix.com/GPX/1/1/
.. [2] Garmin TrackPointExtension v1/v2, https://www8.garmin.com/xmlschemas/TrackPointExtensionv2.xsd
.. [3] R. W. Sinnott, "Virtues of the Haversine", Sky and Telescope 68(2):159, 1984.
.. [4] Strava activity type codes in GPX ``<type>``, as written by Strava's GPX export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hiprisk.errors import FileFormatError, NotAnActivityError
from hiprisk.importers import xmlsafe
from hiprisk.importers.base import ParsedActivity, make_samples

__all__ = [
    "EARTH_RADIUS_M",
    "RUN_STEPS_THRESHOLD_SPM",
    "SEPARATE_ACTIVITY_GAP_S",
    "TIMED_SEGMENT_SHARE",
    "WALK_STEPS_THRESHOLD_SPM",
    "cumulative_distance_m",
    "haversine_m",
    "parse_times_utc",
    "parse_gpx",
    "read_gpx",
    "steps_per_minute",
]

#: Mean Earth radius (IUGG R1) [m].
EARTH_RADIUS_M: float = 6_371_008.8
#: A track starting more than this long after all earlier tracks ended is a separate activity [s].
SEPARATE_ACTIVITY_GAP_S: float = 6 * 3600.0
#: A segment counts as timed when at least this share of its points has a readable time (gpxpy's
#: ``has_times`` uses the same 75 %); other segments are dropped [1].
TIMED_SEGMENT_SHARE: float = 0.75
#: Running: a median non-zero cadence above this is already steps/min, else strides/min [1/min].
RUN_STEPS_THRESHOLD_SPM: float = 130.0
#: Walking/hiking: the same test with this threshold [1/min] (our convention).
WALK_STEPS_THRESHOLD_SPM: float = 80.0

# Strava activity type codes (Strava GPX export, <trk><type>) → (sport, sub_sport). Only codes
# seen in real exports and agreed on by several open-source Strava tools; others map to "other".
_STRAVA_TYPES: dict[int, tuple[str, str | None]] = {
    1: ("cycling", None),  # Ride
    2: ("other", None),  # Alpine ski
    4: ("hiking", None),  # Hike
    9: ("running", None),  # Run
    10: ("walking", None),  # Walk
    16: ("swimming", None),  # Swim
    23: ("other", None),  # Rowing
}

_RUN_SUBSPORT_WORDS = ("trail", "treadmill", "track", "street", "indoor", "virtual")


# --------------------------------------------------------------------------------------------
# geometry


def haversine_m(lat1_deg, lon1_deg, lat2_deg, lon2_deg, radius_m: float = EARTH_RADIUS_M):
    """Great-circle distance between points on a sphere [m] (vectorised).

    Parameters
    ----------
    lat1_deg, lon1_deg, lat2_deg, lon2_deg : float or array_like
        WGS84 coordinates [deg].
    radius_m : float
        Sphere radius [m]; the mean Earth radius by default.

    Returns
    -------
    numpy.ndarray or float
        Distance [m]; NaN where a coordinate is NaN.

    References
    ----------
    .. [1] R. W. Sinnott, "Virtues of the Haversine", Sky and Telescope 68(2):159, 1984.
    """
    lat1 = np.radians(lat1_deg)
    lat2 = np.radians(lat2_deg)
    dlat = lat2 - lat1
    dlon = np.radians(np.asarray(lon2_deg, dtype=float) - np.asarray(lon1_deg, dtype=float))
    a = np.sin(dlat / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2) ** 2
    return 2 * radius_m * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def cumulative_distance_m(lat_deg, lon_deg, segment=None) -> np.ndarray:
    """Cumulative haversine distance along a point sequence [m], not bridging segment breaks.

    Points without a valid position add nothing and carry the distance reached so far.

    Parameters
    ----------
    lat_deg, lon_deg : array_like
        Coordinates in sequence order [deg].
    segment : array_like, optional
        A segment key per point; the step into a point whose key differs from the previous
        positioned point's is not counted.

    Returns
    -------
    numpy.ndarray
        Distance from the first point [m], starting at 0, non-decreasing.
    """
    lat = np.asarray(lat_deg, dtype=float)
    lon = np.asarray(lon_deg, dtype=float)
    n = len(lat)
    out = np.zeros(n)
    if n == 0:
        return out
    ok = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    idx = np.flatnonzero(ok)
    if len(idx) < 2:
        return out
    step = haversine_m(lat[idx[:-1]], lon[idx[:-1]], lat[idx[1:]], lon[idx[1:]])
    if segment is not None:
        seg = np.asarray(segment)[idx]
        step = np.where(seg[1:] == seg[:-1], step, 0.0)
    cum = np.concatenate([[0.0], np.cumsum(step)])
    # carry the reached distance over points with no position
    pos = np.searchsorted(idx, np.arange(n), side="right") - 1
    out = np.where(pos >= 0, cum[np.clip(pos, 0, None)], 0.0)
    return out


def steps_per_minute(cadence, sport: str) -> tuple[np.ndarray | None, str | None]:
    """Turn a recorded GPX/TCX cadence column into steps per minute, per file.

    Parameters
    ----------
    cadence : array_like
        Cadence as recorded (NaN where absent) [1/min].
    sport : str
        The activity's sport; the threshold depends on it.

    Returns
    -------
    (numpy.ndarray or None, str or None)
        Steps per minute (``None`` when the values are not kept) and a note saying what was done
        (``None`` when there is no cadence at all).

    Notes
    -----
    Running: median non-zero cadence > :data:`RUN_STEPS_THRESHOLD_SPM` → already steps/min, else
    × 2 (strides per leg → steps). Walking/hiking: the same with :data:`WALK_STEPS_THRESHOLD_SPM`.
    Other sports: not kept (cycling cadence is pedal rpm).
    """
    cad = np.asarray(cadence, dtype=float)
    nonzero = cad[np.isfinite(cad) & (cad > 0)]
    if len(nonzero) == 0:
        return None, None
    if sport == "running":
        threshold = RUN_STEPS_THRESHOLD_SPM
    elif sport in ("walking", "hiking"):
        threshold = WALK_STEPS_THRESHOLD_SPM
    else:
        return None, f"cadence not kept: {sport} cadence is not a step rate"
    median = float(np.median(nonzero))
    if median > threshold:
        return cad, f"cadence read as steps/min (median {median:.0f} > {threshold:.0f})"
    return cad * 2.0, f"cadence doubled: strides/min (median {median:.0f} <= {threshold:.0f})"


# --------------------------------------------------------------------------------------------
# sport


def sport_from_type(text: str | None) -> tuple[str, str | None, bool | None] | None:
    """Map a GPX ``<type>`` (Strava number or word) to ``(sport, sub_sport, trail_hint)``.

    Returns ``None`` for an empty or unrecognised type.
    """
    if text is None:
        return None
    raw = text.strip()
    if not raw:
        return None
    if raw.isdigit():
        hit = _STRAVA_TYPES.get(int(raw))
        return (hit[0], hit[1], None) if hit else None
    word = raw.lower().replace("-", "_").replace(" ", "_")
    trail = True if "trail" in word else None
    if "run" in word:
        sub = next((w for w in _RUN_SUBSPORT_WORDS if w in word), None)
        if sub in ("treadmill", "track", "indoor", "virtual"):
            trail = False
        return "running", sub, trail
    if any(w in word for w in ("cycl", "bik", "ride", "riding")):
        return "cycling", None, trail
    if "hik" in word:
        return "hiking", None, trail
    if "walk" in word:
        return "walking", None, trail
    if "swim" in word:
        return "swimming", None, None
    return None


# --------------------------------------------------------------------------------------------
# extraction


# One track point as read: (segment, time, lat, lon, ele, hr, cad, speed), all strings but segment.
_POINT_FIELDS = ("seg", "time_raw", "lat", "lon", "ele", "hr", "cad", "speed")


@dataclass
class _Track:
    name: str | None = None
    type: str | None = None
    points: list[tuple] = field(default_factory=list)  # the points with a time (text), as read
    untimed: int = 0  # how many points had no time at all: counted, never stored


@dataclass
class _Gpx:
    creator: str | None = None
    name: str | None = None
    tracks: list[_Track] = field(default_factory=list)
    untimed_by_seg: dict[int, int] = field(default_factory=dict)  # segment key -> points without time


_HR_TAGS = {"hr", "heartrate", "heart_rate"}
_CAD_TAGS = {"cad", "cadence", "runcadence"}
_EXTENSION_TAGS = _HR_TAGS | _CAD_TAGS | {"speed"}  # read anywhere inside a trkpt's <extensions>


def _role(parent: str | None, tag: str) -> tuple[xmlsafe.Keep, str]:
    """What :func:`_extract` reads, for :func:`hiprisk.importers.xmlsafe.iterparse` to free the rest.

    Contexts: ``"gpx"`` the root, ``"metadata"``, ``"trk"``, ``"trkpt"``, ``"ext"`` anything
    inside a point's ``<extensions>``, ``""`` nothing read. ``trkpt``, ``trkseg`` and ``trk`` are
    records, read at their own end event wherever they sit and dropped afterwards; the children
    read are kept until then: ``time``/``ele``/``extensions`` (with the hr/cad/speed values anywhere
    inside it and the wrappers that hold them), ``name``/``type``. The root's ``metadata``/``name``
    are read last.
    """
    if tag == "trkpt" or tag == "trk":
        return xmlsafe.READ, tag
    if tag == "trkseg":
        return xmlsafe.READ, ""
    if parent == "trkpt":
        if tag == "extensions":
            return xmlsafe.IF_CHILDREN, "ext"
        return (xmlsafe.KEEP if tag in ("time", "ele") else xmlsafe.DROP), ""
    if parent == "ext":
        return (xmlsafe.KEEP if tag.lower() in _EXTENSION_TAGS else xmlsafe.IF_CHILDREN), "ext"
    if parent == "trk":
        return (xmlsafe.KEEP if tag in ("name", "type") else xmlsafe.DROP), ""
    if parent is None:  # the root (never removed)
        return xmlsafe.KEEP, "gpx"
    if parent == "gpx" and tag == "metadata":
        return xmlsafe.KEEP, "metadata"
    if parent in ("gpx", "metadata") and tag == "name":
        return xmlsafe.KEEP, ""
    return xmlsafe.DROP, ""


def _text(elem) -> str | None:
    text = elem.text
    if text is None:
        return None
    text = text.strip()
    return text or None


def _child_text(elem, local: str) -> str | None:
    for child in elem:
        if xmlsafe.local_name(child.tag) == local:
            return _text(child)
    return None


def _extract(data: bytes, name: str) -> _Gpx:
    """Stream the GPX through defusedxml and collect track points as strings.

    Only the ``end`` events of the records of :func:`_role` and the root are read: points wait in
    ``seg_points`` until their ``trkseg`` ends, segments in ``trk_points`` until their ``trk``
    ends. The parser frees each record once read and everything never read (unknown elements,
    waypoints, routes), so memory follows the points read, not the element count. A point without
    a time is only counted (it can never be kept, but it counts against its segment's share of
    timed points), so a flood of empty ``<trkpt/>`` costs nothing.
    """
    gpx = _Gpx()
    local: dict[str, str] = {}
    seg_points: list[tuple] = []
    seg_untimed = 0
    trk_points: list[tuple] = []
    trk_untimed = 0
    seg_id = 0
    root = None
    for _, elem in xmlsafe.iterparse(data, name, role=_role, tags=()):
        tag = local.get(elem.tag)
        if tag is None:
            tag = local[elem.tag] = xmlsafe.local_name(elem.tag)
        if tag == "trkpt":  # dropped by the parser once read (see _role)
            point = _read_point(elem)
            if point[0] is None:
                seg_untimed += 1
            else:
                seg_points.append(point)
        elif tag == "trkseg" or (tag == "trk" and (seg_points or seg_untimed)):
            # a <trk> with points directly under it (not valid GPX, but seen): one more segment
            seg_id += 1
            trk_points.extend((seg_id, *p) for p in seg_points)
            if seg_untimed:
                gpx.untimed_by_seg[seg_id] = seg_untimed
                trk_untimed += seg_untimed
            seg_points, seg_untimed = [], 0
        if tag == "trk" and (trk_points or trk_untimed):  # a track without points changes nothing
            track = _Track(_child_text(elem, "name"), _child_text(elem, "type"), trk_points, trk_untimed)
            gpx.tracks.append(track)
            trk_points, trk_untimed = [], 0
            elem.clear()  # dropped by the parser too (see _role), but ``root`` holds it until later
        root = elem
    if root is None or xmlsafe.local_name(root.tag) != "gpx":
        what = xmlsafe.local_name(root.tag) if root is not None else "none"
        raise FileFormatError(name, f"not a GPX file (root element <{what}>)")
    gpx.creator = (root.get("creator") or "").strip() or None
    for child in root:
        ctag = xmlsafe.local_name(child.tag)
        if ctag == "metadata":
            gpx.name = _child_text(child, "name")
        elif ctag == "name" and gpx.name is None:  # GPX 1.0
            gpx.name = _text(child)
    return gpx


def _read_point(elem) -> tuple:
    time = ele = hr = cad = speed = None
    for child in elem:
        ctag = xmlsafe.local_name(child.tag)
        if ctag == "time":
            time = _text(child)
        elif ctag == "ele":
            ele = _text(child)
        elif ctag == "extensions":
            for sub in child.iter():
                stag = xmlsafe.local_name(sub.tag).lower()
                if stag in _HR_TAGS:
                    hr = _text(sub)
                elif stag in _CAD_TAGS:
                    cad = _text(sub)
                elif stag == "speed":
                    speed = _text(sub)
    return time, elem.get("lat"), elem.get("lon"), ele, hr, cad, speed


def _numbers(values: list) -> np.ndarray:
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)


_ISO_DATE = r"\s*[+-]?\d{4}-\d\d-\d\d"
_NS_MIN = pd.Timestamp.min.tz_localize("UTC")
_NS_MAX = pd.Timestamp.max.tz_localize("UTC")


def parse_times_utc(values) -> pd.DatetimeIndex:
    """ISO 8601 strings → ``datetime64[ns, UTC]``; NaT where absent, unreadable or out of range.

    ``Z``, numeric offsets and any number of fractional digits are read (to the nanosecond); a time
    without a zone is UTC, as GPX and TCX define it. Strings that do not start with a date
    (pandas would read ``"now"`` or ``"today"``) and dates outside 1677–2262 are NaT.
    """
    s = pd.Series(values, dtype=object).str.strip()
    looks_iso = s.str.match(_ISO_DATE, na=False).astype(bool)
    s = s.where(looks_iso, None)
    t = pd.to_datetime(s, utc=True, format="ISO8601", errors="coerce")
    t = t.where((t >= _NS_MIN) & (t <= _NS_MAX))
    return pd.DatetimeIndex(t).as_unit("ns")


# --------------------------------------------------------------------------------------------
# assembly


def _points_frame(gpx: _Gpx) -> pd.DataFrame:
    """All track points of the file as one frame (strings converted), with track and segment keys."""
    # column by column, each list of strings freed once converted: a row of objects per point
    # (a tuple, then a frame of object cells) cost twice as much as the points themselves
    track = np.repeat(np.arange(len(gpx.tracks)), [len(t.points) for t in gpx.tracks])
    rows = (p for t in gpx.tracks for p in t.points)
    columns = dict(zip(_POINT_FIELDS, map(list, zip(*rows, strict=True)), strict=True))
    df = pd.DataFrame({"track": track, "seg": np.asarray(columns.pop("seg"), dtype=np.int64)})
    df["time_raw"] = pd.Series(columns.pop("time_raw"), dtype=object)
    df["time"] = parse_times_utc(df["time_raw"].tolist())
    for col in ("lat", "lon", "ele", "hr", "cad", "speed"):
        df[col] = _numbers(columns.pop(col))
    return df


def _group_tracks(df: pd.DataFrame) -> list[list[int]]:
    """Tracks (by index) grouped into activities: a new group after a gap > SEPARATE_ACTIVITY_GAP_S."""
    spans = df.groupby("track")["time"].agg(["min", "max"]).sort_values("min")
    groups: list[list[int]] = []
    end = None
    gap = pd.Timedelta(seconds=SEPARATE_ACTIVITY_GAP_S)
    for trk, row in spans.iterrows():
        if end is None or row["min"] - end > gap:
            groups.append([])
            end = row["max"]
        groups[-1].append(int(trk))
        end = max(end, row["max"])
    return groups


def _activity(gpx: _Gpx, pts: pd.DataFrame, tracks: list[int], notes: list[str]) -> ParsedActivity:
    """One activity from the (timed) points of ``tracks``."""
    pts = pts[pts["track"].isin(tracks)].sort_values("time", kind="stable").reset_index(drop=True)
    trks = [gpx.tracks[i] for i in tracks]
    notes = list(notes)
    types = [t.type for t in trks if t.type]
    mapped = next((m for m in map(sport_from_type, types) if m is not None), None)
    if mapped is not None:
        sport, sub_sport, trail_hint = mapped
    elif types:
        sport, sub_sport, trail_hint = "other", None, None
        notes.append(f"sport other: unknown GPX type {types[0]!r}")
    else:
        sport, sub_sport, trail_hint = "running", None, None
        notes.append("sport assumed running (GPX has no type)")
    if len(tracks) > 1:
        notes.append(f"{len(tracks)} tracks read as one activity")

    hr = pts["hr"].to_numpy()
    hr = np.where(hr > 0, hr, np.nan)
    cadence, cad_note = steps_per_minute(pts["cad"], sport)
    if cad_note:
        notes.append(cad_note)
    samples = make_samples(
        time_utc=pd.DatetimeIndex(pts["time"]),
        distance_m=cumulative_distance_m(pts["lat"], pts["lon"], pts["seg"]),
        lat_deg=pts["lat"],
        lon_deg=pts["lon"],
        elevation_m=pts["ele"],
        speed_m_s=np.where(pts["speed"] >= 0, pts["speed"], np.nan),  # Apple writes -1: invalid
        hr_bpm=hr,
        cadence_spm=cadence,
    )
    start = samples["time_utc"].iloc[0]
    end = samples["time_utc"].iloc[-1]
    return ParsedActivity(
        source_format="gpx",
        start_utc=start,
        sport=sport,
        sub_sport=sub_sport,
        samples=samples,
        distance_m=None,
        elapsed_s=(end - start).total_seconds(),
        moving_s=None,
        device=gpx.creator,
        name=next((t.name for t in trks if t.name), None) or gpx.name,
        trail_hint=trail_hint,
        notes=notes,
    )


def _parse(data: bytes, name: str) -> list[ParsedActivity]:
    gpx = _extract(data, name)
    if not any(t.points or t.untimed for t in gpx.tracks):
        raise NotAnActivityError(name, "no track points")
    if not any(t.points for t in gpx.tracks):
        raise FileFormatError(name, "no timestamps")
    pts = _points_frame(gpx)
    has_time = pts["time"].notna()
    by_seg = has_time.groupby(pts["seg"])
    untimed = pts["seg"].map(gpx.untimed_by_seg).fillna(0).to_numpy()  # counted, not stored
    seg_share = by_seg.transform("sum").to_numpy() / (by_seg.transform("size").to_numpy() + untimed)
    keep = has_time.to_numpy() & (seg_share >= TIMED_SEGMENT_SHARE)
    if not keep.any():
        raw = pts["time_raw"].dropna()
        if len(raw) and not has_time.any():
            raise FileFormatError(name, f"no readable timestamps (first: {raw.iloc[0][:40]!r})")
        raise FileFormatError(name, "no timestamps")
    notes: list[str] = []
    n_untimed = sum(t.untimed for t in gpx.tracks)
    if not keep.all() or n_untimed:
        n_dropped = int((~keep).sum()) + n_untimed
        notes.append(f"dropped {n_dropped} track points in segments without times")
        pts = pts[keep]
    groups = _group_tracks(pts)
    if len(groups) > 1:
        hours = SEPARATE_ACTIVITY_GAP_S / 3600
        notes.append(f"file split into {len(groups)} activities at gaps over {hours:g} h")
    return [_activity(gpx, pts, tracks, notes) for tracks in groups]


def parse_gpx(data: bytes, name: str = "<bytes>") -> list[ParsedActivity]:
    """Decode GPX bytes (plain or gzip) into activities.

    Parameters
    ----------
    data : bytes
        The file's content; screened by :mod:`hiprisk.importers.xmlsafe` before anything reads it.
    name : str
        The file name for error messages.

    Returns
    -------
    list of ParsedActivity
        Usually one; more only when tracks are separated by over :data:`SEPARATE_ACTIVITY_GAP_S`.

    Raises
    ------
    UnsafeInputError
        DTD/entities/external references, or a document over the size limit.
    NotAnActivityError
        No track points (waypoints or routes only, metadata only).
    FileFormatError
        Not valid XML, not a GPX file, or track points without timestamps.
    """
    return xmlsafe.decode_typed("GPX", _parse, data, name)


def read_gpx(path: str | Path) -> list[ParsedActivity]:
    """Read a ``.gpx`` file, plain or gzip-compressed (detected by content); see :func:`parse_gpx`."""
    return parse_gpx(xmlsafe.read_xml_file(path), name=str(path))
