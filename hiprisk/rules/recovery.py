"""Recovery rule: rest days (a day with no run; cross-training days count as rest from running).

References
----------
Foster C. (1998) Monitoring training in athletes with reference to overtraining syndrome. Med Sci Sports
Exerc 30:1164–1168.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._core import Context, consecutive_count, day_str, ge, lt, obs_frame, register


def _rest_message(r: dict, s: dict) -> str:
    why = (
        "the articles name overtraining and too little rest among the causes of hip pain in runners "
        "(expert advice)"
    )
    day = day_str(r["day"])
    if r["metric"] == "streak":
        n = int(r["value"])
        start = day_str(pd.Timestamp(r["day"]) - pd.Timedelta(days=n - 1))
        return f"You ran on {n} consecutive days ({start} to {day}) without a rest day; {why}."
    k = int(r["value"])
    window = int(s["window_days"])
    return (
        f"Only {k} rest day{'s' if k != 1 else ''} in the {window} days to {day}, fewer than "
        f"{int(s['min_rest_days'])} (one per week); {why}."
    )


@register(
    "rest_days",
    family="recovery",
    title="Rest days",
    defaults={"caution_days": 7, "high_days": 10, "window_days": 14, "min_rest_days": 2},
    grain="day",
    source="Hip-pain articles (overtraining, insufficient rest); Foster 1998, MSSE 30:1164–1168",
    evidence="expert advice",
    advice=(
        "Rest and recover: keep at least one rest day a week, or make it a low-impact cross-training day "
        "(cycling, swimming)."
    ),
    message=_rest_message,
)
def rest_days(ctx: Context, s: dict) -> pd.DataFrame:
    """Consecutive running days: ≥ ``caution_days``: caution (no rest day in the last 7 days), ≥
    ``high_days``: high; fewer than ``min_rest_days`` rest days in the last ``window_days`` days:
    caution. A rest day is a day with no run. One warning per streak (an episode of flagged days)."""
    d = ctx.days
    streak = consecutive_count(~d["rest"]).to_numpy()
    window = max(1, int(s["window_days"]))
    rest_n = d["rest"].astype(int).rolling(window, min_periods=window).sum().to_numpy()
    few_rest = (d["history_days"].to_numpy() >= window) & lt(rest_n, s["min_rest_days"])
    by_streak = ge(streak, s["caution_days"])
    sev = np.where(ge(streak, s["high_days"]), "high", np.where(by_streak | few_rest, "caution", ""))
    return obs_frame(
        {
            "day": d.index,
            "period": d.index.strftime("%Y-%m-%d"),
            "severity": sev.astype(object),
            "value": np.where(by_streak, streak, rest_n),
            "threshold": np.select(
                [ge(streak, s["high_days"]), by_streak],
                [s["high_days"], s["caution_days"]],
                s["min_rest_days"],
            ),
            "unit": "days",
            "kind": "rest",
            "metric": np.where(by_streak, "streak", "rest_in_window").astype(object),
        }
    )
