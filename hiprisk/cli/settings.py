"""``hiprisk config``: the effective configuration."""

from __future__ import annotations

import json

import click

from ..config import CONFIG_NAME, data_home, load_config


@click.group("config")
def config_group() -> None:
    """Show the configuration (athlete profile and rule settings).

    Example: hiprisk config show
    """


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
def config_show(as_json: bool) -> None:
    """Print the effective settings: the athlete profile and every rule's thresholds.

    Example: hiprisk config show --json
    """
    home = data_home()
    config = load_config(home)
    effective = config.to_dict()
    try:
        from ..rules import effective_settings

        effective["rules"] = effective_settings(config)
    except ImportError:
        pass
    if as_json:
        click.echo(json.dumps(effective, indent=2, default=str))
        return
    click.echo(f"# data folder: {home}\n# file: {home / CONFIG_NAME}")
    click.echo("[athlete]")
    for key, value in effective["athlete"].items():
        click.echo(f"{key} = {value!r}")
    for rule, values in effective["rules"].items():
        click.echo(f"\n[rules.{rule}]")
        for key, value in values.items():
            click.echo(f"{key} = {value!r}")


COMMANDS = [config_group]
