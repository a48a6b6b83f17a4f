"""The report's charts, one function per chart, each returning a matplotlib ``Figure``.

matplotlib is imported here and only here, and this module is imported only when a report is drawn (never
by ``hiprisk check``). Figures are made with :class:`matplotlib.figure.Figure` on the Agg canvas, not with
``pyplot``: no global state, no GUI backend, safe in notebooks and threads.

Colours are the Okabe–Ito palette, which stays distinguishable with the common colour-vision deficiencies,
and nothing is told by colour alone: marks also differ in hatch, marker shape or label.

References
----------
Okabe M, Ito K (2008). Color Universal Design (CUD): how to make figures and presentations that are friendly
to colorblind people. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Patch

#: Okabe–Ito colours by name.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
GREY = "#8C8C8C"
LIGHT = "#EDEDED"
SEVERITY_COLOURS = {
    "high": OKABE_ITO["vermillion"],
    "caution": OKABE_ITO["orange"],
    "info": OKABE_ITO["blue"],
}

STYLE = {
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.8,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
}


def _figure(width_in: float = 10.0, height_in: float = 3.6) -> Figure:
    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _week_ticks(ax, labels: list[str], report_week: str | None) -> None:
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels([lab.split("-")[1] if "-" in lab else lab for lab in labels])
    for tick, lab in zip(ax.get_xticklabels(), labels, strict=True):
        if lab == report_week:
            tick.set_fontweight("bold")


def weekly_km_figure(
    weeks: pd.DataFrame,
    *,
    ref_km: pd.Series,
    broke: set[str] | frozenset[str] = frozenset(),
    pct: float = 10.0,
    report_week: str | None = None,
) -> Figure:
    """Weekly running km with the band allowed by the weekly-increase rule, weeks that broke it marked.

    Parameters
    ----------
    weeks : DataFrame
        :func:`hiprisk.report.data.weekly_series` rows to draw (``week``, ``distance_km``, ``logged``).
    ref_km : Series
        The rule's reference for each week (last week's km, or the baseline average after a break week)
        [km]; the band runs from it to ``ref_km × (1 + pct / 100)``. NaN where the rule cannot judge yet.
    broke : set of str
        Week labels for which the ``weekly_increase`` rule raised a warning.
    pct : float
        The rule's caution threshold [%], for the legend.
    report_week : str, optional
        The report's week, outlined.
    """
    with matplotlib.rc_context(STYLE):
        fig = _figure(10, 3.6)
        ax = fig.add_subplot()
        labels = list(weeks["week"])
        x = np.arange(len(labels))
        km = weeks["distance_km"].where(weeks["logged"]).to_numpy(dtype=float)
        is_broken = np.array([lab in broke for lab in labels])
        colours = [OKABE_ITO["vermillion"] if b else OKABE_ITO["blue"] for b in is_broken]
        bars = ax.bar(x, np.nan_to_num(km), width=0.7, color=colours, zorder=2)
        for bar, b, lab in zip(bars, is_broken, labels, strict=True):
            if b:
                bar.set_hatch("///")
                bar.set_edgecolor("white")
            if lab == report_week:
                bar.set_linewidth(2.0)
                bar.set_edgecolor(OKABE_ITO["black"])
        prev = ref_km.to_numpy(dtype=float)
        lim = prev * (1.0 + pct / 100.0)
        for i in range(len(x)):
            if np.isfinite(lim[i]) and np.isfinite(prev[i]):
                ax.fill_between(
                    [x[i] - 0.45, x[i] + 0.45],
                    prev[i],
                    lim[i],
                    color=OKABE_ITO["orange"],
                    alpha=0.25,
                    lw=0,
                    zorder=1,
                )
                ax.plot([x[i] - 0.45, x[i] + 0.45], [lim[i]] * 2, color=OKABE_ITO["orange"], lw=2, zorder=3)
        for i in np.flatnonzero(is_broken):
            if np.isfinite(prev[i]) and prev[i] > 0:
                rise = 100.0 * (km[i] / prev[i] - 1.0)
                ax.annotate(
                    f"+{rise:.0f} %", (x[i], km[i]), xytext=(0, 3), textcoords="offset points", ha="center",
                    va="bottom", fontsize=8, color=OKABE_ITO["vermillion"], fontweight="bold",
                )  # fmt: skip
            else:
                ax.annotate("▲", (x[i], km[i]), xytext=(0, 3), textcoords="offset points", ha="center")
        for i in np.flatnonzero(~np.isfinite(km)):
            ax.text(x[i], 0, "no data", rotation=90, ha="center", va="bottom", fontsize=7, color=GREY)
        _week_ticks(ax, labels, report_week)
        ax.set_ylabel("running km per week")
        ax.set_title("Weekly running distance")
        ax.set_ylim(0, max(np.nanmax(np.concatenate([km, lim, [1.0]])) * 1.15, 1.0))
        ax.legend(
            handles=[
                Patch(color=OKABE_ITO["blue"], label="running km"),
                Patch(
                    facecolor=OKABE_ITO["vermillion"],
                    hatch="///",
                    edgecolor="white",
                    label="rose above the band",
                ),
                Patch(color=OKABE_ITO["orange"], alpha=0.4, label=f"band: last week's km … +{pct:g} %"),
            ],
            loc="upper left",
            ncols=3,
        )
        ax.set_xlim(-0.6, len(labels) - 0.4)
    return fig


def load_ratio_figure(
    series: pd.DataFrame,
    *,
    low: float = 0.8,
    caution: float = 1.3,
    high: float = 1.5,
    week_span: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    title: str = "Acute:chronic load ratio",
) -> Figure:
    """Acute:chronic load ratio over time with the 0.8–1.3 "sweet spot" and the > 1.5 zone shaded.

    Parameters
    ----------
    series : DataFrame
        Indexed by day, with a ``ratio`` column (NaN while the chronic load is still building up).
    low, caution, high : float
        The load-ratio rule's thresholds (detraining below ``low``, caution above ``caution``, high above
        ``high``).
    week_span : (Timestamp, Timestamp), optional
        The report's week, shaded.
    """
    with matplotlib.rc_context(STYLE):
        fig = _figure(10, 3.4)
        ax = fig.add_subplot()
        ratio = series["ratio"].astype(float) if len(series) else pd.Series(dtype=float)
        top = max(2.0, float(np.nanmax(ratio.to_numpy())) * 1.1 if ratio.notna().any() else 2.0)
        ax.axhspan(
            low, caution, color=OKABE_ITO["green"], alpha=0.15, lw=0, label=f"{low:g}–{caution:g} range"
        )
        ax.axhspan(
            caution, high, color=OKABE_ITO["orange"], alpha=0.12, lw=0, label=f"{caution:g}–{high:g} caution"
        )
        ax.axhspan(
            high, top, color=OKABE_ITO["vermillion"], alpha=0.15, lw=0, hatch="..", label=f"> {high:g} high"
        )
        if week_span is not None:
            ax.axvspan(week_span[0], week_span[1] + pd.Timedelta(hours=23), color=GREY, alpha=0.15, lw=0)
        if ratio.notna().any():
            ax.plot(ratio.index, ratio.to_numpy(), color=OKABE_ITO["black"], lw=1.8, label="load ratio")
            last = ratio.dropna()
            ax.plot(last.index[-1], last.iloc[-1], "o", color=OKABE_ITO["black"])
            ax.annotate(
                f"{last.iloc[-1]:.2f}", (last.index[-1], last.iloc[-1]), xytext=(6, 0),
                textcoords="offset points", va="center", fontweight="bold",
            )  # fmt: skip
        else:
            ax.text(0.5, 0.5, "not enough history yet", transform=ax.transAxes, ha="center", color=GREY)
        ax.set_ylim(0, top)
        if len(ratio):
            right = ratio.index[-1] + pd.Timedelta(days=1)
            if week_span is not None:
                right = max(right, week_span[1] + pd.Timedelta(days=1))
            valid = ratio.dropna()
            ax.set_xlim((valid.index if len(valid) else ratio.index)[0] - pd.Timedelta(days=1), right)
        ax.set_ylabel("acute ÷ chronic load")
        ax.set_title(title)
        ax.legend(loc="upper left", ncols=4)
        _date_axis(ax)
    return fig


def _date_axis(ax) -> None:
    import matplotlib.dates as mdates

    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=10))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%-d %b"))


def terrain_figure(
    weeks: pd.DataFrame,
    *,
    descent_baseline: pd.Series,
    trail_baseline: pd.Series,
    report_week: str | None = None,
    baseline_weeks: int = 4,
    flagged_descent: set[str] | frozenset[str] = frozenset(),
    flagged_trail: set[str] | frozenset[str] = frozenset(),
) -> Figure:
    """Weekly descent [m] and trail km, each beside the mean of the previous ``baseline_weeks`` weeks.

    Weeks in ``flagged_descent`` / ``flagged_trail`` (the ``downhill_volume`` / ``trail_volume`` rules'
    warnings) are hatched.
    """
    with matplotlib.rc_context(STYLE):
        fig = _figure(10, 3.4)
        axes = fig.subplots(1, 2)
        labels = list(weeks["week"])
        x = np.arange(len(labels))
        panels = [
            (
                axes[0],
                "descent_m",
                descent_baseline,
                "descent (m) per week",
                "Weekly descent",
                OKABE_ITO["purple"],
            ),
            (axes[1], "trail_km", trail_baseline, "trail km per week", "Weekly trail km", OKABE_ITO["green"]),
        ]
        flags = {"descent_m": flagged_descent, "trail_km": flagged_trail}
        for ax, col, base, ylabel, title, colour in panels:
            values = weeks[col].where(weeks["logged"]).to_numpy(dtype=float)
            bars = ax.bar(
                x, np.nan_to_num(values), width=0.7, color=colour, zorder=2, label=ylabel.split(" per")[0]
            )
            for bar, lab in zip(bars, labels, strict=True):
                if lab in flags[col]:
                    bar.set_hatch("///")
                    bar.set_edgecolor("white")
                if lab == report_week:
                    bar.set_edgecolor(OKABE_ITO["black"])
                    bar.set_linewidth(2.0)
            if flags[col] & set(labels):
                flagged = {"hatch": "///", "edgecolor": "white", "label": "flagged by the rule"}
                ax.bar([np.nan], [np.nan], color=colour, **flagged)
            ax.step(
                x, base.to_numpy(dtype=float), where="mid", color=OKABE_ITO["black"], lw=1.6, ls="--",
                zorder=3, label=f"{baseline_weeks}-week baseline",
            )  # fmt: skip
            _week_ticks(ax, labels, report_week)
            ax.tick_params(axis="x", labelrotation=90)
            ax.set_ylabel(ylabel)
            ax.set_title(title)
            ax.legend(loc="upper left")
            top = np.nanmax(np.concatenate([values, base.to_numpy(dtype=float), [1.0]]))
            ax.set_ylim(0, top * 1.45)  # room for the legend
    return fig


def shoes_figure(table: pd.DataFrame, *, plan_km: float = 450.0, replace_km: float = 800.0) -> Figure:
    """Km per shoe as horizontal bars with the ``plan_km`` and ``replace_km`` lines; retired pairs greyed."""
    with matplotlib.rc_context(STYLE | {"axes.grid.axis": "x"}):
        rows = table.sort_values("km") if len(table) else table
        fig = _figure(10, max(1.6, 0.45 * len(rows) + 1.2) if len(rows) else 0.9)
        ax = fig.add_subplot()
        if len(rows) == 0:
            hint = "no shoes recorded yet (hiprisk shoes add NAME --default)"
            ax.text(0.5, 0.5, hint, transform=ax.transAxes, ha="center")
            ax.set_axis_off()
            ax.set_title("Shoe mileage")
            return fig
        y = np.arange(len(rows))
        km = rows["km"].to_numpy(dtype=float)
        status = rows["status"].astype(str).to_numpy() if "status" in rows else np.array(["ok"] * len(rows))
        colour = {
            "ok": OKABE_ITO["blue"],
            "plan replacement": OKABE_ITO["orange"],
            "replace": OKABE_ITO["vermillion"],
            "retired": LIGHT,
        }
        hatch = {"replace": "///", "plan replacement": "..", "retired": ""}
        bars = ax.barh(y, km, color=[colour.get(s, OKABE_ITO["blue"]) for s in status], zorder=2)
        for bar, s in zip(bars, status, strict=True):
            bar.set_hatch(hatch.get(s, ""))
            bar.set_edgecolor(GREY if s == "retired" else "white")
        names = [
            (str(n) if len(str(n)) <= 32 else str(n)[:31] + "…") + (" (retired)" if s == "retired" else "")
            for n, s in zip(rows["name"], status, strict=True)
        ]
        ax.set_yticks(y)
        ax.set_yticklabels(names)
        for yi, k in zip(y, km, strict=True):
            ax.annotate(
                f"{k:.0f} km", (k, yi), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9
            )
        ax.axvline(
            plan_km,
            color=OKABE_ITO["orange"],
            lw=2,
            ls="--",
            zorder=3,
            label=f"{plan_km:g} km: plan a new pair",
        )
        ax.axvline(
            replace_km, color=OKABE_ITO["vermillion"], lw=2, zorder=3, label=f"{replace_km:g} km: replace"
        )
        ax.set_xlim(0, max(replace_km * 1.12, float(np.nanmax(km)) * 1.15))
        ax.set_xlabel("km run in the shoe")
        ax.set_title("Shoe mileage")
        ax.legend(loc="lower right")
        ax.grid(False, axis="y")
    return fig


def calendar_figure(
    days: pd.DataFrame,
    *,
    as_of: pd.Timestamp | None = None,
    week_start: str = "monday",
    long_label: str = "long run",
) -> Figure:
    """A strip of the last weeks, one row per week and one cell per day: run km, rest, hard, long, spike.

    ``days`` is :func:`hiprisk.report.data.calendar`; ``long_label`` names the long-run definition in the
    legend.
    """
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    if week_start == "sunday":
        names = names[-1:] + names[:-1]
    with matplotlib.rc_context(STYLE | {"axes.grid": False}):
        weeks = list(dict.fromkeys(days["week"]))
        fig = _figure(10, 0.62 * len(weeks) + 1.5)
        ax = fig.add_subplot()
        max_km = max(float(days["distance_km"].max()), 1.0)
        for r, week in enumerate(weeks):
            row = days[days["week"] == week]
            y = len(weeks) - 1 - r
            for day, d in row.iterrows():
                x = int(d["weekday"])
                if d["future"]:
                    face, edge = "white", LIGHT
                elif d["runs"] == 0:
                    face, edge = LIGHT, LIGHT
                elif d["hard"]:
                    face, edge = OKABE_ITO["vermillion"], OKABE_ITO["vermillion"]
                else:
                    face, edge = OKABE_ITO["sky"], OKABE_ITO["sky"]
                easy_run = d["runs"] > 0 and not d["future"] and not d["hard"]
                alpha = 0.35 + 0.65 * min(d["distance_km"] / max_km, 1.0) if easy_run else 1.0
                rect = FancyBboxPatch(
                    (x - 0.44, y - 0.4), 0.88, 0.8, boxstyle="round,pad=0,rounding_size=0.08",
                    facecolor=face, edgecolor=edge, alpha=alpha, lw=1,
                )  # fmt: skip
                ax.add_patch(rect)
                if d["long"]:
                    ax.add_patch(
                        FancyBboxPatch(
                            (x - 0.44, y - 0.4),
                            0.88,
                            0.8,
                            boxstyle="round,pad=0,rounding_size=0.08",
                            facecolor="none",
                            edgecolor=OKABE_ITO["black"],
                            lw=2.2,
                        )  # fmt: skip
                    )
                if d["runs"] > 0:
                    text = f"{d['distance_km']:.1f}" + (f" ×{int(d['runs'])}" if d["runs"] > 1 else "")
                    dark = bool(d["hard"])  # white on vermillion; black on the light blues
                    ax.text(x, y - 0.05, text, ha="center", va="center", fontsize=9, fontweight="bold",
                            color="white" if dark else OKABE_ITO["black"])  # fmt: skip
                elif not d["future"]:
                    ax.text(x, y - 0.05, "rest", ha="center", va="center", fontsize=8, color=GREY)
                if d["spike"]:
                    ax.plot(
                        x + 0.3, y + 0.22, marker="^", ms=9, color=OKABE_ITO["yellow"], mec=OKABE_ITO["black"]
                    )
                ax.text(x - 0.38, y + 0.3, f"{day.day}", ha="left", va="top", fontsize=6.5, color="#555555")
        ax.set_xlim(-0.6, 6.6)
        ax.set_ylim(-0.6, len(weeks) - 0.4)
        ax.set_xticks(range(7))
        ax.set_xticklabels(names)
        ax.xaxis.tick_top()
        ax.set_yticks(range(len(weeks)))
        ax.set_yticklabels(list(reversed(weeks)))
        ax.tick_params(length=0)
        for side in ("left", "bottom", "top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_title("Last weeks, day by day (km per day)", pad=22)
        ax.legend(
            handles=[
                Patch(color=OKABE_ITO["sky"], label="easy run (darker = longer)"),
                Patch(color=OKABE_ITO["vermillion"], label="hard run"),
                Patch(color=LIGHT, label="rest day"),
                Patch(facecolor="none", edgecolor=OKABE_ITO["black"], lw=2, label=long_label),
                Line2D(
                    [],
                    [],
                    marker="^",
                    ls="",
                    ms=9,
                    color=OKABE_ITO["yellow"],
                    mec="black",
                    label="spike warning",
                ),
            ],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.02),
            ncols=5,
        )
        ax.set_aspect("auto")
    return fig


def to_png(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def draw_all(rep) -> dict[str, Figure]:
    """Every chart of a :class:`hiprisk.report.WeeklyReport`, keyed as :data:`hiprisk.report.CHARTS`."""
    s = rep.settings
    p = rep.period
    weeks = rep.tables["weeks"]
    ratio = s["load_ratio"]
    shoe = s["shoe_mileage"]
    return {
        "weekly_km": weekly_km_figure(
            weeks,
            ref_km=weeks["ref_km"],
            broke=set(weeks.loc[weeks["broke"], "week"]),
            pct=float(s["weekly_increase"]["caution_pct"]),
            report_week=p.week,
        ),
        "load_ratio": load_ratio_figure(
            rep.tables["load_ratio"],
            low=float(ratio["detraining_ratio"]),
            caution=float(ratio["caution_ratio"]),
            high=float(ratio["high_ratio"]),
            week_span=(p.start, min(p.end, p.as_of)),
            title=ratio_title(ratio),
        ),
        "terrain": terrain_figure(
            weeks,
            descent_baseline=weeks["descent_base_m"],
            trail_baseline=weeks["trail_base_km"],
            report_week=p.week,
            baseline_weeks=int(s["downhill_volume"]["baseline_weeks"]),
            flagged_descent=set(weeks.loc[weeks["descent_flagged"], "week"]),
            flagged_trail=set(weeks.loc[weeks["trail_flagged"], "week"]),
        ),
        "shoes": shoes_figure(
            rep.tables["shoes"], plan_km=float(shoe["caution_km"]), replace_km=float(shoe["high_km"])
        ),
        "calendar": calendar_figure(
            rep.tables["calendar"],
            as_of=p.as_of,
            week_start="sunday" if p.start.weekday() == 6 else "monday",
            long_label=long_label(s),
        ),
    }


def long_label(settings: dict) -> str:
    """Legend text of the long-run outline: the recovery rules' definition when they have one."""
    pct = settings.get("hard_back_to_back", {}).get("long_run_pct")
    return f"long run (> {pct:g} % of a usual week)" if pct is not None else "long run (week's longest)"


def ratio_title(settings: dict) -> str:
    """The load-ratio chart title, naming the rule's windows, method and load."""
    how = "EWMA" if settings.get("method", "ewma") == "ewma" else "rolling mean"
    load = (
        "running km" if settings.get("load", "distance") == "distance" else "running load (min × intensity)"
    )
    return (
        f"Acute:chronic load ratio ({int(settings['acute_days'])}-day vs {int(settings['chronic_days'])}-day "
        f"{how} of {load})"
    )
