"""``hiprisk check`` (the post-upload verdict) and ``hiprisk report`` (the weekly HTML report).

``check`` must feel instant: nothing here imports matplotlib, and the report package is imported inside
the commands.
"""

from __future__ import annotations

import json
import os
import sys

import click

FAIL_ON = ("caution", "high")


def _use_colour() -> bool | None:
    """None lets click decide (colours on a terminal, none when piped); ``NO_COLOR`` turns them off."""
    return False if os.environ.get("NO_COLOR") else None


@click.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="high",
    show_default=True,
    help="Exit with status 1 when a warning at or above this severity stands.",
)
@click.pass_context
def check_cmd(ctx: click.Context, paths: tuple[str, ...], as_json: bool, fail_on: str) -> None:
    """Import new activity file(s), then give a quick verdict on the run and its week.

    Prints the run (distance, time, pace, descent, shoe km), the week to date against last week, the
    load ratio, and every warning standing on the run's day, one line each. Importing again adds
    nothing, so it is safe to run on every upload. Exit status: 0 no warning at or above --fail-on,
    1 at least one, 2 error (a file could not be imported).

    Example: hiprisk check ~/Garmin/Activities/2026-03-14-07-12-00.fit --fail-on caution
    """
    from .. import import_paths, load_log
    from ..config import data_home, load_config
    from ..report.text import CheckResult, check, format_check, run_for
    from . import UserError

    home = data_home()
    config = load_config(home)
    summary = import_paths(paths, workers=1)
    log = load_log(home, config)
    activity = run_for(log, summary.added, paths)
    if activity is None and not summary.failed:
        raise UserError("no activity found in the given file(s)")
    if activity is None:  # the file(s) could not be imported: no verdict on some other run
        result = CheckResult(None, len(summary.added), None, None, None, [], summary.failed)
    else:
        result = check(
            log,
            activity,
            activities_added=len(summary.added),
            failed=summary.failed,
            config=config,
            shoes=_shoes(home),
        )
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        colour = _use_colour()
        if colour is None:
            colour = sys.stdout.isatty()
        for name, reason in result.failed:
            click.echo(f"error: {name}: {reason}", err=True)
        click.echo(format_check(result, fail_on=fail_on, color=colour), color=colour)
    ctx.exit(result.exit_code(fail_on))


def _shoes(home):
    """The shoes table of the data folder, or None when the gear module or its table is unavailable."""
    try:
        from ..shoes import load_shoes
    except ImportError:
        return None
    shoes = load_shoes(home)
    return shoes if len(shoes) else None


@click.command("report")
@click.option("--week", metavar="YYYY-Www", help="The week to report (default: the last complete week).")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Report the week holding this day, to date, with the warnings standing that day.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="HTML file to write (default: hiprisk-report-<week>.html in the current folder).",
)
@click.option(
    "--png",
    "png_dir",
    type=click.Path(file_okay=False),
    help="Also save each chart as a PNG in this folder.",
)
def report_cmd(week: str | None, as_of, output: str | None, png_dir: str | None) -> None:
    """Write the weekly report: one HTML file that opens offline in any browser.

    It shows the week's distance, runs, rest days and descent, the warnings standing (most severe
    first), weekly km against the 10 % band, the acute:chronic load ratio, descent and trail km against
    their 4-week baseline, shoe mileage, a calendar of the last weeks, and each warning with its
    evidence and the articles' advice. Information, not diagnosis.

    Example: hiprisk report --week 2026-W10 -o report.html --png charts/
    """
    from .. import load_log
    from ..config import data_home, load_config
    from ..errors import ConfigError
    from ..report import weekly

    if week is not None and as_of is not None:
        raise ConfigError("give --week or --as-of, not both")
    home = data_home()
    config = load_config(home)
    log = load_log(home, config)
    rep = weekly(log, week, as_of=as_of, config=config, shoes=_shoes(home))
    path = rep.write_html(output or f"hiprisk-report-{rep.period.week}.html")
    h = rep.headline
    alerts = rep.alerts
    worst = f", most severe: {alerts[0].severity}" if alerts else ""
    click.echo(
        f"wrote {path} ({rep.period.week}: {h['distance_km']:.1f} km in {h['runs']} runs, "
        f"{len(alerts)} warning{'s' if len(alerts) != 1 else ''} standing{worst})"
    )
    if png_dir:
        for png in rep.save_pngs(png_dir):
            click.echo(f"wrote {png}")


COMMANDS = [check_cmd, report_cmd]
