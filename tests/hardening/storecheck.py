"""Helpers for the concurrency and crash tests: synthetic inputs, import subprocesses, a store verifier.

The verifier reads the data folder the way the next hiprisk process would (a normal SQLite connection,
which also recovers a WAL left by a killed process) and checks what "consistent" means for the store:

* ``PRAGMA integrity_check`` is ``ok`` and ``PRAGMA foreign_key_check`` finds nothing;
* every activity row has a readable sample stream with the columns of ``SAMPLE_COLUMNS`` and exactly
  ``n_samples`` rows (no partial activity);
* every histogram row belongs to an existing activity;
* the ``files`` table agrees with the log: every activity's file has an ``added`` record, and (when
  ``strict_files``: inputs without twin copies in other formats) every ``added`` file has its activities;
* sample streams without a row (orphans) and temporary files are reported for the caller to judge.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def write_runs(folder: Path, indices, *, prefix: str = "run") -> list[Path]:
    """Distinct short synthetic FIT runs (one per index, different days and hours), smart recording."""
    from hiprisk.synthetic import simulate_run, write_fit

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in indices:
        start = f"2026-01-{1 + i % 28:02d}T{6 + i // 28:02d}:00:00Z"
        run = simulate_run(start, 1.0 + (i % 5) * 0.3, seed=i, smart_recording=True)
        path = folder / f"{prefix}{i:02d}.fit"
        write_fit(path, run)
        out.append(path)
    return out


def env_for(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["HIPRISK_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def start_import(home: Path, *paths, workers: int | None = None, prelude: str | None = None):
    """Start ``python -m hiprisk import --json PATHS`` in its own session (so its workers can be killed
    with it). ``prelude`` is Python run in the child first (the crash tests use it to die at a chosen
    point by patching a library function: no hook in product code)."""
    args = ["import", "--json", *map(str, paths)]
    if workers:
        args[1:1] = ["--workers", str(workers)]
    if prelude is None:
        cmd = [sys.executable, "-m", "hiprisk", *args]
    else:
        run = f"import sys\nfrom hiprisk.cli import cli\nsys.exit(cli({args!r}, prog_name='hiprisk'))"
        code = f"{prelude}\n{run}"
        cmd = [sys.executable, "-c", code]
    return subprocess.Popen(
        cmd,
        env=env_for(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def start_cli(home: Path, *args):
    """Start any ``python -m hiprisk ARGS`` in its own session, output captured."""
    return subprocess.Popen(
        [sys.executable, "-m", "hiprisk", *map(str, args)],
        env=env_for(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def summary_of(stdout: str) -> dict:
    return json.loads(stdout)


@dataclass
class StoreState:
    activities: dict[str, dict] = field(default_factory=dict)  # id → row (id, sha, start, n_samples)
    files: list[tuple] = field(default_factory=list)  # (fingerprint, name, sha, status)
    orphans: list[str] = field(default_factory=list)  # sample streams with no row
    temporaries: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def verify_store(home: Path, *, strict_files: bool = True) -> StoreState:
    """Check the data folder (see the module docs); ``problems`` lists every inconsistency found."""
    import pyarrow.parquet as pq

    from hiprisk.importers.base import SAMPLE_COLUMNS

    state = StoreState()
    db_path = home / "hiprisk.db"
    if not db_path.exists():
        return state
    db = sqlite3.connect(db_path, timeout=60)
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchall()
        if integrity != [("ok",)]:
            state.problems.append(f"integrity_check: {integrity}")
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "activities" not in tables:
            return state  # killed before the schema was committed: an empty store
        fk = db.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            state.problems.append(f"foreign_key_check: {fk[:5]}")
        for aid, sha, start, n in db.execute(
            "SELECT activity_id, file_sha256, start_utc, n_samples FROM activities"
        ):
            state.activities[aid] = {"sha": sha, "start_utc": start, "n_samples": n}
        state.files = db.execute("SELECT fingerprint, name, file_sha256, status FROM files").fetchall()
        stray = db.execute(
            "SELECT DISTINCT activity_id FROM activity_hist WHERE activity_id NOT IN"
            " (SELECT activity_id FROM activities)"
        ).fetchall()
        if stray:
            state.problems.append(f"histograms without an activity: {stray[:5]}")
    finally:
        db.close()

    samples = home / "samples"
    on_disk = {p.name for p in samples.iterdir()} if samples.is_dir() else set()
    for aid, row in state.activities.items():
        name = f"{aid}.parquet"
        if name not in on_disk:
            state.problems.append(f"activity {aid} has no sample stream")
            continue
        try:
            table = pq.read_table(samples / name)
        except Exception as exc:  # noqa: BLE001 - any unreadable stream is the finding
            state.problems.append(f"sample stream of {aid} unreadable: {exc}")
            continue
        if table.column_names != list(SAMPLE_COLUMNS) or table.num_rows != row["n_samples"]:
            state.problems.append(
                f"sample stream of {aid}: {table.num_rows} rows, n_samples {row['n_samples']}"
            )
    state.orphans = sorted(
        n
        for n in on_disk
        if n.endswith(".parquet") and not n.startswith(".") and n[:-8] not in state.activities
    )
    state.temporaries = sorted(n for n in on_disk if n.endswith(".tmp"))

    added_shas = {sha for _, _, sha, status in state.files if status == "added"}
    for aid, row in state.activities.items():
        if row["sha"] not in added_shas:
            state.problems.append(f"activity {aid}: its file {row['sha'][:12]} has no 'added' record")
    if strict_files:
        stored = {row["sha"] for row in state.activities.values()}
        for _, name, sha, status in state.files:
            if status == "added" and sha not in stored:
                state.problems.append(f"file {name} recorded as added but has no activity")
    fingerprints = [f[0] for f in state.files]
    if len(fingerprints) != len(set(fingerprints)):
        state.problems.append("a fingerprint is recorded twice")
    return state
