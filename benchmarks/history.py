"""The benchmark's synthetic history: one-hour runs at 1 s sampling over years, FIT and GPX mixed.

Built once per (runs, gpx_every, seed) with :func:`hiprisk.synthetic.simulate_run` and the synthetic FIT/GPX
writers, in a process pool, and cached under ``benchmarks/.cache/`` (git-ignored). Layout::

    history-r3000-g4-s1-v1/
        import/fit/*.fit         the history: every run not written as GPX
        import/gpx/*.gpx         every ``gpx_every``-th run (runs without GPS stay FIT)
        new/new-1.fit ...        runs on the days after the history, one per ``hiprisk check``
        complete.json            written last: sizes and counts; its presence marks a usable cache

About six runs a week (the span grows with ``runs``: 3,000 runs ≈ ten years), mornings or evenings in
Europe/Berlin (so the UTC offset follows DST), pace 4:30–7:00 /km for about an hour, terrain flat / rolling
/ trail / downhill / treadmill.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

VERSION = 1
RUNS_PER_YEAR = 300
FIRST_DAY = pd.Timestamp("2015-01-05")  # a Monday
TZ = "Europe/Berlin"
PROFILES = (("flat", 0.40), ("rolling", 0.35), ("trail", 0.15), ("downhill", 0.05), ("treadmill", 0.05))


@dataclass
class History:
    """A built history: where it is and what is in it."""

    root: Path
    import_dir: Path
    fit_files: list[Path]
    gpx_files: list[Path]
    new_files: list[Path]
    build_s: float | None  # None when it came from the cache

    @property
    def fit_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.fit_files)

    @property
    def gpx_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.gpx_files)

    @property
    def first_day(self) -> str:
        return min(p.name[:10] for p in self.fit_files + self.gpx_files)


def plan(runs: int, gpx_every: int = 4, seed: int = 1, new_runs: int = 5) -> list[dict]:
    """Keyword arguments for :func:`hiprisk.synthetic.simulate_run`, plus ``format`` and ``path``."""
    rng = np.random.default_rng(seed)
    zone = ZoneInfo(TZ)
    span = max(7, round(runs / RUNS_PER_YEAR * 365.25))
    days = np.sort(rng.choice(span, runs, replace=runs > span))
    days = np.concatenate([days, span + np.arange(1, new_runs + 1)])  # the "new" runs come after
    names, weights = zip(*PROFILES, strict=True)
    entries = []
    for i, day in enumerate(days.tolist()):
        evening = rng.random() < 0.4
        minutes = int(rng.integers(18 * 60, 19 * 60 + 30) if evening else rng.integers(6 * 60, 8 * 60))
        local = (FIRST_DAY + pd.Timedelta(days=day, minutes=minutes)).tz_localize(
            zone, nonexistent="shift_forward", ambiguous=False
        )
        profile = str(rng.choice(names, p=weights))
        pace = float(np.clip(rng.normal(330.0, 30.0), 270.0, 420.0))
        is_new = i >= runs
        fmt = "fit" if is_new or profile == "treadmill" or (i % gpx_every != gpx_every - 1) else "gpx"
        stem = f"{local:%Y-%m-%d_%H%M}_{i + 1:05d}_{profile}"
        path = f"new/new-{i - runs + 1}.fit" if is_new else f"import/{fmt}/{stem}.{fmt}"
        entries.append(
            {
                "start_utc": local.tz_convert("UTC"),
                "utc_offset_s": int(local.utcoffset().total_seconds()),
                "distance_km": round(3600.0 / pace, 2),  # about an hour
                "pace_s_per_km": pace,
                "profile": profile,
                "seed": seed * 1_000_003 + i,
                "name": f"run {i + 1}",
                "format": fmt,
                "path": path,
            }
        )
    return entries


def _write(entry: dict, root: str) -> int:
    from hiprisk.synthetic import encode_activity, encode_gpx, simulate_run

    kwargs = {k: v for k, v in entry.items() if k not in ("format", "path")}
    act = simulate_run(**kwargs)
    data = encode_activity(act) if entry["format"] == "fit" else encode_gpx(act)
    path = Path(root) / entry["path"]
    path.write_bytes(data)
    return len(data)


def build(
    cache: Path, runs: int, gpx_every: int = 4, seed: int = 1, new_runs: int = 5, workers: int | None = None
) -> History:
    """The cached history, built first when missing (all cores)."""
    root = cache / f"history-r{runs}-g{gpx_every}-s{seed}-v{VERSION}"
    marker = root / "complete.json"
    build_s = None
    entries = plan(runs, gpx_every, seed, new_runs)
    if not marker.is_file():
        t0 = time.perf_counter()
        for sub in ("import/fit", "import/gpx", "new"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
            sizes = list(pool.map(_write, entries, [str(root)] * len(entries), chunksize=16))
        build_s = time.perf_counter() - t0
        marker.write_text(
            json.dumps(
                {"runs": runs, "files": len(entries), "bytes": sum(sizes), "build_s": build_s}, indent=1
            )
        )
    files = [root / e["path"] for e in entries]
    return History(
        root=root,
        import_dir=root / "import",
        fit_files=[p for p, e in zip(files, entries, strict=True) if e["path"].startswith("import/fit/")],
        gpx_files=[p for p, e in zip(files, entries, strict=True) if e["format"] == "gpx"],
        new_files=[p for p, e in zip(files, entries, strict=True) if e["path"].startswith("new/")],
        build_s=build_s,
    )
