"""Per-activity features from a sample stream, computed once at import so rules never re-read samples.

All functions are pure: a sample stream (``hiprisk.importers.base.SAMPLE_COLUMNS``) in, numbers out. Each
takes the stream as a DataFrame or as :class:`SampleArrays`, the same columns read once (the import reads
every column of a file once and hands the arrays to every function; see the class for why).

Time weighting: each sample stands for the time until the next one, capped at :data:`MAX_GAP_S`; a longer
gap is a pause (auto-pause, a stop at a light) and counts as no time. This is how "smart recording" files
(a sample every few seconds) and 1 s files are treated alike.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

MAX_GAP_S = 30.0  # a gap between samples longer than this is a pause [s]
MOVING_SPEED_M_S = 0.5  # slower than this is standing still [m/s]
WARMUP_S = 600.0  # "the first 10 minutes" of the warm-up rule [s]
HR_BIN_BPM = 1  # heart-rate histogram bins [bpm]
SPEED_BIN_M_S = 0.1  # speed histogram bins [m/s]
#: Widest span of bins counted with one dense ``bincount``; a wider one (hostile values) is counted sparse.
_DENSE_BINS = 1 << 16


class SampleArrays:
    """The columns of one sample stream as read-only float64 numpy arrays, each read from the frame once.

    Why: in pandas 3 every ``frame[column].to_numpy()`` costs about 10 µs, and summarising one activity
    read the same nine columns some 50 times (with the time weights and the speed computed four times
    over), a fifth of the import's CPU per file. Columns are read lazily on first use and kept; the derived
    :attr:`weights_s` and :attr:`motion_speed_m_s` too. The arrays are views of the frame's data made
    read-only, so no consumer can change the frame through them.

    Parameters
    ----------
    samples : DataFrame
        A sample stream; not copied, and must not be changed while this object is in use.
    """

    def __init__(self, samples: pd.DataFrame):
        self.frame = samples
        self._columns: dict[str, np.ndarray] = {}
        self.converted: set[str] = set()  # columns read that were not float64 in the frame

    @classmethod
    def of(cls, samples: pd.DataFrame | SampleArrays) -> SampleArrays:
        """``samples`` itself when it is already a :class:`SampleArrays`, else its arrays."""
        return samples if isinstance(samples, SampleArrays) else cls(samples)

    def __len__(self) -> int:
        return len(self.frame)

    def __contains__(self, name: str) -> bool:
        return name in self._columns or name in self.frame.columns

    def __getitem__(self, name: str) -> np.ndarray:
        """Column ``name`` as float64 (NaN where missing); a column that is not there raises KeyError."""
        values = self._columns.get(name)
        if values is None:
            column = self.frame[name]
            if column.dtype == np.float64:
                values = column.to_numpy().view()
            else:  # anything else numeric-like: what is not a number is missing
                values = pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
                self.converted.add(name)
            values.flags.writeable = False
            self._columns[name] = values
        return values

    @cached_property
    def weights_s(self) -> np.ndarray:
        """Seconds each sample stands for (see :func:`sample_weights_s`)."""
        return _readonly(_weights_s(self["elapsed_s"]))

    @cached_property
    def motion_speed_m_s(self) -> np.ndarray:
        """Recorded speed, else speed derived from cumulative distance [m/s] (NaN where unknown)."""
        return _readonly(_motion_speed_m_s(self))


def _readonly(values: np.ndarray) -> np.ndarray:
    values.flags.writeable = False
    return values


def _weights_s(t: np.ndarray) -> np.ndarray:
    if len(t) < 2:
        return np.zeros(len(t))
    dt = np.diff(t, append=t[-1])
    dt[(dt < 0) | (dt > MAX_GAP_S) | ~np.isfinite(dt)] = 0.0
    return dt


def sample_weights_s(samples: pd.DataFrame | SampleArrays) -> np.ndarray:
    """Seconds each sample stands for: time to the next sample, 0 across pauses longer than MAX_GAP_S."""
    return _weights_s(SampleArrays.of(samples)["elapsed_s"])


def moving_time_s(samples: pd.DataFrame | SampleArrays) -> float:
    """Time in motion: weighted samples with speed ≥ MOVING_SPEED_M_S (all weighted time when no speed)."""
    a = SampleArrays.of(samples)
    w = a.weights_s
    speed = a.motion_speed_m_s
    if np.isfinite(speed).any():
        w = np.where(np.nan_to_num(speed) >= MOVING_SPEED_M_S, w, 0.0)
    return float(w.sum())


def _speed_m_s(samples: pd.DataFrame | SampleArrays) -> np.ndarray:
    """Recorded speed, else speed derived from cumulative distance."""
    return np.array(SampleArrays.of(samples).motion_speed_m_s)


def _motion_speed_m_s(a: SampleArrays) -> np.ndarray:
    speed = a["speed_m_s"]
    if np.isfinite(speed).any():
        return speed
    d = a["distance_m"]
    t = a["elapsed_s"]
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


def warmup(samples: pd.DataFrame | SampleArrays, window_s: float = WARMUP_S) -> tuple[float, float]:
    """Mean HR [bpm] and mean speed [m/s] over the first ``window_s`` seconds of the activity.

    NaN when the activity is shorter than the window (nothing to judge) or the value is not recorded.
    """
    a = SampleArrays.of(samples)
    t = a["elapsed_s"]
    if len(t) < 2 or np.nanmax(t) < window_s:
        return float("nan"), float("nan")
    first = t < window_s
    w = a.weights_s[first]
    hr = weighted_mean(a["hr_bpm"][first], w)
    speed = weighted_mean(a.motion_speed_m_s[first], w)
    return hr, speed


def cadence_drop_pct(samples: pd.DataFrame | SampleArrays) -> float:
    """Drop of cadence in the last third of the run vs the first two thirds [%] (positive = slower).

    Thirds are by distance when recorded (by time otherwise); only samples with cadence > 0 count. NaN when
    either part has no cadence.
    """
    a = SampleArrays.of(samples)
    cad = a["cadence_spm"]
    if len(cad) < 3 or not (np.nan_to_num(cad) > 0).any():
        return float("nan")
    axis = a["distance_m"]
    if not np.isfinite(axis).any():
        axis = a["elapsed_s"]
    axis = _ffill_zero(axis)
    cut = axis[-1] * 2.0 / 3.0
    w = a.weights_s
    valid = np.nan_to_num(cad) > 0
    early = weighted_mean(np.where(valid & (axis < cut), cad, np.nan), w)
    late = weighted_mean(np.where(valid & (axis >= cut), cad, np.nan), w)
    if not (np.isfinite(early) and np.isfinite(late)) or early <= 0:
        return float("nan")
    return float((early - late) / early * 100.0)


def _ffill_zero(values: np.ndarray) -> np.ndarray:
    """NaN replaced by the last value before it, leading NaN by 0 (``Series.ffill().fillna(0)``)."""
    missing = np.isnan(values)
    if not missing.any():
        return values
    last = np.where(missing, 0, np.arange(len(values)))
    np.maximum.accumulate(last, out=last)
    out = values[last]
    out[np.isnan(out)] = 0.0  # before the first value (index 0 missing too)
    return out


def _binned_seconds(values: np.ndarray, w: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray]:
    """Bins ``floor(value / width)`` present among the usable samples, and the seconds in each."""
    ok = np.isfinite(values) & (w > 0) & (values > 0)
    if not ok.any():
        return np.array([], dtype="int64"), np.array([])
    bins = np.floor(values[ok] / width).astype("int64")
    lo, hi = int(bins.min()), int(bins.max())
    if hi - lo < _DENSE_BINS:
        # one pass, no sort; every present bin has positive seconds (weights > 0), absent ones exactly 0,
        # and each bin adds its samples in stream order as np.unique + bincount did
        secs = np.bincount(bins - lo, weights=w[ok], minlength=hi - lo + 1)
        present = np.flatnonzero(np.bincount(bins - lo, minlength=hi - lo + 1))
        return present + lo, secs[present]
    uniq, inverse = np.unique(bins, return_inverse=True)
    return uniq, np.bincount(inverse, weights=w[ok])


def _histogram_parts(samples: pd.DataFrame | SampleArrays):
    """``(kind, bins, seconds)`` of each histogram, heart rate then speed."""
    a = SampleArrays.of(samples)
    w = a.weights_s
    for kind, values, width in (
        ("hr", a["hr_bpm"], HR_BIN_BPM),
        ("speed", a.motion_speed_m_s, SPEED_BIN_M_S),
    ):
        bins, seconds = _binned_seconds(values, w, width)
        yield kind, bins, seconds


def histograms(samples: pd.DataFrame | SampleArrays) -> pd.DataFrame:
    """Time spent per heart-rate bin (1 bpm) and per speed bin (0.1 m/s).

    Returns a long frame with columns ``kind`` ("hr" or "speed"), ``bin`` (bpm, or speed in units of
    0.1 m/s) and ``seconds``; rules turn it into time above any threshold without re-reading samples.
    """
    kinds, bins, secs = [], [], []
    for kind, b, s in _histogram_parts(samples):
        kinds.append(np.full(len(b), kind, dtype=object))
        bins.append(b)
        secs.append(s)
    return pd.DataFrame(
        {
            "kind": pd.array(np.concatenate(kinds), dtype="str"),
            "bin": np.concatenate(bins).astype("int64"),
            "seconds": np.concatenate(secs).astype("float64"),
        }
    )


def histogram_rows(samples: pd.DataFrame | SampleArrays) -> list[tuple[str, int, float]]:
    """The rows ``(kind, bin, seconds)`` of :func:`histograms`, in the same order, as Python values.

    What the import stores: building (and pickling between processes) a small DataFrame costs five times
    the counting itself.
    """
    return [
        (kind, b, s)
        for kind, bins, seconds in _histogram_parts(samples)
        for b, s in zip(bins.tolist(), seconds.tolist(), strict=True)
    ]
