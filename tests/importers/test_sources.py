"""Walking inputs into SourceFile / SkippedFile items: files, folders, zips, exports, hostile archives."""

from __future__ import annotations

import gzip
import io
import json
import os
import zipfile
import zlib
from pathlib import Path

import pytest

from hiprisk.errors import FileFormatError, UnsafeInputError
from hiprisk.importers import sources
from hiprisk.importers.base import FORMATS, SkippedFile, SourceFile
from hiprisk.importers.sources import UnreadableFile, find_export_gear, iter_sources

STRAVA = "odd/strava-export-archipelagic"
# Activity id → (Activity Type as SOURCES.md lists it → our sport, Activity Name in the CSV).
STRAVA_ORACLE = {
    "638693618": ("running", "Lauf am Abend"),
    "668551054": ("running", "Lauf am Morgen"),
    "895988668": ("cycling", "Tour du lac par Col de Forclaz"),
    "902707189": ("cycling", "Col de la Forclaz - Doussard - Annecy"),
    "1009074316": ("running", "Maxi Race"),
    "3163073099": ("hiking", "Winter hike Vercors"),
}
FAKE_FIT = b"\x0e\x10\x00\x00\x00\x00\x00\x00.FIT\x00\x00" + b"record" * 50


def make_zip(path: Path, members, compression=zipfile.ZIP_DEFLATED) -> Path:
    """Write a zip: ``members`` maps a name or a ZipInfo to bytes."""
    with zipfile.ZipFile(path, "w", compression) as zf:
        for member, data in members.items():
            if isinstance(member, zipfile.ZipInfo):
                member.compress_type = compression
            zf.writestr(member, data)
    return path


def zip_bytes(members, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return buffer.getvalue()


def split(items):
    files = [i for i in items if isinstance(i, SourceFile)]
    skipped = [i for i in items if isinstance(i, SkippedFile)]
    assert len(files) + len(skipped) == len(items)
    return files, skipped


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


# ------------------------------------------------------------------------------------ real corpus files


def test_fit_gz_reads_a_fit_header(corpus):
    path = corpus / "odd" / "14582164182.fit.gz"
    (item,) = list(iter_sources([path]))
    assert isinstance(item, SourceFile)
    assert item.fmt == "fit"
    assert item.name == str(path)
    data = item.read()
    assert data[8:12] == b".FIT"
    assert data == gzip.decompress(path.read_bytes())


def test_garmin_original_zip_holds_one_gpx(corpus):
    path = corpus / "odd" / "garmin-original-19016950.zip"
    (item,) = list(iter_sources([path]))
    assert isinstance(item, SourceFile)
    assert item.fmt == "gpx"
    assert item.name == f"{path}!19016950_UNKNOWN.gpx"
    with zipfile.ZipFile(path) as zf:
        expected = zf.read("19016950_UNKNOWN.gpx")
    assert item.read() == expected
    assert b"<gpx" in expected[:200]


def check_strava(items, prefix: str):
    files, skipped = split(items)
    assert len(files) == 6
    by_id = {}
    for f in files:
        assert f.fmt == "gpx"
        assert f.name.startswith(prefix)
        assert f.meta is not None and f.meta.export == "strava"
        by_id[f.meta.external_id] = f
    assert set(by_id) == set(STRAVA_ORACLE)
    for activity_id, (sport, title) in STRAVA_ORACLE.items():
        meta = by_id[activity_id].meta
        assert (meta.sport, meta.name, meta.shoe) == (sport, title, None)
        assert by_id[activity_id].name.endswith(f"activities/{activity_id}.gpx")
    assert [s.name.rsplit("/", 1)[-1].rsplit("!", 1)[-1] for s in skipped] == ["activities.csv"]
    assert skipped[0].reason.startswith("export metadata")
    return {f.meta.external_id: (f.fmt, f.meta) for f in files}, by_id


def test_strava_export_folder_and_zip_agree(corpus, tmp_path):
    folder = corpus / STRAVA
    from_folder, by_id = check_strava(list(iter_sources([folder])), str(folder))
    ultra = by_id["1009074316"].read()
    assert ultra == (folder / "activities" / "1009074316.gpx").read_bytes()

    for prefix in ("", "export_12345/"):  # Strava zips hold the export at the root; try a prefix too
        archive = tmp_path / f"strava{len(prefix)}.zip"
        make_zip(
            archive,
            {prefix + str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()},
        )
        from_zip, zip_ids = check_strava(list(iter_sources([archive])), f"{archive}!{prefix}")
        assert from_zip == from_folder
        assert zip_ids["1009074316"].read() == ultra


def test_strava_metadata_reached_from_inside_the_export(corpus):
    folder = corpus / STRAVA
    files, skipped = split(list(iter_sources([folder / "activities"])))
    assert len(files) == 6 and skipped == []
    assert all(f.meta.export == "strava" and f.meta.external_id for f in files)
    (one,) = list(iter_sources([folder / "activities" / "3163073099.gpx"]))
    assert (one.meta.sport, one.meta.name) == ("hiking", "Winter hike Vercors")


def test_whole_corpus(corpus):
    """Every file of the corpus is one item; zips count as their members; .csv oracles are skipped."""
    expected_count = 0
    expected_fmts: dict[str, int] = {}
    for root, _dirs, names in os.walk(corpus):
        for name in names:
            if name.lower().endswith(".zip"):
                with zipfile.ZipFile(Path(root) / name) as zf:
                    members = [i.filename for i in zf.infolist() if not i.is_dir()]
            else:
                members = [name]
            for member in members:
                expected_count += 1
                ext = Path(member.lower().removesuffix(".gz")).suffix
                if ext in FORMATS:
                    expected_fmts[FORMATS[ext]] = expected_fmts.get(FORMATS[ext], 0) + 1

    items = list(iter_sources([corpus]))
    assert len(items) == expected_count
    assert len({i.name for i in items}) == len(items)
    files, skipped = split(items)
    fmts: dict[str, int] = {}
    for f in files:
        fmts[f.fmt] = fmts.get(f.fmt, 0) + 1
    assert fmts == expected_fmts
    assert all(s.reason and not isinstance(s, UnreadableFile) for s in skipped)
    csvs = [i for i in items if i.name.lower().endswith(".csv")]
    assert csvs and all(isinstance(i, SkippedFile) for i in csvs)
    # Stable order: the same walk twice gives the same sequence.
    assert [i.name for i in iter_sources([corpus])] == [i.name for i in items]


# ------------------------------------------------------------------------------------ inputs and names


def test_missing_input_raises_before_anything_is_yielded(tmp_path):
    (tmp_path / "a.fit").write_bytes(FAKE_FIT)
    with pytest.raises(FileFormatError, match="no such file or folder"):
        iter_sources([tmp_path / "a.fit", tmp_path / "missing.fit"])


def test_corrupt_top_level_zip_raises(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(FileFormatError, match="not a readable zip archive"):
        iter_sources([bad])
    truncated = tmp_path / "truncated.zip"
    whole = zip_bytes({"a.fit": FAKE_FIT * 10})
    truncated.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(FileFormatError, match="not a readable zip archive"):
        iter_sources(str(truncated))  # a single path is accepted too


def test_extensions_gzip_detection_and_reasons(tmp_path):
    (tmp_path / "A.FIT").write_bytes(FAKE_FIT)
    (tmp_path / "b.GPX.GZ").write_bytes(gzip.compress(b"<gpx/>"))
    (tmp_path / "c.tcx.gz").write_bytes(b"<TrainingCenterDatabase/>")  # named .gz, actually plain
    (tmp_path / "d.txt").write_text("notes")
    (tmp_path / "README").write_text("x")
    (tmp_path / "e.csv.gz").write_bytes(gzip.compress(b"a,b"))
    items = list(iter_sources([tmp_path]))
    assert [i.name for i in items] == [
        str(tmp_path / n) for n in ("A.FIT", "README", "b.GPX.GZ", "c.tcx.gz", "d.txt", "e.csv.gz")
    ]
    by_name = {Path(i.name).name: i for i in items}
    assert by_name["A.FIT"].fmt == "fit" and by_name["A.FIT"].read() == FAKE_FIT
    assert by_name["b.GPX.GZ"].fmt == "gpx" and by_name["b.GPX.GZ"].read() == b"<gpx/>"
    assert by_name["c.tcx.gz"].read() == b"<TrainingCenterDatabase/>"
    assert by_name["d.txt"].reason == "not an activity file (.txt)"
    assert by_name["README"].reason == "not an activity file (no extension)"
    assert by_name["e.csv.gz"].reason == "not an activity file (.csv.gz)"


def test_relative_names_stay_relative(tmp_path, monkeypatch):
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "a.fit").write_bytes(FAKE_FIT)
    monkeypatch.chdir(tmp_path)
    (item,) = list(iter_sources(["runs"]))
    assert item.name == os.path.join("runs", "a.fit")


def test_hidden_files_recursion_and_duplicates(tmp_path):
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.fit").write_bytes(FAKE_FIT)
    (tmp_path / ".DS_Store").write_bytes(b"\0")
    (tmp_path / "2024" / "05").mkdir(parents=True)
    (tmp_path / "2024" / "05" / "b.fit").write_bytes(FAKE_FIT)
    (tmp_path / "2024" / "a.gpx").write_bytes(b"<gpx/>")
    make_zip(tmp_path / "z.zip", {"__MACOSX/._r.fit": b"junk", ".hidden.fit": b"x", "r.fit": FAKE_FIT})
    items = list(iter_sources([tmp_path, tmp_path / "2024" / "a.gpx"]))  # a.gpx given twice
    assert [i.name for i in items] == [
        str(tmp_path / "2024" / "05" / "b.fit"),
        str(tmp_path / "2024" / "a.gpx"),
        f"{tmp_path / 'z.zip'}!r.fit",
    ]


def test_read_is_lazy_and_fingerprint_cheap(tmp_path):
    path = tmp_path / "a.fit"
    path.write_bytes(FAKE_FIT)
    items = iter_sources([tmp_path])
    assert iter(items) is items  # an iterator, not a list
    (item,) = list(items)
    st = path.stat()
    assert item.fingerprint == f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    path.write_bytes(b"changed after the walk")
    assert item.read() == b"changed after the walk"  # read() reads when called, not before


def test_member_fingerprint(tmp_path):
    archive = make_zip(tmp_path / "x.zip", {"act/1.fit": FAKE_FIT})
    (item,) = list(iter_sources([archive]))
    st = archive.stat()
    crc = zlib.crc32(FAKE_FIT)
    assert item.fingerprint == (
        f"{archive.resolve()}|{st.st_size}|{st.st_mtime_ns}!act/1.fit|{crc:08x}|{len(FAKE_FIT)}"
    )
    assert item.name == f"{archive}!act/1.fit"


def test_symlinks_in_folders(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "t.fit").write_bytes(FAKE_FIT)
    walked = tmp_path / "walked"
    walked.mkdir()
    (walked / "dirlink").symlink_to(target, target_is_directory=True)
    (walked / "filelink.fit").symlink_to(target / "t.fit")
    (walked / "broken.fit").symlink_to(tmp_path / "nowhere.fit")
    by_name = {Path(i.name).name: i for i in iter_sources([walked])}
    assert isinstance(by_name["broken.fit"], UnreadableFile)
    assert by_name["broken.fit"].reason == "broken symbolic link"
    assert by_name["dirlink"].reason == "symbolic link to a folder, not followed"
    assert by_name["filelink.fit"].read() == FAKE_FIT


# ------------------------------------------------------------------------------------ Garmin export


def fake_garmin_export(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A small Garmin Connect data export shaped like the documented layout (not a real export)."""
    uploads = {
        "jo@example.com_1001.fit": FAKE_FIT + b"1",
        "jo@example.com_1002.fit": FAKE_FIT + b"2",
        "jo@example.com_1003.gpx": b"<gpx/>",
    }
    gear = [{"gearDTOS": [{"gearPk": 7, "displayName": "Road shoes", "gearTypeName": "Shoes"}]}]
    members = {
        "DI_CONNECT/DI-Connect-Fitness/jo@example.com_0_summarizedActivities.json": b"[]",
        "DI_CONNECT/DI-Connect-Fitness/jo@example.com_gear.json": json.dumps(gear).encode(),
        "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip": zip_bytes(uploads),
    }
    return make_zip(tmp_path / "garmin_export.zip", members), uploads


def test_garmin_export_nested_zip(tmp_path):
    archive, uploads = fake_garmin_export(tmp_path)
    files, skipped = split(list(iter_sources([archive])))
    part = f"{archive}!DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip"
    assert [f.name for f in files] == [f"{part}!{n}" for n in sorted(uploads)]
    assert [f.fmt for f in files] == ["fit", "fit", "gpx"]
    assert all(f.meta is not None and f.meta.export == "garmin" for f in files)
    assert [f.read() for f in files] == [uploads[n] for n in sorted(uploads)]
    assert files[0].fingerprint.startswith(f"{archive.resolve()}|")
    assert "!DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip|" in files[0].fingerprint
    reasons = {s.name.rsplit("/", 1)[-1]: s.reason for s in skipped}
    assert reasons == {
        "jo@example.com_0_summarizedActivities.json": "not an activity file (.json)",
        "jo@example.com_gear.json": "export metadata (Garmin gear list, see find_export_gear)",
    }


def test_garmin_export_extracted_folder(tmp_path):
    archive, uploads = fake_garmin_export(tmp_path)
    out = tmp_path / "extracted"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(out)  # the test extracts its own trusted archive; hiprisk never does
    files, _ = split(list(iter_sources([out])))
    assert sorted(f.read() for f in files) == sorted(uploads.values())
    assert all(f.meta.export == "garmin" for f in files)


def test_find_export_gear(tmp_path):
    archive, _ = fake_garmin_export(tmp_path)
    strava = tmp_path / "strava"
    (strava / "activities").mkdir(parents=True)
    (strava / "activities.csv").write_text("Activity ID,Filename\n1,activities/1.gpx\n")
    (strava / "activities" / "1.gpx").write_bytes(b"<gpx/>")
    (strava / "shoes.csv").write_text("Shoe Name,Shoe Brand,Shoe Model\n,Nike,Pegasus 40\n")
    gear = find_export_gear([archive, strava])
    assert [(g.name, g.export, g.kind) for g in gear] == [
        ("Road shoes", "garmin", "shoe"),
        ("Nike Pegasus 40", "strava", "shoe"),
    ]
    assert gear[1].source == str(strava / "shoes.csv")
    (item,) = [i for i in iter_sources([strava]) if i.name.endswith("shoes.csv")]
    assert item.reason.startswith("export metadata")

    (strava / "shoes.csv").write_text("nothing useful\n")
    with pytest.raises(FileFormatError):
        find_export_gear([strava])
    errors: list[UnreadableFile] = []
    assert find_export_gear([strava], errors=errors) == []
    assert [e.name for e in errors] == [str(strava / "shoes.csv")]


def test_strava_zip_routes_and_unlisted_files(tmp_path):
    csv = "Activity ID,Activity Type,Filename\n5,Trail Run,activities/5.fit.gz\n"
    archive = make_zip(
        tmp_path / "export_1.zip",
        {
            "activities.csv": csv,
            "activities/5.fit": FAKE_FIT,  # the user gunzipped it: still matched
            "activities/6.gpx.gz": gzip.compress(b"<gpx/>"),  # no row in the CSV
            "routes/77.gpx": b"<gpx/>",
            "profile.csv": "x",
        },
    )
    items = {i.name.split("!", 1)[1]: i for i in iter_sources([archive])}
    assert (items["activities/5.fit"].meta.sub_sport, items["activities/5.fit"].meta.external_id) == (
        "trail",
        "5",
    )
    assert items["activities/6.gpx.gz"].meta.export == "strava"
    assert items["activities/6.gpx.gz"].meta.external_id is None
    assert items["activities/6.gpx.gz"].read() == b"<gpx/>"
    assert items["routes/77.gpx"].reason.startswith("Strava route")
    assert items["profile.csv"].reason == "not an activity file (.csv)"


def test_broken_strava_csv_is_a_failure_not_a_crash(tmp_path):
    export = tmp_path / "export"
    (export / "activities").mkdir(parents=True)
    (export / "activities.csv").write_text("no,useful,columns\n")
    (export / "activities" / "1.gpx").write_bytes(b"<gpx/>")
    gpx, csv_item = list(iter_sources([export]))  # "activities/" sorts before "activities.csv"
    assert isinstance(csv_item, UnreadableFile) and "Filename" in csv_item.reason
    assert isinstance(gpx, SourceFile) and gpx.meta.export == "strava"


# ------------------------------------------------------------------------------------ hostile archives


@pytest.fixture
def watched(tmp_path, monkeypatch):
    """A working directory and a tree snapshot: nothing may be written outside what the test makes."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return tmp_path


def consume(items):
    """Read every SourceFile, collecting the errors; return {member name: item or error}."""
    out = {}
    for item in items:
        key = item.name.split("!", 1)[-1]
        if isinstance(item, SourceFile):
            try:
                out[key] = item.read()
            except (FileFormatError, UnsafeInputError) as exc:
                out[key] = exc
        else:
            out[key] = item
    return out


def test_zip_slip_absolute_and_symlink_members(watched):
    link = zipfile.ZipInfo("link.fit")
    link.create_system = 3
    link.external_attr = 0o120777 << 16
    archive = make_zip(
        watched / "hostile.zip",
        {
            "../../evil.fit": FAKE_FIT,
            "..\\evil2.fit": FAKE_FIT,
            "/abs/evil.fit": FAKE_FIT,
            "C:/evil3.fit": FAKE_FIT,
            "../../evil.sh": b"#!/bin/sh",
            link: b"/etc/passwd",
            "ok.fit": FAKE_FIT,
        },
    )
    before = tree(watched)
    got = consume(iter_sources([archive]))
    for member in ("../../evil.fit", "..\\evil2.fit", "/abs/evil.fit", "C:/evil3.fit"):
        assert isinstance(got[member], UnsafeInputError), member
        assert "zip slip" in got[member].reason
        assert got[member].path == f"{archive}!{member}"
    assert isinstance(got["../../evil.sh"], UnreadableFile)
    assert isinstance(got["../../evil.sh"].error, UnsafeInputError)
    assert isinstance(got["link.fit"], UnsafeInputError) and "symbolic-link" in got["link.fit"].reason
    assert got["ok.fit"] == FAKE_FIT
    assert tree(watched) == before
    assert not any((watched / "cwd").iterdir())
    assert not (watched.parent / "evil.fit").exists()


def test_zip_bomb_member(watched):
    big = bytes(11 * 1024 * 1024)  # 11 MiB of zeros: deflates ~1000:1
    archive = make_zip(watched / "bomb.zip", {"bomb.fit": big, "fine.txt": big[:1000]})
    got = consume(iter_sources([archive]))
    assert isinstance(got["bomb.fit"], UnsafeInputError)
    assert "compression ratio" in got["bomb.fit"].reason and "bomb" in got["bomb.fit"].reason
    assert got["fine.txt"].reason == "not an activity file (.txt)"
    # The same bomb as a nested archive is refused before it is opened.
    outer = make_zip(watched / "outer.zip", {"inner.zip": zip_bytes({"x.fit": big}, zipfile.ZIP_STORED)})
    (item,) = list(iter_sources([outer]))
    assert isinstance(item, UnreadableFile) and "compression ratio" in item.reason


def test_gzip_bomb(watched, monkeypatch):
    assert sources.MAX_FILE_BYTES == 256 * 1024 * 1024
    monkeypatch.setattr(sources, "MAX_FILE_BYTES", 1024 * 1024)
    bomb = gzip.compress(bytes(2 * 1024 * 1024))
    (watched / "bomb.fit.gz").write_bytes(bomb)
    make_zip(watched / "in.zip", {"activities/1.fit.gz": bomb})
    items = list(iter_sources([watched / "bomb.fit.gz", watched / "in.zip"]))
    assert len(items) == 2
    for item in items:
        with pytest.raises(UnsafeInputError, match=r"decompressed size over 1 MiB \(zip/gzip bomb\?\)"):
            item.read()


def test_corrupt_gzip_and_bad_crc(watched):
    (watched / "cut.fit.gz").write_bytes(gzip.compress(FAKE_FIT * 100)[:40])
    (item,) = list(iter_sources([watched / "cut.fit.gz"]))
    with pytest.raises(FileFormatError, match="corrupt gzip"):
        item.read()
    raw = bytearray(zip_bytes({"a.fit": FAKE_FIT}, zipfile.ZIP_STORED))
    start = raw.index(FAKE_FIT)
    raw[start + 20] ^= 0xFF  # flip one content byte: the CRC no longer matches
    (watched / "crc.zip").write_bytes(bytes(raw))
    (item,) = list(iter_sources([watched / "crc.zip"]))
    with pytest.raises(FileFormatError, match="unreadable zip member.*CRC"):
        item.read()


def test_nesting_depth(watched):
    def nest(levels: int) -> bytes:
        data = zip_bytes({"x.fit": FAKE_FIT})
        for i in range(levels - 1):
            data = zip_bytes({f"level{levels - 1 - i}.zip": data})
        return data

    (watched / "three.zip").write_bytes(nest(3))  # three.zip!level1.zip!level2.zip!x.fit
    (item,) = list(iter_sources([watched / "three.zip"]))
    assert item.name == f"{watched / 'three.zip'}!level1.zip!level2.zip!x.fit"
    assert item.read() == FAKE_FIT
    (watched / "four.zip").write_bytes(nest(4))
    (item,) = list(iter_sources([watched / "four.zip"]))
    assert isinstance(item, UnreadableFile) and isinstance(item.error, UnsafeInputError)
    assert item.name == f"{watched / 'four.zip'}!level1.zip!level2.zip!level3.zip"
    assert "nested more than 3 levels" in item.reason


def test_corrupt_zips_inside_folders_and_archives(watched):
    (watched / "in").mkdir()
    (watched / "in" / "broken.zip").write_bytes(b"not a zip at all")
    (watched / "in" / "good.fit").write_bytes(FAKE_FIT)
    make_zip(watched / "in" / "outer.zip", {"inner.zip": b"PK\x03\x04garbage", "y.fit": FAKE_FIT})
    before = tree(watched)
    items = list(iter_sources([watched / "in"]))
    broken = [i for i in items if isinstance(i, UnreadableFile)]
    assert [b.name for b in broken] == [
        str(watched / "in" / "broken.zip"),
        f"{watched / 'in' / 'outer.zip'}!inner.zip",
    ]
    assert all(b.reason.startswith("not a readable zip archive") for b in broken)
    readable = [i.read() for i in items if isinstance(i, SourceFile)]
    assert readable == [FAKE_FIT, FAKE_FIT]  # good.fit and outer.zip!y.fit
    assert tree(watched) == before


def test_archive_total_bound(watched, monkeypatch):
    monkeypatch.setattr(sources, "MAX_ARCHIVE_TOTAL_BYTES", 1000)
    archive = make_zip(watched / "big.zip", {"a.fit": FAKE_FIT, "b.fit": bytes(2000)})
    (item,) = list(iter_sources([archive]))
    assert isinstance(item, UnreadableFile) and isinstance(item.error, UnsafeInputError)
    assert "over the" in item.reason


def test_many_archives_stay_readable_under_the_open_bound(watched, monkeypatch):
    monkeypatch.setattr(sources, "MAX_OPEN_ARCHIVES", 2)
    for i in range(6):
        make_zip(watched / f"{i}.zip", {f"{i}.fit": FAKE_FIT + bytes([i])})
    items = list(iter_sources([watched]))  # all listed first, then read in reverse order
    assert len(items) == 6
    assert [i.read() for i in reversed(items)] == [FAKE_FIT + bytes([i]) for i in reversed(range(6))]
    assert len(sources._OPEN) <= 2


def test_one_bounded_gunzip_for_every_reader(monkeypatch):
    """Archives, FIT and GPX/TCX share ``gunzip_if_needed``, each with its own limit and wording."""
    from hiprisk.importers import fit, xmlsafe

    data = bytes(3000)
    packed, cut = gzip.compress(data), gzip.compress(data)[:-12]
    assert sources.gunzip_if_needed(data, "a", 10, corrupt="x", too_large="y") is data  # not gzip
    assert sources.gunzip_if_needed(packed, "a", 3000, corrupt="x", too_large="y") == data  # at the limit
    with pytest.raises(UnsafeInputError) as info:
        sources.gunzip_if_needed(packed, "a", 2999, corrupt="x", too_large="too big")
    assert (info.value.path, info.value.reason) == ("a", "too big")
    monkeypatch.setattr(sources, "MAX_FILE_BYTES", 1024 * 1024)
    monkeypatch.setattr(fit, "MAX_GUNZIPPED_BYTES", 1024 * 1024)
    monkeypatch.setattr(xmlsafe, "MAX_XML_BYTES", 1024 * 1024)
    bomb = gzip.compress(bytes(1024 * 1024 + 1))
    refusals = {
        "sources": (
            sources._gunzip_if_needed,
            "decompressed size over 1 MiB (zip/gzip bomb?)",
            "corrupt gzip data",
        ),
        "fit": (fit._gunzip_if_needed, "gzip data inflates beyond 1 MiB", "bad gzip data"),
        "xmlsafe": (
            xmlsafe.xml_bytes,
            "unsafe XML: decompressed document larger than 1 MiB",
            "not valid gzip",
        ),
    }
    for what, (gunzip, too_large, corrupt) in refusals.items():
        with pytest.raises(UnsafeInputError) as info:
            gunzip(bomb, "b.gz")
        assert info.value.reason == too_large, what
        with pytest.raises(FileFormatError) as info:
            gunzip(cut, "c.gz")
        assert not isinstance(info.value, UnsafeInputError)
        assert info.value.reason.startswith(f"{corrupt}: ") and "\n" not in info.value.reason, what
