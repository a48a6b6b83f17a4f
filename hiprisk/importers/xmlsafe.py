"""The one place that reads untrusted XML: every GPX/TCX byte goes through defusedxml here first.

GPX and TCX files come from exports, e-mails and archives we did not make. XML can carry entity
expansion bombs ("billion laughs", quadratic blowup) and external entities that make a parser read a
local file or fetch a URL (XXE). gpxpy does no hardening of its own and, on an lxml 4.9 backend, put a
local file's content into a track name; defusedxml rejected every attack whatever XML library was
installed (``DECODERS.md``). So:

* any DTD (``<!DOCTYPE``), entity declaration or external reference is refused with
  :class:`~hiprisk.errors.UnsafeInputError` (defusedxml with ``forbid_dtd``, ``forbid_entities`` and
  ``forbid_external`` all true). Real GPX/TCX files never need a DTD; refusing the DOCTYPE stops every
  entity trick at its first line, before any expansion happens;
* documents larger than :data:`MAX_XML_BYTES` (after gzip decompression, which is bounded too) are
  refused with :class:`~hiprisk.errors.UnsafeInputError`;
* malformed XML becomes :class:`~hiprisk.errors.FileFormatError` ``"not valid XML: <expat message>"``.

Gzip is recognised by its magic bytes (``1f 8b``), never by the file name, in both
:func:`read_xml_file` and :func:`xml_bytes`, so ``parse_gpx`` / ``parse_tcx`` also accept the
``.gpx.gz`` / ``.tcx.gz`` members of a Strava bulk export as they are.

This is the only module that imports defusedxml.

References
----------
.. [1] defusedxml: https://github.com/tiran/defusedxml (attack classes and the expat handlers used)
.. [2] OWASP, "XML External Entity Prevention Cheat Sheet".
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as _det
from defusedxml.common import (
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)

from hiprisk.errors import FileFormatError, HipriskError, UnsafeInputError

#: Largest XML document read, in bytes after decompression [B]. The longest real GPX in the corpus
#: (a 16 h ultra at 1 s) is 2.3 MB; a week-long 1 Hz track with every extension stays well below this.
MAX_XML_BYTES: int = 200 * 1024 * 1024

GZIP_MAGIC = b"\x1f\x8b"

__all__ = [
    "MAX_XML_BYTES",
    "iterparse",
    "local_name",
    "parse",
    "read_xml_file",
    "xml_bytes",
]


def _too_large(name: str | None, what: str) -> UnsafeInputError:
    limit_mb = MAX_XML_BYTES / (1024 * 1024)
    return UnsafeInputError(name, f"unsafe XML: {what} larger than {limit_mb:g} MB")


def _gunzip(data: bytes, name: str | None) -> bytes:
    """Decompress gzip bytes, reading at most ``MAX_XML_BYTES + 1`` bytes (a gzip bomb stops early)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            out = fh.read(MAX_XML_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise FileFormatError(name, f"not valid gzip: {exc}") from exc
    if len(out) > MAX_XML_BYTES:
        raise _too_large(name, "decompressed document")
    return out


def xml_bytes(data: bytes, name: str | None = None) -> bytes:
    """Return the XML document in ``data``: gunzipped when it starts with the gzip magic, size-checked.

    Raises
    ------
    UnsafeInputError
        The document (after decompression) is larger than :data:`MAX_XML_BYTES`.
    FileFormatError
        ``data`` looks like gzip but cannot be decompressed.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if data[:2] == GZIP_MAGIC:
        return _gunzip(data, name)
    if len(data) > MAX_XML_BYTES:
        raise _too_large(name, "document")
    return data


def read_xml_file(path: str | Path) -> bytes:
    """Read a plain or gzip-compressed XML file (detected by magic bytes), bounded by the size limit.

    Raises
    ------
    FileFormatError
        The file cannot be read (missing, a directory, no permission) or is broken gzip.
    UnsafeInputError
        The document is larger than :data:`MAX_XML_BYTES` (compressed or not).
    """
    name = str(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_XML_BYTES + 1)
    except OSError as exc:
        raise FileFormatError(name, f"cannot read file: {exc.strerror or exc}") from exc
    if len(raw) > MAX_XML_BYTES:
        raise _too_large(name, "file")
    return xml_bytes(raw, name)


def local_name(tag: str) -> str:
    """The tag without its ``{namespace}`` (GPX 1.0/1.1 and Garmin's ``ns3:`` prefixes all match)."""
    return tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag


def _unsafe_reason(exc: DefusedXmlException) -> str:
    if isinstance(exc, DTDForbidden):
        return "DTD (DOCTYPE declaration) forbidden"
    if isinstance(exc, EntitiesForbidden):
        return f"entity declaration {getattr(exc, 'name', '')!r} forbidden"
    if isinstance(exc, ExternalReferenceForbidden):
        return "external entity reference forbidden"
    return type(exc).__name__  # pragma: no cover - defusedxml has no other parser-time exception


def _lenient_start(data: bytes) -> bytes:
    """Drop whitespace before the XML declaration (some exporters write a newline first)."""
    stripped = data.lstrip(b" \t\r\n")
    if stripped is not data and stripped.startswith(b"<?xml"):
        return stripped
    return data


def _convert(exc: Exception, name: str | None) -> HipriskError:
    if isinstance(exc, HipriskError):
        return exc
    if isinstance(exc, DefusedXmlException):
        return UnsafeInputError(name, f"unsafe XML: {_unsafe_reason(exc)}")
    if isinstance(exc, ParseError):
        return FileFormatError(name, f"not valid XML: {exc}")
    # expat can raise ValueError/LookupError (unknown encoding), UnicodeError, ...
    return FileFormatError(name, f"not valid XML: {type(exc).__name__}: {exc}")


def iterparse(
    data: bytes, name: str | None = None, events: tuple[str, ...] = ("end",)
) -> Iterator[tuple[str, Element]]:
    """Stream ``(event, element)`` pairs from untrusted XML bytes through defusedxml.

    The caller may ``clear()`` elements it has consumed to keep memory flat on long tracks.

    Parameters
    ----------
    data : bytes
        The document, plain or gzip-compressed.
    name : str, optional
        The file name for error messages.
    events : tuple of str
        ``"start"`` and/or ``"end"``.

    Raises
    ------
    UnsafeInputError
        DTD, entity declaration, external reference, or a document over :data:`MAX_XML_BYTES`.
    FileFormatError
        Not well-formed XML (with expat's message and line/column) or broken gzip.
    """
    doc = _lenient_start(xml_bytes(data, name))
    try:
        yield from _det.iterparse(
            io.BytesIO(doc),
            events=events,
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        )
    except Exception as exc:  # every parser failure becomes one of ours
        raise _convert(exc, name) from exc


def parse(data: bytes, name: str | None = None) -> Element:
    """Parse untrusted XML bytes into an element tree (root element) through defusedxml.

    Same screening and errors as :func:`iterparse`; use it for small documents.
    """
    doc = _lenient_start(xml_bytes(data, name))
    try:
        return _det.fromstring(doc, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except Exception as exc:
        raise _convert(exc, name) from exc
