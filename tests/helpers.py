"""Small builders shared by tests: hand-made activities with known numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hiprisk.importers.base import ParsedActivity, make_samples


def flat_run(
    start="2026-03-02T06:00:00Z",
    km: float = 10.0,
    pace_s_per_km: float = 330.0,
    hr_bpm: float | None = 145.0,
    cadence_spm: float | None = 170.0,
    **kwargs,
) -> ParsedActivity:
    """A steady run on flat ground, one sample per second, with exactly known totals."""
    duration = int(round(km * pace_s_per_km))
    t = np.arange(duration + 1, dtype=float)
    speed = 1000.0 / pace_s_per_km
    samples = make_samples(
        time_utc=pd.Timestamp(start) + pd.to_timedelta(t, unit="s"),
        distance_m=t * speed,
        speed_m_s=np.full(t.size, speed),
        elevation_m=np.full(t.size, 100.0),
        lat_deg=45.0 + t * speed / 111_195.0,
        lon_deg=np.full(t.size, 7.0),
        hr_bpm=None if hr_bpm is None else np.full(t.size, hr_bpm),
        cadence_spm=None if cadence_spm is None else np.full(t.size, cadence_spm),
    )
    fields = dict(
        source_format="fit",
        start_utc=pd.Timestamp(start),
        sport="running",
        sub_sport="generic",
        samples=samples,
        distance_m=km * 1000.0,
        elapsed_s=float(duration),
        moving_s=float(duration),
    )
    fields.update(kwargs)
    return ParsedActivity(**fields)
