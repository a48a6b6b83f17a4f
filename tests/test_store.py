"""The store: schema version, WAL, per-file transactions, de-duplication, crash and concurrency safety."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from hiprisk import features
from hiprisk.errors import NotFoundError, StoreError
from hiprisk.log import summarise
from hiprisk.store import SCHEMA_VERSION, NewActivity, Store

from .helpers import flat_run


def new(act, aid, fmt="fit", sha=None):
    act.source_format = fmt
    row = summarise(act, activity_id=aid, file_sha256=sha or aid * 4, source_path=f"{aid}.{fmt}")
    return NewActivity(row=row, samples=act.samples, hist=features.histograms(act.samples))


def test_new_store_has_schema_version_and_wal(home):
    with Store(home) as store:
        assert store.schema_version == SCHEMA_VERSION
    db = sqlite3.connect(home / "hiprisk.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_newer_schema_is_refused(home):
    Store(home).close()
    db = sqlite3.connect(home / "hiprisk.db")
    db.execute("UPDATE meta SET value='999' WHERE key='schema_version'")
    db.commit()
    with pytest.raises(StoreError, match="newer hiprisk"):
        Store(home)


def test_add_then_load_round_trip(home):
    with Store(home) as store:
        out = store.add_file("fp1", "run.fit", "s" * 64, [new(flat_run(km=8), "aaaa")])
        assert out == [("aaaa", "added", None)]
        log = store.load_log()
        assert log["activity_id"].tolist() == ["aaaa"]
        assert log["distance_km"].iloc[0] == pytest.approx(8.0)
        assert log["start_utc"].dtype == "datetime64[ns, UTC]"
        assert log["is_running"].dtype == bool
        samples = store.load_samples("aaaa")
        assert len(samples) == 8 * 330 + 1
        assert samples["time_utc"].dt.tz is not None
        hist = store.load_hist("hr")
        assert hist["seconds"].sum() == pytest.approx(8 * 330, abs=1)
        assert store.seen_fingerprints() == {"fp1": "added"}


def test_same_activity_twice_is_present_not_added(home):
    with Store(home) as store:
        store.add_file("fp1", "run.fit", "s" * 64, [new(flat_run(), "aaaa")])
        out = store.add_file("fp2", "copy.fit", "s" * 64, [new(flat_run(), "aaaa")])
        assert out == [("aaaa", "present", None)]
        assert len(store.load_log()) == 1


def test_gpx_copy_of_a_fit_run_is_merged(home):
    with Store(home) as store:
        store.add_file("f", "run.fit", "1" * 64, [new(flat_run(km=10), "fit1")])
        gpx = flat_run(start="2026-03-02T06:01:30Z", km=10.25)  # 90 s later, 2.5 % longer
        out = store.add_file("g", "run.gpx", "2" * 64, [new(gpx, "gpx1", fmt="gpx")])
        assert out == [("gpx1", "duplicate", "fit1")]
        assert store.load_log()["activity_id"].tolist() == ["fit1"]


def test_fit_arriving_after_its_gpx_replaces_it_and_keeps_the_title(home):
    with Store(home) as store:
        gpx = flat_run(km=10, name="Morning Run")
        store.add_file("g", "run.gpx", "2" * 64, [new(gpx, "gpx1", fmt="gpx")])
        out = store.add_file("f", "run.fit", "1" * 64, [new(flat_run(km=10), "fit1")])
        assert out == [("fit1", "replaced", "gpx1")]
        log = store.load_log()
        assert log["activity_id"].tolist() == ["fit1"]
        assert log["name"].iloc[0] == "Morning Run"
        assert not (home / "samples" / "gpx1.parquet").exists()


@pytest.mark.parametrize(
    ("delay_s", "km", "merged"),
    [(119, 10.29, True), (121, 10.0, False), (0, 10.31, False), (0, 9.71, True)],
)
def test_dedupe_boundaries(home, delay_s, km, merged):
    with Store(home) as store:
        store.add_file("f", "run.fit", "1" * 64, [new(flat_run(km=10), "fit1")])
        start = pd.Timestamp("2026-03-02T06:00:00Z") + pd.Timedelta(seconds=delay_s)
        out = store.add_file("g", "r.gpx", "2" * 64, [new(flat_run(start=start, km=km), "g1", fmt="gpx")])
        assert (out[0][1] == "duplicate") is merged


def test_failed_write_leaves_no_partial_activity(home, monkeypatch):
    store = Store(home)
    acts = [new(flat_run(), "aaaa"), new(flat_run(start="2026-03-03T06:00:00Z"), "bbbb")]

    def boom(*a, **k):
        raise RuntimeError("power cut")

    monkeypatch.setattr(Store, "_shoe_for", boom)
    with pytest.raises(RuntimeError):
        store.add_file("fp", "two.fit", "s" * 64, acts)
    assert store.load_log().empty
    assert store.seen_fingerprints() == {}
    monkeypatch.undo()
    store.add_file("fp", "two.fit", "s" * 64, acts)  # the next import completes the work
    assert store.load_log()["activity_id"].tolist() == ["aaaa", "bbbb"]


def test_unknown_activity_is_a_clear_error(home):
    with Store(home) as store:
        store.add_file("fp", "a.fit", "s" * 64, [new(flat_run(), "abcdef0123456789")])
        assert store.resolve_ids(["abcdef"]) == ["abcdef0123456789"]
        with pytest.raises(NotFoundError, match="unknown activity 'zzzz'"):
            store.resolve_ids(["zzzz"])
        with pytest.raises(NotFoundError, match="did you mean 'abcdef0123456789'"):
            store.load_samples("abcdef01xx")


def test_store_in_an_unusable_folder_is_a_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot use the data folder"):
        Store(blocker / "home")


def test_sweep_removes_only_old_leftovers(home):
    """Temporary files of killed writes and streams without a row go once an hour old; a stored
    activity's stream, fresh leftovers (maybe a concurrent import's work in progress) and other files stay."""
    import os
    import time

    from hiprisk.store import LEFTOVER_AGE_S

    with Store(home) as store:
        store.add_file("fp1", "run.fit", "s" * 64, [new(flat_run(km=2), "aaaa")])
        d = store.samples_dir
        names = [".bbbb.parquet.1f.tmp", "cccc.parquet", ".dddd.parquet.2e.tmp", "eeee.parquet", "notes.txt"]
        for name in names:
            (d / name).write_bytes(b"x")
        now = time.time()
        old = now - LEFTOVER_AGE_S - 1
        for name in ("aaaa.parquet", ".bbbb.parquet.1f.tmp", "cccc.parquet", "notes.txt"):
            os.utime(d / name, (old, old))
        just_young = now - LEFTOVER_AGE_S + 5
        os.utime(d / "eeee.parquet", (just_young, just_young))
        assert store.sweep_leftovers(now=now) == [".bbbb.parquet.1f.tmp", "cccc.parquet"]
        assert sorted(p.name for p in d.iterdir()) == [
            ".dddd.parquet.2e.tmp",
            "aaaa.parquet",
            "eeee.parquet",
            "notes.txt",
        ]
        assert len(store.load_samples("aaaa")) == 2 * 330 + 1
        assert store.sweep_leftovers(now=now) == []
        assert store.sweep_leftovers(min_age_s=0, now=now + 1) == [".dddd.parquet.2e.tmp", "eeee.parquet"]


def test_encoding_from_sample_arrays_is_the_same_file_as_from_the_frame():
    import pyarrow as pa
    import pyarrow.parquet as pq

    from hiprisk.features import SampleArrays
    from hiprisk.importers.base import SAMPLE_COLUMNS
    from hiprisk.store import encode_samples

    samples = flat_run(km=0.5, cadence_spm=None).samples  # a column all missing
    samples.loc[[3, 9], "hr_bpm"] = float("nan")
    encoded = encode_samples(SampleArrays(samples))
    assert encoded == encode_samples(samples)
    # what the straightforward conversion gives: every column through pandas, NaN stored as null
    table = pq.read_table(pa.BufferReader(encoded))
    assert table.equals(pa.table({c: pa.Array.from_pandas(samples[c]) for c in SAMPLE_COLUMNS}))
    assert table.column("hr_bpm").null_count == 2 and table.column("cadence_spm").null_count == len(samples)


def test_histograms_as_rows_or_as_frame_store_the_same(home, tmp_path):
    act = flat_run(km=3.0)
    act.samples["hr_bpm"] = 120.0 + act.samples["elapsed_s"] % 40.0  # many bins
    as_frame = new(act, "aaaa")
    as_rows = NewActivity(row=as_frame.row, samples=act.samples, hist=features.histogram_rows(act.samples))
    assert len(as_rows.hist) > 40
    stored = []
    for folder, activity in ((home, as_frame), (tmp_path / "other", as_rows)):
        with Store(folder) as store:
            store.add_file("fp", "a.fit", "s" * 64, [activity])
            stored.append(store.load_hist().sort_values(["kind", "bin"]).reset_index(drop=True))
    pd.testing.assert_frame_equal(stored[0], stored[1], check_exact=True)


def test_a_sweep_between_writing_a_stream_and_committing_it_loses_nothing(home, monkeypatch):
    """Another process sweeps (its clock an hour ahead, or the importer paused) after this import wrote
    the stream of an activity and before it commits the row: the import writes the stream again under the
    write lock, so the committed row keeps its samples."""
    import time

    importer, sweeper = Store(home), Store(home)
    write = Store._write_samples
    swept: list[list[str]] = []

    def write_then_sweep(self, activity_id, samples, encoded=None):
        write(self, activity_id, samples, encoded)
        if not swept:  # once: the stream is on disk, its row not yet committed
            swept.append(sweeper.sweep_leftovers(now=time.time() + 7200))

    monkeypatch.setattr(Store, "_write_samples", write_then_sweep)
    importer.add_file("fp1", "run.fit", "s" * 64, [new(flat_run(km=3), "aaaa")])
    assert swept == [["aaaa.parquet"]]  # the race happened: the fresh stream looked like a leftover
    assert len(importer.load_samples("aaaa")) == 3 * 330 + 1
    importer.close()
    sweeper.close()


def test_deleting_an_activity_keeps_a_stream_stored_again_meanwhile(home):
    with Store(home) as store:
        store.add_file("fp1", "run.fit", "s" * 64, [new(flat_run(km=2), "aaaa")])
        store.delete_activity("aaaa")
        assert not (store.samples_dir / "aaaa.parquet").exists()
        store.add_file("fp2", "run.fit", "s" * 64, [new(flat_run(km=2), "aaaa")])
        store._unlink_unstored(["aaaa"])  # a late cleanup for the deleted copy: the row is back, so is kept
        assert len(store.load_samples("aaaa")) == 2 * 330 + 1


def test_opening_a_new_data_folder_at_once_all_succeed(tmp_path):
    """Imports started together on a new data folder (threads here, processes in life) all switch it to WAL;
    SQLite answered all but one "database is locked" at once (no busy wait), which failed those imports."""
    import threading

    for round_ in range(30):
        home = tmp_path / f"home{round_}"
        start, errors = threading.Barrier(4), []

        def open_store(home=home, start=start, errors=errors):
            start.wait()
            try:
                Store(home).close()
            except StoreError as exc:
                errors.append(str(exc))

        threads = [threading.Thread(target=open_store) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with Store(home) as store:
            assert store.schema_version == SCHEMA_VERSION
