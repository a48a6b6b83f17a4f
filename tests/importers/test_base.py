"""Tests of :func:`hiprisk.importers.base.make_samples` against a readable copy of its first version.

``make_samples`` was rewritten for speed (issue #9: no second conversion of times already in UTC, order
checked in numpy, ``elapsed_s`` computed before the frame is built). The promise is that nothing changes,
bit for bit: same columns and column dtype, same index, same dtypes (down to the time zone object), same
values (times as int64 nanoseconds, floats as their bytes, so NaN and -0.0 count too), same errors. The
oracle is :func:`_reference_make_samples`, the old code kept verbatim; inputs are hypothesis-generated
streams (increasing, repeating and backwards times, NaN anywhere, every time type decoders pass, empty
streams) and the very arguments the FIT, GPX and TCX decoders pass on corpus files.
"""

from __future__ import annotations

import contextlib
import zoneinfo
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hiprisk.errors import HipriskError
from hiprisk.importers import base, fit, gpx, tcx
from hiprisk.importers.base import SAMPLE_COLUMNS, make_samples

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
FLOAT_COLUMNS = [c for c in SAMPLE_COLUMNS if c != "time_utc"]
T0_NS = 1_600_000_000 * 10**9  # 2020-09-13 12:26:40 UTC


def _reference_make_samples(**columns) -> pd.DataFrame:
    """make_samples as it was before issue #9 (the oracle: slow, obviously right)."""
    unknown = set(columns) - set(SAMPLE_COLUMNS)
    if unknown:
        raise ValueError(f"unknown sample columns: {sorted(unknown)}")
    time = pd.to_datetime(columns.pop("time_utc"), utc=True)
    n = len(time)
    data = {"time_utc": pd.DatetimeIndex(time).as_unit("ns")}
    for name in SAMPLE_COLUMNS:
        if name == "time_utc":
            continue
        values = columns.get(name)
        data[name] = np.full(n, np.nan) if values is None else np.asarray(values, dtype="float64")
    df = pd.DataFrame(data)
    if n and not df["time_utc"].is_monotonic_increasing:
        df = df.sort_values("time_utc", kind="stable").reset_index(drop=True)
    if "elapsed_s" not in columns and n:
        df["elapsed_s"] = (df["time_utc"] - df["time_utc"].iloc[0]).dt.total_seconds()
    return df


def assert_bit_identical(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns) == list(SAMPLE_COLUMNS)
    assert got.columns.dtype == want.columns.dtype
    assert type(got.index) is type(want.index) and got.index.equals(want.index)
    assert list(got.dtypes) == list(want.dtypes)
    assert got["time_utc"].dtype.tz is want["time_utc"].dtype.tz
    np.testing.assert_array_equal(got["time_utc"].array.asi8, want["time_utc"].array.asi8)
    for c in FLOAT_COLUMNS:
        g, w = got[c].to_numpy(), want[c].to_numpy()
        assert g.dtype == w.dtype == np.float64, c
        assert g.tobytes() == w.tobytes(), c


def check(**columns) -> pd.DataFrame:
    """make_samples and the reference on copies of the same arguments: the same frame, or the same error."""
    copies = {k: (v.copy() if hasattr(v, "copy") else v) for k, v in columns.items()}
    try:
        want = _reference_make_samples(**copies)
    except Exception as exc:  # the same exception type and message
        with pytest.raises(type(exc)) as caught:
            make_samples(**columns)
        assert str(caught.value) == str(exc)
        return None
    got = make_samples(**columns)
    assert_bit_identical(got, want)
    return got


# ------------------------------------------------------------------------------ generated streams


def _time_forms(ns: np.ndarray) -> dict:
    """The same instants in every form a caller passes (NaT where ns is the int64 minimum)."""
    utc = pd.DatetimeIndex(ns.view("datetime64[ns]"), tz="UTC")
    return {
        "index_utc_ns": utc,  # the FIT decoder's
        "series_utc_ns": pd.Series(utc, index=np.arange(len(ns)) * 3),
        "index_utc_us": utc.as_unit("us") if not (ns % 1000).any() else utc,
        "index_zoneinfo_utc": utc.tz_convert(zoneinfo.ZoneInfo("UTC")),
        "index_paris": utc.tz_convert("Europe/Paris"),
        "naive_numpy": ns.view("datetime64[ns]").copy(),
        "strings": [t.isoformat() if t is not pd.NaT else None for t in utc],
        "timestamps": list(utc),
    }


deltas = st.one_of(
    st.integers(0, 3),  # repeats and small steps
    st.integers(0, 10**12),  # any step forward, with sub-second parts
    st.integers(-5, 5),  # backwards now and then
    st.integers(-(10**12), 10**12),
)
floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


@st.composite
def streams(draw, nat: bool = False):
    n = draw(st.integers(0, 40))
    steps = draw(st.lists(deltas, min_size=n, max_size=n))
    ns = (T0_NS + np.cumsum(np.array(steps, dtype="int64"))).astype("int64")
    if draw(st.booleans()):
        ns = ns // 10**9 * 10**9  # whole seconds, like every device
    if nat and n:
        holes = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))
        ns[holes] = np.iinfo(np.int64).min
    form = draw(st.sampled_from(sorted(_time_forms(ns))))
    columns = {"time_utc": _time_forms(ns)[form]}
    for c in draw(st.lists(st.sampled_from(FLOAT_COLUMNS), unique=True)):
        kind = draw(st.sampled_from(["floats", "ints", "list", "nan"]))
        if kind == "floats":
            columns[c] = np.array(draw(st.lists(floats, min_size=n, max_size=n)), dtype="float64")
        elif kind == "ints":
            columns[c] = np.array(draw(st.lists(st.integers(-1000, 1000), min_size=n, max_size=n)))
        elif kind == "list":
            columns[c] = draw(st.lists(st.one_of(floats, st.none()), min_size=n, max_size=n))
        else:
            columns[c] = np.full(n, np.nan)
    return columns


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams())
def test_same_frame_as_reference(columns):
    check(**columns)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams(nat=True))
def test_same_frame_as_reference_with_nat(columns):
    check(**columns)


def test_sorts_stably_and_derives_elapsed():
    t = pd.DatetimeIndex(
        np.array([T0_NS + 2 * 10**9, T0_NS, T0_NS + 2 * 10**9, T0_NS + 10**9], dtype="int64").view("M8[ns]"),
        tz="UTC",
    )
    got = check(time_utc=t, hr_bpm=[1.0, 2.0, 3.0, 4.0])
    assert got["hr_bpm"].tolist() == [2.0, 4.0, 1.0, 3.0]  # stable: equal times keep their order
    assert got["elapsed_s"].tolist() == [0.0, 1.0, 2.0, 2.0]


def test_sub_second_elapsed_is_pandas_total_seconds():
    ns = T0_NS + np.array([0, 1, 999_999_999, 10**9 + 1, 3 * 10**15 + 7], dtype="int64")
    got = check(time_utc=pd.DatetimeIndex(ns.view("M8[ns]"), tz="UTC"))
    want = pd.Series(pd.to_timedelta(ns - ns[0], unit="ns")).dt.total_seconds().to_numpy()
    assert got["elapsed_s"].to_numpy().tobytes() == want.tobytes()


def test_given_elapsed_is_kept():
    got = check(time_utc=["2026-03-02T06:00:01Z", "2026-03-02T06:00:00Z"], elapsed_s=[5.0, 7.0])
    assert got["elapsed_s"].tolist() == [7.0, 5.0]
    got = check(time_utc=["2026-03-02T06:00:00Z"], elapsed_s=None)  # named but None: NaN, not derived
    assert np.isnan(got["elapsed_s"].iloc[0])


@pytest.mark.parametrize(
    "time_utc",
    [
        [],
        np.array([], dtype="M8[ns]"),
        pd.DatetimeIndex([], tz="UTC"),
        pd.Series([], dtype="datetime64[ns, UTC]"),
    ],
    ids=["list", "numpy", "index", "series"],
)
def test_empty_streams(time_utc):
    got = check(time_utc=time_utc)
    assert got.empty
    check(time_utc=time_utc, hr_bpm=[], distance_m=np.array([]))
    assert_bit_identical(got, base.empty_samples().astype(got.dtypes))


@pytest.mark.parametrize(
    "columns",
    [
        {"time_utc": ["2026-03-02T06:00:00Z"], "power_w": [1.0]},  # unknown column
        {"time_utc": ["2026-03-02T06:00:00Z", "2026-03-02T06:00:01Z"], "hr_bpm": [1.0]},  # lengths differ
        {"time_utc": ["2026-03-02T06:00:00Z"], "hr_bpm": [[1.0]]},  # not 1-D
        {"time_utc": ["2026-03-02T06:00:01Z", "2026-03-02T06:00:00Z"], "hr_bpm": [1.0, 2.0, 3.0]},
        {
            "time_utc": ["2026-03-02T06:00:00Z", "2026-03-02T06:00:01Z"],
            "hr_bpm": 120.0,
        },  # a scalar: broadcast
        {"hr_bpm": [1.0]},  # no time
    ],
    ids=["unknown", "length", "2d", "length-unsorted", "scalar", "no-time"],
)
def test_same_errors_and_broadcasts(columns):
    check(**columns)


def test_frame_shares_no_memory_with_the_arguments():
    ns = T0_NS + np.arange(5, dtype="int64") * 10**9
    t = pd.DatetimeIndex(ns.view("M8[ns]"), tz="UTC")
    hr = np.arange(5, dtype="float64")
    got = make_samples(time_utc=t, hr_bpm=hr)
    hr[:] = -1.0  # the caller reuses its arrays
    assert got["hr_bpm"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    got.loc[0, "time_utc"] = pd.Timestamp("2000-01-01", tz="UTC")  # and a consumer edits the frame
    got.loc[1, "hr_bpm"] = 99.0
    assert t[0] == pd.Timestamp(ns[0], unit="ns", tz="UTC")
    assert hr[1] == -1.0


# ------------------------------------------------------------------------------ decoders' real calls


def _corpus(folder: str, pattern: str, limit: int) -> list[Path]:
    files = sorted((CORPUS / folder).glob(pattern), key=lambda p: p.stat().st_size)[:limit]
    if not files:
        pytest.skip(f"corpus {folder}/ not present")
    return files


@pytest.mark.parametrize(
    ("module", "parse", "folder", "pattern"),
    [
        (fit, fit.parse_fit, "fit", "*.fit"),
        (gpx, gpx.parse_gpx, "gpx", "*.gpx"),
        (tcx, tcx.parse_tcx, "tcx", "*.tcx"),
    ],
    ids=["fit", "gpx", "tcx"],
)
def test_decoders_calls_give_reference_frames(module, parse, folder, pattern, monkeypatch):
    """Every make_samples call the decoders make on (the smaller) corpus files: the reference's frame."""
    calls = []

    def spy(**columns):
        copies = {k: (v.copy() if hasattr(v, "copy") else v) for k, v in columns.items()}
        frame = make_samples(**columns)
        calls.append((copies, frame))
        return frame

    monkeypatch.setattr(module, "make_samples", spy)
    for path in _corpus(folder, pattern, 8):
        with contextlib.suppress(HipriskError):  # a refused file is the decoder tests' business
            parse(path.read_bytes(), path.name)
    assert calls
    for copies, frame in calls:
        if module is fit:  # the FIT decoder's times used to be built with pd.to_datetime(unit="ns")
            ns = copies["time_utc"].asi8
            assert copies["time_utc"].equals(pd.to_datetime(ns, unit="ns", utc=True))
            copies = {**copies, "time_utc": pd.to_datetime(ns, unit="ns", utc=True)}
        assert_bit_identical(frame, _reference_make_samples(**copies))


def test_synthetic_fit_run_gives_reference_frame(monkeypatch):
    """A one-hour run at 1 s (the benchmark's kind of file) through the FIT decoder."""
    from hiprisk.synthetic import encode_activity, simulate_run

    calls = []

    def spy(**columns):
        frame = make_samples(**columns)
        calls.append((dict(columns), frame))
        return frame

    monkeypatch.setattr(fit, "make_samples", spy)
    run = simulate_run("2026-03-02T06:00:00Z", 10.0, pace_s_per_km=360, seed=3)
    fit.parse_fit(encode_activity(run), "run.fit")
    ((columns, frame),) = calls
    assert len(frame) > 3000
    assert_bit_identical(frame, _reference_make_samples(**columns))
