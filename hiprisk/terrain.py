"""Terrain from a sample stream: ascent/descent with noise handling, downhill distance, trail inference.

(Placeholder signature; the implementation lands with the terrain issue.)
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class TerrainSummary:
    ascent_m: float  # 0.0 when the stream has no elevation
    descent_m: float
    downhill_km: float  # distance on grades steeper than downhill_grade_pct
    steep_downhill_km: float  # distance on grades steeper than steep_grade_pct
    trail_inferred: bool | None  # None: not enough data to say


def summarise(
    samples: pd.DataFrame,
    *,
    downhill_grade_pct: float = -5.0,
    steep_grade_pct: float = -10.0,
    window_m: float = 50.0,
) -> TerrainSummary:
    """Terrain figures of one activity's sample stream (see module docs for the method)."""
    raise NotImplementedError
