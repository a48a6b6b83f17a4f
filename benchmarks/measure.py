"""Timing a command in a fresh process, with the peak memory of its whole process tree (Linux /proc).

CPU time (user + system) of the command and its descendants comes from ``RUSAGE_CHILDREN``: worker
processes count once their parent has waited for them, which ``ProcessPoolExecutor`` does on shutdown. It
does not depend on what else the machine is doing, unlike wall time.

Memory is sampled every ``interval_s``: the proportional set size (PSS, from ``smaps_rollup``; shared pages
split between the processes sharing them) of the command and every descendant (the import's worker pool),
summed, and the largest single process. A sample-based peak can miss a spike shorter than the interval.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass
class Run:
    """One command run."""

    wall_s: float
    returncode: int
    stdout: str
    stderr: str
    peak_tree_mb: float | None = None  # PSS of the process tree, summed
    peak_process_mb: float | None = None  # the largest single process (PSS)
    cpu_s: float | None = None  # user + system CPU of the process and its (waited-for) descendants


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _tree(pid: int) -> list[int]:
    kids = _children()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def _pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    try:  # no smaps_rollup: resident set size
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def run(
    args: list[str], env: dict[str, str] | None = None, *, memory: bool = False, interval_s: float = 0.05
) -> Run:
    """Run ``args``; wall time from start to exit (Python start-up included)."""
    full_env = {**os.environ, **(env or {})}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_tree = peak_one = 0.0
    if memory and Path("/proc").is_dir():
        while proc.poll() is None:
            sizes = [_pss_mb(p) for p in _tree(proc.pid)]
            peak_tree = max(peak_tree, sum(sizes))
            peak_one = max(peak_one, max(sizes, default=0.0))
            time.sleep(interval_s)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, proc.returncode, out, err, peak_tree or None, peak_one or None, cpu)


def hiprisk(*args: str, home: Path, memory: bool = False) -> Run:
    """``python -m hiprisk ARGS`` with ``HIPRISK_HOME=home``; raises when it exits with status 2+."""
    result = run([sys.executable, "-m", "hiprisk", *args], {"HIPRISK_HOME": str(home)}, memory=memory)
    if result.returncode >= 2:
        raise RuntimeError(f"hiprisk {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return result
