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
  element count of a hostile file; the timed points wait as text a batch at a time,
  :data:`POINT_BATCH`, and are kept as numeric columns, :class:`PointColumns`, 56 B a point
  where a tuple of strings cost 300–600 B), reads any encoding expat
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

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hiprisk.errors import FileFormatError, NotAnActivityError
from hiprisk.geo import EARTH_RADIUS_M, haversine_m
from hiprisk.importers import xmlsafe
from hiprisk.importers.base import MAX_ACTIVITIES_PER_FILE, ParsedActivity, make_samples, too_many_activities

__all__ = [
    "EARTH_RADIUS_M",
    "POINT_BATCH",
    "RUN_STEPS_THRESHOLD_SPM",
    "SEPARATE_ACTIVITY_GAP_S",
    "TIMED_SEGMENT_SHARE",
    "WALK_STEPS_THRESHOLD_SPM",
    "PointColumns",
    "cumulative_distance_m",
    "haversine_m",
    "parse_times_utc",
    "parse_gpx",
    "read_gpx",
    "steps_per_minute",
]

#: Mean Earth radius (IUGG R1) [m].
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


#: Timed track points read as text before they are converted to numeric columns [points]. A point
#: waiting as text costs about 300–600 B (a tuple of Python strings), whatever its size in the
#: document: 48 B for ``<trkpt><time>…</time></trkpt>``, so a file of such points cost 8–10× its size
#: when a whole segment waited. Converted, it costs 8 B per column. Real files convert in one to
#: eight batches; a 1 h recording at 1 s is one.
POINT_BATCH: int = 4096


class PointColumns:
    """Timed track points as numeric columns, converted from their text a batch at a time.

    Points are appended as tuples of strings (the time first, then the fields named by ``fields``,
    ``None`` where absent) and wait as such until :data:`POINT_BATCH` of them have arrived; the
    batch then becomes an int64 nanosecond column for the time and a float64 column per field, and
    its strings are freed. So memory follows the points read at 8 B per column, not their text.

    :meth:`columns` returns exactly what converting each whole column at once gives:
    :func:`parse_times_utc`, and ``pd.to_numeric(errors="coerce")`` as float64 (NaN for absent,
    empty or unreadable text; ``"NaN"``, ``"inf"`` and ``"1e309"`` as floats; surrounding
    whitespace ignored). That includes pandas' one column-wide rule: a column whose every value is an
    integer is converted as integers, so ``"-0"`` is 0.0 there and −0.0 in any other column (one
    whose values are not all integers, or mix values above 2**63 with negative ones). Each batch
    notes whether it was all integers (of which sign) and where it read a negative zero, and
    :meth:`columns` gives those back their sign when the whole column was not.

    Parameters
    ----------
    fields : tuple of str
        The numeric fields, in the order they follow the time in each point.
    drop_unreadable_times : bool
        Drop the points whose time cannot be read (counted in ``unreadable``) before their fields
        are converted, as TCX does; GPX keeps them (NaT) for its timed-segment share.
    """

    __slots__ = (
        "_drop",
        "_fields",
        "_ints",
        "_neg_zeros",
        "_pending",
        "_times",
        "_values",
        "first_time",
        "n_read",
        "unreadable",
    )

    def __init__(self, fields: tuple[str, ...], drop_unreadable_times: bool = False) -> None:
        self._fields = fields
        self._drop = drop_unreadable_times
        self._pending: list[tuple] = []
        self._times: list[np.ndarray] = []  # int64 [ns] per batch, NaT as NaT's integer
        self._values: list[list[np.ndarray]] = [[] for _ in fields]  # float64 per field and batch
        # per field: [every batch all integers, some integer above 2**63 - 1, some negative integer]
        self._ints = [[True, False, False] for _ in fields]
        self._neg_zeros: list[list[np.ndarray]] = [[] for _ in fields]  # positions of "-0" in integer batches
        self.first_time: str | None = None  #: the first point's time, as written
        self.n_read = 0  #: points appended
        self.unreadable = 0  #: points dropped for an unreadable time (``drop_unreadable_times``)

    def __len__(self) -> int:
        """The points appended (dropped ones included)."""
        return self.n_read

    def append(self, point: tuple) -> None:
        """Add one point: ``(time, *fields)`` as strings or ``None``; the time must not be ``None``."""
        pending = self._pending
        if not pending and not self.n_read:
            self.first_time = point[0]
        pending.append(point)
        self.n_read += 1
        if len(pending) >= POINT_BATCH:
            self._convert()

    def _convert(self) -> None:
        """Turn the waiting points into numeric columns and free their strings."""
        if not self._pending:
            return
        text = list(zip(*self._pending, strict=True))
        self._pending = []
        times = parse_times_utc(text[0])
        if self._drop:
            readable = times.notna()
            if not readable.all():
                self.unreadable += int((~readable).sum())
                times = times[readable]
                keep = np.flatnonzero(readable)
                text = [[column[i] for i in keep] for column in text]
            if not len(times):
                return
        offset = sum(map(len, self._times))
        self._times.append(times.asi8)
        for column, values, ints, neg_zeros in zip(
            text[1:], self._values, self._ints, self._neg_zeros, strict=True
        ):
            converted = pd.to_numeric(pd.Series(column, dtype=object), errors="coerce")
            kind = converted.dtype.kind
            number = converted.to_numpy(dtype=float, copy=True)  # ours to change in place
            values.append(number)
            if kind == "f":
                ints[0] = False
            else:  # all integers: "-0" read as 0, which is -0.0 if the whole column is not
                ints[1] = ints[1] or kind == "u"
                ints[2] = ints[2] or bool((number < 0).any())
                zeros = np.flatnonzero(number == 0)
                signed = [i for i in zeros if "-" in column[i]]
                if signed:
                    neg_zeros.append(np.asarray(signed, dtype=np.int64) + offset)

    def columns(self) -> tuple[pd.DatetimeIndex, dict[str, np.ndarray]]:
        """The time (``datetime64[ns, UTC]``, NaT where unreadable) and a float64 array per field.

        The batches are joined one column at a time, each freed once joined. The arrays are the
        caller's own (writeable, shared with nothing).
        """
        self._convert()
        times = pd.to_datetime(_join(self._times, np.int64).view("datetime64[ns]"), utc=True)
        out = {}
        for name, values, ints, neg_zeros in zip(
            self._fields, self._values, self._ints, self._neg_zeros, strict=True
        ):
            number = _join(values, float)
            all_ints = ints[0] and not (ints[1] and ints[2])
            if neg_zeros and not all_ints:
                number[np.concatenate(neg_zeros)] = -0.0
            out[name] = number
        return pd.DatetimeIndex(times), out


def _join(chunks: list[np.ndarray], dtype) -> np.ndarray:
    """Concatenate ``chunks`` and empty the list (no copy for a single chunk)."""
    if len(chunks) == 1:
        return chunks.pop()
    out = np.concatenate(chunks) if chunks else np.empty(0, dtype=dtype)
    chunks.clear()
    return out


# One timed track point as read, all strings (``None`` where absent): time, then the numeric fields.
_NUMBER_FIELDS = ("lat", "lon", "ele", "hr", "cad", "speed")


@dataclass
class _Track:
    name: str | None = None
    type: str | None = None
    n_points: int = 0  # how many points with a time it holds (in ``_Gpx.points``, in file order)
    untimed: int = 0  # how many points had no time at all: counted, never stored


@dataclass
class _Gpx:
    creator: str | None = None
    name: str | None = None
    tracks: list[_Track] = field(default_factory=list)
    untimed_by_seg: dict[int, int] = field(default_factory=dict)  # segment key -> points without time
    points: PointColumns = field(default_factory=lambda: PointColumns(_NUMBER_FIELDS))
    seg_runs: list[tuple[int, int]] = field(default_factory=list)  # (segment key, timed points), in order


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
    """Stream the GPX through defusedxml and collect the timed track points as numeric columns.

    Only the ``end`` events of the records of :func:`_role` and the root are read. Each timed point
    goes into ``gpx.points`` (:class:`PointColumns`: text for at most :data:`POINT_BATCH` points,
    then numbers), in file order; a segment is a run of them (``gpx.seg_runs``), counted when its
    ``trkseg`` ends, and a track the runs since the previous track, counted when its ``trk`` ends.
    The parser frees each record once read and everything never read (unknown elements, waypoints,
    routes), so memory follows the points read, not the element count. A point without a time is
    only counted (it can never be kept, but it counts against its segment's share of timed points),
    so a flood of empty ``<trkpt/>`` costs nothing.
    """
    gpx = _Gpx()
    points = gpx.points
    local: dict[str, str] = {}
    seg_points = seg_untimed = 0  # of the segment being read: the last seg_points points appended
    trk_points = trk_untimed = 0  # of the track being read, its segments' points before those
    seg_id = 0
    root = None
    child_kinds: dict[str, str] = {}  # per full tag, for _read_point
    ext_kinds: dict[str, str] = {}
    append = points.append
    for _, elem in xmlsafe.iterparse(data, name, role=_role, tags=()):
        tag = local.get(elem.tag)
        if tag is None:
            tag = local[elem.tag] = xmlsafe.local_name(elem.tag)
        if tag == "trkpt":  # dropped by the parser once read (see _role)
            point = _read_point(elem, child_kinds, ext_kinds)
            if point[0] is None:
                seg_untimed += 1
            else:
                append(point)
                seg_points += 1
        elif tag == "trkseg" or (tag == "trk" and (seg_points or seg_untimed)):
            # a <trk> with points directly under it (not valid GPX, but seen): one more segment
            seg_id += 1
            if seg_points:
                gpx.seg_runs.append((seg_id, seg_points))
            trk_points += seg_points
            if seg_untimed:
                gpx.untimed_by_seg[seg_id] = seg_untimed
                trk_untimed += seg_untimed
            seg_points = seg_untimed = 0
        if tag == "trk" and (trk_points or trk_untimed):  # a track without points changes nothing
            track = _Track(_child_text(elem, "name"), _child_text(elem, "type"), trk_points, trk_untimed)
            gpx.tracks.append(track)
            trk_points = trk_untimed = 0
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


#: What :func:`_read_point` does with a point's child, by local name (anything else: nothing).
_POINT_CHILDREN = {"time": "time", "ele": "ele", "extensions": "ext"}
#: What it does with an element inside the point's ``<extensions>``, by lower-case local name.
_EXTENSION_FIELDS = {**dict.fromkeys(_HR_TAGS, "hr"), **dict.fromkeys(_CAD_TAGS, "cad"), "speed": "speed"}


def _read_point(elem, child_kinds: dict[str, str], ext_kinds: dict[str, str]) -> tuple:
    """A track point's ``(time, lat, lon, ele, hr, cad, speed)`` as text (``None`` where absent).

    ``child_kinds`` and ``ext_kinds`` cache, per full tag of this document, what the tag is as a
    point's child (:data:`_POINT_CHILDREN`) and inside its extensions (:data:`_EXTENSION_FIELDS`),
    ``""`` for nothing read: a point costs a dict lookup per child, not a local-name computation.
    The last value of a field wins, as in the document order.
    """
    time = ele = hr = cad = speed = None
    for child in elem:
        tag = child.tag
        kind = child_kinds.get(tag)
        if kind is None:
            kind = child_kinds[tag] = _POINT_CHILDREN.get(xmlsafe.local_name(tag), "")
        if not kind:
            continue
        if kind == "ext":
            for sub in child.iter():
                stag = sub.tag
                skind = ext_kinds.get(stag)
                if skind is None:
                    skind = ext_kinds[stag] = _EXTENSION_FIELDS.get(xmlsafe.local_name(stag).lower(), "")
                if skind:
                    text = sub.text
                    if text is not None:
                        text = text.strip() or None
                    if skind == "hr":
                        hr = text
                    elif skind == "cad":
                        cad = text
                    else:
                        speed = text
            continue
        text = child.text
        if text is not None:
            text = text.strip() or None
        if kind == "time":
            time = text
        else:
            ele = text
    return time, elem.get("lat"), elem.get("lon"), ele, hr, cad, speed


def _numbers(values: list) -> np.ndarray:
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)


_ISO_DATE = r"\s*[+-]?\d{4}-\d\d-\d\d"
_ISO_DATE_RE = re.compile(_ISO_DATE)
_NS_MIN = pd.Timestamp.min.tz_localize("UTC")
_NS_MAX = pd.Timestamp.max.tz_localize("UTC")


def parse_times_utc(values) -> pd.DatetimeIndex:
    """ISO 8601 strings → ``datetime64[ns, UTC]``; NaT where absent, unreadable or out of range.

    ``Z``, numeric offsets and any number of fractional digits are read (to the nanosecond); a time
    without a zone is UTC, as GPX and TCX define it. Strings that do not start with a date
    (pandas would read ``"now"`` or ``"today"``) and dates outside 1677–2262 are NaT.
    """
    # the stripped strings that start with a date, else None: what pandas' .str.strip and .str.match
    # give, in one loop without their per-value overhead (half this function's time on a 1 h track)
    match = _ISO_DATE_RE.match
    stripped = (value.strip() if isinstance(value, str) else "" for value in values)  # "" never matches
    iso = [text if match(text) else None for text in stripped]
    t = pd.to_datetime(pd.Series(iso, dtype=object), utc=True, format="ISO8601", errors="coerce")
    t = t.where((t >= _NS_MIN) & (t <= _NS_MAX))
    return pd.DatetimeIndex(t).as_unit("ns")


# --------------------------------------------------------------------------------------------
# assembly


def _points(gpx: _Gpx) -> dict[str, np.ndarray]:
    """The points of the file's tracks by column: ``track``, ``seg``, ``time`` [ns] and the numbers.

    The tracks' points are the first ones of ``gpx.points``: points after the last track (in a
    ``trkseg`` outside any ``trk``) belong to none and are left out. ``time`` is int64 nanoseconds
    since 1970 UTC (NaT's integer where unreadable). Columns rather than a frame: a frame and its
    filtered, sorted copies cost a copy of every point each, and the sample frame built from them
    another two (:func:`~hiprisk.importers.base.make_samples`).
    """
    n = sum(t.n_points for t in gpx.tracks)
    times, numbers = gpx.points.columns()
    seg_ids, seg_sizes = zip(*gpx.seg_runs, strict=True) if gpx.seg_runs else ((), ())
    pts = {
        "track": np.repeat(np.arange(len(gpx.tracks)), [t.n_points for t in gpx.tracks]),
        "seg": np.repeat(np.asarray(seg_ids, dtype=np.int64), seg_sizes)[:n],
        "time": times.asi8[:n],
    }
    del times
    for col in _NUMBER_FIELDS:
        pts[col] = numbers.pop(col)[:n]
    return pts


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    """int64 nanoseconds since 1970 (NaT's integer for NaT) → ``datetime64[ns, UTC]``."""
    return pd.DatetimeIndex(pd.to_datetime(ns.view("datetime64[ns]"), utc=True))


def _take(pts: dict[str, np.ndarray], rows: np.ndarray, col: str) -> np.ndarray:
    return pts[col][rows]


def _group_tracks(track: np.ndarray, time_ns: np.ndarray) -> list[list[int]]:
    """Tracks (by index) grouped into activities: a new group after a gap > SEPARATE_ACTIVITY_GAP_S."""
    df = pd.DataFrame({"track": track, "time": _utc(time_ns)})
    spans = df.groupby("track")["time"].agg(["min", "max"]).sort_values("min")
    del df
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


def _group_rows(track: np.ndarray, groups: list[list[int]]) -> list[np.ndarray]:
    """The rows (ascending) of each group's points: one stable sort by group, not a scan per group
    (20,000 one-point tracks took 47 s scanning)."""
    group_of = np.zeros(int(track.max()) + 1 if len(track) else 0, dtype=np.int64)
    for g, tracks in enumerate(groups):
        group_of[tracks] = g
    grp = group_of[track]
    order = np.argsort(grp, kind="stable")
    bounds = np.searchsorted(grp[order], np.arange(len(groups) + 1))
    return [order[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


def _activity(
    gpx: _Gpx, pts: dict[str, np.ndarray], tracks: list[int], rows: np.ndarray, notes: list[str]
) -> ParsedActivity:
    """One activity from the (timed) points of ``tracks`` (at ``rows`` of ``pts``), sorted by time
    (stable).

    When ``tracks`` hold every point of ``pts`` already in time order (the usual file), the columns
    are taken out of ``pts`` rather than copied, so that they are freed with the sample frame's
    inputs; ``pts`` is then empty.
    """
    time_ns = pts["time"]
    rows = rows[np.argsort(time_ns[rows], kind="stable")]
    if len(rows) == len(time_ns) and (len(rows) < 2 or bool((np.diff(rows) > 0).all())):
        take = pts.pop  # every point, in order: hand the columns over
        del pts["track"]
    else:
        take = functools.partial(_take, pts, rows)
    del time_ns, rows
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

    lat, lon = take("lat"), take("lon")
    distance = cumulative_distance_m(lat, lon, take("seg"))
    hr = take("hr")  # the columns are this activity's own: changed in place, not copied
    hr[~(hr > 0)] = np.nan
    speed = take("speed")
    speed[~(speed >= 0)] = np.nan  # Apple writes -1: invalid
    cadence, cad_note = steps_per_minute(take("cad"), sport)
    if cad_note:
        notes.append(cad_note)
    samples = make_samples(
        time_utc=_utc(take("time")),
        distance_m=distance,
        lat_deg=lat,
        lon_deg=lon,
        elevation_m=take("ele"),
        speed_m_s=speed,
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
    if not any(t.n_points or t.untimed for t in gpx.tracks):
        raise NotAnActivityError(name, "no track points")
    if not any(t.n_points for t in gpx.tracks):
        raise FileFormatError(name, "no timestamps")
    pts = _points(gpx)
    has_time = pts["time"] != pd.NaT.value
    # a segment is a run of points: its share of timed points, counting the untimed ones it had
    seg_ids, starts, sizes = np.unique(pts["seg"], return_index=True, return_counts=True)
    timed = np.add.reduceat(has_time.astype(np.int64), starts) if len(starts) else starts
    untimed = np.array([gpx.untimed_by_seg.get(int(s), 0) for s in seg_ids], dtype=float)
    seg_share = np.repeat(timed / (sizes + untimed), sizes)
    keep = has_time & (seg_share >= TIMED_SEGMENT_SHARE)
    del seg_share
    if not keep.any():
        if not has_time.any():  # the tracks' first point is the file's first point (_points)
            first = gpx.points.first_time
            raise FileFormatError(name, f"no readable timestamps (first: {first[:40]!r})")
        raise FileFormatError(name, "no timestamps")
    notes: list[str] = []
    n_untimed = sum(t.untimed for t in gpx.tracks)
    if not keep.all() or n_untimed:
        n_dropped = int((~keep).sum()) + n_untimed
        notes.append(f"dropped {n_dropped} track points in segments without times")
        if not keep.all():
            for col in list(pts):
                pts[col] = pts[col][keep]
    del has_time, keep
    groups = _group_tracks(pts["track"], pts["time"])
    if len(groups) > MAX_ACTIVITIES_PER_FILE:
        raise too_many_activities(name)
    if len(groups) > 1:
        hours = SEPARATE_ACTIVITY_GAP_S / 3600
        notes.append(f"file split into {len(groups)} activities at gaps over {hours:g} h")
    rows = _group_rows(pts["track"], groups)
    return [_activity(gpx, pts, tracks, r, notes) for tracks, r in zip(groups, rows, strict=True)]


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
