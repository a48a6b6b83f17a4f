"""``hiprisk shoes``: every command through click's CliRunner, exit codes and exact messages.

Runs are real corpus files (history/, one runner's fēnix 6X) whose distances come from history/index.csv
(the files' own FIT session totals).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from hiprisk.cli import cli
from hiprisk.cli.gear import shoes_group


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def fails(*args: str, code: int = 2):
    result = run(*args)
    assert result.exit_code == code, (result.output, result.exception)
    return result


@pytest.fixture(scope="module")
def road_runs(corpus) -> pd.DataFrame:
    """history/index.csv generic runs (short files), oldest first, with ``path`` and ``km``."""
    idx = pd.read_csv(corpus / "history" / "index.csv")
    idx["start"] = pd.to_datetime(idx["start_time"], utc=True)
    idx["path"] = [str(corpus / "history" / f) for f in idx["file"]]
    idx["km"] = idx["total_distance"] / 1000.0
    idx = idx.sort_values("start")
    return idx[idx["sub_sport"] == "generic"].reset_index(drop=True)


def import_runs(*paths: str) -> None:
    out = ok("import", "--workers", "1", *paths)
    assert " 0 failed" in out.splitlines()[0]


def listed(*extra: str) -> dict:
    return json.loads(ok("shoes", "list", "--json", *extra))


def by_name(data: dict) -> dict[str, dict]:
    return {s["name"]: s for s in data["shoes"]}


# -- help ----------------------------------------------------------------------------------------------


def test_every_shoes_command_has_help_with_example():
    assert "Example: hiprisk shoes" in shoes_group.help
    assert set(shoes_group.commands) == {"add", "list", "assign", "default", "retire", "rename"}
    for name, command in shoes_group.commands.items():
        assert "Example: hiprisk shoes " + name in command.help, name
        assert "Example:" in ok("shoes", name, "--help")


# -- add / list ----------------------------------------------------------------------------------------


def test_add_messages_and_duplicates(home):
    assert ok("shoes", "add", "Pegasus 40") == "added shoe 'Pegasus 40'\n"
    assert (
        ok("shoes", "add", "Hoka Speedgoat 5 (trail) ✓ ", "--brand", "Hoka", "--start-km", "120",
           "--from", "2026-01-02", "--default", "--retire-at", "700")
        == "added shoe 'Hoka Speedgoat 5 (trail) ✓' (Hoka, 120.0 km already, in use from 2026-01-02,"
        " default for new runs, replace at 700 km)\n"
    )  # fmt: skip
    result = fails("shoes", "add", "pegasus 40")
    assert result.stderr == "error: a shoe named 'Pegasus 40' already exists\n"
    assert fails("shoes", "add", "X", "--start-km", "-3").stderr == (
        "error: --start-km must be a non-negative number of km\n"
    )
    assert fails("shoes", "add", "   ").stderr == "error: a shoe name cannot be empty\n"
    fails("shoes", "add", "X", "--from", "2026-13-01")  # click refuses the date (usage error)
    names = [s["name"] for s in listed()["shoes"]]
    assert sorted(names) == ["Hoka Speedgoat 5 (trail) ✓", "Pegasus 40"]


def test_list_empty(home):
    assert ok("shoes", "list") == (
        'no shoes yet (add one with: hiprisk shoes add "NAME" --default)\n'
        "rotation: no runs in the last 8 weeks\n"
    )
    data = listed()
    assert data["shoes"] == []
    assert data["unassigned"] == {"km": 0.0, "runs": 0}


def test_list_json_fields(home):
    ok("shoes", "add", "Éclair ✓", "--brand", "Nike", "--start-km", "460", "--default")
    (shoe,) = listed("--as-of", "2026-03-01")["shoes"]
    assert shoe["name"] == "Éclair ✓"
    assert shoe["brand"] == "Nike"
    assert shoe["km"] == 460.0
    assert shoe["runs"] == 0
    assert shoe["first_use"] is None
    assert shoe["pct_of_800"] == pytest.approx(57.5)
    assert shoe["status"] == "plan replacement"
    assert shoe["is_default"] is True
    assert shoe["default_for"] is None
    for key in ("share_8wk_pct", "trail_km", "retired_on", "last_use"):
        assert key in shoe


def test_default_shoe_on_import_and_list_text(home, road_runs):
    runs = road_runs.iloc[:3]
    ok("shoes", "add", "Pegasus 40", "--brand", "Nike", "--default")
    import_runs(*runs["path"])
    data = listed("--as-of", "2025-10-15")
    peg = by_name(data)["Pegasus 40"]
    assert peg["runs"] == 3
    assert peg["km"] == pytest.approx(runs["km"].sum(), abs=1e-3)
    assert peg["first_use"] == "2025-09-11"  # 517815478.fit: 09:40 UTC = 17:40 local (+08:00)
    assert peg["share_8wk_pct"] == pytest.approx(100.0)
    assert data["unassigned"] == {"km": 0.0, "runs": 0}
    text = ok("shoes", "list", "--as-of", "2025-10-15").splitlines()
    assert text[0].split() == [
        "name", "brand", "km", "runs", "first", "use", "last", "use", "of", "800", "km", "8-wk", "share",
        "trail", "km", "status", "default",
    ]  # fmt: skip
    assert text[1].split()[:4] == ["Pegasus", "40", "Nike", f"{runs['km'].sum():.1f}"]
    assert text[1].split()[-3:] == ["ok", "all", "runs"]
    assert text[2] == (
        f"rotation: 1 pair (Pegasus 40) carried at least 10% of the last 8 weeks' {runs['km'].sum():.1f} km;"
        " running in more than one pair in parallel was linked with fewer injuries (HR 0.614, Malisoux 2015)"
    )


def test_unassigned_km_reported(home, road_runs):
    runs = road_runs.iloc[:2]
    import_runs(*runs["path"])
    ok("shoes", "add", "Later pair")
    lines = ok("shoes", "list", "--as-of", "2025-10-15").splitlines()
    assert lines[2] == (
        f"{runs['km'].sum():.1f} km unassigned (2 runs with no shoe):"
        " hiprisk shoes assign SHOE ID... or --from DATE --until DATE"
    )
    assert listed("--as-of", "2025-10-15")["unassigned"]["runs"] == 2


def test_shoe_crossing_450_and_800_km(home, road_runs):
    runs = road_runs.iloc[:2]
    first, second = runs["km"]
    ok("shoes", "add", "Near 450", "--start-km", f"{450 - first - second / 2:.6f}", "--default")
    ok("shoes", "add", "Near 800", "--start-km", f"{800 - first - second / 2:.6f}")
    import_runs(runs["path"].iloc[0])
    near = by_name(listed("--as-of", "2026-03-14"))["Near 450"]
    assert near["km"] == pytest.approx(450 - second / 2, abs=1e-3)
    assert near["status"] == "ok"
    import_runs(runs["path"].iloc[1])  # the default shoe crosses 450 km
    near = by_name(listed("--as-of", "2026-03-14"))["Near 450"]
    assert near["km"] == pytest.approx(450 + second / 2, abs=1e-3)
    assert near["status"] == "plan replacement"
    ids = [r["activity_id"] for r in json.loads(ok("log", "--json"))]
    ok("shoes", "assign", "near 800", ids[0])
    near = by_name(listed("--as-of", "2026-03-14"))["Near 800"]
    assert near["km"] == pytest.approx(800 - second / 2, abs=1e-3)
    assert near["status"] == "plan replacement"
    ok("shoes", "assign", "near 800", ids[1])  # crosses 800 km
    data = by_name(listed("--as-of", "2026-03-14"))
    assert data["Near 800"]["km"] == pytest.approx(800 + second / 2, abs=1e-3)
    assert data["Near 800"]["status"] == "replace"
    assert data["Near 800"]["pct_of_800"] > 100
    assert data["Near 450"]["km"] == pytest.approx(450 - first - second / 2, abs=1e-3)  # runs moved away
    assert data["Near 450"]["status"] == "ok"


def test_list_uses_configured_thresholds(home):
    home.mkdir(parents=True, exist_ok=True)
    (home / "hiprisk.toml").write_text("[rules.shoe_mileage]\ncaution_km = 400\nhigh_km = 700\n")
    ok("shoes", "add", "A", "--start-km", "420")
    ok("shoes", "add", "B", "--start-km", "700")
    data = by_name(listed())
    assert (data["A"]["status"], data["B"]["status"]) == ("plan replacement", "replace")
    assert data["B"]["pct_of_800"] == pytest.approx(87.5)  # the column stays "% of 800 km"


# -- assign --------------------------------------------------------------------------------------------


def test_assign_ids_prefixes_and_errors(home, road_runs):
    ok("shoes", "add", "A", "--default")
    ok("shoes", "add", "Pegasus 40")
    import_runs(*road_runs["path"].iloc[:3])
    ids = [r["activity_id"] for r in json.loads(ok("log", "--json"))]
    result = fails("shoes", "assign", "Pegasus 40", ids[0][:7], "0000000000000000", ids[1])
    assert result.stderr == "error: unknown activity '0000000000000000'\n"
    assert {r["shoe"] for r in json.loads(ok("log", "--json"))} == {"A"}  # nothing half-applied
    result = fails("shoes", "assign", "Pegasus 4", ids[0])
    assert result.stderr == "error: unknown shoe 'Pegasus 4'; did you mean 'Pegasus 40'?\n"
    assert ok("shoes", "assign", "pegasus 40", ids[0][:7]) == (
        "assigned 'Pegasus 40' to 1 activity (moved from 'A': 1)\n"
    )
    assert ok("shoes", "assign", "PEGASUS 40", ids[0], ids[1]) == (
        "assigned 'Pegasus 40' to 2 activities (moved from 'A': 1)\n"
    )
    assert [r["shoe"] for r in json.loads(ok("log", "--json"))] == ["Pegasus 40", "Pegasus 40", "A"]


def test_assign_range_and_usage_errors(home, road_runs):
    runs = road_runs.iloc[:3]  # local days 2025-09-11, 2025-09-15, 2025-09-19 (+08:00)
    import_runs(*runs["path"])
    ok("shoes", "add", "Range pair")
    assert ok("shoes", "assign", "range pair", "--from", "2025-09-12", "--until", "2025-09-19") == (
        "assigned 'Range pair' to 2 runs from 2025-09-12 to 2025-09-19\n"
    )
    assert ok("shoes", "assign", "Range pair", "--until", "2025-09-11") == (
        "assigned 'Range pair' to 1 run up to 2025-09-11\n"
    )
    assert ok("shoes", "assign", "Range pair", "--from", "2030-01-01") == (
        "no runs from 2030-01-01 on: nothing assigned\n"
    )
    shoes = [r["shoe"] for r in json.loads(ok("log", "--json"))]
    assert shoes == ["Range pair"] * 3
    assert "give activity ids, or --from/--until" in fails("shoes", "assign", "Range pair").output
    assert "not both" in fails("shoes", "assign", "Range pair", "abc", "--from", "2025-01-01").output
    result = fails("shoes", "assign", "Nope", "--from", "2030-01-01")
    assert result.stderr == "error: unknown shoe 'Nope'\n"
    ok("shoes", "retire", "Range pair", "--on", "2025-09-15")
    assert ok("shoes", "assign", "range pair", "--from", "2025-09-01") == (
        "assigned 'Range pair' to 3 runs from 2025-09-01 on\n"
        "note: 'Range pair' was retired on 2025-09-15; 2 of these activities are from that day on\n"
    )
    result = fails("shoes", "assign", "Range pair", "--from", "2025-09-20", "--until", "2025-09-01")
    assert result.stderr == "error: --from 2025-09-20 is after --until 2025-09-01\n"


# -- default / retire / rename -------------------------------------------------------------------------


def test_default_messages(home):
    ok("shoes", "add", "Road pair", "--default")
    ok("shoes", "add", "Hoka Speedgoat 5 (trail) ✓")
    assert ok("shoes", "default", "hoka speedgoat 5 (TRAIL) ✓", "--for", "trail") == (
        "'Hoka Speedgoat 5 (trail) ✓' is now the default shoe for trail runs\n"
    )
    assert ok("shoes", "default", "Hoka Speedgoat 5 (trail) ✓") == (
        "'Hoka Speedgoat 5 (trail) ✓' is now the default shoe for new runs (was 'Road pair')\n"
    )
    assert "'mud' is not one of" in fails("shoes", "default", "Road pair", "--for", "mud").output
    assert fails("shoes", "default", "Raod pair").stderr == (
        "error: unknown shoe 'Raod pair'; did you mean 'Road pair'?\n"
    )


def test_trail_default_on_import(home, corpus):
    ok("shoes", "add", "Road pair", "--default")
    ok("shoes", "add", "Trail pair")
    ok("shoes", "default", "Trail pair", "--for", "trail")
    trail = corpus / "history" / "514755390.fit"  # FIT sub_sport trail (index.csv)
    road = corpus / "history" / "517815478.fit"  # FIT sub_sport generic
    import_runs(str(trail), str(road))
    log = json.loads(ok("log", "--json"))
    assert {Path(r["source_path"]).name: r["shoe"] for r in log} == {
        "514755390.fit": "Trail pair",
        "517815478.fit": "Road pair",
    }
    data = by_name(listed("--as-of", "2025-09-30"))
    assert data["Trail pair"]["trail_km"] == pytest.approx(
        7.2784, abs=1e-3
    )  # index.csv total_distance 7278.4 m
    assert data["Trail pair"]["default_for"] == "trail"


def test_retire_stops_assignment_and_messages(home, road_runs):
    runs = road_runs.iloc[:3]  # UTC days 2025-09-11, -15, -19
    ok("shoes", "add", "Old pair", "--default")
    assert ok("shoes", "retire", "old pair", "--on", "2025-09-17") == (
        "retired 'Old pair' from 2025-09-17: new runs from that day on no longer get it\n"
        'note: it was a default shoe; set another with: hiprisk shoes default "NAME"\n'
    )
    import_runs(*runs["path"])
    shoes = [r["shoe"] for r in json.loads(ok("log", "--json"))]
    assert shoes == ["Old pair", "Old pair", None]
    data = listed("--as-of", "2025-10-01")
    assert by_name(data)["Old pair"]["status"] == "retired"
    assert by_name(data)["Old pair"]["retired_on"] == "2025-09-17"
    assert data["unassigned"] == {"km": pytest.approx(runs["km"].iloc[2], abs=1e-3), "runs": 1}
    assert fails("shoes", "default", "Old pair").stderr == (
        "error: shoe 'Old pair' is retired (on 2025-09-17); undo that first with:"
        " hiprisk shoes retire 'Old pair' --undo\n"
    )
    assert ok("shoes", "retire", "Old pair", "--undo") == "'Old pair' is back in use\n"
    assert by_name(listed("--as-of", "2025-10-01"))["Old pair"]["status"] == "ok"
    assert (
        "--undo takes no --on" in fails("shoes", "retire", "Old pair", "--undo", "--on", "2025-01-01").output
    )


def test_retire_default_day_is_today(home):
    ok("shoes", "add", "Pair")
    out = ok("shoes", "retire", "Pair")
    day = by_name(listed())["Pair"]["retired_on"]
    assert out == f"retired 'Pair' from {day}: new runs from that day on no longer get it\n"
    assert by_name(listed())["Pair"]["status"] == "retired"


def test_rename(home, road_runs):
    ok("shoes", "add", "pegasus 40", "--default")
    ok("shoes", "add", "Other")
    import_runs(road_runs["path"].iloc[0])
    assert ok("shoes", "rename", "PEGASUS 40", "Pegasus 40") == "renamed 'pegasus 40' to 'Pegasus 40'\n"
    assert ok("shoes", "rename", "Pegasus 40", "Nike Pegasus 40 ✓") == (
        "renamed 'Pegasus 40' to 'Nike Pegasus 40 ✓'\n"
    )
    assert [r["shoe"] for r in json.loads(ok("log", "--json"))] == ["Nike Pegasus 40 ✓"]  # runs follow
    assert fails("shoes", "rename", "other", "nike pegasus 40 ✓").stderr == (
        "error: a shoe named 'Nike Pegasus 40 ✓' already exists\n"
    )
    assert fails("shoes", "rename", "Pegasus 40", "X").stderr == (
        "error: unknown shoe 'Pegasus 40'; did you mean 'Nike Pegasus 40 ✓'?\n"
    )


# -- Strava export gear --------------------------------------------------------------------------------


def test_strava_gear_through_cli(home, corpus, tmp_path):
    from tests.test_shoes import write_strava_export

    home.mkdir(parents=True, exist_ok=True)
    (home / "hiprisk.toml").write_text('[athlete]\ntimezone = "UTC"\n')  # GPX times carry no offset
    export = write_strava_export(corpus, tmp_path / "strava")
    import_runs(str(export))
    data = listed("--as-of", "2026-01-01")
    assert [s["name"] for s in data["shoes"]] == ["Nike Pegasus 40"]
    peg = data["shoes"][0]
    assert peg["runs"] == 2
    assert peg["first_use"] == "2016-07-12"  # Strava Activity Date of 638693618
    assert peg["last_use"] == "2016-08-08"
    # Strava's own distances for the two runs: 7830.600098 m + 8032.5 m
    assert peg["km"] == pytest.approx(15.863, rel=0.02)
    assert data["unassigned"]["runs"] == 0
