"""The store: a SQLite training log plus a Parquet cache of sample streams, under the data folder.

This is the only module that writes hiprisk's data. Layout of the data folder (``HIPRISK_HOME``)::

    hiprisk.db            SQLite (WAL): activities, files, activity_hist, shoes, meta(schema_version)
    samples/<id>.parquet  one sample stream per activity (columns of importers.base.SAMPLE_COLUMNS)
    hiprisk.toml          configuration (read by hiprisk.config; never written here)

Consistency
-----------
Each file is imported in one ``BEGIN IMMEDIATE`` transaction (its activities, their histograms and the
``files`` record together). Sample streams are written *before* the transaction, to a temporary name renamed
into place, so a committed row always has its stream; a crash between the two leaves at most an orphan stream
with no row, which nothing reads and the next import of that file overwrites; every import also sweeps such
leftovers, and the temporary files of killed writes, once an hour old (:meth:`Store.sweep_leftovers`).
Concurrent processes queue on SQLite's lock (``busy_timeout``) instead of failing with "database is locked".
"""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .config import data_home
from .errors import NotFoundError, StoreError
from .features import HR_BIN_BPM, SPEED_BIN_M_S, SampleArrays
from .importers.base import SAMPLE_COLUMNS, empty_samples
from .log import LOG_COLUMNS
from .names import closest_name, name_key, normalise_name

SCHEMA_VERSION = 1
DB_NAME = "hiprisk.db"
BUSY_TIMEOUT_S = 120.0
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
#: Age after which a temporary or row-less sample file in ``samples/`` is a leftover of a killed import [s].
LEFTOVER_AGE_S = 3600.0

_SQL_TYPES = {"str": "TEXT", "bool": "INTEGER", "int64": "INTEGER", "float64": "REAL"}

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS activities (
    {
    ", ".join(
        f"{c} {_SQL_TYPES.get(t, 'TEXT')}" + (" PRIMARY KEY" if c == "activity_id" else "")
        for c, t in LOG_COLUMNS.items()
        if c != "shoe"
    )
},
    shoe_id INTEGER REFERENCES shoes(shoe_id),
    imported_utc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS activities_start ON activities(start_utc);
CREATE INDEX IF NOT EXISTS activities_sha ON activities(file_sha256);
CREATE TABLE IF NOT EXISTS files (
    fingerprint TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    file_sha256 TEXT,
    status TEXT NOT NULL,           -- added | duplicate | failed
    detail TEXT,                    -- reason for failure, or the activity it duplicates
    seen_utc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS files_sha ON files(file_sha256);
CREATE TABLE IF NOT EXISTS activity_hist (
    activity_id TEXT NOT NULL REFERENCES activities(activity_id) ON DELETE CASCADE,
    kind TEXT NOT NULL,             -- hr: bin = bpm, speed: bin = 0.1 m/s
    bin INTEGER NOT NULL,
    seconds REAL NOT NULL,
    PRIMARY KEY (activity_id, kind, bin)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shoes (
    shoe_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    brand TEXT,
    start_km REAL NOT NULL DEFAULT 0,
    from_date TEXT,
    retired_on TEXT,
    retire_at_km REAL,
    is_default INTEGER NOT NULL DEFAULT 0,
    default_for TEXT                -- sub_sport this shoe is the default for (e.g. trail), or NULL
);
"""


def _now() -> str:
    return pd.Timestamp.now(tz="UTC").strftime(TIME_FORMAT)


def _to_sql(value):
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").strftime(TIME_FORMAT)
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else float(value)
    return value


@dataclass
class NewActivity:
    """An activity ready to be stored: its log row, sample stream and intensity histograms.

    ``samples_file`` is the stream already encoded by :func:`encode_samples` (the import's worker processes
    do it, so the process that writes the store only writes bytes); None encodes ``samples`` when stored.
    ``samples`` may be None when ``samples_file`` is set (what the workers send back: a third of the bytes).
    ``hist`` is :func:`hiprisk.features.histograms`' frame, or the same as ``(kind, bin, seconds)`` rows
    (:func:`hiprisk.features.histogram_rows`, what the import makes: a list is built, pickled and inserted
    several times faster than a small DataFrame).
    """

    row: dict
    samples: pd.DataFrame | None
    hist: pd.DataFrame | list[tuple[str, int, float]]
    samples_file: bytes | None = None


def hist_rows(hist: pd.DataFrame | list[tuple[str, int, float]]) -> list[tuple[str, int, float]]:
    """The ``(kind, bin, seconds)`` rows of a histogram frame (:func:`hiprisk.features.histograms`)."""
    if isinstance(hist, list):
        return hist
    kinds = hist["kind"].to_numpy(dtype=object).tolist()  # Python values: no per-item pandas boxing
    bins = hist["bin"].to_numpy(dtype="int64").tolist()
    seconds = hist["seconds"].to_numpy(dtype="float64").tolist()
    return list(zip(kinds, bins, seconds, strict=True))


def encode_samples(samples: pd.DataFrame | SampleArrays) -> bytes:
    """A sample stream as the bytes of its cache file: Parquet with the columns of ``SAMPLE_COLUMNS``.

    Pure (writes nothing), so it can run in a worker process. Measured on one-hour 1 s runs
    (benchmarks/RESULTS.md): columns are converted one by one, since ``Table.from_pandas`` starts a thread
    pool per call and writes pandas metadata (2.5× the time; reading gives the same frame without it:
    ``datetime64[ns, UTC]`` and float64 columns, a RangeIndex). Floats are stored byte-stream-split, with
    no dictionary (sensor floats rarely repeat), and LZ4: under half of zstd's encoding time and faster
    reads, for files a quarter larger (~100 kB an hour). No column statistics: nothing reads a stream by
    predicate (each is read whole), and they cost a tenth of the encoding.

    ``samples`` may be the stream's :class:`~hiprisk.features.SampleArrays` (the import's, already read):
    a float64 column then goes to Arrow from its numpy array (NaN as null, as from the Series), 2.5× faster
    than through pandas; the file is the same.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = SampleArrays.of(samples)
    frame = arrays.frame

    def column(name: str):
        if SAMPLE_COLUMNS[name] == "float64" and name in arrays:
            values = arrays[name]
            if name not in arrays.converted:  # else the frame's own dtype is kept
                return pa.array(values, from_pandas=True)
        return pa.Array.from_pandas(frame[name])

    table = pa.table({c: column(c) for c in SAMPLE_COLUMNS})
    floats = {c: "BYTE_STREAM_SPLIT" for c in SAMPLE_COLUMNS if SAMPLE_COLUMNS[c] == "float64"}
    sink = pa.BufferOutputStream()
    pq.write_table(
        table, sink, compression="lz4", use_dictionary=False, column_encoding=floats, write_statistics=False
    )
    return sink.getvalue().to_pybytes()


class Store:
    """The data folder: open it once, then read or write the training log.

    Parameters
    ----------
    home : Path, optional
        The data folder; default :func:`hiprisk.config.data_home` (``HIPRISK_HOME`` or the platform's user
        data dir). Created when missing.
    """

    def __init__(self, home: Path | str | None = None):
        self.home = Path(home) if home is not None else data_home()
        self.samples_dir = self.home / "samples"
        self.db_path = self.home / DB_NAME
        try:
            self.samples_dir.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.db_path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            self._wal()
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot use the data folder {self.home}: {exc}") from exc

    def _wal(self) -> None:
        """Switch the database to WAL, waiting like any other lock when another process does it too.

        Two processes opening a new data folder at once (a cron import and a manual one) both ask for WAL;
        SQLite answers the second "database is locked" at once, without its busy handler, while the first
        is converting the file. So retry here, for as long as any other lock would be waited for.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL").fetchall()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    # -- lifecycle -------------------------------------------------------------------------------------
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; waits for other writers instead of failing."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.db_path.name}: cannot start a write: {exc}") from exc
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    def _migrate(self) -> None:
        row = None
        with contextlib.suppress(sqlite3.OperationalError):
            row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.db_path} was written by a newer hiprisk (schema {version} > {SCHEMA_VERSION})"
            )
        if version == SCHEMA_VERSION:
            return
        with self.transaction() as db:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])

    # -- files -----------------------------------------------------------------------------------------
    def seen_fingerprints(self) -> dict[str, str]:
        """Fingerprints of files already handled (added or duplicate) → status."""
        rows = self._db.execute("SELECT fingerprint, status FROM files WHERE status != 'failed'")
        return dict(rows.fetchall())

    def file_by_sha(self, sha256: str) -> tuple[str, str] | None:
        """(status, detail) of a file with this content already handled, else None."""
        row = self._db.execute(
            "SELECT status, detail FROM files WHERE file_sha256=? AND status != 'failed' LIMIT 1", (sha256,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def record_file(
        self, fingerprint: str, name: str, sha256: str | None, status: str, detail: str | None = None
    ) -> None:
        """Remember a file's outcome (for failures: so ``hiprisk log`` can list them; retried next time)."""
        with self.transaction() as db:
            self._record_file(db, fingerprint, name, sha256, status, detail)

    @staticmethod
    def _record_file(db, fingerprint, name, sha256, status, detail) -> None:
        # An "added" record is never downgraded by a later record of the same file and content: when two
        # imports race on one file, the second finds the content already stored ("duplicate", "present")
        # and must not hide that this file added it.
        db.execute(
            "INSERT INTO files(fingerprint, name, file_sha256, status, detail, seen_utc)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(fingerprint) DO UPDATE SET name=excluded.name, file_sha256=excluded.file_sha256,"
            " status=excluded.status, detail=excluded.detail, seen_utc=excluded.seen_utc"
            " WHERE NOT (files.status = 'added' AND excluded.status != 'added'"
            " AND files.file_sha256 IS excluded.file_sha256)",
            (fingerprint, name, sha256, status, detail, _now()),
        )

    # -- writing activities ----------------------------------------------------------------------------
    def _sample_path(self, activity_id: str) -> Path:
        return self.samples_dir / f"{activity_id}.parquet"

    def _write_samples(self, activity_id: str, samples: pd.DataFrame, encoded: bytes | None = None) -> None:
        target = self._sample_path(activity_id)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        data = encoded if encoded is not None else encode_samples(samples)
        try:
            tmp.write_bytes(data)
            os.replace(tmp, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise StoreError(f"cannot write the sample cache {target.name}: {exc}") from exc

    def add_file(
        self,
        fingerprint: str,
        name: str,
        sha256: str,
        activities: list[NewActivity],
        *,
        dedupe_start_s: float = 120.0,
        dedupe_distance_pct: float = 3.0,
    ) -> list[tuple[str, str, str | None]]:
        """Store every activity of one file atomically; returns ``(activity_id, outcome, detail)`` each.

        Outcomes: ``added``; ``present`` (this exact activity is already stored); ``duplicate`` (the same
        run from another file: start within ``dedupe_start_s`` and distance within ``dedupe_distance_pct``;
        detail names the kept activity); ``replaced`` (the new file is FIT and the stored copy was not: FIT
        is kept, the old row's shoe and name carry over).
        """
        for act in activities:
            self._write_samples(act.row["activity_id"], act.samples, act.samples_file)
        outcomes: list[tuple[str, str, str | None]] = []
        removed: list[str] = []
        with self.transaction() as db:
            for act in activities:
                row = act.row
                aid = row["activity_id"]
                if db.execute("SELECT 1 FROM activities WHERE activity_id=?", (aid,)).fetchone():
                    outcomes.append((aid, "present", None))
                    continue
                twin = self._find_twin(db, row, dedupe_start_s, dedupe_distance_pct)
                if twin is not None:
                    twin_id, twin_format, twin_shoe, twin_name = twin
                    if row["source_format"] == "fit" and twin_format != "fit":
                        db.execute("DELETE FROM activities WHERE activity_id=?", (twin_id,))
                        removed.append(twin_id)
                        row = {**row, "name": row.get("name") or twin_name}
                        self._ensure_stream(act)
                        self._insert(db, row, act.hist, shoe_id=twin_shoe)
                        outcomes.append((aid, "replaced", twin_id))
                    else:
                        if row.get("name") and not twin_name:  # keep the title whichever file came first
                            db.execute(
                                "UPDATE activities SET name=? WHERE activity_id=?", (row["name"], twin_id)
                            )
                        outcomes.append((aid, "duplicate", twin_id))
                        removed.append(aid)
                    continue
                self._ensure_stream(act)
                self._insert(db, row, act.hist, shoe_id=self._shoe_for(db, row))
                outcomes.append((aid, "added", None))
            status = "added" if any(o[1] in ("added", "replaced") for o in outcomes) else "duplicate"
            detail = ", ".join(o[2] for o in outcomes if o[1] == "duplicate" and o[2]) or None
            if all(o[1] == "present" for o in outcomes):
                detail = "same content"  # stored meanwhile by another process (see _record_file)
            self._record_file(db, fingerprint, name, sha256, status, detail)
        self._unlink_unstored(removed)
        return outcomes

    def _ensure_stream(self, act: NewActivity) -> None:
        """Inside the write transaction, before a row goes in: its stream is still there, or written again.

        Streams are written before the transaction, and another process may remove a stream it holds for
        a leftover (:meth:`sweep_leftovers`, :meth:`_unlink_unstored`) between that write and this
        transaction; they remove only under the same lock, so once checked here the stream stays.
        """
        aid = act.row["activity_id"]
        if not self._sample_path(aid).exists():
            self._write_samples(aid, act.samples, act.samples_file)

    def _unlink_unstored(self, activity_ids: list[str]) -> None:
        """Remove the streams of ``activity_ids`` that no row holds, under the write lock (see
        :meth:`_ensure_stream`): a concurrent import may be storing the same activity."""
        if not activity_ids:
            return
        with self.transaction() as db:
            for aid in activity_ids:
                if not db.execute("SELECT 1 FROM activities WHERE activity_id=?", (aid,)).fetchone():
                    with contextlib.suppress(OSError):
                        self._sample_path(aid).unlink()

    @staticmethod
    def _find_twin(db, row, start_s: float, distance_pct: float):
        start = pd.Timestamp(row["start_utc"])
        lo = (start - pd.Timedelta(seconds=start_s)).strftime(TIME_FORMAT)
        hi = (start + pd.Timedelta(seconds=start_s)).strftime(TIME_FORMAT)
        candidates = db.execute(
            "SELECT activity_id, source_format, shoe_id, name, distance_km, sport FROM activities"
            " WHERE start_utc BETWEEN ? AND ?",
            (lo, hi),
        ).fetchall()
        dist = float(row["distance_km"] or 0.0)
        for aid, fmt, shoe_id, name, other_km, sport in candidates:
            other_km = float(other_km or 0.0)
            biggest = max(dist, other_km)
            close = biggest == 0 or abs(dist - other_km) <= biggest * distance_pct / 100.0
            if close and (sport == row["sport"] or row["source_format"] != "fit" or fmt != "fit"):
                return aid, fmt, shoe_id, name
        return None

    def _insert(self, db, row: dict, hist: pd.DataFrame | list, shoe_id: int | None) -> None:
        cols = [c for c in LOG_COLUMNS if c != "shoe"]
        values = [_to_sql(row.get(c)) for c in cols]
        db.execute(
            f"INSERT INTO activities({', '.join(cols)}, shoe_id, imported_utc)"
            f" VALUES ({', '.join('?' * (len(cols) + 2))})",
            (*values, shoe_id, _now()),
        )
        if len(hist):
            aid = row["activity_id"]
            db.executemany(
                "INSERT INTO activity_hist(activity_id, kind, bin, seconds) VALUES (?, ?, ?, ?)",
                [(aid, k, b, s) for k, b, s in hist_rows(hist)],
            )

    def _shoe_for(self, db, row: dict) -> int | None:
        """Shoe of a new activity: the export's gear (created when unknown), else the default shoe.

        A default applies from its ``from_date`` up to the day before its ``retired_on`` day, judged on
        the run's local day (the file's own UTC offset; UTC when the file states none).
        """
        name = row.get("shoe")
        if name:
            with contextlib.suppress(NotFoundError):
                return self._find_shoe(db, name)[0]
            return db.execute("INSERT INTO shoes(name) VALUES (?)", (normalise_name(name),)).lastrowid
        if not row.get("is_running"):
            return None
        offset = row.get("utc_offset_s")
        start = pd.Timestamp(row["start_utc"])
        if offset is not None and np.isfinite(offset):
            start = start + pd.Timedelta(seconds=float(offset))
        day = start.strftime("%Y-%m-%d")
        active = "(retired_on IS NULL OR retired_on > ?) AND (from_date IS NULL OR from_date <= ?)"
        if row.get("sub_sport"):
            found = db.execute(
                f"SELECT shoe_id FROM shoes WHERE default_for=? AND {active}", (row["sub_sport"], day, day)
            ).fetchone()
            if found:
                return found[0]
        found = db.execute(
            f"SELECT shoe_id FROM shoes WHERE is_default=1 AND {active}", (day, day)
        ).fetchone()
        return found[0] if found else None

    def delete_activity(self, activity_id: str) -> None:
        """Remove one activity (its row, histograms and sample stream)."""
        with self.transaction() as db:
            cur = db.execute("DELETE FROM activities WHERE activity_id=?", (activity_id,))
            if cur.rowcount == 0:
                raise NotFoundError("activity", activity_id)
        self._unlink_unstored([activity_id])

    def sweep_leftovers(self, min_age_s: float = LEFTOVER_AGE_S, now: float | None = None) -> list[str]:
        """Remove what a killed import can leave in ``samples/``; return the names removed.

        Two kinds (see "Consistency" above): hidden temporary files of a write that never finished, and
        streams whose row was never committed. Only files untouched for ``min_age_s`` go: a concurrent
        import writes and commits a stream within a second, so an hour-old leftover is nobody's work in
        progress. Nothing is read from these files; a file that cannot be removed is left for next time.
        """
        now = time.time() if now is None else now
        removed = []
        with self.transaction() as db, contextlib.suppress(OSError), os.scandir(self.samples_dir) as entries:
            # under the write lock: an import checks its streams under it before committing (_ensure_stream)
            stored = {f"{r[0]}.parquet" for r in db.execute("SELECT activity_id FROM activities")}
            for entry in entries:
                name = entry.name
                leftover = (name.startswith(".") and name.endswith(".tmp")) or (
                    name.endswith(".parquet") and name not in stored
                )
                if not leftover or not entry.is_file(follow_symlinks=False):
                    continue
                try:
                    if now - entry.stat(follow_symlinks=False).st_mtime < min_age_s:
                        continue
                    os.unlink(entry.path)
                except OSError:
                    continue
                removed.append(name)
        return sorted(removed)

    # -- reading -------------------------------------------------------------------------------------
    def load_log(self) -> pd.DataFrame:
        """Every stored activity, oldest first, with the stored columns of :data:`hiprisk.log.LOG_COLUMNS`."""
        names = [c for c in LOG_COLUMNS if c != "shoe"]
        cursor = self._db.execute(
            f"SELECT {', '.join(f'a.{c}' for c in names)}, s.name AS shoe FROM activities a"
            " LEFT JOIN shoes s ON s.shoe_id = a.shoe_id ORDER BY a.start_utc, a.activity_id"
        )
        rows = cursor.fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [()] * (len(names) + 1)
        return _typed_log(dict(zip([*names, "shoe"], columns, strict=True)), len(rows))

    def activity_ids(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT activity_id FROM activities ORDER BY start_utc")]

    def load_samples(self, activity_id: str) -> pd.DataFrame:
        """The sample stream of one activity (columns of ``SAMPLE_COLUMNS``)."""
        exists = self._db.execute("SELECT 1 FROM activities WHERE activity_id=?", (activity_id,)).fetchone()
        if not exists:
            raise NotFoundError("activity", activity_id, self._closest_id(activity_id))
        path = self._sample_path(activity_id)
        if not path.exists():
            return empty_samples()
        import pyarrow.parquet as pq

        try:
            return pq.read_table(path).to_pandas()
        except (OSError, ValueError) as exc:
            raise StoreError(f"sample cache {path.name} is unreadable: {exc}") from exc

    def _closest_id(self, activity_id: str) -> str | None:
        rows = self._db.execute(
            "SELECT activity_id FROM activities WHERE activity_id LIKE ? LIMIT 1", (activity_id[:6] + "%",)
        ).fetchone()
        return rows[0] if rows else None

    def resolve_ids(self, ids: Iterable[str]) -> list[str]:
        """Full activity ids from ids or unique prefixes (as ``git`` does); unknown ones raise."""
        out = []
        for given in ids:
            rows = self._db.execute(
                "SELECT activity_id FROM activities WHERE activity_id LIKE ? LIMIT 2", (given + "%",)
            ).fetchall()
            if len(rows) != 1:
                raise NotFoundError("activity", given, self._closest_id(given) if not rows else None)
            out.append(rows[0][0])
        return out

    def load_hist(self, kind: str | None = None) -> pd.DataFrame:
        """Intensity histograms: ``activity_id``, ``kind``, ``bin``, ``seconds`` (see hiprisk.features)."""
        sql = "SELECT activity_id, kind, bin, seconds FROM activity_hist"
        params: tuple = ()
        if kind:
            sql += " WHERE kind=?"
            params = (kind,)
        return pd.read_sql_query(sql, self._db, params=params)

    def intensity_totals(self, hr_bpm: float | None, speed_m_s: float | None) -> pd.DataFrame:
        """Per activity: HR seconds, seconds at/above ``hr_bpm`` and at/above ``speed_m_s``.

        The SQL twin of :func:`hiprisk.intensity.totals` (a bin counts when its centre is at or above the
        threshold), summed in SQLite so that no histogram row has to be loaded. Each sum is a search of
        the histogram's primary key (activity, kind, first hard bin), so only the bins that count are read:
        twice as fast as one pass over every bin with conditional sums (every command that loads the log
        runs this). Bins are summed in the same order, so the figures are the same to the last bit.
        """
        hr = float("inf") if hr_bpm is None else float(hr_bpm)
        speed = float("inf") if speed_m_s is None else float(speed_m_s) / SPEED_BIN_M_S
        rows = self._db.execute(
            "SELECT a.activity_id,"
            " (SELECT TOTAL(seconds) FROM activity_hist h WHERE h.activity_id = a.activity_id"
            "  AND h.kind = 'hr'),"
            " (SELECT TOTAL(seconds) FROM activity_hist h WHERE h.activity_id = a.activity_id"
            "  AND h.kind = 'hr' AND h.bin >= ?),"
            " (SELECT TOTAL(seconds) FROM activity_hist h WHERE h.activity_id = a.activity_id"
            "  AND h.kind = 'speed' AND h.bin >= ?)"
            " FROM activities a"
            " WHERE EXISTS (SELECT 1 FROM activity_hist h WHERE h.activity_id = a.activity_id)"
            " ORDER BY a.activity_id",
            (_first_bin(hr / HR_BIN_BPM), _first_bin(speed)),
        ).fetchall()
        ids = [r[0] for r in rows]
        frame = pd.DataFrame(
            np.array([r[1:] for r in rows], dtype="float64").reshape(len(rows), 3),
            columns=["hr_s", "hr_hard_s", "speed_hard_s"],
            index=pd.Index(ids, name="activity_id"),
        )
        return frame

    def files(self) -> pd.DataFrame:
        """The files seen so far and their outcome (added / duplicate / failed)."""
        return pd.read_sql_query(
            "SELECT name, status, detail, file_sha256, seen_utc FROM files ORDER BY seen_utc", self._db
        )

    # -- raw access for the gear manager --------------------------------------------------------------
    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read-only query helper (SELECT only)."""
        if not sql.lstrip().upper().startswith("SELECT"):
            raise StoreError("Store.query is read-only")
        return self._db.execute(sql, params).fetchall()

    # -- shoes (gear manager) --------------------------------------------------------------------------
    # Written by the gear manager (hiprisk/shoes.py). Names are matched case-insensitively after NFC
    # normalisation (hiprisk.shoes.name_key), which SQLite's NOCASE (ASCII only) cannot do; each change is one
    # transaction, so a failed lookup leaves nothing half-applied.
    def load_shoes(self) -> pd.DataFrame:
        """The shoes table as stored (dates as ``YYYY-MM-DD`` text), oldest shoe first."""
        return pd.read_sql_query(
            "SELECT shoe_id, name, brand, start_km, from_date, retired_on, retire_at_km, is_default,"
            " default_for FROM shoes ORDER BY shoe_id",
            self._db,
        )

    def _find_shoe(self, db, name: str) -> tuple[int, str]:
        """``(shoe_id, stored name)`` of a shoe by name; unknown names raise with the closest one."""
        rows = db.execute("SELECT shoe_id, name FROM shoes ORDER BY shoe_id").fetchall()
        key = name_key(name)
        for shoe_id, stored in rows:
            if name_key(stored) == key:
                return shoe_id, stored
        shown = " ".join(str(name).split())
        raise NotFoundError("shoe", shown, closest_name(shown, [r[1] for r in rows]))

    def shoe_find(self, name: str) -> str:
        """The stored name of a shoe (case-insensitive, NFC); unknown names raise NotFoundError."""
        return self._find_shoe(self._db, name)[1]

    def shoe_add(
        self,
        name: str,
        *,
        brand: str | None = None,
        start_km: float = 0.0,
        from_date: str | None = None,
        retire_at_km: float | None = None,
        default: bool = False,
    ) -> str:
        """Add a shoe (``default`` also makes it the only default shoe); returns the stored name."""
        from .errors import ConfigError

        name = normalise_name(name)
        with self.transaction() as db:
            with contextlib.suppress(NotFoundError):
                _, existing = self._find_shoe(db, name)
                raise ConfigError(f"a shoe named {existing!r} already exists")
            if default:
                db.execute("UPDATE shoes SET is_default=0 WHERE is_default=1")
            db.execute(
                "INSERT INTO shoes(name, brand, start_km, from_date, retire_at_km, is_default)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (name, brand, float(start_km or 0.0), from_date, retire_at_km, int(bool(default))),
            )
        return name

    def shoe_set_default(self, name: str, sub_sport: str | None = None) -> tuple[str, str | None]:
        """Make a shoe the default for new runs, or for runs of one ``sub_sport`` (e.g. ``trail``).

        Returns ``(shoe name, previous default's name or None)``. A retired shoe cannot be a default.
        """
        from .errors import ConfigError

        with self.transaction() as db:
            shoe_id, stored = self._find_shoe(db, name)
            (retired_on,) = db.execute("SELECT retired_on FROM shoes WHERE shoe_id=?", (shoe_id,)).fetchone()
            if retired_on:
                raise ConfigError(
                    f"shoe {stored!r} is retired (on {retired_on}); undo that first with:"
                    f" hiprisk shoes retire {stored!r} --undo"
                )
            if sub_sport is None:
                prev = db.execute(
                    "SELECT name FROM shoes WHERE is_default=1 AND shoe_id!=?", (shoe_id,)
                ).fetchone()
                db.execute("UPDATE shoes SET is_default=0 WHERE is_default=1")
                db.execute("UPDATE shoes SET is_default=1 WHERE shoe_id=?", (shoe_id,))
            else:
                prev = db.execute(
                    "SELECT name FROM shoes WHERE default_for=? AND shoe_id!=?", (sub_sport, shoe_id)
                ).fetchone()
                db.execute("UPDATE shoes SET default_for=NULL WHERE default_for=?", (sub_sport,))
                db.execute("UPDATE shoes SET default_for=? WHERE shoe_id=?", (sub_sport, shoe_id))
        return stored, prev[0] if prev else None

    def shoe_retire(self, name: str, on: str | None) -> str:
        """Set (``on``: ``YYYY-MM-DD``) or clear (``on`` None) a shoe's retirement day; returns its name."""
        from .errors import ConfigError

        with self.transaction() as db:
            shoe_id, stored = self._find_shoe(db, name)
            (from_date,) = db.execute("SELECT from_date FROM shoes WHERE shoe_id=?", (shoe_id,)).fetchone()
            if on is not None and from_date and on < from_date:
                raise ConfigError(f"cannot retire {stored!r} on {on}: it is in use from {from_date}")
            db.execute("UPDATE shoes SET retired_on=? WHERE shoe_id=?", (on, shoe_id))
        return stored

    def shoe_rename(self, old: str, new: str) -> tuple[str, str]:
        """Rename a shoe (``new`` already normalised); returns ``(old stored name, new name)``."""
        from .errors import ConfigError

        with self.transaction() as db:
            shoe_id, stored = self._find_shoe(db, old)
            with contextlib.suppress(NotFoundError):
                other_id, other = self._find_shoe(db, new)
                if other_id != shoe_id:
                    raise ConfigError(f"a shoe named {other!r} already exists")
            if stored != new:
                db.execute("UPDATE shoes SET name=? WHERE shoe_id=?", (new, shoe_id))
        return stored, new

    def _resolve_shoe_activities(self, db, ids: list[str]) -> list[str]:
        """Full activity ids from ids or unique prefixes; unknown or ambiguous ones raise (difflib hint)."""
        import difflib

        from .errors import ConfigError

        out: list[str] = []
        for given in ids:
            given = given.strip()
            rows = db.execute(
                "SELECT activity_id FROM activities WHERE substr(activity_id, 1, ?) = ? LIMIT 3",
                (len(given), given),
            ).fetchall()
            if not given or len(rows) > 1:
                shown = ", ".join(r[0] for r in rows[:2])
                raise ConfigError(
                    f"activity id {given!r} is ambiguous (matches {shown}, …); give more characters"
                )
            if not rows:
                every = [r[0] for r in db.execute("SELECT activity_id FROM activities")]
                close = difflib.get_close_matches(
                    given, [a[: max(len(given), 1)] for a in every], n=1, cutoff=0.6
                )
                hint = next((a for a in every if close and a.startswith(close[0])), None)
                raise NotFoundError("activity", given, hint)
            if rows[0][0] not in out:
                out.append(rows[0][0])
        return out

    def shoe_assign(self, name: str, activity_ids: Iterable[str]) -> tuple[str, list[str], dict[str, int]]:
        """Put a shoe on activities (ids or unique prefixes), all or nothing.

        Returns ``(shoe name, full ids, {previous shoe name: activities moved from it})``.
        """
        with self.transaction() as db:
            shoe_id, stored = self._find_shoe(db, name)
            full = self._resolve_shoe_activities(db, list(activity_ids))
            moved: dict[str, int] = {}
            for aid in full:
                prev = db.execute(
                    "SELECT s.name FROM activities a JOIN shoes s ON s.shoe_id = a.shoe_id"
                    " WHERE a.activity_id=? AND a.shoe_id != ?",
                    (aid, shoe_id),
                ).fetchone()
                if prev:
                    moved[prev[0]] = moved.get(prev[0], 0) + 1
                db.execute("UPDATE activities SET shoe_id=? WHERE activity_id=?", (shoe_id, aid))
        return stored, full, moved

    def shoe_merge_gear(self, records: list[dict]) -> dict[str, list[str]]:
        """Merge export gear records (see :func:`hiprisk.shoes.gear_records`).

        A record matches a shoe by name or alias. Unknown shoes are created; for known ones empty brand,
        start km, first day and limit are filled; retirements are recorded; an export default is taken when
        there is none yet. Returns ``{"created": [...], "updated": [...]}``.
        """
        created: list[str] = []
        updated: list[str] = []
        with self.transaction() as db:
            for rec in records:
                shoe_id = stored = None
                for spelling in (rec["name"], *rec.get("aliases", [])):
                    with contextlib.suppress(NotFoundError):
                        shoe_id, stored = self._find_shoe(db, spelling)
                        break
                if shoe_id is None:
                    shoe_id = db.execute("INSERT INTO shoes(name) VALUES (?)", (rec["name"],)).lastrowid
                    stored = rec["name"]
                    created.append(stored)
                brand, start_km, from_date, limit, retired, default_for = db.execute(
                    "SELECT brand, start_km, from_date, retire_at_km, retired_on, default_for FROM shoes"
                    " WHERE shoe_id=?",
                    (shoe_id,),
                ).fetchone()
                changes: dict[str, object] = {}
                if not brand and rec.get("brand"):
                    changes["brand"] = rec["brand"]
                if not start_km and rec.get("start_km"):
                    changes["start_km"] = rec["start_km"]
                if not from_date and rec.get("from_date"):
                    changes["from_date"] = rec["from_date"]
                if limit is None and rec.get("retire_at_km"):
                    changes["retire_at_km"] = rec["retire_at_km"]
                if not retired and (rec.get("retired_on") or rec.get("retired")):
                    changes["retired_on"] = rec.get("retired_on") or self._shoe_last_use(db, shoe_id)
                in_use = not (retired or changes.get("retired_on"))
                for sub in rec.get("defaults", []) if in_use else []:
                    if sub == "":
                        taken = db.execute("SELECT 1 FROM shoes WHERE is_default=1").fetchone()
                        changes.update({} if taken else {"is_default": 1})
                    elif not default_for and "default_for" not in changes:
                        taken = db.execute("SELECT 1 FROM shoes WHERE default_for=?", (sub,)).fetchone()
                        changes.update({} if taken else {"default_for": sub})
                if changes:
                    sets = ", ".join(f"{k}=?" for k in changes)
                    db.execute(f"UPDATE shoes SET {sets} WHERE shoe_id=?", (*changes.values(), shoe_id))
                    if stored not in created and stored not in updated:
                        updated.append(stored)
        return {"created": created, "updated": updated}

    @staticmethod
    def _shoe_last_use(db, shoe_id: int | None) -> str:
        """Retirement day for gear an export marks retired without a date: the day after its last run
        (UTC), or today (UTC) when it has none."""
        row = None
        if shoe_id is not None:
            row = db.execute("SELECT MAX(start_utc) FROM activities WHERE shoe_id=?", (shoe_id,)).fetchone()
        if row and row[0]:
            return (pd.Timestamp(row[0]).normalize() + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
        return pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d")


def _first_bin(centre: float) -> int | None:
    """The lowest integer bin whose centre (``bin + 0.5``) is at or above ``centre``; None when none is.

    ``bin >= _first_bin(x)`` selects exactly the integer bins with ``bin + 0.5 >= x`` (the comparison is
    re-checked in floating point, as SQLite would make it), and lets SQLite search the primary key.
    """
    if centre != centre or centre > 2.0**52:  # NaN or beyond any stored bin: no bin counts
        return None
    if centre < -(2.0**52):
        return -(2**62)
    k = math.ceil(centre - 0.5)
    while (k - 1) + 0.5 >= centre:
        k -= 1
    while k + 0.5 < centre:
        k += 1
    return k


def _typed_log(columns: dict[str, tuple], n: int) -> pd.DataFrame:
    """The log frame from the query's columns (tuples of SQLite values), typed by :data:`LOG_COLUMNS`.

    Built column by column with numpy rather than through ``pandas.read_sql_query``, which would type every
    column twice (first inferred, then as the schema says): a third of ``load_log``'s time.
    """
    out = {}
    for col, dtype in LOG_COLUMNS.items():
        values = columns.get(col, (None,) * n)
        if dtype.startswith("datetime"):
            out[col] = _utc_times(values)
        elif dtype == "bool":
            out[col] = np.array([bool(v) if v is not None else False for v in values], dtype=bool)
        elif dtype == "int64":
            out[col] = np.array([int(v) if v is not None else 0 for v in values], dtype="int64")
        elif dtype == "float64":
            try:
                out[col] = np.array(values, dtype="float64")  # None → NaN
            except (TypeError, ValueError):  # a stray text value: NaN, as pandas.to_numeric(coerce) makes it
                raw = pd.Series(np.array(values, dtype=object), dtype=object)
                out[col] = pd.to_numeric(raw, errors="coerce").astype("float64").to_numpy()
        else:  # text: object column, None where missing (not pandas' str dtype, which would make it NaN)
            out[col] = pd.Series(np.array(values, dtype=object).reshape(n), dtype=object)
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def _utc_times(values: tuple) -> pd.Series:
    """Stored ``TIME_FORMAT`` texts as ``datetime64[ns, UTC]`` (None → NaT).

    numpy parses the fixed ISO form in C, several times faster than ``strptime``; any other text goes
    through ``pandas.to_datetime`` with the format, as before.
    """
    if all(type(v) is str and len(v) == 27 and v[-1] == "Z" for v in values):
        parsed = np.array([v[:-1] for v in values], dtype="datetime64[ns]")
        return pd.Series(parsed).dt.tz_localize("UTC")
    raw = pd.Series(np.array(values, dtype=object), dtype=object)
    return pd.to_datetime(raw, format=TIME_FORMAT, utc=True).astype("datetime64[ns, UTC]")
