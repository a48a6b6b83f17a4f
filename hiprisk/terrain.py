"""Terrain from a sample stream: ascent/descent with noise handling, downhill distance, trail inference.

Raw altitude is noisy. Summing every small rise and drop of a GPS altitude trace on a flat road reports
hundreds of metres of climbing that never happened, and even a barometric altimeter writes one-sample
spikes. This module turns one activity's sample stream (the columns of
:data:`hiprisk.importers.base.SAMPLE_COLUMNS`) into terrain figures that can be trusted, in five steps:

1. **Pieces.** The stream is cut wherever two samples are more than :data:`MAX_GAP_S` (60 s) apart.
   Watches write no records while the timer is stopped, so such a gap is a pause: the altitude change
   across it (a cable car, a drive, a lift) was not run and is not counted, as the watch itself does
   not count it. Inside a piece, rows without altitude are skipped (bridged).
2. **Despike.** A centred running median of :data:`DESPIKE_SAMPLES` (5) samples removes one- and
   two-sample spikes (seen in real barometric files: +20 m, +44 m and -32 m for one sample). A median
   leaves monotone stretches (a steady climb) unchanged.
3. **Smooth.** A centred running mean over :data:`SMOOTH_S` (10 s) of time.
4. **Ascent and descent** by turning-point hysteresis (a "zig-zag" filter): a climb is the height between
   a confirmed low point and the next confirmed high point, and a turning point is confirmed only once
   the altitude has moved back from it by at least the threshold ``h``. Swings smaller than ``h`` are
   ignored whole. This is the method Strava describes (peaks and troughs, a threshold, smoothed data).
   ``h = max(HYSTERESIS_M, NOISE_FACTOR * sigma)``: 2 m, or 4 times the white-noise level ``sigma`` of
   the raw altitude when that is larger (``sigma`` is estimated robustly from the median absolute second
   difference, so it is about 0.0-0.1 m for a barometric trace and about the GPS noise level for a noisy
   GPS trace).
5. **Downhill distance.** The smoothed altitude is put on a 1 m distance grid, averaged over a box of
   ``window_m`` (50 m), and the grade at each metre is the change of that average over ``window_m``
   around it (a grade over 50 m of road, itself measured on 50 m averages). Distance where the grade is
   below ``downhill_grade_pct`` (-5 %) is ``downhill_km``; below ``steep_grade_pct`` (-10 %),
   ``steep_downhill_km``. When the altitude is noisy the window widens so that noise alone cannot
   reach the threshold grade (three standard deviations, see :func:`grade_window_m`). Distance is the
   stream's ``distance_m``, or the haversine length of the GPS track when ``distance_m`` is missing.

``trail_inferred`` is a heuristic, used only when the file does not say trail itself
(:func:`is_trail`): a run is called trail when its terrain is hilly **and** broken, i.e. it climbs and
descends at least :data:`TRAIL_CLIMB_M_PER_KM` (40 m per km, ascent plus descent) and its 50 m grade
varies a lot (standard deviation at least :data:`TRAIL_GRADE_SD_PCT`, 6 %). On the 125 labelled
outdoor runs of one athlete it agrees with the watch's own trail/road label on 124. It cannot see the
surface: a flat forest path reads as road, a steep hilly road run may read as trail. It is ``None`` when
there is too little data: no altitude, no distance (neither ``distance_m`` nor GPS), or less than
:data:`TRAIL_MIN_KM` (1 km).

Measured on 125 barometric Garmin fenix 6X runs against the watch's own totals (docs/terrain.md): the
descent is within 10 % or 15 m of the watch's on 123 files; the two others are files whose watch totals
cannot be derived from their own record streams (the watch's ascent minus descent differs from the
stream's end-minus-start altitude by 20 m and 86 m).

References
----------
.. [1] Strava Support, "Elevation Gain": gains are measured from low points to detected peaks, must
   exceed a threshold, and are computed on smoothed data.
   https://support.strava.com/hc/en-us/articles/216917087-Elevation-Gain
.. [2] GoldenCheetah, ``src/Metrics/BasicRideMetrics.cpp``: elevation gain with a configurable
   hysteresis, default 3.0 m.
.. [3] Gottschall, J. S. & Kram, R. (2005). Ground reaction forces during downhill and uphill running.
   Journal of Biomechanics 38(3), 445-452: at -9 degrees, normal impact force peaks +54 % and parallel
   braking peaks +73 % versus level running; why downhill distance is a load factor.
.. [4] Sinnott, R. W. (1984). Virtues of the haversine. Sky and Telescope 68(2), 159.
.. [5] Rousseeuw, P. J. & Croux, C. (1993). Alternatives to the median absolute deviation. Journal of
   the American Statistical Association 88(424), 1273-1283 (the 1.4826 MAD consistency factor).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hiprisk.errors import ConfigError
from hiprisk.features import SampleArrays
from hiprisk.geo import haversine_m

#: A gap between two samples longer than this is a pause (timer stopped), seconds. Measured on 128
#: fenix 6X files: while the timer runs, smart recording never left more than 56 s between records.
MAX_GAP_S = 60.0
#: Centred running-median width for despiking, samples.
DESPIKE_SAMPLES = 5
#: Centred running-mean width for smoothing, seconds.
SMOOTH_S = 10.0
#: Minimum hysteresis of the ascent/descent count, metres.
HYSTERESIS_M = 2.0
#: The hysteresis is at least this many times the white-noise level of the raw altitude.
NOISE_FACTOR = 4.0
#: Distance grid of the grade computation, metres.
GRID_M = 1.0
#: The downhill window widens until noise alone stays this many standard deviations from the threshold.
GRADE_NOISE_Z = 3.0
#: Trail heuristic: ascent plus descent per km at or above which a run is hilly, m/km.
TRAIL_CLIMB_M_PER_KM = 40.0
#: Trail heuristic: standard deviation of the 50 m grade at or above which terrain is broken, percent.
TRAIL_GRADE_SD_PCT = 6.0
#: Trail heuristic: least distance with altitude for any verdict, km.
TRAIL_MIN_KM = 1.0


@dataclass(frozen=True)
class TerrainSummary:
    ascent_m: float  # 0.0 when the stream has no elevation
    descent_m: float
    downhill_km: float  # distance on grades steeper than downhill_grade_pct
    steep_downhill_km: float  # distance on grades steeper than steep_grade_pct
    trail_inferred: bool | None  # None: not enough data to say
    distance_km: float = 0.0  # distance covered by samples with altitude (grade computed on it)
    grade_sd_pct: float | None = None  # standard deviation of the window grade; None without altitude
    hysteresis_m: float | None = None  # threshold used for ascent/descent; None without altitude


_EMPTY = TerrainSummary(0.0, 0.0, 0.0, 0.0, None)


def summarise(
    samples: pd.DataFrame | SampleArrays,
    *,
    downhill_grade_pct: float = -5.0,
    steep_grade_pct: float = -10.0,
    window_m: float = 50.0,
) -> TerrainSummary:
    """Terrain figures of one activity's sample stream.

    Parameters
    ----------
    samples : DataFrame or SampleArrays
        A sample stream with the columns of :data:`hiprisk.importers.base.SAMPLE_COLUMNS` (only
        ``elapsed_s``, ``time_utc``, ``distance_m``, ``lat_deg``, ``lon_deg`` and ``elevation_m`` are used;
        a missing column counts as all NaN), or its columns already read
        (:class:`hiprisk.features.SampleArrays`).
    downhill_grade_pct : float, default -5.0
        Grade [%] below which distance counts as downhill (strictly steeper). Must be negative.
    steep_grade_pct : float, default -10.0
        Grade [%] below which distance counts as steep downhill. Must be negative.
    window_m : float, default 50.0
        Length [m] over which a grade is measured (and over which altitude is averaged first).

    Returns
    -------
    TerrainSummary
        ``ascent_m``/``descent_m`` [m] are 0.0 when there is no altitude; ``downhill_km`` and
        ``steep_downhill_km`` [km] are 0.0 when there is no altitude or no distance (neither
        ``distance_m`` nor GPS); ``trail_inferred`` is None without enough data.

    Raises
    ------
    ConfigError
        A grade threshold that is not negative, a steep threshold gentler than the downhill one, or a
        window that is not positive.

    Notes
    -----
    Never returns NaN and never raises on empty streams, single samples, NaN gaps or missing columns.
    Time comes from ``elapsed_s``, else ``time_utc``; a stream with neither is taken as one sample per
    second (and is never cut at pauses). See the module docstring and docs/terrain.md for the method
    and its measured accuracy.
    """
    _check_options(downhill_grade_pct, steep_grade_pct, window_m)
    samples = SampleArrays.of(samples)
    n = len(samples)
    if n == 0:
        return _EMPTY
    time_s = _seconds(samples)
    elevation = _column(samples, "elevation_m")
    distance = track_distance_m(samples)

    has_alt = np.isfinite(elevation)
    if has_alt.sum() < 2:
        return _EMPTY
    # pieces are cut at pauses of the whole stream; rows without altitude inside a piece are bridged
    piece = np.zeros(n, dtype=int)
    piece[piece_starts(time_s, MAX_GAP_S)[1:]] = 1
    piece = np.cumsum(piece)[has_alt]
    starts = np.flatnonzero(np.concatenate([[True], np.diff(piece) != 0]))
    t = time_s[has_alt]
    e = elevation[has_alt]
    d = distance[has_alt]

    sigma = noise_sigma_m(e)
    h = max(HYSTERESIS_M, NOISE_FACTOR * sigma)
    smooth = smooth_elevation_m(t, e, starts)

    ascent = descent = 0.0
    for lo, hi in _bounds(starts, len(e)):
        a, dsc = ascent_descent_m(smooth[lo:hi], h)
        ascent += a
        descent += dsc

    down_frac = downhill_grade_pct / 100.0
    steep_frac = steep_grade_pct / 100.0
    grades, lengths = _grades(d, smooth, starts, window_m, sigma, down_frac)
    total_m = float(lengths.sum())
    downhill_km = float(lengths[grades < down_frac].sum()) / 1000.0
    steep_km = float(lengths[grades < steep_frac].sum()) / 1000.0
    grade_sd = _weighted_sd(grades, lengths) * 100.0 if total_m > 0 else None

    trail = infer_trail(ascent + descent, total_m / 1000.0, grade_sd)
    return TerrainSummary(
        ascent_m=float(ascent),
        descent_m=float(descent),
        downhill_km=downhill_km,
        steep_downhill_km=steep_km,
        trail_inferred=trail,
        distance_km=total_m / 1000.0,
        grade_sd_pct=grade_sd,
        hysteresis_m=float(h),
    )


def is_trail(trail_hint: bool | None, summary: TerrainSummary) -> bool | None:
    """The trail verdict of an activity: the file's own word first, the terrain heuristic otherwise.

    Parameters
    ----------
    trail_hint : bool or None
        :attr:`hiprisk.importers.base.ParsedActivity.trail_hint` (FIT sub_sport, GPX ``<type>``...).
    summary : TerrainSummary
        The activity's :func:`summarise` result.
    """
    return trail_hint if trail_hint is not None else summary.trail_inferred


def infer_trail(
    climb_m: float,
    distance_km: float,
    grade_sd_pct: float | None,
    *,
    climb_m_per_km: float = TRAIL_CLIMB_M_PER_KM,
    grade_sd_pct_min: float = TRAIL_GRADE_SD_PCT,
    min_km: float = TRAIL_MIN_KM,
) -> bool | None:
    """Trail or not from terrain alone: hilly (climb per km) and broken (grade variability).

    Parameters
    ----------
    climb_m : float
        Ascent plus descent [m].
    distance_km : float
        Distance with altitude [km].
    grade_sd_pct : float or None
        Standard deviation of the window grade [%].
    climb_m_per_km, grade_sd_pct_min : float
        Both must be reached for a trail verdict.
    min_km : float
        Less distance than this [km] gives None.

    Returns
    -------
    bool or None
        None when there is too little data to say.
    """
    if grade_sd_pct is None or not np.isfinite(grade_sd_pct) or distance_km < min_km:
        return None
    return bool(climb_m / distance_km >= climb_m_per_km and grade_sd_pct >= grade_sd_pct_min)


# --------------------------------------------------------------------------------------------------
# Building blocks (pure functions on numpy arrays)


def track_distance_m(samples: pd.DataFrame | SampleArrays) -> np.ndarray:
    """Cumulative distance [m] for every sample, non-decreasing; all NaN when nothing gives distance.

    ``distance_m`` is used when it has at least two finite values (gaps are interpolated in sample
    order, ends held); otherwise the haversine length of the GPS track (samples without a position are
    interpolated between fixes). A decreasing value (a device reset) never lowers the total.
    """
    samples = SampleArrays.of(samples)
    n = len(samples)
    dist = _column(samples, "distance_m")
    if np.isfinite(dist).sum() >= 2:
        return np.maximum.accumulate(_fill(dist))
    lat = _column(samples, "lat_deg")
    lon = _column(samples, "lon_deg")
    ok = np.isfinite(lat) & np.isfinite(lon)
    if ok.sum() < 2:
        return np.full(n, np.nan)
    steps = haversine_m(lat[ok][:-1], lon[ok][:-1], lat[ok][1:], lon[ok][1:])
    at_fix = np.concatenate([[0.0], np.cumsum(steps)])
    out = np.full(n, np.nan)
    out[ok] = at_fix
    return np.maximum.accumulate(_fill(out))


def noise_sigma_m(elevation_m: np.ndarray) -> float:
    """Robust white-noise level [m] of an altitude trace: 1.4826 x MAD of the second differences / sqrt(6).

    For independent noise of standard deviation s, second differences have standard deviation
    s x sqrt(6); terrain (locally linear) contributes little. 0.0 for fewer than five values.
    """
    e = np.asarray(elevation_m, dtype=float)
    e = e[np.isfinite(e)]
    if len(e) < 5:
        return 0.0
    d2 = np.diff(e, 2)
    return float(1.4826 * np.median(np.abs(d2 - np.median(d2))) / np.sqrt(6.0))


def piece_starts(time_s: np.ndarray, max_gap_s: float = MAX_GAP_S) -> np.ndarray:
    """Start indices of the pieces of a stream cut at time gaps longer than ``max_gap_s`` [s].

    Always starts with 0 (for a non-empty stream). Non-finite times never cut.
    """
    t = np.asarray(time_s, dtype=float)
    if len(t) == 0:
        return np.array([], dtype=int)
    with np.errstate(invalid="ignore"):
        cut = np.flatnonzero(np.diff(t) > max_gap_s) + 1
    return np.concatenate([[0], cut]).astype(int)


def smooth_elevation_m(
    time_s: np.ndarray,
    elevation_m: np.ndarray,
    starts: np.ndarray | None = None,
    *,
    despike_samples: int = DESPIKE_SAMPLES,
    smooth_s: float = SMOOTH_S,
) -> np.ndarray:
    """Despiked and smoothed altitude [m]: centred running median of ``despike_samples`` samples, then a
    centred running mean over ``smooth_s`` seconds, each within a piece (see :func:`piece_starts`).

    Inputs must be finite and time non-decreasing within a piece. Windows shrink at the piece ends.
    """
    t = np.asarray(time_s, dtype=float)
    e = np.asarray(elevation_m, dtype=float)
    if starts is None:
        starts = piece_starts(t)
    out = np.empty_like(e)
    for lo, hi in _bounds(starts, len(e)):
        seg = _running_median(e[lo:hi], despike_samples)
        out[lo:hi] = _running_mean_time(t[lo:hi], seg, smooth_s)
    return out


def ascent_descent_m(elevation_m: np.ndarray, hysteresis_m: float) -> tuple[float, float]:
    """Ascent and descent [m] of one continuous altitude trace by turning-point hysteresis.

    A turning point is confirmed once the trace has moved back from it by at least ``hysteresis_m``;
    ascent sums confirmed low-to-high swings, descent high-to-low swings, plus the final unconfirmed
    leg if it is at least ``hysteresis_m`` from the last turning point. Swings smaller than the
    threshold count nothing. The trace is first reduced to its local extrema (vectorised); the loop
    runs over those only.
    """
    x = _extrema(np.asarray(elevation_m, dtype=float))
    if len(x) < 2:
        return 0.0, 0.0
    h = float(hysteresis_m)
    ascent = descent = 0.0
    lo = hi = base = ext = x[0]
    state = 0  # 0: direction unknown; +1: rising, ext is the running high; -1: falling, running low
    for v in x[1:].tolist():
        if state == 0:
            hi = max(hi, v)
            lo = min(lo, v)
            if hi - lo >= h:
                state, base, ext = (1, lo, hi) if v == hi else (-1, hi, lo)
        elif state == 1:
            if v > ext:
                ext = v
            elif ext - v >= h:
                ascent += ext - base
                state, base, ext = -1, ext, v
        else:
            if v < ext:
                ext = v
            elif v - ext >= h:
                descent += base - ext
                state, base, ext = 1, ext, v
    if state == 1:
        ascent += ext - base
    elif state == -1:
        descent += base - ext
    return float(ascent), float(descent)


def grade_window_m(window_m: float, sigma_m: float, spacing_m: float, grade_frac: float) -> float:
    """Grade window [m]: ``window_m``, widened when altitude noise could fake ``grade_frac``.

    A grade is the difference of two box means of altitude, each over ``w`` metres holding about
    ``w / spacing_m`` samples of white noise ``sigma_m``, divided by ``w``. Its noise standard
    deviation is ``sqrt(2) * sigma_m * sqrt(spacing_m / w) / w``; the window is the smallest ``w >=
    window_m`` that puts ``grade_frac`` :data:`GRADE_NOISE_Z` standard deviations away.
    """
    if sigma_m <= 0 or spacing_m <= 0 or grade_frac == 0:
        return float(window_m)
    need = (GRADE_NOISE_Z * np.sqrt(2.0) * sigma_m * np.sqrt(spacing_m) / abs(grade_frac)) ** (2.0 / 3.0)
    return float(max(window_m, need))


# --------------------------------------------------------------------------------------------------
# Internals


def _check_options(downhill_grade_pct: float, steep_grade_pct: float, window_m: float) -> None:
    for name, value in (("downhill_grade_pct", downhill_grade_pct), ("steep_grade_pct", steep_grade_pct)):
        if not (np.isfinite(value) and value < 0):
            raise ConfigError(f"{name} must be a negative grade in percent, got {value!r}")
    if steep_grade_pct > downhill_grade_pct:
        raise ConfigError(
            f"steep_grade_pct ({steep_grade_pct}) must be at least as steep as downhill_grade_pct "
            f"({downhill_grade_pct})"
        )
    if not (np.isfinite(window_m) and window_m > 0):
        raise ConfigError(f"window_m must be a positive length in metres, got {window_m!r}")


def _column(samples: SampleArrays, name: str) -> np.ndarray:
    """A column as float64 (read-only; NaN where not a number), all NaN when the stream has none."""
    if name not in samples:
        return np.full(len(samples), np.nan)
    return samples[name]


def _seconds(samples: SampleArrays) -> np.ndarray:
    """Seconds since the first sample: ``elapsed_s``, else ``time_utc``, else the sample index (1 s apart)."""
    n = len(samples)
    el = _column(samples, "elapsed_s")
    if n and np.isfinite(el).all() and (np.diff(el) >= 0).all():
        return el - el[0]
    if "time_utc" in samples.frame.columns:
        t = pd.to_datetime(samples.frame["time_utc"], utc=True, errors="coerce")
        if n and t.notna().all() and t.is_monotonic_increasing:
            return (t - t.iloc[0]).dt.total_seconds().to_numpy(dtype=float)
    return np.arange(n, dtype=float)


def _fill(values: np.ndarray) -> np.ndarray:
    """NaNs replaced by linear interpolation in sample order, ends held at the nearest finite value."""
    ok = np.isfinite(values)
    if ok.all():
        return values.copy()
    idx = np.arange(len(values))
    return np.interp(idx, idx[ok], values[ok])


def _bounds(starts: np.ndarray, n: int):
    ends = np.append(starts[1:], n)
    return zip(starts.tolist(), ends.tolist(), strict=True)


def _running_median(x: np.ndarray, k: int) -> np.ndarray:
    """Centred running median of ``k`` samples (odd ``k``), windows shrinking at the ends."""
    n = len(x)
    if k <= 1 or n < 3:
        return x.copy()
    k = min(k, n if n % 2 else n - 1)
    half = k // 2
    if not np.isfinite(x).all():  # NaN propagates as np.median has it
        out = np.median(np.lib.stride_tricks.sliding_window_view(x, k), axis=1)
        head = [np.median(x[: 2 * i + 1]) for i in range(half)]
        tail = [np.median(x[n - 2 * i - 1 :]) for i in range(half)][::-1]
        return np.concatenate([head, out, tail])
    if k == 5:
        out = _median5(x[:-4], x[1:-3], x[2:-2], x[3:-1], x[4:])
    else:
        out = np.median(np.lib.stride_tricks.sliding_window_view(x, k), axis=1)
    # each shrinking end window holds an odd number of values: its median is the middle one
    head = [sorted(x[: 2 * i + 1].tolist())[i] for i in range(half)]
    tail = [sorted(x[n - 2 * i - 1 :].tolist())[i] for i in range(half)][::-1]
    return np.concatenate([head, out, tail])


def _median5(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Element-wise median of five finite arrays by comparisons only, so exactly one of the five values
    (what ``np.median`` returns for an odd count), at a tenth of its cost for the running median.

    Of ``min(a, b)``, ``min(c, d)``, the larger is above at least two of the four values, and of
    ``max(a, b)``, ``max(c, d)`` the smaller is below at least two; the median of five is the median of
    those two and ``e``.
    """
    lo = np.maximum(np.minimum(a, b), np.minimum(c, d))
    hi = np.minimum(np.maximum(a, b), np.maximum(c, d))
    return np.maximum(np.minimum(lo, hi), np.minimum(np.maximum(lo, hi), e))


def _running_mean_time(t: np.ndarray, x: np.ndarray, width_s: float) -> np.ndarray:
    """Centred running mean over ``width_s`` seconds of time (irregular sampling), via cumulative sums;
    the window shrinks symmetrically at the ends."""
    if width_s <= 0 or len(x) < 2:
        return x.copy()
    cs = np.concatenate([[0.0], np.cumsum(x)])
    # the window shrinks symmetrically near the ends, so a straight slope stays straight there
    half = np.minimum(width_s / 2, np.minimum(t - t[0], t[-1] - t))
    lo = np.searchsorted(t, t - half, side="left")
    hi = np.searchsorted(t, t + half, side="right")
    return (cs[hi] - cs[lo]) / (hi - lo)


def _extrema(x: np.ndarray) -> np.ndarray:
    """The trace reduced to its first point, local extrema and last point (plateaus collapsed)."""
    if len(x) < 3:
        return x
    keep = np.concatenate([[True], np.diff(x) != 0])
    x = x[keep]
    if len(x) < 3:
        return x
    d = np.sign(np.diff(x))
    turn = np.flatnonzero(d[1:] != d[:-1]) + 1
    return x[np.concatenate([[0], turn, [len(x) - 1]])]


def _grades(
    distance_m: np.ndarray,
    elevation_m: np.ndarray,
    starts: np.ndarray,
    window_m: float,
    sigma_m: float,
    grade_frac: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Grades (fractions) and the distance [m] each applies to, over all pieces with distance."""
    grades, lengths = [], []
    for lo, hi in _bounds(starts, len(elevation_m)):
        d = distance_m[lo:hi]
        e = elevation_m[lo:hi]
        ok = np.isfinite(d)
        if ok.sum() < 2:
            continue
        g, w = _piece_grades(d[ok], e[ok], window_m, sigma_m, grade_frac)
        grades.append(g)
        lengths.append(w)
    if not grades:
        return np.array([]), np.array([])
    return np.concatenate(grades), np.concatenate(lengths)


def _piece_grades(d, e, window_m, sigma_m, grade_frac):
    """One piece: grade on every grid cell of :data:`GRID_M` metres (see module docstring, step 5)."""
    # one altitude per distinct distance (a standing runner writes many samples at one distance)
    if (np.diff(d) >= 0).all():  # the usual case (cumulative distance): runs of equal values, no sort
        first = np.concatenate([[True], d[1:] != d[:-1]])
        du, inv = d[first], np.cumsum(first) - 1
    else:
        du, inv = np.unique(d, return_inverse=True)
    eu = np.bincount(inv, weights=e) / np.bincount(inv)
    length = du[-1] - du[0]
    if length <= 0:
        return np.array([]), np.array([])
    spacing = length / max(len(du) - 1, 1)
    w = grade_window_m(window_m, sigma_m, spacing, grade_frac)
    n_cells = max(int(np.ceil(length / GRID_M)), 1)
    cell = length / n_cells
    if length < w:
        # too short for a window: one mean grade over the whole piece, never steeper than its ends say
        return np.array([(eu[-1] - eu[0]) / length]), np.array([length])
    edges = du[0] + cell * np.arange(n_cells + 1)
    alt = np.interp(edges, du, eu)
    # integral of the piecewise-linear altitude from the start, at every grid edge
    integral = np.concatenate([[0.0], np.cumsum((alt[1:] + alt[:-1]) / 2 * cell)])

    def at(x):
        return np.interp(x, edges, integral)

    mids = edges[:-1] + cell / 2
    if length >= 2 * w:
        centre = np.clip(mids, du[0] + w, du[-1] - w)
        ahead, behind = centre + w / 2, centre - w / 2
        # box means around ``ahead`` and ``behind``: their inner ends are the same points up to rounding,
        # so the integral there is read once, and again only where rounding made the two differ
        inner_ahead, inner_behind = ahead - w / 2, behind + w / 2
        integral_ahead = at(inner_ahead)
        differ = np.flatnonzero(inner_ahead != inner_behind)
        integral_behind = integral_ahead.copy()
        integral_behind[differ] = at(inner_behind[differ])
        mean_ahead = (at(ahead + w / 2) - integral_ahead) / w
        mean_behind = (integral_behind - at(behind - w / 2)) / w
        grade = (mean_ahead - mean_behind) / w
    else:
        # room for one window but not for averaging around it: grades of the raw window, clamped inside
        centre = np.clip(mids, du[0] + w / 2, du[-1] - w / 2)
        grade = (np.interp(centre + w / 2, du, eu) - np.interp(centre - w / 2, du, eu)) / w
    return grade, np.full(n_cells, cell)


def _weighted_sd(values: np.ndarray, weights: np.ndarray) -> float:
    mean = np.average(values, weights=weights)
    return float(np.sqrt(np.average((values - mean) ** 2, weights=weights)))
