"""hiprisk.features: the column-once fast path against the straightforward pandas implementation it replaced.

The reference functions below are the earlier code, kept readable here (a frame column read per use,
``np.unique`` for the bins, pandas' ``ffill``); the module's functions must give the same numbers, bit for
bit, from a DataFrame and from :class:`~hiprisk.features.SampleArrays` alike, on streams with the defects
real files have (pauses, backwards time, missing values, hostile values before sanity cleaning).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiprisk import features
from hiprisk.features import SampleArrays
from hiprisk.importers.base import make_samples

from .helpers import flat_run

# --------------------------------------------------------------------------------------------------
# references: the readable implementation


def ref_weights(samples: pd.DataFrame) -> np.ndarray:
    t = samples["elapsed_s"].to_numpy(dtype="float64")
    if len(t) < 2:
        return np.zeros(len(t))
    dt = np.diff(t, append=t[-1])
    dt[(dt < 0) | (dt > features.MAX_GAP_S) | ~np.isfinite(dt)] = 0.0
    return dt


def ref_speed(samples: pd.DataFrame) -> np.ndarray:
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


def ref_moving_time(samples: pd.DataFrame) -> float:
    w = ref_weights(samples)
    speed = ref_speed(samples)
    if np.isfinite(speed).any():
        w = np.where(np.nan_to_num(speed) >= features.MOVING_SPEED_M_S, w, 0.0)
    return float(w.sum())


def ref_warmup(samples: pd.DataFrame, window_s: float = features.WARMUP_S) -> tuple[float, float]:
    t = samples["elapsed_s"].to_numpy(dtype="float64")
    if len(t) < 2 or np.nanmax(t) < window_s:
        return float("nan"), float("nan")
    first = t < window_s
    w = ref_weights(samples)[first]
    hr = features.weighted_mean(samples["hr_bpm"].to_numpy(dtype="float64")[first], w)
    return hr, features.weighted_mean(ref_speed(samples)[first], w)


def ref_cadence_drop(samples: pd.DataFrame) -> float:
    cad = samples["cadence_spm"].to_numpy(dtype="float64")
    if len(cad) < 3 or not (np.nan_to_num(cad) > 0).any():
        return float("nan")
    axis = samples["distance_m"].to_numpy(dtype="float64")
    if not np.isfinite(axis).any():
        axis = samples["elapsed_s"].to_numpy(dtype="float64")
    axis = pd.Series(axis).ffill().fillna(0.0).to_numpy()
    cut = axis[-1] * 2.0 / 3.0
    w = ref_weights(samples)
    valid = np.nan_to_num(cad) > 0
    early = features.weighted_mean(np.where(valid & (axis < cut), cad, np.nan), w)
    late = features.weighted_mean(np.where(valid & (axis >= cut), cad, np.nan), w)
    if not (np.isfinite(early) and np.isfinite(late)) or early <= 0:
        return float("nan")
    return float((early - late) / early * 100.0)


def ref_histograms(samples: pd.DataFrame) -> pd.DataFrame:
    w = ref_weights(samples)
    parts = []
    for kind, values, width in (
        ("hr", samples["hr_bpm"].to_numpy(dtype="float64"), features.HR_BIN_BPM),
        ("speed", ref_speed(samples), features.SPEED_BIN_M_S),
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


# --------------------------------------------------------------------------------------------------
# streams with the defects of real files

_value = st.one_of(
    st.just(np.nan),
    st.floats(-50.0, 400.0, allow_nan=False),
    st.sampled_from([0.0, 1e9, -1e9, np.inf, -np.inf]),
)


@st.composite
def streams(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 60))
    steps = draw(st.lists(st.sampled_from([1.0, 1.0, 3.0, 0.0, -2.0, 45.0, 700.0]), min_size=n, max_size=n))
    elapsed = np.cumsum(steps)
    if n and draw(st.booleans()):
        elapsed[draw(st.integers(0, n - 1))] = np.nan
    columns = {}
    for name in ("distance_m", "speed_m_s", "hr_bpm", "cadence_spm"):
        kind = draw(st.sampled_from(["values", "missing", "rising"]))
        if kind == "missing":
            columns[name] = np.full(n, np.nan)
        elif kind == "rising":
            with np.errstate(invalid="ignore"):  # inf - inf: NaN, as a decoder could give
                columns[name] = np.cumsum(draw(st.lists(_value, min_size=n, max_size=n)) or [0.0])[:n]
        else:
            columns[name] = np.array(draw(st.lists(_value, min_size=n, max_size=n)), dtype="float64")
    time = pd.Timestamp("2026-03-02T06:00:00Z") + pd.to_timedelta(np.arange(n), unit="s")
    samples = make_samples(time_utc=time, **columns)
    samples["elapsed_s"] = elapsed  # as decoded, before sanity: not always increasing, sometimes NaN
    return samples


def _same(a: float, b: float) -> bool:
    return (np.isnan(a) and np.isnan(b)) or a == b


@settings(max_examples=300, deadline=None)
@given(streams())
def test_features_equal_the_reference_from_frames_and_arrays(samples):
    for given_as in (samples, SampleArrays(samples)):
        np.testing.assert_array_equal(features.sample_weights_s(given_as), ref_weights(samples))
        np.testing.assert_array_equal(features._speed_m_s(given_as), ref_speed(samples))
        assert _same(features.moving_time_s(given_as), ref_moving_time(samples))
        for got, want in zip(features.warmup(given_as, 30.0), ref_warmup(samples, 30.0), strict=True):
            assert _same(got, want)
        assert _same(features.cadence_drop_pct(given_as), ref_cadence_drop(samples))
        expected = ref_histograms(samples)
        pd.testing.assert_frame_equal(features.histograms(given_as), expected, check_exact=True)
        assert features.histogram_rows(given_as) == list(
            zip(expected["kind"], expected["bin"].tolist(), expected["seconds"].tolist(), strict=True)
        )


def test_bins_spread_too_wide_for_one_dense_count_are_counted_sparse():
    act = flat_run(km=0.1)
    s = act.samples.copy()
    s.loc[3, "hr_bpm"] = 1e12  # before sanity: a hostile value a decoder can return
    s.loc[4, "speed_m_s"] = 7e9
    hist = features.histograms(s)
    pd.testing.assert_frame_equal(hist, ref_histograms(s), check_exact=True)
    assert 10**12 in hist["bin"].tolist()


def test_sample_arrays_are_read_once_read_only_and_keep_the_frame_unchanged():
    act = flat_run(km=0.2)
    arrays = SampleArrays(act.samples)
    hr = arrays["hr_bpm"]
    assert arrays["hr_bpm"] is hr  # kept, not read again
    with pytest.raises(ValueError, match="read-only"):
        hr[0] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        arrays.weights_s[0] = 0.0
    assert (act.samples["hr_bpm"] == 145.0).all()
    assert SampleArrays.of(arrays) is arrays and len(arrays) == len(act.samples)
    with pytest.raises(KeyError):
        arrays["power_w"]


def test_sample_arrays_coerce_a_column_that_is_not_float():
    frame = pd.DataFrame({"elapsed_s": [0, 1, 2], "hr_bpm": pd.Series([140, None, "x"], dtype=object)})
    arrays = SampleArrays(frame)
    np.testing.assert_array_equal(arrays["elapsed_s"], [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(arrays["hr_bpm"], [140.0, np.nan, np.nan])
    assert arrays.converted == {"elapsed_s", "hr_bpm"}
