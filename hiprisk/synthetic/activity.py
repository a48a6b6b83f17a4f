"""The synthetic activity type shared by the simulator and the FIT/GPX writers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

from hiprisk.importers.base import SAMPLE_COLUMNS, make_samples


@dataclass
class SyntheticActivity:
    """A synthetic activity: samples in :data:`~hiprisk.importers.base.SAMPLE_COLUMNS` + metadata.

    ``ascent_m``/``descent_m`` are what a barometric device would put in its session (the noise-free
    route totals); ``truth`` holds further ground truth of the simulated route (distance_m,
    elapsed_s, downhill_km on grades < −5 %, steep_downhill_km < −10 %, seed, ...).
    """

    samples: pd.DataFrame
    start_utc: pd.Timestamp
    sport: str = "running"
    sub_sport: str | None = "generic"
    utc_offset_s: int | None = 0
    name: str | None = None
    shoe: str | None = None
    ascent_m: float | None = None
    descent_m: float | None = None
    truth: dict[str, Any] = field(default_factory=dict)

    @property
    def has_positions(self) -> bool:
        """True when at least one sample has a latitude and a longitude."""
        s = self.samples
        return bool((s["lat_deg"].notna() & s["lon_deg"].notna()).any())


def as_activity(obj: SyntheticActivity | Mapping[str, Any]) -> SyntheticActivity:
    """A :class:`SyntheticActivity` from itself or from a mapping of its fields.

    A mapping's ``samples`` may be a DataFrame or a mapping of column arrays (passed to
    :func:`~hiprisk.importers.base.make_samples`); ``start_utc`` defaults to the first sample time.
    """
    if isinstance(obj, SyntheticActivity):
        return obj
    if not isinstance(obj, Mapping):
        raise TypeError(f"expected a SyntheticActivity or a mapping, got {type(obj).__name__}")
    known = {f.name for f in fields(SyntheticActivity)}
    unknown = set(obj) - known
    if unknown:
        raise ValueError(f"unknown activity keys: {sorted(unknown)}")
    kwargs = dict(obj)
    samples = kwargs.get("samples")
    if samples is None:
        raise ValueError("an activity needs samples")
    if not isinstance(samples, pd.DataFrame):
        samples = make_samples(**dict(samples))
    else:
        missing = [c for c in SAMPLE_COLUMNS if c not in samples]
        if missing:
            samples = make_samples(**{c: samples[c] for c in samples if c in SAMPLE_COLUMNS})
    kwargs["samples"] = samples
    start = kwargs.get("start_utc")
    if start is None:
        if samples.empty:
            raise ValueError("an activity without samples needs start_utc")
        start = samples["time_utc"].iloc[0]
    kwargs["start_utc"] = _utc(start)
    return SyntheticActivity(**kwargs)


def _utc(value: Any) -> pd.Timestamp:
    """A tz-aware UTC Timestamp; naive values are taken as UTC."""
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
