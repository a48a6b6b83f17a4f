"""Data sanity: what a decoded activity must satisfy before it enters the training log.

Decoders read what a file says; this module decides what hiprisk believes. Every rule below either
repairs the sample stream and says so in ``ParsedActivity.notes`` (with a count), or refuses the file with
a :class:`~hiprisk.errors.FileFormatError` whose one-line reason names the rule. Nothing is changed
silently, and no rule guesses a value that was not recorded.

The pipeline (:func:`hiprisk.ingest.prepare`) runs, per file::

    check_bytes(data, name)                 # before decoding
    for act in decode(data, fmt, name):
        act = clean(act, name, sport=...)   # repairs, counted in act.notes
        check(act, name)                    # rejections
        summarise(act, ...)

Rules (mirrored in ``docs/hardening.md``; :data:`RULES` holds the same table)
-----------------------------------------------------------------------------
====================== ========================================================= ===========================
rule                   what                                                      action
====================== ========================================================= ===========================
``empty-file``         the file has 0 bytes                                      file rejected
``no-start``           the activity has no start time                            file rejected
``before-2000``        starts before 2000-01-01 UTC (a reset device clock)       file rejected
``future``             starts more than 1 day after now                          file rejected
``over-24h``           lasts more than 24 h (the longest of the file's elapsed   file rejected
                       and moving times and the sample span)
``zero-length``        no duration and no distance at all                        file rejected
``no-time``            a sample without a time                                   sample dropped, counted
``time-order``         a sample not later than every sample before it            sample dropped, counted
                       (duplicate or backwards timestamp): the first one wins
``out-of-range``       a sample value outside :data:`SAMPLE_BOUNDS` (HR 20-250   value set missing, counted
                       bpm, cadence 0-400 spm, speed 0-100 m/s, elevation
                       -500-9000 m, latitude/longitude), or infinite
``bad-distance``       a negative or infinite cumulative distance                value set missing, counted
``distance-backwards`` cumulative distance that decreases                        values off the longest
                                                                                 non-decreasing run set
                                                                                 missing, counted
``gps-teleport``       foot sports: a fix more than 20 m from the last good fix  position dropped (sample
                       at an implied speed over 12 m/s                          kept), counted; distance
                                                                                 measured from GPS
                                                                                 re-measured around it
``gps-implausible``    foot sports: more than 10 % of the fixes would be         nothing dropped, noted
                       teleports (a wrong sport, not GPS glitches)
``distance-jump``      any sport: a gain between two recorded distances          the gain removed (later
                       implying over 100 m/s                                     values shifted), counted
``bad-total``          a file total (distance, times, ascent/descent, HR,        total ignored (the summary
                       cadence) NaN, infinite, negative or outside               uses the samples), noted
                       :data:`TOTAL_BOUNDS`; a distance over 100 m/s for the
                       activity's duration
====================== ========================================================= ===========================

Missing values inside the stream (NaN distance on a record that has none) are *not* defects: they stay
missing and downstream code interpolates or ignores them.

Teleport detection
------------------
A forward scan keeps a reference fix, the last one accepted; a fix is a teleport when it lies more than
:data:`TELEPORT_MIN_JUMP_M` from the reference at an implied speed above :data:`MAX_FOOT_SPEED_M_S`. The
scan starts from an *anchor*, the first fix of the longest run of plausible steps (the track itself), and
runs backwards from it for the fixes before it (so the scatter of a GPS cold start is what is dropped, not
the track after it).
When :data:`TELEPORT_RECOVER_FIXES` consecutive flagged fixes are plausible among themselves, the track
really moved (a GPS outage while travelling, a restart elsewhere): they are accepted and become the new
reference. When the cumulative distance across a dropped fix was measured from the GPS positions (the
column's gain over the span equals the path through the dropped fix), the gain is replaced by the
distance between the surrounding good fixes; a device's own distance (wheel, foot pod, filtered GPS) is
left as recorded.

References
----------
.. [1] J. Weyand et al., "Faster top running speeds are achieved with greater ground forces not more rapid
   leg movements", J Appl Physiol 89:1991-1999 (2000): even elite sprinters peak near 11-12 m/s, so
   12 m/s between two GPS fixes of a run, walk or hike is a position error.
.. [2] US DoD, "GPS Standard Positioning Service Performance Standard", 5th ed. (2020): horizontal error
   within 8 m (95 %) in open sky, so jumps under :data:`TELEPORT_MIN_JUMP_M` are noise, not teleports.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .errors import FileFormatError
from .features import SampleArrays
from .geo import EARTH_RADIUS_M, haversine_m
from .importers.base import ParsedActivity

__all__ = [
    "EARLIEST_START",
    "FOOT_SPORTS",
    "FUTURE_SLACK",
    "MAX_ACTIVITY_S",
    "MAX_FOOT_SPEED_M_S",
    "MAX_SPEED_M_S",
    "MAX_TELEPORT_SHARE",
    "RULES",
    "SAMPLE_BOUNDS",
    "TOTAL_BOUNDS",
    "TELEPORT_MIN_JUMP_M",
    "TELEPORT_RECOVER_FIXES",
    "Rule",
    "check",
    "check_bytes",
    "clean",
]

#: Activities starting before this are refused: a device whose clock was reset (FIT epoch 1989, GPS
#: week roll-over) or a corrupt file; no GPS watch file predates it.
EARLIEST_START = pd.Timestamp("2000-01-01", tz="UTC")
#: How far in the future a start may lie (clock skew, a time zone written as UTC) [time].
FUTURE_SLACK = pd.Timedelta(days=1)
#: Longest activity accepted [s]: longer ones are a watch left recording, or corrupt times.
MAX_ACTIVITY_S = 24 * 3600.0
#: Sports whose GPS track is checked for teleports.
FOOT_SPORTS = frozenset({"running", "walking", "hiking"})
#: Fastest plausible speed on foot between two GPS fixes [m/s] (issue #8; see [1]).
MAX_FOOT_SPEED_M_S = 12.0
#: A jump shorter than this is GPS noise, never a teleport [m] (see [2]).
TELEPORT_MIN_JUMP_M = 20.0
#: Consecutive flagged fixes, plausible among themselves, after which the track is believed [fixes].
TELEPORT_RECOVER_FIXES = 5
#: Above this share of flagged fixes nothing is dropped: the sport, not the GPS, is wrong [fraction].
MAX_TELEPORT_SHARE = 0.10
#: Fastest speed accepted in any sport, for speeds and distance gains [m/s]: a fast descent on a bike
#: is ~30 m/s; 100 m/s (360 km/h) is no human-powered sport, only a corrupt value.
MAX_SPEED_M_S = 100.0
#: Physical bounds of sample values: column → ((low, high), what). Outside → missing.
SAMPLE_BOUNDS: dict[str, tuple[tuple[float, float], str]] = {
    "hr_bpm": ((20.0, 250.0), "heart-rate"),  # [bpm]
    "cadence_spm": ((0.0, 400.0), "cadence"),  # [steps/min]
    "speed_m_s": ((0.0, MAX_SPEED_M_S), "speed"),  # [m/s]
    "elevation_m": ((-500.0, 9000.0), "elevation"),  # [m]: Dead Sea shore to above Everest
    "lat_deg": ((-90.0, 90.0), "latitude"),  # [deg]
    "lon_deg": ((-180.0, 180.0), "longitude"),  # [deg]
}
#: File totals and their bounds: (attribute, what, (low, high)). Outside, NaN or infinite → ignored.
TOTAL_BOUNDS: tuple[tuple[str, str, tuple[float, float]], ...] = (
    ("distance_m", "distance", (0.0, np.inf)),
    ("elapsed_s", "elapsed time", (0.0, np.inf)),
    ("moving_s", "moving time", (0.0, np.inf)),
    ("ascent_m", "ascent", (0.0, 20_000.0)),
    ("descent_m", "descent", (0.0, 20_000.0)),
    ("avg_hr_bpm", "average HR", SAMPLE_BOUNDS["hr_bpm"][0]),
    ("max_hr_bpm", "maximum HR", SAMPLE_BOUNDS["hr_bpm"][0]),
    ("avg_cadence_spm", "average cadence", (1.0, SAMPLE_BOUNDS["cadence_spm"][0][1])),
)


@dataclass(frozen=True)
class Rule:
    """One data-sanity rule: its id, what it detects and what is done."""

    rule: str
    what: str
    action: str


#: The rules of this module, in the order of the table in the module docs and ``docs/hardening.md``.
RULES: tuple[Rule, ...] = (
    Rule("empty-file", "the file has 0 bytes", "file rejected"),
    Rule("no-start", "the activity has no start time", "file rejected"),
    Rule("before-2000", "starts before 2000-01-01 UTC", "file rejected"),
    Rule("future", "starts more than 1 day after now", "file rejected"),
    Rule("over-24h", "lasts more than 24 h", "file rejected"),
    Rule("zero-length", "no duration and no distance", "file rejected"),
    Rule("no-time", "a sample without a time", "sample dropped, counted"),
    Rule("time-order", "a sample not later than the one before it", "sample dropped, counted"),
    Rule("out-of-range", "a sample value outside its physical bounds", "value missing, counted"),
    Rule("bad-distance", "a negative or infinite cumulative distance", "value missing, counted"),
    Rule("distance-backwards", "cumulative distance that decreases", "values missing, counted"),
    Rule("gps-teleport", "foot sports: a fix implying > 12 m/s", "position dropped, counted"),
    Rule("gps-implausible", "> 10 % of fixes would be teleports", "nothing dropped, noted"),
    Rule("distance-jump", "a distance gain implying > 100 m/s", "gain removed, counted"),
    Rule("bad-total", "a file total NaN, negative or out of bounds", "total ignored, noted"),
)


# --------------------------------------------------------------------------------------------------
# rejections


def check_bytes(data: bytes, name: str) -> None:
    """Refuse a file before decoding: rule ``empty-file``.

    Raises
    ------
    FileFormatError
        ``"empty file (0 bytes)"``.
    """
    if len(data) == 0:
        raise FileFormatError(name, "empty file (0 bytes)")


def _duration_s(act: ParsedActivity) -> float:
    """The longest of the file's elapsed and moving times and the sample span [s] (0 when none)."""
    values = [v for v in (act.elapsed_s, act.moving_s) if v is not None and np.isfinite(v)]
    samples = act.samples
    if len(samples) >= 2:
        times = samples["time_utc"]
        span = (times.iloc[-1] - times.iloc[0]).total_seconds()
        if np.isfinite(span):
            values.append(span)
    return max(values, default=0.0)


def _distance_m(act: ParsedActivity) -> float:
    values = [act.distance_m] if act.distance_m is not None and np.isfinite(act.distance_m) else []
    if len(act.samples):
        column = act.samples["distance_m"].to_numpy(dtype="float64")
        if np.isfinite(column).any():
            values.append(float(np.nanmax(column[np.isfinite(column)])))
    return max(values, default=0.0)


def check(act: ParsedActivity, name: str, *, now: pd.Timestamp | None = None) -> None:
    """Refuse activities whose dates, duration or size cannot be real (see the rules table).

    Parameters
    ----------
    act : ParsedActivity
        A decoded activity, normally after :func:`clean`.
    name : str
        The file, for the error message.
    now : Timestamp, optional
        The present (UTC); default the clock. For tests.

    Raises
    ------
    FileFormatError
        Rules ``no-start``, ``before-2000``, ``future``, ``over-24h``, ``zero-length``; the reason says
        which, with the offending value.
    """
    start = act.start_utc
    if start is None or pd.isna(start):
        raise FileFormatError(name, "no start time")
    start = pd.Timestamp(start)
    if start.tzinfo is None:  # the contract is tz-aware UTC; read a naive time as UTC
        start = start.tz_localize("UTC")
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    if start < EARLIEST_START:
        raise FileFormatError(name, f"implausible start date {start:%Y-%m-%d} (before 2000)")
    if start > now + FUTURE_SLACK:
        raise FileFormatError(name, f"start date {start:%Y-%m-%d} is in the future")
    duration = _duration_s(act)
    if duration > MAX_ACTIVITY_S:
        raise FileFormatError(name, f"activity lasts {duration / 3600:.1f} h (over 24 h)")
    if duration <= 0 and _distance_m(act) <= 0:
        raise FileFormatError(name, "zero-length activity (no duration and no distance)")


# --------------------------------------------------------------------------------------------------
# repairs


def clean(
    act: ParsedActivity, name: str, *, sport: str | None = None, arrays: SampleArrays | None = None
) -> ParsedActivity:
    """Repair a decoded activity by the documented rules; every repair is counted in ``notes``.

    Parameters
    ----------
    act : ParsedActivity
        As a decoder returned it. Not modified.
    name : str
        The file (kept for symmetry with :func:`check`; repairs never raise).
    sport : str, optional
        The sport that will be logged when it differs from the file's (an export's activity type
        wins, as in :func:`hiprisk.log.summarise`); it decides whether the foot-sport teleport rule
        applies.
    arrays : SampleArrays, optional
        The columns of ``act.samples`` when the caller has read them already (the import shares them with
        the log row); not used once samples were dropped.

    Returns
    -------
    ParsedActivity
        A copy with a cleaned sample stream, invalid totals set to None, and one note per repair, e.g.
        ``"dropped 3 GPS positions implying over 12 m/s (teleports)"``. The input itself is returned
        when nothing needed repair.
    """
    notes: list[str] = []
    samples = _clean_times(act.samples, notes)
    stream = _Stream(arrays if arrays is not None and arrays.frame is samples else SampleArrays(samples))
    _clean_ranges(stream, notes)
    _clean_distance(stream, notes)
    if (sport or act.sport) in FOOT_SPORTS:
        _drop_teleports(stream, notes)
    _clean_distance_jumps(stream, notes)
    if stream.changed:
        samples = samples.assign(**stream.changed)
    totals = _clean_totals(act, samples, notes)
    if not notes:
        return act
    return replace(act, samples=samples, notes=[*act.notes, *notes], **totals)


class _Stream:
    """The columns under repair: each read from the frame once (float64), replaced whole by a rule that
    changes it, and put back into a frame once at the end (``changed``) instead of a frame per rule."""

    def __init__(self, arrays: SampleArrays):
        self._read = arrays
        self.changed: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        """The current values (read-only when not changed yet: a rule replaces, never writes in place)."""
        values = self.changed.get(name)
        return self._read[name] if values is None else values

    def __setitem__(self, name: str, values: np.ndarray) -> None:
        self.changed[name] = values


def _clean_times(samples: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Rules ``no-time`` and ``time-order``: keep only samples later than every sample before them."""
    if len(samples) == 0:
        return samples
    lowest = np.iinfo("int64").min  # also NaT's integer value
    ns = samples["time_utc"].to_numpy(dtype="datetime64[ns]").view("int64")
    missing = ns == lowest
    keep = ~missing
    latest_before = np.concatenate([[lowest], np.maximum.accumulate(np.where(missing, lowest, ns))[:-1]])
    duplicate = keep & (ns == latest_before)
    backwards = keep & (ns < latest_before)
    if missing.any():
        notes.append(f"dropped {int(missing.sum())} samples without a time")
    if duplicate.any():
        notes.append(f"dropped {int(duplicate.sum())} samples with a duplicate timestamp")
    if backwards.any():
        notes.append(f"dropped {int(backwards.sum())} samples with time going backwards")
    keep &= ~duplicate & ~backwards
    if keep.all():
        return samples
    out = samples[keep].reset_index(drop=True)
    if len(out):
        out["elapsed_s"] = (out["time_utc"] - out["time_utc"].iloc[0]).dt.total_seconds()
    return out


def _outside(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """Values that are infinite or outside ``bounds`` (NaN is missing, not outside)."""
    with np.errstate(invalid="ignore"):
        return np.isinf(values) | (values < bounds[0]) | (values > bounds[1])


def _clean_ranges(samples: _Stream, notes: list[str]) -> None:
    """Rule ``out-of-range``: sample values outside :data:`SAMPLE_BOUNDS` become missing."""
    outside = {column: _outside(samples[column], bounds) for column, (bounds, _) in SAMPLE_BOUNDS.items()}
    position = outside["lat_deg"] | outside["lon_deg"]  # a position is both coordinates or none
    outside["lat_deg"] = outside["lon_deg"] = position
    for column, (bounds, what) in SAMPLE_BOUNDS.items():
        bad = outside[column]
        if bad.any():
            samples[column] = np.where(bad, np.nan, samples[column])
            notes.append(f"dropped {int(bad.sum())} {what} values outside {bounds[0]:g} to {bounds[1]:g}")


def _longest_non_decreasing(values: np.ndarray) -> np.ndarray:
    """Mask of one longest non-decreasing subsequence of ``values`` (finite values only), O(n log n)."""
    tails: list[float] = []  # smallest tail value of a run of each length
    tail_idx: list[int] = []
    parent = np.full(len(values), -1, dtype="int64")
    for i, v in enumerate(values.tolist()):
        k = bisect.bisect_right(tails, v)
        if k == len(tails):
            tails.append(v)
            tail_idx.append(i)
        else:
            tails[k] = v
            tail_idx[k] = i
        parent[i] = tail_idx[k - 1] if k > 0 else -1
    keep = np.zeros(len(values), dtype=bool)
    i = tail_idx[-1] if tail_idx else -1
    while i >= 0:
        keep[i] = True
        i = parent[i]
    return keep


def _clean_distance(samples: _Stream, notes: list[str]) -> None:
    """Rules ``bad-distance`` and ``distance-backwards``."""
    dist = samples["distance_m"].copy()
    bad = (dist < 0) | np.isinf(dist)
    if bad.any():
        dist[bad] = np.nan
        notes.append(f"dropped {int(bad.sum())} negative or infinite distance values")
    finite = np.flatnonzero(np.isfinite(dist))
    backwards = 0
    if len(finite) > 1 and (np.diff(dist[finite]) < 0).any():
        on_run = _longest_non_decreasing(dist[finite])
        backwards = int((~on_run).sum())
        dist[finite[~on_run]] = np.nan
        notes.append(f"dropped {backwards} distance values going backwards")
    if bad.any() or backwards:
        samples["distance_m"] = dist


def _clean_distance_jumps(samples: _Stream, notes: list[str]) -> None:
    """Rule ``distance-jump``: a gain faster than :data:`MAX_SPEED_M_S` between two consecutive
    recorded distances is removed from the cumulative distance (later values shifted down by it).

    The error of a cumulative column is in the step, not in the values after it: a glitch that adds
    5 km once would otherwise stay in every later value, and in the total.
    """
    dist = samples["distance_m"]
    finite = np.flatnonzero(np.isfinite(dist))
    if len(finite) < 2:
        return
    t = samples["elapsed_s"][finite]
    gain = np.diff(dist[finite])
    fast = gain > MAX_SPEED_M_S * np.maximum(np.diff(t), 1.0)
    if not fast.any():
        return
    removed = float(gain[fast].sum())
    gain[fast] = 0.0
    out = dist.copy()
    out[finite] = dist[finite[0]] + np.concatenate([[0.0], np.cumsum(gain)])
    notes.append(
        f"removed {int(fast.sum())} distance jumps over {MAX_SPEED_M_S:g} m/s ({removed:.0f} m in all)"
    )
    samples["distance_m"] = out


def _clean_totals(act: ParsedActivity, samples: pd.DataFrame, notes: list[str]) -> dict:
    """Rule ``bad-total``: file totals that are not finite, negative, or outside their bounds."""
    out = {}
    for attr, what, bounds in TOTAL_BOUNDS:
        value = getattr(act, attr)
        if value is None:
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if not np.isfinite(number) or number < bounds[0] or number > bounds[1]:
            out[attr] = None
            notes.append(f"ignored the file's {what} ({value!r}): not a valid value")
    distance = out.get("distance_m", act.distance_m)
    duration = _duration_s(replace(act, samples=samples, **out))
    if distance is not None and duration > 0 and distance > MAX_SPEED_M_S * duration:
        out["distance_m"] = None
        notes.append(
            f"ignored the file's distance ({distance:g} m): over {MAX_SPEED_M_S:g} m/s for {duration:g} s"
        )
    if ("ascent_m" in out or "descent_m" in out) and act.barometric:
        out["barometric"] = False
    return out


def _steps_over_m(lat: np.ndarray, lon: np.ndarray, min_m: float) -> np.ndarray:
    """Length [m] of each step between consecutive fixes where it may exceed ``min_m``; 0 elsewhere.

    Screens with an upper bound first: a path along the meridian, then along the parallel, is at least
    the great circle, so a step is at most ``R * (|dlat| + |dlon|)`` (radians). Steps of a run (metres a
    second) never come near ``min_m``, so the haversine runs only on the few that may: the teleport rule
    costs a fifth as much, with the same verdicts (the bound keeps a relative margin of 1e-9 over
    rounding, so no step above ``min_m`` is ever screened out).
    """
    phi = np.radians(lat)
    lam = np.radians(lon)
    bound = EARTH_RADIUS_M * (np.abs(np.diff(phi)) + np.abs(np.diff(lam)))
    maybe = np.flatnonzero(bound > min_m * (1.0 - 1e-9))
    step = np.zeros(max(len(lat) - 1, 0))
    if len(maybe):
        step[maybe] = haversine_m(lat[maybe], lon[maybe], lat[maybe + 1], lon[maybe + 1])
    return step


def _is_jump(lat, lon, t, a: int, b: int) -> bool:
    """True when going from fix ``a`` to fix ``b`` is a teleport (too far, too fast)."""
    p1, p2 = math.radians(lat[a]), math.radians(lat[b])
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon[b] - lon[a]) / 2) ** 2
    )
    d = 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(max(h, 0.0), 1.0)))
    dt = abs(t[b] - t[a])
    return d > TELEPORT_MIN_JUMP_M and (dt <= 0 or d / dt > MAX_FOOT_SPEED_M_S)


def _scan(lat, lon, t, order) -> list[int]:
    """Greedy scan over fix indices ``order`` (its first one accepted); returns the flagged fixes."""
    flagged: list[int] = []
    ref = order[0]
    pending: list[int] = []
    for k in order[1:]:
        if not _is_jump(lat, lon, t, ref, k):
            ref = k
            pending = []
            continue
        flagged.append(k)
        if pending and not _is_jump(lat, lon, t, pending[-1], k):
            pending.append(k)
        else:
            pending = [k]
        if len(pending) >= TELEPORT_RECOVER_FIXES:  # the track really moved: believe it
            del flagged[-len(pending) :]
            ref = pending[-1]
            pending = []
    return flagged


def _teleports(lat: np.ndarray, lon: np.ndarray, t: np.ndarray) -> np.ndarray | None:
    """Indices (into the fix arrays) of teleport fixes; None when there are too many to be glitches."""
    n = len(lat)
    if n < 2:
        return np.array([], dtype="int64")
    step = _steps_over_m(lat, lon, TELEPORT_MIN_JUMP_M)
    dt = np.diff(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        jump = (step > TELEPORT_MIN_JUMP_M) & ((dt <= 0) | (step / dt > MAX_FOOT_SPEED_M_S))
    if not jump.any():
        return np.array([], dtype="int64")
    # anchor: the first fix of the longest run of plausible steps (the track itself, not a bad start)
    edges = np.flatnonzero(np.diff(np.concatenate([[1], jump.astype("int8"), [1]])))
    starts, ends = edges[0::2], edges[1::2]  # runs of plausible steps: steps starts[i] .. ends[i]-1
    if len(starts) == 0:
        return None
    longest = int(np.argmax(ends - starts))
    anchor = int(starts[longest])
    flagged = _scan(lat, lon, t, list(range(anchor, n)))
    flagged += _scan(lat, lon, t, list(range(anchor, -1, -1)))
    if len(flagged) > MAX_TELEPORT_SHARE * n:
        return None
    return np.array(sorted(flagged), dtype="int64")


def _drop_teleports(samples: _Stream, notes: list[str]) -> None:
    """Rules ``gps-teleport`` and ``gps-implausible`` (foot sports only)."""
    lat = samples["lat_deg"]
    lon = samples["lon_deg"]
    fix = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    if len(fix) < 3:
        return
    t = samples["elapsed_s"]
    flagged = _teleports(lat[fix], lon[fix], t[fix])
    if flagged is None:
        notes.append(
            f"GPS implies over {MAX_FOOT_SPEED_M_S:g} m/s on foot in more than "
            f"{MAX_TELEPORT_SHARE:.0%} of the track: positions kept (is the sport right?)"
        )
        return
    if len(flagged) == 0:
        return
    bad_rows = fix[flagged]
    dist = samples["distance_m"].copy()
    good = np.ones(len(fix), dtype=bool)
    good[flagged] = False
    good_rows = fix[good]
    remeasured = 0
    # re-measure GPS-derived distance across each run of dropped fixes between two good fixes
    for a, b in zip(good_rows[:-1], good_rows[1:], strict=True):
        inside = bad_rows[(bad_rows > a) & (bad_rows < b)]
        if not len(inside) or not (np.isfinite(dist[a]) and np.isfinite(dist[b])):
            continue
        path = np.concatenate([[a], inside, [b]])
        via = float(haversine_m(lat[path[:-1]], lon[path[:-1]], lat[path[1:]], lon[path[1:]]).sum())
        gain = dist[b] - dist[a]
        if abs(gain - via) > 1.0 + 0.01 * via:
            continue  # the device's own distance: not derived from these positions
        direct = float(haversine_m(lat[a], lon[a], lat[b], lon[b]))
        shift = gain - direct
        dist[a + 1 : b] = np.minimum(dist[a + 1 : b], dist[a] + direct)
        dist[b:] -= shift
        remeasured += 1
    samples["lat_deg"] = np.where(np.isin(np.arange(len(lat)), bad_rows), np.nan, lat)
    samples["lon_deg"] = np.where(np.isin(np.arange(len(lon)), bad_rows), np.nan, lon)
    samples["distance_m"] = dist
    note = f"dropped {len(bad_rows)} GPS positions implying over {MAX_FOOT_SPEED_M_S:g} m/s (teleports)"
    if remeasured:
        note += f"; GPS distance re-measured across {remeasured} of them"
    notes.append(note)
