"""Load rules: weekly distance increase, acute:chronic load ratio, single-session spikes, monotony.

All four are ratio rules: multiplying every distance by a constant leaves their verdicts unchanged (no
absolute km floor anywhere), which the property tests check.

References
----------
Buist I. et al. (2008) No effect of a graded training program on the number of running-related injuries in
novice runners. Am J Sports Med 36:33–39.
Nielsen R.O. et al. (2014) Excessive progression in weekly running distance and risk of running-related
injuries. J Orthop Sports Phys Ther 44:739–747.
Frandsen J.S.B. … Nielsen R.O. (2025) How much running is too much? Br J Sports Med 59:1203–1210.
Gabbett T.J. (2016) The training–injury prevention paradox. Br J Sports Med 50:273–280.
Williams S. et al. (2017) Better way to determine the acute:chronic workload ratio? Br J Sports Med 51:209.
Impellizzeri F.M. et al. (2020) Acute:chronic workload ratio: conceptual issues and fundamental pitfalls.
Int J Sports Physiol Perform / Sports Med.
Foster C. (1998) Monitoring training in athletes with reference to overtraining syndrome. Med Sci Sports
Exerc 30:1164–1168.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._core import Context, day_str, empty_obs, fmt, grade, gt, lt, obs_frame, register

MONOTONY_CAP = 10.0  # monotony reported when the 7 daily loads are identical (SD 0)
SPIKE_HAZARDS = ((10.0, 30.0, 1.64), (30.0, 100.0, 1.52), (100.0, np.inf, 2.28))  # Frandsen 2025


def weeks_history(ctx: Context, s: dict) -> tuple[float, float, str]:
    """Complete weeks logged before the current week vs the baseline weeks a weekly rule needs."""
    return ctx.complete_weeks_before(ctx.end), max(1, int(s["baseline_weeks"])), "weeks"


def _so_far(r: dict) -> str:
    if r.get("complete"):
        return ""
    return f" so far ({int(r['week_day']) + 1} of 7 days)"


# -- weekly_increase ----------------------------------------------------------------------------------
def _weekly_message(r: dict, s: dict) -> str:
    rise = fmt(r["value"], 1, r["threshold"])
    if r["after_break"]:
        ref = (
            f"your {int(s['baseline_weeks'])}-week average of {fmt(r['ref'])} km (last week's "
            f"{fmt(r['prev'])} km was a break, so it is not the yardstick)"
        )
    else:
        ref = f"last week's {fmt(r['ref'])} km"
    if r["severity"] == "high":
        why = (
            f"weekly rises above {fmt(s['high_pct'], 0)} % were linked with distance-related running "
            "injuries, including gluteus medius, trochanteric bursitis and iliotibial-band (ITB) problems "
            "at the hip (Nielsen 2014)"
        )
    else:
        why = (
            f"the {fmt(s['caution_pct'], 0)} % rule is a coaching convention with weak evidence, while rises "
            f"above {fmt(s['high_pct'], 0)} % were linked with distance-related injuries including gluteus "
            "medius, trochanteric bursitis and ITB problems at the hip (Nielsen 2014)"
        )
    head = f"Running distance in {r['period']}{_so_far(r)} is {fmt(r['wtd'])} km"
    return f"{head}, {rise} % more than {ref}; {why}."


@register(
    "weekly_increase",
    family="load",
    title="Weekly distance increase",
    defaults={"caution_pct": 10.0, "high_pct": 30.0, "baseline_weeks": 4, "break_fraction": 0.5},
    grain="week",
    source="Buist et al. 2008, AJSM 36:33–39; Nielsen et al. 2014, JOSPT 44:739–747",
    evidence="convention",
    advice=(
        "Progress gradually: hold or lower next week's distance and build up again in small steps; "
        "strengthen core and hips (bridges, clamshells, side-lying leg raises)."
    ),
    message=_weekly_message,
    history=weeks_history,
)
def weekly_increase(ctx: Context, s: dict) -> pd.DataFrame:
    """Running km this week (week-to-date) vs last complete week, or vs the ``baseline_weeks`` average
    when last week was a break (below ``break_fraction`` of that average). Rise > ``caution_pct`` %:
    caution, > ``high_pct`` %: high. No verdict until ``baseline_weeks`` complete weeks are logged."""
    return obs_frame(weekly_increase_days(ctx, s))


def weekly_increase_days(ctx: Context, s: dict) -> dict:
    """Every day's week-to-date state of :func:`weekly_increase` as observation columns (the rule keeps the
    flagged days; :func:`hiprisk.rules.weekly_reference` keeps each week's last day). ``_judged``: the
    rule can give the day a verdict."""
    weeks = max(1, int(s["baseline_weeks"]))
    w = ctx.week_compare(ctx.days["distance_km"], weeks)
    known = w["prev"].notna().to_numpy() & w["base"].notna().to_numpy()
    after_break = known & lt(w["prev"].to_numpy(), s["break_fraction"] * w["base"].to_numpy())
    ref = np.where(after_break, w["base"], w["prev"])
    valid = w["base"].notna().to_numpy() & w["prev"].notna().to_numpy() & (ref > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rise = (w["wtd"].to_numpy() - ref) / ref * 100.0
    sev = grade(rise, s["caution_pct"], s["high_pct"])
    sev[~valid] = ""
    return {
        "day": w.index,
        "period": w["week"].to_numpy(),
        "week_start": w["week_start"].to_numpy(),
        "severity": sev,
        "value": rise,
        "threshold": np.where(sev == "high", s["high_pct"], s["caution_pct"]),
        "unit": "%",
        "wtd": w["wtd"].to_numpy(),
        "ref": ref,
        "prev": w["prev"].to_numpy(),
        "base": w["base"].to_numpy(),
        "after_break": after_break,
        "complete": w["complete"].to_numpy(),
        "week_day": w["week_day"].to_numpy(),
        "_judged": valid,
    }


# -- load_ratio ---------------------------------------------------------------------------------------
def _ratio_unit(s: dict) -> str:
    return "km/day" if s["load"] == "distance" else "load units/day"


def _ratio_message(r: dict, s: dict) -> str:
    ratio = fmt(r["value"], 2, r["threshold"])
    kind = "EWMA" if s["method"] == "ewma" else "mean"
    detail = (
        f"{int(s['acute_days'])}-day {kind} acute load {fmt(r['acute'], 2)} vs {int(s['chronic_days'])}-day "
        f"{kind} chronic load {fmt(r['chronic'], 2)} {_ratio_unit(s)}"
    )
    when = episode_phrase(r, ratio)
    if r["kind"] == "low":
        return (
            f"Acute:chronic load ratio {when}, below {fmt(r['threshold'], 2)} ({detail}): your recent "
            "running is well under your usual level (detraining), so the next build-up should be gradual."
        )
    return (
        f"Acute:chronic load ratio {when}, above {fmt(r['threshold'], 2)} ({detail}); ratios above "
        "1.3–1.5 were linked with injury in team sports (Gabbett 2016), but the measure is disputed "
        "(Impellizzeri 2020) and was not a risk marker for runners in Frandsen 2025."
    )


def episode_phrase(r: dict, value: str) -> str:
    """ "is X on <day> (flagged since <start>)" when standing, else "was X on <day>" or "peaked at X on
    <day> (flagged between <start> and <end>)" for one episode of warnings_frame."""
    day = day_str(r["day"])
    start = day_str(r["episode_start"])
    if r.get("standing"):
        since = f" (flagged since {start})" if start != day else ""
        return f"is {value} on {day}{since}"
    if start == day_str(r["episode_end"]):
        return f"was {value} on {day}"
    verb = "fell to" if r.get("kind") == "low" else "peaked at"
    if r.get("ongoing"):
        return f"{verb} {value} on {day} (flagged since {start}, still ongoing)"
    return f"{verb} {value} on {day} (flagged between {start} and {day_str(r['episode_end'])})"


def _ratio_advice(r: dict, s: dict) -> str:
    if r.get("kind") == "low":
        return (
            "After a lighter spell, build back up gradually instead of returning straight to your "
            "previous volume."
        )
    return (
        "Progress gradually: let the 7-day load settle back towards your usual level, with easy days and "
        "rest; cross-train with low-impact sport (cycling, swimming) if you want to keep fitness."
    )


def _days_history(key: str):
    def history(ctx: Context, s: dict) -> tuple[float, float, str]:
        return ctx.history_days(), int(s[key]), "days"

    return history


@register(
    "load_ratio",
    family="load",
    title="Acute:chronic load ratio",
    defaults={
        "method": "ewma",
        "load": "distance",
        "acute_days": 7,
        "chronic_days": 28,
        "caution_ratio": 1.3,
        "high_ratio": 1.5,
        "detraining_ratio": 0.8,
        "min_history_days": 28,
        "rhythm_check": True,
    },
    choices={"method": ("ewma", "rolling"), "load": ("distance", "time_intensity")},
    grain="day",
    episode_gap_days=3,
    source="Williams et al. 2017, BJSM 51:209; Gabbett 2016, BJSM 50:273–280; Impellizzeri et al. 2020",
    evidence="disputed",
    advice=_ratio_advice({}, {}),
    advice_for=_ratio_advice,
    message=_ratio_message,
    history=_days_history("min_history_days"),
)
def load_ratio(ctx: Context, s: dict) -> pd.DataFrame:
    """Acute:chronic workload ratio of the daily running load (rest days as 0). ``method="ewma"``:
    exponentially weighted moving averages with λ = 2/(N+1), N = ``acute_days`` and ``chronic_days``
    (Williams 2017), started with pandas' ``adjust=True`` weights so the first weeks are not biased;
    ``"rolling"``: plain ``acute_days`` / ``chronic_days`` means (coupled, Gabbett 2016).
    > ``caution_ratio``: caution, > ``high_ratio``: high, < ``detraining_ratio``: info (detraining).
    With ``rhythm_check`` (EWMA only), a day is flagged only when the rolling 7-day vs 28-day ratio points
    the same way (above 1 for a high ratio, below 1 for detraining): a daily EWMA swings with the weekly
    rhythm (a routine long run, two runs a week) without any change in training. No verdict before
    ``min_history_days`` days of history."""
    return obs_frame(load_ratio_days(ctx, s))


def load_ratio_days(ctx: Context, s: dict) -> dict:
    """Every day's state of :func:`load_ratio` as observation columns (the rule keeps the flagged days;
    :func:`hiprisk.rules.load_ratio_series` keeps them all). ``_load``: the daily load; ``_judged``: the
    rule can give the day a verdict (enough history, chronic load above 0)."""
    load = ctx.daily_load(s["load"])
    acute_n, chronic_n = max(1, int(s["acute_days"])), max(1, int(s["chronic_days"]))
    roll_a = load.rolling(acute_n, min_periods=acute_n).mean()
    roll_c = load.rolling(chronic_n, min_periods=chronic_n).mean()
    if s["method"] == "ewma":
        acute = load.ewm(alpha=2.0 / (acute_n + 1), adjust=True).mean()
        chronic = load.ewm(alpha=2.0 / (chronic_n + 1), adjust=True).mean()
    else:
        acute, chronic = roll_a, roll_c
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (acute / chronic).to_numpy()
        rolling_ratio = (roll_a / roll_c).to_numpy()
    valid = (ctx.days["history_days"].to_numpy() >= int(s["min_history_days"])) & gt(chronic.fillna(0), 0)
    valid &= np.isfinite(ratio)
    high = grade(ratio, s["caution_ratio"], s["high_ratio"])
    low = np.where(lt(ratio, s["detraining_ratio"]), "info", "").astype(object)
    if s["rhythm_check"] and s["method"] == "ewma":
        high[~gt(np.nan_to_num(rolling_ratio, nan=1.0), 1.0)] = ""
        low[~lt(np.nan_to_num(rolling_ratio, nan=1.0), 1.0)] = ""
    sev = np.where(high != "", high, low).astype(object)
    sev[~valid] = ""
    thr = np.select(
        [sev == "high", sev == "caution"], [s["high_ratio"], s["caution_ratio"]], s["detraining_ratio"]
    )
    return {
        "day": ctx.days.index,
        "period": ctx.days.index.strftime("%Y-%m-%d"),
        "severity": sev,
        "value": ratio,
        "threshold": thr,
        "unit": "ratio",
        "kind": np.where(sev == "info", "low", "high"),
        "acute": acute.to_numpy(),
        "chronic": chronic.to_numpy(),
        "rolling_ratio": rolling_ratio,
        "_load": load.to_numpy(dtype=float),
        "_judged": valid,
    }


# -- session_spike ------------------------------------------------------------------------------------
def _hazard(spike_pct: float) -> tuple[str, float] | None:
    for low, high, hr in SPIKE_HAZARDS:
        if low < spike_pct <= high:
            band = f"over {low:g} %" if np.isinf(high) else f"of {low:g}–{high:g} %"
            return band, hr
    return None


def _spike_message(r: dict, s: dict) -> str:
    spike = fmt(r["value"], 1, r["threshold"])
    text = (
        f"This {fmt(r['distance_km'], 1)} km run on {day_str(r['day'])} was {spike} % longer than your "
        f"longest run in the previous {int(s['window_days'])} days ({fmt(r['prior_max'], 1)} km on "
        f"{r['prior_day']})"
    )
    hz = _hazard(float(r["value"]))
    if hz is None:
        return text + "."
    band, hr = hz
    return (
        f"{text}; in 5,205 runners, single-run spikes {band} were linked with a {hr:.2f}-fold rate of "
        "running injury compared with runs within 10 % of the recent longest (Frandsen et al. 2025)."
    )


@register(
    "session_spike",
    family="load",
    title="Single-run spike",
    defaults={
        "caution_pct": 10.0,
        "high_pct": 100.0,
        "window_days": 30,
        "min_history_days": 30,
        "min_prior_runs": 1,
    },
    grain="run",
    source="Frandsen et al. 2025, BJSM 59:1203–1210",
    evidence="large cohort",
    advice=(
        "Progress the long run gradually: keep single runs within about 10 % of your longest run of the "
        "last month, and recover well (easy days, rest) after this one."
    ),
    message=_spike_message,
    history=_days_history("min_history_days"),
)
def session_spike(ctx: Context, s: dict) -> pd.DataFrame:
    """Each run's distance vs the longest run that *started* in the ``window_days`` × 24 h before it (an
    earlier run the same day counts; the run itself does not). Spike > ``caution_pct`` %: caution,
    > ``high_pct`` %: high. Needs the log to cover the whole window (``min_history_days``) and at least
    ``min_prior_runs`` runs in it; a first run after a break longer than the window gets no verdict."""
    runs = ctx.runs
    if runs.empty:
        return empty_obs()
    obs = obs_frame(session_spike_runs(ctx, s))
    if len(obs):
        # The previous longest run, for the message: a loop over the flagged runs only.
        window = f"{int(s['window_days'])}D"
        ts = pd.DatetimeIndex(pd.to_datetime(runs["start_utc"], utc=True)).as_unit("ns").asi8
        width = pd.Timedelta(window).value
        days = runs["local_date"].dt.strftime("%Y-%m-%d").to_numpy()
        d = runs["distance_km"].to_numpy(dtype=float)
        prior_days = []
        for pos in obs["pos"]:
            lo = np.searchsorted(ts, ts[pos] - width, side="left")
            hi = np.searchsorted(ts, ts[pos], side="left")
            # the most recent of the longest runs in the window
            prior_days.append(days[hi - 1 - int(np.argmax(d[lo:hi][::-1]))] if hi > lo else "")
        obs["prior_day"] = prior_days
    return obs.drop(columns="pos")


def session_spike_runs(ctx: Context, s: dict) -> dict:
    """Every run's state of :func:`session_spike` as observation columns (``ctx.runs`` order; the rule
    keeps the flagged runs). ``_judged``: the rule can give the run a verdict."""
    runs = ctx.runs
    window = f"{int(s['window_days'])}D"
    t = pd.DatetimeIndex(pd.to_datetime(runs["start_utc"], utc=True)).as_unit("ns")
    dist = pd.Series(runs["distance_km"].to_numpy(dtype=float), index=t)
    prior_max = dist.rolling(window, closed="left").max().to_numpy()
    prior_n = dist.rolling(window, closed="left").count().to_numpy()
    covered = (runs["local_date"] - ctx.history_start).dt.days.to_numpy() >= int(s["min_history_days"])
    valid = (
        covered
        & (np.nan_to_num(prior_n) >= max(1, int(s["min_prior_runs"])))
        & gt(np.nan_to_num(prior_max), 0.0)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        spike = (dist.to_numpy() - prior_max) / prior_max * 100.0
    sev = grade(spike, s["caution_pct"], s["high_pct"])
    sev[~valid] = ""
    return {
        "day": runs["local_date"].to_numpy(),
        "period": runs["local_date"].dt.strftime("%Y-%m-%d").to_numpy(),
        "severity": sev,
        "value": spike,
        "threshold": np.where(sev == "high", s["high_pct"], s["caution_pct"]),
        "unit": "%",
        "activity_id": runs["activity_id"].to_numpy(),
        "distance_km": dist.to_numpy(),
        "prior_max": prior_max,
        "pos": np.arange(len(runs)),
        "_judged": valid,
    }


# -- monotony -----------------------------------------------------------------------------------------
def _monotony_message(r: dict, s: dict) -> str:
    unit = "km" if s["load"] == "distance" else "load units"
    value = "identical loads every day" if r["capped"] else fmt(r["value"], 2, r["threshold"])
    when = episode_phrase(r, value)
    return (
        f"Training monotony {when}, above {fmt(r['threshold'], 1)} (Foster: mean {fmt(r['mean'], 1)} ÷ SD "
        f"{fmt(r['sd'], 1)} {unit}/day over the last {int(s['window_days'])} days, rest days as 0; strain "
        f"{fmt(r['strain'], 0)}); training with little day-to-day variation was linked with illness and "
        "injury (Foster 1998)."
    )


@register(
    "monotony",
    family="load",
    title="Training monotony",
    defaults={"caution_monotony": 2.0, "window_days": 7, "load": "distance"},
    choices={"load": ("distance", "time_intensity")},
    grain="day",
    episode_gap_days=3,
    source="Foster 1998, MSSE 30:1164–1168",
    evidence="cohort",
    advice=(
        "Vary your training: alternate harder and easy days, keep at least one rest day a week, or make "
        "one day low-impact cross-training (cycling, swimming)."
    ),
    message=_monotony_message,
    history=_days_history("window_days"),
)
def monotony(ctx: Context, s: dict) -> pd.DataFrame:
    """Foster monotony: mean ÷ standard deviation (population, ddof = 0) of the last ``window_days``
    daily loads, rest days as 0; > ``caution_monotony``: caution. Strain = the window's total load ×
    monotony. Identical loads (SD 0) are reported as monotony ``MONOTONY_CAP`` (10)."""
    n = max(2, int(s["window_days"]))
    load = ctx.daily_load(s["load"])
    mean = load.rolling(n, min_periods=n).mean()
    sd = load.rolling(n, min_periods=n).std(ddof=0)
    capped = (sd <= 1e-9 * mean.abs()).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        mono = np.where(capped, MONOTONY_CAP, (mean / sd).to_numpy())
    valid = mean.notna().to_numpy() & gt(mean.fillna(0), 0) & (ctx.days["history_days"].to_numpy() >= n)
    sev = grade(mono, s["caution_monotony"])
    sev[~valid] = ""
    return obs_frame(
        {
            "day": ctx.days.index,
            "period": ctx.days.index.strftime("%Y-%m-%d"),
            "severity": sev,
            "value": mono,
            "threshold": s["caution_monotony"],
            "unit": "ratio",
            "kind": "high",
            "mean": mean.to_numpy(),
            "sd": sd.to_numpy(),
            "strain": (mean * n).to_numpy() * mono,
            "capped": capped,
        }
    )
