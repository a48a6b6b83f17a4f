"""Typed exceptions: every failure a user can meet is a :class:`HipriskError`.

The CLI turns these into one-line messages (``file: reason``) and exit status 2 (or 1 for a batch with
failed files); a traceback is shown only with ``--debug``.
"""

from __future__ import annotations

from pathlib import Path


class HipriskError(Exception):
    """Base class of every error hiprisk raises on purpose."""


class FileFormatError(HipriskError):
    """A file that cannot be read as an activity.

    Parameters
    ----------
    path : str or Path
        The file (or ``archive.zip!member`` for a file inside an archive).
    reason : str
        One line saying what is wrong ("truncated", "bad CRC", "no track points", ...).
    offset : int, optional
        Byte offset of the damage, when known.
    """

    def __init__(self, path: str | Path | None, reason: str, offset: int | None = None):
        self.path = str(path) if path is not None else None
        self.reason = reason
        self.offset = offset
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = f" (at byte {self.offset})" if self.offset is not None else ""
        if self.path:
            return f"{self.path}: {self.reason}{where}"
        return f"{self.reason}{where}"

    def __reduce__(self):  # picklable across process pools
        return (type(self), (self.path, self.reason, self.offset))


class UnsupportedFileError(FileFormatError):
    """A file that is not an activity hiprisk reads (unknown extension, settings or monitoring file)."""


class NotAnActivityError(UnsupportedFileError):
    """A well-formed file that holds no activity (a FIT settings file, a GPX with no track points)."""


class UnsafeInputError(FileFormatError):
    """Input refused for safety: XML entities or DTDs, zip-slip paths, archive bombs."""


class StoreError(HipriskError):
    """The data folder or its database cannot be used."""


class ConfigError(HipriskError):
    """``hiprisk.toml`` or an option has an invalid value."""


class NotFoundError(HipriskError):
    """An activity id, shoe or week that does not exist; ``suggestion`` names the closest match."""

    def __init__(self, what: str, name: str, suggestion: str | None = None):
        self.what = what
        self.name = name
        self.suggestion = suggestion
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        super().__init__(f"unknown {what} {name!r}{hint}")

    def __reduce__(self):
        return (type(self), (self.what, self.name, self.suggestion))
