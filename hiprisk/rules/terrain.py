"""Terrain rules: downhill volume and trail volume against the athlete's own 4-week baseline.

Both are weekly rules judged week-to-date (see :mod:`hiprisk.rules.load`), on running rows only, using the
log's ``descent_m`` (the device's barometric total when the file has one), ``downhill_km`` (distance on
grades steeper than −5 %, :mod:`hiprisk.terrain`) and ``trail``.

References
----------
Gottschall J.S., Kram R. (2005) Ground reaction forces during downhill and uphill running. J Biomech
38:445–452.
Orchard J.W. et al. (1996) Biomechanics of iliotibial band friction syndrome in runners. Am J Sports Med
24:375–379.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._core import Context, fmt, ge, grade, gt, obs_frame, ranks, register
from .load import _so_far, weeks_history

_HIP_DOWNHILL = (
    "downhill running raises impact and braking forces (Gottschall & Kram 2005) and was linked with "
    "iliotibial-band (ITB) strain at the hip and knee (Orchard 1996)"
)


def _downhill_message(r: dict, s: dict) -> str:
    weeks = int(s["baseline_weeks"])
    head = f"in {r['period']}{_so_far(r)}"
    if r["metric"] == "new":
        return (
            f"Descent {head} is {fmt(r['wtd_desc'], 0)} m, where your previous {weeks} weeks had none; "
            f"{_HIP_DOWNHILL}."
        )
    downhill = f"{fmt(r['wtd_km'])} km downhill (grades steeper than −5 %) vs {fmt(r['base_km'])} km usual"
    if r["metric"] == "downhill_km":
        return (
            f"Downhill distance {head} is {fmt(r['wtd_km'])} km, "
            f"{fmt(r['value'], 0, r['threshold'])} % above your {weeks}-week average of "
            f"{fmt(r['base_km'])} km, with {fmt(r['wtd_desc'], 0)} m of descent; {_HIP_DOWNHILL}."
        )
    return (
        f"Descent {head} is {fmt(r['wtd_desc'], 0)} m, {fmt(r['value'], 0, r['threshold'])} % above your "
        f"{weeks}-week average of {fmt(r['base_desc'], 0)} m ({downhill}); {_HIP_DOWNHILL}."
    )


@register(
    "downhill_volume",
    family="terrain",
    title="Downhill volume",
    defaults={"caution_pct": 30.0, "high_pct": 100.0, "min_descent_m": 300.0, "baseline_weeks": 4},
    grain="week",
    source="Gottschall & Kram 2005, J Biomech 38:445–452; Orchard et al. 1996, AJSM 24:375–379",
    evidence="biomechanics",
    advice=(
        "Build downhill running up gradually with short, quick steps on descents; run on even surfaces "
        "while any hip or knee pain settles, and strengthen the hips (side-lying leg raises, lateral band "
        "walks, step-ups)."
    ),
    message=_downhill_message,
    history=weeks_history,
)
def downhill_volume(ctx: Context, s: dict) -> pd.DataFrame:
    """Weekly descent (m) and downhill km (grade < −5 %) week-to-date vs the mean of the previous
    ``baseline_weeks`` complete weeks. A rise > ``caution_pct`` % in either, with at least
    ``min_descent_m`` of descent this week: caution; > ``high_pct`` %: high. Descent ≥ ``min_descent_m``
    after baseline weeks with none at all: high (reported in m)."""
    return obs_frame(downhill_volume_days(ctx, s))


def downhill_volume_days(ctx: Context, s: dict) -> dict:
    """Every day's week-to-date state of :func:`downhill_volume` as observation columns (the rule keeps
    the flagged days; :func:`hiprisk.rules.week_baselines` keeps each week's last day). ``_rise_desc`` and
    ``_rise_km``: the rises in % of both measures."""
    weeks = max(1, int(s["baseline_weeks"]))
    desc = ctx.week_compare(ctx.days["descent_m"], weeks)
    km = ctx.week_compare(ctx.days["downhill_km"], weeks)
    base_d, base_k = desc["base"].to_numpy(), km["base"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        rise_d = np.where(base_d > 0, (desc["wtd"].to_numpy() - base_d) / base_d * 100.0, np.nan)
        rise_k = np.where(base_k > 0, (km["wtd"].to_numpy() - base_k) / base_k * 100.0, np.nan)
    sev_d = grade(rise_d, s["caution_pct"], s["high_pct"])
    sev_k = grade(rise_k, s["caution_pct"], s["high_pct"])
    rank_d, rank_k = ranks(sev_d), ranks(sev_k)
    bigger = np.nan_to_num(rise_k, nan=-np.inf) > np.nan_to_num(rise_d, nan=-np.inf)
    use_k = (rank_k > rank_d) | ((rank_k == rank_d) & bigger)
    sev = np.where(use_k, sev_k, sev_d).astype(object)
    value = np.where(use_k, rise_k, rise_d)
    metric = np.where(use_k, "downhill_km", "descent").astype(object)
    unit = np.full(len(sev), "%", dtype=object)
    new = (base_d == 0) & ge(desc["wtd"], s["min_descent_m"])
    sev = np.where(new, "high", sev).astype(object)
    value = np.where(new, desc["wtd"].to_numpy(), value)
    metric = np.where(new, "new", metric).astype(object)
    unit = np.where(new, "m", unit).astype(object)
    eligible = ge(desc["wtd"], s["min_descent_m"]) & ~np.isnan(base_d)
    sev[~eligible] = ""
    threshold = np.select([new, sev == "high"], [s["min_descent_m"], s["high_pct"]], s["caution_pct"])
    return {
        "day": desc.index,
        "period": desc["week"].to_numpy(),
        "week_start": desc["week_start"].to_numpy(),
        "severity": sev,
        "value": value,
        "threshold": threshold,
        "unit": unit,
        "metric": metric,
        "wtd_desc": desc["wtd"].to_numpy(),
        "base_desc": base_d,
        "wtd_km": km["wtd"].to_numpy(),
        "base_km": base_k,
        "complete": desc["complete"].to_numpy(),
        "week_day": desc["week_day"].to_numpy(),
        "_rise_desc": rise_d,
        "_rise_km": rise_k,
    }


def _trail_message(r: dict, s: dict) -> str:
    of = "a usual week's running" if r["of_usual"] else "your running"
    rise = (
        f"trail km {'+' if r['rise'] >= 0 else ''}{fmt(r['rise'], 0)} % vs {fmt(r['base_trail'])} km usual"
        if np.isfinite(r["rise"] if r["rise"] is not None else np.nan)
        else "no trail km in the baseline weeks"
    )
    return (
        f"Trail running in {r['period']}{_so_far(r)} is {fmt(r['wtd_trail'])} km, {fmt(r['share'], 0)} % of "
        f"{of} against {fmt(r['base_share'], 0)} % over the previous {int(s['baseline_weeks'])} weeks "
        f"({'+' if r['points'] >= 0 else ''}{fmt(r['points'], 0)} points; {rise}); the articles link trails "
        "and sloped, technical ground with extra strain on the hip stabilisers (gluteus medius) and "
        "adductors (expert advice)."
    )


@register(
    "trail_volume",
    family="terrain",
    title="Trail volume",
    defaults={"share_points": 20.0, "km_pct": 30.0, "min_trail_km": 5.0, "baseline_weeks": 4},
    grain="week",
    source="hip-pain articles (trails, slopes and technical ground); no trial data",
    evidence="expert advice",
    advice=(
        "Add trail and technical ground gradually; strengthen the hip stabilisers and adductors "
        "(clamshells, lateral band walks, single-leg deadlifts), and choose even surfaces while pain settles."
    ),
    message=_trail_message,
    history=weeks_history,
)
def trail_volume(ctx: Context, s: dict) -> pd.DataFrame:
    """Share of running km on trails vs the previous ``baseline_weeks`` complete weeks (their trail km ÷
    their km): up more than ``share_points`` percentage points, or trail km up more than ``km_pct`` %:
    caution. The share is taken of the larger of this week's km so far and the usual weekly km, so a
    Monday trail run or a light week is not read as a leap. Only weeks with at least ``min_trail_km``
    trail km are judged (noise floor)."""
    return obs_frame(trail_volume_days(ctx, s))


def trail_volume_days(ctx: Context, s: dict) -> dict:
    """Every day's week-to-date state of :func:`trail_volume` as observation columns (the rule keeps the
    flagged days; :func:`hiprisk.rules.week_baselines` keeps each week's last day). ``_wtd_km`` and
    ``_base_km``: running km this week so far and its baseline."""
    weeks = max(1, int(s["baseline_weeks"]))
    trail = ctx.week_compare(ctx.days["trail_km"], weeks)
    total = ctx.week_compare(ctx.days["distance_km"], weeks)
    base_trail, base_km = trail["base"].to_numpy(), total["base"].to_numpy()
    wtd_trail, wtd_km = trail["wtd"].to_numpy(), total["wtd"].to_numpy()
    denom = np.fmax(wtd_km, np.nan_to_num(base_km))
    with np.errstate(divide="ignore", invalid="ignore"):
        base_share = np.where(base_km > 0, base_trail / base_km * 100.0, np.nan)
        share = np.where(denom > 0, wtd_trail / denom * 100.0, np.nan)
        rise = np.where(base_trail > 0, (wtd_trail - base_trail) / base_trail * 100.0, np.nan)
    points = share - base_share
    by_points = gt(points, s["share_points"])
    by_km = gt(rise, s["km_pct"])
    eligible = ge(wtd_trail, s["min_trail_km"]) & gt(np.nan_to_num(base_km), 0.0)
    sev = np.where((by_points | by_km) & eligible, "caution", "").astype(object)
    return {
        "day": trail.index,
        "period": trail["week"].to_numpy(),
        "week_start": trail["week_start"].to_numpy(),
        "severity": sev,
        "value": np.where(by_points, points, rise),
        "threshold": np.where(by_points, s["share_points"], s["km_pct"]),
        "unit": np.where(by_points, "points", "%").astype(object),
        "share": share,
        "base_share": base_share,
        "points": points,
        "rise": rise,
        "wtd_trail": wtd_trail,
        "base_trail": base_trail,
        "of_usual": np.nan_to_num(base_km) > wtd_km,
        "complete": trail["complete"].to_numpy(),
        "week_day": trail["week_day"].to_numpy(),
        "_wtd_km": wtd_km,
        "_base_km": base_km,
    }
