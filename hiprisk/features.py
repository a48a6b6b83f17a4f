"""Per-activity features from a sample stream, computed once at import so rules never re-read samples.

All functions are pure: a sample stream (``hiprisk.importers.base.SAMPLE_COLUMNS``) in, numbers out.

Time weighting: each sample stands for the time until the next one, capped at :data:`MAX_GAP_S`; a longer
gap is a pause (auto-pause, a stop at a light) and counts as no time. This is how "smart recording" files
(a sample every few seconds) and 1 s files are treated alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_GAP_S = 30.0  # a gap between samples longer than this is a pause [s]
MOVING_SPEED_M_S = 0.5  # slower than this is standing still [m/s]
WARMUP_S = 600.0  # "the first 10 minutes" of the warm-up rule [s]
HR_BIN_BPM = 1  # heart-rate histogram bins [bpm]
SPEED_BIN_M_S = 0.1  # speed histogram bins [m/s]


def sample_weights_s(samples: pd.DataFrame) -> np.ndarray:
    """Seconds each sample stands for: time to the next sample, 0 across pauses longer than MAX_GAP_S."""
    t = samples["elapsed_s"].to_numpy(dtype="float64")
    if len(t) < 2:
        return np.zeros(len(t))
    dt = np.diff(t, append=t[-1])
    dt[(dt < 0) | (dt > MAX_GAP_S) | ~np.isfinite(dt)] = 0.0
    return dt


def moving_time_s(samples: pd.DataFrame) -> float:
    """Time in motion: weighted samples with speed ≥ MOVING_SPEED_M_S (all weighted time when no speed)."""
    w = sample_weights_s(samples)
    speed = _speed_m_s(samples)
    if np.isfinite(speed).any():
        w = np.where(np.nan_to_num(speed) >= MOVING_SPEED_M_S, w, 0.0)
    return float(w.sum())


def _speed_m_s(samples: pd.DataFrame) -> np.ndarray:
    """Recorded speed, else speed derived from cumulative distance."""
    speed = samples["speed_m_s"].to_numpy(dtype="float64")
    if np.isfinite(speed).any():
        return speed
    d = samples["distance_m"].to_numpy(dtype="float64")
    t = samples["elapsed_s"].to_numpy(dtype="float64")
    if len(d) < 2 or not np.isfinite(d).any():
        return np.full(len(d), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.diff(d, append=d[-1]) / np.diff(t, append=t[-1] + 1.0)
    v[~np.isfinite(v) | (v < 0)] = np.nan
    return v


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    """Mean of the finite values weighted by time; NaN when there is nothing to average."""
    ok = np.isfinite(values) & (weights > 0)
    if not ok.any():
        ok = np.isfinite(values)
        return float(values[ok].mean()) if ok.any() else float("nan")
    return float(np.average(values[ok], weights=weights[ok]))


def warmup(samples: pd.DataFrame, window_s: float = WARMUP_S) -> tuple[float, float]:
    """Mean HR [bpm] and mean speed [m/s] over the first ``window_s`` seconds of the activity.

    NaN when the activity is shorter than the window (nothing to judge) or the value is not recorded.
    """
    t = samples["elapsed_s"].to_numpy(dtype="float64")
    if len(t) < 2 or np.nanmax(t) < window_s:
        return float("nan"), float("nan")
    first = t < window_s
    w = sample_weights_s(samples)[first]
    hr = weighted_mean(samples["hr_bpm"].to_numpy(dtype="float64")[first], w)
    speed = weighted_mean(_speed_m_s(samples)[first], w)
    return hr, speed


def cadence_drop_pct(samples: pd.DataFrame) -> float:
    """Drop of cadence in the last third of the run vs the first two thirds [%] (positive = slower).

    Thirds are by distance when recorded (by time otherwise); only samples with cadence > 0 count. NaN when
    either part has no cadence.
    """
    cad = samples["cadence_spm"].to_numpy(dtype="float64")
    if len(cad) < 3 or not (np.nan_to_num(cad) > 0).any():
        return float("nan")
    axis = samples["distance_m"].to_numpy(dtype="float64")
    if not np.isfinite(axis).any():
        axis = samples["elapsed_s"].to_numpy(dtype="float64")
    axis = pd.Series(axis).ffill().fillna(0.0).to_numpy()
    cut = axis[-1] * 2.0 / 3.0
    w = sample_weights_s(samples)
    valid = np.nan_to_num(cad) > 0
    early = weighted_mean(np.where(valid & (axis < cut), cad, np.nan), w)
    late = weighted_mean(np.where(valid & (axis >= cut), cad, np.nan), w)
    if not (np.isfinite(early) and np.isfinite(late)) or early <= 0:
        return float("nan")
    return float((early - late) / early * 100.0)


def histograms(samples: pd.DataFrame) -> pd.DataFrame:
    """Time spent per heart-rate bin (1 bpm) and per speed bin (0.1 m/s).

    Returns a long frame with columns ``kind`` ("hr" or "speed"), ``bin`` (bpm, or speed in units of
    0.1 m/s) and ``seconds``; rules turn it into time above any threshold without re-reading samples.
    """
    w = sample_weights_s(samples)
    parts = []
    for kind, values, width in (
        ("hr", samples["hr_bpm"].to_numpy(dtype="float64"), HR_BIN_BPM),
        ("speed", _speed_m_s(samples), SPEED_BIN_M_S),
    ):
        ok = np.isfinite(values) & (w > 0) & (values > 0)
        if not ok.any():
            continue
        bins = np.floor(values[ok] / width).astype("int64")
        uniq, inverse = np.unique(bins, return_inverse=True)
        secs = np.bincount(inverse, weights=w[ok])
        parts.append(pd.DataFrame({"kind": kind, "bin": uniq, "seconds": secs}))
    if not parts:
        return pd.DataFrame(
            {
                "kind": pd.Series(dtype=str),
                "bin": pd.Series(dtype="int64"),
                "seconds": pd.Series(dtype="float64"),
            }
        )
    return pd.concat(parts, ignore_index=True)
