"""Series for charts and notebooks: the rules' own numbers for every day, week or run.

A rule returns only the rows it flags. A chart needs every row: the load ratio also inside the 0.8–1.3
range, the reference of the 10 % band also in weeks that stayed below it. Each rule is therefore computed
in two steps: a *state* function gives every day (or run) with its severity (``""`` when not flagged) —
``load_ratio_days``, ``weekly_increase_days``, ``downhill_volume_days``, ``trail_volume_days``,
``intensity_jump_days``, ``session_spike_runs``, ``warmup_runs``, ``hard_day_streaks`` — and the rule keeps
the flagged rows of it. The functions here call the same state functions on the same evaluation context
(:func:`hiprisk.rules.evaluate`'s: the log cut at ``as_of``, the user's validated settings), so a chart drawn
from a series cannot disagree with a warning: on every flagged day, week or run the series holds the
warning's value and severity.

Public functions (exported by :mod:`hiprisk.rules`)::

    load_ratio_series(log, as_of=None, config=None) -> DataFrame  # per day: acute, chronic, ratio
    weekly_reference(log, as_of=None, config=None) -> DataFrame   # per week: km, reference km, rise %
    week_baselines(log, as_of=None, config=None) -> DataFrame     # per week: descent, trail, hard minutes
    run_flags(log, as_of=None, config=None) -> DataFrame          # per run: hard, long, spike %, warm-up

A weekly series has one row per athlete week holding the week's state on its last day (its Sunday, or
``as_of`` for the week still going on), the state the weekly warning of :func:`hiprisk.rules.warnings_frame`
reports. A rule switched off in the config (``enabled = false``) still has its numbers, but its severity
column is empty, as it raises no warning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import Config
from ._core import RULES, Context, check_rule_ids, make_context, rule_settings, to_day
from .intensity import hard_day_streaks, intensity_jump_days, warmup_runs
from .load import load_ratio_days, session_spike_runs, weekly_increase_days
from .terrain import downhill_volume_days, trail_volume_days

__all__ = ["load_ratio_series", "run_flags", "week_baselines", "weekly_reference"]

#: Columns (and dtypes) of :func:`load_ratio_series`.
LOAD_RATIO_COLUMNS = {
    "load": "float64",
    "acute": "float64",
    "chronic": "float64",
    "ratio": "float64",
    "rolling_ratio": "float64",
    "severity": "object",
}
#: Columns (and dtypes) of :func:`weekly_reference`.
WEEKLY_REFERENCE_COLUMNS = {
    "week_start": "datetime64[ns]",
    "complete": "bool",
    "distance_km": "float64",
    "prev_km": "float64",
    "base_km": "float64",
    "after_break": "bool",
    "ref_km": "float64",
    "rise_pct": "float64",
    "caution_km": "float64",
    "high_km": "float64",
    "severity": "object",
}
#: Columns (and dtypes) of :func:`week_baselines`.
WEEK_BASELINE_COLUMNS = {
    "week_start": "datetime64[ns]",
    "complete": "bool",
    "descent_m": "float64",
    "descent_base_m": "float64",
    "descent_rise_pct": "float64",
    "downhill_km": "float64",
    "downhill_base_km": "float64",
    "downhill_rise_pct": "float64",
    "downhill_volume_severity": "object",
    "distance_km": "float64",
    "distance_base_km": "float64",
    "trail_km": "float64",
    "trail_base_km": "float64",
    "trail_share_pct": "float64",
    "trail_base_share_pct": "float64",
    "trail_share_points": "float64",
    "trail_rise_pct": "float64",
    "trail_volume_severity": "object",
    "hard_min": "float64",
    "hard_base_min": "float64",
    "hard_rise_pct": "float64",
    "hard_sessions": "float64",
    "hard_base_sessions": "float64",
    "intensity_jump_severity": "object",
}
#: Columns (and dtypes) of :func:`run_flags`.
RUN_FLAG_COLUMNS = {
    "activity_id": "object",
    "local_date": "datetime64[ns]",
    "start_utc": "datetime64[ns, UTC]",
    "distance_km": "float64",
    "hard_min": "float64",
    "usual_week_km": "float64",
    "hard_by_min": "bool",
    "long": "bool",
    "hard": "bool",
    "hard_streak_days": "int64",
    "hard_back_to_back_severity": "object",
    "prior_max_km": "float64",
    "spike_pct": "float64",
    "session_spike_severity": "object",
    "warmup_hr_bpm": "float64",
    "warmup_pace_min_km": "float64",
    "warmup_hard": "bool",
    "warmed_up": "bool",
    "warmup_severity": "object",
}


# -- shared steps -------------------------------------------------------------------------------------
def _context(log: pd.DataFrame, as_of, config: Config | None) -> tuple[Context, Config]:
    """The evaluation context of :func:`hiprisk.rules.evaluate` (no shoes: no series needs them)."""
    config = config or Config()
    check_rule_ids(config)
    return make_context(log, to_day(as_of), config), config


def _settings(rule_id: str, config: Config) -> dict:
    return rule_settings(RULES[rule_id], config)


def _severity(values, s: dict) -> np.ndarray:
    """The rule's severities, or all ``""`` when the rule is switched off (it then raises no warning)."""
    sev = np.asarray(values, dtype=object)
    return sev if s["enabled"] else np.full(len(sev), "", dtype=object)


def _empty(columns: dict[str, str], index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in columns.items()}, index=index)


def _week_index() -> pd.Index:
    return pd.Index([], dtype=object, name="week")


def _last_day_of_week(state: dict) -> pd.DataFrame:
    """A rule's daily week-to-date state reduced to each week's last day in the context (index: week)."""
    frame = pd.DataFrame({k: v for k, v in state.items() if np.ndim(v) > 0})
    last = frame.groupby("period", sort=False).tail(1)
    return last.set_index(pd.Index(last["period"].to_numpy(), dtype=object, name="week"))


# -- the series ---------------------------------------------------------------------------------------
def load_ratio_series(log: pd.DataFrame, as_of=None, config: Config | None = None) -> pd.DataFrame:
    """The ``load_ratio`` rule's acute and chronic load and their ratio, for every day.

    Computed by the rule's own function with the effective ``[rules.load_ratio]`` settings: the same
    daily load, exponentially weighted (or rolling) windows, history requirement and rhythm check.

    Parameters
    ----------
    log : DataFrame
        The training log (:func:`hiprisk.load_log`).
    as_of : date-like, optional
        The last local day; activities after it are ignored. Default: the last day of the log.
    config : Config, optional
        Athlete profile and rule settings (default settings when None).

    Returns
    -------
    DataFrame
        Index ``date``: every local day from the first activity to ``as_of``. Columns:

        ``load``
            the daily running load [km/day; load units/day with ``load = "time_intensity"``], rest
            days 0.
        ``acute``, ``chronic``
            the ``acute_days`` and ``chronic_days`` EWMA (λ = 2/(N+1), ``adjust=True``) or rolling means
            of ``load`` [same unit].
        ``ratio``
            ``acute / chronic`` [-]; NaN on days the rule gives no verdict (fewer than
            ``min_history_days`` days of history, or no chronic load).
        ``rolling_ratio``
            the 7-day ÷ 28-day rolling-mean ratio the rhythm check compares with 1 [-].
        ``severity``
            the rule's verdict that day: ``"high"``, ``"caution"``, ``"info"`` (detraining) or ``""``.

        Empty (these columns) when the log has no run up to ``as_of``.

    References
    ----------
    Williams S. et al. (2017) Better way to determine the acute:chronic workload ratio? Br J Sports Med
    51:209.
    Gabbett T.J. (2016) The training–injury prevention paradox. Br J Sports Med 50:273–280.
    """
    ctx, config = _context(log, as_of, config)
    return load_ratio_context(ctx)


def load_ratio_context(ctx: Context) -> pd.DataFrame:
    """:func:`load_ratio_series` on an evaluation context already built (the one
    :func:`hiprisk.rules.evaluate_context` judged), so the day view is computed once."""
    if ctx.empty:
        return _empty(LOAD_RATIO_COLUMNS, pd.DatetimeIndex([], name="date"))
    s = _settings("load_ratio", ctx.config)
    state = load_ratio_days(ctx, s)
    judged = np.asarray(state["_judged"], dtype=bool)
    out = pd.DataFrame(
        {
            "load": state["_load"],
            "acute": state["acute"],
            "chronic": state["chronic"],
            "ratio": np.where(judged, state["value"], np.nan),
            "rolling_ratio": state["rolling_ratio"],
            "severity": _severity(state["severity"], s),
        },
        index=pd.DatetimeIndex(state["day"], name="date"),
    )
    return out.astype(LOAD_RATIO_COLUMNS)


def weekly_reference(log: pd.DataFrame, as_of=None, config: Config | None = None) -> pd.DataFrame:
    """Per athlete week: running km and the reference the ``weekly_increase`` rule compares them with.

    The reference is last week's km, or the average of the ``baseline_weeks`` complete weeks before when
    last week was a break (below ``break_fraction`` of that average), exactly as the rule chooses it.

    Parameters
    ----------
    log : DataFrame
        The training log (:func:`hiprisk.load_log`).
    as_of : date-like, optional
        Last day considered (default: the log's last day); later activities are ignored.
    config : Config, optional
        Rule settings (defaults when omitted), as for :func:`load_ratio_series`.

    Returns
    -------
    DataFrame
        Index ``week`` (``YYYY-Www``), one row per week from the first activity's to ``as_of``'s, each
        the week's state on its last day (``as_of`` for the current week: week to date). Columns:

        ``week_start``
            the week's first local day.
        ``complete``
            the week is over (its last day is on or before ``as_of``).
        ``distance_km``
            running km of the week (to date) [km].
        ``prev_km``, ``base_km``
            last week's km and the mean of the previous ``baseline_weeks`` complete weeks [km]; NaN when
            those weeks are not all inside the history.
        ``after_break``
            last week was a break, so ``base_km`` is the reference.
        ``ref_km``
            the reference [km]; NaN when the rule cannot judge the week yet.
        ``rise_pct``
            ``(distance_km - ref_km) / ref_km × 100`` [%], the warning's value; NaN when not judged.
        ``caution_km``, ``high_km``
            ``ref_km × (1 + caution_pct / 100)`` and ``ref_km × (1 + high_pct / 100)`` [km]: the km above
            which the week is flagged.
        ``severity``
            the rule's verdict for the week: ``"high"``, ``"caution"`` or ``""``.

    References
    ----------
    Buist I. et al. (2008) Am J Sports Med 36:33–39 (the 10 % rule, a coaching convention).
    Nielsen R.O. et al. (2014) J Orthop Sports Phys Ther 44:739–747 (rises above 30 %).
    """
    ctx, config = _context(log, as_of, config)
    if ctx.empty:
        return _empty(WEEKLY_REFERENCE_COLUMNS, _week_index())
    s = _settings("weekly_increase", config)
    w = _last_day_of_week(weekly_increase_days(ctx, s))
    judged = w["_judged"].to_numpy(dtype=bool)
    ref = np.where(judged, w["ref"].to_numpy(dtype=float), np.nan)
    out = pd.DataFrame(
        {
            "week_start": w["week_start"].to_numpy(),
            "complete": w["complete"].to_numpy(),
            "distance_km": w["wtd"].to_numpy(),
            "prev_km": w["prev"].to_numpy(),
            "base_km": w["base"].to_numpy(),
            "after_break": w["after_break"].to_numpy(),
            "ref_km": ref,
            "rise_pct": np.where(judged, w["value"].to_numpy(dtype=float), np.nan),
            "caution_km": ref * (1.0 + float(s["caution_pct"]) / 100.0),
            "high_km": ref * (1.0 + float(s["high_pct"]) / 100.0),
            "severity": _severity(w["severity"], s),
        },
        index=w.index,
    )
    return out.astype(WEEKLY_REFERENCE_COLUMNS)


def week_baselines(log: pd.DataFrame, as_of=None, config: Config | None = None) -> pd.DataFrame:
    """Per athlete week: descent, downhill, trail and hard minutes against their baselines.

    The numbers of the ``downhill_volume``, ``trail_volume`` and ``intensity_jump`` rules, each with its
    own settings: a baseline is the mean of that rule's previous ``baseline_weeks`` (4) complete weeks
    inside the history, NaN until there are that many.

    Parameters
    ----------
    log : DataFrame
        The training log (:func:`hiprisk.load_log`).
    as_of : date-like, optional
        Last day considered (default: the log's last day); later activities are ignored.
    config : Config, optional
        Rule settings (defaults when omitted), as for :func:`load_ratio_series`.

    Returns
    -------
    DataFrame
        Index ``week`` (``YYYY-Www``), one row per week, each the week's state on its last day (week to
        date for ``as_of``'s week). Columns ``week_start`` and ``complete`` as in
        :func:`weekly_reference`, then:

        ``descent_m``, ``descent_base_m``, ``descent_rise_pct``
            running descent [m], its baseline [m] and the rise [%] (NaN with a zero baseline).
        ``downhill_km``, ``downhill_base_km``, ``downhill_rise_pct``
            km on grades steeper than −5 % [km], baseline [km], rise [%].
        ``downhill_volume_severity``
            that rule's verdict (``"high"``, ``"caution"`` or ``""``).
        ``distance_km``, ``distance_base_km``
            running km and their baseline [km] (the trail share's denominator).
        ``trail_km``, ``trail_base_km``, ``trail_rise_pct``
            trail km [km], baseline [km], rise [%].
        ``trail_share_pct``, ``trail_base_share_pct``, ``trail_share_points``
            trail share of the larger of this week's km and the usual weekly km [%], the baseline weeks'
            share [%] and the difference [percentage points].
        ``trail_volume_severity``
            that rule's verdict (``"caution"`` or ``""``).
        ``hard_min``, ``hard_base_min``, ``hard_rise_pct``
            minutes above threshold [min], baseline [min], rise [%].
        ``hard_sessions``, ``hard_base_sessions``
            hard sessions as ``intensity_jump`` counts them [sessions], baseline [sessions/week].
        ``intensity_jump_severity``
            that rule's verdict (``"caution"`` or ``""``).

    References
    ----------
    Gottschall J.S., Kram R. (2005) Ground reaction forces during downhill and uphill running. J Biomech
    38:445–452.
    Ramskov D. et al. (2018) Run Clever. J Orthop Sports Phys Ther 48:740–748.
    """
    ctx, config = _context(log, as_of, config)
    if ctx.empty:
        return _empty(WEEK_BASELINE_COLUMNS, _week_index())
    s_down = _settings("downhill_volume", config)
    s_trail = _settings("trail_volume", config)
    s_jump = _settings("intensity_jump", config)
    down = _last_day_of_week(downhill_volume_days(ctx, s_down))
    trail = _last_day_of_week(trail_volume_days(ctx, s_trail))
    jump = _last_day_of_week(intensity_jump_days(ctx, s_jump))
    out = pd.DataFrame(
        {
            "week_start": down["week_start"].to_numpy(),
            "complete": down["complete"].to_numpy(),
            "descent_m": down["wtd_desc"].to_numpy(),
            "descent_base_m": down["base_desc"].to_numpy(),
            "descent_rise_pct": down["_rise_desc"].to_numpy(),
            "downhill_km": down["wtd_km"].to_numpy(),
            "downhill_base_km": down["base_km"].to_numpy(),
            "downhill_rise_pct": down["_rise_km"].to_numpy(),
            "downhill_volume_severity": _severity(down["severity"], s_down),
            "distance_km": trail["_wtd_km"].to_numpy(),
            "distance_base_km": trail["_base_km"].to_numpy(),
            "trail_km": trail["wtd_trail"].to_numpy(),
            "trail_base_km": trail["base_trail"].to_numpy(),
            "trail_share_pct": trail["share"].to_numpy(),
            "trail_base_share_pct": trail["base_share"].to_numpy(),
            "trail_share_points": trail["points"].to_numpy(),
            "trail_rise_pct": trail["rise"].to_numpy(),
            "trail_volume_severity": _severity(trail["severity"], s_trail),
            "hard_min": jump["wtd_min"].to_numpy(),
            "hard_base_min": jump["base_min"].to_numpy(),
            "hard_rise_pct": jump["_rise"].to_numpy(),
            "hard_sessions": jump["_wtd_sessions"].to_numpy(),
            "hard_base_sessions": jump["base_sessions"].to_numpy(),
            "intensity_jump_severity": _severity(jump["severity"], s_jump),
        },
        index=down.index,
    )
    return out.astype(WEEK_BASELINE_COLUMNS)


def run_flags(log: pd.DataFrame, as_of=None, config: Config | None = None) -> pd.DataFrame:
    """Per run: hard session, long run, spike against the recent longest run, and a hard start.

    A *hard session* is defined as the ``hard_back_to_back`` rule defines it (its ``hard_min`` and
    ``long_run_pct`` settings): at least ``hard_min`` minutes above threshold, or a *long run* longer than
    ``long_run_pct`` % of the usual weekly volume (the larger of the last 7 days' km and the 28-day weekly
    average; recognised after 28 days of history). The spike is the ``session_spike`` rule's, the hard
    start the ``warmup`` rule's.

    Parameters
    ----------
    log : DataFrame
        The training log (:func:`hiprisk.load_log`).
    as_of : date-like, optional
        Last day considered (default: the log's last day); later activities are ignored.
    config : Config, optional
        Rule settings (defaults when omitted), as for :func:`load_ratio_series`.

    Returns
    -------
    DataFrame
        One row per running activity up to ``as_of``, oldest first. Columns:

        ``activity_id``, ``local_date``, ``start_utc``, ``distance_km`` [km]
            the run.
        ``hard_min``
            minutes above threshold heart rate (or pace) [min].
        ``usual_week_km``
            the usual weekly volume the run is measured against [km]; NaN before 28 days of history.
        ``hard_by_min``, ``long``, ``hard``
            hard by minutes, long run, and either.
        ``hard_streak_days``
            consecutive hard days ending on the run's day [days] (0 when the day is not hard).
        ``hard_back_to_back_severity``
            ``"caution"`` on the hardest run of a hard day that follows a hard day, else ``""``.
        ``prior_max_km``
            the longest run that started in the ``window_days`` (30) × 24 h before this one [km].
        ``spike_pct``
            ``(distance_km - prior_max_km) / prior_max_km × 100`` [%]; NaN when the rule gives the run no
            verdict (history shorter than the window, no earlier run in it).
        ``session_spike_severity``
            that rule's verdict (``"high"``, ``"caution"`` or ``""``).
        ``warmup_hr_bpm``, ``warmup_pace_min_km``
            mean heart rate [bpm] and pace [min/km] of the first 10 minutes: the warning's value is the
            heart rate when the run has one (and a threshold heart rate is known), else the pace.
        ``warmup_hard``
            the first 10 minutes were at or above threshold heart rate (or threshold pace without HR).
        ``warmed_up``
            another activity ended less than ``warmup_gap_min`` minutes before the run.
        ``warmup_severity``
            ``"caution"`` for a hard start without a warm-up, else ``""``.

    References
    ----------
    Frandsen J.S.B. et al. (2025) How much running is too much? Br J Sports Med 59:1203–1210.
    Ramskov D. et al. (2018) Run Clever. J Orthop Sports Phys Ther 48:740–748.
    """
    ctx, config = _context(log, as_of, config)
    if ctx.empty:
        return _empty(RUN_FLAG_COLUMNS, pd.RangeIndex(0))
    s_b2b = _settings("hard_back_to_back", config)
    s_spike = _settings("session_spike", config)
    s_warm = _settings("warmup", config)
    runs = ctx.run_flags(s_b2b["hard_min"], s_b2b["long_run_pct"])
    top, streak = hard_day_streaks(ctx, s_b2b)
    day = pd.DatetimeIndex(runs["local_date"])
    day_streak = streak.reindex(day).fillna(0).to_numpy(dtype="int64")
    flagged_days = streak.index[(streak >= 2).to_numpy()]
    b2b_ids = set(top.loc[top.index.intersection(flagged_days), "activity_id"])
    b2b = np.where(runs["activity_id"].isin(b2b_ids).to_numpy(), "caution", "")
    spike = session_spike_runs(ctx, s_spike)
    warm = warmup_runs(ctx, s_warm)
    out = pd.DataFrame(
        {
            "activity_id": runs["activity_id"].astype(object).to_numpy(),
            "local_date": runs["local_date"].to_numpy(),
            "start_utc": pd.to_datetime(runs["start_utc"], utc=True).reset_index(drop=True),
            "distance_km": runs["distance_km"].to_numpy(dtype=float),
            "hard_min": runs["hard_min"].to_numpy(dtype=float),
            "usual_week_km": runs["week_km"].to_numpy(dtype=float),
            "hard_by_min": runs["hard_by_min"].to_numpy(dtype=bool),
            "long": runs["long"].to_numpy(dtype=bool),
            "hard": runs["hard"].to_numpy(dtype=bool),
            "hard_streak_days": day_streak,
            "hard_back_to_back_severity": _severity(b2b, s_b2b),
            "prior_max_km": spike["prior_max"],
            "spike_pct": np.where(spike["_judged"], spike["value"], np.nan),
            "session_spike_severity": _severity(spike["severity"], s_spike),
            "warmup_hr_bpm": warm["_hr"],
            "warmup_pace_min_km": warm["_pace"],
            "warmup_hard": runs["warmup_hard"].to_numpy(dtype=bool),
            "warmed_up": warm["_warmed_up"],
            "warmup_severity": _severity(warm["severity"], s_warm),
        }
    )
    return out.astype(RUN_FLAG_COLUMNS)
