"""hiprisk.toml: defaults, validation, HIPRISK_HOME and the `config show` command."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hiprisk.cli import cli
from hiprisk.config import Config, data_home, load_config, parse_config
from hiprisk.errors import ConfigError


def test_missing_file_gives_defaults(home):
    config = load_config(home)
    assert config == Config()
    assert config.athlete.week_start == "monday"
    assert config.athlete.tz  # the system zone, never empty


def test_hiprisk_home_is_the_data_folder(home):
    assert data_home() == home


def test_values_are_read_and_validated(home):
    home.mkdir()
    (home / "hiprisk.toml").write_text(
        '[athlete]\ntimezone = "Australia/Sydney"\nthreshold_hr_bpm = 168\n\n'
        "[rules.weekly_increase]\ncaution_pct = 12\n"
    )
    config = load_config(home)
    assert config.athlete.tz == "Australia/Sydney"
    assert config.athlete.threshold_hr_bpm == 168
    assert config.rule("weekly_increase") == {"caution_pct": 12}
    assert config.rule("monotony") == {}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"athlete": {"timezone": "Mars/Olympus"}}, "unknown time zone 'Mars/Olympus'"),
        ({"athlete": {"week_start": "friday"}}, "week_start must be 'monday' or 'sunday'"),
        ({"athlete": {"max_hr": 190}}, "unknown [athlete] setting(s): max_hr"),
        ({"athlete": {"threshold_hr_bpm": -5}}, "threshold_hr_bpm must be a positive number"),
        ({"athletes": {}}, "unknown section(s)"),
        ({"rules": {"weekly_increase": 10}}, "one table per rule"),
    ],
)
def test_invalid_values_are_config_errors(raw, message):
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    assert message in str(info.value)


def test_broken_toml_is_a_one_line_cli_error(home):
    home.mkdir()
    (home / "hiprisk.toml").write_text("[athlete\n")
    result = CliRunner().invoke(cli, ["config", "show"])
    assert result.exit_code == 2
    assert result.output.startswith("error: hiprisk.toml:")
    assert "Traceback" not in result.output


def test_with_rule_and_with_athlete_copy():
    base = Config()
    changed = base.with_rule("session_spike", caution_pct=20).with_athlete(threshold_hr_bpm=170)
    assert base.rule("session_spike") == {}
    assert changed.rule("session_spike") == {"caution_pct": 20}
    assert changed.athlete.threshold_hr_bpm == 170


def test_config_show_json_lists_athlete_and_rules(home):
    result = CliRunner().invoke(cli, ["config", "show", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["athlete"]["week_start"] == "monday"
    assert "rules" in data
