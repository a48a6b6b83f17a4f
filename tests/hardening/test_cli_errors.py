"""What a user sees when things go wrong: one line naming the file and the reason, exit status 0 (all
good), 1 (some files failed) or 2 (nothing could be done), no traceback unless ``--debug``."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from hiprisk.cli import cli

from .fuzzkit import apply, random_ops, synthetic_seeds
from .storecheck import env_for, write_runs

# corpus file → the reason its source documents (SOURCES.md); the phrase our one-line reason must carry
BAD_CORPUS_FILES = {
    "odd/invalid/activity-filecrc.fit": "bad CRC",  # "activity-filecrc → CRC error"
    "odd/invalid/activity-unexpected-eof.fit": "truncated",  # "activity-unexpected-eof → EOF error"
    "odd/MetadataOnly.gpx": "no track points",  # "StravaGPX file with metadata and no track"
    "gpx/cerknicko-without-times.gpx": "no timestamps",  # gpxpy: has_times() is False
    "odd/Settings.fit": "not an activity",  # "Edge 510 settings file"
    "odd/Mojstrovka.gpx": "implausible start date 1901-12-13",  # gpxpy: point 0 at 1901-12-13
}


def run_cli(home, *args) -> subprocess.CompletedProcess:
    """The real command in a real process: what a terminal would show."""
    return subprocess.run(
        [sys.executable, "-m", "hiprisk", *map(str, args)],
        env=env_for(home),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def bad_folder(tmp_path, corpus):
    folder = tmp_path / "bad"
    folder.mkdir()
    for rel in BAD_CORPUS_FILES:
        shutil.copy(corpus / rel, folder / rel.rsplit("/", 1)[1])
    (folder / "empty.fit").write_bytes(b"")
    (folder / "notes.fit").write_text("not a watch file")
    (folder / "evil.gpx").write_text('<!DOCTYPE gpx [<!ENTITY a "b">]><gpx>&a;</gpx>')
    write_runs(folder, [1])  # one good run among them
    return folder


def test_exit_0_when_every_file_imports(tmp_path):
    folder = tmp_path / "good"
    write_runs(folder, range(3))
    result = run_cli(tmp_path / "home", "import", folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("3 added, 0 already present") and result.stderr == ""


def test_exit_1_with_one_line_per_failed_file(tmp_path, bad_folder):
    result = run_cli(tmp_path / "home", "import", bad_folder)
    assert result.returncode == 1
    assert result.stderr == "" and "Traceback" not in result.stdout
    lines = result.stdout.splitlines()
    assert lines[0].startswith("1 added, ") and lines[0].endswith("9 failed")
    failed = {}
    for line in lines[1:]:
        assert line.startswith("  failed: "), line
        name, reason = line[len("  failed: ") :].split(": ", 1)
        failed[name] = reason
    expected = {rel.rsplit("/", 1)[1]: phrase for rel, phrase in BAD_CORPUS_FILES.items()}
    expected |= {"empty.fit": "empty file (0 bytes)", "notes.fit": "not a FIT file", "evil.gpx": "unsafe XML"}
    assert {name.rsplit("/", 1)[1] for name in failed} == set(expected)
    for name, reason in failed.items():
        assert name.startswith(str(bad_folder)), name  # the file is named in full
        assert expected[name.rsplit("/", 1)[1]] in reason, (name, reason)


def test_exit_2_one_line_and_a_traceback_only_with_debug(tmp_path):
    broken = tmp_path / "export.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    home = tmp_path / "home"
    result = run_cli(home, "import", broken)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"error: {broken}: not a readable zip archive: File is not a zip file\n"

    debug = run_cli(home, "--debug", "import", broken)
    assert debug.returncode != 0
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.rstrip().endswith(
        f"FileFormatError: {broken}: not a readable zip archive: File is not a zip file"
    )


def test_an_unusable_data_folder_is_one_line(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    result = run_cli(not_a_folder, "log")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot use the data folder {not_a_folder}: ")
    debug = run_cli(not_a_folder, "--debug", "log")
    assert "Traceback" in debug.stderr and "StoreError" in debug.stderr


def test_a_missing_input_is_a_usage_error_naming_it(tmp_path, home):
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "nowhere.fit")])
    assert result.exit_code == 2
    assert f"Path '{tmp_path / 'nowhere.fit'}' does not exist" in result.output
    assert "Traceback" not in result.output


def test_ctrl_c_exits_130_with_a_message(home, monkeypatch, tmp_path):
    import hiprisk.cli.activities as activities

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(activities, "import_paths", interrupted)
    write_runs(tmp_path / "in", [0])
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "in")])
    assert result.exit_code == 130
    assert "interrupted: the store is consistent" in result.output


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (
            KeyError("pace"),
            3,
            "error: internal error (KeyError: 'pace'); this is a bug in hiprisk: please report it with the"
            " output of the same command run with --debug",
        ),
        (
            RuntimeError(),
            3,
            "error: internal error (RuntimeError); this is a bug in hiprisk: please report it with the"
            " output of the same command run with --debug",
        ),
        (
            PermissionError(13, "Permission denied", "/x/report.html"),
            2,
            "error: /x/report.html: Permission denied",
        ),
    ],
    ids=["bug", "bug-without-message", "os-error-naming-a-file"],
)
def test_unexpected_exceptions_are_one_line_and_a_traceback_only_with_debug(
    home, monkeypatch, tmp_path, exc, code, line
):
    import hiprisk.cli.activities as activities

    def broken(*args, **kwargs):
        raise exc

    monkeypatch.setattr(activities, "import_paths", broken)
    write_runs(tmp_path / "in", [0])
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "in")])
    assert (result.exit_code, result.output) == (code, line + "\n")
    debug = CliRunner().invoke(cli, ["--debug", "import", str(tmp_path / "in")])
    assert debug.exception is exc  # not converted: the traceback is printed by Python


def test_a_command_that_fails_to_load_is_one_line_and_a_traceback_with_debug(home, monkeypatch):
    """Commands are imported when they run (before the group's callback has seen --debug)."""
    monkeypatch.setitem(cli.lazy_commands, "broken", "hiprisk.cli._no_such_module:broken")
    result = CliRunner().invoke(cli, ["broken"])
    assert result.exit_code == 3
    assert result.output.startswith("error: internal error (ModuleNotFoundError: No module named ")
    assert len(result.output.splitlines()) == 1
    debug = CliRunner().invoke(cli, ["--debug", "broken"])
    assert isinstance(debug.exception, ModuleNotFoundError)


def test_a_closed_output_pipe_ends_quietly(tmp_path):
    home = tmp_path / "home"
    write_runs(tmp_path / "in", range(3))
    assert run_cli(home, "import", tmp_path / "in").returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "hiprisk", "log", "--csv"],
        env=env_for(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert proc.returncode == 1 and err == ""


def test_fuzzed_files_through_the_cli_are_one_line_each(tmp_path, home):
    """Mutated files (the fuzzer's ops, fixed seed) imported as a batch: never a traceback."""
    folder = tmp_path / "fuzzed"
    folder.mkdir()
    rng = random.Random(4)
    seeds = sorted(synthetic_seeds().items())
    for i in range(24):
        name, (fmt, data) = seeds[i % len(seeds)]
        (folder / f"m{i:02d}.{fmt}").write_bytes(apply(data, random_ops(rng, fmt)))
    result = CliRunner().invoke(cli, ["import", "--workers", "1", str(folder)])
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.splitlines()
    n_failed = int(lines[0].rsplit(", ", 1)[1].split()[0])
    assert 0 < n_failed < 24  # the mutants include both outcomes
    assert len(lines) == 1 + n_failed  # one line per failed file, nothing else
    assert all(line.startswith(f"  failed: {folder}/m") for line in lines[1:])
