"""``hiprisk warnings``: the risk warnings standing on a day, or every warning over a span."""

from __future__ import annotations

import json

import click
import pandas as pd

from .. import load_log
from ..config import data_home, load_config
from ..rules import evaluate, warnings_frame
from ..shoes import load_shoes

SEVERITY_MARK = {"high": "HIGH", "caution": "caution", "info": "info"}


@click.command("warnings")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="List every warning from this local day.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="List every warning up to this local day.")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Warnings standing on this day (default: last day).",
)
@click.option("--json", "as_json", is_flag=True, help='As JSON: {"as_of": ..., "warnings": [...]}.')
def warnings_cmd(since, until, as_of, as_json: bool) -> None:
    """Show training-load risk warnings (patterns linked with injury; never a diagnosis).

    Without --since/--until: the warnings standing on --as-of (default: the last day in the log),
    computed only from activities up to that day. With --since and/or --until: every warning over that
    span, one per rule and period (week, run, episode or shoe). Thresholds come from hiprisk.toml
    (see `hiprisk config show`); the rules and their evidence are listed in docs/rules.md.

    Example: hiprisk warnings --since 2026-01-01 --json
    """
    if as_of is not None and (since is not None or until is not None):
        raise click.UsageError("use --as-of alone, or --since/--until for a span")
    home = data_home()
    config = load_config(home)
    log = load_log(home, config)
    shoes = load_shoes(home)
    if since is not None or until is not None:
        frame = warnings_frame(log, since=since, until=until, config=config, shoes=shoes)
        records = frame.to_dict("records")
        day = (until or _last_day(log)).strftime("%Y-%m-%d") if len(log) or until else None
        title = f"from {since:%Y-%m-%d}" if since else "from the start of the log"
        title += f" to {until:%Y-%m-%d}" if until else ""
    else:
        found = evaluate(log, as_of=as_of, config=config, shoes=shoes)
        records = [w.to_dict() for w in found]
        day = (as_of or _last_day(log)).strftime("%Y-%m-%d") if len(log) or as_of else None
        title = f"standing on {day}" + ("" if as_of else " (the last day in the log)")
    if as_json:
        click.echo(json.dumps({"as_of": day, "warnings": records}, indent=2, ensure_ascii=False))
        return
    click.echo(format_warnings(records, title, empty_log=not len(log)))


def _last_day(log) -> pd.Timestamp:
    return pd.Timestamp(log["local_date"].max())


def format_warnings(records: list[dict], title: str, empty_log: bool = False) -> str:
    """Warnings for a person: one block per warning, then one line for rules still short of history."""
    if empty_log:
        return "no activities (import some with: hiprisk import PATH)"
    found = [r for r in records if r.get("subject") != "history"]
    notes = [r for r in records if r.get("subject") == "history"]
    if found:
        lines = [f"{len(found)} warning{'s' if len(found) != 1 else ''} {title}:"]
    else:
        lines = [f"No warnings {title}."]
    for r in found:
        mark = SEVERITY_MARK.get(r["severity"], r["severity"])
        head = f"{r['date']}  {mark:<7}  {r['rule']} ({r['period']})"
        if r.get("subject"):
            head += f" [{r['subject']}]"
        lines += [
            "",
            head,
            f"  {r['message']}",
            f"  Advice: {r['advice']}",
            f"  Evidence: {r['evidence']} — {r['source']}",
        ]
    if notes:
        short = ", ".join(f"{r['rule']} ({r['value']:g} of {r['threshold']:g} {r['unit']})" for r in notes)
        lines += ["", f"Not enough history yet, so no verdict from: {short}."]
    if found:
        lines += ["", "hiprisk flags training patterns the literature links to injury; it does not diagnose."]
    return "\n".join(lines)


COMMANDS = [warnings_cmd]
