"""The risk engine: explainable rules that flag training-load patterns the literature links to injury.

hiprisk never diagnoses: a warning says that a pattern in the training log is *linked with* injury in the
cited evidence, how strong that evidence is, and what the articles advise. Rules, thresholds and
evidence are documented in ``docs/rules.md``; each rule lives in one module per family (``load``,
``terrain``, ``gear``, ``recovery``, ``intensity``, ``form``) and registers itself in :data:`RULES`.

Public API::

    evaluate(log, as_of=None, config=None, shoes=None, *, notes=True) -> list[Warning]  # standing on a day
    warnings_frame(log, since=None, until=None, config=None, shoes=None) -> DataFrame  # a span, per period
    effective_settings(config) -> {rule_id: {setting: value}}
    observations(log, rule_id, as_of=None, config=None, shoes=None) -> DataFrame  # one rule's raw flags
    RULES: {rule_id: RuleSpec}
    evaluate_context(ctx), load_ratio_context(ctx)  # both on one prepared context (hiprisk check)

Series for charts and notebooks (:mod:`hiprisk.rules.series`: every day, week or run, computed by the
rules' own functions, so a chart never disagrees with a warning)::

    load_ratio_series(log, as_of=None, config=None) -> DataFrame  # per day: acute, chronic, ratio
    weekly_reference(log, as_of=None, config=None) -> DataFrame   # per week: km, reference km, rise %
    week_baselines(log, as_of=None, config=None) -> DataFrame     # per week: descent, trail, hard minutes
    run_flags(log, as_of=None, config=None) -> DataFrame          # per run: hard, long, spike %, warm-up

Both entry points compute every rule over the whole log cut at the evaluation day (no figure ever uses
data from after the day it describes) and differ only in how observations become warnings:
``warnings_frame`` gives one row per rule per period (a week, a run, an episode of consecutive days, a
shoe crossing a threshold), ``evaluate`` the warnings standing on ``as_of`` with that day's numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import Config

# Importing the family modules registers their rules.
from . import form, gear, intensity, load, recovery, terrain  # noqa: F401
from ._core import (
    HISTORY_SUBJECT,
    RULES,
    SEVERITIES,
    SEVERITY_RANK,
    WARNING_FIELDS,
    Context,
    RuleSpec,
    Warning,
    check_rule_ids,
    day_str,
    make_context,
    rule_settings,
    to_day,
)
from .series import load_ratio_context, load_ratio_series, run_flags, week_baselines, weekly_reference

__all__ = [
    "RULES",
    "SEVERITIES",
    "RuleSpec",
    "Warning",
    "effective_settings",
    "evaluate",
    "evaluate_context",
    "load_ratio_context",
    "load_ratio_series",
    "observations",
    "run_flags",
    "warnings_frame",
    "week_baselines",
    "weekly_reference",
]

#: Display order of the rules (the issue's table); the registry is kept in this order.
RULE_IDS = (
    "weekly_increase",
    "load_ratio",
    "session_spike",
    "downhill_volume",
    "trail_volume",
    "shoe_mileage",
    "rest_days",
    "monotony",
    "intensity_jump",
    "hard_back_to_back",
    "warmup",
    "cadence",
)
_ordered = {k: RULES[k] for k in RULE_IDS if k in RULES} | {
    k: v for k, v in RULES.items() if k not in RULE_IDS
}
RULES.clear()
RULES.update(_ordered)
RULE_ORDER = {rule_id: i for i, rule_id in enumerate(RULES)}


def effective_settings(config: Config | None = None) -> dict[str, dict]:
    """Every rule's effective settings: its defaults merged with ``[rules.<id>]`` from the config.

    Raises
    ------
    ConfigError
        For a ``[rules.X]`` table naming no rule, or a setting a rule does not have (the message names it).
    """
    check_rule_ids(config)
    return {rule_id: rule_settings(spec, config) for rule_id, spec in RULES.items()}


def _compute(log: pd.DataFrame, end: pd.Timestamp | None, config: Config | None, shoes):
    """Run every enabled rule on the log cut at ``end``: ``([(spec, settings, obs)], ctx, settings)``."""
    config = config or Config()
    settings = effective_settings(config)
    ctx = make_context(log, end, config, shoes)
    return _compute_in(ctx, settings), ctx, settings


def _compute_in(ctx: Context, settings: dict[str, dict]) -> list:
    """Every enabled rule's observations on an evaluation context: ``[(spec, settings, obs)]``."""
    results = []
    for rule_id, spec in RULES.items():
        s = settings[rule_id]
        if not s["enabled"] or ctx.empty:
            continue
        results.append((spec, s, spec.compute(ctx, s)))
    return results


# -- projections: observations → warnings ---------------------------------------------------------------
def _ranked(obs: pd.DataFrame) -> pd.DataFrame:
    obs = obs.copy()
    obs["rank"] = obs["severity"].map(SEVERITY_RANK).astype(int)
    obs["day"] = pd.to_datetime(obs["day"])
    return obs


def _week_rows(obs: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """One row per week: its state on its last day (the week's end, or ``end`` for the current week),
    dated the first day of the week it reached that severity. A week whose last state is not flagged gives
    no row, even if a day mid-week was (a week-to-date mean or share can settle back)."""
    obs = _ranked(obs).sort_values(["period", "day"], kind="stable")
    last = (pd.to_datetime(obs["week_start"]) + pd.Timedelta(days=6)).clip(upper=end)
    rows = obs[obs["day"] == last].copy()
    if rows.empty:
        return rows.assign(date=pd.Series(dtype="datetime64[ns]"))
    reach = obs.merge(rows[["period", "rank"]], on="period", suffixes=("", "_final"))
    first = reach[reach["rank"] >= reach["rank_final"]].groupby("period")["day"].min()
    rows["date"] = rows["period"].map(first)
    return rows


def _episodes(obs: pd.DataFrame, gap_days: int = 1) -> pd.DataFrame:
    """Flagged days of the same ``kind`` at most ``gap_days`` apart numbered as episodes, with their
    first/last day (gap 1: strictly consecutive days)."""
    obs = _ranked(obs)
    if "kind" not in obs:
        obs["kind"] = "high"
    obs = obs.sort_values(["kind", "day"], kind="stable")
    new = (obs["kind"] != obs["kind"].shift()) | (obs["day"].diff() > pd.Timedelta(days=max(1, gap_days)))
    obs["episode"] = new.cumsum().to_numpy()
    g = obs.groupby("episode")["day"]
    obs["episode_start"] = g.transform("min")
    obs["episode_end"] = g.transform("max")
    obs["period"] = obs["episode_start"].dt.strftime("%Y-%m-%d")
    return obs


def _episode_rows(obs: pd.DataFrame, gap_days: int = 1) -> pd.DataFrame:
    """One row per episode: the extreme value at the episode's highest severity."""
    obs = _episodes(obs, gap_days)
    top = obs.groupby("episode")["rank"].transform("max")
    at_top = obs[obs["rank"] == top].copy()
    first = at_top.groupby("episode")["day"].transform("min")
    at_top["date"] = first
    low = at_top["kind"] == "low"
    at_top["_key"] = np.where(low, -at_top["value"], at_top["value"])
    at_top = at_top.sort_values(["episode", "_key", "day"], ascending=[True, False, True], kind="stable")
    return at_top.groupby("episode", sort=False).head(1)


def _standing_episode_rows(obs: pd.DataFrame, end: pd.Timestamp, gap_days: int = 1) -> pd.DataFrame:
    """The state on ``end`` of episodes still going on that day (the condition holds on ``end``)."""
    obs = _episodes(obs, gap_days)
    live = obs[obs["episode_end"] == end]
    if live.empty:
        return live.assign(date=pd.Series(dtype="datetime64[ns]"))
    today = live[live["day"] == end].copy()
    reach = live.merge(today[["episode", "rank"]], on=["episode", "rank"])
    first = reach.groupby("episode")["day"].min()
    today["date"] = today["episode"].map(first)
    return today


def _shoe_standing(obs: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    obs = _ranked(obs)
    obs = obs[obs["day"] <= end]
    active = obs["retired_on"].isna() | (pd.to_datetime(obs["retired_on"]) > end)
    obs = obs[active].sort_values(["subject", "rank", "day"], kind="stable")
    rows = obs.groupby("subject", sort=False).tail(1).copy()
    rows["value"] = rows["current_km"]
    rows["date"] = rows["day"]
    return rows


def _may_stand(spec: RuleSpec, obs: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """The observations that can give a warning standing on ``end`` (the others are dropped before the
    projection, which is what ``evaluate`` spends its time on over a long log).

    Exactly the rows the standing projection reads: a run within ``stands_days`` of ``end``; the days of
    a week that can still stand (it started at most 13 days before ``end``: each week is projected from
    its own rows only); the days of an episode that reaches ``end`` (each episode from its own rows
    only). Shoe crossings and rules mixing grains are kept whole.
    """
    if "grain" in obs or spec.grain == "shoe":
        return obs
    if spec.grain == "run":
        age = (end - pd.to_datetime(obs["day"])).dt.days
        return obs[((age >= 0) & (age < spec.stands_days)).to_numpy()]
    if spec.grain == "week":
        start = pd.to_datetime(obs["week_start"])
        return obs[((start <= end) & (end <= start + pd.Timedelta(days=13))).to_numpy()]
    # day grain: episodes as _episodes() forms them (same kind, days at most the gap apart), kept when
    # the episode's last day is ``end``
    day = pd.to_datetime(obs["day"]).to_numpy()
    kind = obs["kind"].to_numpy() if "kind" in obs else np.full(len(obs), "high", dtype=object)
    order = np.lexsort((day, pd.factorize(kind, sort=True)[0]))  # by kind, then day
    k, d = kind[order], day[order]
    new = np.ones(len(d), dtype=bool)
    new[1:] = (k[1:] != k[:-1]) | ((d[1:] - d[:-1]) > np.timedelta64(max(1, spec.episode_gap_days), "D"))
    episode = np.cumsum(new) - 1
    last_day = d[np.flatnonzero(np.append(new[1:], True))]  # each episode's last row (sorted by day)
    live = np.empty(len(obs), dtype=bool)
    live[order] = last_day[episode] == pd.Timestamp(end).to_datetime64()
    return obs[live]


def _project(spec: RuleSpec, obs: pd.DataFrame, end: pd.Timestamp, standing: bool) -> pd.DataFrame:
    if obs.empty:
        return obs
    if standing:
        obs = _may_stand(spec, obs, end)
        if obs.empty:
            return obs
    grains = obs["grain"] if "grain" in obs else pd.Series(spec.grain, index=obs.index)
    parts = []
    for grain, part in obs.groupby(grains.to_numpy(), sort=False):
        part = part.copy()
        if grain == "run":
            part = _ranked(part)
            part["date"] = part["day"]
            if standing:
                age = (end - part["day"]).dt.days
                part = part[(age >= 0) & (age < spec.stands_days)]
        elif grain == "week":
            part = _week_rows(part, end)
            if standing:
                start = pd.to_datetime(part["week_start"])
                part = part[(start <= end) & (end <= start + pd.Timedelta(days=13))]
        elif grain == "day":
            gap = spec.episode_gap_days
            part = _standing_episode_rows(part, end, gap) if standing else _episode_rows(part, gap)
        elif grain == "shoe":
            part = _shoe_standing(part, end) if standing else _ranked(part).assign(date=lambda d: d["day"])
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else obs


def _warnings(spec: RuleSpec, settings: dict, rows: pd.DataFrame, end, standing: bool) -> list[Warning]:
    out: list[Warning] = []
    if rows.empty:
        return out
    for row in rows.to_dict("records"):
        row = {k: (None if _isnan(v) else v) for k, v in row.items()}
        row["standing"] = standing
        row["end"] = end
        if "episode_end" in row and row["episode_end"] is not None:
            row["ongoing"] = pd.Timestamp(row["episode_end"]) >= end
        advice = spec.advice_for(row, settings) if spec.advice_for else spec.advice
        out.append(
            Warning(
                rule=spec.id,
                severity=str(row["severity"]),
                period=str(row["period"]),
                value=round(float(row["value"]), 3),
                threshold=round(float(row["threshold"]), 3),
                unit=str(row["unit"]),
                message=spec.message(row, settings),
                advice=advice,
                source=spec.source,
                evidence=spec.evidence,
                date=day_str(row["date"]),
                activity_id=_opt_str(row.get("activity_id")),
                subject=_opt_str(row.get("subject")),
            )
        )
    return out


def _isnan(v) -> bool:
    return isinstance(v, float) and v != v


def _opt_str(v) -> str | None:
    return None if v is None or (isinstance(v, float) and v != v) else str(v)


def _sort_key(w: Warning):
    return (w.date, -SEVERITY_RANK[w.severity], RULE_ORDER.get(w.rule, 99), w.period, w.subject or "")


def _history_notes(ctx: Context, settings: dict[str, dict], end: pd.Timestamp) -> list[Warning]:
    notes = []
    for rule_id, spec in RULES.items():
        s = settings[rule_id]
        if not s["enabled"] or spec.history is None:
            continue
        have, need, unit = spec.history(ctx, s)
        if have >= need:
            continue
        notes.append(
            Warning(
                rule=rule_id,
                severity="info",
                period=day_str(end),
                value=float(have),
                threshold=float(need),
                unit=unit,
                message=(
                    f"Not enough history for {spec.title.lower()} yet: {have:g} of {need:g} {unit} "
                    f"logged, so no verdict until then (no alarm is raised on a short log)."
                ),
                advice="Keep logging your runs (or import older ones) so the rule has a baseline.",
                source=spec.source,
                evidence=spec.evidence,
                date=day_str(end),
                subject=HISTORY_SUBJECT,
            )
        )
    return notes


# -- public API ---------------------------------------------------------------------------------------
def evaluate(
    log: pd.DataFrame,
    as_of=None,
    config: Config | None = None,
    shoes: pd.DataFrame | None = None,
    *,
    notes: bool = True,
) -> list[Warning]:
    """The warnings standing on ``as_of``, computed only from activities up to and including that day.

    Parameters
    ----------
    log : DataFrame
        The training log (:func:`hiprisk.load_log`); cross-training rows are kept but never count as
        running volume.
    as_of : date-like, optional
        The local day to evaluate (the whole day counts as done). Default: the last day of the log.
    config : Config, optional
        Athlete profile (time zone, week start, thresholds) and per-rule settings.
    shoes : DataFrame, optional
        One row per shoe (``name``, optional ``start_km``, ``retired_on``, ``retire_at_km``); default:
        shoe km from the log's ``shoe`` column alone.
    notes : bool
        Add an info-level note (``subject="history"``) for each rule that has too little history to
        judge on ``as_of``.

    Returns
    -------
    list of Warning
        Most severe first. What "standing" means per rule kind: a weekly rule's warning stands during its
        week (judged week-to-date) and the following week; a per-run warning for 7 days after the run; a
        day-state rule (load ratio, monotony, rest days) while its condition holds on ``as_of``; a shoe
        warning while the shoe is in use.
    """
    end = to_day(as_of)
    results, ctx, settings = _compute(log, end, config, shoes)
    return _standing(results, ctx, settings, notes)


def evaluate_context(ctx: Context, *, notes: bool = True) -> list[Warning]:
    """:func:`evaluate` on an evaluation context already built (:func:`hiprisk.rules._core.make_context`
    with the log, day, config and shoes ``evaluate`` would use): for a caller that also needs the series
    of :mod:`hiprisk.rules.series` on the same day (``hiprisk check``), so the log is prepared and its day
    view computed once."""
    settings = effective_settings(ctx.config)
    return _standing(_compute_in(ctx, settings), ctx, settings, notes)


def _standing(results: list, ctx: Context, settings: dict[str, dict], notes: bool) -> list[Warning]:
    end = ctx.end
    out: list[Warning] = []
    for spec, s, obs in results:
        rows = _project(spec, obs, end, standing=True)
        out.extend(_warnings(spec, s, rows, end, standing=True))
    if notes and not ctx.empty:
        out.extend(_history_notes(ctx, settings, end))
    out.sort(key=_sort_key)
    out.sort(key=lambda w: -SEVERITY_RANK[w.severity])
    return out


def warnings_frame(
    log: pd.DataFrame,
    since=None,
    until=None,
    config: Config | None = None,
    shoes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every warning over a span, one row per rule per period, oldest first.

    Rows: a weekly rule gives one row per athlete week (its final state, week-to-date for a week cut by
    ``until``); a per-run rule one row per run; a day-state rule one row per episode of consecutive
    flagged days (``period`` = its first day; rest_days: one row per streak); shoe_mileage one row per
    shoe and threshold crossed. A row is kept when its period overlaps ``[since, until]``.

    Parameters
    ----------
    since, until : date-like, optional
        The span (local days, inclusive). Figures use the history before ``since`` as baseline and never
        data after ``until``. Default: the whole log.

    Returns
    -------
    DataFrame
        Columns = the :class:`Warning` fields.
    """
    start = to_day(since)
    end = to_day(until)
    results, ctx, _ = _compute(log, end, config, shoes)
    end = ctx.end
    warnings: list[Warning] = []
    for spec, s, obs in results:
        rows = _project(spec, obs, end, standing=False)
        if start is not None and len(rows):
            rows = rows[_last_day(rows, spec, end) >= start]
        warnings.extend(_warnings(spec, s, rows, end, standing=False))
    warnings.sort(key=_sort_key)
    # object columns keep None for a missing activity_id / subject (pandas' str dtype would make it NaN)
    return pd.DataFrame(
        {name: pd.Series([getattr(w, name) for w in warnings], dtype=_dtype(name)) for name in WARNING_FIELDS}
    )


def observations(
    log: pd.DataFrame,
    rule_id: str,
    as_of=None,
    config: Config | None = None,
    shoes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The raw observations of one rule up to ``as_of``: every flagged day, run or shoe crossing, with
    the rule's own context columns (before they are grouped into warnings). For tests and notebooks."""
    if rule_id not in RULES:
        raise KeyError(f"unknown rule {rule_id!r}")
    config = config or Config()
    check_rule_ids(config)
    spec = RULES[rule_id]
    ctx = make_context(log, to_day(as_of), config, shoes)
    return spec.compute(ctx, rule_settings(spec, config)) if not ctx.empty else pd.DataFrame()


def _dtype(name: str):
    return float if name in ("value", "threshold") else object


def _last_day(rows: pd.DataFrame, spec: RuleSpec, end: pd.Timestamp) -> pd.Series:
    """The last day each projected row covers (its week's end, episode's end, run day, or ``end``)."""
    last = pd.to_datetime(rows["day"])
    if "week_start" in rows:
        week_end = pd.to_datetime(rows["week_start"]) + pd.Timedelta(days=6)
        last = last.where(rows["week_start"].isna(), week_end)
    if "episode_end" in rows:
        last = last.where(rows["episode_end"].isna(), pd.to_datetime(rows["episode_end"]))
    if "until_day" in rows:
        last = last.where(rows["until_day"].isna(), pd.to_datetime(rows["until_day"]))
    return last.clip(upper=end)
