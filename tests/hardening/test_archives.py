"""Hostile archives beyond ``tests/importers/test_sources.py`` (which covers zip slip, symbolic links,
ratio and gzip bombs, nesting depth, corrupt zips and the total bound while walking): the same attacks
through the whole import (``import_paths`` and the CLI), lying size headers, stored members over the size
bound, encrypted and unsupported members, UNC and backslash paths, and a zip slip inside a nested export
zip. Every fixture is built here."""

from __future__ import annotations

import io
import struct
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import hiprisk
from hiprisk.cli import cli
from hiprisk.errors import FileFormatError, UnsafeInputError
from hiprisk.importers import sources
from hiprisk.importers.sources import UnreadableFile, iter_sources
from hiprisk.synthetic import encode_activity, simulate_run

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def fit_bytes() -> bytes:
    return encode_activity(simulate_run("2026-03-02T06:00:00Z", 1.0, seed=3, smart_recording=True))


def zip_bytes(members: dict, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return buffer.getvalue()


def symlink_member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = 0o120777 << 16
    return info


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_hostile_archive_through_the_import(home, tmp_path, fit_bytes, monkeypatch):
    """One good run among hostile members: the run is imported, each hostile member is a failed file with
    its reason, nothing is written outside the data folder, and the CLI exits with status 1."""
    monkeypatch.chdir(tmp_path)
    big = bytes(11 * MiB)  # deflates ~1000:1
    nested = zip_bytes({"../../nested-evil.fit": fit_bytes, "inner-ok.fit": fit_bytes + b""})
    members = {
        "runs/good.fit": fit_bytes,
        "../../evil.fit": fit_bytes,
        "/abs/evil.fit": fit_bytes,
        "\\\\server\\share\\unc.fit": fit_bytes,
        "\\rooted.fit": fit_bytes,
        symlink_member("runs/link.fit"): b"/etc/passwd",
        "bomb.fit": big,
        "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip": nested,
    }
    archive = tmp_path / "in" / "hostile.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    before = tree(tmp_path)

    summary = hiprisk.import_paths([archive], workers=1)
    failed = {name.split("!", 1)[1]: reason for name, reason in summary.failed}
    assert len(summary.added) == 1  # runs/good.fit; inner-ok.fit is the same content: present
    assert summary.present == 1
    for member in ("../../evil.fit", "/abs/evil.fit", "\\\\server\\share\\unc.fit", "\\rooted.fit"):
        assert "zip slip" in failed[member], member
    assert "symbolic-link" in failed["runs/link.fit"]
    assert "bomb" in failed["bomb.fit"]
    part = "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip"
    assert "zip slip" in failed[f"{part}!../../nested-evil.fit"]
    assert len(failed) == 7
    created = tree(tmp_path) - before
    assert all(p.startswith("hiprisk-home") for p in created), created
    assert not (tmp_path.parent / "evil.fit").exists() and not (tmp_path.parent / "nested-evil.fit").exists()

    result = CliRunner().invoke(cli, ["import", str(archive)])
    assert result.exit_code == 1
    assert result.output.count("  failed: ") == 7 and "Traceback" not in result.output


def test_a_stored_member_over_the_size_bound_is_refused_before_reading(tmp_path, monkeypatch):
    """No compression, so no ratio to catch: the declared size alone refuses it, unread."""
    monkeypatch.setattr(sources, "MAX_FILE_BYTES", 1 * MiB)
    archive = tmp_path / "stored.zip"
    archive.write_bytes(zip_bytes({"big.fit": bytes(2 * MiB)}, zipfile.ZIP_STORED))
    (item,) = list(iter_sources([archive]))
    read = []
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: read.append(a) or pytest.fail("read"))
    with pytest.raises(UnsafeInputError, match=r"decompressed size over 1 MiB \(zip/gzip bomb\?\)"):
        item.read()
    assert read == []


def _patch_sizes(data: bytes, name: bytes, declared: int) -> bytes:
    """Make the local and central headers of member ``name`` declare ``declared`` uncompressed bytes."""
    out = bytearray(data)
    local = out.index(b"PK\x03\x04")
    struct.pack_into("<I", out, local + 22, declared)
    central = out.index(b"PK\x01\x02")  # a one-member archive: the first central header is it
    assert out[central + 46 : central + 46 + len(name)] == name
    struct.pack_into("<I", out, central + 24, declared)
    return bytes(out)


def test_a_member_that_lies_about_its_size_inflates_no_further_than_declared(tmp_path):
    """A bomb whose headers declare 1000 bytes for 50 MiB of zeros: nothing past the declared size is
    inflated (the read stops and the CRC fails), quickly and with a typed error."""
    honest = zip_bytes({"liar.fit": bytes(50 * MiB)})
    archive = tmp_path / "liar.zip"
    archive.write_bytes(_patch_sizes(honest, b"liar.fit", 1000))
    (item,) = list(iter_sources([archive]))
    assert isinstance(item, sources.SourceFile)
    t0 = time.perf_counter()
    with pytest.raises(FileFormatError, match="unreadable zip member") as info:
        item.read()
    assert time.perf_counter() - t0 < 0.5
    assert "CRC" in info.value.reason


def test_encrypted_and_unsupported_members_are_typed_failures(home, tmp_path, fit_bytes):
    data = bytearray(zip_bytes({"secret.fit": fit_bytes, "odd.fit": fit_bytes}))
    # encrypted flag (bit 0 of the general purpose flags) on secret.fit, method 97 on odd.fit
    for sig, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        start = 0
        for name in (b"secret.fit", b"odd.fit"):
            pos = data.index(sig, start)
            start = pos + 4
            if name == b"secret.fit":
                struct.pack_into(
                    "<H", data, pos + flag_at, struct.unpack_from("<H", data, pos + flag_at)[0] | 1
                )
            else:
                struct.pack_into("<H", data, pos + method_at, 97)
    archive = tmp_path / "odd.zip"
    archive.write_bytes(bytes(data))
    summary = hiprisk.import_paths([archive], workers=1)
    reasons = {name.rsplit("!", 1)[1]: reason for name, reason in summary.failed}
    assert reasons["secret.fit"] == "encrypted zip member (password-protected)"
    assert reasons["odd.fit"].startswith("unreadable zip member")
    assert summary.added == []


def test_a_nested_archive_that_lies_about_its_size_is_bounded(tmp_path, monkeypatch):
    """A zip inside a zip is read into memory: its declared size is checked against the nested bound
    before, and the read is cut at the bound whatever the headers say."""
    monkeypatch.setattr(sources, "MAX_NESTED_ARCHIVE_BYTES", 1 * MiB)
    inner = zip_bytes({"x.fit": bytes(3 * MiB)}, zipfile.ZIP_STORED)
    outer = tmp_path / "outer.zip"
    outer.write_bytes(zip_bytes({"inner.zip": inner}, zipfile.ZIP_STORED))
    (item,) = list(iter_sources([outer]))
    assert isinstance(item, UnreadableFile) and isinstance(item.error, UnsafeInputError)
    assert "1 MiB" in item.reason
