"""Form rule: running cadence as an overstriding / fatigue proxy (info level).

Cadence is steps per minute, both legs (``avg_cadence_spm``; FIT strides/min are doubled at import).

References
----------
Heiderscheit B.C. et al. (2011) Effects of step rate manipulation on joint mechanics during running.
Med Sci Sports Exerc 43:296–302.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._core import Context, day_str, fmt, gt, lt, obs_frame, register
from .load import _so_far

_HIP = (
    "a step rate about 10 % higher was shown to lower the energy absorbed at the hip and hip adduction "
    "(Heiderscheit 2011); cadence is a form proxy, not a diagnosis"
)


def _cadence_message(r: dict, s: dict) -> str:
    if r["metric"] == "low":
        n = int(r["runs"])
        return (
            f"Average cadence on easy road runs in {r['period']}{_so_far(r)} is "
            f"{fmt(r['value'], 0, r['threshold'])} steps/min ({n} run{'s' if n != 1 else ''}), below "
            f"{fmt(r['threshold'], 0)}; {_HIP}."
        )
    return (
        f"Cadence fell by {fmt(r['value'], 1, r['threshold'])} % in the last third of your "
        f"{fmt(r['distance_km'], 1)} km long run on {day_str(r['day'])} (more than "
        f"{fmt(r['threshold'], 0)} %), a sign of fatigue and possible overstriding; {_HIP}."
    )


@register(
    "cadence",
    family="form",
    title="Cadence",
    defaults={
        "min_spm": 160.0,
        "drop_pct": 5.0,
        "hard_min": 10.0,
        "long_run_pct": 25.0,
        "min_valid_spm": 120.0,
    },
    grain="run",
    source="Heiderscheit et al. 2011, MSSE 43:296–302",
    evidence="biomechanics",
    advice=(
        "Try a slightly shorter, quicker stride (about 5–10 % more steps per minute) on easy runs, "
        "strengthen core and hips, and keep hips, hamstrings and glutes mobile."
    ),
    message=_cadence_message,
)
def cadence(ctx: Context, s: dict) -> pd.DataFrame:
    """(1) Per week: the time-weighted average cadence of the week's easy road runs (fewer than
    ``hard_min`` minutes above threshold, not trail — walking breaks on trails lower cadence) below
    ``min_spm``: info. (2) Per long run (> ``long_run_pct`` % of the weekly volume, road): a cadence drop
    of more than ``drop_pct`` % in the last third: info. Averages below ``min_valid_spm`` are ignored as
    walking or a strides/min value."""
    runs = ctx.run_flags(s["hard_min"], s["long_run_pct"])
    cad = runs["avg_cadence_spm"].astype(float)
    valid = cad.to_numpy() >= s["min_valid_spm"]
    road = ~runs["trail"].to_numpy()
    easy = valid & road & ~runs["hard_by_min"].to_numpy()
    weight = runs["moving_s"].fillna(runs["elapsed_s"]).fillna(1.0).clip(lower=1.0)
    days = ctx.days.index
    w = weight.where(easy, 0.0)
    cw = (cad.fillna(0.0) * w).groupby(runs["local_date"]).sum().reindex(days, fill_value=0.0)
    ww = w.groupby(runs["local_date"]).sum().reindex(days, fill_value=0.0)
    n = pd.Series(easy.astype(float), index=runs.index).groupby(runs["local_date"]).sum()
    n = n.reindex(days, fill_value=0.0)
    wk = ctx.week_compare(cw, 1)
    wtd_w = ctx.week_compare(ww, 1)["wtd"].to_numpy()
    wtd_n = ctx.week_compare(n, 1)["wtd"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(wtd_w > 0, wk["wtd"].to_numpy() / wtd_w, np.nan)
    weekly = obs_frame(
        {
            "day": days,
            "period": wk["week"].to_numpy(),
            "week_start": wk["week_start"].to_numpy(),
            "severity": np.where(lt(mean, s["min_spm"]), "info", "").astype(object),
            "value": mean,
            "threshold": s["min_spm"],
            "unit": "spm",
            "metric": "low",
            "runs": wtd_n,
            "grain": "week",
            "complete": wk["complete"].to_numpy(),
            "week_day": wk["week_day"].to_numpy(),
        }
    )
    drop = runs["cadence_drop_pct"].astype(float).to_numpy()
    long_road = runs["long"].to_numpy() & road
    per_run = obs_frame(
        {
            "day": runs["local_date"].to_numpy(),
            "period": runs["local_date"].dt.strftime("%Y-%m-%d").to_numpy(),
            "severity": np.where(long_road & gt(drop, s["drop_pct"]), "info", "").astype(object),
            "value": drop,
            "threshold": s["drop_pct"],
            "unit": "%",
            "metric": "drop",
            "activity_id": runs["activity_id"].to_numpy(),
            "distance_km": runs["distance_km"].to_numpy(),
            "grain": "run",
        }
    )
    return pd.concat([weekly, per_run], ignore_index=True)
