"""Gear: shoes, their mileage, default-shoe rules, rotation and trail use.

Runners manage shoes the way Strava and Garmin Connect taught them: a pair has a name (and maybe a brand),
new runs get the *default* shoe automatically, a trail shoe can be the default for trail runs, old runs can be
re-assigned, and a pair is *retired* when it is worn out. This module holds the pure functions on
DataFrames (:func:`shoe_table`, :func:`gear_summary`, name matching) and thin functions that call the store
(:func:`add_shoe`, :func:`assign_shoe`, ...); :mod:`hiprisk.store` does the writing, one transaction per
change.

Definitions
-----------
km of a shoe
    ``start_km`` (what the pair had run before hiprisk knew it) plus the distance of every **running**
    activity assigned to it up to ``as_of``. Walks and hikes in the shoe do not count (they are reported in
    the log but the 450–800 km guidance is about running). A negative or missing distance counts as 0, so
    a shoe's km never decrease when runs are added.
status
    ``retired`` when the shoe was retired on or before ``as_of``; else ``replace`` at ``replace_km``
    (default 800 km) or the shoe's own ``retire_at_km`` when set; ``plan replacement`` from ``plan_km``
    (default 450 km; scaled by ``retire_at_km / replace_km`` when the shoe has its own limit); else ``ok``.
    450 and 800 km are the practitioners' 450–800 km replacement range (a convention, not a trial result;
    see FACTORS.md "Worn-out shoes"). The ``shoe_mileage`` rule passes its own thresholds.
rotation (``share_8wk_pct``)
    each shoe's share of all running km in the 8 weeks ending on ``as_of`` (``as_of`` included); the rest is
    unassigned. A pair is *in rotation* when it carries at least ``ROTATION_MIN_SHARE_PCT`` of those km
    (our convention, so that one borrowed-pair run does not count as rotating). Parallel use of more than
    one pair was associated with a lower injury hazard (HR 0.614; Malisoux et al. 2015).
trail in road shoes (``trail_in_road_km_8wk``)
    a *road shoe* is a shoe that is not the trail default (``default_for != "trail"``) and whose logged
    running km are less than half on trails (a shoe with no logged km is a road shoe). Trail km of the last
    8 weeks run in road shoes are reported: trail shoes have lugs and protection a road shoe lacks.
names
    looked up case-insensitively after Unicode NFC normalisation and whitespace trimming (inner runs of
    whitespace collapse to one space): ``"Pegasus 40"``, ``"pegasus 40 "`` and ``"PEGASUS  40"`` are one
    shoe. Unknown names raise :class:`~hiprisk.errors.NotFoundError` with the closest known name.

References
----------
Malisoux L, Ramesh J, Mann R, Seil R, Urhausen A, Theisen D (2015). Can parallel use of different running
shoes decrease running-related injury risk? Scand J Med Sci Sports 25:110–115.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfigError
from .importers.base import RUNNING_SUB_SPORTS
from .log import parse_day
from .names import MAX_NAME_CHARS, closest_name, name_key, normalise_name  # noqa: F401 (re-exported)

PLAN_KM = 450.0  # "plan replacement" from here [km] (practitioner convention, FACTORS.md)
REPLACE_KM = 800.0  # "replace" from here [km] (practitioner convention, FACTORS.md)
REFERENCE_KM = 800.0  # pct_of_800 is relative to this [km]
ROTATION_WEEKS = 8  # window of the rotation share [weeks]
ROTATION_MIN_SHARE_PCT = 10.0  # a pair carrying at least this share of the window's km is "in rotation" [%]
ROAD_SHOE_MAX_TRAIL_SHARE = 0.5  # a shoe whose logged km are less than this share trail is a road shoe
STATUSES = ("ok", "plan replacement", "replace", "retired")

#: Columns of :func:`shoe_table`, in order.
SHOE_TABLE_COLUMNS = [
    "name", "brand", "km", "runs", "first_use", "last_use", "pct_of_800", "status", "retired_on",
    "is_default", "default_for", "share_8wk_pct", "trail_km",
    "shoe_id", "start_km", "logged_km", "from_date", "retire_at_km", "km_8wk", "trail_km_8wk", "road_shoe",
    "trail_in_road_km_8wk",
]  # fmt: skip

#: Columns of the raw shoes table (:func:`load_shoes`).
SHOE_COLUMNS = [
    "shoe_id", "name", "brand", "start_km", "from_date", "retired_on", "retire_at_km", "is_default",
    "default_for",
]  # fmt: skip


# -- names ---------------------------------------------------------------------------------------------
def find_shoe(name: str, names: Iterable[str]) -> str | None:
    """The known name that is the same shoe as ``name`` (case-insensitive, NFC), else None."""
    key = name_key(name)
    return next((n for n in names if n and name_key(n) == key), None)


# -- dates and values ----------------------------------------------------------------------------------
def day_text(value) -> str | None:
    """``YYYY-MM-DD`` of a day, None for None/NaT."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return parse_day(value).strftime("%Y-%m-%d")


def today(tz: str | None = None) -> pd.Timestamp:
    """Today's date (midnight, tz-naive) in the time zone ``tz`` (default: the system's)."""
    now = pd.Timestamp.now(tz=tz) if tz else pd.Timestamp.now()
    return now.tz_localize(None).normalize() if now.tzinfo else now.normalize()


def check_km(value, what: str, *, positive: bool = False) -> float | None:
    """A distance option: a finite number ≥ 0 (> 0 when ``positive``); None passes through."""
    if value is None:
        return None
    try:
        km = float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{what} must be a number of km, not {value!r}") from exc
    if not math.isfinite(km) or km < 0 or (positive and km == 0):
        raise ConfigError(f"{what} must be a {'positive' if positive else 'non-negative'} number of km")
    return km


def _clean_brand(brand) -> str | None:
    if not isinstance(brand, str):
        return None
    return " ".join(unicodedata.normalize("NFC", brand).split()) or None


def check_sub_sport(value: str | None) -> str | None:
    """A running sub-sport for per-sport defaults (``trail``, ``treadmill``, ...); None passes through."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if text not in RUNNING_SUB_SPORTS:
        raise ConfigError(f"unknown running sub-sport {value!r} (one of: {', '.join(RUNNING_SUB_SPORTS)})")
    return text


# -- the mileage table (pure) --------------------------------------------------------------------------
def shoe_status(
    km: float,
    retired: bool,
    retire_at_km: float | None = None,
    *,
    plan_km: float = PLAN_KM,
    replace_km: float = REPLACE_KM,
) -> str:
    """``ok``, ``plan replacement``, ``replace`` or ``retired`` for one shoe (thresholds inclusive)."""
    if retired:
        return "retired"
    limit = replace_km
    plan = plan_km
    if retire_at_km is not None and np.isfinite(retire_at_km) and retire_at_km > 0:
        limit = float(retire_at_km)
        plan = plan_km * limit / replace_km if replace_km > 0 else plan_km
    if km >= limit:
        return "replace"
    if km >= plan:
        return "plan replacement"
    return "ok"


def _local_dates(log: pd.DataFrame) -> pd.Series:
    """The local calendar day of each row (``local_date`` when present, else the UTC day)."""
    if "local_date" in log:
        return pd.to_datetime(log["local_date"]).dt.tz_localize(None).dt.normalize()
    start = pd.to_datetime(log["start_utc"], utc=True)
    return start.dt.tz_localize(None).dt.normalize()


def _running_rows(log: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Running rows up to ``as_of`` with ``day``, ``km`` (≥ 0), ``trail`` and ``key`` (shoe name key)."""
    if log is None or len(log) == 0:
        return pd.DataFrame(
            {
                "day": pd.Series(dtype="datetime64[ns]"),
                "km": pd.Series(dtype="float64"),
                "trail": pd.Series(dtype=bool),
                "key": pd.Series(dtype=object),
                "shoe": pd.Series(dtype=object),
            }
        )
    day = _local_dates(log)
    if "is_running" in log:
        running = log["is_running"].fillna(False).astype(bool)
    else:
        running = log["sport"].eq("running")
    keep = running & (day <= as_of)
    rows = log.loc[keep]
    km = pd.to_numeric(rows["distance_km"], errors="coerce").fillna(0.0).clip(lower=0.0)
    if "trail" in rows:
        trail = rows["trail"].fillna(False).astype(bool)
    else:
        trail = pd.Series(False, index=rows.index)
    shoe = rows["shoe"] if "shoe" in rows else pd.Series(None, index=rows.index, dtype=object)
    has = shoe.notna() & shoe.astype(str).str.strip().ne("")
    key = shoe.where(has).map(lambda s: name_key(s) if isinstance(s, str) else None)
    return pd.DataFrame({"day": day[keep], "km": km, "trail": trail, "key": key, "shoe": shoe.where(has)})


def _as_of(as_of) -> pd.Timestamp:
    return today() if as_of is None else parse_day(as_of)


def _shoes_frame(shoes: pd.DataFrame | None) -> pd.DataFrame:
    """A shoes table with every :data:`SHOE_COLUMNS` column and typed values."""
    if shoes is None:
        shoes = pd.DataFrame(columns=SHOE_COLUMNS)
    out = shoes.copy()
    for col in SHOE_COLUMNS:
        if col not in out:
            out[col] = None
    named = out["name"].map(lambda n: isinstance(n, str) and bool(n.strip()))
    out = out[named.astype(bool)].reset_index(drop=True)
    out["start_km"] = pd.to_numeric(out["start_km"], errors="coerce").fillna(0.0).clip(lower=0.0)
    out["retire_at_km"] = pd.to_numeric(out["retire_at_km"], errors="coerce")
    out["is_default"] = out["is_default"].fillna(False).astype(bool)
    for col in ("from_date", "retired_on"):
        out[col] = pd.to_datetime(out[col], errors="coerce")
        if getattr(out[col].dt, "tz", None) is not None:
            out[col] = out[col].dt.tz_localize(None)
        out[col] = out[col].dt.normalize().astype("datetime64[ns]")
    out["default_for"] = out["default_for"].astype(object).where(out["default_for"].notna(), None)
    out["brand"] = out["brand"].astype(object).where(out["brand"].notna(), None)
    return out[SHOE_COLUMNS]


def _lookup(values: pd.Series, keys: pd.Series, fill=None) -> pd.Series:
    """``values[key]`` for each key (``fill`` where absent), keeping ``values``' dtype."""
    found = values.reindex(keys.to_numpy())
    if fill is not None:
        found = found.fillna(fill).astype("float64" if isinstance(fill, float) else "int64")
    return pd.Series(found.to_numpy(), index=keys.index)


def shoe_table(
    log: pd.DataFrame,
    shoes: pd.DataFrame | None = None,
    as_of=None,
    *,
    plan_km: float = PLAN_KM,
    replace_km: float = REPLACE_KM,
    weeks: int = ROTATION_WEEKS,
) -> pd.DataFrame:
    """One row per shoe: mileage, use, status, defaults, rotation share and trail km, as of a day.

    Parameters
    ----------
    log : DataFrame
        The training log (:func:`hiprisk.load_log`; ``local_date`` is used when present, else the UTC day
        of ``start_utc``). Rows need ``is_running``, ``distance_km``, ``shoe`` and ``trail``.
    shoes : DataFrame, optional
        The shoes table (:func:`load_shoes`). When None, shoes are the names in the log's ``shoe`` column
        (start km 0, no default, not retired). Log names missing from ``shoes`` get a row too.
    as_of : date-like, optional
        Count runs on or before this local day; also the end of the rotation window and the day a
        retirement must have reached. Default: today.
    plan_km, replace_km : float
        Status thresholds [km] (defaults 450 and 800: practitioner convention).
    weeks : int
        Length of the rotation window [weeks] (default 8).

    Returns
    -------
    DataFrame
        Columns :data:`SHOE_TABLE_COLUMNS`: ``name``, ``brand``, ``km`` (start_km + running km),
        ``runs``, ``first_use``/``last_use`` (local days, NaT when unused), ``pct_of_800`` [%],
        ``status``, ``retired_on``, ``is_default``, ``default_for``, ``share_8wk_pct`` [%], ``trail_km``,
        then ``shoe_id``, ``start_km``, ``logged_km``, ``from_date``, ``retire_at_km``, ``km_8wk``,
        ``trail_km_8wk``, ``road_shoe``, ``trail_in_road_km_8wk``. Shoes in use first (most km first),
        retired shoes last.

    References
    ----------
    Malisoux L et al. (2015) Scand J Med Sci Sports 25:110–115 (parallel use of several pairs: HR 0.614).
    """
    as_of = _as_of(as_of)
    table = _shoes_frame(shoes)
    runs = _running_rows(log, as_of)
    known = {name_key(n): i for i, n in enumerate(table["name"]) if isinstance(n, str)}
    extra = []
    for key, name in runs.loc[runs["key"].notna(), ["key", "shoe"]].drop_duplicates("key").itertuples(False):
        if key not in known:
            known[key] = len(table) + len(extra)
            extra.append({c: None for c in SHOE_COLUMNS} | {"name": name.strip(), "start_km": 0.0})
    if extra:
        table = _shoes_frame(pd.concat([table, pd.DataFrame(extra)], ignore_index=True))
    keys = table["name"].map(name_key)

    window_start = as_of - pd.Timedelta(days=7 * weeks)
    recent = runs[runs["day"] > window_start]
    assigned = runs[runs["key"].notna()]
    g = assigned.groupby("key")
    logged = g["km"].sum()
    count = g.size()
    first = g["day"].min()
    last = g["day"].max()
    trail_km = assigned.loc[assigned["trail"]].groupby("key")["km"].sum()
    recent_assigned = recent[recent["key"].notna()]
    km_8wk = recent_assigned.groupby("key")["km"].sum()
    trail_8wk = recent_assigned.loc[recent_assigned["trail"]].groupby("key")["km"].sum()
    total_8wk = float(recent["km"].sum())

    out = pd.DataFrame(index=table.index)
    out["name"] = table["name"]
    out["brand"] = table["brand"]
    out["logged_km"] = _lookup(logged, keys, 0.0)
    out["km"] = table["start_km"] + out["logged_km"]
    out["runs"] = _lookup(count, keys, 0).astype("int64")
    out["first_use"] = _lookup(first.astype("datetime64[ns]"), keys)
    out["last_use"] = _lookup(last.astype("datetime64[ns]"), keys)
    out["pct_of_800"] = out["km"] / REFERENCE_KM * 100.0
    retired = table["retired_on"].notna() & (table["retired_on"] <= as_of)
    out["status"] = [
        shoe_status(km, r, rk, plan_km=plan_km, replace_km=replace_km)
        for km, r, rk in zip(out["km"], retired, table["retire_at_km"], strict=True)
    ]
    out["retired_on"] = table["retired_on"]
    out["is_default"] = table["is_default"]
    out["default_for"] = table["default_for"]
    out["km_8wk"] = _lookup(km_8wk, keys, 0.0)
    out["share_8wk_pct"] = out["km_8wk"] / total_8wk * 100.0 if total_8wk > 0 else 0.0
    out["trail_km"] = _lookup(trail_km, keys, 0.0)
    out["shoe_id"] = table["shoe_id"]
    out["start_km"] = table["start_km"]
    out["from_date"] = table["from_date"]
    out["retire_at_km"] = table["retire_at_km"]
    out["trail_km_8wk"] = _lookup(trail_8wk, keys, 0.0)
    trail_share = (out["trail_km"] / out["logged_km"]).where(out["logged_km"] > 0, 0.0)
    out["road_shoe"] = out["default_for"].ne("trail") & (trail_share < ROAD_SHOE_MAX_TRAIL_SHARE)
    out["trail_in_road_km_8wk"] = out["trail_km_8wk"].where(out["road_shoe"], 0.0)
    order = out.assign(_retired=out["status"].eq("retired")).sort_values(
        ["_retired", "km", "name"], ascending=[True, False, True], kind="stable"
    )
    return order[SHOE_TABLE_COLUMNS].reset_index(drop=True)


def unassigned_runs(log: pd.DataFrame, as_of=None) -> tuple[float, int]:
    """``(km, runs)`` of running activities up to ``as_of`` (default today) that have no shoe."""
    runs = _running_rows(log, _as_of(as_of))
    none = runs[runs["key"].isna()]
    return float(none["km"].sum()), len(none)


def _missing(value) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and not math.isfinite(value))


@dataclass
class GearSummary:
    """What ``hiprisk shoes list`` and the report show: the shoe table plus the notes under it."""

    table: pd.DataFrame
    as_of: pd.Timestamp
    unassigned_km: float = 0.0
    unassigned_runs: int = 0
    km_8wk: float = 0.0  # all running km in the rotation window
    weeks: int = ROTATION_WEEKS
    in_rotation: list[str] = field(default_factory=list)  # shoes with ≥ ROTATION_MIN_SHARE_PCT of km_8wk
    trail_in_road: dict[str, float] = field(default_factory=dict)  # road shoe → trail km in the window

    def to_dict(self) -> dict:
        """JSON-ready: dates as ``YYYY-MM-DD``, NaN as None."""
        records = []
        for rec in self.table.to_dict(orient="records"):
            clean = {}
            for key, value in rec.items():
                if isinstance(value, pd.Timestamp | dt.date):
                    value = day_text(value)
                elif _missing(value):
                    value = None
                elif isinstance(value, np.generic):
                    value = value.item()
                if isinstance(value, float):
                    value = round(value, 3)
                clean[key] = value
            records.append(clean)
        return {
            "as_of": day_text(self.as_of),
            "shoes": records,
            "unassigned": {"km": round(self.unassigned_km, 3), "runs": self.unassigned_runs},
            "rotation": {
                "weeks": self.weeks,
                "running_km": round(self.km_8wk, 3),
                "pairs_in_rotation": self.in_rotation,
                "min_share_pct": ROTATION_MIN_SHARE_PCT,
            },
            "trail_in_road_shoes_km": {k: round(v, 3) for k, v in self.trail_in_road.items()},
        }


def gear_summary(
    log: pd.DataFrame,
    shoes: pd.DataFrame | None = None,
    as_of=None,
    *,
    plan_km: float = PLAN_KM,
    replace_km: float = REPLACE_KM,
    weeks: int = ROTATION_WEEKS,
) -> GearSummary:
    """:func:`shoe_table` plus unassigned km, the pairs in rotation and trail km in road shoes."""
    as_of = _as_of(as_of)
    table = shoe_table(log, shoes, as_of, plan_km=plan_km, replace_km=replace_km, weeks=weeks)
    km, n = unassigned_runs(log, as_of)
    runs = _running_rows(log, as_of)
    total = float(runs.loc[runs["day"] > as_of - pd.Timedelta(days=7 * weeks), "km"].sum())
    rotating = table.loc[(table["share_8wk_pct"] >= ROTATION_MIN_SHARE_PCT) & (table["km_8wk"] > 0), "name"]
    trail = table.loc[table["trail_in_road_km_8wk"] > 0]
    return GearSummary(
        table=table,
        as_of=as_of,
        unassigned_km=km,
        unassigned_runs=n,
        km_8wk=total,
        weeks=weeks,
        in_rotation=list(rotating),
        trail_in_road=dict(zip(trail["name"], trail["trail_in_road_km_8wk"], strict=True)),
    )


# -- store access --------------------------------------------------------------------------------------
def _store(home):
    from .store import Store

    return Store(home)


def load_shoes(home: str | Path | None = None) -> pd.DataFrame:
    """The raw shoes table of the data folder: columns :data:`SHOE_COLUMNS`, dates as tz-naive days."""
    with _store(home) as store:
        return _shoes_frame(store.load_shoes())


def load_gear_summary(
    home: str | Path | None = None,
    as_of=None,
    config=None,
    *,
    plan_km: float = PLAN_KM,
    replace_km: float = REPLACE_KM,
) -> GearSummary:
    """:func:`gear_summary` of the data folder's log and shoes, as of ``as_of``.

    The default day is today (athlete's time zone), or the last day of the log when the log ends earlier,
    as for the rules: a log that stops in the past is read as of its last day, not as weeks of no running.

    ``plan_km`` / ``replace_km`` are the status thresholds; the CLI passes the ``shoe_mileage`` rule's
    effective settings (:func:`hiprisk.rules.gear.mileage_thresholds`).
    """
    from . import load_log
    from .config import data_home, load_config

    home = Path(home) if home is not None else data_home()
    config = config or load_config(home)
    log = load_log(home, config)
    shoes = load_shoes(home)
    when = as_of
    if when is None:
        when = today(config.athlete.tz)
        if len(log):
            when = min(pd.Timestamp(when), log["local_date"].max())
    return gear_summary(log, shoes, when, plan_km=plan_km, replace_km=replace_km)


def add_shoe(
    name: str,
    *,
    brand: str | None = None,
    start_km: float = 0.0,
    from_date=None,
    default: bool = False,
    retire_at_km: float | None = None,
    home: str | Path | None = None,
) -> str:
    """Add a shoe; returns its stored name. ``default`` makes it the default shoe for new runs.

    Raises
    ------
    ConfigError
        A shoe with the same name (case-insensitive) exists, or a value is invalid.
    """
    name = normalise_name(name)
    brand = _clean_brand(brand)
    start_km = check_km(start_km, "--start-km") or 0.0
    retire_at_km = check_km(retire_at_km, "--retire-at", positive=True)
    with _store(home) as store:
        return store.shoe_add(
            name,
            brand=brand,
            start_km=start_km,
            from_date=day_text(from_date),
            retire_at_km=retire_at_km,
            default=default,
        )


def set_default(
    name: str, sub_sport: str | None = None, home: str | Path | None = None
) -> tuple[str, str | None]:
    """Make a shoe the default for new runs (or for one running sub-sport, e.g. ``trail``).

    Returns ``(shoe name, previous default's name or None)``.
    """
    sub_sport = check_sub_sport(sub_sport)
    with _store(home) as store:
        return store.shoe_set_default(name, sub_sport)


@dataclass
class Retirement:
    """What :func:`retire_shoe` did."""

    shoe: str
    day: str | None  # YYYY-MM-DD, None when a retirement was undone
    was_default: bool = False  # the shoe is (still flagged as) a default: new runs need another default


def retire_shoe(name: str, on=None, *, undo: bool = False, home: str | Path | None = None) -> Retirement:
    """Retire a shoe from the day ``on`` (default today, local): from that day on no new run gets it.

    Runs already assigned keep it. ``undo=True`` clears a retirement (the shoe is back in use).
    """
    if undo and on is not None:
        raise ConfigError("--undo takes no retirement day")
    with _store(home) as store:
        if undo:
            return Retirement(store.shoe_retire(name, None), None)
        if on is None:
            from .config import load_config

            on = today(load_config(store.home).athlete.tz)
        day = day_text(on)
        stored = store.shoe_retire(name, day)
        flags = store.query("SELECT is_default, default_for FROM shoes WHERE name=?", (stored,))
    was_default = bool(flags and (flags[0][0] or flags[0][1]))
    return Retirement(stored, day, was_default)


def rename_shoe(old: str, new: str, home: str | Path | None = None) -> tuple[str, str]:
    """Rename a shoe (case-only changes allowed); returns ``(old stored name, new name)``."""
    new = normalise_name(new)
    with _store(home) as store:
        return store.shoe_rename(old, new)


@dataclass
class Assignment:
    """What :func:`assign_shoe` did."""

    shoe: str
    activity_ids: list[str]  # full ids now on this shoe
    moved: dict[str, int] = field(default_factory=dict)  # previous shoe name → activities moved from it
    not_running: int = 0  # of them, activities that are not runs (their km do not count)
    retired_on: str | None = None  # the shoe's retirement day, when it has one
    after_retirement: int = 0  # of them, activities that started (UTC day) on or after that day


def assign_shoe(
    name: str,
    activity_ids: Iterable[str] = (),
    *,
    since=None,
    until=None,
    home: str | Path | None = None,
) -> Assignment:
    """Put a shoe on activities: given ids (or unique prefixes), or every run between two local days.

    All or nothing: one unknown id and no activity changes.

    Parameters
    ----------
    activity_ids : iterable of str
        Activity ids or unique prefixes (as ``hiprisk log`` shows them).
    since, until : date-like, optional
        Instead of ids: every **running** activity whose local day is within [since, until] (either may be
        open).
    """
    ids = list(activity_ids)
    if ids and (since is not None or until is not None):
        raise ConfigError("give activity ids or --from/--until, not both")
    if not ids and since is None and until is None:
        raise ConfigError("give activity ids, or --from/--until for a date range")
    with _store(home) as store:
        if not ids:
            ids = runs_between(store, since, until)
            if not ids:
                found = store.shoe_find(name)  # an unknown shoe is still an error
                return Assignment(shoe=found, activity_ids=[])
        shoe, full, moved = store.shoe_assign(name, ids)
        marks = ",".join("?" * len(full))
        ((not_running,),) = store.query(
            f"SELECT COUNT(*) FROM activities WHERE is_running=0 AND activity_id IN ({marks})", tuple(full)
        )
        ((retired_on,),) = store.query("SELECT retired_on FROM shoes WHERE name=?", (shoe,))
        after = 0
        if retired_on:
            ((after,),) = store.query(
                f"SELECT COUNT(*) FROM activities WHERE substr(start_utc, 1, 10) >= ?"
                f" AND activity_id IN ({marks})",
                (retired_on, *full),
            )
    return Assignment(
        shoe=shoe,
        activity_ids=full,
        moved=moved,
        not_running=int(not_running),
        retired_on=retired_on,
        after_retirement=int(after),
    )


def runs_between(store, since=None, until=None) -> list[str]:
    """Ids of the running activities whose local day (athlete's time) is within [since, until]."""
    from .config import load_config
    from .log import add_local_time

    lo = parse_day(since) if since is not None else None
    hi = parse_day(until) if until is not None else None
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"--from {day_text(lo)} is after --until {day_text(hi)}")
    config = load_config(store.home)
    log = add_local_time(store.load_log(), config.athlete.tz, config.athlete.week_start)
    keep = log["is_running"].astype(bool)
    if lo is not None:
        keep &= log["local_date"] >= lo
    if hi is not None:
        keep &= log["local_date"] <= hi
    return list(log.loc[keep, "activity_id"])


# -- gear from exports ---------------------------------------------------------------------------------
#: Strava "Shoe Default Sport Types" that make a shoe a default: "" = the general default, else a sub-sport.
STRAVA_DEFAULT_TYPES = {
    "run": "",
    "running": "",
    "trail run": "trail",
    "trailrun": "trail",
    "virtual run": "virtual",
}


def gear_records(gear) -> list[dict]:
    """Normalise export gear to shoe-update records for :meth:`hiprisk.store.Store.shoe_merge_gear`.

    ``gear`` is what ``find_export_gear`` returns (``GearRecord`` objects), a DataFrame, or mappings with
    the same fields: ``name`` (required), ``kind`` (non-shoes are dropped), ``brand``, ``aliases`` (other
    spellings activities may use), ``retired`` (bool) with ``date_end`` / ``retired_on`` (day),
    ``date_begin`` / ``from_date`` (first day in use), ``max_distance_m`` [m] or ``retire_at_km`` [km],
    ``start_km`` [km] and ``default_sports`` (Strava sport types: "Run" → the general default,
    "Trail Run" → the trail default). Values that cannot be read are dropped, not guessed.
    """
    if gear is None:
        return []
    items = gear.to_dict(orient="records") if isinstance(gear, pd.DataFrame) else list(gear)
    out = []
    for item in items:
        rec = dict(item) if isinstance(item, Mapping) else dict(vars(item))
        kind = str(rec.get("kind") or "shoe").lower()
        if "shoe" not in kind:
            continue
        try:
            clean: dict = {"name": normalise_name(rec.get("name"))}
        except ConfigError:
            continue
        aliases = []
        for alias in rec.get("aliases") or []:
            with contextlib.suppress(ConfigError):
                alias = normalise_name(alias)
                if name_key(alias) != name_key(clean["name"]) and alias not in aliases:
                    aliases.append(alias)
        clean["aliases"] = aliases
        brand = _clean_brand(rec.get("brand"))
        if brand:
            clean["brand"] = brand
        retired = rec.get("retired")
        end = rec.get("retired_on") or (rec.get("date_end") if retired is not False else None)
        with contextlib.suppress(ConfigError):
            if end is not None and not _missing(end):
                clean["retired_on"] = day_text(end)
        if retired is True and "retired_on" not in clean:
            clean["retired"] = True
        begin = rec.get("from_date") or rec.get("date_begin")
        with contextlib.suppress(ConfigError):
            if begin is not None and not _missing(begin):
                clean["from_date"] = day_text(begin)
        limit = rec.get("retire_at_km")
        if limit is None and rec.get("max_distance_m") is not None:
            with contextlib.suppress(TypeError, ValueError):
                limit = float(rec["max_distance_m"]) / 1000.0
        for key, value in (("start_km", rec.get("start_km")), ("retire_at_km", limit)):
            with contextlib.suppress(ConfigError):
                value = check_km(value, key, positive=key == "retire_at_km")
                if value is not None:
                    clean[key] = value
        defaults = []
        for sport in rec.get("default_sports") or []:
            sub = STRAVA_DEFAULT_TYPES.get(" ".join(str(sport).lower().split()))
            if sub is not None and sub not in defaults:
                defaults.append(sub)
        clean["defaults"] = defaults
        out.append(clean)
    return out


def apply_export_gear(gear, home: str | Path | None = None, *, store=None) -> dict[str, list[str]]:
    """Merge gear read from an export (Strava ``shoes.csv``, Garmin ``*_gear.json``) into the shoes table.

    A record matches a shoe by its name or one of its aliases (case-insensitive); unknown shoes are created.
    For known shoes only empty fields are filled (what the user typed wins); a retirement is recorded when
    the export says so and ours does not; an export default (Strava "Shoe Default Sport Types") is taken
    only when there is no such default yet. One transaction. Returns ``{"created": [...], "updated": [...]}``.
    """
    records = gear_records(gear)
    if not records:
        return {"created": [], "updated": []}
    if store is not None:
        return store.shoe_merge_gear(records)
    with _store(home) as own:
        return own.shoe_merge_gear(records)


def import_export_gear(
    paths: Iterable[str | Path], home: str | Path | None = None, *, store=None
) -> dict[str, list[str]]:
    """Read the gear lists of export archives/folders and merge them (:func:`apply_export_gear`).

    Call it **after** the activities of the same export are imported: shoes that activities created by
    their ``Activity Gear`` name are then matched through the gear's aliases instead of duplicated.
    Uses :func:`hiprisk.importers.sources.find_export_gear`; when it finds nothing, nothing changes.
    """
    from .importers.sources import find_export_gear

    return apply_export_gear(find_export_gear(list(paths)), home, store=store)
