"""Untrusted XML: entity bombs, XXE, DTDs, size bounds and malformed input, through every entry point."""

from __future__ import annotations

import gzip
import time

import pytest

from hiprisk.errors import FileFormatError, UnsafeInputError
from hiprisk.importers import xmlsafe
from hiprisk.importers.gpx import parse_gpx, read_gpx
from hiprisk.importers.tcx import parse_tcx, read_tcx

SECRET = "hiprisk-xxe-canary-7f3a9c"

GPX_BODY = (
    '<gpx xmlns="http://www.topografix.com/GPX/1/1" version="1.1" creator="t">'
    "<trk><name>{name}</name><trkseg>"
    '<trkpt lat="45.0" lon="14.0"><time>2020-01-01T10:00:00Z</time></trkpt>'
    '<trkpt lat="45.001" lon="14.0"><time>2020-01-01T10:01:00Z</time></trkpt>'
    "</trkseg></trk></gpx>"
)
TCX_BODY = (
    '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">'
    '<Activities><Activity Sport="Running"><Id>2020-01-01T10:00:00Z</Id>'
    '<Lap StartTime="2020-01-01T10:00:00Z"><TotalTimeSeconds>60</TotalTimeSeconds><Track>'
    "<Trackpoint><Time>2020-01-01T10:00:00Z</Time></Trackpoint></Track></Lap>"
    "<Notes>{name}</Notes></Activity></Activities></TrainingCenterDatabase>"
)


def _billion_laughs(root: str) -> str:
    ents = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    return f'<?xml version="1.0"?><!DOCTYPE {root} [{"".join(ents)}]>'


def _attacks(secret_file) -> dict[str, callable]:
    uri = secret_file.as_uri()
    big = "x" * 50_000
    return {
        "billion_laughs": lambda body, root: _billion_laughs(root) + body.format(name="&lol9;"),
        "quadratic_blowup": lambda body, root: (
            f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY a "{big}">]>' + body.format(name="&a;" * 2000)
        ),
        "xxe_file": lambda body, root: (
            f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY xxe SYSTEM "{uri}">]>'
            + body.format(name="&xxe;")
        ),
        "parameter_entity_xxe": lambda body, root: (
            f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY % remote SYSTEM "{uri}"> %remote;]>'
            + body.format(name="x")
        ),
        "external_dtd": lambda body, root: (
            f'<?xml version="1.0"?><!DOCTYPE {root} SYSTEM "{uri}">' + body.format(name="x")
        ),
        "external_dtd_http": lambda body, root: (
            f'<?xml version="1.0"?><!DOCTYPE {root} PUBLIC "-//x//y" "http://127.0.0.1:9/x.dtd">'
            + body.format(name="x")
        ),
    }


ATTACKS = [
    "billion_laughs",
    "quadratic_blowup",
    "xxe_file",
    "parameter_entity_xxe",
    "external_dtd",
    "external_dtd_http",
]


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize(
    ("fmt", "body", "root", "parse", "read"),
    [
        ("gpx", GPX_BODY, "gpx", parse_gpx, read_gpx),
        ("tcx", TCX_BODY, "TrainingCenterDatabase", parse_tcx, read_tcx),
    ],
)
def test_attacks_are_refused_quickly_without_leaking(
    attack, fmt, body, root, parse, read, secret_file, tmp_path
):
    doc = _attacks(secret_file)[attack](body, root).encode()
    path = tmp_path / f"evil.{fmt}"
    path.write_bytes(doc)
    calls = {
        "parse": lambda: parse(doc, name="evil"),
        "read": lambda: read(path),
        "read_gz": lambda: read(_gz(path, tmp_path)),
        "xmlsafe.parse": lambda: xmlsafe.parse(doc, "evil"),
        "xmlsafe.iterparse": lambda: list(xmlsafe.iterparse(doc, "evil")),
    }
    for what, call in calls.items():
        t0 = time.perf_counter()
        with pytest.raises(UnsafeInputError) as info:
            call()
        assert time.perf_counter() - t0 < 1.0, what
        err = info.value
        assert err.reason.startswith("unsafe XML: "), what
        assert SECRET not in str(err) and SECRET not in repr(err.__cause__), what
        assert isinstance(err, FileFormatError)


def _gz(path, tmp_path):
    out = tmp_path / (path.name + ".gz")
    out.write_bytes(gzip.compress(path.read_bytes()))
    return out


def test_the_canary_would_be_visible_if_entities_were_expanded(secret_file):
    """Guard against a vacuous XXE test: the same document without a DTD carries the text through."""
    doc = GPX_BODY.format(name=SECRET).encode()
    (act,) = parse_gpx(doc)
    assert act.name == SECRET


def test_dtd_reason_names_the_dtd():
    doc = b'<!DOCTYPE gpx SYSTEM "x.dtd"><gpx/>'
    with pytest.raises(UnsafeInputError, match="DTD"):
        xmlsafe.parse(doc, "f.gpx")


def test_undefined_entity_without_dtd_is_invalid_xml_not_unsafe():
    with pytest.raises(FileFormatError, match="not valid XML: undefined entity") as info:
        xmlsafe.parse(b"<gpx>&nope;</gpx>", "f.gpx")
    assert not isinstance(info.value, UnsafeInputError)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (b"", "no element found"),
        (b"<gpx><trk></gpx>", "mismatched tag: line 1, column 12"),
        (b"<gpx>\n<a b=1/></gpx>", "not well-formed"),
        (b"\x00\x01\x02 binary", "not well-formed"),
        (b'<?xml version="1.0" encoding="no-such-codec"?><gpx/>', "encoding"),
    ],
)
def test_malformed_xml(doc, message):
    for call in (lambda: xmlsafe.parse(doc, "bad.gpx"), lambda: list(xmlsafe.iterparse(doc, "b"))):
        with pytest.raises(FileFormatError) as info:
            call()
        assert not isinstance(info.value, UnsafeInputError)
        assert info.value.reason.startswith("not valid XML: ")
        assert message in info.value.reason


def test_error_carries_the_file_name():
    with pytest.raises(FileFormatError) as info:
        xmlsafe.parse(b"<a>", "some/file.gpx")
    assert info.value.path == "some/file.gpx"
    assert str(info.value).startswith("some/file.gpx: not valid XML")


def test_leading_whitespace_before_declaration_is_tolerated():
    root = xmlsafe.parse(b'\r\n  <?xml version="1.0"?><gpx/>', "f")
    assert root.tag == "gpx"


def test_latin1_document_is_decoded():
    doc = '<?xml version="1.0" encoding="ISO-8859-1"?><gpx><name>Läufer</name></gpx>'
    root = xmlsafe.parse(doc.encode("latin-1"), "f")
    assert root[0].text == "Läufer"


# ---------------------------------------------------------------------------------------------
# size bound and gzip


def test_size_bound_admits_a_day_at_1_hz_with_points_twice_the_fattest_real_one(corpus):
    """The arithmetic of MAX_XML_BYTES's docstring: an activity lasts at most 24 h (sanity), and no
    corpus file spends more than 706 bytes on one track point."""
    per_point = []
    for path in sorted(corpus.rglob("*")):
        if path.suffix.lower() in (".gpx", ".tcx"):
            doc = xmlsafe.read_xml_file(path)
            points = doc.count(b"<Trackpoint>") + doc.count(b"<trkpt ")
            if points:
                per_point.append(len(doc) / points)
    assert len(per_point) >= 20
    assert 650 < max(per_point) < 720
    assert xmlsafe.MAX_XML_BYTES == 128 * 1024 * 1024
    assert 2 * max(per_point) * 24 * 3600 < xmlsafe.MAX_XML_BYTES
    assert xmlsafe._too_large(None, "file").reason == "unsafe XML: file larger than 128 MiB"


def test_document_over_the_bound_is_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(xmlsafe, "MAX_XML_BYTES", 1000)
    doc = b"<gpx>" + b" " * 2000 + b"</gpx>"
    with pytest.raises(UnsafeInputError, match="unsafe XML: document larger than"):
        xmlsafe.parse(doc, "big.gpx")
    with pytest.raises(UnsafeInputError, match="larger than"):
        parse_gpx(doc, "big.gpx")
    path = tmp_path / "big.gpx"
    path.write_bytes(doc)
    with pytest.raises(UnsafeInputError, match="unsafe XML: file larger than") as info:
        read_gpx(path)
    assert info.value.path == str(path)
    # exactly at the bound is fine
    ok = b"<gpx>" + b" " * (1000 - 11) + b"</gpx>"
    assert len(ok) == 1000
    assert xmlsafe.parse(ok).tag == "gpx"
    path.write_bytes(ok)
    assert xmlsafe.read_xml_file(path) == ok


def test_gzip_bomb_is_refused_after_bounded_decompression(monkeypatch, tmp_path):
    monkeypatch.setattr(xmlsafe, "MAX_XML_BYTES", 10_000)
    bomb = gzip.compress(b"<gpx>" + b" " * 5_000_000 + b"</gpx>")
    assert len(bomb) < 10_000  # small on disk, large inside
    t0 = time.perf_counter()
    with pytest.raises(UnsafeInputError, match="decompressed document larger than"):
        xmlsafe.xml_bytes(bomb, "bomb.gpx")
    path = tmp_path / "bomb.gpx"  # no .gz suffix: detected by magic bytes
    path.write_bytes(bomb)
    with pytest.raises(UnsafeInputError, match="decompressed document larger than"):
        read_tcx(path)
    assert time.perf_counter() - t0 < 1.0


def test_gzip_detected_by_magic_not_name(tmp_path):
    doc = GPX_BODY.format(name="zipped").encode()
    path = tmp_path / "activity.xml"
    path.write_bytes(gzip.compress(doc))
    assert xmlsafe.read_xml_file(path) == doc
    assert xmlsafe.xml_bytes(gzip.compress(doc)) == doc
    plain = tmp_path / "plain.gpx.gz"  # a .gz name on plain bytes is read as plain
    plain.write_bytes(doc)
    assert xmlsafe.read_xml_file(plain) == doc


def test_broken_gzip(tmp_path):
    broken = gzip.compress(GPX_BODY.format(name="x").encode())[:-12]
    with pytest.raises(FileFormatError, match="not valid gzip") as info:
        xmlsafe.xml_bytes(broken, "cut.gpx.gz")
    assert not isinstance(info.value, UnsafeInputError)
    path = tmp_path / "cut.gpx.gz"
    path.write_bytes(broken)
    with pytest.raises(FileFormatError, match="not valid gzip"):
        read_gpx(path)


def test_unreadable_file_is_a_file_format_error(tmp_path):
    with pytest.raises(FileFormatError, match="cannot read file") as info:
        xmlsafe.read_xml_file(tmp_path / "missing.gpx")
    assert info.value.path == str(tmp_path / "missing.gpx")
    with pytest.raises(FileFormatError, match="cannot read file"):
        read_tcx(tmp_path)  # a directory


def test_non_bytes_input_is_a_programming_error():
    with pytest.raises(TypeError):
        xmlsafe.xml_bytes("<gpx/>")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tag", "local"),
    [
        ("{http://www.topografix.com/GPX/1/1}trkpt", "trkpt"),
        ("{http://www.garmin.com/xmlschemas/TrackPointExtension/v1}hr", "hr"),
        ("plain", "plain"),
    ],
)
def test_local_name(tag, local):
    assert xmlsafe.local_name(tag) == local


# ---------------------------------------------------------------------------------------------
# shape bounds: nesting depth and distinct names


def _nested(depth: int, tag: str = "a") -> bytes:
    return f"<{tag}>".encode() * depth + f"</{tag}>".encode() * depth


def test_depth_bound_default_is_100():
    assert xmlsafe.MAX_XML_DEPTH == 100


def test_nesting_up_to_the_bound_is_read_and_one_more_level_is_refused():
    root = xmlsafe.parse(_nested(xmlsafe.MAX_XML_DEPTH), "ok.gpx")
    assert len(list(root.iter())) == xmlsafe.MAX_XML_DEPTH
    assert sum(1 for _ in xmlsafe.iterparse(_nested(xmlsafe.MAX_XML_DEPTH))) == xmlsafe.MAX_XML_DEPTH
    deep = _nested(xmlsafe.MAX_XML_DEPTH + 1)
    calls = {
        "parse": lambda: xmlsafe.parse(deep, "deep.gpx"),
        "iterparse end": lambda: list(xmlsafe.iterparse(deep, "deep.gpx")),  # no start events asked
        "iterparse start": lambda: list(xmlsafe.iterparse(deep, "deep.gpx", events=("start",))),
    }
    for what, call in calls.items():
        with pytest.raises(UnsafeInputError) as info:
            call()
        assert info.value.reason == "unsafe XML: nesting deeper than 100 levels", what
        assert info.value.path == "deep.gpx"


def test_the_depth_bound_acts_while_streaming():
    """A million levels are refused at once, before the (broken) end of the document is reached."""
    doc = b"<a>" * 1_000_000 + b"</b>"
    t0 = time.perf_counter()
    with pytest.raises(UnsafeInputError, match="nesting deeper than"):
        for _ in xmlsafe.iterparse(doc, "deep"):
            pass
    assert time.perf_counter() - t0 < 0.5


def test_depth_bound_follows_the_constant(monkeypatch):
    monkeypatch.setattr(xmlsafe, "MAX_XML_DEPTH", 3)
    assert xmlsafe.parse(b"<a><b><c/></b></a>").tag == "a"
    with pytest.raises(UnsafeInputError, match="nesting deeper than 3 levels"):
        xmlsafe.parse(b"<a><b><c><d/></c></b></a>")


def test_distinct_name_bound():
    n = xmlsafe.MAX_XML_NAMES
    ok = b"<r>" + b"".join(b"<e%d/>" % i for i in range(n - 1)) + b"</r>"  # r + n-1 names
    assert len(xmlsafe.parse(ok)) == n - 1
    again = b"<r>" + b"".join(b"<e%d/>" % (i % (n - 1)) for i in range(5 * n)) + b"</r>"
    assert len(xmlsafe.parse(again)) == 5 * n  # repeating known names costs nothing new
    over = ok[:-4] + b"<one-more/></r>"
    with pytest.raises(UnsafeInputError) as info:
        xmlsafe.parse(over, "names.gpx")
    assert info.value.reason == f"unsafe XML: more than {n} distinct element and attribute names"
    # a namespace makes a name distinct: ElementTree keeps "{uri}local" per namespace
    ns_flood = b"<r>" + b"".join(b'<a xmlns="urn:%d"/>' % i for i in range(n)) + b"</r>"
    with pytest.raises(UnsafeInputError, match="distinct element and attribute names"):
        list(xmlsafe.iterparse(ns_flood))


def test_attribute_names_count_with_element_names():
    """ElementTree's name cache and expat's tables hold attribute names as they hold tags."""
    n = xmlsafe.MAX_XML_NAMES
    ok = b"<r>" + b"".join(b"<e a%d='1'/>" % i for i in range(n - 2)) + b"</r>"  # r, e + n-2 names
    assert len(xmlsafe.parse(ok)) == n - 2
    assert len(list(xmlsafe.iterparse(ok, role=lambda p, t: (xmlsafe.DROP, "")))) == n - 1
    again = b"<r>" + b"<e a0='1' a1='2'/>" * (5 * n) + b"<a0 e='x'/></r>"  # known names, either way
    assert len(xmlsafe.parse(again)) == 5 * n + 1
    for over in (ok[:-4] + b"<e b='1'/></r>", ok[:-4] + b"<f/></r>"):
        with pytest.raises(UnsafeInputError) as info:
            list(xmlsafe.iterparse(over, "names.gpx", role=lambda p, t: (xmlsafe.DROP, "")))
        assert info.value.reason == f"unsafe XML: more than {n} distinct element and attribute names"


def test_attributes_per_element_bound():
    n = xmlsafe.MAX_XML_ATTRIBUTES
    assert n == 64

    def tag(k: int) -> bytes:
        return b"<a " + b" ".join(b"b%d='%d'" % (i, i) for i in range(k)) + b"/>"

    root = xmlsafe.parse(b"<r>" + tag(n) * 3 + b"</r>")
    assert [len(e.attrib) for e in root] == [n, n, n]
    with pytest.raises(UnsafeInputError) as info:
        xmlsafe.parse(b"<r>" + tag(n) + tag(n + 1) + b"</r>", "attrs.gpx")
    assert info.value.reason == "unsafe XML: more than 64 attributes on one element"
    assert info.value.path == "attrs.gpx"


def test_markup_length_bound_refuses_while_the_tag_is_still_being_read():
    """A start tag (or comment) is held whole by expat before any event: one over the bound is
    refused before it ends, so nothing builds its attributes; long text is streamed and fine."""
    n = xmlsafe.MAX_XML_TOKEN_BYTES
    assert n == 64 * 1024

    def tag(size: int) -> bytes:
        head = b"<a v='"
        return head + b"x" * (size - len(head) - 3) + b"'/>"

    assert len(tag(n)) == n
    text = b"<t>" + b"y" * (4 * n) + b"</t>"
    comment = b"<!--" + b"z" * (n - 7) + b"-->"
    assert len(comment) == n
    root = xmlsafe.parse(b"<r>" + tag(n) + text + comment + tag(n) + b"</r>")
    assert [len(e.get("v") or e.text) for e in root] == [n - 9, 4 * n, n - 9]
    # 16 kB chunks: refused at most one chunk past the bound, before the tag or comment ends
    for long in (tag(n + 1), tag(4 * n)[:-2], b"<!--" + b"z" * (2 * n) + b"-->", b"<?pi " + b"p" * 2 * n):
        with pytest.raises(UnsafeInputError) as info:
            xmlsafe.parse(b"<r>" + long + b"</r>", "long.gpx")
        assert info.value.reason == (
            "unsafe XML: a tag, comment or processing instruction longer than 65536 bytes"
        )
    # the same in UTF-16: the bound is on the document's bytes, whatever its encoding
    doc = '<?xml version="1.0" encoding="UTF-16"?><r><a v=\'' + "x" * n + "'/></r>"
    with pytest.raises(UnsafeInputError, match="longer than 65536 bytes"):
        xmlsafe.parse(doc.encode("utf-16"))


def test_real_files_are_far_from_the_shape_bounds(corpus):
    """Evidence for the bounds: every corpus GPX/TCX nests at most 10 levels and uses at most 43
    element names; ten times that still leaves room for unseen exporters."""
    depth_max = names_max = attributes_max = 0
    for path in sorted(corpus.rglob("*")):
        if path.suffix.lower() not in (".gpx", ".tcx"):
            continue
        depth, names = 0, set()
        for event, elem in xmlsafe.iterparse(xmlsafe.read_xml_file(path), events=("start", "end")):
            depth += 1 if event == "start" else -1
            depth_max = max(depth_max, depth)
            names.add(elem.tag)
            names.update(elem.attrib)
            attributes_max = max(attributes_max, len(elem.attrib))
        names_max = max(names_max, len(names))
    assert 5 <= depth_max <= xmlsafe.MAX_XML_DEPTH // 10
    assert 10 <= names_max <= xmlsafe.MAX_XML_NAMES // 20
    assert 2 <= attributes_max <= xmlsafe.MAX_XML_ATTRIBUTES // 10


def test_real_files_decode_the_same_with_a_twentieth_of_the_reading_bounds(corpus, monkeypatch):
    """Evidence for MAX_XML_KEPT and MAX_XML_TOKEN_BYTES: every corpus GPX/TCX (they keep at most
    19 elements at once; their longest tag is 951 bytes) still decodes, identically, with both
    bounds divided by twenty."""
    paths = [p for p in sorted(corpus.rglob("*")) if p.suffix.lower() in (".gpx", ".tcx")]
    assert len(paths) >= 25

    def decode_all():
        out = []
        for path in paths:
            try:
                out.append((read_gpx if path.suffix.lower() == ".gpx" else read_tcx)(path))
            except UnsafeInputError:
                raise
            except FileFormatError as exc:  # the corpus's broken files, the same each time
                out.append(exc.reason)
        return out

    normal = decode_all()
    monkeypatch.setattr(xmlsafe, "MAX_XML_KEPT", xmlsafe.MAX_XML_KEPT // 20)
    monkeypatch.setattr(xmlsafe, "MAX_XML_TOKEN_BYTES", xmlsafe.MAX_XML_TOKEN_BYTES // 20)
    for a, b in zip(normal, decode_all(), strict=True):
        if isinstance(a, str):
            assert a == b
        else:
            assert [x.samples.shape for x in a] == [y.samples.shape for y in b]
            assert [x.notes for x in a] == [y.notes for y in b]
    monkeypatch.setattr(xmlsafe, "MAX_XML_KEPT", 18)  # and the kept bound does bite below 19
    with pytest.raises(UnsafeInputError, match="held for reading at once"):
        decode_all()


# ---------------------------------------------------------------------------------------------
# iterparse's role hook: what the caller does not read is freed


def _role_keep_b(parent, tag):
    """Test role: <b> and what is inside a <w> wrapper's <v> kept, <w> kept if it holds something."""
    if tag == "b":
        return xmlsafe.KEEP, "b"
    if tag == "w" or parent == "w":
        return (xmlsafe.KEEP if tag == "v" else xmlsafe.IF_CHILDREN), "w"
    return xmlsafe.DROP, ""


def test_role_drops_keeps_and_keeps_wrappers_with_children():
    doc = b"<r><a/><b>1<x/></b><w><u/></w><w><u/><v>2</v></w><a><b>3</b></a><b>4</b></r>"
    seen = []
    for _, elem in xmlsafe.iterparse(doc, role=_role_keep_b):
        seen.append((elem.tag, [c.tag for c in elem]))
    root = elem  # the root's end comes last
    # the caller saw every element complete at its end event, children as kept by then
    assert seen == [
        ("a", []),
        ("x", []),
        ("b", []),  # <x> was dropped once read
        ("u", []),
        ("w", []),  # empty once <u> is gone: dropped
        ("u", []),
        ("v", []),
        ("w", ["v"]),  # holds a kept <v>: kept
        ("b", []),
        ("a", ["b"]),  # <a> holds a kept <b> until its own end, then is dropped with it
        ("b", []),
        ("r", ["b", "w", "b"]),
    ]
    assert [(c.tag, c.text) for c in root] == [("b", "1"), ("w", None), ("b", "4")]
    assert root.find("w/v").text == "2"


def test_role_is_asked_once_per_context_and_tag():
    calls = []

    def role(parent, tag):
        calls.append((parent, tag))
        return xmlsafe.DROP, tag

    doc = b"<r>" + b"<p><q/></p>" * 1000 + b'<p xmlns="urn:x"><q/></p></r>'
    assert sum(1 for _ in xmlsafe.iterparse(doc, role=role)) == 2003
    # the role sees local names; "{urn:x}p" and its "{urn:x}q" are new tags, so asked once more
    assert calls == [(None, "r"), ("r", "p"), ("p", "q"), ("r", "p"), ("p", "q")]


def test_pruning_follows_the_parser_running_ahead(monkeypatch):
    """The parser builds the tree a chunk (16 kB) ahead of the events read: an ended element is
    not its parent's last child, yet the right elements go, in document order, at any size."""
    n = 20_000
    monkeypatch.setattr(xmlsafe, "MAX_XML_KEPT", n)
    doc = b"<r>" + b"".join(b"<b>%d</b><a>%d</a>" % (i, i) for i in range(n)) + b"</r>"
    *_, (_, root) = xmlsafe.iterparse(doc, role=_role_keep_b)  # the root's end comes last
    assert [c.text for c in root] == [str(i) for i in range(n)]
    assert {c.tag for c in root} == {"b"}


def test_read_records_are_reported_then_removed():
    """A READ element's end is reported whatever ``tags`` says, complete, and then freed."""

    def role(parent, tag):
        if tag == "p":
            return xmlsafe.READ, "p"
        return (xmlsafe.KEEP if parent == "p" else xmlsafe.DROP), ""

    doc = b"<r><x/>" + b"<p><t>1</t><u/></p><q><p><t>2</t></p></q>" * 3 + b"</r>"
    got = [
        (e.tag, [c.tag for c in e], e.findtext("t")) for _, e in xmlsafe.iterparse(doc, role=role, tags=())
    ]
    assert got == [("p", ["t", "u"], "1"), ("p", ["t"], "2")] * 3 + [("r", [], None)]


def _kept_doc(fields: int, records: int = 3) -> bytes:
    return b"<r>" + (b"<p>" + b"<f>1</f>" * fields + b"</p>") * records + b"</r>"


def _role_fields(parent, tag):
    if tag == "p":
        return xmlsafe.READ, "p"
    if parent in ("p", "w"):
        return (xmlsafe.KEEP if tag == "f" else xmlsafe.IF_CHILDREN), "w"
    return xmlsafe.DROP, ""


def test_kept_element_bound():
    """At most MAX_XML_KEPT elements wait in the tree for a reader; a record's fields are freed
    with the record, so only what is held at once counts, however nested."""
    n = xmlsafe.MAX_XML_KEPT
    assert n == 1000
    records = [len(e) for _, e in xmlsafe.iterparse(_kept_doc(n, 5), role=_role_fields, tags={"p"})]
    assert records == [n] * 5 + [0]
    with pytest.raises(UnsafeInputError) as info:
        list(xmlsafe.iterparse(_kept_doc(n + 1, 1), "kept.gpx", role=_role_fields))
    assert info.value.reason == "unsafe XML: more than 1000 elements held for reading at once"
    # wrappers kept for what they hold count too: 10 × (w > 10 × (w > 10 f)) is 1,110 elements
    nested = b"<r><p>" + (b"<w>" + (b"<w>" + b"<f/>" * 10 + b"</w>") * 10 + b"</w>") * 10 + b"</p></r>"
    with pytest.raises(UnsafeInputError, match="held for reading at once"):
        list(xmlsafe.iterparse(nested, role=_role_fields))
    assert sum(1 for _ in xmlsafe.iterparse(nested.replace(b"<f/>" * 10, b"<f/>" * 8), role=_role_fields))
    # without a role the caller builds the whole tree on purpose: not bounded
    assert len(xmlsafe.parse(_kept_doc(2 * n, 1))[0]) == 2 * n


def test_callers_that_rearrange_the_tree_are_tolerated():
    doc = b"<r><a><x/></a><a><y/></a><b/></r>"
    out = []
    for _, elem in xmlsafe.iterparse(doc, role=_role_keep_b):
        if elem.tag == "a":
            elem.clear()
            out.append(len(elem))
        if elem.tag == "x":
            out.append("x")
    assert out == ["x", 0, 0]
    assert [c.tag for c in elem] == ["b"]


def test_tags_filter_reports_the_root_always():
    doc = b"<r><a><b/></a><b/></r>"
    assert [e.tag for _, e in xmlsafe.iterparse(doc, tags={"b"})] == ["b", "b", "r"]
    got = [(ev, e.tag) for ev, e in xmlsafe.iterparse(doc, events=("start", "end"), tags={"a"})]
    assert got == [("start", "r"), ("start", "a"), ("end", "a"), ("end", "r")]


def test_without_role_the_whole_tree_is_kept():
    doc = b"<r><a><b/></a><c/></r>"
    events = list(xmlsafe.iterparse(doc, events=("start", "end")))
    assert [(ev, e.tag) for ev, e in events][:3] == [("start", "r"), ("start", "a"), ("start", "b")]
    root = events[-1][1]
    assert [e.tag for e in root.iter()] == ["r", "a", "b", "c"]


def test_unknown_events_are_a_programming_error():
    with pytest.raises(ValueError, match="events"):
        list(xmlsafe.iterparse(b"<r/>", events=("start-ns",)))
