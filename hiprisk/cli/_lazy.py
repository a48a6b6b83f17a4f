"""A click group that imports a command's module only when that command runs (or help lists it).

``hiprisk check`` must feel instant: importing every command family up front would load the import
machinery for ``hiprisk warnings``, the rules for ``hiprisk --version``, and so on. Click documents this
pattern ("lazily loading subcommands"): the group knows the command names and where they live, and
imports the module in ``get_command``.
"""

from __future__ import annotations

import importlib

import click


class LazyGroup(click.Group):
    """A :class:`click.Group` whose ``lazy_commands`` (name → ``"module:attribute"``) load on first use."""

    lazy_commands: dict[str, str] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            module_name, attr = self.lazy_commands[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attr)
            if command.name != cmd_name:  # a renamed command would otherwise vanish silently
                raise RuntimeError(f"{module_name}:{attr} is the command {command.name!r}, not {cmd_name!r}")
            self.add_command(command)
        return super().get_command(ctx, cmd_name)
