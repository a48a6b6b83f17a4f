"""Benchmark: ``hiprisk check`` on one new file against a 3,000-run log (target: under 1 s, whole command).

A script, not a test::

    .venv/bin/python benchmarks/bench_check.py [--runs 3000] [--years 10] [--repeat 5] [--file F.fit]

It seeds a temporary data folder with a synthetic 10-year history (through the store's public
``add_file``, with intensity histograms like real imports), then times the whole command in a fresh
process — interpreter start, imports, decoding and storing the new file, loading the log, the rules, the
verdict — on a fresh copy of the folder each time, so the file is always new. The default new file is the
last run of ``sample_data/`` (a FIT file with 1 s records); the history ends the day before it. It also
prints the same stages timed in-process, and the floor: ``python -c "import hiprisk.cli"``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
# The sample export's last FIT run (its file names carry the generator's start times, which may change)
DEFAULT_FILE = max((REPO / "sample_data" / "activities").glob("*.fit"), default=None)


def seed(home: Path, runs: int, years: int, end: pd.Timestamp, seed: int = 1) -> None:
    """A plausible history of ``runs`` runs (plus 10 % rides) ending the day before ``end``."""
    from hiprisk.importers.base import empty_samples
    from hiprisk.log import LOG_COLUMNS
    from hiprisk.store import NewActivity, Store

    rng = np.random.default_rng(seed)
    n = runs + runs // 10
    days = years * 365
    day = np.sort(rng.integers(0, days, n))
    start = (end - pd.Timedelta(days=days)) + pd.to_timedelta(day, unit="D")
    start = start + pd.to_timedelta(rng.integers(6 * 60, 20 * 60, n), unit="min")
    running = np.ones(n, dtype=bool)
    running[rng.choice(n, n - runs, replace=False)] = False
    km = np.where(running, rng.gamma(4.0, 2.5, n).clip(2, 42), rng.uniform(10, 60, n))
    pace = rng.normal(330, 30, n).clip(220, 480)
    trail = running & (rng.random(n) < 0.25)
    descent = np.where(trail, km * rng.uniform(20, 60, n), km * rng.uniform(0, 8, n))
    hr = rng.normal(145, 10, n)
    empty = empty_samples()
    acts = []
    for i in range(n):
        row = {c: None for c in LOG_COLUMNS} | {
            "activity_id": f"{i:016x}",
            "file_sha256": f"{i:064x}",
            "start_utc": pd.Timestamp(start[i]).tz_localize("UTC"),
            "utc_offset_s": 0.0,
            "sport": "running" if running[i] else "cycling",
            "sub_sport": "trail" if trail[i] else "generic",
            "is_running": bool(running[i]),
            "trail": bool(trail[i]),
            "trail_inferred": False,
            "distance_km": float(km[i]),
            "elapsed_s": float(km[i] * pace[i] * 1.05),
            "moving_s": float(km[i] * pace[i]),
            "ascent_m": float(descent[i]),
            "descent_m": float(descent[i]),
            "elevation_source": "device",
            "downhill_km": float(km[i] * (0.2 if trail[i] else 0.02)),
            "steep_downhill_km": 0.0,
            "avg_hr": float(hr[i]),
            "max_hr": float(hr[i] + 25),
            "avg_cadence_spm": 168.0,
            "avg_speed_m_s": float(1000.0 / pace[i]),
            "warmup_hr": float(hr[i] - 10),
            "warmup_speed_m_s": float(950.0 / pace[i]),
            "n_samples": 0,
            "has_gps": True,
            "source_format": "fit",
            "source_path": f"seed/{i}.fit",
            "shoe": ["Pair A", "Pair B", "Pair C"][int(day[i] * 3 // days)] if running[i] else None,
        }
        bins = np.arange(int(hr[i]) - 30, int(hr[i]) + 30)
        hist = pd.DataFrame(
            {
                "kind": ["hr"] * len(bins) + ["speed"] * 30,
                "bin": np.concatenate([bins, np.arange(20, 50)]),
                "seconds": np.concatenate([np.full(len(bins), 50.0), np.full(30, 90.0)]),
            }
        )
        acts.append(NewActivity(row=row, samples=empty, hist=hist))
    with Store(home) as store:
        for k in range(0, n, 100):
            batch = acts[k : k + 100]
            store.add_file(f"seed-{k}", f"seed-{k}", f"{k:064x}", batch, dedupe_start_s=-1.0)


def run_check(home: Path, file: Path) -> tuple[float, int]:
    env = os.environ | {"HIPRISK_HOME": str(home)}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "hiprisk", "check", str(file)], env=env, capture_output=True, cwd=REPO
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"check failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    return elapsed, proc.returncode


def stages(home: Path, file: Path) -> dict[str, float]:
    """The command's stages timed in this process (imports already done)."""
    import hiprisk
    from hiprisk.report.text import check, run_for

    out = {}
    t = time.perf_counter()
    summary = hiprisk.import_paths([file], hiprisk.Store(home), workers=1)
    out["import the file"] = time.perf_counter() - t
    t = time.perf_counter()
    log = hiprisk.load_log(home)
    out["load_log"] = time.perf_counter() - t
    t = time.perf_counter()
    check(log, run_for(log, summary.added, [file]), activities_added=len(summary.added))
    out["rules + verdict"] = time.perf_counter() - t
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    args = parser.parse_args()

    from hiprisk.importers import decode

    new = decode(args.file.read_bytes(), args.file.suffix.lstrip(".").lower(), args.file.name)[0]
    end = pd.Timestamp(new.start_utc).tz_convert(None).normalize()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        template = tmp / "template"
        t = time.perf_counter()
        seed(template, args.runs, args.years, end)
        print(f"seeded {args.runs} runs over {args.years} years in {time.perf_counter() - t:.1f} s")
        print(f"new file: {args.file.name} ({len(new.samples)} records)")
        floor = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import hiprisk.cli"], check=True, cwd=REPO)
            floor.append(time.perf_counter() - t)
        times = []
        for i in range(args.repeat):
            home = tmp / f"run{i}"
            shutil.copytree(template, home)
            elapsed, code = run_check(home, args.file)
            times.append(elapsed)
        home = tmp / "inproc"
        shutil.copytree(template, home)
        parts = stages(home, args.file)
    print(f"python -c 'import hiprisk.cli': median {statistics.median(floor):.3f} s, best {min(floor):.3f} s")
    print(f"hiprisk check (whole command):  median {statistics.median(times):.3f} s, best {min(times):.3f} s")
    for name, seconds in parts.items():
        print(f"  in-process {name:<16} {seconds * 1000:7.1f} ms")
    verdict = "meets" if statistics.median(times) < 1.0 else "misses"
    print(f"target < 1 s: {verdict} (median)")


if __name__ == "__main__":
    main()
