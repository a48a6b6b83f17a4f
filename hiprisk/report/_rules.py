"""Adapters: the series a chart needs, computed by the rules' own functions (never re-implemented here).

The rules return *observation frames* holding only the flagged rows. A chart needs every day or week (the
load ratio also when it is inside the 0.8–1.3 range, the reference week of the 10 % band also when the
week stayed below it). :func:`rule_rows` runs a rule's own ``compute`` function with its thresholds moved
so that every row the rule can judge is flagged, and returns them: the numbers are the rule's, computed the
rule's way (same load, same EWMA, same baseline, same history requirements).

This module uses the engine's internals (``hiprisk.rules._context``, ``RuleSpec.compute``,
``Context.week_compare`` / ``run_flags``). The public functions the reporter would rather call are listed in
:data:`WANTED` (a request to the rules module, not a dependency). ``hiprisk.rules.observations`` is public but
returns only flagged rows with the user's validated settings, so it cannot give a whole series.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: Public series functions the rules package could expose so this adapter can go.
WANTED = {
    "load_ratio_series(log, as_of=None, config=None) -> DataFrame": "daily acute, chronic, ratio",
    "weekly_reference(log, as_of=None, config=None) -> DataFrame": "per week: wtd km, reference km",
    "week_baselines(log, as_of=None, config=None) -> DataFrame": "per week: descent / trail baselines",
    "run_flags(log, as_of=None, config=None) -> DataFrame": "per run: hard session, long run",
}

INF = math.inf
BIG = 1e12  # a threshold no real value reaches (finite: the rules add a relative tolerance to it)


def rule_context(log: pd.DataFrame, as_of, config=None, shoes=None):
    """The rules' evaluation context of ``log`` cut at ``as_of``, built by the engine itself."""
    from ..config import Config
    from ..rules import _context

    day = pd.Timestamp(as_of).normalize() if as_of is not None else None
    return _context(log, day, config or Config(), shoes)


def settings(config=None) -> dict[str, dict]:
    """Every rule's effective settings (defaults + the user's overrides)."""
    from ..rules import effective_settings

    return effective_settings(config)


def rule_rows(rule_id: str, ctx, config=None, **overrides) -> pd.DataFrame:
    """Rule ``rule_id``'s observation frame on ``ctx`` with some settings overridden (e.g. thresholds)."""
    from ..rules import RULES

    spec = RULES[rule_id]
    s = dict(settings(config)[rule_id]) | overrides
    if ctx.empty:
        return pd.DataFrame()
    return spec.compute(ctx, s)


def load_ratio_series(ctx, config=None) -> pd.DataFrame:
    """Daily ``acute``, ``chronic`` and ``ratio`` of the ``load_ratio`` rule (NaN before it can judge).

    Index: every day of the context's history. The rule's method, load, windows and history requirement
    apply; only the thresholds are opened so that every judged day is returned.
    """
    rows = rule_rows(
        "load_ratio", ctx, config, caution_ratio=0.0, high_ratio=BIG, detraining_ratio=0.0, rhythm_check=False
    )
    index = ctx.days.index if not ctx.empty else pd.DatetimeIndex([], name="date")
    out = pd.DataFrame(index=index, columns=["acute", "chronic", "ratio"], dtype=float)
    if len(rows):
        rows = rows.set_index(pd.to_datetime(rows["day"]))
        out.loc[rows.index, "acute"] = rows["acute"].to_numpy(dtype=float)
        out.loc[rows.index, "chronic"] = rows["chronic"].to_numpy(dtype=float)
        out.loc[rows.index, "ratio"] = rows["value"].to_numpy(dtype=float)
    return out


def weekly_reference(ctx, config=None) -> pd.DataFrame:
    """Per week (index: week label) the ``weekly_increase`` rule's reference km and week-to-date km.

    ``ref`` is last week's km, or the baseline average when last week was a break (the rule's own
    choice); ``wtd`` the week's km up to its last day in the context. Weeks the rule cannot judge yet
    (too little history, reference 0) are absent.
    """
    rows = rule_rows("weekly_increase", ctx, config, caution_pct=-BIG, high_pct=BIG)
    if len(rows) == 0:
        return pd.DataFrame(columns=["ref", "wtd", "after_break"], dtype=float)
    last = rows.sort_values("day").groupby("period").tail(1).set_index("period")
    return last[["ref", "wtd", "after_break"]].astype({"ref": float, "wtd": float})


def week_baselines(ctx, config=None) -> pd.DataFrame:
    """Per week (index: week label) the terrain rules' baselines: ``descent_base_m`` and ``trail_base_km``.

    Each is the mean of the previous ``baseline_weeks`` complete weeks inside the history, computed by
    ``Context.week_compare`` (the function ``downhill_volume`` and ``trail_volume`` compare against);
    NaN until that many weeks exist.
    """
    if ctx is None or ctx.empty:
        return pd.DataFrame(columns=["descent_base_m", "trail_base_km"], dtype=float)
    s = settings(config)
    out = {}
    for col, rule, name in (
        ("descent_m", "downhill_volume", "descent_base_m"),
        ("trail_km", "trail_volume", "trail_base_km"),
    ):
        w = ctx.week_compare(ctx.days[col], max(1, int(s[rule]["baseline_weeks"])))
        out[name] = w.groupby("week")["base"].last()
    return pd.DataFrame(out).astype(float)


def hard_and_long_runs(ctx, config=None) -> pd.DataFrame:
    """Running rows flagged ``hard`` / ``long`` the way the recovery rules define a hard session.

    Uses ``Context.run_flags`` with the ``hard_back_to_back`` rule's ``hard_min`` and ``long_run_pct``
    settings when that rule has them; empty when it does not exist.
    """
    s = settings(config).get("hard_back_to_back")
    if ctx.empty or not s or "hard_min" not in s:
        return pd.DataFrame(columns=["local_date", "hard_by_min", "long"])
    flags = ctx.run_flags(float(s["hard_min"]), float(s.get("long_run_pct", INF)))
    return flags[["activity_id", "local_date", "distance_km", "hard_by_min", "long"]]


def finite_or_nan(x) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return float("nan")
    return v if np.isfinite(v) else float("nan")
