"""Does the fast FIT path give the same activities as fitparse? (the benchmark repeats the test's check)"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

#: Half the FIT resolution of each sample column (what a stored value can differ by and still be equal).
RESOLUTION = {
    "elapsed_s": 0.0,
    "distance_m": 0.005,  # 1/100 m
    "lat_deg": 0.5 * 180 / 2**31,  # semicircle
    "lon_deg": 0.5 * 180 / 2**31,
    "elevation_m": 0.1,  # 1/5 m
    "speed_m_s": 0.0005,  # 1/1000 m/s
    "hr_bpm": 0.0,
    "cadence_spm": 1 / 128,  # 2 × (1/128) stride/min / 2
}


def activity_differences(a, b) -> list[str]:
    """What differs between two :class:`~hiprisk.importers.base.ParsedActivity` (empty: equal)."""
    out = []
    for key in vars(a):
        x, y = getattr(a, key), getattr(b, key)
        if key == "samples":
            if list(x.columns) != list(y.columns) or len(x) != len(y):
                out.append(f"samples: {x.shape} vs {y.shape}")
                continue
            if not x["time_utc"].equals(y["time_utc"]):
                out.append("samples.time_utc")
            for col, tol in RESOLUTION.items():
                u, v = x[col].to_numpy(float), y[col].to_numpy(float)
                if not np.array_equal(np.isnan(u), np.isnan(v)) or np.nanmax(np.abs(u - v), initial=0) > tol:
                    out.append(f"samples.{col}")
        elif x != y and not (
            isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y)
        ):
            out.append(f"{key}: {x!r} vs {y!r}")
    return out


def compare_file(path: Path) -> tuple[str, str]:
    """``(outcome, detail)``: ``same activities``, ``same error``, ``declined`` (fitparse decoded it) or
    ``DIFFERENT``."""
    from hiprisk.errors import HipriskError
    from hiprisk.importers import fit, fitfast

    data = fit._gunzip_if_needed(path.read_bytes(), str(path))

    def run(fast: bool):
        old = fit.FAST_PATH
        fit.FAST_PATH = fast
        try:
            return fit.parse_fit(data, str(path))
        except HipriskError as exc:
            return f"{type(exc).__name__}: {exc}"
        finally:
            fit.FAST_PATH = old

    try:
        fitfast.decode(data, fit._fast_profile())
        declined = None
    except fitfast.Decline as exc:
        declined = str(exc)
    except Exception as exc:  # not a clean decline: still compared below, but flagged
        declined = f"UNEXPECTED {type(exc).__name__}: {exc}"
    ref, fast = run(False), run(True)
    if isinstance(ref, str) or isinstance(fast, str):
        if ref == fast:
            return ("declined" if declined else "same error"), (declined or ref)
        said = [r if isinstance(r, str) else "ok" for r in (ref, fast)]
        return "DIFFERENT", f"fitparse: {said[0]} / fast: {said[1]}"
    if len(ref) != len(fast):
        return "DIFFERENT", f"{len(ref)} vs {len(fast)} activities"
    diffs = [d for r, f in zip(ref, fast, strict=True) for d in activity_differences(r, f)]
    if diffs:
        return "DIFFERENT", "; ".join(diffs)[:300]
    return ("declined", declined) if declined else ("same activities", "")
