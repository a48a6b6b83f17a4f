"""The numbers behind the report: the chosen week, its headline and the series each chart draws.

Pure pandas, no matplotlib: the ``check`` command uses this module too and must stay fast. Nothing here
re-implements a rule: thresholds come from :func:`hiprisk.rules.effective_settings`, the marks on the charts
(weeks that broke the 10 % band, run spikes) are the rules' own warnings, and the load-ratio and baseline
series are the rules' own (:mod:`hiprisk.rules.series`).

A *period* is the report's week plus the day the warnings stand on (``as_of``): the week's last day for
``--week``, the given day for ``--as-of`` (the week is then shown "to date"). Activities after ``as_of`` are
ignored everywhere, so a report for an old week shows what was known at the time.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError, HipriskError
from ..log import daily, parse_day, running, week_label, week_start_date
from ..log import weekly as weekly_view

WEEK_RE = re.compile(r"^(\d{4})-?W(\d{2})$", re.IGNORECASE)
HISTORY_WEEKS = 16  # weeks on the weekly charts (the issue asks for 16+)
CALENDAR_WEEKS = 6  # weeks on the calendar strip
BASELINE_WEEKS = 4  # weeks before each week that make its terrain baseline (the terrain rules' window)


@dataclass(frozen=True)
class Period:
    """The report's week and the day its warnings stand on.

    Attributes
    ----------
    week : str
        ``YYYY-Www`` label (the ISO week of the week's Monday, as :func:`hiprisk.log.week_label`).
    start, end : Timestamp
        First and last local day of the week (tz-naive midnight).
    as_of : Timestamp
        Warnings stand on this day; activities after it are ignored. ``end`` unless ``--as-of`` was given.
    complete : bool
        ``as_of`` is the week's last day (else the week is shown "to date").
    """

    week: str
    start: pd.Timestamp
    end: pd.Timestamp
    as_of: pd.Timestamp

    @property
    def complete(self) -> bool:
        return self.as_of >= self.end

    @property
    def days(self) -> pd.DatetimeIndex:
        """The days of the week up to ``as_of``."""
        return pd.date_range(self.start, min(self.end, self.as_of), freq="D")


def parse_week(label: str, week_start: str = "monday") -> pd.Timestamp:
    """First day of the athlete's week called ``label`` (``2026-W47``; ``2026W47`` is accepted too).

    Raises
    ------
    ConfigError
        Not a week label, or a week number the ISO year does not have.
    """
    m = WEEK_RE.match(str(label).strip())
    if not m:
        raise ConfigError(f"not a week: {label!r} (use YYYY-Www, e.g. 2026-W07)")
    year, number = int(m.group(1)), int(m.group(2))
    try:
        monday = pd.Timestamp(dt.date.fromisocalendar(year, number, 1))
    except ValueError as exc:
        raise ConfigError(f"{year} has no ISO week {number}") from exc
    return monday - pd.Timedelta(days=1) if week_start == "sunday" else monday


def week_of(day: pd.Timestamp, week_start: str = "monday") -> tuple[str, pd.Timestamp]:
    """``(label, first day)`` of the week holding ``day``."""
    start = week_start_date(pd.Series([day]), week_start).iloc[0]
    return str(week_label(pd.Series([start]), week_start).iloc[0]), start


def choose_period(
    log: pd.DataFrame,
    week: str | None = None,
    as_of=None,
    *,
    week_start: str = "monday",
    today=None,
) -> Period:
    """The report's period: a given week, the week holding ``as_of``, or by default the last complete week.

    The default is the last week that ended before ``today`` (the athlete's local day); when the log ends
    before that week starts (an old export), it is the week of the log's last activity instead, so a report
    is never about an empty week nobody logged.

    Raises
    ------
    ConfigError
        Both ``week`` and ``as_of`` given, or either cannot be read.
    HipriskError
        The log has no activity and no week was given.
    """
    if week is not None and as_of is not None:
        raise ConfigError("give a week or an as-of day, not both")
    if as_of is not None:
        day = parse_day(as_of)
        label, start = week_of(day, week_start)
        return Period(label, start, start + pd.Timedelta(days=6), day)
    if week is not None:
        start = parse_week(week, week_start)
        label, start = week_of(start, week_start)
        end = start + pd.Timedelta(days=6)
        return Period(label, start, end, end)
    if log is None or len(log) == 0:
        raise HipriskError("the training log is empty: import activities first (hiprisk import PATH)")
    today = parse_day(today) if today is not None else pd.Timestamp.now().normalize()
    _, this_start = week_of(today, week_start)
    last_start = this_start - pd.Timedelta(days=7)
    last_day = pd.Timestamp(log["local_date"].max())
    if last_day < last_start:
        _, last_start = week_of(last_day, week_start)
    label, start = week_of(last_start, week_start)
    end = start + pd.Timedelta(days=6)
    return Period(label, start, end, end)


def upto(log: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The log as known on ``as_of``: activities on later local days are dropped."""
    if len(log) == 0:
        return log
    return log[pd.to_datetime(log["local_date"]) <= as_of]


# -- headline ------------------------------------------------------------------------------------------
def week_totals(log: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> dict:
    """Running totals of the days ``start`` … ``end``: km, runs, rest days, time, descent, trail km."""
    if len(log):  # only the rows of the span: daily() groups whatever it is given
        days = pd.to_datetime(log["local_date"])
        log = log[(days >= start) & (days <= end)]
    return _totals(daily(log, start=start, end=end))


def _totals(d: pd.DataFrame) -> dict:
    """:func:`week_totals` of the days of a :func:`hiprisk.log.daily` frame."""
    return {
        "distance_km": float(d["distance_km"].sum()),
        "runs": int(d["runs"].sum()),
        "rest_days": int(d["rest"].sum()),
        "days": len(d),
        "moving_s": float(d["moving_s"].sum()),
        "descent_m": float(d["descent_m"].sum()),
        "ascent_m": float(d["ascent_m"].sum()),
        "trail_km": float(d["trail_km"].sum()),
        "downhill_km": float(d["downhill_km"].sum()),
        "longest_km": float(d["longest_km"].max()) if len(d) else 0.0,
    }


def headline(log: pd.DataFrame, period: Period) -> dict:
    """This week's totals (to ``as_of``), last week's totals, and last week's up to the same weekday."""
    log = upto(log, period.as_of)
    prev_start = period.start - pd.Timedelta(days=7)
    same_day = min(period.as_of, period.end) - pd.Timedelta(days=7)
    spans = {
        "week": (period.start, min(period.end, period.as_of)),
        "prev": (prev_start, prev_start + pd.Timedelta(days=6)),
        "prev_to_date": (prev_start, same_day),
    }
    # One daily() over the two weeks, each span's totals from its days: week_totals() of each span gives
    # the same numbers (a day's sums do not depend on the span), for a third of the time.
    bounds = [pd.Timestamp(t) for span in spans.values() for t in span]
    if all(t == t.normalize() for t in bounds):
        first, last = min(bounds), max(bounds)
        if len(log):
            days = pd.to_datetime(log["local_date"])
            log = log[(days >= first) & (days <= last)]
        d = daily(log, start=first, end=last)
        week, prev, prev_to_date = (_totals(d.loc[a:b]) for a, b in spans.values())
    else:  # a day with a time of day: week_totals' own cut
        week, prev, prev_to_date = (week_totals(log, a, b) for a, b in spans.values())
    return {
        "week": period.week,
        "start": period.start,
        "end": period.end,
        "as_of": period.as_of,
        "complete": period.complete,
        **week,
        "prev_distance_km": prev["distance_km"],
        "prev_runs": prev["runs"],
        "prev_to_date_km": prev_to_date["distance_km"],
    }


# -- weekly series -------------------------------------------------------------------------------------
def weekly_series(
    log: pd.DataFrame, period: Period, weeks: int = HISTORY_WEEKS, *, week_start: str = "monday"
) -> pd.DataFrame:
    """Per week, the ``weeks`` weeks ending with the report's week (plus the 4 before, for baselines).

    Columns of :func:`hiprisk.log.weekly` (``distance_km``, ``runs``, ``rest_days``, ``descent_m``,
    ``trail_km``, ``downhill_km``, ...) plus ``logged`` (False for weeks before the first activity: no data,
    not zero km). Index: the week's first day. Days after ``as_of`` are not counted.
    """
    log = upto(log, period.as_of)
    first = period.start - pd.Timedelta(days=7 * (weeks - 1 + BASELINE_WEEKS))
    end = min(period.end, period.as_of)
    w = weekly_view(log, week_start, start=first, end=end)
    if len(w) == 0:
        return w.assign(logged=pd.Series(dtype=bool))
    first_day = pd.Timestamp(running(log)["local_date"].min()) if len(running(log)) else end
    w["logged"] = (w.index + pd.Timedelta(days=6)) >= first_day
    return w


# -- the calendar strip ----------------------------------------------------------------------------------
def calendar(
    log: pd.DataFrame,
    period: Period,
    warnings: pd.DataFrame | None = None,
    *,
    weeks: int = CALENDAR_WEEKS,
    flags: pd.DataFrame | None = None,
    week_start: str = "monday",
) -> pd.DataFrame:
    """One row per day of the ``weeks`` weeks ending with the report's week.

    Columns: ``distance_km``, ``runs``, ``rest`` (no run), ``hard`` and ``long`` (a run that day was a hard
    session / a long run as the recovery rules define them: ``flags`` holds the rules' per-run
    ``hard_by_min`` and ``long``; without it, ``long`` marks the week's longest run in weeks of two runs
    or more and ``hard`` is never set), ``spike`` (a ``session_spike`` warning that day), ``warned`` (any
    warning dated that day), ``future`` (after ``as_of``), ``week`` (label) and ``weekday`` (0 = the week's
    first day).
    """
    start = period.start - pd.Timedelta(days=7 * (weeks - 1))
    log = upto(log, period.as_of)
    d = daily(log, start=start, end=period.end)
    wk_start = week_start_date(pd.Series(d.index, index=d.index), week_start)
    d["week"] = week_label(wk_start, week_start).to_numpy()
    d["weekday"] = (d.index - pd.DatetimeIndex(wk_start)).days.astype(int)
    if flags is not None and len(flags):
        day = pd.to_datetime(flags["local_date"])
        d["hard"] = d.index.isin(pd.DatetimeIndex(day[flags["hard_by_min"].astype(bool)].unique()))
        d["long"] = d.index.isin(pd.DatetimeIndex(day[flags["long"].astype(bool)].unique()))
    else:
        longest = d.groupby("week")["longest_km"].transform("max")
        n_runs = d.groupby("week")["runs"].transform("sum")
        d["hard"] = False
        d["long"] = (d["longest_km"] > 0) & (d["longest_km"] == longest) & (n_runs >= 2)
    spikes: set = set()
    warned: set = set()
    if warnings is not None and len(warnings):
        spk = warnings[warnings["rule"] == "session_spike"]
        spikes = set(pd.to_datetime(spk["date"]).dt.normalize())
        warned = set(pd.to_datetime(warnings["date"]).dt.normalize())
    d["spike"] = d.index.isin(pd.DatetimeIndex(sorted(spikes)))
    d["warned"] = d.index.isin(pd.DatetimeIndex(sorted(warned)))
    d["future"] = d.index > period.as_of
    return d


# -- shoes ---------------------------------------------------------------------------------------------
def shoe_km(
    log: pd.DataFrame, as_of: pd.Timestamp, shoes: pd.DataFrame | None = None, config=None
) -> pd.DataFrame:
    """Km per shoe on ``as_of``: :func:`hiprisk.shoes.shoe_table` (``name``, ``km``, ``status``, ...)."""
    from ..rules.gear import mileage_thresholds
    from ..shoes import shoe_table

    plan_km, replace_km = mileage_thresholds(config)
    return shoe_table(log, shoes, as_of, plan_km=plan_km, replace_km=replace_km)


def one_shoe_km(
    log: pd.DataFrame, name: str, as_of: pd.Timestamp, shoes: pd.DataFrame | None = None, config=None
) -> float | None:
    """Km of the shoe called ``name`` on ``as_of`` (:func:`hiprisk.shoes.shoe_table` on its rows only)."""
    from ..shoes import name_key

    key = name_key(name)
    mine = log[log["shoe"].map(lambda s: isinstance(s, str) and name_key(s) == key)] if len(log) else log
    if shoes is not None and len(shoes):
        shoes = shoes[shoes["name"].map(lambda s: isinstance(s, str) and name_key(s) == key)]
    table = shoe_km(mine, as_of, shoes, config)
    match = table[table["name"].map(name_key) == key]
    return finite(match["km"].iloc[0]) if len(match) else None


def run_of(log: pd.DataFrame, activity_id: str | None = None) -> pd.Series | None:
    """The run a ``check`` is about: ``activity_id``, else the log's latest run; None when there is none."""
    if len(log) == 0:
        return None
    if activity_id is not None:
        rows = log[log["activity_id"] == activity_id]
        if len(rows):
            return rows.iloc[-1]
    runs = running(log)
    rows = runs if len(runs) else log
    return rows.sort_values("start_utc").iloc[-1]


def finite(x) -> float | None:
    """``float(x)`` or None when missing / not finite (for JSON and text)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None
