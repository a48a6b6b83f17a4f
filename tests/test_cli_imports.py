"""The command line imports only what the command run needs (``hiprisk check`` must feel instant).

Each case runs the command in a fresh interpreter and lists the heavy modules it left in ``sys.modules``:
a behaviour check (what was imported), not a timing. pandas itself imports pyarrow (its string dtype), so
pyarrow's core is not asserted; its Parquet module is only needed to write a sample stream.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SAMPLE_DATA

PROBE = """
import json, sys
from hiprisk.cli import cli
try:
    cli(sys.argv[1:], prog_name="hiprisk")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""

#: Never needed by check, warnings or help: the charts, the report, the other command families.
NEVER = [
    "matplotlib",
    "hiprisk.report.figures",
    "hiprisk.report.html",
    "hiprisk.cli.gear",
    "hiprisk.cli.settings",
]


def loaded(home: Path, *args: str) -> set[str]:
    """The modules loaded by ``hiprisk ARGS`` run in a fresh interpreter with ``home`` as data folder."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env={"HIPRISK_HOME": str(home), "PATH": "", "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=120,
    )
    return set(json.loads(proc.stderr.strip().splitlines()[-1]))


def test_help_imports_no_command_machinery(tmp_path):
    mods = loaded(tmp_path / "home", "check", "--help")
    heavy = {"fitparse", "pyarrow.parquet", "hiprisk.ingest", "hiprisk.rules", "hiprisk.report"}
    assert mods & (heavy | set(NEVER)) == set()
    assert "hiprisk.cli.report" in mods  # the probe did load the command it asked for help on


def test_warnings_reads_the_store_without_the_decoders(tmp_path):
    mods = loaded(tmp_path / "home", "warnings")
    assert "hiprisk.rules" in mods
    heavy = {"fitparse", "pyarrow.parquet", "hiprisk.ingest", "hiprisk.importers.fit", "hiprisk.report"}
    assert mods & (heavy | set(NEVER) | {"hiprisk.cli.activities"}) == set()


def test_check_imports_no_chart_and_no_other_command(tmp_path):
    run = sorted((SAMPLE_DATA / "activities").glob("*.fit"))[0]
    mods = loaded(tmp_path / "home", "check", str(run))
    assert {"hiprisk.ingest", "hiprisk.rules", "hiprisk.report.text"} <= mods  # it did import and judge
    assert mods & (set(NEVER) | {"hiprisk.cli.risk", "hiprisk.cli.activities"}) == set()


@pytest.mark.parametrize("module", ["activities", "gear", "settings", "risk", "report"])
def test_every_command_of_a_module_is_registered(module):
    """The lazy table names every command each module defines, under its own name."""
    import importlib

    from hiprisk.cli import COMMANDS, cli

    commands = importlib.import_module(f"hiprisk.cli.{module}").COMMANDS
    for command in commands:
        assert COMMANDS.get(command.name) == f"hiprisk.cli.{module}:{_attr(module, command)}"
        assert cli.get_command(None, command.name) is command
    names = {c.name for m in ("activities", "gear", "settings", "risk", "report") for c in _commands(m)}
    assert set(COMMANDS) == names


def _commands(module: str) -> list:
    import importlib

    return importlib.import_module(f"hiprisk.cli.{module}").COMMANDS


def _attr(module: str, command) -> str:
    import importlib

    mod = importlib.import_module(f"hiprisk.cli.{module}")
    return next(name for name, value in vars(mod).items() if value is command and name != "COMMANDS")
