"""Hostile XML beyond ``tests/importers/test_xmlsafe.py`` (which covers entity bombs, XXE, external DTDs,
size and gzip bounds at the parser entry points): attacks through the whole import pipeline and inside
archives, encodings that hide a DOCTYPE, XInclude, the guarantee that no other XML parser (lxml, gpxpy,
minidom, SAX) is ever reached, and documents whose *shape* (many or deeply nested elements) costs memory.
Every fixture is built here."""

from __future__ import annotations

import ast
import contextlib
import gzip
import sqlite3
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import hiprisk
import hiprisk.ingest  # the canary test reaches prepare() through the package
from hiprisk.errors import FileFormatError, UnsafeInputError
from hiprisk.importers import decode

REPO = Path(__file__).resolve().parents[2]
SECRET = "hiprisk-hardening-canary-41c7"
GPX_BODY = (
    '<gpx xmlns="http://www.topografix.com/GPX/1/1" version="1.1" creator="t">'
    "<trk><name>{name}</name><trkseg>"
    '<trkpt lat="45.0" lon="14.0"><time>2026-01-01T10:00:00Z</time></trkpt>'
    '<trkpt lat="45.001" lon="14.0"><time>2026-01-01T10:01:00Z</time></trkpt>'
    "</trkseg></trk></gpx>"
)
TCX_DOC = (
    '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">'
    '<Activities><Activity Sport="Running"><Id>2026-01-01T10:00:00Z</Id>'
    '<Lap StartTime="2026-01-01T10:00:00Z"><TotalTimeSeconds>60</TotalTimeSeconds><Track>'
    "<Trackpoint><Time>2026-01-01T10:00:00Z</Time><DistanceMeters>0</DistanceMeters></Trackpoint>"
    "<Trackpoint><Time>2026-01-01T10:01:00Z</Time><DistanceMeters>200</DistanceMeters></Trackpoint>"
    "</Track></Lap><Notes>{name}</Notes></Activity></Activities></TrainingCenterDatabase>"
)


@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def attacks(secret: Path, body: str, root: str) -> dict[str, bytes]:
    uri = secret.as_uri()
    laughs = ['<!ENTITY l0 "lol">'] + [f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)]
    return {
        "billion-laughs": f"<!DOCTYPE {root} [{''.join(laughs)}]>{body.format(name='&l9;')}".encode(),
        "xxe": f'<!DOCTYPE {root} [<!ENTITY x SYSTEM "{uri}">]>{body.format(name="&x;")}'.encode(),
        "parameter-xxe": (
            f'<!DOCTYPE {root} [<!ENTITY % p SYSTEM "{uri}"> %p;]>{body.format(name="x")}'.encode()
        ),
    }


def test_canary_is_visible_when_not_refused(secret):
    """Guard against vacuous tests: the same documents without a DTD carry the text into the log row."""
    _, (gpx,) = hiprisk.ingest.prepare(GPX_BODY.format(name=SECRET).encode(), "gpx", "a.gpx", None)
    _, (tcx,) = hiprisk.ingest.prepare(TCX_DOC.format(name=SECRET).encode(), "tcx", "a.tcx", None)
    assert gpx.row["name"] == SECRET and tcx.row["name"] == SECRET


def test_attacks_through_the_import_pipeline_and_archives(home, tmp_path, secret):
    """Plain, gzipped and zipped (a Strava-export layout) attacks: every one refused as unsafe, nothing
    stored, the secret nowhere in the summary, the database or the sample cache."""
    inbox = tmp_path / "inbox"
    (inbox / "export" / "activities").mkdir(parents=True)
    (inbox / "export" / "activities.csv").write_text("Activity ID,Activity Type,Filename\n")
    members = {}
    for fmt, body, root in (("gpx", GPX_BODY, "gpx"), ("tcx", TCX_DOC, "TrainingCenterDatabase")):
        for name, doc in attacks(secret, body, root).items():
            (inbox / f"{name}.{fmt}").write_bytes(doc)
            (inbox / "export" / "activities" / f"{name}.{fmt}.gz").write_bytes(gzip.compress(doc))
            members[f"activities/{name}.{fmt}.gz"] = gzip.compress(doc)
    with zipfile.ZipFile(inbox / "export_1.zip", "w") as zf:
        zf.writestr("activities.csv", "Activity ID,Activity Type,Filename\n")
        for member, data in members.items():
            zf.writestr(member, data)

    summary = hiprisk.import_paths([inbox], workers=1)
    assert summary.added == [] and len(summary.failed) == 18
    for name, reason in summary.failed:
        assert reason.startswith("unsafe XML: "), (name, reason)
        assert SECRET not in reason
    store = home / "hiprisk.db"
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT COUNT(*) FROM activities").fetchone() == (0,)
        dump = "\n".join(db.iterdump())
    assert SECRET not in dump and "unsafe XML" in dump  # the failures are recorded, the secret is not
    assert not any((home / "samples").iterdir())


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_a_doctype_hidden_by_the_encoding_is_still_refused(encoding, secret):
    declared = "UTF-16" if encoding.startswith("utf-16") else "UTF-8"
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    head = f'<?xml version="1.0" encoding="{declared}"?>'
    plain = bom + (head + GPX_BODY.format(name="fine")).encode(encoding)
    (act,) = decode(plain, "gpx", "a.gpx")  # control: the encoding itself is read
    assert act.name == "fine"
    for attack in attacks(secret, GPX_BODY, "gpx").values():
        doc = bom + (head + attack.decode()).encode(encoding)
        with pytest.raises(UnsafeInputError, match="unsafe XML: DTD") as info:
            decode(doc, "gpx", "a.gpx")
        assert SECRET not in str(info.value)


def test_a_doctype_after_comments_and_processing_instructions_is_refused():
    doc = b'\n  <!-- a comment --><?pi data?>\n<!DOCTYPE gpx [<!ENTITY a "x">]>' + GPX_BODY.encode()
    with pytest.raises(UnsafeInputError, match="DTD"):
        decode(doc, "gpx", "a.gpx")


def test_xinclude_is_never_processed(secret):
    include = (
        f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{secret.as_uri()}" parse="text"/>'
    )
    gpx = GPX_BODY.format(name=f"before{include}after").encode()
    (act,) = decode(gpx, "gpx", "a.gpx")
    assert SECRET not in (act.name or "") and act.name == "before"
    (act,) = decode(TCX_DOC.format(name=f"n{include}").encode(), "tcx", "a.tcx")
    assert SECRET not in (act.name or "")


@pytest.mark.parametrize("ref", ["&#1114112;", "&#0;", "&#xD800;"])
def test_invalid_character_references_are_format_errors(ref):
    with pytest.raises(FileFormatError, match="not valid XML: reference to invalid character") as info:
        decode(GPX_BODY.format(name=ref).encode(), "gpx", "a.gpx")
    assert not isinstance(info.value, UnsafeInputError)


# ---------------------------------------------------------------------------------------------- parsers


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_only_xmlsafe_imports_an_xml_parser():
    """defusedxml sees the bytes first because nothing else in hiprisk can parse XML at all."""
    offenders = {}
    for path in sorted((REPO / "hiprisk").rglob("*.py")):
        found = {n for n in _imports(path) if n.split(".")[0] in ("lxml", "gpxpy") or n.startswith("xml.")}
        found.discard("xml.sax.saxutils")  # escape() for the synthetic GPX writer: not a parser
        found |= {n for n in _imports(path) if n.startswith("defusedxml")}
        if found:
            offenders[str(path.relative_to(REPO))] = sorted(found)
    assert set(offenders) == {"hiprisk/importers/xmlsafe.py"}, offenders
    # xmlsafe takes only types from the standard library's ElementTree; parsing goes through defusedxml
    assert set(offenders["hiprisk/importers/xmlsafe.py"]) == {
        "defusedxml.ElementTree",
        "defusedxml.common",
        "xml.etree.ElementTree",
    }
    source = (REPO / "hiprisk" / "importers" / "xmlsafe.py").read_text()
    assert "from xml.etree.ElementTree import Element, ParseError" in source


def test_decoding_never_reaches_lxml_or_gpxpy(tmp_path, secret):
    """Whatever lxml (or gpxpy) is installed, decoding does not import it: a poisoned copy on the path
    would make any import fail loudly."""
    poison = tmp_path / "poison"
    for module in ("lxml", "gpxpy"):
        (poison / module).mkdir(parents=True)
        (poison / module / "__init__.py").write_text(f"raise ImportError('{module} must not be imported')\n")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ok.gpx").write_text(GPX_BODY.format(name="fine"))
    (docs / "ok.tcx").write_text(TCX_DOC.format(name="fine"))
    for name, doc in attacks(secret, GPX_BODY, "gpx").items():
        (docs / f"{name}.gpx").write_bytes(doc)
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from hiprisk.errors import UnsafeInputError
        from hiprisk.ingest import prepare
        for path in sorted(Path({str(docs)!r}).iterdir()):
            try:
                _, acts = prepare(path.read_bytes(), path.suffix[1:], path.name, None)
                print(path.name, "parsed", acts[0].row["name"])
            except UnsafeInputError as exc:
                print(path.name, "refused")
        bad = sorted(m for m in sys.modules if m.split(".")[0] in ("lxml", "gpxpy"))
        print("imported:", bad)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": f"{poison}:{REPO}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "billion-laughs.gpx refused",
        "ok.gpx parsed fine",
        "ok.tcx parsed fine",
        "parameter-xxe.gpx refused",
        "xxe.gpx refused",
        "imported: []",
    ]


# ---------------------------------------------------------------------------------------------- shapes


def _peak_ratio(parse, doc: bytes) -> float:
    """Peak traced memory of a parse, per byte of document."""
    tracemalloc.start()
    try:
        with contextlib.suppress(FileFormatError):
            parse(doc, "shape")
        return tracemalloc.get_traced_memory()[1] / len(doc)
    finally:
        tracemalloc.stop()


#: A streaming decoder's peak memory per document byte. Real files measure 2.2 (GPX, the 814 kB Apple
#: Watch track) and 1.1 (TCX, the 825 kB Forerunner 910XT run); 3.4 and 1.3 while points waited as text.
MAX_MEMORY_PER_BYTE = 8.0


def test_real_files_stay_under_the_memory_bound(corpus):
    from hiprisk.importers.gpx import parse_gpx
    from hiprisk.importers.tcx import parse_tcx

    assert _peak_ratio(parse_gpx, (corpus / "gpx" / "10km_2024-11-29_10.09pm.gpx").read_bytes()) < 3
    assert _peak_ratio(parse_tcx, (corpus / "tcx" / "running_activity_1.tcx").read_bytes()) < 3


@pytest.mark.parametrize(
    ("fmt", "shape"),
    [("gpx", "flat"), ("gpx", "deep"), ("tcx", "flat"), ("tcx", "deep")],
)
def test_element_floods_cost_no_more_memory_than_real_files(fmt, shape):
    from hiprisk.importers.gpx import parse_gpx
    from hiprisk.importers.tcx import parse_tcx

    n = 100_000  # 400 kB of "<a/>", or 700 kB of nesting; under 5 kB gzipped
    inner = b"<a/>" * n if shape == "flat" else b"<a>" * n + b"</a>" * n
    if fmt == "gpx":
        doc, parse = b"<gpx><trk><trkseg>" + inner + b"</trkseg></trk></gpx>", parse_gpx
    else:
        head = b'<TrainingCenterDatabase><Activities><Activity Sport="Running">'
        doc, parse = head + inner + b"</Activity></Activities></TrainingCenterDatabase>", parse_tcx
    assert len(gzip.compress(doc)) < 5000
    assert _peak_ratio(parse, doc) < MAX_MEMORY_PER_BYTE


GPX_HEAD, GPX_TAIL = b"<gpx><trk><trkseg>", b"</trkseg></trk></gpx>"
TCX_HEAD = b'<TrainingCenterDatabase><Activities><Activity Sport="Running">'
TCX_TAIL = b"</Activity></Activities></TrainingCenterDatabase>"


@pytest.mark.parametrize("fmt", ["gpx", "tcx"])
def test_deep_nesting_is_refused_at_once(fmt):
    """A million nested elements (3 MB, 10 kB gzipped) are refused at level 101, in a moment and a
    few MB, though the document is not even well-formed further on."""
    head, tail = (GPX_HEAD, GPX_TAIL) if fmt == "gpx" else (TCX_HEAD, TCX_TAIL)
    doc = head + b"<a>" * 1_000_000 + tail
    assert len(gzip.compress(doc)) < 20_000
    t0 = time.perf_counter()
    with pytest.raises(UnsafeInputError) as info:
        decode(doc, fmt, f"deep.{fmt}")
    assert time.perf_counter() - t0 < 1.0
    assert info.value.reason == "unsafe XML: nesting deeper than 100 levels"
    assert _peak_ratio(lambda d, n: decode(d, fmt, n), doc) < 1


def test_deep_nesting_fails_the_import_as_unsafe(home, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "deep.gpx").write_bytes(GPX_HEAD + b"<a>" * 200 + b"</a>" * 200 + GPX_TAIL)
    (inbox / "deep.tcx.gz").write_bytes(gzip.compress(TCX_HEAD + b"<a>" * 10_000 + TCX_TAIL))
    (inbox / "ok.gpx").write_text(GPX_BODY.format(name="fine"))
    summary = hiprisk.import_paths([inbox], workers=1)
    assert len(summary.added) == 1
    assert sorted((Path(f).name, reason) for f, reason in summary.failed) == [
        ("deep.gpx", "unsafe XML: nesting deeper than 100 levels"),
        ("deep.tcx.gz", "unsafe XML: nesting deeper than 100 levels"),
    ]


@pytest.mark.parametrize("fmt", ["gpx", "tcx"])
def test_distinct_name_floods_are_refused(fmt):
    """Each distinct element name stays in expat's and ElementTree's tables (about 230 B per name,
    23× a document of <aN/>), however the tree is pruned: more than MAX_XML_NAMES are refused."""
    head, tail = (GPX_HEAD, GPX_TAIL) if fmt == "gpx" else (TCX_HEAD, TCX_TAIL)
    doc = head + b"".join(b"<a%d/>" % i for i in range(100_000)) + tail
    with pytest.raises(UnsafeInputError, match="more than 1000 distinct element and attribute names"):
        decode(doc, fmt, f"names.{fmt}")
    assert _peak_ratio(lambda d, n: decode(d, fmt, n), doc) < MAX_MEMORY_PER_BYTE


@pytest.mark.parametrize(
    ("path", "after"),
    [
        ("gpx/514705132.gpx", b"<ns3:TrackPointExtension>"),  # Garmin: beside <ns3:hr>
        ("tcx/running_activity_1.tcx", b"<Trackpoint>"),
        ("tcx/running_activity_1.tcx", b"<ns3:TPX>"),  # beside <ns3:Speed>
    ],
)
def test_junk_inside_real_files_changes_nothing_and_costs_no_memory(corpus, path, after):
    """Unknown elements inside the very elements the decoders read (track points, their extension
    wrappers) are freed as they end: the same activity, and less memory per byte than the file."""
    from hiprisk.importers.gpx import parse_gpx
    from hiprisk.importers.tcx import parse_tcx

    parse = parse_gpx if path.endswith(".gpx") else parse_tcx
    real = (corpus / path).read_bytes()
    junk = b'<j:junk xmlns:j="urn:junk"><a/><b>x</b><c><d/><hr2>1</hr2></c></j:junk>'
    doc = real.replace(after, after + junk * (1 + len(real) // (real.count(after) * len(junk))))
    assert len(doc) > 2 * len(real)
    (a,), (b,) = parse(real, "real"), parse(doc, "junk")
    pd.testing.assert_frame_equal(a.samples, b.samples)
    assert b.samples.notna().sum().to_dict() == a.samples.notna().sum().to_dict()
    for attr in ("distance_m", "elapsed_s", "moving_s", "avg_hr_bpm", "name", "device", "notes"):
        assert getattr(a, attr) == getattr(b, attr), attr
    assert _peak_ratio(parse, doc) < _peak_ratio(parse, real)  # the file is over twice as long


#: The refusal when a record repeats a field (xmlsafe.MAX_XML_KEPT).
HELD = "unsafe XML: more than 1000 elements held for reading at once"


@pytest.mark.parametrize(
    ("fmt", "inner", "refused"),
    [
        ("gpx", b"<trkpt>" + b"<time/>" * 50_000 + b"</trkpt>", HELD),
        ("gpx", b"<trkpt><extensions>" + b"<hr/>" * 50_000 + b"</extensions></trkpt>", HELD),
        ("gpx", b"<trkpt><extensions><a>" + b"<b><hr/></b>" * 50_000 + b"</a></extensions></trkpt>", HELD),
        ("gpx", b"<trkpt/>" * 50_000, None),
        ("gpx", b'<trkpt lat="1" lon="2"/>' * 50_000, None),
        ("gpx-trk", b"<trk/>" * 50_000, None),
        ("tcx", b"<Notes/>" * 50_000, HELD),
        ("tcx", b"<Lap/>" * 50_000, None),
        ("tcx", b"<Lap><TotalTimeSeconds/></Lap>" * 50_000, None),
        ("tcx", b"<Lap><Track>" + b"<Trackpoint/>" * 50_000 + b"</Track></Lap>", None),
        ("tcx", b"<Lap><Track><Trackpoint>" + b"<Position/>" * 50_000 + b"</Trackpoint></Track></Lap>", HELD),
        ("tcx-activities", b"<Activity/>" * 50_000, None),
    ],
    ids=[
        "gpx-time",
        "gpx-hr",
        "gpx-nested-hr",
        "gpx-trkpt",
        "gpx-untimed-trkpt",
        "gpx-trk",
        "tcx-notes",
        "tcx-lap",
        "tcx-empty-lap-fields",
        "tcx-trackpoint",
        "tcx-position",
        "tcx-activity",
    ],
)
def test_floods_of_read_elements_cost_no_more_memory_than_real_files(fmt, inner, refused):
    """Floods of the very elements the decoders read: a field repeated inside one record is refused
    (a record holds a few fields, MAX_XML_KEPT), and records with nothing usable (no time) are
    counted, never stored, so they cost no more than unread elements. Before: 10–63× the document."""
    from hiprisk.importers.gpx import parse_gpx
    from hiprisk.importers.tcx import parse_tcx

    if fmt == "gpx":
        doc, parse = GPX_HEAD + inner + GPX_TAIL, parse_gpx
    elif fmt == "gpx-trk":
        doc, parse = b"<gpx>" + inner + b"</gpx>", parse_gpx
    elif fmt == "tcx":
        doc, parse = TCX_HEAD + inner + TCX_TAIL, parse_tcx
    else:
        doc = b"<TrainingCenterDatabase><Activities>" + inner + b"</Activities></TrainingCenterDatabase>"
        parse = parse_tcx
    assert len(gzip.compress(doc)) < 10_000
    with pytest.raises(FileFormatError) as info:
        parse(doc, "flood")
    if refused:
        assert info.value.reason == refused
    else:  # read, and found to hold nothing usable
        assert not isinstance(info.value, UnsafeInputError), info.value.reason
    assert _peak_ratio(parse, doc) < MAX_MEMORY_PER_BYTE


@pytest.mark.parametrize(
    ("inner", "refused"),
    [
        (
            b"".join(b"<a b%d='1'/>" % i for i in range(50_000)),
            "unsafe XML: more than 1000 distinct element and attribute names",
        ),
        (
            b"<a " + b" ".join(b"b%d='1'" % i for i in range(50_000)) + b"/>",
            "unsafe XML: a tag, comment or processing instruction longer than 65536 bytes",
        ),
        (
            (b"<a " + b" ".join(b"b%d='1'" % i for i in range(65)) + b"/>") * 1000,
            "unsafe XML: more than 64 attributes on one element",
        ),
    ],
    ids=["distinct-attribute-names", "one-tag-many-attributes", "tags-over-the-attribute-bound"],
)
def test_attribute_floods_cost_no_more_memory_than_real_files(inner, refused):
    """Attribute names count with element names (MAX_XML_NAMES), an element has at most 64
    attributes, and a tag longer than MAX_XML_TOKEN_BYTES is refused before it ends: expat holds
    a whole start tag and ElementTree builds its attributes before any event (it was 13–29×)."""
    from hiprisk.importers.gpx import parse_gpx

    doc = GPX_HEAD + inner + GPX_TAIL
    with pytest.raises(UnsafeInputError) as info:
        parse_gpx(doc, "attrs")
    assert info.value.reason == refused
    assert _peak_ratio(parse_gpx, doc) < MAX_MEMORY_PER_BYTE


def test_records_without_a_time_change_nothing_in_a_real_file(corpus):
    """Empty or untimed records are counted, not stored, and change no result: the notes count
    them as dropped, as before (GPX: against their segment's share of timed points)."""
    from hiprisk.importers.gpx import parse_gpx
    from hiprisk.importers.tcx import parse_tcx

    cases = [
        ("gpx/514705132.gpx", b"</trkseg>", b'<trkpt lat="1" lon="2"/>' * 100 + b"<trkpt/>" * 50, 150),
        (
            "tcx/test.tcx",
            b"</Track>",
            b"<Trackpoint/>" * 100 + b"<Trackpoint><HeartRateBpm/></Trackpoint>",
            101,
        ),
        ("tcx/test.tcx", b"</Lap>", b"</Lap><Lap/><Lap><Track/></Lap><Lap><Notes>x</Notes>", 0),
    ]
    for path, at, extra, dropped in cases:
        parse = parse_gpx if path.endswith(".gpx") else parse_tcx
        real = (corpus / path).read_bytes()
        assert at in real
        (a,), (b,) = parse(real, "real"), parse(real.replace(at, extra + at, 1), "extra")
        pd.testing.assert_frame_equal(a.samples, b.samples)
        for attr in ("start_utc", "distance_m", "elapsed_s", "moving_s", "avg_hr_bpm", "max_hr_bpm", "name"):
            assert getattr(a, attr) == getattr(b, attr), (path, attr)
        if path.endswith(".gpx"):
            note = f"dropped {dropped} track points in segments without times"
        else:
            note = f"dropped {dropped} trackpoints without a readable time"
        assert b.notes == ([note] if dropped else []) + a.notes


#: Peak memory per document byte of a flood of minimal *valid* records (each with its own time). A
#: point waiting as text costs 300–600 B whatever its size in the file; converted in batches
#: (``gpx.POINT_BATCH``) it costs 8 B a column, so the peak is the sample frame being built
#: (``make_samples``, about 140 B a point beside its inputs). Measured: 4.0× for the smallest GPX
#: point (48 B), 3.5× for the smallest TCX one (58 B), 1.4–2.6× with a few fields; before, 4–9.4×.
MAX_VALID_FLOOD_MEMORY_PER_BYTE = 4.5

_T0 = pd.Timestamp("2026-01-01T10:00:00Z")
_GPX_POINTS = {
    "gpx-time": "<trkpt><time>{t}</time></trkpt>",
    "gpx-position": '<trkpt lat="45.{i:06d}" lon="14.0"><time>{t}</time></trkpt>',
    "gpx-extensions": "<trkpt><time>{t}</time><extensions><hr>150</hr><cad>88</cad></extensions></trkpt>",
    "tcx-time": "<Trackpoint><Time>{t}</Time></Trackpoint>",
    "tcx-fields": (
        "<Trackpoint><Time>{t}</Time><DistanceMeters>{i}</DistanceMeters>"
        "<HeartRateBpm><Value>150</Value></HeartRateBpm></Trackpoint>"
    ),
}


@pytest.mark.parametrize("case", list(_GPX_POINTS))
def test_floods_of_minimal_valid_records_are_read_in_bounded_memory(case):
    """50,000 distinct timed points, each as small as the format allows (with a few fields or not):
    read as an activity of 50,000 samples, at no more than half the memory per byte they cost when
    a whole segment of points waited as strings (``PointColumns``)."""
    from hiprisk.importers.gpx import parse_gpx
    from hiprisk.importers.tcx import parse_tcx

    n = 50_000
    stamps = (_T0 + pd.to_timedelta(range(n), unit="s")).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = "".join(_GPX_POINTS[case].format(i=i, t=t) for i, t in enumerate(stamps)).encode()
    if case.startswith("gpx"):
        doc, parse = GPX_HEAD + body + GPX_TAIL, parse_gpx
    else:
        doc, parse = TCX_HEAD + b"<Lap><Track>" + body + b"</Track></Lap>" + TCX_TAIL, parse_tcx
    (act,) = parse(doc, "flood")
    assert len(act.samples) == n and act.elapsed_s == n - 1
    assert act.samples["time_utc"].is_monotonic_increasing
    ratio = _peak_ratio(parse, doc)
    assert ratio < MAX_VALID_FLOOD_MEMORY_PER_BYTE <= MAX_MEMORY_PER_BYTE, ratio


def _one_point_activities(fmt: str, n: int) -> bytes:
    """``n`` activities of one timed point each, 6 h 1 s apart (GPX: one ``<trk>`` each, split by the gap)."""
    times = pd.date_range("2020-01-01", periods=n, freq="21601s").strftime("%Y-%m-%dT%H:%M:%SZ")
    if fmt == "gpx":
        body = "".join(
            f'<trk><trkseg><trkpt lat="45" lon="14"><time>{t}</time></trkpt></trkseg></trk>' for t in times
        )
        return b"<gpx>" + body.encode() + b"</gpx>"
    body = "".join(f"<Activity Sport='Running'><Id>{t}</Id></Activity>" for t in times)
    return TCX_HEAD[: TCX_HEAD.index(b"<Activity ")] + body.encode() + TCX_TAIL[len(b"</Activity>") :]


@pytest.mark.parametrize("fmt", ["gpx", "tcx"])
def test_activities_per_file_are_bounded(fmt, monkeypatch):
    """Each activity costs a few ms and some hundred kB however short its XML: a file of 20,000 one-point
    activities (55-105 kB gzipped) took minutes and 150x its size. The bound, then its boundary."""
    from hiprisk.importers import base, gpx, tcx

    doc = _one_point_activities(fmt, 20_000)
    assert len(gzip.compress(doc)) < 120_000
    t0 = time.process_time()
    with pytest.raises(UnsafeInputError) as info:
        decode(doc, fmt, f"many.{fmt}")
    assert time.process_time() - t0 < 30  # was minutes; a generous bound against a hang, not a timing
    assert info.value.reason == "unsafe input: more than 1000 activities in one file"

    for module in (base, gpx, tcx):
        monkeypatch.setattr(module, "MAX_ACTIVITIES_PER_FILE", 3)
    acts = decode(_one_point_activities(fmt, 3), fmt, f"three.{fmt}")
    assert [a.start_utc for a in acts] == list(
        pd.date_range("2020-01-01", periods=3, freq="21601s", tz="UTC")
    )
    with pytest.raises(UnsafeInputError, match="more than 3 activities"):
        decode(_one_point_activities(fmt, 4), fmt, f"four.{fmt}")
