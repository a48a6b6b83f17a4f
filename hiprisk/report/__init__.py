"""The weekly report: headline, charts and warnings for one week, as a self-contained HTML file.

From Python (notebooks)::

    import hiprisk, hiprisk.report
    log = hiprisk.load_log()
    rep = hiprisk.report.weekly(log, week="2026-W10")   # or as_of="2026-03-12"; default: last complete week
    rep.figures["weekly_km"]                           # matplotlib Figures, one per chart
    rep.warnings                                       # hiprisk.rules.Warning objects standing that week
    rep.write_html("report.html"); rep.save_pngs("charts/")

Importing this package does not import matplotlib; :func:`weekly` does (lazily), and the ``check`` path
(:mod:`hiprisk.report.text`) never does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .data import Period, choose_period

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["CHARTS", "Period", "WeeklyReport", "choose_period", "prepare", "weekly"]

#: The charts, in report order: key → (section heading, alt text).
CHARTS: dict[str, tuple[str, str]] = {
    "weekly_km": (
        "Is my weekly distance rising too fast?",
        "Bar chart of running km per week with the band allowed by the weekly-increase rule",
    ),
    "load_ratio": (
        "Is my recent load far above my usual?",
        "Line chart of the acute:chronic load ratio with its ranges shaded",
    ),
    "terrain": (
        "How much downhill and trail running?",
        "Bar charts of weekly descent and trail km against their 4-week baselines",
    ),
    "shoes": ("How worn are my shoes?", "Horizontal bars of km per shoe with the 450 and 800 km lines"),
    "calendar": (
        "How did the last weeks go?",
        "Calendar of the last weeks: run, rest and hard days, long runs and spikes",
    ),
}


@dataclass
class WeeklyReport:
    """Everything the weekly report shows. Tables are DataFrames; ``figures`` holds matplotlib Figures.

    Attributes
    ----------
    period : Period
        The week and the day its warnings stand on.
    headline : dict
        The week's totals (``distance_km``, ``runs``, ``rest_days``, ``descent_m``, ...), last week's km.
    warnings : list of hiprisk.rules.Warning
        The warnings standing on ``period.as_of`` (:func:`hiprisk.rules.evaluate`), most severe first.
    history : DataFrame
        Every warning raised over the charted weeks (:func:`hiprisk.rules.warnings_frame`).
    tables : dict of DataFrame
        ``weeks``, ``load_ratio``, ``shoes``, ``calendar``: the data behind each chart.
    settings : dict
        The effective rule settings used (thresholds drawn on the charts).
    figures : dict of Figure
        One per :data:`CHARTS` key (empty when built with ``figures=False``).
    """

    period: Period
    headline: dict
    warnings: list
    history: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    settings: dict[str, dict]
    notes: list[str] = field(default_factory=list)
    figures: dict[str, Figure] = field(default_factory=dict)

    @property
    def alerts(self) -> list:
        """The standing warnings without the "not enough history" notes."""
        return [w for w in self.warnings if w.subject != "history"]

    @property
    def history_notes(self) -> list:
        """Info notes of rules that have too little history to judge yet."""
        return [w for w in self.warnings if w.subject == "history"]

    def draw(self) -> dict[str, Figure]:
        """Draw (or redraw) every chart; returns :attr:`figures`."""
        from .figures import draw_all

        self.figures = draw_all(self)
        return self.figures

    def to_html(self, dpi: int = 110) -> str:
        """The self-contained HTML page (charts embedded as PNG data URIs)."""
        from .figures import to_png
        from .html import render

        figures = self.figures or self.draw()
        return render(self, {key: to_png(fig, dpi) for key, fig in figures.items()})

    def write_html(self, path: str | Path, dpi: int = 110) -> Path:
        """Write :meth:`to_html` to ``path`` (UTF-8); returns the path."""
        path = Path(path)
        path.write_text(self.to_html(dpi), encoding="utf-8")
        return path

    def save_pngs(self, directory: str | Path, dpi: int = 150) -> list[Path]:
        """Save each chart as ``<directory>/<week>-<chart>.png``; returns the paths."""
        from .figures import to_png

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        figures = self.figures or self.draw()
        out = []
        for key, fig in figures.items():
            path = directory / f"{self.period.week}-{key}.png"
            path.write_bytes(to_png(fig, dpi))
            out.append(path)
        return out


def prepare(
    log: pd.DataFrame,
    week: str | None = None,
    *,
    as_of=None,
    config=None,
    shoes: pd.DataFrame | None = None,
    today=None,
    weeks: int | None = None,
) -> WeeklyReport:
    """The report's numbers and warnings, without drawing (no matplotlib import).

    Parameters are those of :func:`weekly`.
    """
    from ..config import Config
    from ..rules import (
        effective_settings,
        evaluate,
        load_ratio_series,
        run_flags,
        warnings_frame,
        week_baselines,
        weekly_reference,
    )
    from . import data

    config = config or Config()
    week_start = config.athlete.week_start
    period = choose_period(log, week, as_of, week_start=week_start, today=today)
    n_weeks = max(data.HISTORY_WEEKS, int(weeks or data.HISTORY_WEEKS))
    settings = effective_settings(config)
    known = data.upto(log, period.as_of)

    standing = evaluate(known, as_of=period.as_of, config=config, shoes=shoes)
    first_charted = period.start - pd.Timedelta(days=7 * (n_weeks - 1))
    history = warnings_frame(known, since=first_charted, until=period.as_of, config=config, shoes=shoes)

    weeks_df = data.weekly_series(known, period, n_weeks, week_start=week_start)
    notes: list[str] = []
    # The rules' own series (hiprisk.rules.series): the band, baselines and ratio are the warnings' numbers.
    ref = weekly_reference(known, period.as_of, config)
    weeks_df["ref_km"] = weeks_df["week"].map(ref["ref_km"]).astype(float)
    weeks_df["limit_km"] = weeks_df["week"].map(ref["caution_km"]).astype(float)
    weeks_df["after_break"] = (
        weeks_df["week"].map(ref["after_break"]).astype("boolean").fillna(False).astype(bool)
    )
    broke = (
        history.loc[history["rule"] == "weekly_increase", "period"]
        if len(history)
        else pd.Series(dtype=object)
    )
    weeks_df["broke"] = weeks_df["week"].isin(set(broke))
    for rule, col in (("downhill_volume", "descent_flagged"), ("trail_volume", "trail_flagged")):
        flagged = history.loc[history["rule"] == rule, "period"] if len(history) else []
        weeks_df[col] = weeks_df["week"].isin(set(flagged))
    bases = week_baselines(known, period.as_of, config)
    for col in ("descent_base_m", "trail_base_km"):
        weeks_df[col] = weeks_df["week"].map(bases[col]).astype(float)
    shown = weeks_df.iloc[-n_weeks:].copy()
    if shown["logged"].any():  # weeks before the first activity say nothing: start at the first logged one
        shown = shown.loc[shown["logged"].idxmax() :]

    ratio = load_ratio_series(known, period.as_of, config)
    ratio = ratio[ratio.index >= first_charted]

    flags = run_flags(known, period.as_of, config)
    cal = data.calendar(known, period, history, week_start=week_start, flags=flags)
    shoe_df = data.shoe_km(known, period.as_of, shoes, config)

    in_week = (
        (known["local_date"] >= period.start) & (known["local_date"] <= period.as_of) if len(known) else []
    )
    runs = known[in_week] if len(known) else known
    head = data.headline(known, period)
    head["load_ratio"] = _value_on(ratio, period.as_of)
    th = log.attrs.get("thresholds")
    if th is not None and ("estimated" in (th.hr_source, th.speed_source)):
        parts = []
        if th.hr_source == "estimated" and th.hr_bpm:
            parts.append(f"threshold heart rate {th.hr_bpm:.0f} bpm")
        if th.speed_source == "estimated" and th.speed_m_s:
            parts.append(f"threshold pace {_pace(th.speed_m_s)} /km")
        if parts:
            notes.append(
                "Hard minutes use an estimated "
                + " and ".join(parts)
                + " (set yours in hiprisk.toml [athlete])."
            )
    return WeeklyReport(
        period=period,
        headline=head,
        warnings=standing,
        history=history,
        tables={"weeks": shown, "load_ratio": ratio, "shoes": shoe_df, "calendar": cal, "runs": runs},
        settings=settings,
        notes=notes,
    )


def _value_on(series: pd.DataFrame, day: pd.Timestamp) -> float | None:
    if series is None or len(series) == 0 or "ratio" not in series:
        return None
    s = series["ratio"].loc[:day].dropna()
    if len(s) == 0 or s.index[-1] != day:
        return None
    return float(s.iloc[-1])


def _pace(speed_m_s: float) -> str:
    s = int(round(1000.0 / speed_m_s))
    return f"{s // 60}:{s % 60:02d}"


def weekly(
    log: pd.DataFrame,
    week: str | None = None,
    *,
    as_of=None,
    config=None,
    shoes: pd.DataFrame | None = None,
    today=None,
    weeks: int | None = None,
    figures: bool = True,
) -> WeeklyReport:
    """The weekly report for ``week`` (``"2026-W10"``), the week holding ``as_of``, or the last complete week.

    Parameters
    ----------
    log : DataFrame
        The training log (:func:`hiprisk.load_log`).
    week : str, optional
        ``YYYY-Www``. Warnings then stand on the week's last day.
    as_of : date-like, optional
        A local day instead of ``week``: its week, shown to date, with the warnings standing that day.
    config : hiprisk.Config, optional
        Athlete profile (week start, time zone) and rule settings; default settings when None.
    shoes : DataFrame, optional
        The shoes table (:func:`hiprisk.shoes.load_shoes`); when None, shoe km come from the log alone.
    today : date-like, optional
        "Today" for the default week (default: the system's today).
    weeks : int, optional
        Weeks on the weekly charts (at least 16).
    figures : bool
        Draw the charts (imports matplotlib). False gives the numbers only.

    Returns
    -------
    WeeklyReport
        ``.figures`` (a dict of matplotlib Figures), ``.warnings``, ``.headline``, ``.tables``; and
        ``.write_html(path)``, ``.save_pngs(dir)``.

    Raises
    ------
    hiprisk.ConfigError
        An unreadable week or day, or both given.
    hiprisk.HipriskError
        An empty log and no week given.
    """
    rep = prepare(log, week, as_of=as_of, config=config, shoes=shoes, today=today, weeks=weeks)
    if figures:
        rep.draw()
    return rep
