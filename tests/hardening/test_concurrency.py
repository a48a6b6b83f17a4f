"""Two ``hiprisk import`` processes at once on one data folder (a cron job and a manual run), a
``hiprisk check`` of a file they both import (the post-upload hook), and a reader: every writer finishes
(exit 0, or 1 only for the one broken file), the log holds exactly the union, nothing twice, no "database
is locked", and the reader never sees a partial activity."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

from .storecheck import env_for, start_cli, start_import, summary_of, verify_store, write_runs

N_RUNS = 30
READER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import hiprisk
    stop = Path(sys.argv[1])
    Path(sys.argv[2]).touch()  # ready: the writers start now
    reads = 0
    while not stop.exists():
        log = hiprisk.load_log()
        for aid, n in zip(log["activity_id"], log["n_samples"]):
            samples = hiprisk.load_samples(aid)
            if len(samples) != n:
                sys.exit(f"partial activity {aid}: {len(samples)} of {n} samples")
        reads += 1
        time.sleep(0.01)
    print(reads)
    """
)


# Python run first in each racing import: both read the fingerprints already stored at the same moment, so
# both decide to import the overlap and race on it (without this a fast import can finish before the other
# process has even started, and the test would pass without a race).
BARRIER = """
import os, time
from pathlib import Path
from hiprisk.store import Store
_seen = Store.seen_fingerprints
def seen_fingerprints(self):
    gate = Path({gate!r})
    gate.mkdir(exist_ok=True)
    (gate / str(os.getpid())).touch()
    deadline = time.monotonic() + 120
    while len(list(gate.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    return _seen(self)
Store.seen_fingerprints = seen_fingerprints
"""


def barrier(tmp_path) -> str:
    return BARRIER.format(gate=str(tmp_path / f"gate-{time.monotonic_ns()}"))


def layout(tmp_path):
    """data/ (runs 0-14) + data/part/ (runs 15-29 and a broken file), copies/ (byte copies of 0-4)."""
    data = tmp_path / "data"
    write_runs(data, range(15))
    write_runs(data / "part", range(15, N_RUNS))
    (data / "part" / "broken.fit").write_bytes(b"\x0e\x10garbage" * 10)
    copies = tmp_path / "copies"
    copies.mkdir()
    for i in range(5):
        shutil.copy(data / f"run{i:02d}.fit", copies / f"copy{i:02d}.fit")
    return data, copies


def race(tmp_path, home, data, copies):
    stop = tmp_path / f"stop-{time.monotonic_ns()}"
    ready = stop.with_name(f"ready-{stop.name}")
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(stop), str(ready)],
        env=env_for(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not ready.exists() and reader.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)  # the writers are quick: a reader still importing pandas would read nothing
    gate = barrier(tmp_path)
    cron = start_import(home, data, workers=2, prelude=gate)  # everything, decoded in a process pool
    manual = start_import(home, data / "part", copies, workers=1, prelude=gate)  # the overlap, in-process
    hook = start_cli(home, "check", "--json", data / "part" / "run20.fit")  # the upload hook, same file
    results = [p.communicate(timeout=300) for p in (cron, manual)]
    hook_out, hook_err = hook.communicate(timeout=300)
    stop.touch()
    reader_out, reader_err = reader.communicate(timeout=120)
    checked = (hook.returncode, hook_out, hook_err)
    return (cron, manual), results, (reader.returncode, reader_out, reader_err), checked


def check_outcome(procs, results, reader, home, checked=None):
    summaries = []
    for proc, (out, err) in zip(procs, results, strict=True):
        assert "locked" not in err and "Traceback" not in err, err
        assert proc.returncode == 1, (proc.returncode, out, err)  # 1: the broken file, nothing else
        summary = summary_of(out)
        assert [f["file"].rsplit("/", 1)[-1] for f in summary["failed"]] == ["broken.fit"]
        summaries.append(summary)
    code, out, err = reader
    assert code == 0 and "locked" not in err, err
    assert int(out) >= 1
    added = [set(s["added_ids"]) for s in summaries]
    if checked is not None:  # the verdict is about the checked file's run, whoever stored it
        code, out, err = checked
        assert code in (0, 1) and "Traceback" not in err and "locked" not in err, (code, err)
        verdict = json.loads(out)
        run20 = hashlib.sha256((home.parent / "data" / "part" / "run20.fit").read_bytes()).hexdigest()[:16]
        assert verdict["run"]["activity_id"] == run20 and verdict["failed"] == []
        assert verdict["activities_added"] in (0, 1)
        added.append({run20} if verdict["activities_added"] else set())
    for i, one in enumerate(added):
        for other in added[i + 1 :]:
            assert not (one & other), "an activity was added by two processes"
    state = verify_store(home)
    assert state.problems == []
    assert set(state.activities) == set().union(*added)
    assert len(state.activities) == N_RUNS  # exactly the union: 30 distinct runs, copies merged
    assert len({a["start_utc"] for a in state.activities.values()}) == N_RUNS
    assert state.orphans == [] and state.temporaries == []
    assert len(state.files) == N_RUNS + 5 + 1  # one record per file met (runs, copies, broken)
    statuses = sorted(status for *_, status in state.files)
    assert statuses.count("failed") == 1 and statuses.count("added") == N_RUNS
    return summaries


def test_two_imports_and_a_reader_at_once(tmp_path):
    data, copies = layout(tmp_path)
    home = tmp_path / "home"  # does not exist yet: both processes create the store at once
    procs, results, reader, checked = race(tmp_path, home, data, copies)
    check_outcome(procs, results, reader, home, checked)

    # the next run (cron again) finds everything present and adds nothing
    again = start_import(home, data, copies)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 1 and summary_of(out)["added"] == 0, err
    assert verify_store(home).problems == []


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(5))
def test_repeated_races(tmp_path, round_):
    data, copies = layout(tmp_path)
    home = tmp_path / "home"
    procs, results, reader, checked = race(tmp_path, home, data, copies)
    check_outcome(procs, results, reader, home, checked)


# The store's file record before the fix: a plain INSERT OR REPLACE (the race's loser overwrote "added").
OLD_RECORD_FILE = """
from hiprisk.store import Store, _now
def _record_file(db, fingerprint, name, sha256, status, detail):
    db.execute(
        "INSERT OR REPLACE INTO files(fingerprint, name, file_sha256, status, detail, seen_utc)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (fingerprint, name, sha256, status, detail, _now()),
    )
Store._record_file = staticmethod(_record_file)
"""


@pytest.mark.slow
def test_the_race_is_real(tmp_path):
    """Guard against a vacuous race test: with the old file record the same race leaves files recorded as
    duplicates whose activities they added."""
    data, copies = layout(tmp_path)
    home = tmp_path / "home"
    gate = barrier(tmp_path)
    cron = start_import(home, data, workers=2, prelude=OLD_RECORD_FILE + gate)
    manual = start_import(home, data / "part", copies, workers=1, prelude=OLD_RECORD_FILE + gate)
    for proc in (cron, manual):
        proc.communicate(timeout=300)
    problems = verify_store(home).problems
    assert problems and all("has no 'added' record" in p for p in problems)
