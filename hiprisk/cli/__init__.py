"""The ``hiprisk`` command: thin click commands over the library API, one module per command family.

Every command opens the data folder (``HIPRISK_HOME``), calls one library function and formats the result.
Library errors (:class:`hiprisk.errors.HipriskError`) and operating-system errors naming a file (a report
written to a read-only folder) become a one-line ``error: …`` and exit status 2; anything else is a bug of
ours: one line saying so, exit status 3. ``--debug`` shows the traceback instead. Ctrl-C exits with 130 and
leaves the store consistent; a closed output pipe (``hiprisk log | head``) is left to click, which ends the
command quietly.
"""

from __future__ import annotations

import click

from ..errors import HipriskError
from ._lazy import LazyGroup


class UserError(click.ClickException):
    """A library error shown as one line, exit status 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class InternalError(UserError):
    """An exception hiprisk did not expect: a bug, shown as one line, exit status 3."""

    exit_code = 3


class HipriskGroup(LazyGroup):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise
        except KeyboardInterrupt:
            click.echo("\ninterrupted: the store is consistent; run the command again to finish", err=True)
            ctx.exit(130)
        except Exception as exc:
            if _debug(ctx):
                raise
            raise _one_line(exc) from exc

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        # a command's module is imported here, before invoke() (and for --help): the same one line
        try:
            return super().get_command(ctx, cmd_name)
        except Exception as exc:
            if _debug(ctx):
                raise
            raise _one_line(exc) from exc


def _debug(ctx: click.Context) -> bool:
    """Was ``--debug`` given? (``ctx.params`` holds it before the group's callback has run.)"""
    return bool(ctx.params.get("debug") or (ctx.obj or {}).get("debug"))


def _one_line(exc: Exception) -> UserError:
    """The one line a user sees for ``exc`` (without ``--debug``)."""
    if isinstance(exc, HipriskError):
        return UserError(str(exc))
    if isinstance(exc, OSError) and exc.filename is not None:
        return UserError(f"{exc.filename}: {exc.strerror or exc}")
    first = (f"{type(exc).__name__}: {exc}" if str(exc).strip() else type(exc).__name__).splitlines()[0]
    return InternalError(
        f"internal error ({first}); this is a bug in hiprisk: please report it with the output of"
        " the same command run with --debug"
    )


@click.group(cls=HipriskGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(package_name="hiprisk")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """hiprisk: training-load injury-risk monitor for runners.

    Imports watch files into a local training log, flags the training patterns the running-injury
    literature links to injury, and reports them. It never diagnoses. The data folder is $HIPRISK_HOME
    (default: the platform's user data dir).

    Example: hiprisk import ~/Downloads/export_12345678.zip
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


#: Every command: name → "module:attribute", imported when the command runs (see ._lazy), so that
#: ``hiprisk check`` loads neither the gear, config nor warnings commands (``hiprisk --help`` lists, so
#: imports, them all).
COMMANDS = {
    "import": "hiprisk.cli.activities:import_cmd",
    "log": "hiprisk.cli.activities:log_cmd",
    "files": "hiprisk.cli.activities:files_cmd",
    "shoes": "hiprisk.cli.gear:shoes_group",
    "config": "hiprisk.cli.settings:config_group",
    "warnings": "hiprisk.cli.risk:warnings_cmd",
    "check": "hiprisk.cli.report:check_cmd",
    "report": "hiprisk.cli.report:report_cmd",
}
cli.lazy_commands = COMMANDS


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="hiprisk")
