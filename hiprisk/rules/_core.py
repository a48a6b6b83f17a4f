"""The machinery every rule shares: the warning type, the registry, and the vectorised day/week views.

A rule is one function decorated with :func:`register`. It receives a :class:`Context` (the log cut at the
evaluation day, its daily view and helpers) and its effective settings, and returns an *observation
frame*: one row per flagged day (or run, or shoe crossing) with at least the columns ``day``, ``period``,
``severity``, ``value``, ``threshold`` and ``unit``. The engine (:mod:`hiprisk.rules`) turns observations
into :class:`Warning` objects: one per period for :func:`~hiprisk.rules.warnings_frame`, the ones standing
on a day for :func:`~hiprisk.rules.evaluate`. Every rule works on whole columns (daily resampling, rolling
windows, group-wise cumulative sums); Python loops run only over the warnings themselves.

Row *grains* (how observations become warnings):

``run``
    one warning per run (``period`` = the run's local day); it stands for ``stands_days`` days.
``week``
    observations are week-to-date states, one per day; a week gives one warning (its last flagged state,
    dated the first day that severity was reached); it stands during its week and the following week.
``day``
    observations are daily states; flagged days of the same ``kind`` at most ``episode_gap_days`` apart
    form one episode and one warning (``period`` = the episode's first day); it stands on a day only
    while the condition holds that day.
``shoe``
    observations are threshold crossings per shoe (``subject``); the highest crossing stands while the
    shoe is in use, with its current km.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from ..config import Config
from ..errors import ConfigError
from ..log import add_local_time, daily, week_label, week_start_date

SEVERITIES = ("info", "caution", "high")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
EVIDENCE_LABELS = (
    "convention",
    "cohort",
    "large cohort",
    "disputed",
    "biomechanics",
    "expert advice",
    "exploratory",
)
GRAINS = ("run", "week", "day", "shoe")
#: Relative tolerance of threshold comparisons: 10.000000000000002 % is "10 %", not "more than 10 %".
REL_TOL = 1e-9
HISTORY_SUBJECT = "history"


@dataclass(frozen=True)
class Warning:  # the contract's name; it shadows the builtin only inside hiprisk.rules
    """One flagged training-load pattern (never a diagnosis).

    ``value`` is the measured number and ``threshold`` the one it crossed, both in ``unit``. ``period`` is
    a day (``YYYY-MM-DD``) or an athlete week (``YYYY-Www``); ``date`` is the local day the condition was
    detected. ``subject`` names the shoe for ``shoe_mileage``, and is ``"history"`` on the info-level
    "not enough history" notes of :func:`~hiprisk.rules.evaluate`.
    """

    rule: str
    severity: str
    period: str
    value: float
    threshold: float
    unit: str
    message: str
    advice: str
    source: str
    evidence: str
    date: str
    activity_id: str | None = None
    subject: str | None = None

    def to_dict(self) -> dict:
        """A plain dict (JSON-ready: floats, strings and None)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


WARNING_FIELDS = tuple(Warning.__dataclass_fields__)


@dataclass(frozen=True)
class RuleSpec:
    """A registered rule: its id, defaults, evidence, and the functions that compute and phrase it."""

    id: str
    family: str
    title: str
    defaults: Mapping[str, object]
    grain: str
    source: str
    evidence: str
    advice: str
    compute: Callable[[Context, dict], pd.DataFrame]
    message: Callable[[dict, dict], str]
    history: Callable[[Context, dict], tuple[float, float, str]] | None = None
    stands_days: int = 7
    episode_gap_days: int = 1
    choices: Mapping[str, tuple] = field(default_factory=dict)
    advice_for: Callable[[dict, dict], str] | None = None

    @property
    def doc(self) -> str:
        return (self.compute.__doc__ or "").strip()


RULES: dict[str, RuleSpec] = {}


def register(
    rule_id: str,
    *,
    family: str,
    title: str,
    defaults: Mapping[str, object],
    grain: str,
    source: str,
    evidence: str,
    advice: str,
    message: Callable[[dict, dict], str],
    history: Callable[[Context, dict], tuple[float, float, str]] | None = None,
    stands_days: int = 7,
    episode_gap_days: int = 1,
    choices: Mapping[str, tuple] | None = None,
    advice_for: Callable[[dict, dict], str] | None = None,
):
    """Register the decorated function as rule ``rule_id`` (defaults live here, in one place)."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}")
    if evidence not in EVIDENCE_LABELS:
        raise ValueError(f"unknown evidence label {evidence!r}")

    def wrap(fn: Callable[[Context, dict], pd.DataFrame]):
        RULES[rule_id] = RuleSpec(
            id=rule_id,
            family=family,
            title=title,
            defaults={"enabled": True, **defaults},
            grain=grain,
            source=source,
            evidence=evidence,
            advice=advice,
            compute=fn,
            message=message,
            history=history,
            stands_days=stands_days,
            episode_gap_days=episode_gap_days,
            choices=dict(choices or {}),
            advice_for=advice_for,
        )
        return fn

    return wrap


# -- settings ------------------------------------------------------------------------------------------
def rule_settings(spec: RuleSpec, config: Config | None) -> dict:
    """Defaults of one rule merged with the user's overrides, validated (unknown key → ConfigError)."""
    overrides = config.rule(spec.id) if config is not None else {}
    out = dict(spec.defaults)
    for key, value in overrides.items():
        if key not in spec.defaults:
            close = difflib.get_close_matches(key, list(spec.defaults), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(spec.defaults)
            raise ConfigError(f"unknown setting {key!r} in [rules.{spec.id}]{hint} (known: {known})")
        default = spec.defaults[key]
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"[rules.{spec.id}] {key} must be true or false, not {value!r}")
        elif isinstance(default, int | float):
            if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
                raise ConfigError(f"[rules.{spec.id}] {key} must be a number, not {value!r}")
            if value < 0:
                raise ConfigError(f"[rules.{spec.id}] {key} must not be negative, not {value!r}")
            if isinstance(default, int) and float(value).is_integer():
                value = int(value)
        elif isinstance(default, str):
            allowed = spec.choices.get(key)
            if not isinstance(value, str) or (allowed and value not in allowed):
                options = " or ".join(repr(a) for a in allowed or ())
                raise ConfigError(f"[rules.{spec.id}] {key} must be {options}, not {value!r}")
        out[key] = value
    return out


def check_rule_ids(config: Config | None) -> None:
    """Refuse ``[rules.X]`` tables for rules that do not exist (a typo would silently do nothing)."""
    if config is None:
        return
    for rule_id in config.rules:
        if rule_id not in RULES:
            close = difflib.get_close_matches(rule_id, list(RULES), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"unknown rule [rules.{rule_id}]{hint} (known: {', '.join(RULES)})")


# -- comparisons and formatting -----------------------------------------------------------------------
def _tol(threshold) -> np.ndarray:
    t = np.asarray(threshold, dtype="float64")
    return REL_TOL * np.maximum(1.0, np.abs(t))


def gt(values, threshold) -> np.ndarray:
    """``values > threshold`` beyond float noise (10.000000000000002 is not above 10); NaN → False."""
    t = np.asarray(threshold, dtype="float64")
    return np.asarray(values, dtype="float64") > t + _tol(t)


def lt(values, threshold) -> np.ndarray:
    """``values < threshold`` beyond float noise; NaN → False."""
    t = np.asarray(threshold, dtype="float64")
    return np.asarray(values, dtype="float64") < t - _tol(t)


def ge(values, threshold) -> np.ndarray:
    """``values >= threshold`` up to float noise (449.99999999999994 km counts as 450 km); NaN → False."""
    v = np.asarray(values, dtype="float64")
    return ~lt(v, threshold) & ~np.isnan(v)


def grade(values, caution: float, high: float | None = None, *, above: bool = True) -> np.ndarray:
    """Severity per value: "high" beyond ``high``, "caution" beyond ``caution``, else "" (strictly)."""
    v = np.asarray(values, dtype="float64")
    cmp = gt if above else lt
    out = np.where(cmp(v, caution), "caution", "")
    if high is not None:
        out = np.where(cmp(v, high), "high", out)
    return out.astype(object)


def ranks(severities) -> np.ndarray:
    """Severity ranks of an array of severity strings ("" → -1)."""
    return pd.Series(np.asarray(severities, dtype=object)).map(SEVERITY_RANK).fillna(-1).to_numpy()


def fmt(value: float, decimals: int = 1, near: float | None = None) -> str:
    """A number for a message; one more decimal when rounding would make it read as ``near``."""
    if value is None or not np.isfinite(value):
        return "n/a"
    text = f"{value:.{decimals}f}"
    if near is not None and decimals < 4 and float(text) == round(near, decimals) and value != near:
        return fmt(value, decimals + 1, near)
    return text


def day_str(day) -> str:
    return pd.Timestamp(day).strftime("%Y-%m-%d")


# -- the evaluation context ---------------------------------------------------------------------------
ACTIVITY_DEFAULTS: dict[str, object] = {
    "sport": "running",
    "sub_sport": "generic",
    "is_running": True,
    "trail": False,
    "distance_km": 0.0,
    "elapsed_s": np.nan,
    "moving_s": np.nan,
    "ascent_m": 0.0,
    "descent_m": 0.0,
    "downhill_km": 0.0,
    "steep_downhill_km": 0.0,
    "avg_hr": np.nan,
    "avg_speed_m_s": np.nan,
    "avg_cadence_spm": np.nan,
    "warmup_hr": np.nan,
    "warmup_speed_m_s": np.nan,
    "cadence_drop_pct": np.nan,
    "shoe": None,
    "hard_s": 0.0,
    "warmup_hard": False,
}


def prepare_log(log: pd.DataFrame, config: Config) -> pd.DataFrame:
    """The log with every column the rules read (missing optional ones filled), oldest first."""
    from ..intensity import add_intensity

    log = log.copy()
    log.attrs = {}  # pandas deep-copies attrs on every operation; the thresholds are passed separately
    if "activity_id" not in log:
        log["activity_id"] = [f"row{i}" for i in range(len(log))]
    if "is_running" not in log:  # as hiprisk.log defines it; a log without a sport column is all running
        log["is_running"] = log["sport"].eq("running") if "sport" in log else True
    if "local_date" not in log:
        if "start_utc" not in log:
            raise ConfigError("the log needs a start_utc or local_date column")
        if "utc_offset_s" not in log:
            log["utc_offset_s"] = np.nan
        log = add_local_time(log, config.athlete.tz, config.athlete.week_start)
    if "start_utc" not in log:
        log["start_utc"] = pd.to_datetime(log["local_date"]).dt.tz_localize("UTC")
    if "hard_s" not in log or "warmup_hard" not in log:
        thresholds = log.attrs.get("thresholds")
        for col in ("max_hr", "warmup_hr", "warmup_speed_m_s", "avg_speed_m_s", "moving_s"):
            if col not in log:
                log[col] = np.nan
        empty = pd.DataFrame({"activity_id": [], "kind": [], "bin": [], "seconds": []})
        log = add_intensity(log, empty, config.athlete)
        if thresholds is not None:
            log.attrs["thresholds"] = thresholds
    for col, default in ACTIVITY_DEFAULTS.items():
        if col not in log:
            log[col] = default
    local = pd.to_datetime(log["local_date"])
    if getattr(local.dt, "tz", None) is not None:
        local = local.dt.tz_localize(None)
    log["local_date"] = local.dt.normalize().astype("datetime64[ns]")
    log["is_running"] = log["is_running"].fillna(False).astype(bool)
    log["trail"] = log["trail"].fillna(False).astype(bool)
    log["hard_s"] = pd.to_numeric(log["hard_s"], errors="coerce").fillna(0.0)
    log["warmup_hard"] = log["warmup_hard"].fillna(False).astype(bool)
    log["distance_km"] = pd.to_numeric(log["distance_km"], errors="coerce").fillna(0.0)
    for col in ("descent_m", "downhill_km", "ascent_m", "steep_downhill_km"):
        log[col] = pd.to_numeric(log[col], errors="coerce").fillna(0.0)
    order = np.lexsort((log["activity_id"].astype(str).to_numpy(), log["start_utc"].to_numpy()))
    return log.iloc[order].reset_index(drop=True)


class Context:
    """The log cut at ``end`` (a local day, inclusive) and the views rules share, computed once.

    Parameters
    ----------
    log : DataFrame
        A prepared log (:func:`prepare_log`), every activity on or before ``end``.
    end : Timestamp
        The last local day evaluated (the ``as_of`` day): days after the last activity up to ``end`` are
        rest days.
    """

    def __init__(self, log: pd.DataFrame, end: pd.Timestamp, config: Config, shoes=None, thresholds=None):
        self.log = log
        self.end = pd.Timestamp(end).normalize()
        self.config = config
        self.athlete = config.athlete
        self.week_start = config.athlete.week_start
        self.shoes = shoes
        self.history_start = log["local_date"].min() if len(log) else self.end
        self._thresholds = thresholds

    @property
    def empty(self) -> bool:
        return not bool(self.log["is_running"].any()) if len(self.log) else True

    @cached_property
    def thresholds(self):
        """Hard-effort thresholds (:class:`hiprisk.intensity.Thresholds`) used for hard_s / warmup_hard."""
        from ..intensity import thresholds

        return self._thresholds if self._thresholds is not None else thresholds(self.log, self.athlete)

    @cached_property
    def runs(self) -> pd.DataFrame:
        """Running rows only (cross-training never counts as running volume)."""
        return self.log[self.log["is_running"]]

    @cached_property
    def days(self) -> pd.DataFrame:
        """Every local day from the first activity to ``end``: :func:`hiprisk.log.daily` plus
        ``hard_s``, ``week_start``, ``week``, ``history_days`` (1 on the first day) and ``week_day``
        (0 on the week's first day)."""
        d = daily(self.log, start=self.history_start, end=self.end)
        runs = self.runs
        hard = runs.groupby("local_date")["hard_s"].sum()
        d["hard_s"] = hard.reindex(d.index, fill_value=0.0).to_numpy()
        idx = pd.Series(d.index, index=d.index)
        d["week_start"] = week_start_date(idx, self.week_start)
        d["week"] = week_label(idx, self.week_start)
        d["history_days"] = (d.index - self.history_start).days + 1
        d["week_day"] = (d.index - pd.DatetimeIndex(d["week_start"])).days
        return d

    def history_days(self) -> int:
        return int((self.end - self.history_start).days + 1) if len(self.log) else 0

    def complete_weeks_before(self, day: pd.Timestamp) -> int:
        """Complete athlete weeks inside the history that ended before ``day``'s week."""
        if not len(self.log):
            return 0
        first = week_start_date(pd.Series([self.history_start]), self.week_start).iloc[0]
        if first < self.history_start:
            first = first + pd.Timedelta(days=7)
        this = week_start_date(pd.Series([pd.Timestamp(day)]), self.week_start).iloc[0]
        return max(0, int((this - first).days // 7))

    def daily_load(self, kind: str = "distance") -> pd.Series:
        """Daily running load: km ("distance") or moving minutes × intensity factor ("time_intensity").

        The intensity factor is average HR ÷ threshold HR for runs with HR, else average speed ÷ threshold
        speed, else 1 (a plain minute).
        """
        if kind == "distance":
            return self.days["distance_km"].astype(float)
        runs = self.runs
        th = self.thresholds
        factor = pd.Series(1.0, index=runs.index)
        if th.speed_m_s:
            factor = (runs["avg_speed_m_s"] / th.speed_m_s).where(runs["avg_speed_m_s"] > 0, factor)
        if th.hr_bpm:
            factor = (runs["avg_hr"] / th.hr_bpm).where(runs["avg_hr"] > 0, factor)
        minutes = runs["moving_s"].fillna(runs["elapsed_s"]).fillna(0.0) / 60.0
        per_day = (minutes * factor.fillna(1.0)).groupby(runs["local_date"]).sum()
        return per_day.reindex(self.days.index, fill_value=0.0).astype(float)

    @cached_property
    def _week_grid(self) -> tuple[int, int, pd.DatetimeIndex, np.ndarray]:
        """(days of padding before the first day, padding after the last, week starts, whole-week mask)."""
        d = self.days
        lead = int(d["week_day"].iloc[0]) if len(d) else 0
        trail = 6 - int(d["week_day"].iloc[-1]) if len(d) else 0
        first = d["week_start"].iloc[0] if len(d) else self.end
        n_weeks = (lead + len(d) + trail) // 7
        starts = pd.DatetimeIndex(first + pd.to_timedelta(np.arange(n_weeks) * 7, unit="D"))
        whole = (starts >= self.history_start) & (starts + pd.Timedelta(days=6) <= self.end)
        return lead, trail, starts, np.asarray(whole)

    def week_compare(self, values, weeks: int) -> pd.DataFrame:
        """Week-to-date totals of a daily series against the previous complete weeks.

        Returns, per day: ``wtd`` (this week's total up to and including the day), ``prev`` (last week's
        total, NaN unless that week lies wholly inside the history) and ``base`` (the mean of the previous
        ``weeks`` complete weeks, NaN until there are that many), plus ``week``, ``week_start``,
        ``week_day`` and ``complete`` (the day is its week's last day).
        """
        d = self.days
        lead, trail, starts, whole = self._week_grid
        v = np.asarray(values, dtype="float64")
        grid = np.concatenate([np.zeros(lead), v, np.zeros(trail)]).reshape(-1, 7)
        wtd = np.cumsum(grid, axis=1).ravel()[lead : lead + len(v)]
        totals = pd.Series(np.where(whole, grid.sum(axis=1), np.nan))
        prev = totals.shift(1)
        base = prev.rolling(max(1, weeks), min_periods=max(1, weeks)).mean()
        code = (np.arange(len(v)) + lead) // 7
        out = pd.DataFrame(
            {
                "wtd": wtd,
                "prev": prev.to_numpy()[code],
                "base": base.to_numpy()[code],
                "week": d["week"].to_numpy(),
                "week_start": d["week_start"].to_numpy(),
                "week_day": d["week_day"].to_numpy(),
                "complete": (d["week_day"] == 6).to_numpy(),
            },
            index=d.index,
        )
        return out

    def usual_week_km(self) -> pd.Series:
        """Per day: the larger of the last 7 days' running km and the 28-day weekly average
        (NaN before 28 days of history): the "weekly volume" a long run is measured against."""
        km = self.days["distance_km"]
        km7 = km.rolling(7, min_periods=1).sum()
        km28 = km.rolling(28, min_periods=28).sum() / 4.0
        return np.maximum(km7, km28).where(self.days["history_days"] >= 28)

    def run_flags(self, hard_min: float, long_run_pct: float) -> pd.DataFrame:
        """Running rows (cached per arguments) with ``hard_min`` (minutes above threshold), ``long``
        (longer than ``long_run_pct`` % of the usual weekly volume) and ``hard`` (≥ ``hard_min`` hard
        minutes, or long)."""
        key = (float(hard_min), float(long_run_pct))
        cache = self.__dict__.setdefault("_flag_cache", {})
        if key not in cache:
            cache[key] = self._run_flags(*key)
        return cache[key]

    def shoe_table(self, plan_km: float, replace_km: float) -> pd.DataFrame:
        """:func:`hiprisk.shoes.shoe_table` of this log and shoes on ``end`` (cached per thresholds): the
        shoe rule and ``hiprisk check``'s shoe km read the same table, computed once."""
        from ..shoes import shoe_table

        key = (float(plan_km), float(replace_km))
        cache = self.__dict__.setdefault("_shoe_tables", {})
        if key not in cache:
            cache[key] = shoe_table(self.log, self.shoes, self.end, plan_km=key[0], replace_km=key[1])
        return cache[key]

    def _run_flags(self, hard_min: float, long_run_pct: float) -> pd.DataFrame:
        runs = self.runs.copy()
        usual = self.usual_week_km()
        runs["week_km"] = usual.reindex(runs["local_date"]).to_numpy()
        runs["hard_min"] = runs["hard_s"] / 60.0
        runs["long"] = gt(runs["distance_km"], 0.0) & gt(
            runs["distance_km"] / runs["week_km"] * 100.0, long_run_pct
        )
        runs["long"] = runs["long"] & runs["week_km"].notna().to_numpy()
        runs["hard_by_min"] = ge(runs["hard_min"], hard_min) & (runs["hard_min"] > 0).to_numpy()
        runs["hard"] = runs["hard_by_min"] | runs["long"]
        return runs


def to_day(value) -> pd.Timestamp | None:
    """A local calendar day (tz-naive midnight) from a date-like; a tz-aware value keeps its wall clock."""
    if value is None:
        return None
    if isinstance(value, dt.datetime | pd.Timestamp) and getattr(value, "tzinfo", None) is not None:
        value = pd.Timestamp(value).tz_localize(None)
    return pd.Timestamp(value).normalize()


def make_context(log: pd.DataFrame, end: pd.Timestamp | None, config: Config, shoes=None) -> Context:
    """The prepared log cut at ``end`` (default: its last day) and the shared views."""
    thresholds = log.attrs.get("thresholds")
    prepared = prepare_log(log, config)
    if end is None:
        end = prepared["local_date"].max() if len(prepared) else pd.Timestamp.today().normalize()
    cut = prepared[prepared["local_date"] <= end]
    return Context(cut, end, config, shoes=shoes, thresholds=thresholds)


def obs_frame(columns: dict) -> pd.DataFrame:
    """An observation frame from column arrays (or scalars), keeping only the flagged rows (non-empty
    ``severity``); the frame is built from those rows alone. Columns named ``_*`` are working columns of
    the rule's full state (kept for the series functions of :mod:`hiprisk.rules.series`) and are left out.
    """
    columns = {key: value for key, value in columns.items() if not key.startswith("_")}
    sev = np.asarray(columns["severity"], dtype=object)
    lengths = [len(v) for v in columns.values() if np.ndim(v) > 0]
    n = lengths[0] if lengths else 1
    if sev.ndim == 0:
        sev = np.full(n, sev, dtype=object)
    keep = np.flatnonzero(sev != "")
    out = {}
    for key, value in columns.items():
        if np.ndim(value) == 0:
            out[key] = [value] * len(keep)
        else:
            arr = value.to_numpy() if isinstance(value, pd.Index | pd.Series) else np.asarray(value)
            out[key] = arr[keep]
    out["severity"] = sev[keep]
    return pd.DataFrame(out)


def empty_obs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "day": pd.Series(dtype="datetime64[ns]"),
            "period": pd.Series(dtype=object),
            "severity": pd.Series(dtype=object),
            "value": pd.Series(dtype=float),
            "threshold": pd.Series(dtype=float),
            "unit": pd.Series(dtype=object),
        }
    )


def consecutive_count(flags: pd.Series) -> pd.Series:
    """Length of the run of consecutive True values ending at each position (0 where False)."""
    f = flags.astype(bool)
    groups = (~f).cumsum()
    return f.astype("int64").groupby(groups.to_numpy()).cumsum()
