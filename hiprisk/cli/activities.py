"""``hiprisk import`` and ``hiprisk log``: getting files in, getting the log out."""

from __future__ import annotations

import json
import sys

import click

from .. import import_paths, load_log
from ..ingest import ImportSummary
from ..store import Store

LOG_TEXT_COLUMNS = [
    "activity_id", "start_local", "sport", "sub_sport", "distance_km", "moving_s", "descent_m", "avg_hr",
    "shoe", "name",
]  # fmt: skip


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--workers", type=click.IntRange(1), help="Decoding processes (default: all cores).")
@click.pass_context
def import_cmd(ctx: click.Context, paths: tuple[str, ...], as_json: bool, workers: int | None) -> None:
    """Import activity files, folders or export archives into the training log.

    Reads FIT, GPX and TCX (also .gz), folders (recursively), Strava bulk exports (.zip or extracted) and
    Garmin Connect data exports. Importing the same file again adds nothing. Exit status: 0 all good,
    1 some files failed, 2 nothing could be done.

    Example: hiprisk import ~/Garmin/Activities/ run-today.fit
    """
    bar = None
    progress = None
    if sys.stderr.isatty() and not as_json:
        bar = click.progressbar(length=0, label="importing", file=sys.stderr, show_pos=True)

        def progress(done: int, total: int, name: str) -> None:
            bar.length = total
            bar.update(done - bar.pos)

    try:
        summary = import_paths(paths, workers=workers, progress=progress)
    finally:
        if bar is not None:
            bar.render_finish()
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2))
    else:
        click.echo(format_summary(summary))
    ctx.exit(summary.exit_code)


def format_summary(s: ImportSummary) -> str:
    """The end-of-import summary a person reads."""
    lines = [
        f"{len(s.added)} added, {s.present} already present, "
        f"{len(s.duplicates) + len(s.replaced)} duplicates merged, {len(s.non_running)} non-running "
        f"(kept as cross-training), {len(s.failed)} failed"
        + (f", {len(s.skipped)} other files skipped" if s.skipped else "")
    ]
    for name, reason in s.failed:
        lines.append(f"  failed: {name}: {reason}")
    shown = s.skipped[:10]
    for name, reason in shown:
        lines.append(f"  skipped: {name}: {reason}")
    if len(s.skipped) > len(shown):
        lines.append(f"  … and {len(s.skipped) - len(shown)} more skipped")
    return "\n".join(lines)


@click.command("log")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First local day (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last local day (YYYY-MM-DD).")
@click.option("--json", "fmt", flag_value="json", help="All columns as JSON records.")
@click.option("--csv", "fmt", flag_value="csv", help="All columns as CSV.")
@click.option("--all-sports/--running", default=True, help="Include cross-training (default) or runs only.")
def log_cmd(since, until, fmt, all_sports) -> None:
    """Print the training log, one activity per line (local dates).

    Example: hiprisk log --since 2026-01-01 --json | jq '.[].distance_km'
    """
    log = load_log()
    if since is not None:
        log = log[log["local_date"] >= since]
    if until is not None:
        log = log[log["local_date"] <= until]
    if not all_sports:
        log = log[log["is_running"]]
    if fmt == "json":
        out = log.drop(columns=["start_local"]).assign(start_local=log["start_local"].map(_iso))
        click.echo(out.to_json(orient="records", date_format="iso", indent=1))
    elif fmt == "csv":
        click.echo(log.assign(start_local=log["start_local"].map(_iso)).to_csv(index=False), nl=False)
    else:
        click.echo(format_log(log))


def _iso(ts) -> str | None:
    return ts.isoformat() if ts is not None else None


def format_log(log) -> str:
    if log.empty:
        return "no activities (import some with: hiprisk import PATH)"
    view = log[LOG_TEXT_COLUMNS].copy()
    view["start_local"] = view["start_local"].map(lambda t: t.strftime("%Y-%m-%d %H:%M"))
    view["distance_km"] = view["distance_km"].round(2)
    view["moving_s"] = view["moving_s"].map(_hms)
    view["descent_m"] = view["descent_m"].round(0)
    view["avg_hr"] = view["avg_hr"].round(0)
    view = view.rename(columns={"moving_s": "moving", "start_local": "start (local)"})
    runs = log[log["is_running"]]
    footer = f"\n{len(log)} activities, {len(runs)} runs, {runs['distance_km'].sum():.1f} km running"
    return view.fillna("").to_string(index=False) + footer


def _hms(seconds: float) -> str:
    if seconds != seconds:
        return ""
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


@click.command("files")
@click.option("--failed", is_flag=True, help="Only files that failed.")
def files_cmd(failed: bool) -> None:
    """List the files imported so far and their outcome (added, duplicate, failed).

    Example: hiprisk files --failed
    """
    with Store() as store:
        df = store.files()
    if failed:
        df = df[df["status"] == "failed"]
    click.echo(df.fillna("").to_string(index=False) if len(df) else "no files")


COMMANDS = [import_cmd, log_cmd, files_cmd]
