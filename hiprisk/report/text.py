"""The post-upload check: a compact verdict on the new run and its week, for a terminal or a script.

No matplotlib here (``hiprisk check`` must feel instant). :func:`check` gathers the numbers (the rules'
warnings standing on the run's day, the week so far, the load ratio, the shoe's km), :func:`format_check`
prints them in a few lines, :meth:`CheckResult.to_dict` is the ``--json`` form and
:meth:`CheckResult.exit_code` the exit status.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import click
import pandas as pd

from .data import choose_period, finite, headline, one_shoe_km, run_of, upto

SEVERITY_RANK = {"info": 0, "caution": 1, "high": 2}
SEVERITY_STYLE = {
    "high": {"fg": "red", "bold": True},
    "caution": {"fg": "yellow", "bold": True},
    "info": {"fg": "cyan"},
}
ADVICE_WORDS = 60  # characters of advice on a check line


@dataclass
class CheckResult:
    """What ``hiprisk check`` reports: the run, its week, the load ratio and the warnings standing."""

    as_of: pd.Timestamp | None
    activities_added: int
    run: dict | None
    week: dict | None
    load_ratio: float | None
    warnings: list = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def alerts(self) -> list:
        """The warnings without the "not enough history" notes."""
        return [w for w in self.warnings if w.subject != "history"]

    def exit_code(self, fail_on: str = "high") -> int:
        """2 when a file failed to import, 1 when a warning is at or above ``fail_on``, else 0."""
        if self.failed:
            return 2
        level = SEVERITY_RANK[fail_on]
        return 1 if any(SEVERITY_RANK.get(w.severity, 0) >= level for w in self.warnings) else 0

    def to_dict(self) -> dict:
        """The ``--json`` form: ``as_of``, ``activities_added``, ``warnings`` (plus run, week, load ratio)."""
        return {
            "as_of": self.as_of.strftime("%Y-%m-%d") if self.as_of is not None else None,
            "activities_added": self.activities_added,
            "warnings": [w.to_dict() for w in self.warnings],
            "run": self.run,
            "week": self.week,
            "load_ratio": None if self.load_ratio is None else round(self.load_ratio, 3),
            "failed": [{"file": f, "reason": r} for f, r in self.failed],
        }


def file_sha256(path: str | Path) -> str | None:
    """SHA-256 of a file's decoded bytes (``.gz`` decompressed), as the store keys files; None on errors."""
    path = Path(path)
    try:
        data = path.read_bytes()
        if path.suffix.lower() == ".gz":
            data = gzip.decompress(data)
    except (OSError, EOFError, gzip.BadGzipFile):
        return None
    return hashlib.sha256(data).hexdigest()


def run_for(log: pd.DataFrame, added: Iterable[str] = (), paths: Iterable[str | Path] = ()) -> str | None:
    """The activity a check is about: the latest added run, else the latest run of the given files."""
    if len(log) == 0:
        return None
    rows = log[log["activity_id"].isin(list(added))]
    if len(rows) == 0:
        shas = {s for p in paths if Path(p).is_file() for s in [file_sha256(p)] if s}
        rows = log[log["file_sha256"].isin(shas)]
    if len(rows) == 0:
        return None
    runs = rows[rows["is_running"].astype(bool)]
    rows = runs if len(runs) else rows
    return str(rows.sort_values("start_utc")["activity_id"].iloc[-1])


def check(
    log: pd.DataFrame,
    activity_id: str | None = None,
    *,
    activities_added: int = 0,
    failed: Iterable[tuple[str, str]] = (),
    config=None,
    shoes: pd.DataFrame | None = None,
) -> CheckResult:
    """The verdict on one run (default: the log's latest run) and its week, as of the run's local day.

    Parameters
    ----------
    log : DataFrame
        The training log (:func:`hiprisk.load_log`), the new run already in it.
    activity_id : str, optional
        The run to check.
    activities_added, failed
        What the import did (reported as they are).
    config, shoes
        As for :func:`hiprisk.rules.evaluate`.
    """
    from ..config import Config
    from ..rules import evaluate_context, load_ratio_context, make_context, to_day

    config = config or Config()
    failed = list(failed)
    run = run_of(log, activity_id)
    if run is None:
        return CheckResult(None, activities_added, None, None, None, [], failed)
    as_of = pd.Timestamp(run["local_date"]).normalize()
    known = upto(log, as_of)
    # One evaluation context for the warnings and the load ratio (what evaluate() and
    # load_ratio_series() would each build from the same log and day): the log is prepared once.
    ctx = make_context(known, to_day(as_of), config, shoes)
    warnings = evaluate_context(ctx)
    period = choose_period(known, as_of=as_of, week_start=config.athlete.week_start)
    head = headline(known, period)
    ratio_series = load_ratio_context(ctx)
    ratio = finite(ratio_series["ratio"].get(as_of)) if len(ratio_series) else None
    return CheckResult(
        as_of=as_of,
        activities_added=activities_added,
        run=_run_dict(run, known, as_of, shoes, config, ctx),
        week={
            "week": head["week"],
            "start": head["start"].strftime("%Y-%m-%d"),
            "distance_km": round(head["distance_km"], 3),
            "runs": head["runs"],
            "rest_days": head["rest_days"],
            "descent_m": round(head["descent_m"], 1),
            "prev_distance_km": round(head["prev_distance_km"], 3),
            "prev_to_date_km": round(head["prev_to_date_km"], 3),
        },
        load_ratio=ratio,
        warnings=warnings,
        failed=failed,
    )


def _run_dict(run: pd.Series, log: pd.DataFrame, as_of, shoes, config, ctx=None) -> dict:
    shoe = run.get("shoe")
    shoe = shoe if isinstance(shoe, str) and shoe.strip() else None
    shoe_km = _shoe_km(ctx, log, shoe) if shoe and ctx is not None else None
    if shoe and shoe_km is None:
        shoe_km = one_shoe_km(log, shoe, as_of, shoes, config)
    start = run.get("start_local")
    return {
        "activity_id": str(run["activity_id"]),
        "start_local": start.isoformat() if hasattr(start, "isoformat") else None,
        "name": run.get("name") if isinstance(run.get("name"), str) else None,
        "sport": run.get("sport"),
        "sub_sport": run.get("sub_sport"),
        "distance_km": finite(run.get("distance_km")),
        "moving_s": finite(run.get("moving_s")),
        "descent_m": finite(run.get("descent_m")),
        "avg_hr": finite(run.get("avg_hr")),
        "shoe": shoe,
        "shoe_km": None if shoe_km is None else round(shoe_km, 1),
    }


def _shoe_km(ctx, log: pd.DataFrame, shoe: str) -> float | None:
    """The shoe's km from the evaluation context's shoe table (the one the shoe rule read), or None to
    ask :func:`one_shoe_km`.

    The same number as :func:`one_shoe_km` on ``log``: the table sums the same runs, in the same order,
    when the context holds ``log``'s rows in ``log``'s order (always so for :func:`hiprisk.load_log`'s
    log, oldest first); otherwise None.
    """
    from ..rules.gear import mileage_thresholds
    from ..shoes import name_key

    ids = ctx.log["activity_id"].to_numpy()
    if len(ids) != len(log) or not (ids == log["activity_id"].to_numpy()).all():
        return None
    table = ctx.shoe_table(*mileage_thresholds(ctx.config))
    key = name_key(shoe)
    match = table[table["name"].map(name_key) == key]
    return finite(match["km"].iloc[0]) if len(match) else None


# -- the text form --------------------------------------------------------------------------------------
def number_text(value: float, unit: str) -> str:
    """A warning's number with its unit: ``+35 %``, ``1.42``, ``512 km``, ``9 days``."""
    v = finite(value)
    if v is None:
        return "n/a"
    if unit == "%":
        return f"{v:+.0f} %"
    if unit == "ratio":
        return f"{v:.2f}"
    if unit == "points":
        return f"{v:+.0f} points"
    if unit in ("km",):
        return f"{v:,.0f} km"
    if unit == "m":
        return f"{v:,.0f} m"
    if unit == "days":
        return f"{v:g} day{'' if v == 1 else 's'}"
    return f"{v:g} {unit}"


def threshold_text(value: float, threshold: float, unit: str) -> str:
    """``limit 10 %``-style text: the threshold, with the direction it was crossed in."""
    v, t = finite(value), finite(threshold)
    if t is None:
        return ""
    sign = "<" if v is not None and v < t else ">"
    if unit == "%":
        return f"{sign} {t:g} %"
    if unit == "ratio":
        return f"{sign} {t:g}"
    if unit in ("km", "m", "days", "min", "spm", "points"):
        sign = "≥" if sign == ">" and unit in ("km", "days") else sign
        return f"{sign} {t:g} {unit}"
    return f"{sign} {t:g} {unit}"


def short_advice(text: str, limit: int = ADVICE_WORDS) -> str:
    """The advice in a few words: up to its first colon or semicolon, else cut at a word (with "…")."""
    text = " ".join(str(text or "").split())
    for sep in (":", ";"):
        head = text.split(sep, 1)[0]
        if len(head) < len(text) and len(head) <= limit:
            return head.rstrip(".")
    first = text.split(". ", 1)[0].rstrip(".")
    if len(first) <= limit:
        return first
    cut = first[: limit - 1].rsplit(" ", 1)[0].rstrip(",;")
    return cut + "…"


def numbers(w) -> str:
    """A warning's value and the threshold it crossed: ``+31 % (> 30 %)``, ``509 km (≥ 450 km)``."""
    return f"{number_text(w.value, w.unit)} ({threshold_text(w.value, w.threshold, w.unit)})"


def _dur(seconds) -> str:
    v = finite(seconds)
    if v is None:
        return "–"
    s = int(round(v))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def warning_line(w, color: bool = True) -> str:
    """One line: severity, rule, the numbers, the advice in a few words."""
    sev = f"{w.severity.upper():<8}"
    if color:
        sev = click.style(sev, **SEVERITY_STYLE.get(w.severity, {}))
    subject = f" [{w.subject}]" if w.subject else ""
    return f"  {sev} {w.rule:<18} {numbers(w)}{subject} · {short_advice(w.advice)}"


def format_check(result: CheckResult, fail_on: str = "high", color: bool = True) -> str:
    """The terminal verdict (ANSI colours when ``color``). Failed files are not listed (stderr's job)."""
    lines = []
    if result.run is None:
        if result.failed:
            lines.append("nothing to check: the file(s) could not be imported")
        else:
            lines.append("no run in the training log yet (nothing to check)")
        return "\n".join(lines)
    r = result.run
    week = result.week
    day = result.as_of
    added = result.activities_added
    news = (
        f"{added} activit{'y' if added == 1 else 'ies'} added" if added else "already imported, nothing new"
    )
    lines.append(f"hiprisk check · {day:%a %Y-%m-%d} · {news}")
    start = pd.Timestamp(r["start_local"]) if r["start_local"] else None
    kind = (r["sub_sport"] if r["sport"] == "running" else r["sport"]) or ""
    run_bits = [
        f"{start:%H:%M}" if start is not None else "",
        f"{kind} run" if r["sport"] == "running" else kind,
        f"{r['distance_km']:.2f} km" if r["distance_km"] is not None else "– km",
        _dur(r["moving_s"]),
    ]
    if r["distance_km"] and r["moving_s"]:
        pace = int(round(r["moving_s"] / r["distance_km"]))
        run_bits.append(f"{pace // 60}:{pace % 60:02d} /km")
    if r["descent_m"]:
        run_bits.append(f"↓ {r['descent_m']:.0f} m")
    if r["shoe"]:
        run_bits.append(f"{r['shoe']} {r['shoe_km']:.0f} km" if r["shoe_km"] is not None else r["shoe"])
    name = f' "{r["name"]}"' if r.get("name") else ""
    lines.append(f"Run   {' · '.join(b for b in run_bits if b)}{name}")
    same_day = f"{day:%a}"
    prev = f"last week {week['prev_distance_km']:.1f} km"
    if day.weekday() != (pd.Timestamp(week["start"]) - pd.Timedelta(days=1)).weekday():
        prev += f" ({week['prev_to_date_km']:.1f} by {same_day})"
    ratio = f" · load ratio {result.load_ratio:.2f}" if result.load_ratio is not None else ""
    lines.append(
        f"Week  {week['week']} to date {week['distance_km']:.1f} km in {week['runs']} run"
        f"{'s' if week['runs'] != 1 else ''} · {prev}{ratio}"
    )
    alerts = result.alerts
    if alerts:
        lines.append(f"Warnings standing ({len(alerts)}):")
        lines.extend(warning_line(w, color) for w in alerts)
    else:
        ok = "No warnings standing."
        lines.append(click.style(ok, fg="green") if color else ok)
    notes = [w.rule for w in result.warnings if w.subject == "history"]
    if notes:
        lines.append(f"  (not enough history yet for: {', '.join(notes)})")
    code = result.exit_code(fail_on)
    if code == 1:
        lines.append(f"→ exit 1: a warning at or above {fail_on}")
    return "\n".join(lines)
