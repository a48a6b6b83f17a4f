"""Batch import end to end: idempotency, de-duplication, failures that never stop a batch, exit codes."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

import hiprisk
from hiprisk.cli import cli
from hiprisk.store import Store
from hiprisk.synthetic.fitwrite import write_fit
from hiprisk.synthetic.gpxwrite import write_gpx
from hiprisk.synthetic.history import simulate_run


@pytest.fixture
def run_files(tmp_path):
    """One run written as FIT and as GPX (the same activity), plus another FIT run."""
    folder = tmp_path / "watch"
    folder.mkdir()
    run = simulate_run("2026-03-02T06:00:00Z", 8.0, pace_s_per_km=330, seed=1, utc_offset_s=3600)
    write_fit(folder / "monday.fit", run)
    write_gpx(folder / "monday.gpx", run)
    other = simulate_run("2026-03-04T06:00:00Z", 10.0, pace_s_per_km=330, seed=2, utc_offset_s=3600)
    write_fit(folder / "wednesday.fit", other)
    return folder


def test_import_is_idempotent_and_merges_the_fit_gpx_pair(home, run_files):
    first = hiprisk.import_paths([run_files], workers=1)
    assert len(first.added) + len(first.replaced) == 2
    assert len(first.duplicates) + len(first.replaced) == 1
    log = hiprisk.load_log()
    assert len(log) == 2
    assert set(log["source_format"]) == {"fit"}  # FIT preferred over its GPX copy
    again = hiprisk.import_paths([run_files], workers=1)
    assert (len(again.added), again.present, again.failed) == (0, 3, [])
    assert len(hiprisk.load_log()) == 2


def test_a_broken_file_is_reported_and_never_stops_the_batch(home, run_files):
    (run_files / "broken.fit").write_bytes(b"\x0e\x10garbage" * 10)
    (run_files / "empty.gpx").write_bytes(b"")
    (run_files / "notes.txt").write_text("hello")
    summary = hiprisk.import_paths([run_files], workers=1)
    failed = dict(summary.failed)
    assert set(failed) == {str(run_files / "broken.fit"), str(run_files / "empty.gpx")}
    assert all(reason and "\n" not in reason for reason in failed.values())
    assert [name for name, _ in summary.skipped] == [str(run_files / "notes.txt")]
    assert len(hiprisk.load_log()) == 2
    assert summary.exit_code == 1


def test_parallel_decoding_gives_the_same_log(home, tmp_path, run_files):
    for i in range(6):
        run = simulate_run(f"2026-03-{10 + i}T06:00:00Z", 5.0 + i, seed=10 + i)
        write_fit(run_files / f"extra{i}.fit", run)
    hiprisk.import_paths([run_files], workers=2)
    parallel = hiprisk.load_log().drop(columns=["start_local"])
    other = tmp_path / "other-home"
    with Store(other) as store:
        hiprisk.import_paths([run_files], store, workers=1)
    serial = hiprisk.load_log(other).drop(columns=["start_local"])
    pd.testing.assert_frame_equal(
        parallel.drop(columns=["source_path"]).reset_index(drop=True),
        serial.drop(columns=["source_path"]).reset_index(drop=True),
    )
    assert len(serial) == 8


def test_local_time_from_the_file_offset(home, tmp_path):
    # 06:30 on Monday 2 March 2026 in UTC+10 is Sunday 1 March 20:30 UTC: it belongs to Monday, ISO week 10.
    run = simulate_run("2026-03-01T20:30:00Z", 5.0, seed=3, utc_offset_s=36000)
    write_fit(tmp_path / "sydney.fit", run)
    hiprisk.import_paths([tmp_path / "sydney.fit"])
    log = hiprisk.load_log()
    assert log["local_date"].iloc[0] == pd.Timestamp("2026-03-02")
    assert log["week"].iloc[0] == "2026-W10"
    assert log["start_local"].iloc[0].strftime("%H:%M %z") == "06:30 +1000"


def test_cross_training_is_kept_but_not_running(home, tmp_path):
    ride = simulate_run("2026-03-03T06:00:00Z", 30.0, pace_s_per_km=120, seed=4)
    ride.sport, ride.sub_sport = "cycling", None
    write_fit(tmp_path / "ride.fit", ride)
    summary = hiprisk.import_paths([tmp_path / "ride.fit"])
    assert len(summary.non_running) == 1
    log = hiprisk.load_log()
    assert log["sport"].tolist() == ["cycling"] and not log["is_running"].any()


def test_cli_import_summary_json_and_exit_codes(home, run_files):
    runner = CliRunner()
    result = runner.invoke(cli, ["import", "--json", str(run_files)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["added"] + data["duplicates_merged"] == 3 and data["failed"] == []
    (run_files / "bad.tcx").write_text("<TrainingCenterDatabase><Activities>")
    result = runner.invoke(cli, ["import", str(run_files)])
    assert result.exit_code == 1
    assert f"failed: {run_files / 'bad.tcx'}: " in result.output
    result = runner.invoke(cli, ["import", str(run_files / "missing.fit")])
    assert result.exit_code == 2
    result = runner.invoke(cli, ["log", "--json"])
    rows = json.loads(result.output)
    assert len(rows) == 2 and {"activity_id", "distance_km", "start_local"} <= set(rows[0])


def test_load_samples_reads_the_stream_without_the_file(home, run_files):
    hiprisk.import_paths([run_files / "wednesday.fit"])
    (run_files / "wednesday.fit").unlink()
    aid = hiprisk.load_log()["activity_id"].iloc[0]
    samples = hiprisk.load_samples(aid[:8])
    assert samples["distance_m"].max() == pytest.approx(10_000, rel=0.01)
    assert samples["hr_bpm"].notna().all()


def test_sample_data_imports_cleanly(home):
    from .conftest import SAMPLE_DATA

    summary = hiprisk.import_paths([SAMPLE_DATA])
    truth = pd.read_csv(SAMPLE_DATA / "truth.csv")
    assert summary.failed == []
    assert len(summary.added) == len(truth)
    log = hiprisk.load_log()
    assert log["distance_km"].sum() == pytest.approx(truth["distance_m"].sum() / 1000, rel=0.01)
    assert set(log["shoe"].dropna()) == {"Road A", "Trail B"}
    assert (log["sub_sport"] == "trail").sum() == (truth["sub_sport"] == "trail").sum()


def test_prepare_equals_the_step_by_step_pipeline(run_files):
    """The worker's shared-columns path gives what each public function gives from the frame."""
    _check_prepare(sorted(run_files.iterdir()))


def test_prepare_equals_the_step_by_step_pipeline_on_real_files(corpus):
    real = sorted((corpus / "history").glob("*.fit"))[:4] + sorted((corpus / "gpx").glob("*.gpx"))[:2]
    _check_prepare(real + sorted((corpus / "tcx").glob("*.tcx"))[:2])


def _check_prepare(files):
    import hashlib

    from hiprisk import features, sanity
    from hiprisk.importers import decode
    from hiprisk.importers.base import SourceMeta
    from hiprisk.ingest import activity_id, prepare
    from hiprisk.log import summarise
    from hiprisk.store import encode_samples

    for path in files:
        data = path.read_bytes()
        fmt = path.suffix[1:]
        for meta in (None, SourceMeta(sport="walking", name="walk")):
            sha, acts = prepare(data, fmt, path.name, meta)
            assert sha == hashlib.sha256(data).hexdigest()
            assert prepare(data, fmt, path.name, meta, sha256=sha)[0] == sha
            decoded = decode(data, fmt, path.name)
            assert len(acts) == len(decoded)
            for i, (got, act) in enumerate(zip(acts, decoded, strict=True)):
                act = sanity.clean(act, path.name, sport=meta.sport if meta else None)
                row = summarise(
                    act, activity_id=activity_id(sha, i), file_sha256=sha, source_path=path.name, meta=meta
                )
                assert got.row.keys() == row.keys()
                for key, value in row.items():
                    assert got.row[key] == value or (value != value and got.row[key] != got.row[key]), key
                hist = features.histograms(act.samples)
                assert got.hist == list(
                    zip(hist["kind"], hist["bin"].tolist(), hist["seconds"].tolist(), strict=True)
                )
                assert got.samples_file == encode_samples(act.samples)
                pd.testing.assert_frame_equal(got.samples, act.samples, check_exact=True)
