"""Benchmark: every rule over every day of a synthetic 10-year, 3,000-run log.

A script, not a test::

    .venv/bin/python benchmarks/bench_rules.py [--runs 3000] [--years 10] [--repeat 5]

It builds the log DataFrame directly (the columns :func:`hiprisk.load_log` returns), then times, in the
same process, :func:`hiprisk.rules.warnings_frame` (all twelve rules over the whole history, one row per
period), one :func:`hiprisk.rules.evaluate` call, and a plain ``log.groupby(week).sum()`` as the baseline
of "one pass of pandas over the log". The target is well under a second for warnings_frame.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from hiprisk.config import Athlete, Config
from hiprisk.log import week_label
from hiprisk.rules import evaluate, warnings_frame


def synthetic_log(runs: int = 3000, years: int = 10, seed: int = 1) -> pd.DataFrame:
    """A plausible log: ~6 runs a week on random days, varied distances, HR, terrain, shoes, some rides."""
    rng = np.random.default_rng(seed)
    days = years * 365
    n_other = runs // 10
    n = runs + n_other
    day = np.sort(rng.integers(0, days, n))
    start_local = (
        pd.Timestamp("2016-01-04")
        + pd.to_timedelta(day, unit="D")
        + pd.to_timedelta(rng.integers(6 * 60, 20 * 60, n), unit="min")
    )
    running = np.ones(n, dtype=bool)
    running[rng.choice(n, n_other, replace=False)] = False
    km = np.where(running, rng.gamma(4.0, 2.5, n).clip(2, 42), rng.uniform(10, 60, n))
    pace = rng.normal(330, 30, n).clip(220, 480)
    moving = km * pace
    trail = running & (rng.random(n) < 0.25)
    descent = np.where(trail, km * rng.uniform(20, 60, n), km * rng.uniform(0, 8, n))
    hr = rng.normal(145, 10, n)
    hard = np.where(rng.random(n) < 0.2, rng.uniform(10, 40, n) * 60, rng.uniform(0, 300, n))
    local = pd.Series(start_local)
    log = pd.DataFrame(
        {
            "activity_id": [f"{i:016x}" for i in range(n)],
            "start_utc": pd.DatetimeIndex(start_local).tz_localize("UTC"),
            "utc_offset_s": 0.0,
            "local_date": local.dt.normalize(),
            "week": week_label(local.dt.normalize()),
            "sport": np.where(running, "running", "cycling"),
            "sub_sport": np.where(trail, "trail", "generic"),
            "is_running": running,
            "trail": trail,
            "distance_km": km,
            "elapsed_s": moving * 1.05,
            "moving_s": moving,
            "ascent_m": descent,
            "descent_m": descent,
            "downhill_km": np.where(trail, km * 0.2, km * 0.02),
            "steep_downhill_km": np.where(trail, km * 0.05, 0.0),
            "avg_hr": hr,
            "max_hr": hr + 25,
            "avg_cadence_spm": rng.normal(168, 6, n),
            "avg_speed_m_s": 1000.0 / pace,
            "warmup_hr": hr - 10,
            "warmup_speed_m_s": 1000.0 / pace * 0.95,
            "cadence_drop_pct": rng.normal(2, 2, n),
            "shoe": np.array(["Pair A", "Pair B", "Pair C", "Pair D"])[(day * 4) // days],
            "hard_s": np.where(running, hard, 0.0),
            "warmup_hard": running & (rng.random(n) < 0.02),
        }
    )
    return log


def timed(fn, repeat: int) -> tuple[float, object]:
    best, result = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    log = synthetic_log(args.runs, args.years)
    config = Config(athlete=Athlete(timezone="UTC", threshold_hr_bpm=165.0))
    print(f"log: {len(log)} activities ({int(log['is_running'].sum())} runs) over {args.years} years")
    t_base, _ = timed(lambda: log.groupby("week")[["distance_km", "descent_m"]].sum(), args.repeat)
    t_frame, frame = timed(lambda: warnings_frame(log, config=config), args.repeat)
    t_eval, standing = timed(lambda: evaluate(log, config=config), args.repeat)
    print(f"baseline log.groupby(week).sum():  {t_base * 1000:8.1f} ms")
    print(f"warnings_frame (12 rules, all days): {t_frame * 1000:8.1f} ms  ({len(frame)} warnings)")
    print(f"evaluate (standing on the last day): {t_eval * 1000:8.1f} ms  ({len(standing)} warnings)")
    print(f"ratio warnings_frame / baseline:     {t_frame / t_base:8.1f} x")
    print(frame.groupby(["rule", "severity"]).size().to_string())


if __name__ == "__main__":
    main()
