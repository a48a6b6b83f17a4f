"""hiprisk.shoes: name matching, the mileage table (pure), and the store-backed gear functions.

Real runs come from the corpus history (one runner's fēnix 6X, 2025-09 → 2026-03); their distances,
sub-sports and start times are checked against ``history/index.csv`` (the files' own FIT session values),
never against our own output.
"""

from __future__ import annotations

import json
import math
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hiprisk
from hiprisk import shoes
from hiprisk.errors import ConfigError, NotFoundError
from hiprisk.store import Store

# -- helpers -------------------------------------------------------------------------------------------


def make_log(rows: list[dict]) -> pd.DataFrame:
    """A minimal training log: the columns shoe_table reads."""
    base = {"is_running": True, "trail": False, "shoe": None, "distance_km": 5.0}
    recs = []
    for i, row in enumerate(rows):
        rec = base | row
        rec.setdefault("activity_id", f"a{i:04d}")
        rec["local_date"] = pd.Timestamp(rec["local_date"])
        recs.append(rec)
    if not recs:
        return pd.DataFrame(
            columns=["activity_id", "local_date", "is_running", "trail", "shoe", "distance_km"]
        )
    return pd.DataFrame(recs)


def make_shoes(rows: list[dict]) -> pd.DataFrame:
    recs = []
    for i, row in enumerate(rows, start=1):
        recs.append(
            {
                "shoe_id": i,
                "brand": None,
                "start_km": 0.0,
                "from_date": None,
                "retired_on": None,
                "retire_at_km": None,
                "is_default": False,
                "default_for": None,
            }
            | row
        )
    return pd.DataFrame(recs)


def row_of(table: pd.DataFrame, name: str) -> pd.Series:
    hits = table[table["name"] == name]
    assert len(hits) == 1, f"{name!r} not once in {list(table['name'])}"
    return hits.iloc[0]


AS_OF = pd.Timestamp("2026-03-01")


# -- names ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given_name",
    ["Pegasus 40", "pegasus 40", "PEGASUS 40", "  Pegasus 40  ", "Pegasus\t 40", "Pegasus 40\n"],
)
def test_name_variants_are_one_shoe(given_name):
    assert shoes.name_key(given_name) == shoes.name_key("Pegasus 40")
    assert shoes.find_shoe(given_name, ["Speedgoat 5", "Pegasus 40"]) == "Pegasus 40"


def test_unicode_names_nfc_and_case_beyond_ascii():
    composed = "Éclair Trail ✓"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert shoes.normalise_name(decomposed + "  ") == composed
    assert shoes.name_key("ÉCLAIR TRAIL ✓") == shoes.name_key(decomposed)  # SQLite NOCASE cannot do this
    assert shoes.normalise_name("Hoka Speedgoat 5 (trail) ✓ ") == "Hoka Speedgoat 5 (trail) ✓"


@pytest.mark.parametrize("bad", ["", "   ", "a\x00b", "x" * 101])
def test_bad_names_refused(bad):
    with pytest.raises(ConfigError):
        shoes.normalise_name(bad)


def test_closest_name_suggestions():
    names = ["Pegasus 40", "Hoka Speedgoat 5", "Clifton 9"]
    assert shoes.closest_name("Pegasus 4", names) == "Pegasus 40"
    assert shoes.closest_name("speedgoat", names) == "Hoka Speedgoat 5"
    assert shoes.closest_name("zzzz", names) is None


# -- status thresholds ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("km", "expected"),
    [
        (0.0, "ok"),
        (449.99, "ok"),
        (450.0, "plan replacement"),
        (799.99, "plan replacement"),
        (800.0, "replace"),
    ],
)
def test_status_boundaries_450_800(km, expected):
    assert shoes.shoe_status(km, retired=False) == expected


def test_status_own_limit_and_retired():
    assert shoes.shoe_status(599.0, False, retire_at_km=600.0) == "plan replacement"
    assert shoes.shoe_status(600.0, False, retire_at_km=600.0) == "replace"
    assert shoes.shoe_status(337.4, False, retire_at_km=600.0) == "ok"  # plan at 600 * 450/800 = 337.5
    assert shoes.shoe_status(337.5, False, retire_at_km=600.0) == "plan replacement"
    assert shoes.shoe_status(900.0, True) == "retired"
    assert shoes.shoe_status(500.0, False, plan_km=400.0, replace_km=500.0) == "replace"


# -- shoe_table (pure) ---------------------------------------------------------------------------------


def test_shoe_table_km_runs_dates_and_columns():
    log = make_log(
        [
            {"local_date": "2026-01-05", "shoe": "Pegasus 40", "distance_km": 10.0},
            {"local_date": "2026-01-07", "shoe": "pegasus 40 ", "distance_km": 12.5},  # case/space variant
            {"local_date": "2026-01-08", "shoe": "Pegasus 40", "distance_km": 30.0, "is_running": False},
            {"local_date": "2026-01-09", "shoe": "Speedgoat", "distance_km": 8.0, "trail": True},
            {"local_date": "2026-01-10", "shoe": None, "distance_km": 6.0},
            {"local_date": "2026-03-02", "shoe": "Pegasus 40", "distance_km": 99.0},  # after as_of
        ]
    )
    table = shoes.shoe_table(
        log, make_shoes([{"name": "Pegasus 40", "start_km": 100.0, "brand": "Nike"}]), AS_OF
    )
    assert list(table.columns) == shoes.SHOE_TABLE_COLUMNS
    peg = row_of(table, "Pegasus 40")
    assert peg["km"] == pytest.approx(122.5)  # 100 start + 10 + 12.5; the walk and the later run excluded
    assert peg["runs"] == 2
    assert peg["first_use"] == pd.Timestamp("2026-01-05")
    assert peg["last_use"] == pd.Timestamp("2026-01-07")
    assert peg["pct_of_800"] == pytest.approx(122.5 / 8)
    assert peg["brand"] == "Nike"
    goat = row_of(table, "Speedgoat")  # only in the log: gets a row of its own
    assert goat["km"] == pytest.approx(8.0)
    assert goat["trail_km"] == pytest.approx(8.0)
    assert shoes.unassigned_runs(log, AS_OF) == (pytest.approx(6.0), 1)


def test_shoe_table_without_shoes_table_uses_log_names():
    log = make_log([{"local_date": "2026-01-05", "shoe": "A", "distance_km": 3.0}])
    table = shoes.shoe_table(log, None, AS_OF)
    assert list(table["name"]) == ["A"]
    assert not table["is_default"].iloc[0]
    assert table["status"].iloc[0] == "ok"


def test_shoe_table_empty_log_lists_shoes():
    table = shoes.shoe_table(make_log([]), make_shoes([{"name": "New pair", "start_km": 460.0}]), AS_OF)
    assert table["km"].iloc[0] == 460.0
    assert table["runs"].iloc[0] == 0
    assert pd.isna(table["first_use"].iloc[0])
    assert table["status"].iloc[0] == "plan replacement"


def test_missing_or_negative_distance_counts_zero():
    log = make_log(
        [
            {"local_date": "2026-01-05", "shoe": "A", "distance_km": float("nan")},
            {"local_date": "2026-01-06", "shoe": "A", "distance_km": -4.0},
            {"local_date": "2026-01-07", "shoe": "A", "distance_km": 2.0},
        ]
    )
    a = row_of(shoes.shoe_table(log, None, AS_OF), "A")
    assert a["km"] == pytest.approx(2.0)
    assert a["runs"] == 3


def test_retired_status_is_as_of_the_day():
    shoe_rows = make_shoes([{"name": "Old", "retired_on": "2026-02-01", "start_km": 10.0}])
    log = make_log([{"local_date": "2026-01-05", "shoe": "Old"}])
    assert row_of(shoes.shoe_table(log, shoe_rows, "2026-01-31"), "Old")["status"] == "ok"
    retired = row_of(shoes.shoe_table(log, shoe_rows, "2026-02-01"), "Old")
    assert retired["status"] == "retired"
    assert retired["retired_on"] == pd.Timestamp("2026-02-01")


def test_retired_shoes_listed_last():
    shoe_rows = make_shoes(
        [{"name": "Old", "retired_on": "2025-12-01", "start_km": 900.0}, {"name": "New", "start_km": 1.0}]
    )
    assert list(shoes.shoe_table(make_log([]), shoe_rows, AS_OF)["name"]) == ["New", "Old"]


def test_rotation_share_window_is_8_weeks_ending_as_of():
    start = AS_OF - pd.Timedelta(days=55)  # first day inside the 56-day window
    log = make_log(
        [
            {"local_date": AS_OF - pd.Timedelta(days=56), "shoe": "A", "distance_km": 100.0},  # just outside
            {"local_date": start, "shoe": "A", "distance_km": 30.0},
            {"local_date": AS_OF, "shoe": "B", "distance_km": 10.0},
            {"local_date": AS_OF - pd.Timedelta(days=3), "shoe": None, "distance_km": 10.0},
        ]
    )
    summary = shoes.gear_summary(log, None, AS_OF)
    t = summary.table
    assert row_of(t, "A")["share_8wk_pct"] == pytest.approx(60.0)  # 30 of 50 km
    assert row_of(t, "B")["share_8wk_pct"] == pytest.approx(20.0)
    assert summary.km_8wk == pytest.approx(50.0)
    assert summary.in_rotation == ["A", "B"]  # both carry ≥ 10 %
    assert row_of(t, "A")["km"] == pytest.approx(130.0)


def test_rotation_minimum_share():
    log = make_log(
        [
            {"local_date": "2026-02-20", "shoe": "Main", "distance_km": 95.0},
            {"local_date": "2026-02-21", "shoe": "Borrowed", "distance_km": 5.0},
        ]
    )
    summary = shoes.gear_summary(log, None, AS_OF)
    assert summary.in_rotation == ["Main"]  # 5 % is under ROTATION_MIN_SHARE_PCT


def test_trail_in_road_shoes():
    shoe_rows = make_shoes(
        [
            {"name": "Road", "is_default": True},
            {"name": "Goat", "default_for": "trail"},
            {"name": "Mostly trail"},
        ]
    )
    log = make_log(
        [
            {"local_date": "2026-02-01", "shoe": "Road", "distance_km": 40.0},
            {"local_date": "2026-02-02", "shoe": "Road", "distance_km": 12.0, "trail": True},
            {"local_date": "2026-02-03", "shoe": "Goat", "distance_km": 20.0, "trail": True},
            {"local_date": "2026-02-04", "shoe": "Mostly trail", "distance_km": 15.0, "trail": True},
            {"local_date": "2026-02-05", "shoe": "Mostly trail", "distance_km": 5.0},
            {"local_date": "2025-10-01", "shoe": "Road", "distance_km": 7.0, "trail": True},  # before window
        ]
    )
    summary = shoes.gear_summary(log, shoe_rows, AS_OF)
    t = summary.table
    road = row_of(t, "Road")
    assert bool(road["road_shoe"])
    assert road["trail_km"] == pytest.approx(19.0)
    assert road["trail_in_road_km_8wk"] == pytest.approx(12.0)
    assert not bool(row_of(t, "Goat")["road_shoe"])  # the trail default
    assert not bool(row_of(t, "Mostly trail")["road_shoe"])  # 75 % of its km on trails
    assert summary.trail_in_road == {"Road": pytest.approx(12.0)}


def test_summary_to_dict_is_json():
    shoe_rows = make_shoes([{"name": "Éclair ✓", "retired_on": "2026-01-01", "is_default": True}])
    log = make_log([{"local_date": "2025-12-01", "shoe": "Éclair ✓"}, {"local_date": "2026-02-01"}])
    data = json.loads(json.dumps(shoes.gear_summary(log, shoe_rows, AS_OF).to_dict()))
    (rec,) = data["shoes"]
    assert rec["name"] == "Éclair ✓"
    assert rec["retired_on"] == "2026-01-01"
    assert rec["first_use"] == "2025-12-01"
    assert rec["status"] == "retired"
    assert data["unassigned"] == {"km": 5.0, "runs": 1}
    assert data["as_of"] == "2026-03-01"


# -- property: km never decrease -----------------------------------------------------------------------

run_strategy = st.fixed_dictionaries(
    {
        "local_date": st.dates(min_value=pd.Timestamp("2025-01-01").date(), max_value=AS_OF.date()),
        "shoe": st.sampled_from([None, "A", "a ", "B", "Ünïcode ✓"]),
        "distance_km": st.one_of(
            st.floats(min_value=-5, max_value=60, allow_nan=False), st.just(float("nan"))
        ),
        "is_running": st.booleans(),
        "trail": st.booleans(),
    }
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=st.lists(run_strategy, max_size=12),
    added=st.lists(run_strategy, min_size=1, max_size=6),
    start_km=st.floats(min_value=0, max_value=900),
)
def test_shoe_km_never_decrease_when_runs_are_added(before, added, start_km):
    shoe_rows = make_shoes([{"name": "A", "start_km": start_km}, {"name": "B"}])
    old = shoes.shoe_table(make_log(before), shoe_rows, AS_OF).set_index("name")
    new = shoes.shoe_table(make_log(before + added), shoe_rows, AS_OF).set_index("name")
    for name in old.index:
        assert new.loc[name, "km"] >= old.loc[name, "km"] - 1e-9
        assert new.loc[name, "runs"] >= old.loc[name, "runs"]
        assert new.loc[name, "km"] >= new.loc[name, "start_km"]
    order = ["ok", "plan replacement", "replace"]
    for name in old.index:  # status only moves towards "replace"
        assert order.index(new.loc[name, "status"]) >= order.index(old.loc[name, "status"])
    # every running km is either on a shoe or unassigned
    log = make_log(before + added)
    run_km = np.clip(np.nan_to_num(log.loc[log["is_running"], "distance_km"].astype(float)), 0, None).sum()
    unassigned, _ = shoes.unassigned_runs(log, AS_OF)
    assert new["logged_km"].sum() + unassigned == pytest.approx(run_km)


# -- store-backed functions ----------------------------------------------------------------------------


def test_add_default_rename_retire_roundtrip(home):
    assert shoes.add_shoe(" Pegasus  40 ", brand="Nike", start_km=12.0, default=True) == "Pegasus 40"
    with pytest.raises(ConfigError, match="already exists"):
        shoes.add_shoe("PEGASUS 40")
    shoes.add_shoe("Hoka Speedgoat 5 (trail) ✓")
    assert shoes.set_default("hoka speedgoat 5 (TRAIL) ✓", "trail") == ("Hoka Speedgoat 5 (trail) ✓", None)
    assert shoes.set_default("Hoka Speedgoat 5 (trail) ✓") == ("Hoka Speedgoat 5 (trail) ✓", "Pegasus 40")
    raw = shoes.load_shoes().set_index("name")
    assert list(raw.columns) == [c for c in shoes.SHOE_COLUMNS if c != "name"]
    assert raw.loc["Hoka Speedgoat 5 (trail) ✓", "is_default"]
    assert not raw.loc["Pegasus 40", "is_default"]  # only one general default
    assert raw.loc["Hoka Speedgoat 5 (trail) ✓", "default_for"] == "trail"
    assert shoes.rename_shoe("pegasus 40", "Nike Pegasus 40") == ("Pegasus 40", "Nike Pegasus 40")
    assert shoes.rename_shoe("nike pegasus 40", "NIKE Pegasus 40") == ("Nike Pegasus 40", "NIKE Pegasus 40")
    with pytest.raises(ConfigError, match="already exists"):
        shoes.rename_shoe("NIKE Pegasus 40", "hoka speedgoat 5 (trail) ✓")
    done = shoes.retire_shoe("nike pegasus 40", on="2026-03-01")
    assert (done.shoe, done.day, done.was_default) == ("NIKE Pegasus 40", "2026-03-01", False)
    with pytest.raises(ConfigError, match="is retired"):
        shoes.set_default("NIKE Pegasus 40")
    assert shoes.retire_shoe("NIKE Pegasus 40", undo=True).day is None
    raw = shoes.load_shoes().set_index("name")
    assert pd.isna(raw.loc["NIKE Pegasus 40", "retired_on"])
    assert raw.loc["NIKE Pegasus 40", "brand"] == "Nike"
    assert raw.loc["NIKE Pegasus 40", "start_km"] == 12.0


def test_unknown_shoe_suggests_closest(home):
    shoes.add_shoe("Pegasus 40")
    with pytest.raises(NotFoundError) as err:
        shoes.set_default("Pegasus 4")
    assert str(err.value) == "unknown shoe 'Pegasus 4'; did you mean 'Pegasus 40'?"
    with pytest.raises(NotFoundError, match="^unknown shoe 'Nothing like it'$"):
        shoes.retire_shoe("Nothing like it", on="2026-01-01")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start_km": -1.0}, "--start-km must be a non-negative"),
        ({"start_km": float("nan")}, "--start-km must be a non-negative"),
        ({"retire_at_km": 0.0}, "--retire-at must be a positive"),
    ],
)
def test_add_refuses_bad_values(home, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        shoes.add_shoe("X", **kwargs)
    assert shoes.load_shoes().empty


def test_bad_sub_sport_refused(home):
    shoes.add_shoe("X")
    with pytest.raises(ConfigError, match="unknown running sub-sport 'mud'"):
        shoes.set_default("X", "mud")


# -- real runs from the corpus -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def history(corpus) -> pd.DataFrame:
    """history/index.csv (the files' own FIT session values), oldest first, with ``path``."""
    idx = pd.read_csv(corpus / "history" / "index.csv")
    idx["start"] = pd.to_datetime(idx["start_time"], utc=True)
    idx["path"] = [corpus / "history" / f for f in idx["file"]]
    idx["km"] = idx["total_distance"] / 1000.0
    return idx.sort_values("start").reset_index(drop=True)


@pytest.fixture(scope="module")
def road_runs(history) -> pd.DataFrame:
    """The generic (road) runs, oldest first: short files, quick to import."""
    return history[history["sub_sport"] == "generic"].reset_index(drop=True)


def import_files(home: Path, paths) -> hiprisk.ImportSummary:
    with Store(home) as store:
        summary = hiprisk.import_paths([str(p) for p in paths], store, workers=1)
    assert not summary.failed, summary.failed
    return summary


def shoe_by_file(home: Path) -> dict[str, str | None]:
    log = hiprisk.load_log(home)
    return {Path(p).name: s for p, s in zip(log["source_path"], log["shoe"], strict=True)}


def test_default_and_trail_default_on_import(home, history):
    first = history.iloc[:4]
    assert set(first["sub_sport"]) == {"generic", "trail"}  # the oracle: the files' own sub_sport
    shoes.add_shoe("Pegasus 40", default=True)
    shoes.add_shoe("Speedgoat 5")
    shoes.set_default("speedgoat 5", "trail")
    import_files(home, first["path"])
    got = shoe_by_file(home)
    log = hiprisk.load_log(home).assign(file=lambda d: d["source_path"].map(lambda p: Path(p).name))
    inferred = dict(zip(log["file"], log["trail_inferred"], strict=True))
    for f, sub in zip(first["file"], first["sub_sport"], strict=True):
        if sub == "trail" or inferred[f]:
            assert got[f] == "Speedgoat 5", f
        else:
            assert got[f] == "Pegasus 40", f
    table = shoes.shoe_table(hiprisk.load_log(home), shoes.load_shoes(), "2026-03-14").set_index("name")
    trail_files = first[first["sub_sport"] == "trail"]
    assert table.loc["Speedgoat 5", "km"] >= trail_files["km"].sum() - 1e-6
    assert table["km"].sum() == pytest.approx(first["km"].sum())
    assert table.loc["Speedgoat 5", "trail_km"] == pytest.approx(table.loc["Speedgoat 5", "km"])


def test_shoe_crosses_450_and_800_km_with_real_runs(home, road_runs):
    runs = road_runs.iloc[:4]
    total = runs["km"].sum()
    last = runs["km"].iloc[-1]
    # the first 3 runs leave it just under 450 km, the 4th takes it over
    shoes.add_shoe("Near 450", start_km=450.0 - total + last / 2, default=True)
    import_files(home, runs["path"].iloc[:3])
    near = row_of(shoes.shoe_table(hiprisk.load_log(home), shoes.load_shoes(), "2026-03-14"), "Near 450")
    assert near["km"] == pytest.approx(450.0 - last / 2)
    assert near["status"] == "ok"
    import_files(home, runs["path"].iloc[3:])
    near = row_of(shoes.shoe_table(hiprisk.load_log(home), shoes.load_shoes(), "2026-03-14"), "Near 450")
    assert near["km"] == pytest.approx(450.0 + last / 2)
    assert near["status"] == "plan replacement"
    assert near["runs"] == 4
    # the same runs on a pair that had 800 - total + last/2 km: crosses 800 with the last run
    shoes.add_shoe("Near 800", start_km=800.0 - total + last / 2)
    ids = list(hiprisk.load_log(home)["activity_id"])
    shoes.assign_shoe("near 800", ids[:3])
    near800 = row_of(shoes.shoe_table(hiprisk.load_log(home), shoes.load_shoes(), "2026-03-14"), "Near 800")
    assert near800["status"] == "plan replacement"
    shoes.assign_shoe("near 800", ids[3:])
    near800 = row_of(shoes.shoe_table(hiprisk.load_log(home), shoes.load_shoes(), "2026-03-14"), "Near 800")
    assert near800["km"] == pytest.approx(800.0 + last / 2)
    assert near800["status"] == "replace"
    assert near800["pct_of_800"] > 100.0


def test_retiring_stops_automatic_assignment(home, road_runs):
    runs = road_runs.iloc[:4]
    days = runs["start"].dt.normalize()
    # retire between two runs at least 2 UTC days apart, so UTC and local days agree on the side
    cut = next(i for i in range(len(runs) - 1) if (days.iloc[i + 1] - days.iloc[i]).days >= 2)
    retire_day = (days.iloc[cut] + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    shoes.add_shoe("Old pair", default=True)
    shoes.retire_shoe("old pair", on=retire_day)
    import_files(home, runs["path"])
    got = shoe_by_file(home)
    before, after = runs["file"].iloc[: cut + 1], runs["file"].iloc[cut + 1 :]
    assert len(before) and len(after)
    assert [got[f] for f in before] == ["Old pair"] * len(before)
    assert [got[f] for f in after] == [None] * len(after)
    summary = shoes.gear_summary(hiprisk.load_log(home), shoes.load_shoes(), "2026-03-14")
    assert summary.unassigned_runs == len(after)
    assert summary.unassigned_km == pytest.approx(runs["km"].iloc[cut + 1 :].sum())
    assert row_of(summary.table, "Old pair")["status"] == "retired"
    assert row_of(summary.table, "Old pair")["km"] == pytest.approx(runs["km"].iloc[: cut + 1].sum())


def test_retirement_day_itself_gets_no_shoe(home, history):
    """A run on the retirement day (the athlete's local day) no longer gets the retired shoe.

    518421614.fit starts 2025-09-12 23:56 UTC, i.e. 2025-09-13 07:56 local (+08:00, its FIT local time).
    """
    run = history[history["file"] == "518421614.fit"].iloc[0]
    assert run["start"] == pd.Timestamp("2025-09-12 23:56:46", tz="UTC")
    shoes.add_shoe("Old pair", default=True)
    shoes.retire_shoe("Old pair", on="2025-09-13")
    import_files(home, [run["path"]])
    assert shoe_by_file(home)["518421614.fit"] is None


def test_from_date_starts_automatic_assignment(home, road_runs):
    runs = road_runs.iloc[:3]
    first_day = runs["start"].iloc[2].strftime("%Y-%m-%d")
    shoes.add_shoe("New pair", default=True, from_date=first_day)
    import_files(home, runs["path"])
    got = shoe_by_file(home)
    assert [got[f] for f in runs["file"]] == [None, None, "New pair"]


def test_assign_is_all_or_nothing_and_accepts_prefixes(home, road_runs):
    runs = road_runs.iloc[:4]
    shoes.add_shoe("A", default=True)
    shoes.add_shoe("B")
    import_files(home, runs["path"])
    ids = list(hiprisk.load_log(home)["activity_id"])
    with pytest.raises(NotFoundError, match="unknown activity 'ffffffffffff'"):
        shoes.assign_shoe("B", [ids[0][:8], ids[1], "ffffffffffff", ids[2]])
    assert set(hiprisk.load_log(home)["shoe"]) == {"A"}  # nothing half-applied
    with pytest.raises(NotFoundError, match="unknown shoe 'C'"):
        shoes.assign_shoe("C", ids[:2])
    done = shoes.assign_shoe("b", [ids[0][:8], ids[1], ids[1][:10]])  # duplicates collapse
    assert done.shoe == "B"
    assert done.activity_ids == ids[:2]
    assert done.moved == {"A": 2}
    assert list(hiprisk.load_log(home)["shoe"]) == ["B", "B", "A", "A"]


def test_assign_date_range_uses_local_days(home, history):
    runs = history.iloc[1:5]
    import_files(home, runs["path"])
    shoes.add_shoe("Range pair")
    # 518421614.fit: 2025-09-12 UTC but 2025-09-13 local; the range is in local days
    done = shoes.assign_shoe("range pair", since="2025-09-13", until="2025-09-15")
    log = hiprisk.load_log(home)
    got = dict(zip(log["source_path"].map(lambda p: Path(p).name), log["shoe"], strict=True))
    assert {f for f, s in got.items() if s == "Range pair"} == {"518421614.fit", "519243248.fit"}
    assert len(done.activity_ids) == 2
    empty = shoes.assign_shoe("Range pair", since="2020-01-01", until="2020-01-31")
    assert empty.activity_ids == []
    with pytest.raises(ConfigError, match="is after"):
        shoes.assign_shoe("Range pair", since="2025-09-15", until="2025-09-13")


def test_ambiguous_prefix_refused(home, road_runs):
    import_files(home, road_runs["path"].iloc[:2])
    shoes.add_shoe("A")
    with pytest.raises(ConfigError, match="ambiguous"):
        shoes.assign_shoe("A", [""])


# -- gear from exports ---------------------------------------------------------------------------------


def test_gear_records_from_export_fields():
    gear = [
        {
            "name": "Brooks Ghost 15 ",
            "kind": "shoe",
            "brand": "Brooks",
            "retired": True,
            "date_end": "2024-05-01",
        },
        {"name": "Trek Domane", "kind": "bike"},
        {
            "name": "Road pair",
            "max_distance_m": 700000.0,
            "default_sports": ["Run"],
            "date_begin": "2023-01-02",
        },
        {
            "name": "Trail pair",
            "default_sports": ["Trail Run", "Hike"],
            "aliases": ["Hoka Speedgoat", "Trail pair"],
        },
    ]
    recs = shoes.gear_records(gear)
    assert [r["name"] for r in recs] == ["Brooks Ghost 15", "Road pair", "Trail pair"]
    assert recs[0]["retired_on"] == "2024-05-01"
    assert recs[0]["brand"] == "Brooks"
    assert recs[1]["retire_at_km"] == pytest.approx(700.0)
    assert recs[1]["defaults"] == [""]
    assert recs[1]["from_date"] == "2023-01-02"
    assert recs[2]["defaults"] == ["trail"]
    assert recs[2]["aliases"] == ["Hoka Speedgoat"]


def test_apply_export_gear_fills_and_matches_aliases(home):
    shoes.add_shoe("Nike Pegasus 40", brand="My brand")  # as an activity's "Activity Gear" named it
    shoes.add_shoe("Main", default=True)
    out = shoes.apply_export_gear(
        [
            {"name": "Pegs", "brand": "Nike", "aliases": ["Nike Pegasus 40"], "default_sports": ["Run"]},
            {"name": "Ghost", "brand": "Brooks", "retired": True, "date_end": "2024-05-01"},
            {"name": "Goat", "brand": "Hoka", "default_sports": ["Trail Run"]},
        ]
    )
    assert out == {"created": ["Ghost", "Goat"], "updated": []}
    raw = shoes.load_shoes().set_index("name")
    assert "Pegs" not in raw.index  # matched through its alias, not duplicated
    assert raw.loc["Nike Pegasus 40", "brand"] == "My brand"  # what the user typed wins
    assert raw.loc["Main", "is_default"] and not raw.loc["Nike Pegasus 40", "is_default"]
    assert raw.loc["Ghost", "retired_on"] == pd.Timestamp("2024-05-01")
    assert raw.loc["Goat", "default_for"] == "trail"
    again = shoes.apply_export_gear([{"name": "ghost", "brand": "Other"}])
    assert again == {"created": [], "updated": []}


STRAVA_GEAR = {  # Strava activity id → Activity Gear written into a real-format activities.csv
    "638693618": "Nike Pegasus 40",
    "668551054": "nike pegasus 40",  # case variant of the same shoe
    "895988668": "Trek Domane",  # a ride: the gear is a bike, not a shoe
}


def write_strava_export(corpus: Path, target: Path) -> Path:
    """A Strava export folder: the corpus's real 77-column activities.csv rows with gear values set."""
    import csv
    import shutil

    src = corpus / "odd" / "strava-export-archipelagic"
    with open(src / "activities.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    assert len(header) == 77 and header[9] == "Activity Gear" and header[10] == "Filename"
    assert all(not r[9] for r in body)  # the real export has no gear values: we add them
    kept = []
    for row in body:
        if row[0] in STRAVA_GEAR:
            row = list(row)
            row[9] = STRAVA_GEAR[row[0]]
            kept.append(row)
    (target / "activities").mkdir(parents=True)
    for row in kept:
        shutil.copy(src / row[10], target / row[10])
    with open(target / "activities.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *kept])
    with open(target / "shoes.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(
            [
                ["Shoe Name", "Shoe Brand", "Shoe Model", "Shoe Default Sport Types"],
                ["", "Nike", "Pegasus 40", "Run"],
            ]
        )
    return target


def test_strava_activity_gear_import(home, corpus, tmp_path):
    export = write_strava_export(corpus, tmp_path / "strava")
    import_files(home, [export])
    log = hiprisk.load_log(home)
    by_file = dict(zip(log["source_path"].map(lambda p: Path(p).stem), log["shoe"], strict=True))
    assert by_file["638693618"] == "Nike Pegasus 40"
    assert by_file["668551054"] == "Nike Pegasus 40"
    assert by_file["895988668"] is None  # the bike is not a shoe
    assert list(shoes.load_shoes()["name"]) == ["Nike Pegasus 40"]
    # Strava's own distances (activities.csv, second Distance column, m): 7830.600098 + 8032.5
    table = shoes.shoe_table(log, shoes.load_shoes(), "2026-01-01")
    peg = row_of(table, "Nike Pegasus 40")
    assert peg["runs"] == 2
    assert peg["km"] == pytest.approx((7830.600098 + 8032.5) / 1000.0, rel=0.02)
    # the import also read the export's shoes.csv: brand filled, default for "Run"; doing it again is a no-op
    raw = shoes.load_shoes().set_index("name")
    assert raw.loc["Nike Pegasus 40", "brand"] == "Nike"
    assert shoes.import_export_gear([export]) == {"created": [], "updated": []}
    assert raw.loc["Nike Pegasus 40", "brand"] == "Nike"
    assert raw.loc["Nike Pegasus 40", "is_default"]


def test_km_never_decrease_on_real_imports(home, road_runs):
    shoes.add_shoe("A", default=True, start_km=3.0)
    seen = []
    for path in road_runs["path"].iloc[:3]:
        import_files(home, [path])
        km = row_of(shoes.shoe_table(hiprisk.load_log(home), shoes.load_shoes(), "2026-03-14"), "A")["km"]
        seen.append(km)
    assert seen == sorted(seen)
    assert math.isclose(seen[-1], 3.0 + road_runs["km"].iloc[:3].sum(), rel_tol=1e-9)


def test_garmin_gear_records(home):
    from hiprisk.importers.exports import GearRecord

    gear = [
        GearRecord(
            name="Brooks Ghost 15",
            kind="shoe",
            brand="Brooks",
            export="garmin",
            retired=True,
            date_begin="2023-02-01",
            date_end="2024-05-01",
            max_distance_m=650000.0,
        ),
        GearRecord(name="Edge bike", kind="bike", export="garmin"),
        GearRecord(name="Active pair", kind="shoe", export="garmin", retired=False, date_end="2030-01-01"),
    ]
    assert shoes.apply_export_gear(gear) == {"created": ["Brooks Ghost 15", "Active pair"], "updated": []}
    raw = shoes.load_shoes().set_index("name")
    assert raw.loc["Brooks Ghost 15", "retired_on"] == pd.Timestamp("2024-05-01")
    assert raw.loc["Brooks Ghost 15", "from_date"] == pd.Timestamp("2023-02-01")
    assert raw.loc["Brooks Ghost 15", "retire_at_km"] == pytest.approx(650.0)
    assert raw.loc["Brooks Ghost 15", "brand"] == "Brooks"
    assert pd.isna(raw.loc["Active pair", "retired_on"])  # not retired: its end date is not a retirement
