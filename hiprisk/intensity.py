"""Intensity: how many minutes of each run were hard, from the stored heart-rate and speed histograms.

A second counts as **hard** when heart rate is above the athlete's threshold HR, or — for runs without heart
rate — when speed is faster than threshold pace. Thresholds come from the athlete profile; when unset they
are estimated from the log and the estimate is reported, never hidden:

- threshold HR ≈ 0.88 × max HR (the lactate-threshold rule of thumb, ~88 % of HRmax; Seiler 2010 places
  LT1/LT2 near 77 % / 88 % of HRmax), with max HR = the configured value or the 98th percentile of the
  runs' max HR;
- threshold speed ≈ the 90th percentile of average speed of runs lasting 20 min or more.

References
----------
Seiler S. (2010) What is best practice for training intensity and duration distribution in endurance
athletes? Int J Sports Physiol Perform 5:276–291.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import Athlete
from .features import HR_BIN_BPM, SPEED_BIN_M_S

THRESHOLD_HR_FRACTION = 0.88  # threshold HR as a fraction of max HR
MIN_RUN_FOR_PACE_S = 1200.0  # runs this long or longer estimate threshold pace [s]


@dataclass(frozen=True)
class Thresholds:
    """Effective hard-effort thresholds and where they came from ("profile", "estimated" or "none")."""

    hr_bpm: float | None
    hr_source: str
    speed_m_s: float | None
    speed_source: str


def thresholds(log: pd.DataFrame, athlete: Athlete) -> Thresholds:
    """Threshold HR and speed from the athlete profile, else estimated from the running log."""
    runs = log[log["is_running"].astype(bool)] if len(log) else log
    if athlete.threshold_hr_bpm:
        hr, hr_src = float(athlete.threshold_hr_bpm), "profile"
    else:
        max_hr = athlete.max_hr_bpm
        if not max_hr and len(runs) and runs["max_hr"].notna().sum() >= 3:
            max_hr = float(np.nanpercentile(runs["max_hr"].to_numpy(dtype=float), 98))
        hr, hr_src = (THRESHOLD_HR_FRACTION * max_hr, "estimated") if max_hr else (None, "none")
    if athlete.threshold_pace_s_per_km:
        speed, speed_src = 1000.0 / float(athlete.threshold_pace_s_per_km), "profile"
    else:
        long_enough = runs[(runs["moving_s"] >= MIN_RUN_FOR_PACE_S)] if len(runs) else runs
        speeds = long_enough["avg_speed_m_s"].dropna() if len(long_enough) else pd.Series(dtype=float)
        if len(speeds) >= 3:
            speed, speed_src = float(np.percentile(speeds, 90)), "estimated"
        else:
            speed, speed_src = None, "none"
    return Thresholds(hr, hr_src, speed, speed_src)


def totals(hist: pd.DataFrame, th: Thresholds) -> pd.DataFrame:
    """Per activity: recorded HR seconds, seconds at/above threshold HR and at/above threshold speed.

    ``hist`` is the long histogram frame (``activity_id``, ``kind``, ``bin``, ``seconds``); a bin counts
    when its centre is at or above the threshold (resolution: 1 bpm, 0.1 m/s). The store computes the
    same figures in SQL (:meth:`hiprisk.store.Store.intensity_totals`) without loading every bin.
    """
    cols = ["hr_s", "hr_hard_s", "speed_hard_s"]
    if len(hist) == 0:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="activity_id"), dtype=float)
    is_hr = hist["kind"] == "hr"
    centre_hr = (hist["bin"] + 0.5) * HR_BIN_BPM
    centre_speed = (hist["bin"] + 0.5) * SPEED_BIN_M_S
    never = pd.Series(False, index=hist.index)
    hr_hard = is_hr & (centre_hr >= th.hr_bpm) if th.hr_bpm is not None else never
    fast = ~is_hr & (centre_speed >= th.speed_m_s) if th.speed_m_s is not None else never
    frame = pd.DataFrame(
        {
            "activity_id": hist["activity_id"],
            "hr_s": hist["seconds"].where(is_hr, 0.0),
            "hr_hard_s": hist["seconds"].where(hr_hard, 0.0),
            "speed_hard_s": hist["seconds"].where(fast, 0.0),
        }
    )
    return frame.groupby("activity_id")[cols].sum()


def hard_seconds(log: pd.DataFrame, sums: pd.DataFrame) -> pd.Series:
    """Seconds above threshold per activity (HR when the run has HR, else speed), indexed like ``log``."""
    sums = sums.reindex(log["activity_id"].values).fillna(0.0)
    hard = np.where(sums["hr_s"] > 0, sums["hr_hard_s"], sums["speed_hard_s"])
    return pd.Series(hard.astype(float), index=log.index)


def add_intensity(
    log: pd.DataFrame,
    hist: pd.DataFrame | Callable[[Thresholds], pd.DataFrame],
    athlete: Athlete,
) -> pd.DataFrame:
    """Add ``hard_s`` (seconds above threshold) and ``warmup_hard`` (first 10 min already hard) to a log.

    ``hist`` is the histogram frame (see :func:`totals`) or a function of the thresholds returning the
    :func:`totals` frame (the store's SQL aggregate). The thresholds used are kept in
    ``log.attrs["thresholds"]`` so reports can say which were estimated.
    """
    th = thresholds(log, athlete)
    log = log.copy()
    sums = hist(th) if callable(hist) else totals(hist, th)
    log["hard_s"] = hard_seconds(log, sums) if len(log) else pd.Series(dtype=float)
    warm_hr = log["warmup_hr"] >= th.hr_bpm if th.hr_bpm else pd.Series(False, index=log.index)
    warm_speed = (
        log["warmup_speed_m_s"] >= th.speed_m_s if th.speed_m_s else pd.Series(False, index=log.index)
    )
    has_hr = log["warmup_hr"].notna()
    log["warmup_hard"] = np.where(has_hr, warm_hr, warm_speed).astype(bool)
    log.attrs["thresholds"] = th
    return log
