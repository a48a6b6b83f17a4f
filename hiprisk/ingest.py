"""Batch import: files and export archives in, activities in the store, a summary out.

The pipeline: :func:`~hiprisk.importers.sources.iter_sources` finds files → unchanged files are skipped
by fingerprint, known content by SHA-256 → new files are decoded and summarised in a process pool (all
cores) → each file is stored in its own transaction (:meth:`hiprisk.store.Store.add_file`). One broken file
is reported and never stops the batch.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import features, sanity
from .errors import FileFormatError, HipriskError
from .importers import decode
from .importers.base import SkippedFile, SourceFile, SourceMeta
from .log import summarise
from .store import NewActivity, Store, encode_samples

INLINE_BELOW = 4  # decode in-process for this few files (a post-upload check must be instant)


@dataclass
class ImportSummary:
    """What an import did. ``failed`` and ``skipped`` hold ``(file, one-line reason)`` pairs."""

    added: list[str] = field(default_factory=list)  # activity ids
    present: int = 0  # files (or activities) already in the store
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (file, kept activity id)
    replaced: list[tuple[str, str]] = field(default_factory=list)  # (new id, replaced id)
    non_running: list[str] = field(default_factory=list)  # added activity ids that are not running
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    files_seen: int = 0

    @property
    def exit_code(self) -> int:
        """0 when every activity file was handled, 1 when some failed."""
        return 1 if self.failed else 0

    def to_dict(self) -> dict:
        return {
            "files_seen": self.files_seen,
            "added": len(self.added),
            "already_present": self.present,
            "duplicates_merged": len(self.duplicates) + len(self.replaced),
            "non_running": len(self.non_running),
            "failed": [{"file": f, "reason": r} for f, r in self.failed],
            "skipped": [{"file": f, "reason": r} for f, r in self.skipped],
            "added_ids": self.added,
        }


def activity_id(sha256: str, index: int) -> str:
    """Stable id of the ``index``-th activity of a file with this content hash."""
    return sha256[:16] if index == 0 else f"{sha256[:16]}-{index}"


def prepare(
    data: bytes, fmt: str, name: str, meta: SourceMeta | None, sha256: str | None = None
) -> tuple[str, list[NewActivity]]:
    """Decode and summarise one file: ``(sha256, activities)``. Runs in worker processes.

    Each activity's ``hist`` is :func:`hiprisk.features.histogram_rows` (the store's rows), its
    ``samples_file`` the encoded stream.

    ``sha256``: the hex digest of ``data`` when the caller has it already (the import hashes every file
    to skip known content before decoding).
    """
    sha = sha256 or hashlib.sha256(data).hexdigest()
    sanity.check_bytes(data, name)
    parsed = decode(data, fmt, name)
    out = []
    for i, act in enumerate(parsed):
        arrays = features.SampleArrays(act.samples)  # each column read once, for every step below
        cleaned = sanity.clean(act, name, sport=meta.sport if meta else None, arrays=arrays)  # noted repairs
        if cleaned.samples is not act.samples:
            arrays = features.SampleArrays(cleaned.samples)
        act = cleaned
        sanity.check(act, name)  # documented rejections (dates, > 24 h, zero length)
        row = summarise(
            act, activity_id=activity_id(sha, i), file_sha256=sha, source_path=name, meta=meta, arrays=arrays
        )
        hist = features.histogram_rows(arrays)
        encoded = encode_samples(arrays)  # here, in the worker: the storing process only writes bytes
        out.append(NewActivity(row=row, samples=act.samples, hist=hist, samples_file=encoded))
    return sha, out


def _prepare_job(data: bytes, fmt: str, name: str, meta: SourceMeta | None, sha256: str | None = None):
    try:
        sha, acts = prepare(data, fmt, name, meta, sha256)
    except HipriskError as exc:
        return exc
    except Exception as exc:  # a decoder bug must not stop the batch: report it against the file
        return FileFormatError(name, f"internal error while decoding ({type(exc).__name__}: {exc})")
    # back to the storing process: the encoded stream without the frame (a third of the bytes to pickle)
    return sha, [replace(a, samples=None) if a.samples_file is not None else a for a in acts]


def import_paths(
    paths: Iterable[str | Path],
    store: Store | None = None,
    *,
    workers: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> ImportSummary:
    """Import files, folders and export archives into the store.

    Parameters
    ----------
    paths : iterable of str or Path
        Files (.fit/.gpx/.tcx, optionally .gz), folders (recursive), Strava or Garmin export archives.
    store : Store, optional
        Default: the store in the data folder (``HIPRISK_HOME``).
    workers : int, optional
        Decoding processes; default all cores. Fewer than 4 new files are decoded in-process.
    progress : callable, optional
        Called as ``progress(done, total, file_name)`` after each file.

    Raises
    ------
    HipriskError
        Only when an input path itself is unusable (missing, unreadable) or the store is; problems with
        individual files are reported in the summary.
    """
    from .importers.sources import UnreadableFile, iter_sources
    from .shoes import import_export_gear

    paths = list(paths)
    own_store = store is None
    store = store or Store()
    summary = ImportSummary()
    try:
        store.sweep_leftovers()  # what a killed import left behind
        seen = store.seen_fingerprints()
        todo: list[SourceFile] = []
        for item in iter_sources(paths):
            if isinstance(item, UnreadableFile):
                summary.failed.append((item.name, item.reason))
                continue
            if isinstance(item, SkippedFile):
                summary.skipped.append((item.name, item.reason))
                continue
            summary.files_seen += 1
            if item.fingerprint in seen:
                summary.present += 1
            else:
                todo.append(item)
        _run(todo, store, summary, workers, progress)
        try:  # after the activities, so gear aliases match shoes their runs created by name
            import_export_gear(paths, store=store)
        except HipriskError as exc:
            summary.failed.append((getattr(exc, "path", None) or "export gear", _reason(exc, "")))
    finally:
        if own_store:
            store.close()
    return summary


def _run(todo: list[SourceFile], store: Store, summary: ImportSummary, workers, progress) -> None:
    total = len(todo)
    done = 0

    def finish(src: SourceFile, result) -> None:
        nonlocal done
        done += 1
        if isinstance(result, HipriskError):
            summary.failed.append((src.name, _reason(result, src.name)))
            store.record_file(src.fingerprint, src.name, None, "failed", _reason(result, src.name))
        else:
            sha, acts = result
            _store(src, sha, acts, store, summary)
        if progress:
            progress(done, total, src.name)

    def load(src: SourceFile):
        """Bytes and hash of a file, or the outcome when nothing needs decoding."""
        try:
            data = src.read()
        except HipriskError as exc:
            return exc
        except OSError as exc:
            return FileFormatError(src.name, f"cannot read: {exc.strerror or exc}")
        sha = hashlib.sha256(data).hexdigest()
        known = store.file_by_sha(sha)
        if known is not None:
            return _Known(sha)
        return data, sha

    def handle_loaded(src, loaded) -> tuple[bytes, str] | None:
        """``(bytes, sha256)`` of a file to decode, None when it is done with."""
        nonlocal done
        if isinstance(loaded, _Known):
            store.record_file(src.fingerprint, src.name, loaded.sha256, "duplicate", "same content")
            summary.present += 1
            done += 1
            if progress:
                progress(done, total, src.name)
            return None
        if isinstance(loaded, HipriskError):
            finish(src, loaded)
            return None
        return loaded

    n_workers = workers or os.cpu_count() or 1
    if total < INLINE_BELOW or n_workers <= 1:
        for src in todo:
            loaded = handle_loaded(src, load(src))
            if loaded is not None:
                finish(src, _prepare_job(loaded[0], src.fmt, src.name, src.meta, loaded[1]))
        return

    window = n_workers * 3  # bounded in-flight work keeps memory flat on long histories
    pending: dict[Future, SourceFile] = {}
    queue = iter(todo)
    with ProcessPoolExecutor(
        max_workers=n_workers, initializer=_exit_with_parent, initargs=(os.getpid(),)
    ) as pool:
        try:
            exhausted = False
            while pending or not exhausted:
                while not exhausted and len(pending) < window:
                    src = next(queue, None)
                    if src is None:
                        exhausted = True
                        break
                    loaded = handle_loaded(src, load(src))
                    if loaded is not None:
                        data, sha = loaded
                        pending[pool.submit(_prepare_job, data, src.fmt, src.name, src.meta, sha)] = src
                if not pending:
                    continue
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    src = pending.pop(fut)
                    try:
                        result = fut.result()
                    except Exception as exc:  # worker died (out of memory, killed)
                        result = FileFormatError(src.name, f"decoder process failed: {exc}")
                    finish(src, result)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


@dataclass(frozen=True)
class _Known:
    """A file whose content is stored already (same SHA-256): nothing to decode."""

    sha256: str


def _exit_with_parent(parent_pid: int, poll_s: float = 1.0) -> None:
    """Worker initializer: end this decoder process when the importing process is gone.

    A SIGKILLed import cannot tell its pool to stop; without this its workers would wait forever, each
    holding pandas in memory. A daemon thread polls the parent id (portable; no prctl needed).
    """
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(poll_s)
        os._exit(1)

    threading.Thread(target=watch, name="hiprisk-parent-watch", daemon=True).start()


def _reason(exc: HipriskError, name: str) -> str:
    """The one-line reason of an error, without the file name (the summary prints it beside)."""
    reason = getattr(exc, "reason", None) or str(exc)
    return reason.replace(f"{name}: ", "").splitlines()[0] if reason else type(exc).__name__


def _store(src: SourceFile, sha: str, acts: list[NewActivity], store: Store, summary: ImportSummary):
    if not acts:
        summary.failed.append((src.name, "no activity in file"))
        store.record_file(src.fingerprint, src.name, sha, "failed", "no activity in file")
        return
    outcomes = store.add_file(src.fingerprint, src.name, sha, acts)
    by_id = {a.row["activity_id"]: a.row for a in acts}
    for aid, outcome, detail in outcomes:
        if outcome == "added":
            summary.added.append(aid)
            if not by_id[aid]["is_running"]:
                summary.non_running.append(aid)
        elif outcome == "replaced":
            summary.replaced.append((aid, detail))
        elif outcome == "duplicate":
            summary.duplicates.append((src.name, detail))
        else:
            summary.present += 1
