"""Find the activity files in what a user points hiprisk at: files, folders, zips, bulk exports.

:func:`iter_sources` walks each input and yields one item per file met, lazily and in a stable order:

* a :class:`~hiprisk.importers.base.SourceFile` for each ``.fit``, ``.gpx`` or ``.tcx`` file (each
  possibly gzipped, extensions in any case). Nothing is read while walking: ``read()`` reads that one
  file's bytes when called and gunzips them (gzip is recognised by its magic bytes, not its name);
* a :class:`~hiprisk.importers.base.SkippedFile` for every other file, with the reason ("not an activity
  file (.csv)", "export metadata (...)", "Strava route (...)");
* an :class:`UnreadableFile` (a ``SkippedFile`` that also carries the error) for what could not be walked
  or was refused: a corrupt or too deeply nested zip, a symbolic-link or zip-slip member, an archive over
  its size bound. Callers that only know ``SkippedFile`` still see the reason; callers that count
  failures check ``isinstance(item, UnreadableFile)``.

A refused or damaged *activity* file inside an archive is a ``SourceFile`` whose ``read()`` raises
(:class:`~hiprisk.errors.UnsafeInputError` or :class:`~hiprisk.errors.FileFormatError`), so it is
reported as a failed import with its reason. The iterator itself raises only for an input path that does
not exist or cannot be opened at all, and it checks every input before yielding anything.

Inputs
------
* a single file; a folder (recursive, sorted by name, hidden files and folders skipped, symbolic links
  to folders not followed);
* a ``.zip`` anywhere: a Strava bulk export, a Garmin Connect data export, a Garmin "original" download
  (a zip holding one file), or any zip of activity files; zips inside zips down to
  :data:`MAX_ARCHIVE_DEPTH` levels (the Garmin export keeps its uploads in
  ``DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip``). Zip members are read in memory,
  never extracted to disk.
* A Strava export (an ``activities.csv`` next to an ``activities/`` folder, extracted or zipped) gives
  each of its files a :class:`~hiprisk.importers.base.SourceMeta` from ``activities.csv``.

Safety bounds (module constants, read at call time)
---------------------------------------------------
:data:`MAX_FILE_BYTES` per file after decompression, :data:`MAX_ARCHIVE_TOTAL_BYTES` of declared content
per archive, a compression ratio above :data:`MAX_COMPRESSION_RATIO` for members over
:data:`RATIO_CHECK_MIN_BYTES`, :data:`MAX_ARCHIVE_DEPTH` nested zips, :data:`MAX_NESTED_ARCHIVE_BYTES` for
a zip inside a zip (it is held in memory while its members are read).

Open archives are cached (at most :data:`MAX_OPEN_ARCHIVES` of them, and :data:`MAX_CACHED_ARCHIVE_BYTES`
of nested archives in memory) and closed when evicted or when the last ``SourceFile`` that needs them is
gone; a ``read()`` after eviction reopens the archive.

References
----------
.. [1] PKWARE, "APPNOTE.TXT - .ZIP File Format Specification", version 6.3.10 (2022), sections 4.3.7
   and 4.4.17 (local headers, file names: no drive letter, no leading slash).
.. [2] Snyk, "Zip Slip Vulnerability" (2018), https://security.snyk.io/research/zip-slip-vulnerability
.. [3] D. Fifield, "A better zip bomb", WOOT '19 (2019), https://www.bamsoftware.com/hacks/zipbomb/
"""

from __future__ import annotations

import functools
import gzip
import io
import os
import posixpath
import re
import stat
import threading
import weakref
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hiprisk.errors import FileFormatError, HipriskError, UnsafeInputError
from hiprisk.importers.base import FORMATS, SkippedFile, SourceFile, SourceMeta
from hiprisk.importers.exports import (
    GARMIN_FITNESS_DIR,
    GARMIN_GEAR_SUFFIX,
    GARMIN_UPLOADS_DIR,
    STRAVA_ACTIVITIES_CSV,
    STRAVA_ACTIVITIES_DIR,
    STRAVA_ROUTES_DIR,
    STRAVA_SHOES_CSV,
    GearRecord,
    parse_garmin_gear,
    parse_strava_activities,
    parse_strava_shoes,
)

__all__ = [
    "MAX_ARCHIVE_DEPTH",
    "MAX_ARCHIVE_TOTAL_BYTES",
    "MAX_CACHED_ARCHIVE_BYTES",
    "MAX_COMPRESSION_RATIO",
    "MAX_FILE_BYTES",
    "MAX_NESTED_ARCHIVE_BYTES",
    "MAX_OPEN_ARCHIVES",
    "RATIO_CHECK_MIN_BYTES",
    "UnreadableFile",
    "find_export_gear",
    "gunzip_if_needed",
    "iter_sources",
]

MiB = 1024 * 1024
GiB = 1024 * MiB

#: Largest file hiprisk reads, after gunzip/unzip [bytes]. A 24-hour FIT recording at 1 s is ~5 MB.
MAX_FILE_BYTES = 256 * MiB
#: Largest total of declared uncompressed sizes in one archive [bytes].
MAX_ARCHIVE_TOTAL_BYTES = 8 * GiB
#: Compression ratio (uncompressed / compressed) above which a large member is refused as a bomb.
MAX_COMPRESSION_RATIO = 200
#: Members smaller than this are not ratio-checked (a small text file can compress 1000:1) [bytes].
RATIO_CHECK_MIN_BYTES = 10 * MiB
#: Most zips in one chain: ``a.zip!b.zip!c.zip!x.fit`` is 3.
MAX_ARCHIVE_DEPTH = 3
#: Largest zip inside a zip; it is read into memory to be walked [bytes].
MAX_NESTED_ARCHIVE_BYTES = 1 * GiB
#: Archives kept open between reads.
MAX_OPEN_ARCHIVES = 16
#: Nested archives kept in memory between reads [bytes] (one in use is never evicted).
MAX_CACHED_ARCHIVE_BYTES = 1 * GiB

_GZIP_MAGIC = b"\x1f\x8b"
_BOMB = "(zip/gzip bomb?)"


@dataclass
class UnreadableFile(SkippedFile):
    """A file met while walking that could not be read or was refused: a failure, not a benign skip.

    ``reason`` is ``error.reason``; ``error`` is the typed error (``UnsafeInputError`` for refusals).
    """

    error: HipriskError | None = None


# ---------------------------------------------------------------------------------------------- names


def _split_name(basename: str) -> tuple[str | None, str]:
    """``(fmt, suffix)`` of a file name: ``"a.FIT.gz"`` → ``("fit", ".fit.gz")``."""
    lower = basename.lower()
    gz = lower.endswith(".gz")
    stem = lower[:-3] if gz else lower
    ext = posixpath.splitext(stem)[1]
    suffix = ext + (".gz" if gz else "")
    return FORMATS.get(ext), suffix or "no extension"


def _hidden(rel: str) -> bool:
    """Hidden (``.name``) at any level, or macOS resource-fork debris (``__MACOSX/``)."""
    return any(p.startswith(".") or p == "__MACOSX" for p in rel.split("/") if p)


def _unsafe_member_path(filename: str) -> bool:
    """Absolute, drive-letter or ``..`` member names (zip slip [2])."""
    name = filename.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return True
    return ".." in name.split("/")


def _is_symlink_member(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


# ---------------------------------------------------------------------------------------------- reading


def _limit_reason() -> str:
    return f"decompressed size over {MAX_FILE_BYTES // MiB} MiB {_BOMB}"


def _limit_error(name: str) -> UnsafeInputError:
    return UnsafeInputError(name, _limit_reason())


def gunzip_if_needed(data: bytes, name: str | None, limit: int, *, corrupt: str, too_large: str) -> bytes:
    """Gunzip ``data`` when it starts with the gzip magic; other bytes pass unchanged.

    Gzip is recognised by its magic bytes, never by a file name (a misnamed plain file is read as
    it is). At most ``limit + 1`` bytes are inflated, so a gzip bomb stops early. The one helper
    for every reader of possibly gzipped bytes (archives here, FIT, GPX/TCX), each with its own
    limit and wording.

    Parameters
    ----------
    data : bytes
        The bytes as read.
    name : str or None
        The file name for error messages.
    limit : int
        Most bytes the content may inflate to [B].
    corrupt : str
        The start of the reason for gzip that cannot be inflated (``"<corrupt>: <zlib's message>"``).
    too_large : str
        The reason when the content inflates beyond ``limit``.

    Raises
    ------
    FileFormatError
        Broken or truncated gzip.
    UnsafeInputError
        Content over ``limit`` bytes.
    """
    if not data.startswith(_GZIP_MAGIC):
        return data
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            out = stream.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise FileFormatError(name, f"{corrupt}: {message}") from exc
    if len(out) > limit:
        raise UnsafeInputError(name, too_large)
    return out


def _gunzip_if_needed(data: bytes, name: str) -> bytes:
    return gunzip_if_needed(
        data, name, MAX_FILE_BYTES, corrupt="corrupt gzip data", too_large=_limit_reason()
    )


def _read_path(path: Path, name: str, limit: int) -> bytes:
    try:
        with open(path, "rb") as stream:
            data = stream.read(limit + 1)
    except OSError as exc:
        raise FileFormatError(name, f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise UnsafeInputError(name, f"file over {limit // MiB} MiB")
    return data


def _plain_reader(path: Path, name: str) -> Callable[[], bytes]:
    def read() -> bytes:
        return _gunzip_if_needed(_read_path(path, name, MAX_FILE_BYTES), name)

    return read


def _member_problem(info: zipfile.ZipInfo, name: str, limit: int) -> HipriskError | None:
    """Why a member is refused before reading a byte of it, or None."""
    if _unsafe_member_path(info.filename):
        return UnsafeInputError(name, "unsafe member path (absolute or '..'), refused (zip slip)")
    if _is_symlink_member(info):
        return UnsafeInputError(name, "symbolic-link member, refused")
    if info.flag_bits & 0x1:
        return FileFormatError(name, "encrypted zip member (password-protected)")
    if info.file_size > limit:
        size = f"{limit // MiB} MiB" if limit >= MiB else f"{limit} bytes"
        return UnsafeInputError(name, f"decompressed size over {size} {_BOMB}")
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > RATIO_CHECK_MIN_BYTES and ratio > MAX_COMPRESSION_RATIO:
        return UnsafeInputError(
            name, f"compression ratio {ratio:.0f}:1 over {MAX_COMPRESSION_RATIO}:1 {_BOMB}"
        )
    return None


def _read_member(archive: _Archive, info: zipfile.ZipInfo, name: str, limit: int) -> bytes:
    """A member's bytes, read in memory with every bound checked (never written to disk)."""
    problem = _member_problem(info, name, limit)
    if problem is not None:
        raise problem
    zf = archive.acquire()
    try:
        with zf.open(info) as stream:
            data = stream.read(limit + 1)
    except HipriskError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError) as exc:
        # NotImplementedError (unsupported compression) is a RuntimeError
        raise FileFormatError(name, f"unreadable zip member: {exc}") from exc
    finally:
        archive.release()
    if len(data) > limit:
        raise _limit_error(name)
    return data


def _member_reader(archive: _Archive, info: zipfile.ZipInfo, name: str) -> Callable[[], bytes]:
    def read() -> bytes:
        return _gunzip_if_needed(_read_member(archive, info, name, MAX_FILE_BYTES), name)

    return read


def _raiser(error: HipriskError) -> Callable[[], bytes]:
    def read() -> bytes:
        raise error

    return read


# ---------------------------------------------------------------------------------------------- archives

_CACHE_LOCK = threading.RLock()
_OPEN: OrderedDict[int, weakref.ref[_Archive]] = OrderedDict()


def _forget(key: int) -> Callable[[weakref.ref], None]:
    def callback(_ref: weakref.ref) -> None:
        with _CACHE_LOCK:
            _OPEN.pop(key, None)

    return callback


def _evict() -> None:
    """Close least-recently-used archives not in use until within the count and memory bounds."""
    archives = [a for a in (ref() for ref in _OPEN.values()) if a is not None]
    memory = sum(a.memory for a in archives)
    count = len(archives)
    for archive in archives:
        if count <= MAX_OPEN_ARCHIVES and memory <= MAX_CACHED_ARCHIVE_BYTES:
            break
        if archive.users:
            continue
        memory -= archive.memory
        count -= 1
        archive.close()


class _Archive:
    """A zip, on disk or inside another zip, opened on demand and cached (see module docs)."""

    def __init__(
        self,
        name: str,
        fingerprint: str,
        depth: int,
        *,
        path: Path | None = None,
        parent: _Archive | None = None,
        info: zipfile.ZipInfo | None = None,
    ):
        self.name = name
        self.fingerprint = fingerprint
        self.depth = depth
        self.path = path
        self.parent = parent
        self.info = info
        self.users = 0
        self.memory = 0
        self._zf: zipfile.ZipFile | None = None

    def _open(self) -> tuple[zipfile.ZipFile, int]:
        try:
            if self.parent is not None and self.info is not None:
                data = _read_member(self.parent, self.info, self.name, MAX_NESTED_ARCHIVE_BYTES)
                return zipfile.ZipFile(io.BytesIO(data)), len(data)
            assert self.path is not None
            return zipfile.ZipFile(self.path), 0
        except HipriskError:
            raise
        except (zipfile.BadZipFile, EOFError, ValueError, RuntimeError, zlib.error) as exc:
            raise FileFormatError(self.name, f"not a readable zip archive: {exc}") from exc
        except OSError as exc:
            raise FileFormatError(self.name, f"cannot read: {exc.strerror or exc}") from exc

    def acquire(self) -> zipfile.ZipFile:
        """Open (or reuse) the zip and mark it in use until :meth:`release`."""
        with _CACHE_LOCK:
            if self._zf is None:
                self._zf, self.memory = self._open()
            self.users += 1
            key = id(self)
            if key not in _OPEN:
                _OPEN[key] = weakref.ref(self, _forget(key))
            _OPEN.move_to_end(key)
            _evict()
            return self._zf

    def release(self) -> None:
        with _CACHE_LOCK:
            self.users -= 1
            _evict()

    def close(self) -> None:
        with _CACHE_LOCK:
            if self._zf is not None:
                self._zf.close()
            self._zf = None
            self.memory = 0
            _OPEN.pop(id(self), None)

    def members(self) -> list[zipfile.ZipInfo]:
        zf = self.acquire()
        try:
            return list(zf.infolist())
        finally:
            self.release()


# ---------------------------------------------------------------------------------------------- walking


@dataclass
class _StravaExport:
    """A Strava bulk export met while walking: its root and what its ``activities.csv`` says."""

    root: str  # relative path of the export's folder inside the walked container, "" or "x/"
    by_file: dict[str, SourceMeta] = field(default_factory=dict)  # normalised Filename → meta
    by_id: dict[str, SourceMeta] = field(default_factory=dict)
    count: int = 0
    error: HipriskError | None = None

    def sub(self, rel: str) -> str | None:
        """Path of ``rel`` inside the export, or None when outside it."""
        return rel[len(self.root) :] if rel.startswith(self.root) else None

    def lookup(self, sub: str) -> SourceMeta:
        meta = self.by_file.get(_meta_key(sub))
        if meta is None and sub.lower().startswith(STRAVA_ACTIVITIES_DIR + "/"):
            meta = self.by_id.get(posixpath.basename(sub).split(".", 1)[0])
        return meta if meta is not None else SourceMeta(export="strava")


def _meta_key(path: str) -> str:
    key = path.replace("\\", "/").lower()
    return key[:-3] if key.endswith(".gz") else key


def _load_strava(root: str, read: Callable[[], bytes], name: str) -> _StravaExport:
    export = _StravaExport(root)
    try:
        metas = parse_strava_activities(read(), name)
    except HipriskError as exc:
        export.error = exc
        return export
    export.count = len(metas)
    for filename, meta in metas.items():
        export.by_file[_meta_key(filename)] = meta
        if meta.external_id:
            export.by_id.setdefault(meta.external_id, meta)
    return export


@dataclass
class _Node:
    """One file met by the walker, before it is classified."""

    name: str  # display path
    rel: str  # posix path inside the walked folder or archive
    fingerprint: str = ""
    read: Callable[[], bytes] | None = None
    strava: _StravaExport | None = None
    error: HipriskError | None = None  # refused member, unreadable archive or folder
    container: bool = False  # an archive or folder that could not be walked (``error`` says why)
    skip: str | None = None  # not looked at, with the reason


def _file_fingerprint(path: Path, st: os.stat_result) -> str:
    return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"


class _Walker:
    """Walks inputs into :class:`_Node` items; one instance per call (it remembers files already met)."""

    def __init__(self, max_depth: int):
        self.max_depth = max_depth
        self.seen: set[str] = set()
        self.exports: dict[str, _StravaExport] = {}  # resolved root folder → export

    # -- inputs
    def check(self, raw: str | os.PathLike) -> tuple[Path, _Archive | None]:
        """Fail fast for an input that does not exist or cannot be opened at all."""
        path = Path(raw)
        if not path.exists():
            why = "broken symbolic link" if path.is_symlink() else "no such file or folder"
            raise FileFormatError(str(path), why)
        if path.is_dir():
            try:
                with os.scandir(path):
                    pass
            except OSError as exc:
                raise FileFormatError(str(path), f"cannot open folder: {exc.strerror}") from exc
            return path, None
        if not path.is_file():
            raise FileFormatError(str(path), "not a regular file or folder")
        if path.name.lower().endswith(".zip"):
            st = path.stat()
            archive = _Archive(str(path), _file_fingerprint(path, st), 1, path=path)
            archive.members()  # raises FileFormatError("not a readable zip archive: ...")
            return path, archive
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise FileFormatError(str(path), f"cannot read: {exc.strerror}") from exc
        return path, None

    def walk_input(self, path: Path, archive: _Archive | None) -> Iterator[_Node]:
        if archive is not None:
            if self._first_time(path):
                yield from self.walk_archive(archive)
            return
        if path.is_dir():
            strava, rel = None, ""
            if path.name.lower() == STRAVA_ACTIVITIES_DIR:
                strava = self._strava_folder(path.parent, path.parent)
                rel = STRAVA_ACTIVITIES_DIR + "/" if strava else ""
            yield from self.walk_folder(path, path, rel, strava)
            return
        strava, rel = None, path.name
        if path.parent.name.lower() == STRAVA_ACTIVITIES_DIR:
            strava = self._strava_folder(path.parent.parent, path.parent.parent)
            if strava:
                rel = f"{STRAVA_ACTIVITIES_DIR}/{path.name}"
        yield from self._file_node(path, path, rel, strava)

    def _first_time(self, path: Path) -> bool:
        key = str(path.resolve())
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    # -- folders
    def _strava_folder(self, folder: Path, display: Path) -> _StravaExport | None:
        csv_path = folder / STRAVA_ACTIVITIES_CSV
        if not (csv_path.is_file() and (folder / STRAVA_ACTIVITIES_DIR).is_dir()):
            return None
        key = str(folder.resolve())
        if key not in self.exports:
            name = str(display / STRAVA_ACTIVITIES_CSV)
            self.exports[key] = _load_strava("", lambda: _read_path(csv_path, name, MAX_FILE_BYTES), name)
        return self.exports[key]

    def walk_folder(
        self, folder: Path, display: Path, rel: str, strava: _StravaExport | None
    ) -> Iterator[_Node]:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            error = FileFormatError(str(display), f"cannot list folder: {exc.strerror}")
            yield _Node(str(display), rel, error=error, container=True)
            return
        here = self._strava_folder(folder, display)
        if here is not None:  # a Strava export rooted here: paths below are relative to it
            strava, rel = here, ""
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path, shown, sub = Path(entry.path), display / entry.name, rel + entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    yield from self.walk_folder(path, shown, sub + "/", strava)
                elif entry.is_symlink() and entry.is_dir():
                    yield _Node(str(shown), sub, skip="symbolic link to a folder, not followed")
                else:
                    yield from self._file_node(path, shown, sub, strava)
            except OSError as exc:
                error = FileFormatError(str(shown), f"cannot read: {exc.strerror or exc}")
                yield _Node(str(shown), sub, error=error, container=True)

    def _file_node(self, path: Path, shown: Path, rel: str, strava: _StravaExport | None) -> Iterator[_Node]:
        name = str(shown)
        if not path.exists():
            error = FileFormatError(name, "broken symbolic link")
            yield _Node(name, rel, error=error, container=True)
            return
        if not path.is_file():
            yield _Node(name, rel, skip="not a regular file")
            return
        if not self._first_time(path):
            return
        st = path.stat()
        fingerprint = _file_fingerprint(path, st)
        if path.name.lower().endswith(".zip"):
            yield from self.walk_archive(_Archive(name, fingerprint, 1, path=path))
            return
        yield _Node(name, rel, fingerprint, _plain_reader(path, name), strava)

    # -- archives
    def walk_archive(self, archive: _Archive) -> Iterator[_Node]:
        try:
            infos = [i for i in archive.members() if not i.is_dir()]
        except HipriskError as exc:
            yield _Node(archive.name, "", error=exc, container=True)
            return
        total = sum(i.file_size for i in infos)
        if total > MAX_ARCHIVE_TOTAL_BYTES:
            error = UnsafeInputError(
                archive.name,
                f"archive declares {total / GiB:.1f} GiB of content, over the "
                f"{MAX_ARCHIVE_TOTAL_BYTES / GiB:g} GiB bound {_BOMB}",
            )
            yield _Node(archive.name, "", error=error, container=True)
            return
        infos.sort(key=lambda i: i.filename)
        exports = self._strava_roots(archive, infos)
        for info in infos:
            rel = info.filename.replace("\\", "/")
            if _hidden(rel) and not _unsafe_member_path(rel):  # a hostile name is always reported
                continue
            name = f"{archive.name}!{info.filename}"
            fingerprint = f"{archive.fingerprint}!{info.filename}|{info.CRC:08x}|{info.file_size}"
            if rel.lower().endswith(".zip"):
                yield from self._nested(archive, info, name, fingerprint, rel)
                continue
            strava = next((e for e in exports if rel.startswith(e.root)), None)
            problem = _member_problem(info, name, MAX_FILE_BYTES)
            reader = _raiser(problem) if problem else _member_reader(archive, info, name)
            yield _Node(name, rel, fingerprint, reader, strava, error=problem)

    def _nested(
        self, parent: _Archive, info: zipfile.ZipInfo, name: str, fingerprint: str, rel: str
    ) -> Iterator[_Node]:
        depth = parent.depth + 1
        problem = _member_problem(info, name, MAX_NESTED_ARCHIVE_BYTES)
        if problem is None and depth > min(self.max_depth, MAX_ARCHIVE_DEPTH):
            if self.max_depth < MAX_ARCHIVE_DEPTH:  # a shallow walk (find_export_gear): say nothing
                return
            problem = UnsafeInputError(
                name, f"archive nested more than {MAX_ARCHIVE_DEPTH} levels deep, refused"
            )
        if problem is not None:
            yield _Node(name, rel, fingerprint, error=problem, container=True)
            return
        child = _Archive(name, fingerprint, depth, parent=parent, info=info)
        yield from self.walk_archive(child)

    def _strava_roots(self, archive: _Archive, infos: list[zipfile.ZipInfo]) -> list[_StravaExport]:
        """Strava exports inside this archive, deepest root first."""
        rels = {i.filename.replace("\\", "/"): i for i in infos}
        exports = []
        for rel, info in rels.items():
            if posixpath.basename(rel).lower() != STRAVA_ACTIVITIES_CSV or _hidden(rel):
                continue
            root = rel[: -len(STRAVA_ACTIVITIES_CSV)]
            prefix = root + STRAVA_ACTIVITIES_DIR + "/"
            if not any(r.lower().startswith(prefix.lower()) for r in rels):
                continue
            name = f"{archive.name}!{info.filename}"
            read = functools.partial(_read_member, archive, info, name, MAX_FILE_BYTES)
            exports.append(_load_strava(root, read, name))
        return sorted(exports, key=lambda e: len(e.root), reverse=True)


def _checked_inputs(
    walker: _Walker, paths: Iterable[str | os.PathLike] | str | os.PathLike
) -> list[tuple[Path, _Archive | None]]:
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    return [walker.check(p) for p in paths]


def _iter_nodes(walker: _Walker, inputs: list[tuple[Path, _Archive | None]]) -> Iterator[_Node]:
    for path, archive in inputs:
        yield from walker.walk_input(path, archive)


# ---------------------------------------------------------------------------------------------- public


def _is_garmin_gear(name: str) -> bool:
    parts = re.split(r"[/\\!]", name)
    return (
        len(parts) >= 2 and parts[-2] == GARMIN_FITNESS_DIR and parts[-1].lower().endswith(GARMIN_GEAR_SUFFIX)
    )


def _classify(node: _Node) -> SourceFile | SkippedFile:
    if node.skip is not None:
        return SkippedFile(node.name, node.skip)
    if node.container and node.error is not None:
        return UnreadableFile(node.name, node.error.reason, node.error)
    fmt, suffix = _split_name(posixpath.basename(node.rel))
    sub = node.strava.sub(node.rel) if node.strava is not None else None
    if fmt is not None:
        meta = None
        if node.strava is not None and sub is not None:
            if sub.lower().startswith(STRAVA_ROUTES_DIR + "/"):
                return SkippedFile(node.name, "Strava route (a planned course, not an activity)")
            meta = node.strava.lookup(sub)
        elif GARMIN_UPLOADS_DIR in node.name:
            meta = SourceMeta(export="garmin")
        assert node.read is not None
        return SourceFile(node.name, fmt, node.read, node.fingerprint, meta)
    if node.error is not None:
        return UnreadableFile(node.name, node.error.reason, node.error)
    if node.strava is not None and sub is not None:
        if sub.lower() == STRAVA_ACTIVITIES_CSV:
            if node.strava.error is not None:
                error = node.strava.error
                return UnreadableFile(node.name, error.reason, error)
            return SkippedFile(
                node.name, f"export metadata (Strava activity list, {node.strava.count} files)"
            )
        if sub.lower() == STRAVA_SHOES_CSV:
            return SkippedFile(node.name, "export metadata (Strava shoe list, see find_export_gear)")
    if _is_garmin_gear(node.name):
        return SkippedFile(node.name, "export metadata (Garmin gear list, see find_export_gear)")
    return SkippedFile(node.name, f"not an activity file ({suffix})")


def iter_sources(
    paths: Iterable[str | os.PathLike] | str | os.PathLike,
) -> Iterator[SourceFile | SkippedFile]:
    """Every file in ``paths``, one item each, lazily and in a stable order.

    Parameters
    ----------
    paths : iterable of str or Path
        Files, folders and zips, in the order given (a single path is accepted too). Each is checked
        when this function is called, before anything is yielded.

    Returns
    -------
    iterator of SourceFile or SkippedFile
        See the module docs: ``SourceFile`` for activity files (``read()`` may raise
        :class:`~hiprisk.errors.FileFormatError` or :class:`~hiprisk.errors.UnsafeInputError`),
        ``SkippedFile`` for the rest, :class:`UnreadableFile` for what failed. Folders are walked in
        name order, zip members in member-name order; a file reached twice (a folder and a file in
        it) is yielded once; hidden files are not yielded.

    Raises
    ------
    FileFormatError
        An input that does not exist, cannot be opened, or is a ``.zip`` that is not a readable zip
        archive. Nothing else escapes the iterator.

    Examples
    --------
    >>> for item in iter_sources(["export_123.zip"]):  # doctest: +SKIP
    ...     if isinstance(item, SourceFile):
    ...         data = item.read()
    """
    walker = _Walker(MAX_ARCHIVE_DEPTH)
    inputs = _checked_inputs(walker, paths)
    return (_classify(node) for node in _iter_nodes(walker, inputs))


def find_export_gear(
    paths: Iterable[str | os.PathLike] | str | os.PathLike,
    errors: list[UnreadableFile] | None = None,
) -> list[GearRecord]:
    """Gear lists found in bulk exports: Strava ``shoes.csv`` and Garmin ``*_gear.json``.

    Walks ``paths`` like :func:`iter_sources` (nested archives are not opened: neither export keeps
    its gear there) and reads only the gear files.

    Parameters
    ----------
    paths : iterable of str or Path
        Exports as folders or zips (other inputs are walked and yield nothing).
    errors : list, optional
        When given, a gear file that cannot be read is appended to it as an :class:`UnreadableFile`
        and the search goes on; when None, its error is raised.

    Returns
    -------
    list of GearRecord
        In walk order; each record's ``source`` names its file.

    Raises
    ------
    FileFormatError
        An input that does not exist or cannot be opened; a bad gear file when ``errors`` is None.
    """
    walker = _Walker(max_depth=1)
    inputs = _checked_inputs(walker, paths)
    records: list[GearRecord] = []
    for node in _iter_nodes(walker, inputs):
        if node.read is None or node.container:
            continue
        sub = node.strava.sub(node.rel) if node.strava is not None else None
        if sub is not None and sub.lower() == STRAVA_SHOES_CSV:
            parse = parse_strava_shoes
        elif _is_garmin_gear(node.name):
            parse = parse_garmin_gear
        else:
            continue
        try:
            records.extend(parse(node.read(), node.name))
        except HipriskError as exc:
            if errors is None:
                raise
            errors.append(UnreadableFile(node.name, getattr(exc, "reason", str(exc)), exc))
    return records
