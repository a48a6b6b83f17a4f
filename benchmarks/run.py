"""Import and command-latency benchmark: a ten-year history imported in seconds, a check that feels instant.

Run from the repository root::

    python benchmarks/run.py              # 3,000 one-hour runs at 1 s (built once, ~2 min, then cached)
    python benchmarks/run.py --quick      # 300 runs, fewer repeats: about a minute

It prints, in one run (a Markdown report on stdout; ``--output FILE`` also writes it):

* the machine (cores, CPU, Python and library versions, load average);
* that the fast FIT path gives the same activities as fitparse on every corpus FIT file and a sample of
  the synthetic ones (the check of ``tests/importers/test_fitfast.py``, repeated);
* decoding throughput in one process: plain fitparse (record messages into a DataFrame, the way a script
  would use it), :func:`hiprisk.importers.fit.parse_fit`, and the fast decoder alone;
* ``hiprisk import`` of the history's FIT files and of the whole FIT + GPX history into fresh data folders
  (files/s, MB/s, peak memory of the process tree), against plain fitparse on the same FIT files: **the
  ratio is the headline**;
* re-importing the unchanged folder; ``hiprisk check new.fit`` against the whole log (Python start-up
  included); ``hiprisk warnings`` (standing, and every warning over the whole history); ``hiprisk report``;
* ``hiprisk import`` of the corpus's 128 real fēnix 6X runs against plain fitparse on them.

Times are medians of ``--repeat`` runs where a command can be repeated; an import into a fresh folder runs
once. On a shared machine, read the ratios rather than the absolute figures. Nothing here is a test: CI
does not time anything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import history as hist  # noqa: E402
import measure  # noqa: E402
from equivalence import compare_file  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
MB = 1e6


# --------------------------------------------------------------------------------------------------
# Report lines


class Report:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, text: str = "") -> None:
        self.lines.append(text)
        print(text, flush=True)

    def table(self, header: list[str], rows: list[list]) -> None:
        self("| " + " | ".join(header) + " |")
        self("|" + "|".join(" --- " for _ in header) + "|")
        for row in rows:
            self("| " + " | ".join(str(c) for c in row) + " |")
        self()


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _fmt_s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def _machine(report: Report) -> None:
    from importlib.metadata import version

    import fitparse  # noqa: F401 - version below
    import numpy
    import pandas
    import pyarrow

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    report("## Machine")
    report()
    report(f"* date: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    report(f"* cores (nproc): {os.cpu_count()}; CPU: {cpu}; {platform.system()} {platform.release()}")
    report(
        f"* Python {platform.python_version()}; numpy {numpy.__version__}, pandas {pandas.__version__}, "
        f"pyarrow {pyarrow.__version__}, fitparse {version('fitparse')}"
    )
    report(f"* load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    report()


# --------------------------------------------------------------------------------------------------
# Sections


QUICK_CHECK_BYTES = 40_000  # --quick compares only corpus files below this size


def equivalence(report: Report, synthetic: list[Path], max_bytes: int | None = None) -> None:
    report("## Fast FIT path = fitparse")
    report()
    files = []
    if CORPUS.is_dir():
        files = sorted(
            p
            for p in CORPUS.rglob("*")
            if (p.suffix.lower() == ".fit" or p.name.lower().endswith(".fit.gz"))
            and (max_bytes is None or p.stat().st_size < max_bytes)
        )
    if max_bytes is not None:
        report(f"(`--quick`: corpus files under {max_bytes // 1000} kB only)")
        report()
    files += synthetic
    counts: dict[str, int] = {}
    notes = []
    for path in files:
        outcome, detail = compare_file(path)
        counts[outcome] = counts.get(outcome, 0) + 1
        if outcome != "same activities":
            name = path.relative_to(CORPUS) if path.is_relative_to(CORPUS) else path.name
            detail = str(detail).replace(f"{path}: ", "")  # named above, without the full path
            notes.append(f"* {outcome}: `{name}` — {detail}")
    report(
        f"{len(files)} FIT files ({len(files) - len(synthetic)} from the corpus, "
        f"{len(synthetic)} synthetic), "
        "each decoded both ways through `parse_fit` and compared activity by activity (totals, sport, "
        "offsets, device, notes, and every sample column within half its FIT resolution):"
    )
    report()
    report(", ".join(f"**{k}**: {v}" for k, v in sorted(counts.items())))
    report()
    for line in notes:
        report(line)
    report()
    if counts.get("DIFFERENT"):
        report("**The fast path disagrees with fitparse on some files: fix before trusting the figures.**")
        report()


def _fitparse_frame(path: Path):
    """Plain fitparse, the way a script uses it: every record message's values into a DataFrame."""
    import fitparse
    import pandas as pd

    fit = fitparse.FitFile(str(path))
    return pd.DataFrame([m.get_values() for m in fit.get_messages("record")])


def _rate(paths: list[Path], fn, repeat: int = 1) -> tuple[float, float, int]:
    """(MB/s, files/s, failures) per CPU-second of this process: each file ``repeat`` times, median kept.

    CPU time, not wall time, so that other work on the machine does not count; decoding is one thread,
    so on an idle core the two are the same.
    """
    total_s = 0.0
    total_b = 0
    failures = 0
    for p in paths:
        times = []
        for _ in range(repeat):
            t0 = time.process_time()
            try:
                fn(p)
            except Exception:
                failures += 1
                break
            times.append(time.process_time() - t0)
        if times:
            total_s += _median(times)
            total_b += p.stat().st_size
    n = len(paths) - failures
    return (
        (total_b / MB / total_s if total_s else float("nan")),
        (n / total_s if total_s else float("nan")),
        failures,
    )


def decoding(report: Report, sets: dict[str, list[Path]], repeat: int) -> dict[str, float]:
    """In-process decoding rates; returns fitparse MB/s per set."""
    from hiprisk.importers import fit, fitfast
    from hiprisk.importers.fit import read_fit

    profile = fit._fast_profile()
    read_fit(sets[next(iter(sets))][0])  # warm imports

    def fast_only(p: Path) -> None:
        fitfast.decode(fit._gunzip_if_needed(p.read_bytes(), str(p)), profile)

    report("## Decoding in one process (one core, per CPU-second)")
    report()
    rows = []
    baseline = {}
    for label, paths in sets.items():
        if not paths:
            continue
        size = sum(p.stat().st_size for p in paths) / MB
        fp_mb, fp_files, fp_fail = _rate(paths, _fitparse_frame)
        ok = [p for p in paths if _safe(read_fit, p)]
        hp_mb, hp_files, _ = _rate(ok, read_fit, repeat)
        ff_mb, ff_files, _ = _rate(ok, fast_only, repeat)
        baseline[label] = fp_mb
        rows.append(
            [
                f"{label} ({len(paths)} files, {size:.1f} MB)",
                f"{fp_mb:.2f} MB/s ({fp_files:.1f} files/s)" + (f", {fp_fail} failed" if fp_fail else ""),
                f"{hp_mb:.1f} MB/s ({hp_files:.0f} files/s), **{hp_mb / fp_mb:.0f}×**",
                f"{ff_mb:.1f} MB/s, {ff_mb / fp_mb:.0f}×",
            ]
        )
    report.table(
        [
            "files",
            "plain fitparse → DataFrame",
            "hiprisk `read_fit` (fast path → activities)",
            "fast decoder alone",
        ],
        rows,
    )
    return baseline


def _safe(fn, p) -> bool:
    try:
        fn(p)
        return True
    except Exception:
        return False


def imports(
    report: Report,
    h: hist.History,
    fitparse_mb_s: float,
    repeat: int,
    workers: int | None,
    import_repeat: int,
) -> None:
    base = Path(tempfile.mkdtemp(prefix="homes-", dir=HERE / ".cache"))
    try:
        _imports(report, h, fitparse_mb_s, repeat, workers, base, import_repeat)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _import_row(label: str, files: int, mb: float, run: measure.Run, fitparse_mb_s: float | None) -> list:
    ratio = f"**{mb / run.wall_s / fitparse_mb_s:.0f}×**" if fitparse_mb_s else "—"
    cpu_ratio = f"{mb / run.cpu_s / fitparse_mb_s:.0f}×" if fitparse_mb_s and run.cpu_s else "—"
    return [
        label,
        f"{files} files, {mb:.0f} MB",
        _fmt_s(run.wall_s),
        _fmt_s(run.cpu_s) if run.cpu_s else "—",
        f"{files / run.wall_s:.0f}",
        f"{mb / run.wall_s:.1f}",
        ratio,
        cpu_ratio,
        f"{run.peak_tree_mb:.0f} MB (largest process {run.peak_process_mb:.0f} MB)"
        if run.peak_tree_mb
        else "—",
    ]


def _fresh_imports(path: Path, base: Path, extra: list[str], times: int) -> measure.Run:
    """Import ``path`` into ``times`` fresh data folders: the run of median wall time, the largest peak."""
    runs = []
    for i in range(times):
        home = base / f"fresh-{i}"
        runs.append(measure.hiprisk("import", str(path), *extra, home=home, memory=True))
        shutil.rmtree(home, ignore_errors=True)
    runs.sort(key=lambda r: r.wall_s)
    chosen = runs[(len(runs) - 1) // 2]
    chosen.peak_tree_mb = max((r.peak_tree_mb or 0.0) for r in runs) or None
    chosen.peak_process_mb = max((r.peak_process_mb or 0.0) for r in runs) or None
    return chosen


def _imports(report, h, fitparse_mb_s, repeat, workers, base, import_repeat: int = 1) -> None:
    extra = ["--workers", str(workers)] if workers else []
    fit_mb = h.fit_bytes / MB
    gpx_mb = h.gpx_bytes / MB
    rows = []

    report("## `hiprisk import` (fresh data folder, all cores)")
    report()
    if import_repeat > 1:
        report(
            f"FIT-only and corpus imports: median of {import_repeat} fresh imports (peak memory: the "
            "largest); the FIT + GPX import runs once (its data folder is used below)."
        )
        report()
    r_fit = _fresh_imports(h.import_dir / "fit", base, extra, import_repeat)
    rows.append(_import_row("history, FIT files only", len(h.fit_files), fit_mb, r_fit, fitparse_mb_s))

    home = base / "history"
    r_all = measure.hiprisk("import", str(h.import_dir), *extra, home=home, memory=True)
    n_all = len(h.fit_files) + len(h.gpx_files)
    rows.append(_import_row("history, FIT + GPX", n_all, fit_mb + gpx_mb, r_all, None))

    real = sorted((CORPUS / "history").glob("*.fit")) if CORPUS.is_dir() else []
    real_fitparse = getattr(imports, "real_fitparse_mb_s", None)
    if real:
        r_real = _fresh_imports(CORPUS / "history", base, extra, import_repeat)
        rows.append(
            _import_row(
                "corpus history/ (real fēnix 6X runs)",
                len(real),
                sum(p.stat().st_size for p in real) / MB,
                r_real,
                real_fitparse,
            )
        )
    report.table(
        [
            "input",
            "size",
            "wall",
            "CPU (all processes)",
            "files/s",
            "MB/s",
            "× plain fitparse (wall)",
            "× per CPU-second",
            "peak memory (PSS, all processes)",
        ],
        rows,
    )
    report(
        "Wall time includes start-up (the CLI, the worker pool) and whatever else the machine ran; "
        "`× plain fitparse (wall)` divides the import's MB/s by plain fitparse's MB/s on one core (the "
        "headline); `× per CPU-second` compares the work done per CPU-second by all of the import's "
        "processes with plain fitparse's, independent of the number of cores and of other load."
    )
    report()
    report(f"Last import's summary: `{r_all.stdout.strip().splitlines()[0] if r_all.stdout.strip() else ''}`")
    report()

    report(f"## Commands against the {n_all}-run log (fresh process each, Python start-up included)")
    report()
    rows = []

    def timed(label: str, target: str, runs: list[measure.Run]) -> None:
        times = [r.wall_s for r in runs]
        rows.append([label, _fmt_s(_median(times)), _fmt_s(max(times)), target])

    again = [measure.hiprisk("import", str(h.import_dir), *extra, home=home) for _ in range(repeat)]
    timed("`hiprisk import <history>` again (nothing new)", "< 2 s", again)
    checks = [measure.hiprisk("check", str(p), home=home) for p in h.new_files[:repeat]]
    timed("`hiprisk check new.fit` (imports it, then the verdict)", "< 1 s", checks)
    standing = [measure.hiprisk("warnings", home=home) for _ in range(repeat)]
    timed("`hiprisk warnings` (standing on the last day)", "< 1 s", standing)
    span = [measure.hiprisk("warnings", "--since", h.first_day, home=home) for _ in range(repeat)]
    timed(f"`hiprisk warnings --since {h.first_day}` (every warning, whole history)", "< 1 s", span)
    out = base / "report.html"
    reports = [measure.hiprisk("report", "-o", str(out), home=home) for _ in range(repeat)]
    timed("`hiprisk report`", "< 5 s", reports)
    bare = [measure.run([sys.executable, "-c", "import hiprisk.cli"]) for _ in range(repeat)]
    timed("(for scale: `python -c 'import hiprisk.cli'`)", "", bare)
    report.table(["command", "median", "max", "target"], rows)
    if checks:
        report("`hiprisk check` output (first run):")
        report()
        report("```")
        for line in checks[0].stdout.strip().splitlines()[:20]:
            report(line)
        report("```")
        report()


# --------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3000, help="runs in the synthetic history (default 3000)")
    parser.add_argument("--gpx-every", type=int, default=4, help="every n-th run is GPX (default 4)")
    parser.add_argument("--repeat", type=int, default=3, help="repeats of the repeatable timings (default 3)")
    parser.add_argument(
        "--fitparse-files",
        type=int,
        default=12,
        help="files per set decoded with plain fitparse (default 12)",
    )
    parser.add_argument("--workers", type=int, help="hiprisk import --workers (default: all cores)")
    parser.add_argument(
        "--import-repeat", type=int, default=1, help="fresh imports of the FIT files and the corpus (median)"
    )
    parser.add_argument("--no-import", action="store_true", help="only the decoding sections")
    parser.add_argument("--output", type=Path, help="also write the Markdown report here")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="about a minute: 300 runs, 2 repeats, 4 files for plain fitparse, small corpus files checked",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.repeat, args.fitparse_files = 300, 2, 4

    report = Report()
    report(f"# hiprisk import benchmark: {args.runs} synthetic one-hour runs")
    report()
    _machine(report)
    t0 = time.perf_counter()
    h = hist.build(HERE / ".cache", args.runs, args.gpx_every, new_runs=max(args.repeat, 1))
    built = f"built in {h.build_s:.0f} s" if h.build_s is not None else "from the cache"
    report(
        f"History ({built}): {len(h.fit_files)} FIT files ({h.fit_bytes / MB:.0f} MB) and "
        f"{len(h.gpx_files)} GPX files ({h.gpx_bytes / MB:.0f} MB), one-hour runs at 1 s from "
        f"{h.first_day}; `{h.root.relative_to(REPO)}`"
    )
    report()

    k = args.fitparse_files
    step = max(1, len(h.fit_files) // max(k, 1))
    synthetic = h.fit_files[::step][:k]
    equivalence(report, synthetic, QUICK_CHECK_BYTES if args.quick else None)
    sets = {"history FIT sample": synthetic}
    if CORPUS.is_dir():
        sets["corpus fit/"] = sorted((CORPUS / "fit").glob("*.fit"))
        real = sorted((CORPUS / "history").glob("*.fit"))
        sets["corpus history/ sample"] = real[:: max(1, len(real) // max(k, 1))][:k]
    baseline = decoding(report, sets, args.repeat)
    imports.real_fitparse_mb_s = baseline.get("corpus history/ sample")
    if not args.no_import:
        imports(report, h, baseline["history FIT sample"], args.repeat, args.workers, args.import_repeat)
    report(
        f"Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"benchmark wall time {time.perf_counter() - t0:.0f} s."
    )
    if args.output:
        args.output.write_text("\n".join(report.lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
