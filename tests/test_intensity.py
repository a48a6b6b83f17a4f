"""Hard minutes from stored histograms, and the warm-up flag, with profile or estimated thresholds."""

from __future__ import annotations

import pandas as pd
import pytest

from hiprisk.config import Athlete
from hiprisk.intensity import add_intensity, thresholds


def _log(**cols):
    n = len(next(iter(cols.values())))
    base = {
        "activity_id": [f"a{i}" for i in range(n)],
        "is_running": [True] * n,
        "max_hr": [190.0] * n,
        "moving_s": [3600.0] * n,
        "avg_speed_m_s": [3.0] * n,
        "warmup_hr": [float("nan")] * n,
        "warmup_speed_m_s": [float("nan")] * n,
    }
    base.update(cols)
    return pd.DataFrame(base)


def test_profile_threshold_counts_seconds_at_or_above_it():
    log = _log(activity_id=["a0"])
    hist = pd.DataFrame(
        {"activity_id": "a0", "kind": "hr", "bin": [150, 159, 160, 175], "seconds": [600, 60, 120, 30.0]}
    )
    out = add_intensity(log, hist, Athlete(threshold_hr_bpm=160))
    assert out["hard_s"].iloc[0] == pytest.approx(150.0)
    assert out.attrs["thresholds"].hr_source == "profile"


def test_estimated_threshold_is_88_percent_of_max_hr_and_said_so():
    th = thresholds(_log(activity_id=["a", "b", "c"], max_hr=[180.0, 190.0, 200.0]), Athlete())
    assert th.hr_source == "estimated"
    assert th.hr_bpm == pytest.approx(0.88 * 199.6)


def test_runs_without_hr_use_threshold_pace():
    log = _log(activity_id=["a0"])
    hist = pd.DataFrame(
        {"activity_id": "a0", "kind": "speed", "bin": [30, 37, 40], "seconds": [900, 300, 60.0]}
    )
    out = add_intensity(log, hist, Athlete(threshold_pace_s_per_km=270))  # 3.70 m/s
    assert out["hard_s"].iloc[0] == pytest.approx(360.0)


def test_warmup_hard_uses_hr_when_recorded_else_speed():
    log = _log(
        activity_id=["hr_hard", "hr_easy", "pace_hard"],
        warmup_hr=[170.0, 140.0, float("nan")],
        warmup_speed_m_s=[3.0, 3.0, 4.0],
    )
    out = add_intensity(
        log,
        pd.DataFrame(columns=["activity_id", "kind", "bin", "seconds"]),
        Athlete(threshold_hr_bpm=165, threshold_pace_s_per_km=270),
    )
    assert out["warmup_hard"].tolist() == [True, False, True]


def test_no_hr_and_no_history_means_nothing_is_hard():
    log = _log(activity_id=["a"], max_hr=[float("nan")])
    out = add_intensity(log, pd.DataFrame(columns=["activity_id", "kind", "bin", "seconds"]), Athlete())
    assert out["hard_s"].iloc[0] == 0.0
    assert out.attrs["thresholds"].hr_source == "none"


def test_sql_totals_equal_the_pandas_totals(home):
    """The store's SQL aggregate and the pure function agree on real imported runs."""
    import hiprisk
    from hiprisk.intensity import Thresholds, totals
    from hiprisk.store import Store

    from .conftest import SAMPLE_DATA

    files = sorted((SAMPLE_DATA / "activities").glob("*"))[:6]
    hiprisk.import_paths(files, workers=1)
    th = Thresholds(hr_bpm=160.0, hr_source="profile", speed_m_s=3.5, speed_source="profile")
    with Store(home) as store:
        sql = store.intensity_totals(th.hr_bpm, th.speed_m_s).sort_index()
        pure = totals(store.load_hist(), th).sort_index()
    assert len(sql) == 6
    pd.testing.assert_frame_equal(sql, pure, check_names=False, check_index_type=False)
    assert (sql["hr_hard_s"] > 0).any() and (sql["hr_hard_s"] < sql["hr_s"]).all()
