"""Build sample_data/: a deterministic 16-week history of one runner, laid out as a Strava bulk export.

Run from the repo root (``make sample-data`` or ``python sample_data/generate.py``); the output is
committed, so the demo and the tests never need to run this. Re-running it gives identical bytes.

The story (see ``hiprisk.synthetic.history.example_plan``): a road base block, a week ~40 % above the
previous one, a trail block with heavy descent, an easy week then a jump, 14 running days in a row (two
weeks without rest), a 32 km long run far longer than anything in the previous 30 days, hard runs without
warm-up on consecutive days, cadence fading on the longest runs, a treadmill week and a taper. The road
shoe passes 450 km. FIT and GPX files are mixed, as in a real export; ``truth.csv`` holds each file's
noise-free ground truth for the tests.

Layout::

    sample_data/activities.csv   Strava-style activity list (Activity Type, Name, Gear, Filename)
    sample_data/shoes.csv        Strava-style shoe list
    sample_data/activities/      the FIT and GPX files
    sample_data/truth.csv        ground truth per file (not read by hiprisk import)
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import pandas as pd

from hiprisk.synthetic.history import example_plan, plan_to_files

HERE = Path(__file__).resolve().parent
FORMATS = ("fit", "fit", "gpx")  # two FIT files for each GPX, like a mixed watch history
STRAVA_TYPES = {"trail": "Trail Run", "treadmill": "Run", "track": "Run"}
SHOES = [
    ("Road A", "Nike", "Pegasus 40", "Run"),
    ("Trail B", "Hoka", "Speedgoat 5", "Trail Run"),
]


def build(out: Path = HERE) -> list[Path]:
    """Write the sample history into ``out`` (its activities/ folder is replaced)."""
    target = out / "activities"
    if target.exists():
        shutil.rmtree(target)
    paths = plan_to_files(example_plan(), target, formats=FORMATS, seed=2026)
    truth = pd.read_csv(target / "index.csv")
    (target / "index.csv").unlink()
    truth.to_csv(out / "truth.csv", index=False, float_format="%.3f")
    with open(out / "activities.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            ["Activity ID", "Activity Date", "Activity Name", "Activity Type", "Activity Gear", "Filename"]
        )
        for i, row in enumerate(truth.itertuples(), start=1):
            start = pd.Timestamp(row.start_utc)
            w.writerow(
                [
                    1000 + i,
                    start.strftime("%b %d, %Y, %I:%M:%S %p"),
                    row.name,
                    STRAVA_TYPES.get(row.sub_sport, "Run"),
                    row.shoe if isinstance(row.shoe, str) else "",
                    f"activities/{row.file}",
                ]
            )
    with open(out / "shoes.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Shoe Name", "Shoe Brand", "Shoe Model", "Shoe Default Sport Types"])
        w.writerows(SHOES)
    return paths


if __name__ == "__main__":
    files = build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
    print(f"wrote {len(files)} activity files")
