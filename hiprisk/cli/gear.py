"""``hiprisk shoes``: shoe mileage, default shoes, assignment, retirement (thin over :mod:`hiprisk.shoes`)."""

from __future__ import annotations

import json

import click

from .. import shoes as gear
from ..config import load_config
from ..importers.base import RUNNING_SUB_SPORTS
from ..rules.gear import mileage_thresholds

DAY = click.DateTime(["%Y-%m-%d"])


@click.group("shoes")
def shoes_group() -> None:
    """Track shoes: km per pair, the default shoe for new runs, rotation, retirement.

    New runs get the default shoe (or the default for their sub-sport, e.g. trail) automatically; gear named
    in Strava/Garmin exports is matched to shoes by name. Names are case-insensitive.

    Example: hiprisk shoes add "Pegasus 40" --brand Nike --default
    """


@shoes_group.command("add")
@click.argument("name")
@click.option("--brand", help="Brand (e.g. Nike).")
@click.option("--start-km", type=float, default=0.0, show_default=True, help="Km the pair already has.")
@click.option("--from", "from_date", type=DAY, help="First day in use (YYYY-MM-DD); no automatic use before.")
@click.option("--default", "make_default", is_flag=True, help="Make it the default shoe for new runs.")
@click.option("--retire-at", "retire_at", type=float, help="This pair's own replacement km (default 800).")
def add_cmd(name, brand, start_km, from_date, make_default, retire_at) -> None:
    """Add a pair of shoes.

    Example: hiprisk shoes add "Pegasus 40" --brand Nike --start-km 120 --default
    """
    stored = gear.add_shoe(
        name,
        brand=brand,
        start_km=start_km,
        from_date=from_date,
        default=make_default,
        retire_at_km=retire_at,
    )
    details = []
    if brand:
        details.append(gear._clean_brand(brand))
    if start_km:
        details.append(f"{start_km:.1f} km already")
    if from_date is not None:
        details.append(f"in use from {from_date:%Y-%m-%d}")
    if make_default:
        details.append("default for new runs")
    if retire_at is not None:
        details.append(f"replace at {retire_at:g} km")
    click.echo(f"added shoe {stored!r}" + (f" ({', '.join(details)})" if details else ""))


@shoes_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="As JSON (shoes, unassigned km, rotation).")
@click.option("--as-of", type=DAY, help="Count runs up to this local day (default today).")
def list_cmd(as_json: bool, as_of) -> None:
    """List shoes: km, runs, first/last use, % of 800 km, 8-week share, trail km and status.

    Status: ok, plan replacement (≥ 450 km), replace (≥ 800 km or the pair's --retire-at), retired.

    Example: hiprisk shoes list --json
    """
    config = load_config()
    plan_km, replace_km = mileage_thresholds(config)
    summary = gear.load_gear_summary(as_of=as_of, config=config, plan_km=plan_km, replace_km=replace_km)
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(format_gear(summary))


def format_gear(summary: gear.GearSummary) -> str:
    """The shoe table and its notes as a person reads them."""
    t = summary.table
    lines = []
    if t.empty:
        lines.append('no shoes yet (add one with: hiprisk shoes add "NAME" --default)')
    else:
        cols = ["name", "brand", "km", "runs", "first_use", "last_use", "pct_of_800", "share_8wk_pct"]
        view = t[cols].copy()
        view["brand"] = view["brand"].fillna("")
        view["km"] = view["km"].map(lambda v: f"{v:.1f}")
        for col in ("first_use", "last_use"):
            view[col] = t[col].map(lambda d: d.strftime("%Y-%m-%d") if d is not None and d == d else "-")
        view["pct_of_800"] = t["pct_of_800"].map(lambda v: f"{v:.0f}%")
        view["share_8wk_pct"] = t["share_8wk_pct"].map(lambda v: f"{v:.0f}%")
        view["trail_km"] = t["trail_km"].map(lambda v: f"{v:.1f}")
        view["status"] = t["status"]
        flags = zip(t["is_default"], t["default_for"], t["status"], strict=True)
        view["default"] = [_default_label(d, f) if s != "retired" else "-" for d, f, s in flags]
        view = view.rename(
            columns={
                "first_use": "first use",
                "last_use": "last use",
                "pct_of_800": "of 800 km",
                "share_8wk_pct": f"{summary.weeks}-wk share",
                "trail_km": "trail km",
            }
        )
        for col in ("name", "brand"):  # text columns read best left-aligned
            width = max(view[col].map(len).max(), len(col))
            view[col] = view[col].map(lambda v, w=width: v.ljust(w))
            view = view.rename(columns={col: col.ljust(width)})
        lines.append(view.to_string(index=False))
    if summary.unassigned_runs:
        lines.append(
            f"{summary.unassigned_km:.1f} km unassigned ({summary.unassigned_runs} runs with no shoe):"
            " hiprisk shoes assign SHOE ID... or --from DATE --until DATE"
        )
    if summary.km_8wk > 0:
        n = len(summary.in_rotation)
        pairs = f"{n} pair{'s' if n != 1 else ''}" + (f" ({', '.join(summary.in_rotation)})" if n else "")
        lines.append(
            f"rotation: {pairs} carried at least {gear.ROTATION_MIN_SHARE_PCT:.0f}% of the last"
            f" {summary.weeks} weeks' {summary.km_8wk:.1f} km; running in more than one pair in parallel"
            " was linked with fewer injuries (HR 0.614, Malisoux 2015)"
        )
    else:
        lines.append(f"rotation: no runs in the last {summary.weeks} weeks")
    for name, km in summary.trail_in_road.items():
        lines.append(
            f"trail in road shoes: {km:.1f} km on trails in {name!r} in the last {summary.weeks} weeks"
        )
    return "\n".join(lines)


def _default_label(is_default: bool, default_for) -> str:
    labels = (["all runs"] if is_default else []) + ([f"{default_for} runs"] if default_for else [])
    return ", ".join(labels) or "-"


@shoes_group.command("assign")
@click.argument("shoe")
@click.argument("activity_ids", nargs=-1)
@click.option("--from", "since", type=DAY, help="First local day of a range of runs (YYYY-MM-DD).")
@click.option("--until", type=DAY, help="Last local day of a range of runs (YYYY-MM-DD).")
def assign_cmd(shoe, activity_ids, since, until) -> None:
    """Put a shoe on activities (ids or unique prefixes) or on every run in a date range.

    All or nothing: one unknown id and nothing changes.

    Example: hiprisk shoes assign "Pegasus 40" --from 2026-01-01 --until 2026-01-31
    """
    if activity_ids and (since or until):
        raise click.UsageError("give activity ids or --from/--until, not both")
    if not activity_ids and not (since or until):
        raise click.UsageError("give activity ids, or --from/--until for a date range")
    done = gear.assign_shoe(shoe, activity_ids, since=since, until=until)
    if not activity_ids and not done.activity_ids:
        click.echo(f"no runs {_range_text(since, until)}: nothing assigned")
        return
    n = len(done.activity_ids)
    what = "activity" if n == 1 else "activities"
    text = f"assigned {done.shoe!r} to {n} {what}"
    if not activity_ids:
        text = f"assigned {done.shoe!r} to {n} run{'s' if n != 1 else ''} {_range_text(since, until)}"
    if done.moved:
        text += " (moved from " + ", ".join(f"{k!r}: {v}" for k, v in done.moved.items()) + ")"
    click.echo(text)
    if done.after_retirement:
        click.echo(
            f"note: {done.shoe!r} was retired on {done.retired_on}; {done.after_retirement} of these"
            " activities are from that day on"
        )
    if done.not_running:
        click.echo(
            f"note: {done.not_running} of them are not runs: their km do not count toward shoe mileage"
        )


def _range_text(since, until) -> str:
    if since and until:
        return f"from {since:%Y-%m-%d} to {until:%Y-%m-%d}"
    return f"from {since:%Y-%m-%d} on" if since else f"up to {until:%Y-%m-%d}"


@shoes_group.command("default")
@click.argument("shoe")
@click.option(
    "--for", "sub_sport", type=click.Choice(RUNNING_SUB_SPORTS), help="Default only for this kind of run."
)
def default_cmd(shoe, sub_sport) -> None:
    """Make a shoe the default for new runs, or for one kind of run (e.g. trail).

    A per-kind default wins over the general one: trail runs get the trail default.

    Example: hiprisk shoes default "Speedgoat 5" --for trail
    """
    stored, prev = gear.set_default(shoe, sub_sport)
    scope = f"{sub_sport} runs" if sub_sport else "new runs"
    click.echo(f"{stored!r} is now the default shoe for {scope}" + (f" (was {prev!r})" if prev else ""))


@shoes_group.command("retire")
@click.argument("shoe")
@click.option("--on", "on", type=DAY, help="Retirement day (YYYY-MM-DD, default today).")
@click.option("--undo", is_flag=True, help="Put a retired shoe back in use.")
def retire_cmd(shoe, on, undo) -> None:
    """Retire a shoe: from the retirement day on, new runs no longer get it automatically.

    Runs already assigned keep it; its km stay in the list.

    Example: hiprisk shoes retire "Pegasus 40" --on 2026-03-01
    """
    if undo and on is not None:
        raise click.UsageError("--undo takes no --on")
    done = gear.retire_shoe(shoe, on, undo=undo)
    if undo:
        click.echo(f"{done.shoe!r} is back in use")
        return
    click.echo(f"retired {done.shoe!r} from {done.day}: new runs from that day on no longer get it")
    if done.was_default:
        click.echo('note: it was a default shoe; set another with: hiprisk shoes default "NAME"')


@shoes_group.command("rename")
@click.argument("old")
@click.argument("new")
def rename_cmd(old, new) -> None:
    """Rename a shoe (its runs stay on it).

    Example: hiprisk shoes rename "pegasus 40" "Nike Pegasus 40"
    """
    was, now = gear.rename_shoe(old, new)
    click.echo(f"renamed {was!r} to {now!r}")


COMMANDS = [shoes_group]
