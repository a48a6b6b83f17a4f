"""``hiprisk warnings``: a thin command over evaluate / warnings_frame."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from hiprisk.cli import cli

from .conftest import MONDAY, make_log, steady


@pytest.fixture
def spiky(home, monkeypatch):
    """6 steady weeks of 4 × 8 km, then 4 × 14 km: the command sees this log (store left empty)."""
    log = make_log(steady(6, 8.0) + steady(1, 14.0, start=MONDAY + pd.Timedelta(days=42)))
    monkeypatch.setattr("hiprisk.cli.risk.load_log", lambda *a, **k: log)
    return log


def invoke(*args):
    return CliRunner().invoke(cli, ["warnings", *args])


def test_help_has_an_example():
    result = invoke("--help")
    assert result.exit_code == 0
    assert "Example: hiprisk warnings" in result.output


def test_standing_warnings_as_text(spiky):
    result = invoke()
    assert result.exit_code == 0, result.output
    assert "standing on 2025-02-23 (the last day in the log)" in result.output
    assert "HIGH     weekly_increase (2025-W08)" in result.output
    assert "Advice: Progress gradually" in result.output
    assert "does not diagnose" in result.output


def test_standing_warnings_as_json(spiky):
    result = invoke("--as-of", "2025-02-19", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["as_of"] == "2025-02-19"
    rules = {w["rule"] for w in data["warnings"]}
    assert "session_spike" in rules
    spike = next(w for w in data["warnings"] if w["rule"] == "session_spike")
    assert set(spike) == {
        "rule", "severity", "period", "value", "threshold", "unit", "message", "advice", "source", "evidence",
        "date", "activity_id", "subject",
    }  # fmt: skip
    assert spike["value"] == 75.0 and spike["unit"] == "%"


def test_a_span_lists_every_warning_once(spiky):
    result = invoke("--since", "2025-02-17", "--until", "2025-02-23", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["as_of"] == "2025-02-23"
    weekly = [w for w in data["warnings"] if w["rule"] == "weekly_increase"]
    assert [(w["period"], w["severity"], w["value"]) for w in weekly] == [("2025-W08", "high", 75.0)]
    text = invoke("--since", "2025-03-01")
    assert text.exit_code == 0 and "No warnings from 2025-03-01." in text.output


def test_as_of_and_a_span_are_exclusive(spiky):
    result = invoke("--as-of", "2025-02-19", "--since", "2025-02-01")
    assert result.exit_code == 2
    assert "use --as-of alone" in result.output


def test_an_empty_store_says_how_to_import(home):
    result = invoke()
    assert result.exit_code == 0
    assert "no activities" in result.output


def test_a_bad_rule_setting_is_one_line_naming_the_key(spiky, home):
    home.mkdir(parents=True, exist_ok=True)
    (home / "hiprisk.toml").write_text("[rules.weekly_increase]\ncaution_percent = 5\n")
    result = invoke()
    assert result.exit_code == 2
    assert "caution_percent" in result.output and "did you mean 'caution_pct'" in result.output


def test_a_short_log_says_which_rules_lack_history(home, monkeypatch):
    log = make_log(steady(2, 8.0))
    monkeypatch.setattr("hiprisk.cli.risk.load_log", lambda *a, **k: log)
    result = invoke()
    assert result.exit_code == 0, result.output
    assert "No warnings standing on 2025-01-19" in result.output
    assert "Not enough history yet, so no verdict from: weekly_increase (1 of 4 weeks)" in result.output
    assert "load_ratio (14 of 28 days)" in result.output
