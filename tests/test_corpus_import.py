"""The whole real-file corpus through `hiprisk import`: every file imported with its oracle values or
rejected with a one-line reason; nothing crashes; the log round-trips the devices' own session totals."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
from click.testing import CliRunner

import hiprisk
from hiprisk.cli import cli

# Files the corpus documents as unreadable or not activities (SOURCES.md), with the reason we must give.
EXPECTED_FAILURES = {
    "odd/invalid/activity-filecrc.fit": "CRC",
    "odd/invalid/activity-activity-filecrc.fit": "CRC",
    "odd/invalid/activity-unexpected-eof.fit": "truncated",
    "odd/invalid/activity-settings-corruptheader.fit": "header",
    "odd/invalid/activity-settings-nodata.fit": "truncated",
    "odd/nick.fit": "truncated",  # no proper end or CRC (strict decoding)
    "odd/strava-android-app-201.10-b1218918.fit": "local message type",  # undefined local type
    "odd/Settings.fit": "settings",
    "odd/MonitoringFile.fit": "monitoring",
    "odd/MetadataOnly.gpx": "no track points",
    "gpx/cerknicko-without-times.gpx": "no timestamps",
}


@pytest.fixture(scope="module")
def imported(corpus, tmp_path_factory):
    home = tmp_path_factory.mktemp("corpus-home")
    with hiprisk.Store(home) as store:
        summary = hiprisk.import_paths([corpus], store=store, workers=2)
    return home, summary


def _rel(corpus, name: str) -> str:
    return name.replace(str(corpus) + "/", "")


def test_every_file_is_imported_or_rejected_with_a_one_line_reason(corpus, imported):
    home, summary = imported
    failed = {_rel(corpus, f): reason for f, reason in summary.failed}
    for path, words in EXPECTED_FAILURES.items():
        assert path in failed, f"{path} should be rejected"
        assert words.lower() in failed[path].lower(), (path, failed[path])
    unexpected = set(failed) - set(EXPECTED_FAILURES)
    # anything else that fails must at least say why in one line (no traceback, no empty reason)
    assert all(failed[f] and "\n" not in failed[f] and "Traceback" not in failed[f] for f in failed)
    assert len(unexpected) <= 3, f"unexpected failures: { {f: failed[f] for f in unexpected} }"
    log = hiprisk.load_log(home)
    assert len(log) >= 180  # 128 history runs + the other activity files
    assert set(log["source_format"]) == {"fit", "gpx", "tcx"}


def test_history_round_trips_the_device_session_totals(corpus, imported):
    home, _ = imported
    log = hiprisk.load_log(home)
    log = log.assign(file=log["source_path"].str.rsplit("/", n=1).str[-1])
    with open(corpus / "history" / "index.csv", newline="") as fh:
        index = {r["file"]: r for r in csv.DictReader(fh)}
    hist = log[log["source_path"].str.contains("/history/")].set_index("file")
    assert len(hist) == len(index) == 128
    for name, row in index.items():
        got = hist.loc[name]
        assert got["start_utc"] == pd.Timestamp(row["start_time"]), name
        assert got["distance_km"] == pytest.approx(float(row["total_distance"]) / 1000, abs=1e-6), name
        assert got["moving_s"] == pytest.approx(float(row["total_timer_time"]), abs=1e-3), name
        assert got["elapsed_s"] == pytest.approx(float(row["total_elapsed_time"]), abs=1e-3), name
        if row["total_descent"]:
            assert got["descent_m"] == float(row["total_descent"]), name
            assert got["elevation_source"] == "device"
        if row["avg_heart_rate"]:
            assert got["avg_hr"] == float(row["avg_heart_rate"]), name
        assert got["sub_sport"] == row["sub_sport"], name


def test_same_run_as_fit_and_tcx_is_one_activity(corpus, imported):
    """fit/ and tcx/10kUNLP2014-Garmin15 are the same 10 km race: stored once, from the FIT file."""
    home, summary = imported
    log = hiprisk.load_log(home)
    race = log[log["start_utc"].dt.strftime("%Y-%m-%d") == "2014-10-11"]
    assert len(race) == 1
    assert race["source_format"].iloc[0] == "fit"
    assert race["distance_km"].iloc[0] == pytest.approx(10.01082, abs=1e-4)


def test_strava_export_values(corpus, imported):
    """Strava's own figures from the export's activities.csv (SOURCES.md) against our log."""
    home, _ = imported
    log = hiprisk.load_log(home)
    log = log[log["source_path"].str.contains("strava-export-archipelagic")]
    by_id = {
        p.rsplit("/", 1)[-1].split(".")[0]: r
        for p, r in zip(log["source_path"], log.to_dict("records"), strict=True)
    }
    expected = {  # id: (sport, Strava distance m, Strava elapsed s)
        "638693618": ("running", 7830.600098, 2271),
        "668551054": ("running", 8032.5, 3197),
        "895988668": ("cycling", 52931.89844, 9177),
        "1009074316": ("running", 95752.39844, 57865),
        "3163073099": ("hiking", 8510, 8903),
    }
    for aid, (sport, metres, elapsed) in expected.items():
        row = by_id[aid]
        assert row["sport"] == sport, aid
        assert row["distance_km"] == pytest.approx(metres / 1000, rel=0.03), aid
        # the GPX files span up to ~3 % less than Strava's elapsed time (the ride's track ends earlier)
        assert row["elapsed_s"] == pytest.approx(elapsed, rel=0.05), aid
    assert not by_id["895988668"]["is_running"]


def test_reimport_adds_nothing_and_cli_log_is_json(corpus, imported, monkeypatch):
    home, first = imported
    with hiprisk.Store(home) as store:
        again = hiprisk.import_paths([corpus], store=store, workers=2)
    assert again.added == [] and again.duplicates == [] and again.replaced == []
    assert again.present == first.files_seen - len(first.failed)  # every handled file skipped unread
    assert sorted(again.failed) == sorted(first.failed)  # failures are retried and fail the same way
    monkeypatch.setenv("HIPRISK_HOME", str(home))
    result = CliRunner().invoke(cli, ["log", "--json", "--running"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert rows and all(r["is_running"] for r in rows)
