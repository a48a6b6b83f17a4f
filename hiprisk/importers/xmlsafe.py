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
* a document's *shape* is bounded too, because a small file (a few kB of gzip) can still cost a lot
  of memory. Refused with :class:`~hiprisk.errors.UnsafeInputError`: elements nested deeper than
  :data:`MAX_XML_DEPTH` (an open element stays in memory until it ends); more than
  :data:`MAX_XML_NAMES` distinct element and attribute names (expat and ElementTree keep each until
  the document ends); more than :data:`MAX_XML_ATTRIBUTES` attributes on one element; a start tag,
  comment or processing instruction longer than :data:`MAX_XML_TOKEN_BYTES` (expat holds one whole
  before any event, so it is refused while still being read, from ``CurrentByteIndex``);
* a streaming reader says what it will read through :func:`iterparse`'s ``role`` hook: the
  *records* (a track point, a lap, an activity) are reported at their end and removed once read,
  the *fields* a record reads are kept until then, and every other element is removed as soon as
  it ends. At most :data:`MAX_XML_KEPT` fields wait at once (real files: 19), so a record that
  repeats a field 50,000 times is refused rather than held. The decoders count records with
  nothing usable (no time) instead of storing them.

Measured peak memory per document byte (``tests/hardening/test_xml_attacks.py``): real files 1–3.3;
floods of unread elements (100,000 ``<a/>``, or nested) about 2; floods of the elements the decoders
read (``<time/>`` or ``<hr/>`` in one point, empty ``<trkpt/>``, ``<Lap/>``, ``<Trackpoint/>``,
``<Notes/>``, ``<trk/>``) at most 3, where they were 10–63; attribute floods under 1, where they were
13–29. Floods of minimal *valid* records (50,000 48-byte ``<trkpt><time>…</time></trkpt>``, each
with its own time) are activities, read at up to 4 (9.4 when the points of a segment waited as Python
strings): the decoders convert timed points to numeric columns in batches as they stream
(:class:`hiprisk.importers.gpx.PointColumns`), and what remains is the sample frame itself.

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

import collections
import contextlib
import enum
import functools
import sys
from collections.abc import Callable, Container, Hashable, Iterator
from pathlib import Path
from typing import TypeVar
from xml.etree.ElementTree import Element, ParseError
from xml.etree.ElementTree import TreeBuilder as _TreeBuilder

import defusedxml.ElementTree as _det
from defusedxml.common import (
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)

from hiprisk.errors import FileFormatError, HipriskError, UnsafeInputError
from hiprisk.importers.sources import gunzip_if_needed

#: Largest XML document read, in bytes after decompression [B]. An activity lasts at most 24 h (the
#: sanity check rejects longer ones), and the fattest real track point in the corpus is 706 B (a TCX
#: with position, altitude, distance, heart rate and speed, pretty-printed). 128 MiB / 86,400 s is
#: 1,553 B per second: a 24 h recording at 1 Hz with points twice that size, or 13 days of 1 Hz
#: points at the 115 B of a Strava GPX (a multi-day device dump). The longest corpus file, a 16 h
#: ultra at 1 s, is 2.3 MB.
MAX_XML_BYTES: int = 128 * 1024 * 1024
#: Deepest element nesting read [levels]. Real files nest 3–10 levels (the corpus: GPX at most 7,
#: TCX at most 10, a multi-sport session); every open element stays in memory until it ends.
MAX_XML_DEPTH: int = 100
#: Most distinct names (element names with their namespace, and attribute names) in one document.
#: Real files use 3–47 (at most 43 element names, the rest attribute names: the corpus); expat
#: and ElementTree keep every distinct name until the end, about 200 B each.
MAX_XML_NAMES: int = 1000
#: Most attributes on one element. Real files use at most 4 (a root's ``version``, ``creator`` and
#: schema location; namespace declarations are not attributes); ElementTree builds a dict of them
#: for every element, about 100 B per attribute.
MAX_XML_ATTRIBUTES: int = 64
#: Longest piece of markup (a start tag with its attributes, a comment, a processing instruction)
#: [B]. expat holds one whole before any event can look at it, and ElementTree then builds its
#: attributes: a 540 kB start tag with 50,000 attributes cost 29× its size. Real files' longest
#: tag is 951 B (the corpus); text and CDATA are streamed and are not bounded by this.
MAX_XML_TOKEN_BYTES: int = 64 * 1024
#: Most elements a streaming reader's ``role`` keeps in the tree at once, besides the open ones.
#: Readers keep only the fields of the record being read (a track point's time, a lap's totals)
#: and drop each record once read: real files keep at most 19 (the corpus). Without this bound
#: 50,000 ``<time/>`` in one track point were all kept, 12× the document.
MAX_XML_KEPT: int = 1000

GZIP_MAGIC = b"\x1f\x8b"
#: Bytes fed to the parser at a time, as ElementTree's ``iterparse`` does.
_CHUNK_BYTES = 16 * 1024


class Keep(enum.Enum):
    """What :func:`iterparse` does with an element once the caller has handled its ``end`` event."""

    DROP = "drop"  #: removed from its parent: nothing reads it later
    KEEP = "keep"  #: left in the tree for an ancestor's reader
    IF_CHILDREN = "if children"  #: kept only when something inside it was kept (a wrapper)
    READ = "read"  #: a record: its end event is reported (whatever ``tags`` says), then it is removed


DROP, KEEP, IF_CHILDREN, READ = Keep.DROP, Keep.KEEP, Keep.IF_CHILDREN, Keep.READ

#: ``role(parent_context, local_name) -> (Keep, context)``: see :func:`iterparse`.
Role = Callable[[Hashable, str], tuple[Keep, Hashable]]

__all__ = [
    "DROP",
    "IF_CHILDREN",
    "KEEP",
    "MAX_XML_ATTRIBUTES",
    "MAX_XML_BYTES",
    "MAX_XML_DEPTH",
    "MAX_XML_KEPT",
    "MAX_XML_NAMES",
    "MAX_XML_TOKEN_BYTES",
    "READ",
    "Keep",
    "LocalNames",
    "Role",
    "decode_typed",
    "iterparse",
    "local_name",
    "parse",
    "read_xml_file",
    "xml_bytes",
]


def _too_large_reason(what: str) -> str:
    return f"unsafe XML: {what} larger than {MAX_XML_BYTES / (1024 * 1024):g} MiB"


def _too_large(name: str | None, what: str) -> UnsafeInputError:
    return UnsafeInputError(name, _too_large_reason(what))


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
        too_large = _too_large_reason("decompressed document")
        return gunzip_if_needed(data, name, MAX_XML_BYTES, corrupt="not valid gzip", too_large=too_large)
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


class LocalNames(dict):
    """``names[tag]`` is :func:`local_name` of ``tag``, computed once per distinct tag.

    A reader makes one per document and looks up every element it reads: a dict lookup, where
    even the cached :func:`local_name` is a function call, and the decoders look up several
    elements per track point. A document has at most :data:`MAX_XML_NAMES` distinct names, so it
    never holds more than that.
    """

    __slots__ = ()

    def __missing__(self, tag: str) -> str:
        name = self[tag] = local_name(tag)
        return name


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

    Whatever ``events`` asks for (``start`` events are read internally), these are refused:
    nesting deeper than :data:`MAX_XML_DEPTH`, more than :data:`MAX_XML_NAMES` distinct element
    and attribute names, more than :data:`MAX_XML_ATTRIBUTES` attributes on one element, and a
    start tag, comment or processing instruction longer than :data:`MAX_XML_TOKEN_BYTES` (refused
    while it is still being read). Without ``role`` the whole tree is built, as ElementTree's
    ``iterparse`` does (the caller may ``clear()`` elements it has consumed); only the document
    size bounds it.

    With ``role``, the caller declares what it will read and the rest is freed as the document
    streams: ``role(parent_context, local_name)`` gives each element a :class:`Keep` and a context
    passed on to its children (the root's parent context is ``None``). Once the caller has handled
    an element's ``end`` event (when it asks for the next event), a :data:`DROP` or :data:`READ`
    element is removed from its parent, an :data:`IF_CHILDREN` element too unless it still has
    children, and a :data:`KEEP` element stays for an ancestor's reader, but no more than
    :data:`MAX_XML_KEPT` elements stay at once. The root is never removed. ``role`` must be a pure
    function: its answer is cached per (context, tag).

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
        Report only the events of elements with these local names, of :data:`READ` elements and of
        the root (all when ``None``); the others are still parsed, bounded and pruned.

    Raises
    ------
    UnsafeInputError
        DTD, entity declaration, external reference, or a document over one of the bounds above
        or :data:`MAX_XML_BYTES`.
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
    max_depth, max_attributes = MAX_XML_DEPTH, MAX_XML_ATTRIBUTES
    max_kept = MAX_XML_KEPT if role is not None else sys.maxsize
    seen, new_name = fates.seen, fates.new_name
    # The open elements (root first), their fates (after the document's), how many children each
    # has kept so far, and how many kept elements each holds in all: the parser builds the tree up
    # to a chunk ahead of the events read, so an element that just ended is not its parent's last
    # child but the one after the kept ones.
    open_: list[Element] = []
    stack: list[_Fate] = [fates.document]
    kept: list[int] = []
    below: list[int] = []
    n_kept = 0  # elements kept in the tree that have ended
    push, pop, push_fate, pop_fate = open_.append, open_.pop, stack.append, stack.pop
    push_kept, pop_kept, push_below, pop_below = kept.append, kept.pop, below.append, below.pop
    parser = _det.DefusedXMLParser(
        target=_TreeBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    # ElementTree's iterparse without its two generator layers per event (a tenth of the time):
    # the parser appends (event, element) to ``queue`` as it builds the tree, the queue is drained
    # after each chunk fed, and a syntax error is raised once the events before it are handled, as
    # iterparse does. ``_setevents`` is how iterparse's own XMLPullParser asks for the events.
    queue: collections.deque[tuple[str, Element]] = collections.deque()
    parser._setevents(queue, ("start", "end"))
    next_event = queue.popleft
    source = _Source(doc, parser, name)
    try:
        while source is not None:
            error = None
            chunk = source.read(_CHUNK_BYTES)
            if chunk:
                try:
                    parser.feed(chunk)
                except SyntaxError as exc:  # expat's ParseError
                    error = exc
            else:
                parser.close()
                source = None
            while queue:
                event, elem = next_event()
                if event == "start":
                    if len(open_) >= max_depth:
                        raise UnsafeInputError(name, f"unsafe XML: nesting deeper than {max_depth} levels")
                    attrib = elem.attrib
                    if attrib:
                        if len(attrib) > max_attributes:
                            reason = f"more than {max_attributes} attributes on one element"
                            raise UnsafeInputError(name, f"unsafe XML: {reason}")
                        for key in attrib:
                            if key not in seen:
                                new_name(key)
                    fate = stack[-1]
                    fate = fate[1].get(elem.tag) or fates.new(fate, elem.tag)
                    push_fate(fate)
                    push(elem)
                    push_kept(0)
                    push_below(0)
                    if want_start and fate[3]:
                        yield event, elem
                else:
                    keep, _, _, report = pop_fate()
                    pop()
                    pop_kept()
                    n_below = pop_below()
                    if want_end and report:
                        yield event, elem
                    if not open_:
                        continue
                    if keep is KEEP or (keep is IF_CHILDREN and len(elem)):
                        kept[-1] += 1
                        below[-1] += n_below + 1
                        n_kept += 1
                        if n_kept > max_kept:
                            reason = f"more than {max_kept} elements held for reading at once"
                            raise UnsafeInputError(name, f"unsafe XML: {reason}")
                        continue
                    n_kept -= n_below
                    parent, i = open_[-1], kept[-1]
                    if i < len(parent) and parent[i] is elem:
                        del parent[i]
                    else:  # the caller re-arranged the tree
                        _remove(parent, elem)
            if error is not None:
                raise error
    except HipriskError:
        raise
    except Exception as exc:  # every parser failure becomes one of ours
        raise _convert(exc, name) from exc


class _Source:
    """The document as a file for the parser, refusing markup that grows past the token bound.

    ElementTree's ``iterparse`` reads up to 16 kB at a time and feeds expat. ``CurrentByteIndex``
    is where expat stopped: the start of the token it holds until its end arrives (a start tag with
    its attributes, a comment, a processing instruction; text is passed on as it comes). Each read
    feeds at most up to :data:`MAX_XML_TOKEN_BYTES` bytes from there: a token still unfinished
    then is longer than the bound and is refused at the next read, exactly, before expat's buffer
    grows further or ElementTree builds anything from it.
    """

    def __init__(self, doc: bytes, parser, name: str | None):
        self.doc = memoryview(doc)
        self.expat = parser.parser
        self.name = name
        self.fed = 0

    def read(self, size: int) -> bytes:
        room = max(self.expat.CurrentByteIndex, 0) + MAX_XML_TOKEN_BYTES - self.fed
        if room <= 0:
            reason = f"a tag, comment or processing instruction longer than {MAX_XML_TOKEN_BYTES} bytes"
            raise UnsafeInputError(self.name, f"unsafe XML: {reason}")
        chunk = self.doc[self.fed : self.fed + min(size, room)]
        self.fed += len(chunk)
        return bytes(chunk)


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

    def new_name(self, name: str) -> None:
        """Count a distinct element or attribute name met for the first time."""
        if len(self.seen) >= MAX_XML_NAMES:
            reason = f"more than {MAX_XML_NAMES} distinct element and attribute names"
            raise UnsafeInputError(self.name, f"unsafe XML: {reason}")
        self.seen.add(name)

    def new(self, parent: _Fate, tag: str) -> _Fate:
        """The fate of ``tag`` under ``parent``, first met: ask ``role`` and remember the answer."""
        if tag not in self.seen:
            self.new_name(tag)
        local = local_name(tag)
        keep, context = self.role(parent[2], local)
        report = self.tags is None or local in self.tags or parent is self.document or keep is READ
        children = self.by_context.setdefault(context, {})
        fate = parent[1][tag] = (keep, children, context, report)
        return fate


def _remove(parent: Element, child: Element) -> None:
    """Remove ``child`` from ``parent`` if it is still there."""
    with contextlib.suppress(ValueError):
        parent.remove(child)


def parse(data: bytes, name: str | None = None) -> Element:
    """Parse untrusted XML bytes into an element tree (root element) through defusedxml.

    Same screening, bounds and errors as :func:`iterparse` without ``role``: the whole tree is
    built, so use it for small documents (tests, settings), never for an activity file.
    """
    root = None
    for _, elem in iterparse(data, name):
        root = elem
    if root is None:  # pragma: no cover - expat reports "no element found" first
        raise FileFormatError(name, "not valid XML: no element found")
    return root


_T = TypeVar("_T")


def decode_typed(fmt: str, decode: Callable[[bytes, str], _T], data: bytes, name: str) -> _T:
    """``decode(data, name)``, with any exception that is not a :class:`HipriskError` turned into one.

    The GPX and TCX decoders' last line of defence: a decoder bug or a document shape nobody
    foresaw is still a one-line :class:`~hiprisk.errors.FileFormatError` naming the file
    (``"unreadable GPX: KeyError: 'x'"``), the original kept as its cause.
    """
    try:
        return decode(data, name)
    except HipriskError:
        raise
    except Exception as exc:  # never let a parser's own exception escape
        message = " ".join(str(exc).split())
        raise FileFormatError(name, f"unreadable {fmt}: {type(exc).__name__}: {message}") from exc
