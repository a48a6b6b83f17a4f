"""``hiprisk check``: import a new file, then the verdict in text and JSON, and the exit status.

The store is seeded with the real history's device totals (``history/index.csv``) except its last run;
``check`` then imports that run's real FIT file. Expected numbers are computed from index.csv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from hiprisk.cli import cli
from hiprisk.report.text import CheckResult, format_check, numbers, short_advice
from hiprisk.rules import Warning

from .conftest import local_days, seed_store

LAST_FILE = "573446939.fit"  # Sat 2026-03-14 03:59 UTC, 11499.51 m: the history's last run
FIRST_FILE = "514755390.fit"  # Tue 2025-09-02: the history's first run
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory, history_log):
    home = tmp_path_factory.mktemp("check-template")
    seed_store(home, history_log[history_log["source_path"] != LAST_FILE])
    return home


@pytest.fixture
def home(seeded_template, tmp_path, monkeypatch):
    path = tmp_path / "home"
    shutil.copytree(seeded_template, path)
    monkeypatch.setenv("HIPRISK_HOME", str(path))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return path


@pytest.fixture(scope="module")
def w11(history_index):
    """The oracle for the last week: km to Saturday, runs, last week's km and the 4-week baseline."""
    day = local_days(history_index)
    km = history_index["total_distance"] / 1000.0
    monday = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    weekly = (
        km.groupby(monday).sum().reindex(pd.date_range("2026-02-02", "2026-03-09", freq="7D"), fill_value=0)
    )
    wtd = km[(day >= "2026-03-09") & (day <= "2026-03-14")].sum()
    prev = weekly.iloc[-2]
    base = weekly.iloc[-6:-2].mean()
    ref = base if prev < 0.5 * base else prev  # the rule's documented yardstick after a break week
    return {"wtd": wtd, "runs": int(((day >= "2026-03-09") & (day <= "2026-03-14")).sum()), "prev": prev,
            "rise": (wtd - ref) / ref * 100.0}  # fmt: skip


def test_text_verdict_on_a_new_run(home, corpus, w11):
    res = CliRunner().invoke(cli, ["check", str(corpus / "history" / LAST_FILE)])
    out = res.output
    assert "\x1b[" not in out, "no colours when not on a terminal"
    lines = out.splitlines()
    assert lines[0] == "hiprisk check · Sat 2026-03-14 · 1 activity added"
    assert lines[1].startswith("Run   11:59 · trail run · 11.50 km · 1:29:45")  # device: 11499.51 m, 5384.9 s
    assert lines[2].startswith(
        f"Week  2026-W11 to date {w11['wtd']:.1f} km in {w11['runs']} runs · last week {w11['prev']:.1f} km"
    )
    assert w11["rise"] > 30  # +31 %: the weekly-increase rule's "high"
    high = [ln for ln in lines if ln.strip().startswith("HIGH")]
    assert any("weekly_increase" in ln and f"+{w11['rise']:.0f} % (> 30 %)" in ln for ln in high)
    assert res.exit_code == 1
    assert lines[-1] == "→ exit 1: a warning at or above high"


def test_json_is_the_rules_warnings_and_import_is_idempotent(home, corpus):
    runner = CliRunner()
    path = str(corpus / "history" / LAST_FILE)
    first = runner.invoke(cli, ["check", path, "--json"])
    data = json.loads(first.output)
    assert {"as_of", "activities_added", "warnings"} <= set(data)
    assert data["as_of"] == "2026-03-14" and data["activities_added"] == 1
    assert data["run"]["distance_km"] == pytest.approx(11.49951)
    fields = set(Warning.__dataclass_fields__)
    assert all(set(w) == fields for w in data["warnings"])
    listed = json.loads(runner.invoke(cli, ["warnings", "--as-of", "2026-03-14", "--json"]).output)
    assert data["warnings"] == listed["warnings"]
    again = runner.invoke(cli, ["check", path, "--json"])
    data2 = json.loads(again.output)
    assert data2["activities_added"] == 0
    assert data2["warnings"] == data["warnings"] and data2["run"] == data["run"]
    assert "already imported, nothing new" in runner.invoke(cli, ["check", path]).output


def test_exit_status_follows_fail_on(home, corpus):
    runner = CliRunner()
    path = str(corpus / "history" / LAST_FILE)
    data = json.loads(runner.invoke(cli, ["check", path, "--json"]).output)
    severities = {w["severity"] for w in data["warnings"]}
    for fail_on, at_or_above in (("high", {"high"}), ("caution", {"caution", "high"})):
        res = runner.invoke(cli, ["check", path, "--fail-on", fail_on])
        assert res.exit_code == (1 if severities & at_or_above else 0)


def test_first_run_of_a_history_raises_nothing(tmp_path, monkeypatch, corpus):
    monkeypatch.setenv("HIPRISK_HOME", str(tmp_path / "fresh"))
    res = CliRunner().invoke(cli, ["check", str(corpus / "history" / FIRST_FILE), "--fail-on", "caution"])
    assert res.exit_code == 0, res.output
    assert "No warnings standing." in res.output
    assert "not enough history yet for" in res.output
    assert "7.28 km" in res.output  # device session distance 7278.4 m


def test_a_broken_file_is_an_error(home, corpus):
    broken = str(corpus / "odd" / "invalid" / "activity-filecrc.fit")
    res = CliRunner().invoke(cli, ["check", broken])
    assert res.exit_code == 2
    assert "activity-filecrc.fit" in res.output and "error:" in res.output
    assert "Run " not in res.output, "no verdict on some other run of the log"
    res = CliRunner().invoke(cli, ["check", broken, "--json"])
    assert res.exit_code == 2
    data = json.loads(res.stdout)
    assert data["as_of"] is None and data["warnings"] == []
    assert data["failed"][0]["file"].endswith("filecrc.fit")
    res = CliRunner().invoke(cli, ["check", str(corpus / "no-such-file.fit")])
    assert res.exit_code == 2


def test_colours_only_when_asked():
    w = Warning(
        "weekly_increase",
        "high",
        "2026-W11",
        31.0,
        30.0,
        "%",
        "m",
        "Progress gradually: hold",
        "s",
        "convention",
        "2026-03-14",
    )
    result = CheckResult(
        as_of=pd.Timestamp("2026-03-14"),
        activities_added=1,
        run={
            "activity_id": "a",
            "start_local": "2026-03-14T11:59:28+08:00",
            "name": None,
            "sport": "running",
            "sub_sport": "trail",
            "distance_km": 11.5,
            "moving_s": 5385.0,
            "descent_m": 461.0,
            "avg_hr": None,
            "shoe": "Speedgoat",
            "shoe_km": 512.4,
        },  # fmt: skip
        week={
            "week": "2026-W11",
            "start": "2026-03-09",
            "distance_km": 39.8,
            "runs": 4,
            "rest_days": 2,
            "descent_m": 1289.0,
            "prev_distance_km": 30.4,
            "prev_to_date_km": 30.4,
        },  # fmt: skip
        load_ratio=1.23,
        warnings=[w],
    )
    coloured = format_check(result, color=True)
    plain = format_check(result, color=False)
    assert "\x1b[" in coloured and "\x1b[" not in plain
    assert "Speedgoat 512 km" in plain and "↓ 461 m" in plain and "load ratio 1.23" in plain
    assert result.exit_code("high") == 1 and result.exit_code("caution") == 1
    assert CheckResult(None, 0, None, None, None, [w], failed=[("x.fit", "bad CRC")]).exit_code() == 2


@pytest.mark.parametrize(
    ("advice", "short"),
    [
        ("Progress gradually: hold or lower next week's distance.", "Progress gradually"),
        ("Replace this pair; rotating more than one pair helps.", "Replace this pair"),
        (
            "After a lighter spell, build back up gradually instead of returning straight to your "
            "previous volume.",
            "After a lighter spell, build back up gradually instead of…",
        ),  # fmt: skip
    ],
)
def test_advice_in_a_few_words(advice, short):
    assert short_advice(advice) == short


@pytest.mark.parametrize(
    ("value", "threshold", "unit", "text"),
    [
        (31.0, 30.0, "%", "+31 % (> 30 %)"),
        (1.62, 1.5, "ratio", "1.62 (> 1.5)"),
        (0.7, 0.8, "ratio", "0.70 (< 0.8)"),
        (512.4, 450.0, "km", "512 km (≥ 450 km)"),
        (9.0, 7.0, "days", "9 days (≥ 7 days)"),
        (155.0, 160.0, "spm", "155 spm (< 160 spm)"),
    ],
)
def test_numbers_name_the_threshold_crossed(value, threshold, unit, text):
    w = Warning("r", "caution", "p", value, threshold, unit, "", "", "", "convention", "2026-01-01")
    assert numbers(w) == text


def test_check_never_imports_matplotlib(tmp_path, corpus):
    code = (
        "import sys\n"
        "from hiprisk.cli import cli\n"
        "try:\n"
        "    cli(sys.argv[1:], prog_name='hiprisk')\n"
        "except SystemExit as exc:\n"
        "    print('EXIT', exc.code, file=sys.stderr)\n"
        "print('MPL' if 'matplotlib' in sys.modules else 'NO-MPL', file=sys.stderr)\n"
    )
    env = os.environ | {"HIPRISK_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [sys.executable, "-c", code, "check", str(corpus / "history" / FIRST_FILE)],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=120,
    )  # fmt: skip
    assert "EXIT 0" in proc.stderr, proc.stderr
    assert proc.stderr.strip().endswith("NO-MPL"), proc.stderr
