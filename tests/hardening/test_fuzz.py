"""Fuzzing the import pipeline with mutated real files: activities or a typed one-line error, in time.

The default suite runs a bounded, derandomised hypothesis search (a few hundred cases over small seeds:
corpus files, the larger ones trimmed to their first track points, and synthetic files); the dedicated
long run is ``benchmarks/fuzz.py`` (thousands of cases over full-size files), run here under ``-m slow``.
Mutations and the runner live in :mod:`tests.hardening.fuzzkit`, so a failure prints ops that replay.
"""

from __future__ import annotations

import importlib.util
import signal
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hiprisk.errors import FileFormatError, UnsafeInputError
from hiprisk.importers import decode

from .fuzzkit import HOSTILE_TEXT, MAGIC, apply, corpus_seed, fit_fix, run_case, synthetic_seeds

REPO = Path(__file__).resolve().parents[2]
TIME_BOUND_S = 5.0

# Small seeds keep the default suite at a few seconds: FIT files of a few kB, GPX/TCX cut to their
# first track points (the full files are fuzzed by benchmarks/fuzz.py).
CORPUS = {
    "fit": [("fit/garmin-fenix-5-run.fit", None), ("fit/garmin-edge-820-bike.fit", None)],
    "gpx": [("gpx/514705132.gpx", 120), ("gpx/cerknicko-jezero.gpx", 40)],
    "tcx": [("tcx/test.tcx", 60), ("odd/pool_swim-activity_1.tcx", None)],
}


def _seeds(fmt: str) -> list[tuple[str, bytes]]:
    out = []
    for rel, keep in CORPUS[fmt]:
        found = corpus_seed(rel, keep)
        if found is not None:
            out.append((rel, found[1]))
    out += [(name, data) for name, (f, data) in synthetic_seeds().items() if f == fmt]
    return out


def _pick(fmt: str, index: int) -> tuple[str, bytes]:
    if not SEEDS[fmt]:
        pytest.skip(f"no {fmt} seed files (the corpus is absent)")
    return SEEDS[fmt][index % len(SEEDS[fmt])]


SEEDS = {fmt: _seeds(fmt) for fmt in CORPUS}

frac = st.floats(0.0, 1.0, exclude_max=True, allow_nan=False)
BYTE_OPS = st.one_of(
    st.tuples(st.just("flip"), frac, st.integers(0, 7)),
    st.tuples(st.just("set"), frac, st.integers(0, 255)),
    st.tuples(st.just("magic"), frac, st.sampled_from(sorted(MAGIC)), st.integers(0, 7), st.booleans()),
    st.tuples(st.just("truncate"), frac),
    st.tuples(st.just("insert"), frac, st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("delete"), frac, st.integers(1, 64)),
    st.tuples(st.just("dup"), frac, st.integers(1, 512), frac),
)
TEXT_OPS = st.tuples(st.just("text"), st.integers(0, 20_000), st.integers(0, len(HOSTILE_TEXT) - 1))
FIELD_OPS = st.tuples(st.just("field"), st.integers(0, 100_000), st.integers(0, 7), st.booleans())
FUZZ = settings(
    derandomize=True,  # the same cases every run: a red test is a real regression, not bad luck
    database=None,
    deadline=None,  # the hard bound is run_case's alarm (TIME_BOUND_S)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check(data: bytes, fmt: str, seed: str, ops) -> None:
    outcome = run_case(data, fmt, f"fuzzed/{Path(seed).name}", TIME_BOUND_S)
    assert outcome.kind != "bug", (
        f"{seed} with ops={ops!r}: {outcome.detail}\n{outcome.traceback or ''}"
        "\n(replay: tests.hardening.fuzzkit.apply(seed_bytes, ops))"
    )
    assert outcome.seconds < TIME_BOUND_S


@settings(FUZZ, max_examples=130)
@given(
    seed=st.integers(0, 10),
    ops=st.one_of(st.lists(BYTE_OPS, min_size=1, max_size=4), st.lists(FIELD_OPS, min_size=1, max_size=8)),
    fix=st.booleans(),
    wrap=st.sampled_from(["none", "none", "none", "gzip", "gzip-cut"]),
)
def test_fuzzed_fit(seed, ops, fix, wrap):
    name, original = _pick("fit", seed)
    ops = [*ops, *([("fitfix",)] if fix else [])]
    ops += {"none": [], "gzip": [("gzip",)], "gzip-cut": [("gzip",), ("truncate", 0.5)]}[wrap]
    check(apply(original, ops), "fit", name, ops)


@settings(FUZZ, max_examples=100)
@given(
    seed=st.integers(0, 10),
    ops=st.one_of(st.lists(TEXT_OPS, min_size=1, max_size=8), st.lists(BYTE_OPS | TEXT_OPS, max_size=4)),
)
def test_fuzzed_gpx(seed, ops):
    name, original = _pick("gpx", seed)
    check(apply(original, ops), "gpx", name, ops)


@settings(FUZZ, max_examples=100)
@given(
    seed=st.integers(0, 10),
    ops=st.one_of(st.lists(TEXT_OPS, min_size=1, max_size=8), st.lists(BYTE_OPS | TEXT_OPS, max_size=4)),
)
def test_fuzzed_tcx(seed, ops):
    name, original = _pick("tcx", seed)
    check(apply(original, ops), "tcx", name, ops)


# ---------------------------------------------------------------------------------------------- the kit


@pytest.mark.parametrize("fmt", sorted(CORPUS))
def test_mutants_reach_both_outcomes(fmt):
    """The mutator is neither too gentle (everything parses) nor too rough (everything is refused at the
    first byte): both outcomes occur, and parsed mutants differ from their seed."""
    import random

    from .fuzzkit import random_ops

    rng = random.Random(5)
    kinds = Counter()
    for i in range(40):
        name, original = _pick(fmt, i)
        data = apply(original, random_ops(rng, fmt))
        outcome = run_case(data, fmt, f"m/{i}.{fmt}")
        assert outcome.kind != "bug", outcome
        kinds[outcome.kind] += 1
        kinds["changed"] += data != original
    assert kinds["parsed"] >= 4 and kinds["typed"] >= 4 and kinds["changed"] >= 38, kinds


def test_seeds_are_real_and_decode_before_mutation():
    """The mutants start from files that import cleanly (else the fuzzing proves nothing)."""
    for fmt, seeds in SEEDS.items():
        assert len(seeds) >= 2, fmt
        for name, data in seeds:
            outcome = run_case(data, fmt, name)
            assert (outcome.kind, outcome.activities) == ("parsed", 1), (name, outcome.detail)


def test_fit_fix_makes_damage_reach_the_decoder(corpus):
    """Without the CRC repair most FIT mutants would stop at the CRC check and test nothing else."""
    data = (corpus / "fit" / "garmin-fenix-5-run.fit").read_bytes()
    assert fit_fix(data) == data  # a valid file is left as it is
    damaged = apply(data, [("flip", (len(data) - 3) / len(data), 0)])  # last data byte, before the CRC
    assert run_case(damaged, "fit", "x.fit").detail == "FileFormatError"
    with pytest.raises(FileFormatError, match="bad CRC"):
        decode(damaged, "fit", "x.fit")
    assert run_case(fit_fix(damaged), "fit", "x.fit").kind == "parsed"


def test_the_runner_catches_what_it_must(monkeypatch):
    """The runner itself: a hang, a foreign exception and a two-line message are bugs; a typed error is
    not. (Guards against a fuzz test that cannot fail.)"""
    import hiprisk.ingest as ingest

    def hang(*args):
        signal.pause()

    def foreign(*args):
        raise KeyError("boom")

    def two_lines(data, fmt, name, meta):
        raise FileFormatError(name, "first\nsecond")

    def typed(data, fmt, name, meta):
        raise UnsafeInputError(name, "refused")

    for fake, kind, detail in (
        (hang, "bug", "timeout"),
        (foreign, "bug", "KeyError"),
        (two_lines, "bug", "bad message"),
        (typed, "typed", "UnsafeInputError"),
    ):
        monkeypatch.setattr(ingest, "prepare", fake)
        outcome = run_case(b"x", "fit", "f.fit", timeout_s=0.2)
        assert outcome.kind == kind and detail in outcome.detail, (fake.__name__, outcome)
        assert outcome.seconds < 2.0


# ---------------------------------------------------------------------------------------------- long run


@pytest.mark.slow
def test_long_fuzz_run(corpus, capsys):
    """The dedicated run (benchmarks/fuzz.py): 3000 cases over full-size files, no failure."""
    spec = importlib.util.spec_from_file_location("hiprisk_fuzz_bench", REPO / "benchmarks" / "fuzz.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    status = module.main(["--cases", "3000", "--seed", "1"])
    out = capsys.readouterr()
    assert status == 0, out.err[-5000:]
    assert "failures (not activities nor a typed one-line error within 5 s): 0" in out.out
