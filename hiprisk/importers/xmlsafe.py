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
* malformed XML becomes :class:`~hiprisk.errors.FileFormatError` ``"not valid XML: <expat message>"``;
* a document's *shape* is bounded too, because a small file can still cost a lot of memory: elements
  nested deeper than :data:`MAX_XML_DEPTH`, or more than :data:`MAX_XML_NAMES` distinct element
  names, are refused with :class:`~hiprisk.errors.UnsafeInputError` (an open element stays in
  memory until it ends, a distinct name in expat's and ElementTree's tables until the document does);
* a streaming reader says what it will read through :func:`iterparse`'s ``role`` hook, and every
  other element is removed from the tree as soon as it ends. Before this, 100,000 empty ``<a/>``
  inside a ``<trkseg>`` (400 kB, 0.5 kB gzipped) held 20× their size in memory, 100,000 nested
  ``<a>`` 38×, where real files need 3–6× (``tests/hardening/test_xml_attacks.py``).

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

import contextlib
import enum
import functools
import gzip
import io
import zlib
from collections.abc import Callable, Container, Hashable, Iterator
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
#: Deepest element nesting read [levels]. Real files nest 3–10 levels (the corpus: GPX at most 7,
#: TCX at most 10, a multi-sport session); every open element stays in memory until it ends.
MAX_XML_DEPTH: int = 100
#: Most distinct element names (namespace and local name) in one document. Real files use 3–43
#: (the corpus); expat and ElementTree keep every distinct name until the end, about 200 B each.
MAX_XML_NAMES: int = 1000

GZIP_MAGIC = b"\x1f\x8b"


class Keep(enum.Enum):
    """What :func:`iterparse` does with an element once the caller has handled its ``end`` event."""

    DROP = "drop"  #: removed from its parent: nothing reads it later
    KEEP = "keep"  #: left in the tree for an ancestor's reader
    IF_CHILDREN = "if children"  #: kept only when something inside it was kept (a wrapper)


DROP, KEEP, IF_CHILDREN = Keep.DROP, Keep.KEEP, Keep.IF_CHILDREN

#: ``role(parent_context, local_name) -> (Keep, context)``: see :func:`iterparse`.
Role = Callable[[Hashable, str], tuple[Keep, Hashable]]

__all__ = [
    "DROP",
    "IF_CHILDREN",
    "KEEP",
    "MAX_XML_BYTES",
    "MAX_XML_DEPTH",
    "MAX_XML_NAMES",
    "Keep",
    "Role",
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


@functools.lru_cache(maxsize=4096)  # the readers ask for every element: 4× faster cached
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
    data: bytes,
    name: str | None = None,
    events: tuple[str, ...] = ("end",),
    role: Role | None = None,
    tags: Container[str] | None = None,
) -> Iterator[tuple[str, Element]]:
    """Stream ``(event, element)`` pairs from untrusted XML bytes through defusedxml.

    Nesting deeper than :data:`MAX_XML_DEPTH` or more than :data:`MAX_XML_NAMES` distinct element
    names are refused whatever ``events`` asks for (depth is tracked from ``start`` events read
    internally). Without ``role`` the whole tree is built, as ElementTree's ``iterparse`` does; the
    caller may ``clear()`` elements it has consumed.

    With ``role``, the caller declares what it will read and the rest is freed as the document
    streams: ``role(parent_context, local_name)`` gives each element a :class:`Keep` and a context
    passed on to its children (the root's parent context is ``None``). Once the caller has handled
    an element's ``end`` event (when it asks for the next event), a :data:`DROP` element is removed
    from its parent, an :data:`IF_CHILDREN` element too unless it still has children, and a
    :data:`KEEP` element stays for an ancestor's reader. The root is never removed. ``role`` must be
    a pure function: its answer is cached per (context, tag).

    Parameters
    ----------
    data : bytes
        The document, plain or gzip-compressed.
    name : str, optional
        The file name for error messages.
    events : tuple of str
        ``"start"`` and/or ``"end"``.
    role : callable, optional
        ``(parent_context, local_name) -> (Keep, context)``, see above.
    tags : container of str, optional
        Report only the events of elements with these local names, and the root's (all when
        ``None``); the others are still parsed, bounded and pruned.

    Raises
    ------
    UnsafeInputError
        DTD, entity declaration, external reference, a document over :data:`MAX_XML_BYTES`,
        nesting deeper than :data:`MAX_XML_DEPTH` or over :data:`MAX_XML_NAMES` element names.
    FileFormatError
        Not well-formed XML (with expat's message and line/column) or broken gzip.
    ValueError
        ``events`` asks for something other than ``"start"`` and ``"end"``.
    """
    if not set(events) <= {"start", "end"}:
        raise ValueError(f"events must be 'start' and/or 'end', got {events!r}")
    doc = _lenient_start(xml_bytes(data, name))
    want_start, want_end = "start" in events, "end" in events
    fates = _Fates(role or _keep_all, tags, name)
    max_depth = MAX_XML_DEPTH
    # The open elements (root first), their fates (after the document's), and how many children
    # each has kept so far: the parser builds the tree up to a chunk ahead of the events read, so
    # an element that just ended is not its parent's last child but the one after the kept ones.
    open_: list[Element] = []
    stack: list[_Fate] = [fates.document]
    kept: list[int] = []
    push, pop, push_fate, pop_fate = open_.append, open_.pop, stack.append, stack.pop
    push_kept, pop_kept = kept.append, kept.pop
    try:
        for event, elem in _det.iterparse(
            io.BytesIO(doc),
            events=("start", "end"),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        ):
            if event == "start":
                if len(open_) >= max_depth:
                    raise UnsafeInputError(name, f"unsafe XML: nesting deeper than {max_depth} levels")
                fate = stack[-1]
                fate = fate[1].get(elem.tag) or fates.new(fate, elem.tag)
                push_fate(fate)
                push(elem)
                push_kept(0)
                if want_start and fate[3]:
                    yield event, elem
            else:
                keep, _, _, report = pop_fate()
                pop()
                pop_kept()
                if want_end and report:
                    yield event, elem
                if not open_:
                    continue
                if keep is KEEP or (keep is IF_CHILDREN and len(elem)):
                    kept[-1] += 1
                    continue
                parent, i = open_[-1], kept[-1]
                if i < len(parent) and parent[i] is elem:
                    del parent[i]
                else:  # the caller re-arranged the tree
                    _remove(parent, elem)
    except HipriskError:
        raise
    except Exception as exc:  # every parser failure becomes one of ours
        raise _convert(exc, name) from exc


#: What happens to an element: (Keep, its children's fates by tag, its children's context, whether
#: its events are reported).
_Fate = tuple[Keep, dict[str, "_Fate"], Hashable, bool]


def _keep_all(context: Hashable, tag: str) -> tuple[Keep, Hashable]:
    return KEEP, None


class _Fates:
    """The ``role`` answers of one parse, cached per (context, tag), and the distinct-name bound."""

    def __init__(self, role: Role, tags: Container[str] | None, name: str | None):
        self.role = role
        self.tags = tags
        self.name = name
        self.by_context: dict[Hashable, dict[str, _Fate]] = {}
        self.seen: set[str] = set()
        # The document's own entry, under the open elements: its only child, the root, gets the
        # parent context None and is always reported
        self.document: _Fate = (KEEP, {}, None, True)

    def new(self, parent: _Fate, tag: str) -> _Fate:
        """The fate of ``tag`` under ``parent``, first met: ask ``role`` and remember the answer."""
        if tag not in self.seen:
            if len(self.seen) >= MAX_XML_NAMES:
                raise UnsafeInputError(
                    self.name, f"unsafe XML: more than {MAX_XML_NAMES} distinct element names"
                )
            self.seen.add(tag)
        local = local_name(tag)
        keep, context = self.role(parent[2], local)
        report = self.tags is None or local in self.tags or parent is self.document
        children = self.by_context.setdefault(context, {})
        fate = parent[1][tag] = (keep, children, context, report)
        return fate


def _remove(parent: Element, child: Element) -> None:
    """Remove ``child`` from ``parent`` if it is still there."""
    with contextlib.suppress(ValueError):
        parent.remove(child)


def parse(data: bytes, name: str | None = None) -> Element:
    """Parse untrusted XML bytes into an element tree (root element) through defusedxml.

    Same screening, bounds and errors as :func:`iterparse`; use it for small documents.
    """
    root = None
    for _, elem in iterparse(data, name):
        root = elem
    if root is None:  # pragma: no cover - expat reports "no element found" first
        raise FileFormatError(name, "not valid XML: no element found")
    return root
