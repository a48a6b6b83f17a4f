"""Intensity rules: jumps in weekly hard minutes, hard sessions on consecutive days, starting hard.

"Hard" comes from :mod:`hiprisk.intensity`: a second above the athlete's threshold heart rate, or — for
runs without heart rate — faster than threshold pace (profile values, else estimated from the log).

References
----------
Ramskov D. et al. (2018) Progression in running intensity or running volume and the development of
specific injuries in recreational runners: Run Clever. J Orthop Sports Phys Ther 48:740–748.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._core import Context, consecutive_count, day_str, empty_obs, fmt, ge, gt, obs_frame, register
from .load import _so_far, weeks_history

_HIP_FLEXOR = "the articles note that hip-flexor strains often follow hard workouts"


def _hard_desc(runs: pd.DataFrame) -> pd.Series:
    """A short description of why each hard run is hard ("14 min above threshold", "long run …")."""
    by_min = runs["hard_min"].round(0).astype(int).astype(str) + " min above threshold"
    pct = (runs["distance_km"] / runs["week_km"] * 100.0).round(0)
    long = (
        "long run of " + runs["distance_km"].round(1).astype(str) + " km, "
        + pct.fillna(0).astype(int).astype(str) + " % of the weekly volume"
    )  # fmt: skip
    return by_min.where(runs["hard_by_min"], long)


# -- intensity_jump -----------------------------------------------------------------------------------
def _jump_message(r: dict, s: dict) -> str:
    weeks = int(s["baseline_weeks"])
    head = f"in {r['period']}{_so_far(r)}"
    if r["metric"] == "minutes":
        text = (
            f"Hard running {head} is {fmt(r['wtd_min'], 0)} min above threshold, "
            f"{fmt(r['value'], 0, r['threshold'])} % more than your {weeks}-week average of "
            f"{fmt(r['base_min'], 0)} min"
        )
    else:
        text = (
            f"Hard sessions {head}: {int(r['value'])}, against {fmt(r['base_sessions'], 1)} a week over the "
            f"previous {weeks} weeks (at least double)"
        )
    return (
        f"{text}; {_HIP_FLEXOR}, though in Run Clever progressing intensity was no riskier than "
        "progressing volume (exploratory evidence)."
    )


@register(
    "intensity_jump",
    family="intensity",
    title="Intensity jump",
    defaults={
        "caution_pct": 30.0,
        "min_hard_min": 10.0,
        "session_factor": 2.0,
        "min_sessions": 2,
        "hard_min": 10.0,
        "count_long_runs": False,
        "long_run_pct": 25.0,
        "baseline_weeks": 4,
    },
    grain="week",
    source=(
        "Hip-pain articles (hard workouts, speed work); Ramskov et al. 2018 (Run Clever), JOSPT 48:740–748"
    ),
    evidence="exploratory",
    advice=(
        "Add speed work gradually, one hard session at a time, and rest and recover between hard efforts; "
        "keep the hip flexors mobile and strong."
    ),
    message=_jump_message,
    history=weeks_history,
)
def intensity_jump(ctx: Context, s: dict) -> pd.DataFrame:
    """Weekly minutes above threshold (week-to-date) up more than ``caution_pct`` % on the mean of the
    previous ``baseline_weeks`` complete weeks (weeks with at least ``min_hard_min`` hard minutes), or
    hard sessions (≥ ``hard_min`` hard minutes; long runs too with ``count_long_runs``) at least
    ``session_factor`` × the weekly average and at least ``min_sessions``: caution."""
    return obs_frame(intensity_jump_days(ctx, s))


def intensity_jump_days(ctx: Context, s: dict) -> dict:
    """Every day's week-to-date state of :func:`intensity_jump` as observation columns (the rule keeps
    the flagged days; :func:`hiprisk.rules.week_baselines` keeps each week's last day). ``_rise``: the
    rise of hard minutes in %; ``_wtd_sessions``: hard sessions this week so far."""
    runs = ctx.run_flags(s["hard_min"], s["long_run_pct"])
    days = ctx.days.index
    weeks = max(1, int(s["baseline_weeks"]))
    hard = runs["hard"] if s["count_long_runs"] else runs["hard_by_min"]
    minutes = runs.groupby("local_date")["hard_min"].sum().reindex(days, fill_value=0.0)
    sessions = hard.astype(float).groupby(runs["local_date"]).sum().reindex(days, fill_value=0.0)
    wm = ctx.week_compare(minutes, weeks)
    ws = ctx.week_compare(sessions, weeks)
    base_min = wm["base"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        rise = np.where(base_min > 0, (wm["wtd"].to_numpy() - base_min) / base_min * 100.0, np.nan)
    by_min = gt(rise, s["caution_pct"]) & ge(wm["wtd"], s["min_hard_min"])
    need = np.fmax(float(s["min_sessions"]), s["session_factor"] * ws["base"].to_numpy())
    by_ses = ge(ws["wtd"], need) & ws["base"].notna().to_numpy()
    sev = np.where((by_min | by_ses) & ~np.isnan(base_min), "caution", "").astype(object)
    return {
        "day": days,
        "period": wm["week"].to_numpy(),
        "week_start": wm["week_start"].to_numpy(),
        "severity": sev,
        "value": np.where(by_min, rise, ws["wtd"].to_numpy()),
        "threshold": np.where(by_min, s["caution_pct"], need),
        "unit": np.where(by_min, "%", "sessions").astype(object),
        "metric": np.where(by_min, "minutes", "sessions").astype(object),
        "wtd_min": wm["wtd"].to_numpy(),
        "base_min": base_min,
        "base_sessions": ws["base"].to_numpy(),
        "complete": wm["complete"].to_numpy(),
        "week_day": wm["week_day"].to_numpy(),
        "_rise": rise,
        "_wtd_sessions": ws["wtd"].to_numpy(),
    }


# -- hard_back_to_back --------------------------------------------------------------------------------
def _b2b_message(r: dict, s: dict) -> str:
    n = int(r["value"])
    days = f"{n} consecutive days" if n > 2 else "consecutive days"
    return (
        f"Hard sessions on {days} without an easy day between: {r['prev_day']} ({r['prev_desc']}) and "
        f"{day_str(r['day'])} ({r['desc']}); {_HIP_FLEXOR} without enough recovery (expert advice)."
    )


@register(
    "hard_back_to_back",
    family="intensity",
    title="Hard sessions back to back",
    defaults={"hard_min": 10.0, "long_run_pct": 25.0},
    grain="run",
    source="Hip-pain articles (too little recovery between hard efforts); Ramskov et al. 2018 (Run Clever)",
    evidence="exploratory",
    advice=(
        "Rest and recover between hard efforts: put an easy day or a rest day between hard sessions and "
        "long runs."
    ),
    message=_b2b_message,
)
def hard_back_to_back(ctx: Context, s: dict) -> pd.DataFrame:
    """A hard day right after another hard day. A run is hard with ≥ ``hard_min`` minutes above threshold,
    or as a long run: longer than ``long_run_pct`` % of the weekly volume (the larger of the last 7 days'
    km and the 28-day weekly average; long runs are recognised only after 28 days of history). One warning
    per hard day that follows a hard day (value = consecutive hard days); two hard runs on one day are one
    hard day."""
    top, streak = hard_day_streaks(ctx, s)
    if top.empty:
        return empty_obs()
    days = ctx.days.index
    flagged = days[(streak >= 2).to_numpy()]
    if not len(flagged):
        return empty_obs()
    prev = flagged - pd.Timedelta(days=1)
    return obs_frame(
        {
            "day": flagged,
            "period": flagged.strftime("%Y-%m-%d"),
            "severity": "caution",
            "value": streak.loc[flagged].to_numpy().astype(float),
            "threshold": 2.0,
            "unit": "days",
            "activity_id": top.loc[flagged, "activity_id"].to_numpy(),
            "desc": top.loc[flagged, "desc"].to_numpy(),
            "prev_day": prev.strftime("%Y-%m-%d"),
            "prev_desc": top.loc[prev, "desc"].to_numpy(),
        }
    )


def hard_day_streaks(ctx: Context, s: dict) -> tuple[pd.DataFrame, pd.Series]:
    """The hard days of :func:`hard_back_to_back` and the streak of consecutive hard days ending on each day.

    Returns ``(top, streak)``: ``top`` is the hardest run of each hard day (index: local day; columns of
    :meth:`Context.run_flags` plus ``desc``, why it is hard), ``streak`` the count of consecutive hard days
    ending on each day of the history (0 on a day that is not hard).
    """
    runs = ctx.run_flags(s["hard_min"], s["long_run_pct"])
    hard = runs[runs["hard"]].copy()
    days = ctx.days.index
    hard["desc"] = _hard_desc(hard) if len(hard) else pd.Series(dtype=object)
    hard["score"] = hard["hard_min"] + hard["long"] * 1000.0
    top = hard.sort_values(["local_date", "score"], kind="stable").groupby("local_date").tail(1)
    top = top.set_index("local_date")
    is_hard = pd.Series(days.isin(top.index), index=days)
    return top, consecutive_count(is_hard)


# -- warmup -------------------------------------------------------------------------------------------
def _warmup_message(r: dict, s: dict) -> str:
    if r["unit"] == "bpm":
        what = (
            f"average heart rate {fmt(r['value'], 0)} bpm over the first 10 minutes, at or above your "
            f"threshold of {fmt(r['threshold'], 0)} bpm"
        )
    else:
        what = (
            f"average pace {_pace(r['value'])} min/km over the first 10 minutes, at or faster than your "
            f"threshold pace of {_pace(r['threshold'])} min/km"
        )
    return (
        f"Your {fmt(r['distance_km'], 1)} km run on {day_str(r['day'])} started hard ({what}) with no "
        "warm-up recorded before it; the articles name skipping the warm-up as a risk factor for hip "
        "muscle strains, including the hip flexors (expert advice) — if you warmed up unrecorded, "
        "ignore this."
    )


def _pace(min_per_km: float) -> str:
    if min_per_km is None or not np.isfinite(min_per_km):
        return "n/a"
    total = int(round(min_per_km * 60))
    return f"{total // 60}:{total % 60:02d}"


@register(
    "warmup",
    family="intensity",
    title="No warm-up",
    defaults={"warmup_gap_min": 30.0},
    grain="run",
    source="Hip-pain articles (not warming up); no trial data",
    evidence="expert advice",
    advice="Warm up for about five minutes with easy running and dynamic drills before running hard.",
    message=_warmup_message,
)
def warmup(ctx: Context, s: dict) -> pd.DataFrame:
    """A run whose first 10 minutes are already hard (``warmup_hard``: mean HR of the first 10 minutes at
    or above threshold HR, or mean speed at or above threshold speed when the run has no HR): caution.
    Not flagged when another activity (a separate warm-up jog, any sport) ended less than
    ``warmup_gap_min`` minutes before the run started."""
    warmed = warmed_up(ctx, s)
    if not (ctx.log["is_running"].to_numpy() & ctx.log["warmup_hard"].to_numpy() & ~warmed).any():
        return empty_obs()
    return obs_frame(warmup_runs(ctx, s, warmed))


def warmed_up(ctx: Context, s: dict) -> np.ndarray:
    """Per row of ``ctx.log``: another activity (any sport) ended at most ``warmup_gap_min`` minutes before
    it started, so :func:`warmup` counts the row as warmed up."""
    log = ctx.log
    start = pd.to_datetime(log["start_utc"], utc=True)
    duration = log["elapsed_s"].fillna(log["moving_s"]).fillna(0.0)
    end = start + pd.to_timedelta(duration, unit="s")
    prev_end = end.cummax().shift(1)
    gap_min = (start - prev_end).dt.total_seconds() / 60.0
    return (gap_min <= s["warmup_gap_min"]).to_numpy()


def warmup_runs(ctx: Context, s: dict, warmed: np.ndarray | None = None) -> dict:
    """Every run's state of :func:`warmup` as observation columns (running rows of ``ctx.log`` in order;
    the rule keeps the flagged runs). ``_warmed_up``: see :func:`warmed_up`; ``_hr`` and ``_pace``: mean
    heart rate [bpm] and pace [min/km] of the first 10 minutes."""
    log = ctx.log
    warmed = warmed_up(ctx, s) if warmed is None else warmed
    running = log["is_running"].to_numpy()
    runs = log[running]
    warmed = warmed[running]
    flag = runs["warmup_hard"].to_numpy() & ~warmed
    th = ctx.thresholds
    has_hr = runs["warmup_hr"].notna().to_numpy() & (th.hr_bpm is not None)
    speed = runs["warmup_speed_m_s"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pace = 1000.0 / speed / 60.0
        th_pace = 1000.0 / th.speed_m_s / 60.0 if th.speed_m_s else np.nan
    return {
        "day": runs["local_date"].to_numpy(),
        "period": runs["local_date"].dt.strftime("%Y-%m-%d").to_numpy(),
        "severity": np.where(flag, "caution", "").astype(object),
        "value": np.where(has_hr, runs["warmup_hr"].to_numpy(dtype=float), pace),
        "threshold": np.where(has_hr, th.hr_bpm or np.nan, th_pace),
        "unit": np.where(has_hr, "bpm", "min/km").astype(object),
        "activity_id": runs["activity_id"].to_numpy(),
        "distance_km": runs["distance_km"].to_numpy(),
        "_warmed_up": warmed,
        "_hr": runs["warmup_hr"].to_numpy(dtype=float),
        "_pace": pace,
    }
