"""Gear rule: kilometres per shoe.

References
----------
Malisoux L. et al. (2015) Can parallel use of different running shoes decrease running-related injury
risk? Scand J Med Sci Sports 25:110–115.
"""

from __future__ import annotations

import pandas as pd

from ..config import Config
from ..shoes import PLAN_KM, REPLACE_KM, name_key
from ._core import Context, day_str, empty_obs, fmt, ge, register


def _shoe_message(r: dict, s: dict) -> str:
    name = r["subject"]
    if r["severity"] == "high":
        why = f"past the {fmt(r['threshold'], 0)} km at which practitioners advise replacing a shoe"
    else:
        why = f"past the {fmt(r['threshold'], 0)} km at which practitioners advise planning a replacement"
    if r.get("standing"):
        passed = f"it passed {fmt(r['threshold'], 0)} km on {day_str(r['day'])}"
        head = f"Shoe '{name}' has {fmt(r['current_km'], 0)} km ({passed})"
        return f"{head}, {why}; this is a convention, not trial-based evidence."
    return (
        f"Shoe '{name}' reached {fmt(r['km'], 0)} km on {day_str(r['day'])}, {why}; this is a convention, "
        "not trial-based evidence."
    )


def _shoe_advice(r: dict, s: dict) -> str:
    first = "Replace this pair" if r.get("severity") == "high" else "Plan a replacement for this pair"
    return f"{first}; rotating more than one pair was linked with fewer running injuries (Malisoux 2015)."


@register(
    "shoe_mileage",
    family="gear",
    title="Shoe mileage",
    defaults={"caution_km": PLAN_KM, "high_km": REPLACE_KM},
    grain="shoe",
    source="Practitioner guidance (replace every 450–800 km); Malisoux et al. 2015, SJMSS 25:110–115",
    evidence="convention",
    advice=_shoe_advice({}, {}),
    advice_for=_shoe_advice,
    message=_shoe_message,
)
def shoe_mileage(ctx: Context, s: dict) -> pd.DataFrame:
    """Kilometres per shoe, as :func:`hiprisk.shoes.shoe_table` counts them (the report's shoe chart): the
    shoe's ``start_km`` (from the shoes table, when given) plus every run logged with it (walks and hikes
    do not count). ≥ ``caution_km``: caution (plan a replacement), ≥ ``high_km``: high (replace). A shoe
    with its own ``retire_at_km`` is judged against that instead of ``high_km``, and its caution level
    scales with it (``caution_km × retire_at_km / high_km``). One warning per shoe and threshold, dated by
    the run that crossed it; a retired shoe stops standing on its ``retired_on`` day."""
    runs = ctx.runs
    shoe = runs["shoe"].astype(object)
    has = shoe.notna().to_numpy() & (shoe.astype(str).str.strip() != "").to_numpy()
    used = runs[has]
    if used.empty:
        return empty_obs()
    key = used["shoe"].map(name_key)
    # The shoe table is the one source of a shoe's start km, limits, retirement and current km.
    table = ctx.shoe_table(s["caution_km"], s["high_km"])
    table = table.assign(key=table["name"].map(name_key)).drop_duplicates("key").set_index("key")
    start_km = key.map(table["start_km"]).fillna(0.0)
    retired = key.map(table["retired_on"]).astype("datetime64[ns]")
    own = key.map(table["retire_at_km"])
    high = own.where(own > 0, float(s["high_km"]))
    caution = high * (float(s["caution_km"]) / float(s["high_km"])) if s["high_km"] > 0 else high * 0.0
    km = used["distance_km"].clip(lower=0.0).groupby(key.to_numpy()).cumsum() + start_km
    frame = pd.DataFrame(
        {
            "key": key,
            "subject": used["shoe"].astype(str),
            "day": used["local_date"],
            "activity_id": used["activity_id"],
            "km": km,
            "current_km": key.map(table["km"]),
            "retired_on": retired,
        }
    )
    parts = []
    for severity, level in (("caution", caution), ("high", high)):
        applies = (level.to_numpy() > 0) & ((severity == "high") | (level < high).to_numpy())
        crossed = frame[ge(frame["km"], level.to_numpy()) & applies]
        first = crossed.groupby("key", sort=False).head(1).copy()
        first["severity"] = severity
        first["threshold"] = level.loc[first.index].to_numpy()
        parts.append(first)
    obs = pd.concat(parts, ignore_index=True)
    if obs.empty:
        return empty_obs()
    obs = obs.sort_values(["key", "day", "threshold"], kind="stable")
    next_day = obs.groupby("key")["day"].shift(-1) - pd.Timedelta(days=1)
    until = next_day.fillna(obs["retired_on"]).fillna(ctx.end)
    obs["until_day"] = until.where(until <= ctx.end, ctx.end)
    obs["value"] = obs["km"]
    obs["unit"] = "km"
    obs["period"] = obs["day"].dt.strftime("%Y-%m-%d")
    obs["subject"] = obs.groupby("key")["subject"].transform("last")
    return obs.drop(columns=["key"]).reset_index(drop=True)


def mileage_thresholds(config: Config | None = None) -> tuple[float, float]:
    """``(plan_km, replace_km)``: this rule's effective caution and high km (450 / 800 by default)."""
    from . import effective_settings

    settings = effective_settings(config or Config())["shoe_mileage"]
    return float(settings["caution_km"]), float(settings["high_km"])
