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


def hard_seconds(log: pd.DataFrame, hist: pd.DataFrame, th: Thresholds) -> pd.Series:
    """Seconds above threshold per activity (HR when the run has HR, else speed), indexed like ``log``.

    A histogram bin counts when its centre is at or above the threshold (resolution: 1 bpm, 0.1 m/s).
    """
    ids = log["activity_id"]
    out = pd.Series(0.0, index=ids.values)
    if len(hist) == 0:
        return pd.Series(out.values, index=log.index)
    hr = hist[hist["kind"] == "hr"]
    sp = hist[hist["kind"] == "speed"]
    hr_total = hr.groupby("activity_id")["seconds"].sum()
    if th.hr_bpm is not None:
        above = hr[(hr["bin"] + 0.5) * HR_BIN_BPM >= th.hr_bpm].groupby("activity_id")["seconds"].sum()
        out.loc[out.index.intersection(above.index)] = above
    if th.speed_m_s is not None:
        no_hr = ~out.index.isin(hr_total[hr_total > 0].index)
        fast = sp[(sp["bin"] + 0.5) * SPEED_BIN_M_S >= th.speed_m_s].groupby("activity_id")["seconds"].sum()
        fill = out.index[no_hr].intersection(fast.index)
        out.loc[fill] = fast.loc[fill]
    return pd.Series(out.reindex(ids.values).fillna(0.0).values, index=log.index)


def add_intensity(log: pd.DataFrame, hist: pd.DataFrame, athlete: Athlete) -> pd.DataFrame:
    """Add ``hard_s`` (seconds above threshold) and ``warmup_hard`` (first 10 min already hard) to a log.

    The thresholds used are kept in ``log.attrs["thresholds"]`` so reports can say which were estimated.
    """
    th = thresholds(log, athlete)
    log = log.copy()
    log["hard_s"] = hard_seconds(log, hist, th) if len(log) else pd.Series(dtype=float)
    warm_hr = log["warmup_hr"] >= th.hr_bpm if th.hr_bpm else pd.Series(False, index=log.index)
    warm_speed = (
        log["warmup_speed_m_s"] >= th.speed_m_s if th.speed_m_s else pd.Series(False, index=log.index)
    )
    has_hr = log["warmup_hr"].notna()
    log["warmup_hard"] = np.where(has_hr, warm_hr, warm_speed).astype(bool)
    log.attrs["thresholds"] = th
    return log
