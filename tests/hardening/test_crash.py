"""A ``hiprisk import`` killed with SIGKILL at any point leaves a consistent store, and the next import
completes the work.

Two kinds of kill: at chosen points of the write path (the child patches a library function to kill
itself right there: no hook in product code), and at seeded random moments over repeated runs. After
every kill the store is verified (``storecheck.verify_store``: integrity, no partial activity, histograms
and file records agree with the log); the final run must reach the full set with no orphan stream.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time

import pytest

from .storecheck import start_import, summary_of, verify_store, write_runs

N_RUNS = 40
DIE = "os.kill(os.getpid(), signal.SIGKILL)"
# Python run in the child before the import: each kills the process at one point of Store.add_file.
KILL_POINTS = {
    # the sample stream's temporary file is written, not yet renamed into place
    "after-tmp-write": f"""
import os, signal, pathlib
_write = pathlib.Path.write_bytes
def write_bytes(self, data):
    written = _write(self, data)
    if self.name.endswith(".tmp"):
        {DIE}
    return written
pathlib.Path.write_bytes = write_bytes
""",
    # the stream is in place, its row not yet written
    "after-rename": f"""
import os, signal
_replace = os.replace
def replace(src, dst, *a, **k):
    _replace(src, dst, *a, **k)
    if str(dst).endswith(".parquet"):
        {DIE}
os.replace = replace
""",
    # inside the transaction: rows and histograms inserted, COMMIT not reached
    "before-commit": f"""
import os, signal
from hiprisk.store import Store
def record(*a, **k):
    {DIE}
Store._record_file = staticmethod(record)
""",
    # the fifth file committed, killed before anything else
    "after-fifth-commit": f"""
import os, signal
from hiprisk.store import Store
_add = Store.add_file
calls = []
def add_file(self, *a, **k):
    out = _add(self, *a, **k)
    calls.append(1)
    if len(calls) == 5:
        {DIE}
    return out
Store.add_file = add_file
""",
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crash") / "watch"
    write_runs(folder, range(N_RUNS))
    return folder


def kill_group(proc) -> None:
    """SIGKILL the import and its decoder processes (its own session), then reap it.

    The decoder processes must be killed too: they outlive a killed parent (see
    ``test_decoder_processes_die_with_a_killed_import``) and hold the output pipes open.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)


def complete(home, runs):
    proc = start_import(home, runs)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, (out, err)
    return summary_of(out)


def check_final(home, first_ids=None):
    state = verify_store(home)
    assert state.problems == []
    assert len(state.activities) == N_RUNS
    assert len({a["start_utc"] for a in state.activities.values()}) == N_RUNS
    assert state.orphans == []
    assert sorted(status for *_, status in state.files) == ["added"] * N_RUNS
    if first_ids is not None:
        assert set(state.activities) == first_ids
    return state


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_kill_at_a_chosen_point(tmp_path, runs, point):
    home = tmp_path / "home"
    proc = start_import(home, runs, workers=2, prelude=KILL_POINTS[point])
    proc.wait(timeout=300)  # not communicate(): orphaned decoder processes keep the pipes open
    kill_group(proc)
    assert proc.returncode == -signal.SIGKILL

    state = verify_store(home)
    assert state.problems == []
    expected = {"after-tmp-write": 0, "after-rename": 0, "before-commit": 0, "after-fifth-commit": 5}[point]
    assert len(state.activities) == expected  # nothing half-stored, the committed files kept
    if point == "after-rename":
        assert len(state.orphans) == 1  # a stream without a row: never read, rewritten by the next import
    if point == "after-tmp-write":
        assert len(state.temporaries) == 1

    leftovers = state.temporaries + state.orphans
    for name in leftovers:  # an hour later: the next import sweeps them
        os.utime(home / "samples" / name, (time.time() - 7200,) * 2)

    summary = complete(home, runs)
    assert summary["added"] == N_RUNS - expected and summary["already_present"] == expected
    final = check_final(home)
    assert final.temporaries == []


@pytest.mark.parametrize(
    ("kills", "seed"),
    [(2, 8), pytest.param(8, 9, marks=pytest.mark.slow), pytest.param(8, 10, marks=pytest.mark.slow)],
)
def test_kills_at_random_moments_then_completion(tmp_path, runs, kills, seed):
    """Kills at seeded random moments of successive runs, each run resuming the last one's work."""
    reference = tmp_path / "reference"
    t0 = time.monotonic()
    first = complete(reference, runs)
    full_s = time.monotonic() - t0
    reference_ids = set(first["added_ids"])
    assert len(reference_ids) == N_RUNS

    home = tmp_path / "home"
    rng = random.Random(seed)
    seen = []
    for _ in range(kills):
        proc = start_import(home, runs, workers=2)
        time.sleep(rng.uniform(0.3, 1.0) * full_s)
        kill_group(proc)
        state = verify_store(home)
        assert state.problems == [], state.problems
        seen.append(len(state.activities))
        assert seen == sorted(seen)  # kills never lose committed work
    complete(home, runs)
    check_final(home, reference_ids)


def _session_members(sid: int) -> list[int]:
    """Live processes of a session (Linux /proc), excluding zombies."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, session = fields[0], int(fields[3])
        if session == sid and state != "Z":
            members.append(int(entry))
    return members


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_decoder_processes_die_with_a_killed_import(tmp_path, runs):
    proc = start_import(tmp_path / "home", runs, workers=2, prelude=KILL_POINTS["after-fifth-commit"])
    try:
        proc.wait(timeout=300)
        deadline = time.monotonic() + 3.0  # a worker polling its parent would be gone by then
        while _session_members(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _session_members(proc.pid) == []
    finally:
        kill_group(proc)
