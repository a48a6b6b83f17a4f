"""The long fuzz run: thousands of mutated FIT, GPX and TCX files through the import pipeline.

Every case is a real corpus file (or a small synthetic one from :mod:`hiprisk.synthetic`) mutated by the
ops of ``tests/hardening/fuzzkit.py`` (bit flips, boundary values, truncation, insertion, deletion, chunk
duplication, hostile element text and attribute values, gzip, FIT size/CRC repair so that the damage
reaches the decoder), then passed through :func:`hiprisk.ingest.prepare` (byte check, decode, clean,
check, summarise, histograms). The only allowed outcomes are activities or a one-line
:class:`hiprisk.errors.HipriskError` naming the file, each within ``--timeout`` seconds. Anything else is
a bug: the script prints the seed file, the ops (replay with ``tests.hardening.fuzzkit.apply``) and the
traceback, and exits with status 1.

Usage (from the repository root)::

    .venv/bin/python benchmarks/fuzz.py                       # 3000 cases, seed 0
    .venv/bin/python benchmarks/fuzz.py --cases 10000 --seed 7 --timeout 5
    .venv/bin/python benchmarks/fuzz.py --save /tmp/fuzz-failures   # also write failing inputs

The figures printed at the end (cases, outcomes, error types, slowest case, failures) are the ones quoted
in ``docs/hardening.md``. ``tests/hardening/test_fuzz.py`` runs the same mutator on trimmed seeds for a
few hundred cases in the default suite, and this script with 3000 cases under ``-m slow``.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.hardening.fuzzkit import apply, corpus_seed, random_ops, run_case, synthetic_seeds  # noqa: E402

#: Corpus files mutated: every format, several devices and apps, valid and non-activity files.
CORPUS_SEEDS = (
    "fit/garmin-fenix-5-run.fit",
    "fit/garmin-fenix-5-walk.fit",
    "fit/garmin-edge-820-bike.fit",
    "fit/2015-10-13-08-43-15.fit",
    "fit/10kUNLP2014-Garmin15.fit",
    "fit/activity-small-fenix2-run.fit",
    "odd/activity-settings.fit",
    "odd/compressed-speed-distance.fit",
    "odd/2012_02_05_09_03_59.fit",
    "odd/Settings.fit",
    "tcx/test.tcx",
    "odd/pool_swim-activity_1.tcx",
    "odd/mapmyride_biking.tcx",
    "odd/activity_165850259_multi-session.tcx",
    "gpx/514705132.gpx",
    "gpx/around-visnjan-with-car.gpx",
    "gpx/cerknicko-jezero.gpx",
    "odd/MetadataOnly.gpx",
)


def seeds(only: str | None = None) -> dict[str, tuple[str, bytes]]:
    out = {rel: s for rel in CORPUS_SEEDS if (s := corpus_seed(rel)) is not None}
    out.update(synthetic_seeds())
    return {k: v for k, v in out.items() if only is None or only in k}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fuzz the import pipeline with mutated real files.")
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=5.0, help="per-case time bound [s]")
    parser.add_argument("--save", type=Path, help="write each failing input to this folder")
    parser.add_argument("--only", help="only seed files whose name contains this")
    args = parser.parse_args(argv)

    files = seeds(args.only)
    names = sorted(files)
    rng = random.Random(args.seed)
    outcomes: collections.Counter[str] = collections.Counter()
    by_fmt: collections.Counter[str] = collections.Counter()
    warned: collections.Counter[str] = collections.Counter()
    failures = []
    slowest = (0.0, "", [])
    t_start = time.perf_counter()
    for case in range(args.cases):
        seed_name = names[case % len(names)]
        fmt, original = files[seed_name]
        ops = random_ops(rng, fmt)
        data = apply(original, ops)
        result = run_case(data, fmt, f"fuzz/case{case}.{fmt}", args.timeout)
        key = {"parsed": "parsed", "typed": f"typed error: {result.detail}"}.get(result.kind, "BUG")
        outcomes[key] += 1
        by_fmt[fmt] += 1
        warned.update(w.split(" (")[0] for w in result.warnings)
        if result.seconds > slowest[0]:
            slowest = (result.seconds, seed_name, ops)
        if result.kind == "bug":
            failures.append(case)
            print(f"BUG case {case}: {seed_name} ops={ops!r}: {result.detail}", file=sys.stderr)
            if result.traceback:
                print(result.traceback, file=sys.stderr)
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                (args.save / f"case{case}.{fmt}").write_bytes(data)
    total = time.perf_counter() - t_start
    print(f"fuzz: {args.cases} cases, seed {args.seed}, {len(names)} seed files, {total:.1f} s")
    print("  by format: " + ", ".join(f"{k} {v}" for k, v in sorted(by_fmt.items())))
    for outcome, count in outcomes.most_common():
        print(f"  {count:6d}  {outcome}")
    for message, count in warned.most_common(8):
        print(f"  warning x{count}: {message}")
    print(f"  slowest case: {slowest[0]:.2f} s ({slowest[1]}, ops={slowest[2]!r})")
    bound = f"{args.timeout:g} s"
    print(f"  failures (not activities nor a typed one-line error within {bound}): {len(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
