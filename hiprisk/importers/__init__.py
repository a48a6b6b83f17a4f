"""Decoders: one module per format, each returning :class:`~hiprisk.importers.base.ParsedActivity` objects.

``decode(data, fmt, name)`` dispatches on the format; ``sources.iter_sources`` finds files in folders and
export archives. Everything above this package sees only our own types.
"""

from __future__ import annotations

from ..errors import UnsupportedFileError
from .base import FORMATS, ParsedActivity, SourceFile, SourceMeta

__all__ = ["FORMATS", "ParsedActivity", "SourceFile", "SourceMeta", "decode"]


def decode(data: bytes, fmt: str, name: str = "<bytes>") -> list[ParsedActivity]:
    """Decode one file's bytes (already decompressed) of format ``fmt`` ("fit", "gpx" or "tcx")."""
    if fmt == "fit":
        from .fit import parse_fit

        return parse_fit(data, name)
    if fmt == "gpx":
        from .gpx import parse_gpx

        return parse_gpx(data, name)
    if fmt == "tcx":
        from .tcx import parse_tcx

        return parse_tcx(data, name)
    raise UnsupportedFileError(name, f"unsupported format {fmt!r}")
