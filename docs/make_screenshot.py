"""Make ``docs/report.png``, the README's picture of the weekly report.

A script, not a test::

    .venv/bin/python docs/make_screenshot.py [--week 2024-W16] [--out docs/report.png] [--html report.html]

It imports ``sample_data/`` into a temporary data folder, writes the report of the chosen week (default:
the sample week with the most warnings standing, so the picture shows them), renders it in headless
Chromium at 1280 CSS pixels wide and trims the empty space below the page. Needs Chromium
(Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
WIDTH = 1280
MAX_HEIGHT = 9000


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    sys.exit("Chromium not found: apt-get install chromium (or put chromium on PATH)")


def render(page: Path, png: Path, work: Path) -> None:
    subprocess.run(
        [
            chromium(),
            *FLAGS,
            f"--user-data-dir={work / 'profile'}",
            f"--screenshot={png}",
            f"--window-size={WIDTH},{MAX_HEIGHT}",
            "--virtual-time-budget=10000",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )


def trim(png: Path, out: Path, margin: int = 24) -> tuple[int, int]:
    """Cut the uniform background below the page's last content and save with a palette; returns the size."""
    import numpy as np
    from PIL import Image

    with Image.open(png) as im:
        rgb = np.asarray(im.convert("RGB")).astype(int)
    background = rgb[-1, -1]
    rows = np.flatnonzero(np.abs(rgb - background).sum(axis=2).max(axis=1) > 12)
    bottom = min(rgb.shape[0], (rows[-1] + 1 + margin) if len(rows) else rgb.shape[0])
    page = Image.fromarray(rgb[:bottom].astype("uint8"))
    # A flat page with charts: a 256-colour palette keeps it sharp at a fraction of the bytes.
    small = page.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(out, optimize=True)
    return WIDTH, bottom


def busiest_week(log, shoes) -> str:
    """The week of the log with the most warnings standing on its last day (the earliest on a tie)."""
    import pandas as pd

    from hiprisk.rules import evaluate

    best, most = None, -1
    for week in sorted(log["week"].unique()):
        last = pd.Timestamp(log.loc[log["week"] == week, "local_date"].max())
        end = last + pd.Timedelta(days=6 - last.weekday())
        n = sum(w.subject != "history" for w in evaluate(log, as_of=end, shoes=shoes))
        if n > most:
            best, most = week, n
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--week", help="YYYY-Www (default: the sample week with the most warnings standing)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "report.png")
    parser.add_argument("--html", type=Path, help="also keep the HTML report here")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    import hiprisk
    from hiprisk.report import weekly
    from hiprisk.shoes import load_shoes

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        home = work / "home"
        summary = hiprisk.import_paths([REPO / "sample_data"], hiprisk.Store(home))
        if summary.failed:
            sys.exit(f"sample_data import failed: {summary.failed}")
        log = hiprisk.load_log(home)
        shoes = load_shoes(home)
        shoes = shoes if len(shoes) else None
        rep = weekly(log, args.week or busiest_week(log, shoes), shoes=shoes)
        page = rep.write_html(args.html or work / "report.html")
        raw = work / "raw.png"
        render(page, raw, work)
        size = trim(raw, args.out)
    print(f"wrote {args.out} ({size[0]}×{size[1]} px, week {rep.period.week})")


if __name__ == "__main__":
    main()
