"""Garmin Training Center (TCX) files → :class:`~hiprisk.importers.base.ParsedActivity`.

The bytes are screened and streamed by :func:`hiprisk.importers.xmlsafe.iterparse` (defusedxml: no
DTD, no entities, size, depth and name bounds); there is no third-party TCX library in the loop.
Each ``<Trackpoint>`` and ``<Lap>`` is read when its end tag is, into a tuple of strings or a few
numbers, and then dropped; trackpoints wait as strings a batch at a time and are then converted to
numeric columns (:class:`hiprisk.importers.gpx.PointColumns`: 72 B a point where the strings
cost 300–600 B). Each ``<Activity>`` is built when its own end tag is read. Every element not read
(courses, workouts, unknown elements) is freed as soon as it ends, and records with nothing usable
(a trackpoint without a time, a lap without a start or any total) are only counted, so memory
follows the records read of one activity, not the element count of a hostile file.

What is read
------------
One :class:`ParsedActivity` per ``<Activity>``, wherever it sits: ``Activities/Activity`` or the
``FirstSport``/``NextSport`` activities of a ``MultiSportSession`` (the Forerunner 305 file
``odd/activity_165850259_multi-session.tcx`` holds 4 activities on 4 days). ``Courses`` are plans and
are not read; a file with no activity → :class:`~hiprisk.errors.NotAnActivityError`.

* ``Sport`` attribute: ``Running`` → running, ``Biking`` → cycling, anything else (``Other``) → other.
* Trackpoints: ``Time``, ``Position`` (lat/lon), ``AltitudeMeters``, ``DistanceMeters`` (the device's
  cumulative distance), ``HeartRateBpm/Value``, ``Cadence``, and in ``Extensions/TPX``: ``Speed`` (m/s)
  and ``RunCadence``. Trackpoints without a time are dropped (with a note); those with only a time
  (pauses, MapMyRide's first seconds) are kept with NaN values. Times may end in ``Z`` or an offset
  (``+00:00``) and carry any number of fractional digits.
* When no trackpoint has ``DistanceMeters`` the sample distance is the cumulative haversine distance
  of the positions (see :func:`hiprisk.importers.gpx.cumulative_distance_m`).

Cadence
-------
``TPX/RunCadence`` is per leg (strides/min) → doubled to steps/min, for every sport (the schema
defines it for running). ``<Cadence>`` is the bike cadence (rpm) of the schema: it is not kept for
cycling or other sports. For a ``Running`` activity some apps write the run cadence there; it is
turned into steps/min with the rule of :func:`hiprisk.importers.gpx.steps_per_minute` (median
non-zero value above 130 → already steps/min, else doubled). Notes say which was done.

Totals (the file's own values)
------------------------------
* ``distance_m``: the last trackpoint ``DistanceMeters`` when present (as python-tcxparser does;
  ``tcx/test.tcx``: 4686.31 m, where its laps sum to 4689.24 m), else the sum of the laps'
  ``DistanceMeters``;
* ``moving_s``: the sum of the laps' ``TotalTimeSeconds`` (the timer time, pauses excluded);
* ``elapsed_s``: last − first trackpoint time, or, with fewer than two timed trackpoints, the laps'
  span (last lap start + its time − first lap start);
* ``avg_hr_bpm`` / ``max_hr_bpm``: from the laps (average weighted by lap time, maximum of the lap
  maxima) when every lap with time states them, else from the trackpoints;
* ``avg_cadence_spm``: lap ``LX/AvgRunCadence`` × 2, weighted by lap time, when present;
* ``start_utc``: the first trackpoint time, else the first lap's ``StartTime``, else ``<Id>``;
* ``device``: ``Creator/Name``; ``name``: the activity's ``<Notes>``, if any.

Corrupt or implausible dates are read as written; a later sanity step judges them. Any unexpected
failure becomes :class:`~hiprisk.errors.FileFormatError` with a short reason.

References
----------
.. [1] Garmin, Training Center Database v2 schema,
       https://www8.garmin.com/xmlschemas/TrainingCenterDatabasev2.xsd
.. [2] Garmin, Activity Extension v2 schema (TPX, LX),
       https://www8.garmin.com/xmlschemas/ActivityExtensionv2.xsd
.. [3] python-tcxparser (vkurup), whose tests give the ``tcx/test.tcx`` oracles.
"""

from __future__ import annotations

from array import array
from pathlib import Path

import numpy as np
import pandas as pd

from hiprisk.errors import FileFormatError, NotAnActivityError
from hiprisk.importers import xmlsafe
from hiprisk.importers.base import (
    MAX_ACTIVITIES_PER_FILE,
    ParsedActivity,
    empty_samples,
    make_samples,
    too_many_activities,
)
from hiprisk.importers.gpx import PointColumns, cumulative_distance_m, parse_times_utc, steps_per_minute

__all__ = ["parse_tcx", "read_tcx", "sport_from_tcx"]

_SPORTS = {"running": "running", "biking": "cycling"}


def sport_from_tcx(sport_attr: str | None) -> str:
    """Map the TCX ``Sport`` attribute (``Running``, ``Biking``, ``Other``) to a hiprisk sport."""
    return _SPORTS.get((sport_attr or "").strip().lower(), "other")


# --------------------------------------------------------------------------------------------
# element helpers (namespace-agnostic)


def _local(elem) -> str:
    return xmlsafe.local_name(elem.tag)


def _child(elem, name: str):
    for c in elem:
        if _local(c) == name:
            return c
    return None


def _text(elem) -> str | None:
    if elem is None or elem.text is None:
        return None
    t = elem.text.strip()
    return t or None


def _path_text(elem, *names: str) -> str | None:
    for name in names:
        if elem is None:
            return None
        elem = _child(elem, name)
    return _text(elem)


def _float(text: str | None) -> float:
    if text is None:
        return np.nan
    try:
        return float(text)
    except ValueError:
        return np.nan


def _time(text: str | None) -> pd.Timestamp | None:
    """An ISO 8601 time as a UTC timestamp; ``None`` when absent or unreadable."""
    if not text:
        return None
    ts = parse_times_utc([text])[0]
    return None if ts is pd.NaT else ts


# --------------------------------------------------------------------------------------------
# what is read (for the parser to free the rest)

# parent context -> {local tag: (fate, context for its children)} for the elements read below.
# Every context inside an activity is a non-empty string ("-": nothing read there), so an
# <Activity> is read only outside another one (parent context None or "").
_K, _IF, _R = xmlsafe.KEEP, xmlsafe.IF_CHILDREN, xmlsafe.READ
_READ: dict[str, dict[str, tuple[xmlsafe.Keep, str]]] = {
    "Activity": {"Lap": (_R, "Lap"), "Id": (_K, "-"), "Notes": (_K, "-"), "Creator": (_K, "Creator")},
    "Creator": {"Name": (_K, "-")},
    "Lap": {
        "TotalTimeSeconds": (_K, "-"),
        "DistanceMeters": (_K, "-"),
        "AverageHeartRateBpm": (_K, "Value"),
        "MaximumHeartRateBpm": (_K, "Value"),
        "Extensions": (_K, "LapExtensions"),
        "Track": (xmlsafe.DROP, "Track"),  # empty once its trackpoints are read
    },
    "LapExtensions": {"LX": (_K, "LX")},
    "LX": {"AvgRunCadence": (_K, "-")},
    "Track": {"Trackpoint": (_R, "Trackpoint")},
    "Trackpoint": {
        "Time": (_K, "-"),
        "Position": (_K, "Position"),
        "AltitudeMeters": (_K, "-"),
        "DistanceMeters": (_K, "-"),
        "HeartRateBpm": (_K, "Value"),
        "Cadence": (_K, "-"),
        "Extensions": (_IF, "ext"),
    },
    "Position": {"LatitudeDegrees": (_K, "-"), "LongitudeDegrees": (_K, "-")},
    "Value": {"Value": (_K, "-")},
}
_EXTENSION_TAGS = ("Speed", "RunCadence")  # read anywhere inside a Trackpoint's <Extensions>


def _role(parent: str | None, tag: str) -> tuple[xmlsafe.Keep, str]:
    """What :func:`_parse` reads, for :func:`hiprisk.importers.xmlsafe.iterparse` to free the rest.

    Records, read at their own end event and then dropped: an ``Activity`` wherever it sits (but
    not inside another one), its ``Lap``\\ s, and the ``Trackpoint``\\ s of a lap's ``Track``. Until
    then each keeps the elements of :data:`_READ`, and a trackpoint's ``Extensions`` the
    ``Speed``/``RunCadence`` values anywhere and the wrappers (``TPX``) that hold them. Everything
    else (courses, workouts, unknown elements) is dropped as soon as it ends.
    """
    if parent == "ext":
        return (_K if tag in _EXTENSION_TAGS else _IF), "ext"
    if tag == "Activity" and not parent:
        return _R, "Activity"
    return _READ.get(parent or "", {}).get(tag, (xmlsafe.DROP, "-" if parent else ""))


# --------------------------------------------------------------------------------------------
# one activity

_TP_FIELDS = ("time", "lat", "lon", "ele", "dist", "hr", "cad", "run_cad", "speed")


def _first_text(elem, name: str, names: xmlsafe.LocalNames) -> str | None:
    """The text of ``elem``'s first child called ``name``, as :func:`_path_text` reads it."""
    for c in elem:
        if names[c.tag] == name:
            return _text(c)
    return None


def _trackpoint(tp, names: xmlsafe.LocalNames) -> tuple:
    """A trackpoint's fields (:data:`_TP_FIELDS`) as text, ``None`` where absent.

    ``names`` is the document's tag → local name cache: a trackpoint has some ten elements, each
    looked up once here.
    """
    time = lat = lon = ele = dist = hr = cad = run_cad = speed = None
    for c in tp:
        tag = names[c.tag]
        if tag == "Time":
            time = _text(c)
        elif tag == "Position":
            lat = _first_text(c, "LatitudeDegrees", names)
            lon = _first_text(c, "LongitudeDegrees", names)
        elif tag == "AltitudeMeters":
            ele = _text(c)
        elif tag == "DistanceMeters":
            dist = _text(c)
        elif tag == "HeartRateBpm":
            hr = _first_text(c, "Value", names)
        elif tag == "Cadence":
            cad = _text(c)
        elif tag == "Extensions":
            for sub in c.iter():
                stag = names[sub.tag]
                if stag == "Speed":
                    speed = _text(sub)
                elif stag == "RunCadence":
                    run_cad = _text(sub)
    return time, lat, lon, ele, dist, hr, cad, run_cad, speed


class _Records:
    """The records of one ``<Activity>`` as they are read, compact until the activity ends.

    Trackpoints with a time go into a :class:`~hiprisk.importers.gpx.PointColumns`, which holds at
    most a batch of them as text and the rest as numbers (some 80 B a point, where a tuple of strings
    cost 300–600 B); those whose time cannot be read are dropped there, before their fields are
    converted. Trackpoints without a time are only counted: they are dropped anyway (with a note). Laps are
    kept as their start (text) and five numbers in an ``array``, and a lap with none of them is
    not kept at all: it changes no total. So a flood of empty ``<Trackpoint/>`` or ``<Lap/>`` costs
    nothing, and a lap costs some 100 bytes, not a dictionary of objects.
    """

    __slots__ = ("lap_starts", "lap_values", "points", "untimed")

    #: The numbers kept per lap, in this order in ``lap_values``.
    LAP_FIELDS = ("time_s", "distance_m", "avg_hr", "max_hr", "avg_run_cad")

    def __init__(self) -> None:
        self.points = PointColumns(_TP_FIELDS[1:], drop_unreadable_times=True)
        self.untimed = 0
        self.lap_starts: list[str | None] = []
        self.lap_values = array("d")

    def add_trackpoint(self, tp, names: xmlsafe.LocalNames) -> None:
        point = _trackpoint(tp, names)
        if point[0] is None:
            self.untimed += 1
        else:
            self.points.append(point)

    def add_lap(self, lap) -> None:
        start = lap.get("StartTime")
        if start is None and not len(lap):
            return
        values = (
            _float(_path_text(lap, "TotalTimeSeconds")),
            _float(_path_text(lap, "DistanceMeters")),
            _float(_path_text(lap, "AverageHeartRateBpm", "Value")),
            _float(_path_text(lap, "MaximumHeartRateBpm", "Value")),
            _float(_path_text(lap, "Extensions", "LX", "AvgRunCadence")),
        )
        if start is None and all(np.isnan(v) for v in values):
            return
        self.lap_starts.append(start)
        self.lap_values.extend(values)

    def laps(self) -> tuple[pd.DatetimeIndex, dict[str, np.ndarray]]:
        """Lap starts (NaT where absent or unreadable) and the lap numbers by field."""
        # one parse for all lap starts (per lap it was 0.5 ms: 10,000 <Lap StartTime=…/> took 5.6 s)
        starts = parse_times_utc(self.lap_starts)
        values = np.frombuffer(self.lap_values, dtype=float).reshape(-1, len(self.LAP_FIELDS))
        return starts, {f: values[:, i] for i, f in enumerate(self.LAP_FIELDS)}


def _weighted(values: np.ndarray, weights: np.ndarray) -> float | None:
    ok = np.isfinite(values) & np.isfinite(weights) & (weights > 0)
    if not ok.any():
        return None
    return float(np.average(values[ok], weights=weights[ok]))


def _activity(act, records: _Records) -> ParsedActivity | None:
    """Build one activity from its ``<Activity>`` element (the fields it keeps) and its records.

    ``None`` when nothing dates it.
    """
    sport = sport_from_tcx(act.get("Sport"))
    notes: list[str] = []
    points = records.points
    if not len(points) and not any(records.lap_starts) and _time(_path_text(act, "Id")) is None:
        return None  # nothing dates it: return before building frames (an empty <Activity/> took 2 ms)
    lap_starts, lap = records.laps()
    has_lap_start = bool(lap_starts.notna().any())

    times, num = points.columns()
    n_dropped = points.unreadable + records.untimed
    if n_dropped:
        notes.append(f"dropped {n_dropped} trackpoints without a readable time")
    if len(times) and not times.is_monotonic_increasing:
        notes.append("trackpoints re-ordered by time")
    samples = _samples(times, num, sport, notes) if len(times) else empty_samples()

    lap_time = lap["time_s"]
    if len(samples):
        start = samples["time_utc"].iloc[0]
    elif has_lap_start:
        start = lap_starts.min()
    else:
        start = _time(_path_text(act, "Id"))
    if start is None:
        return None

    # distance: last trackpoint DistanceMeters, else the laps' sum
    device_dist = num["dist"] if len(times) else np.array([])
    distance_m = None
    if np.isfinite(device_dist).any():
        order = np.argsort(times.asi8, kind="stable")
        last = device_dist[order][np.isfinite(device_dist[order])]
        distance_m = float(last[-1])
    elif np.isfinite(lap["distance_m"]).any():
        distance_m = float(np.nansum(lap["distance_m"]))
    moving_s = float(np.nansum(lap_time)) if np.isfinite(lap_time).any() else None

    elapsed_s = None
    if len(samples) >= 2:
        elapsed_s = (samples["time_utc"].iloc[-1] - samples["time_utc"].iloc[0]).total_seconds()
    elif has_lap_start:
        ends = [
            t + pd.Timedelta(seconds=s)
            for t, s in zip(lap_starts, lap_time, strict=True)
            if t is not pd.NaT and np.isfinite(s)
        ]
        if ends:
            elapsed_s = (max(ends) - lap_starts.min()).total_seconds()

    avg_hr, max_hr = _heart_rate(lap, samples)
    avg_cad = _weighted(lap["avg_run_cad"], lap_time)

    return ParsedActivity(
        source_format="tcx",
        start_utc=start,
        sport=sport,
        samples=samples,
        distance_m=distance_m,
        elapsed_s=elapsed_s,
        moving_s=moving_s,
        avg_hr_bpm=avg_hr,
        max_hr_bpm=max_hr,
        avg_cadence_spm=2.0 * avg_cad if avg_cad is not None else None,
        device=_path_text(act, "Creator", "Name"),
        name=_path_text(act, "Notes"),
        notes=notes,
    )


def _samples(times: pd.DatetimeIndex, num: dict, sport: str, notes: list[str]) -> pd.DataFrame:
    """The sample frame. Takes the columns it uses out of ``num`` (all but ``dist``, which the
    totals read), so that each is freed as soon as the frame holds its copy."""
    dist = num["dist"]
    if not np.isfinite(dist).any() and np.isfinite(num["lat"]).any():
        order = np.argsort(times.asi8, kind="stable")
        dist = np.empty(len(times))
        dist[order] = cumulative_distance_m(num["lat"][order], num["lon"][order])
        notes.append("no DistanceMeters: distance from GPS positions")
    run_cad, cad = num.pop("run_cad"), num.pop("cad")
    cadence = None
    if np.isfinite(run_cad).any():
        cadence = 2.0 * run_cad
        notes.append("cadence doubled: RunCadence is strides/min")
    elif np.isfinite(cad).any():
        if sport == "running":
            cadence, note = steps_per_minute(cad, sport)
        else:
            note = f"cadence not kept: {sport} <Cadence> is pedal rpm, not a step rate"
        if note:
            notes.append(note)
    del run_cad, cad
    hr, speed = num.pop("hr"), num.pop("speed")  # the columns' own arrays: changed in place
    hr[~(hr > 0)] = np.nan
    speed[~(speed >= 0)] = np.nan
    return make_samples(
        time_utc=times,
        distance_m=dist,
        lat_deg=num.pop("lat"),
        lon_deg=num.pop("lon"),
        elevation_m=num.pop("ele"),
        speed_m_s=speed,
        hr_bpm=hr,
        cadence_spm=cadence,
    )


def _heart_rate(lap: dict[str, np.ndarray], samples: pd.DataFrame):
    """(avg, max) HR: from the laps when every lap with time states them, else from the points."""
    lap_time, lap_avg, lap_max = lap["time_s"], lap["avg_hr"], lap["max_hr"]
    timed = np.isfinite(lap_time) & (lap_time > 0)
    hr = samples["hr_bpm"].dropna() if len(samples) else pd.Series(dtype=float)
    avg = max_ = None
    if timed.any() and np.isfinite(lap_avg[timed]).all():
        avg = _weighted(lap_avg, lap_time)
    elif len(hr):
        avg = float(hr.mean())
    if timed.any() and np.isfinite(lap_max[timed]).all():
        max_ = float(np.max(lap_max[timed]))
    elif len(hr):
        max_ = float(hr.max())
    return avg, max_


# --------------------------------------------------------------------------------------------
# file


def _parse(data: bytes, name: str) -> list[ParsedActivity]:
    out: list[ParsedActivity] = []
    n_activities = 0
    root = None
    records = _Records()  # of the activity being read: its records end before it does
    names = xmlsafe.LocalNames()
    for _, elem in xmlsafe.iterparse(data, name, role=_role, tags=()):
        tag = names[elem.tag]
        if tag == "Trackpoint":
            records.add_trackpoint(elem, names)
        elif tag == "Lap":
            records.add_lap(elem)
        elif tag == "Activity":
            n_activities += 1
            act = _activity(elem, records)
            if act is not None:
                if len(out) == MAX_ACTIVITIES_PER_FILE:
                    raise too_many_activities(name)
                out.append(act)
            records = _Records()
            elem.clear()  # dropped by the parser too (see _role), but ``root`` holds it until later
        root = elem
    if root is None or _local(root) != "TrainingCenterDatabase":
        what = _local(root) if root is not None else "none"
        raise FileFormatError(name, f"not a TCX file (root element <{what}>)")
    if n_activities == 0:
        raise NotAnActivityError(name, "no activities")
    if not out:
        raise FileFormatError(name, "no timestamps")
    skipped = n_activities - len(out)
    if skipped:
        for act in out:
            act.notes.append(f"skipped {skipped} activities without any time in this file")
    return out


def parse_tcx(data: bytes, name: str = "<bytes>") -> list[ParsedActivity]:
    """Decode TCX bytes (plain or gzip) into activities, one per ``<Activity>``.

    Parameters
    ----------
    data : bytes
        The file's content; screened by :mod:`hiprisk.importers.xmlsafe` before anything reads it.
    name : str
        The file name for error messages.

    Returns
    -------
    list of ParsedActivity
        In file order.

    Raises
    ------
    UnsafeInputError
        DTD/entities/external references, or a document over the size limit.
    NotAnActivityError
        No ``<Activity>`` (e.g. a courses-only file).
    FileFormatError
        Not valid XML, not a TCX file, or activities without any time.
    """
    return xmlsafe.decode_typed("TCX", _parse, data, name)


def read_tcx(path: str | Path) -> list[ParsedActivity]:
    """Read a ``.tcx`` file, plain or gzip-compressed (detected by content); see :func:`parse_tcx`."""
    return parse_tcx(xmlsafe.read_xml_file(path), name=str(path))
