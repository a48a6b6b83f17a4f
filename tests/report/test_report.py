"""The weekly report: HTML structure, embedded charts, escaping, and warnings equal to the rules' own."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from hiprisk.cli import cli
from hiprisk.report import CHARTS, html, weekly
from hiprisk.rules import evaluate

from .conftest import SAMPLE_DATA_DIR, log_from_rows, seed_store
from .pages import parse_page, png_size

WEEK = "2026-W11"  # the last week of the real history (runs until Sat 2026-03-14)


@pytest.fixture(scope="module")
def history_report(history_log):
    return weekly(history_log, WEEK)


@pytest.fixture(scope="module")
def history_page(history_report):
    text = history_report.to_html()
    return text, parse_page(text)


def _key(w: dict) -> tuple:
    return (w["rule"], w["severity"], w["period"], w.get("subject") or "")


def test_every_section_is_present_in_order(history_page):
    _, page = history_page
    assert page.errors == []
    assert page.sections == list(html.SECTIONS)


def test_every_chart_is_a_valid_embedded_png(history_page):
    _, page = history_page
    by_section = {sec: (src, alt) for sec, src, alt in page.images}
    assert set(by_section) == set(html.CHART_SECTIONS.values())
    for sec, (src, alt) in by_section.items():
        width, height = png_size(src)
        assert width >= 800 and height >= 80, sec
        assert alt


def test_page_is_self_contained(history_page):
    text, page = history_page
    assert not {"script", "link", "iframe", "object"} & page.tags
    assert all(u.startswith("data:image/png;base64,") for u in page.urls)
    assert not re.search(r"url\(|@import|https?://", text.split("<body>", 1)[0])


def test_listed_warnings_are_the_rules_warnings_for_the_week(history_log, history_report, history_page):
    _, page = history_page
    expected = [w.to_dict() for w in evaluate(history_log, as_of="2026-03-15") if w.subject != "history"]
    assert expected, "the last week of the history raises warnings (weekly increase, shoes, ...)"
    assert [_key(w) for w in page.warnings["warnings"]] == [_key(w) for w in expected]
    assert [_key(w) for w in page.warnings["headline"]] == [_key(w) for w in expected]
    ranks = [{"info": 0, "caution": 1, "high": 2}[w["severity"]] for w in page.warnings["warnings"]]
    assert ranks == sorted(ranks, reverse=True), "most severe first"


def test_headline_numbers_match_the_device_totals(history_report, history_index):
    from .conftest import local_days

    day = local_days(history_index)
    week = (day >= "2026-03-09") & (day <= "2026-03-15")
    h = history_report.headline
    assert h["distance_km"] == pytest.approx(history_index.loc[week, "total_distance"].sum() / 1000.0)
    assert h["runs"] == int(week.sum())
    assert h["descent_m"] == pytest.approx(history_index.loc[week, "total_descent"].sum())
    assert h["rest_days"] == 7 - day[week].nunique()


def test_professional_box_is_information_not_diagnosis(history_page):
    text, _ = history_page
    box = text.split('id="see-a-professional"', 1)[1].split("</aside>", 1)[0]
    assert "Information, not diagnosis" in box
    for sign in ("few days", "severe pain", "swelling", "weight-bearing", "numbness", "range of motion"):
        assert sign in box


def test_articles_advice_is_listed(history_page):
    text, _ = history_page
    part = text.split('id="warnings"', 1)[1]
    for word in (
        "Strength",
        "Mobility",
        "Warm up",
        "Progress gradually",
        "Even surfaces",
        "Rest and recover",
    ):
        assert word in part


def test_user_strings_are_escaped(tmp_path):
    rows = [
        {
            "start_utc": f"2026-03-{d:02d}T07:00:00Z",
            "distance_km": 8.0 + d,
            "moving_s": 3000.0,
            "name": "<script>alert('run')</script>",
            "shoe": '<img src=x onerror=alert(1)> & "Co"',
        }
        for d in range(2, 15, 2)
    ]
    rep = weekly(log_from_rows(rows), "2026-W11")
    text = rep.to_html()
    page = parse_page(text)
    assert page.errors == []
    assert "<script" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(&#x27;run&#x27;)&lt;/script&gt;" in text
    assert any('<img src=x onerror=alert(1)> & "Co"' in t for t in page.text)
    assert {"script"}.isdisjoint(page.tags)


def test_weekly_returns_figures_for_notebooks(history_report, tmp_path):
    from matplotlib.figure import Figure

    assert list(history_report.figures) == list(CHARTS)
    for key, fig in history_report.figures.items():
        assert isinstance(fig, Figure)
        assert any(ax.get_title(loc="left") or ax.get_title() for ax in fig.axes), key
    paths = history_report.save_pngs(tmp_path / "png")
    assert [p.name for p in paths] == [f"{WEEK}-{k}.png" for k in CHARTS]
    for p in paths:
        assert p.read_bytes().startswith(b"\x89PNG")


def test_as_of_report_is_the_week_to_date(history_log, history_index):
    from .conftest import local_days

    rep = weekly(history_log, as_of="2026-03-12", figures=False)
    assert rep.figures == {}
    assert rep.period.week == WEEK and not rep.period.complete
    day = local_days(history_index)
    upto = (day >= "2026-03-09") & (day <= "2026-03-12")
    assert rep.headline["distance_km"] == pytest.approx(
        history_index.loc[upto, "total_distance"].sum() / 1000
    )
    expected = [w.to_dict() for w in evaluate(history_log, as_of="2026-03-12")]
    assert [_key(w.to_dict()) for w in rep.warnings] == [_key(w) for w in expected]


def test_a_week_without_runs_still_reports():
    rows = [{"start_utc": f"2026-02-{d:02d}T07:00:00Z", "distance_km": 10.0} for d in range(2, 27, 3)]
    rep = weekly(log_from_rows(rows), "2026-W11")  # two weeks after the last run
    page = parse_page(rep.to_html())
    assert page.errors == []
    assert rep.headline["runs"] == 0 and rep.headline["rest_days"] == 7
    assert len(page.images) == len(CHARTS)


# -- through the CLI, on a store ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def history_home(tmp_path_factory, history_log):
    home = tmp_path_factory.mktemp("report-home")
    seed_store(home, history_log)
    return home


@pytest.mark.parametrize(("week", "last_day"), [(WEEK, "2026-03-15"), ("2026-W02", "2026-01-11")])
def test_cli_report_lists_what_hiprisk_warnings_lists(history_home, tmp_path, monkeypatch, week, last_day):
    monkeypatch.setenv("HIPRISK_HOME", str(history_home))
    runner = CliRunner()
    out = tmp_path / "r.html"
    png = ["--png", str(tmp_path / "png")] if week == WEEK else []
    res = runner.invoke(cli, ["report", "--week", week, "-o", str(out), *png])
    assert res.exit_code == 0, res.output
    assert f"wrote {out}" in res.output
    page = parse_page(out.read_text(encoding="utf-8"))
    assert page.sections == list(html.SECTIONS)
    res = runner.invoke(cli, ["warnings", "--as-of", last_day, "--json"])
    assert res.exit_code == 0, res.output
    listed = [w for w in json.loads(res.output)["warnings"] if w["subject"] != "history"]
    assert [_key(w) for w in page.warnings.get("warnings", [])] == [_key(w) for w in listed]
    if png:
        assert len(list((tmp_path / "png").glob("*.png"))) == len(CHARTS)


def test_cli_report_errors(history_home, monkeypatch, tmp_path):
    monkeypatch.setenv("HIPRISK_HOME", str(history_home))
    runner = CliRunner()
    res = runner.invoke(cli, ["report", "--week", "2026-W99", "-o", str(tmp_path / "x.html")])
    assert res.exit_code == 2
    assert "no ISO week 99" in res.output
    res = runner.invoke(cli, ["report", "--week", WEEK, "--as-of", "2026-03-12"])
    assert res.exit_code == 2
    monkeypatch.setenv("HIPRISK_HOME", str(tmp_path / "empty"))
    res = runner.invoke(cli, ["report", "-o", str(tmp_path / "y.html")])
    assert res.exit_code == 2
    assert "empty" in res.output


def test_cli_report_default_is_the_last_complete_week(history_home, monkeypatch, tmp_path):
    monkeypatch.setenv("HIPRISK_HOME", str(history_home))
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["report"])
    assert res.exit_code == 0, res.output
    # The history ends on Sat 2026-03-14, long before today: its last week is reported.
    assert (tmp_path / f"hiprisk-report-{WEEK}.html").is_file()


@pytest.mark.skipif(
    not SAMPLE_DATA_DIR.is_dir(), reason="sample_data/ is not built yet (the lead enables this)"
)
def test_report_on_sample_data(tmp_path):
    """The shipped sample data imports and reports with every section and chart (enabled once it exists)."""
    import hiprisk

    home = tmp_path / "home"
    summary = hiprisk.import_paths([SAMPLE_DATA_DIR], hiprisk.Store(home))
    assert summary.added and not summary.failed
    log = hiprisk.load_log(home)
    rep = weekly(log)
    page = parse_page(rep.to_html())
    assert page.errors == [] and page.sections == list(html.SECTIONS)
    assert len(page.images) == len(CHARTS)
    for _, src, _ in page.images:
        png_size(src)
    expected = [w for w in evaluate(log, as_of=rep.period.as_of) if w.subject != "history"]
    assert [_key(w) for w in page.warnings.get("warnings", [])] == [_key(w.to_dict()) for w in expected]


@pytest.mark.slow
def test_report_on_the_imported_real_history(corpus, tmp_path, history_index):
    """Decode the 128 real FIT files, then report: the week's km are the files' own session totals."""
    import hiprisk

    from .conftest import local_days

    home = tmp_path / "home"
    summary = hiprisk.import_paths([corpus / "history"], hiprisk.Store(home))
    assert len(summary.added) == 128 and not summary.failed
    log = hiprisk.load_log(home)
    rep = weekly(log, WEEK)
    page = parse_page(rep.to_html())
    assert page.errors == [] and page.sections == list(html.SECTIONS)
    for _, src, _ in page.images:
        png_size(src)
    day = local_days(history_index)
    week = (day >= "2026-03-09") & (day <= "2026-03-15")
    assert rep.headline["distance_km"] == pytest.approx(
        history_index.loc[week, "total_distance"].sum() / 1000, rel=1e-6
    )
    expected = [w for w in evaluate(log, as_of="2026-03-15") if w.subject != "history"]
    assert [_key(w) for w in page.warnings.get("warnings", [])] == [_key(w.to_dict()) for w in expected]
    assert pd.Timestamp(rep.period.as_of) == pd.Timestamp("2026-03-15")


def test_cli_report_as_of_a_day(history_home, monkeypatch, tmp_path):
    monkeypatch.setenv("HIPRISK_HOME", str(history_home))
    out = tmp_path / "asof.html"
    res = CliRunner().invoke(cli, ["report", "--as-of", "2026-03-12", "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert "Training report · 2026-W11" in text and "to date, as of Thu 12 Mar 2026" in text
    listed = json.loads(CliRunner().invoke(cli, ["warnings", "--as-of", "2026-03-12", "--json"]).output)
    expected = [_key(w) for w in listed["warnings"] if w["subject"] != "history"]
    assert [_key(w) for w in parse_page(text).warnings.get("warnings", [])] == expected
