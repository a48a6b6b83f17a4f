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


def test_size_bound_default_is_200_mb():
    assert xmlsafe.MAX_XML_BYTES == 200 * 1024 * 1024


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
