"""The report in a real browser: headless Chromium loads it without errors, shows every chart, and a
screenshot can be taken (written to the test's tmp folder; docs/make_screenshot.py makes the README's)."""

from __future__ import annotations

import pytest

from hiprisk.report import CHARTS, html, weekly

from .browser import console_errors, ensure_chromium, load_check, screenshot


@pytest.fixture(scope="module")
def chromium() -> str:
    return ensure_chromium()


@pytest.fixture(scope="module")
def page(history_log, tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "report.html"
    weekly(history_log, "2026-W11").write_html(path)
    return path


def test_report_loads_without_errors(chromium, page, tmp_path):
    found, stderr = load_check(chromium, page, tmp_path)
    assert found["errors"] == []
    assert console_errors(stderr) == []
    assert found["images"] == len(CHARTS) and found["broken"] == []
    assert all(natural_w >= 800 and shown_w > 0 for natural_w, _, shown_w in found["sizes"])
    assert found["sections"] == len(html.SECTIONS)
    assert found["scroll_width"] <= found["viewport_width"], "no horizontal scrolling at 1280 px"


def test_screenshot(chromium, page, tmp_path):
    from PIL import Image

    png = screenshot(chromium, page, tmp_path / "report.png", tmp_path, width=1280, height=2000)
    with Image.open(png) as im:
        assert im.size == (1280, 2000)
        colours = im.convert("RGB").resize((128, 200)).getcolors(maxcolors=100_000)
    assert colours is not None and len(colours) > 50, "a rendered page, not a blank one"


def test_the_load_check_sees_a_broken_image(chromium, page, tmp_path):
    """The probe is not blind: a corrupt data URI and a script error are reported."""
    text = page.read_text(encoding="utf-8")
    broken = text.replace("data:image/png;base64,", "data:image/png;base64,AAAA", 1)
    broken = broken.replace("</body>", "<script>undefined_function();</script></body>")
    bad = tmp_path / "broken.html"
    bad.write_text(broken, encoding="utf-8")
    found, stderr = load_check(chromium, bad, tmp_path)
    assert len(found["broken"]) == 1
    assert any(e.startswith("resource IMG") for e in found["errors"])
    assert any(e.startswith("script") for e in found["errors"])
    assert console_errors(stderr)
