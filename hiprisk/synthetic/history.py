"""Deterministic synthetic runs: a route, a pacing model, heart rate, cadence, GPS and barometer noise.

:func:`simulate_run` builds one run from a seeded :class:`numpy.random.Generator`; the same arguments
always give the same samples (and, through the writers, the same bytes). :func:`plan_to_files` turns
a list of planned runs into FIT/GPX files plus an ``index.csv`` of ground truth, and
:func:`example_plan` is a 16-week history of one runner whose training story trips hiprisk's rules.

The model, everything vectorised on a 1 m distance grid and then resampled in time:

1. **Route elevation** ``e(d)``: random piecewise-constant grades on segments of random length,
   smoothed over ~30 m and scaled so that the route descends ``climb_m_per_km`` per km (a loop for
   ``flat``/``rolling``/``trail``, so ascent ≈ descent; a net descent for ``downhill``).
2. **Pace** ``p(d)``: the base pace (or ``pace_segments``), slowed in a 10 min warm-up, times a grade
   factor from the energy cost of running on a slope (Minetti 2002), a trail technicality factor and
   slow random variation. Time is ``t(d) = ∫ p``; samples are taken at whole seconds.
3. **Heart rate**: a steady state linear in metabolic effort (speed × cost ratio, 1.0 at threshold
   pace on the flat → ``hr_threshold_bpm``), plus cardiac drift, passed through a first-order lag
   (τ = 30 s) and rounded. **Cadence**: ``cadence_spm`` at the base pace, +10 spm per m/s, optional
   fatigue drop over the last third.
4. **Sensors**: AR(1) GPS error with σ ≈ ``gps_noise_m`` (2.5 m) on each axis; barometric noise of
   a few decimetres on elevation. Distance and session totals are the true route's (what a good
   watch reports); positions and elevations carry the noise.

References
----------
.. [1] Minetti, A. E. et al. (2002). Energy cost of walking and running at extreme uphill and
   downhill slopes. J Appl Physiol 93:1039–1046 (the cost polynomial ``C(i)``, J kg⁻¹ m⁻¹).
.. [2] Heiderscheit, B. C. et al. (2011). Effects of step rate manipulation on joint mechanics
   during running. MSSE 43:296–302 (typical self-selected step rates, 160–180 spm).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from hiprisk.importers.base import make_samples
from hiprisk.synthetic.activity import SyntheticActivity, _utc, as_activity

__all__ = [
    "PROFILES",
    "SyntheticActivity",
    "as_activity",
    "example_plan",
    "plan_to_files",
    "simulate_run",
]

Profile = Literal["flat", "rolling", "downhill", "trail", "treadmill"]
PROFILES: tuple[str, ...] = ("flat", "rolling", "downhill", "trail", "treadmill")

#: Descent per km of route [m/km] by profile (ascent is the same on loops).
DEFAULT_CLIMB_M_PER_KM = {"flat": 0.0, "rolling": 15.0, "downhill": 50.0, "trail": 60.0, "treadmill": 0.0}
#: FIT sub-sport written for each profile unless ``sub_sport`` is given.
DEFAULT_SUB_SPORT = {
    "flat": "generic",
    "rolling": "generic",
    "downhill": "generic",
    "trail": "trail",
    "treadmill": "treadmill",
}
_GRID_M = 1.0  # distance grid step [m]
_EARTH_M_PER_DEG = 111_320.0  # metres per degree of latitude (equirectangular approximation)


# --------------------------------------------------------------------------------------------------
# Building blocks (pure functions of a Generator)


def _smooth(x: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average with edge padding (length preserved)."""
    if window <= 1 or x.size < 2:
        return x
    window = min(window, x.size)
    pad = window // 2
    padded = np.pad(x, (pad, window - 1 - pad), mode="edge")
    return np.convolve(padded, np.ones(window) / window, mode="valid")


def _knots(
    rng: np.random.Generator, length_m: float, spacing_m: float, sigma: float, d: np.ndarray
) -> np.ndarray:
    """Smooth random variation: N(0, sigma) values every *spacing_m*, linearly interpolated on *d*."""
    n = int(length_m // spacing_m) + 2
    return np.interp(d, np.arange(n) * spacing_m, rng.normal(0.0, sigma, n))


def _ar1(rng: np.random.Generator, n: int, sigma: float, phi: float) -> np.ndarray:
    """Stationary AR(1) noise with marginal SD *sigma* (vectorised as an exponential filter)."""
    if n == 0:
        return np.zeros(0)
    innov = rng.normal(0.0, sigma * math.sqrt(1 - phi * phi), n)
    innov[0] = rng.normal(0.0, sigma)
    k = min(n, max(1, int(math.ceil(math.log(1e-4) / math.log(phi)))))
    kernel = phi ** np.arange(k)
    out = np.convolve(innov[1:], kernel)[: n - 1] if n > 1 else np.zeros(0)
    return np.concatenate([[innov[0]], innov[0] * phi ** np.arange(1, n) + out])


def _elevation_profile(
    rng: np.random.Generator, d: np.ndarray, profile: str, climb_m_per_km: float
) -> np.ndarray:
    """Elevation [m] relative to the start along the distance grid *d* (noise-free)."""
    n = d.size
    if profile in ("flat", "treadmill") and climb_m_per_km <= 0:
        return np.zeros(n)
    if profile == "trail":
        seg_min, seg_max, grade_sd, window = 40.0, 300.0, 0.12, 25
    elif profile == "downhill":
        seg_min, seg_max, grade_sd, window = 150.0, 600.0, 0.03, 41
    else:  # rolling, or flat with a requested climb
        seg_min, seg_max, grade_sd, window = 200.0, 800.0, 0.03, 121
    n_seg = int(d[-1] / seg_min) + 2
    lengths = rng.uniform(seg_min, seg_max, n_seg)
    edges = np.concatenate([[0.0], np.cumsum(lengths)])
    if profile == "downhill":
        grades = rng.normal(-0.05, grade_sd, n_seg)
    else:
        signs = np.where(np.arange(n_seg) % 2 == 0, 1.0, -1.0) * rng.choice([-1.0, 1.0])
        grades = signs * np.abs(rng.normal(0.0, grade_sd, n_seg)) + rng.normal(0, grade_sd / 4, n_seg)
    grade = grades[np.clip(np.searchsorted(edges, d, side="right") - 1, 0, n_seg - 1)]
    grade = _smooth(grade, window)
    if profile != "downhill":
        grade = grade - grade.mean()  # a loop: back to the start height
    steps = grade[1:] * np.diff(d)
    descent = -steps[steps < 0].sum()
    target = climb_m_per_km * d[-1] / 1000.0
    if descent > 0:
        steps = steps * (target / descent)
    return np.concatenate([[0.0], np.cumsum(steps)])


def _cost_ratio(grade: np.ndarray) -> np.ndarray:
    """Energy cost of running on a slope relative to the flat, Minetti et al. 2002 [1]_."""
    i = np.clip(grade, -0.45, 0.45)
    cost = ((((155.4 * i - 30.4) * i - 43.3) * i + 46.3) * i + 19.5) * i + 3.6  # Horner form
    return cost / 3.6


def _route_xy(rng: np.random.Generator, d: np.ndarray, profile: str) -> tuple[np.ndarray, np.ndarray]:
    """East/north offsets [m] of a route along the grid: a wandering loop, or a line for downhill."""
    total = max(float(d[-1]), 1.0)
    turns = 0.0 if profile == "downhill" else 1.0
    wiggle = 0.9 if profile == "trail" else 0.35
    heading = (
        rng.uniform(0, 2 * math.pi)
        + 2 * math.pi * turns * d / total
        + _knots(rng, total, 150.0 if profile == "trail" else 400.0, wiggle, d)
    )
    step = np.diff(d, prepend=0.0)
    return np.cumsum(step * np.sin(heading)), np.cumsum(step * np.cos(heading))


# --------------------------------------------------------------------------------------------------
# One run


def simulate_run(
    start_utc: Any,
    distance_km: float,
    *,
    pace_s_per_km: float = 360.0,
    profile: Profile = "flat",
    hr_rest_bpm: float = 50.0,
    hr_threshold_bpm: float = 170.0,
    hr_max_bpm: float = 192.0,
    threshold_pace_s_per_km: float = 270.0,
    cadence_spm: float = 172.0,
    cadence_drop_pct: float = 0.0,
    sample_interval_s: int = 1,
    smart_recording: bool = False,
    seed: int | np.random.SeedSequence = 0,
    utc_offset_s: int | None = 0,
    warmup: bool = True,
    pace_segments: Sequence[tuple[float, float]] | None = None,
    climb_m_per_km: float | None = None,
    start_lat_deg: float = 47.3769,
    start_lon_deg: float = 8.5417,
    start_elevation_m: float = 420.0,
    gps_noise_m: float = 2.5,
    heart_rate: bool = True,
    sub_sport: str | None = None,
    name: str | None = None,
    shoe: str | None = None,
) -> SyntheticActivity:
    """Simulate one run, deterministically for a given *seed*.

    Parameters
    ----------
    start_utc : datetime-like
        Start time; naive values are taken as UTC.
    distance_km : float
        Route length [km].
    pace_s_per_km : float
        Base pace on the flat [s/km] (grade, warm-up and noise modulate it).
    profile : {"flat", "rolling", "downhill", "trail", "treadmill"}
        Terrain. ``treadmill`` has no positions and no elevation and sub-sport ``treadmill``.
    hr_rest_bpm, hr_threshold_bpm, hr_max_bpm : float
        Heart-rate model: rest, at threshold pace on the flat, ceiling [bpm].
    threshold_pace_s_per_km : float
        Pace held at threshold heart rate on the flat [s/km].
    cadence_spm : float
        Step rate at the base pace [steps/min], both legs (FIT stores half of it).
    cadence_drop_pct : float
        Fatigue: cadence falls linearly by this percentage over the last third of the run.
    sample_interval_s : int
        Seconds between samples (``1`` = "every second" recording).
    smart_recording : bool
        Irregular 1–8 s gaps like Garmin's "smart" recording (overrides ``sample_interval_s``).
    seed : int or SeedSequence
        Seed of the :class:`numpy.random.Generator`; same seed and arguments → identical samples.
    utc_offset_s : int or None
        Local time − UTC [s] stored with the activity (FIT ``activity.local_timestamp``).
    warmup : bool
        Start with ~10 min at an easy pace (no faster than 1.3 × threshold pace); ``False`` runs the
        planned pace from the first metre.
    pace_segments : sequence of (length_m, pace_s_per_km), optional
        Planned paces laid from the start (e.g. intervals); the rest of the route is at
        ``pace_s_per_km``.
    climb_m_per_km : float, optional
        Descent per km of route [m/km]; defaults per profile (:data:`DEFAULT_CLIMB_M_PER_KM`).
    start_lat_deg, start_lon_deg, start_elevation_m : float
        Where the route starts.
    gps_noise_m : float
        SD [m] of the AR(1) GPS error on each axis.
    heart_rate : bool
        ``False`` leaves ``hr_bpm`` NaN (no strap, no optical sensor).
    sub_sport, name, shoe : str, optional
        Metadata; ``sub_sport`` defaults per profile (:data:`DEFAULT_SUB_SPORT`).

    Returns
    -------
    SyntheticActivity
        Samples at whole seconds; ``ascent_m``/``descent_m`` and ``truth`` from the noise-free
        route.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; use one of {PROFILES}")
    if distance_km <= 0 or pace_s_per_km <= 0:
        raise ValueError("distance_km and pace_s_per_km must be positive")
    if int(sample_interval_s) != sample_interval_s or sample_interval_s < 1:
        raise ValueError("sample_interval_s must be a whole number of seconds ≥ 1")
    rng = np.random.default_rng(seed)
    start = _utc(start_utc).floor("s")
    climb = DEFAULT_CLIMB_M_PER_KM[profile] if climb_m_per_km is None else climb_m_per_km
    indoor = profile == "treadmill"

    # 1. route on a 1 m grid
    total_m = distance_km * 1000.0
    d = np.append(np.arange(0.0, total_m, _GRID_M), total_m)
    elev = _elevation_profile(rng, d, profile, climb)
    grade = np.gradient(elev, d) if d.size > 1 else np.zeros_like(d)

    # 2. pace along the route
    pace = np.full(d.size, float(pace_s_per_km))
    if pace_segments:
        edges = np.cumsum([0.0] + [float(length) for length, _ in pace_segments])
        for (_, seg_pace), lo, hi in zip(pace_segments, edges[:-1], edges[1:], strict=True):
            pace[(d >= lo) & (d < hi)] = seg_pace
    if warmup:
        easy = max(1.3 * threshold_pace_s_per_km, 1.08 * pace_s_per_km)
        warm_m = 600.0 / easy * 1000.0  # ~10 min at the easy pace
        ramp = np.clip(1.0 - d / warm_m, 0.0, 1.0)  # 1.1 × easy at the start → easy at warm_m
        warm_pace = easy * (1.0 + 0.1 * ramp)
        pace = np.where(d < warm_m, np.maximum(pace, warm_pace), pace)
    cost = _cost_ratio(grade) if not indoor else np.ones_like(d)
    max_gain = 1.05 if profile == "trail" else 1.15  # descending faster has limits
    speed_factor = np.clip(cost**-0.75, 0.35, max_gain)
    if profile == "trail":
        speed_factor = speed_factor * 0.92 * np.exp(_knots(rng, total_m, 60.0, 0.06, d))
    speed_factor = speed_factor * np.exp(_knots(rng, total_m, 250.0, 0.025, d))
    pace_here = pace / speed_factor  # s/km
    t_grid = np.concatenate([[0.0], np.cumsum((pace_here[1:] + pace_here[:-1]) / 2 * np.diff(d))])
    t_grid /= 1000.0
    duration = float(t_grid[-1])

    # 3. sample times
    if smart_recording:
        gaps = rng.choice(
            np.arange(1, 9), size=int(duration) + 2, p=[0.25, 0.2, 0.15, 0.12, 0.1, 0.08, 0.06, 0.04]
        )
        t = np.concatenate([[0], np.cumsum(gaps)])
        t = t[t < duration]
    else:
        t = np.arange(0, math.floor(duration) + 1e-9, int(sample_interval_s))
    t = np.append(t, math.ceil(duration)).astype(np.float64) if t[-1] < duration else t
    t = t.astype(np.float64)
    n = t.size
    dist = np.interp(t, t_grid, d)
    speed = 1000.0 / np.interp(t, t_grid, pace_here)
    speed[-1] = speed[-2] if n > 1 else speed[-1]
    g = np.interp(dist, d, grade)

    # 4. heart rate: steady state from effort, drift, first-order lag, noise
    hr = np.full(n, np.nan)
    if heart_rate:
        effort = speed / (1000.0 / threshold_pace_s_per_km) * (_cost_ratio(g) if not indoor else 1.0)
        effort = np.clip(effort, 0.3, 1.6)
        steady = hr_rest_bpm + (hr_threshold_bpm - hr_rest_bpm) * effort
        steady = steady + 4.0 * effort * t / 3600.0  # cardiac drift [bpm/h]
        hr_1s = np.interp(np.arange(0, t[-1] + 1), t, steady)
        tau = 30.0
        kernel = np.exp(-np.arange(int(6 * tau)) / tau)
        kernel /= kernel.sum()
        hr0 = hr_rest_bpm + 25.0  # standing at the start line
        padded = np.concatenate([np.full(kernel.size - 1, hr0), hr_1s])
        lagged = np.convolve(padded, kernel, mode="valid")
        hr = np.interp(t, np.arange(lagged.size), lagged) + _ar1(rng, n, 1.2, 0.9)
        hr = np.round(np.clip(hr, 35.0, hr_max_bpm))

    # 5. cadence [steps/min]
    v_base = 1000.0 / pace_s_per_km
    cad = cadence_spm + 10.0 * (speed - v_base) + 12.0 * np.abs(g) + _ar1(rng, n, 1.5, 0.8)
    if cadence_drop_pct:
        frac = np.clip((dist / total_m - 2.0 / 3.0) * 3.0, 0.0, 1.0)
        cad = cad * (1.0 - cadence_drop_pct / 100.0 * frac)
    cad = np.round(np.clip(cad, 120.0, 220.0))

    # 6. positions and elevation with sensor noise
    if indoor:
        lat = lon = elevation = np.full(n, np.nan)
    else:
        east, north = _route_xy(rng, d, profile)
        ex = np.interp(dist, d, east) + _ar1(rng, n, gps_noise_m, 0.98)
        ny = np.interp(dist, d, north) + _ar1(rng, n, gps_noise_m, 0.98)
        lat = start_lat_deg + ny / _EARTH_M_PER_DEG
        lon = start_lon_deg + ex / (_EARTH_M_PER_DEG * math.cos(math.radians(start_lat_deg)))
        baro = _ar1(rng, n, 0.25, 0.99) + rng.normal(0.0, 0.03, n)
        elevation = start_elevation_m + np.interp(dist, d, elev) + baro

    samples = make_samples(
        time_utc=start + pd.to_timedelta(t, unit="s"),
        elapsed_s=t,
        distance_m=dist,
        lat_deg=lat,
        lon_deg=lon,
        elevation_m=elevation,
        speed_m_s=speed,
        hr_bpm=hr,
        cadence_spm=cad,
    )
    steps = np.diff(elev)
    step_grade = steps / np.diff(d)
    seg_m = np.diff(d)
    ascent = float(steps[steps > 0].sum()) + 0.0  # + 0.0 turns -0.0 into 0.0
    descent = float(-steps[steps < 0].sum()) + 0.0
    truth = {
        "seed": seed if isinstance(seed, int) else None,
        "profile": profile,
        "distance_m": total_m,
        "elapsed_s": float(t[-1]),
        "ascent_m": ascent,
        "descent_m": descent,
        "downhill_km": float(seg_m[step_grade < -0.05].sum() / 1000.0),
        "steep_downhill_km": float(seg_m[step_grade < -0.10].sum() / 1000.0),
        "warmup": warmup,
    }
    return SyntheticActivity(
        samples=samples,
        start_utc=start,
        sport="running",
        sub_sport=sub_sport or DEFAULT_SUB_SPORT[profile],
        utc_offset_s=utc_offset_s,
        name=name,
        shoe=shoe,
        ascent_m=None if indoor else ascent,
        descent_m=None if indoor else descent,
        truth=truth,
    )


# --------------------------------------------------------------------------------------------------
# Plans → files


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "run"


def plan_to_files(
    plan: Iterable[SyntheticActivity | Mapping[str, Any]],
    out_dir: str | Path,
    formats: str | Sequence[str] = ("fit",),
    *,
    seed: int = 0,
    index: bool = True,
    fit_options: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write planned runs as activity files (and an ``index.csv`` of their ground truth).

    Parameters
    ----------
    plan : iterable of SyntheticActivity or mapping
        Ready activities, or keyword arguments of :func:`simulate_run` (``start_utc`` and
        ``distance_km`` required). A mapping may carry ``"format"`` (``"fit"`` or ``"gpx"``).
    out_dir : str or Path
        Created if needed.
    formats : str or sequence of str
        Format(s) for entries without their own ``"format"``, cycled in plan order (``("fit",
        "gpx")`` alternates). Runs without positions (treadmill) are always written as FIT, since a
        GPX track point needs a position.
    seed : int
        Base seed: entry *i* without its own ``seed`` uses ``seed * 1_000_003 + i``.
    index : bool
        Also write ``index.csv``: one row per file with format, start, UTC offset, sub-sport, name,
        shoe, and the route's true distance, elapsed time, ascent, descent and downhill km.
    fit_options : mapping, optional
        Keyword options for :func:`hiprisk.synthetic.fitwrite.encode_activity`.

    Returns
    -------
    list of Path
        The activity files, in plan order.
    """
    from hiprisk.synthetic.fitwrite import encode_activity
    from hiprisk.synthetic.gpxwrite import encode_gpx

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cycle = [formats] if isinstance(formats, str) else list(formats)
    if not cycle or any(f not in ("fit", "gpx") for f in cycle):
        raise ValueError(f"formats must be 'fit' and/or 'gpx', got {formats!r}")
    paths: list[Path] = []
    rows: list[dict[str, Any]] = []
    used: set[str] = set()
    for i, entry in enumerate(plan):
        fmt = cycle[i % len(cycle)]
        if isinstance(entry, SyntheticActivity):
            act = entry
        else:
            kwargs = dict(entry)
            fmt = kwargs.pop("format", fmt)
            kwargs.setdefault("seed", seed * 1_000_003 + i)
            act = simulate_run(**kwargs)
        if fmt == "gpx" and not act.has_positions:
            fmt = "fit"
        local = act.start_utc + pd.Timedelta(seconds=act.utc_offset_s or 0)
        stem = f"{local:%Y-%m-%d_%H%M}_{_slug(act.name or act.sub_sport or 'run')}"
        name, k = stem, 2
        while name in used:
            name, k = f"{stem}_{k}", k + 1
        used.add(name)
        path = out / f"{name}.{fmt}"
        data = encode_activity(act, **dict(fit_options or {})) if fmt == "fit" else encode_gpx(act)
        path.write_bytes(data)
        paths.append(path)
        s = act.samples
        rows.append(
            {
                "file": path.name,
                "format": fmt,
                "start_utc": act.start_utc.isoformat(),
                "utc_offset_s": act.utc_offset_s,
                "local_date": local.date().isoformat(),
                "sport": act.sport,
                "sub_sport": act.sub_sport,
                "name": act.name,
                "shoe": act.shoe,
                "distance_m": act.truth.get("distance_m", s["distance_m"].max()),
                "elapsed_s": act.truth.get("elapsed_s", s["elapsed_s"].max()),
                "ascent_m": act.ascent_m,
                "descent_m": act.descent_m,
                "downhill_km": act.truth.get("downhill_km"),
                "warmup": act.truth.get("warmup"),
                "avg_hr_bpm": s["hr_bpm"].mean(),
                "max_hr_bpm": s["hr_bpm"].max(),
                "avg_cadence_spm": s["cadence_spm"].mean(),
                "records": len(s),
                "seed": act.truth.get("seed"),
            }
        )
    if index:
        pd.DataFrame(rows).to_csv(out / "index.csv", index=False, float_format="%.3f")
    return paths


# --------------------------------------------------------------------------------------------------
# A 16-week history


def example_plan(
    start_monday: str = "2024-01-08",
    *,
    weeks: int = 16,
    tz: str = "Europe/Berlin",
    seed: int = 7,
    smart_recording: bool = True,
) -> list[dict[str, Any]]:
    """A 16-week history of one runner (keyword dicts for :func:`simulate_run`), with a story.

    * weeks 1–6: road base, 4 runs and ~35–42 km a week, Sunday long run, shoe "Road A";
    * week 7: volume up ~40 % with a 20 km long run (previous longest 16 km);
    * weeks 8–9: trail block with big descents (shoe "Trail B");
    * week 10: easy week (~24 km), then week 11 more than doubles it;
    * weeks 11–12: 14 running days in a row (two weeks without a rest day), and a 32 km long run
      (~1.8 × the 30-day longest);
    * week 13: hard runs without warm-up on consecutive days, a 14 km downhill run;
    * week 14: treadmill (no GPS); weeks 15–16: taper. "Road A" passes 450 km around week 12.

    Runs start at local morning or evening times in *tz*; the default dates cross the European DST
    change (2024-03-31), so the UTC offset changes from 3600 to 7200 s mid-plan.

    The plan is deterministic: it uses its own seeded Generator for small variations.
    """
    rng = np.random.default_rng(seed)
    zone = ZoneInfo(tz)
    monday = pd.Timestamp(start_monday).normalize()
    if monday.day_of_week != 0:
        raise ValueError(f"start_monday {start_monday} is not a Monday")
    # day-of-week → (km, kind) per week type; kinds pick pace/profile below
    base = {1: (8, "easy"), 3: (9, "tempo"), 5: (6, "easy"), 6: (14, "long")}
    week_types = {
        1: base,
        2: base,
        3: {1: (8, "easy"), 3: (10, "intervals"), 5: (7, "easy"), 6: (15, "long")},
        4: {1: (9, "easy"), 3: (10, "tempo"), 5: (7, "easy"), 6: (16, "long")},
        5: {1: (8, "easy"), 3: (10, "intervals"), 5: (6, "easy"), 6: (14, "long")},
        6: {1: (9, "easy"), 3: (10, "tempo"), 5: (7, "easy"), 6: (16, "long")},
        7: {0: (8, "easy"), 1: (10, "easy"), 3: (12, "tempo"), 5: (8, "easy"), 6: (20, "long")},
        8: {1: (10, "trail"), 3: (9, "easy"), 5: (12, "trail"), 6: (16, "trail")},
        9: {1: (12, "trail"), 2: (8, "easy"), 4: (10, "trail"), 5: (8, "easy"), 6: (18, "trail")},
        10: {1: (6, "easy"), 3: (8, "easy"), 6: (10, "long")},
        11: {
            0: (6, "easy"),
            1: (8, "easy"),
            2: (6, "easy"),
            3: (10, "tempo"),
            4: (6, "easy"),
            5: (8, "easy"),
            6: (14, "long"),
        },
        12: {
            0: (6, "easy"),
            1: (8, "easy"),
            2: (6, "easy"),
            3: (8, "easy"),
            4: (5, "easy"),
            5: (8, "easy"),
            6: (32, "long"),
        },
        13: {1: (10, "hard"), 2: (10, "hard"), 4: (8, "easy"), 6: (14, "downhill")},
        14: {1: (8, "treadmill"), 3: (8, "treadmill"), 5: (6, "treadmill"), 6: (10, "long")},
        15: {1: (8, "easy"), 3: (8, "tempo"), 6: (12, "long")},
        16: {1: (6, "easy"), 3: (6, "easy"), 5: (5, "easy")},
    }
    kinds = {  # kind → (pace s/km, profile, warmup, local start hour)
        "easy": (350, "flat", True, 6.5),
        "long": (370, "rolling", True, 8.0),
        "tempo": (285, "rolling", True, 18.5),
        "intervals": (360, "flat", True, 18.5),
        "hard": (262, "flat", False, 18.0),  # faster than threshold pace from the first step
        "trail": (430, "trail", True, 9.0),
        "downhill": (340, "downhill", True, 9.0),
        "treadmill": (340, "treadmill", True, 19.0),
    }
    plan: list[dict[str, Any]] = []
    for week in range(1, weeks + 1):
        days = week_types.get(week, base)
        for dow, (km, kind) in sorted(days.items()):
            pace, profile, warm, hour = kinds[kind]
            date = monday + pd.Timedelta(days=7 * (week - 1) + dow)
            wall = date + pd.Timedelta(hours=hour, minutes=int(rng.integers(0, 40)))
            local = wall.tz_localize(zone, nonexistent="shift_forward", ambiguous=False)
            entry: dict[str, Any] = {
                "start_utc": local.tz_convert("UTC"),
                "utc_offset_s": int(local.utcoffset().total_seconds()),
                "distance_km": float(km) + round(float(rng.normal(0, 0.3)), 2),
                "pace_s_per_km": pace + float(rng.normal(0, 6)),
                "profile": profile,
                "warmup": warm,
                "smart_recording": smart_recording,
                "name": f"W{week:02d} {kind}",
                "shoe": "Trail B" if profile in ("trail", "downhill") else "Road A",
            }
            if kind == "intervals":
                reps = [(800.0, 240.0), (400.0, 420.0)] * 6
                entry["pace_segments"] = [(2000.0, 360.0), *reps]
            if kind == "long" and km >= 20:
                entry["cadence_drop_pct"] = 14.0  # linear fade: the last third averages ~7 % lower
            plan.append(entry)
    return plan
