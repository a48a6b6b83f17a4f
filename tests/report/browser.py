"""Headless Chromium for the report tests: find it (install it when possible), load a page, screenshot it.

The Debian packages ``chromium`` and ``chromium-driver`` are installed with apt-get when Chromium is absent
and the tests run as root; otherwise the browser tests skip and say why.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
TIMEOUT_S = 120

#: Injected at the top of <head> of a copy of the page: records script errors and failed resources, and
#: on ``load`` writes what it saw into <pre id="hiprisk-load-check"> for ``--dump-dom`` to show.
PROBE = """<script>
(function () {
  var errors = [];
  window.addEventListener('error', function (e) {
    var t = e.target || {};
    errors.push(t.tagName ? ('resource ' + t.tagName + ' ' + (t.alt || t.src || '').slice(0, 60))
                          : ('script ' + e.message));
  }, true);
  window.addEventListener('load', function () {
    var imgs = Array.prototype.slice.call(document.images);
    var out = document.createElement('pre');
    out.id = 'hiprisk-load-check';
    out.textContent = JSON.stringify({
      errors: errors,
      images: imgs.length,
      broken: imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                  .map(function (i) { return i.alt; }),
      sizes: imgs.map(function (i) { return [i.naturalWidth, i.naturalHeight, i.width]; }),
      sections: document.querySelectorAll('[data-section]').length,
      scroll_width: document.documentElement.scrollWidth,
      viewport_width: window.innerWidth
    });
    document.body.appendChild(out);
  });
})();
</script>"""


def find_chromium() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def ensure_chromium() -> str:
    """The Chromium binary; installs the Debian packages when absent and possible, else skips the test."""
    found = find_chromium()
    if found:
        return found
    if not shutil.which("apt-get"):
        pytest.skip("Chromium is not installed and apt-get is not available to install it")
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        pytest.skip("Chromium is not installed and installing it needs root (apt-get install chromium)")
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update"], check=True, capture_output=True, env=env, timeout=900)
        subprocess.run(
            ["apt-get", "install", "-y", "chromium", "chromium-driver"],
            check=True, capture_output=True, env=env, timeout=1800,
        )  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        pytest.skip(f"Chromium is not installed and apt-get could not install it: {exc}")
    found = find_chromium()
    if not found:
        pytest.skip("apt-get installed chromium but no chromium binary is on PATH")
    return found


def _run(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=TIMEOUT_S,
    )  # fmt: skip


def load_check(binary: str, page: Path, work: Path) -> tuple[dict, str]:
    """Load a copy of ``page`` with :data:`PROBE` injected: ``(the probe's findings, Chromium's stderr)``."""
    probe_page = work / "probe.html"
    text = page.read_text(encoding="utf-8")
    probe_page.write_text(text.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    proc = _run(
        binary, work / "profile-dom", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000",
        "--window-size=1280,1000", "--dump-dom", probe_page.as_uri(),
    )  # fmt: skip
    m = re.search(r'<pre id="hiprisk-load-check">(.*?)</pre>', proc.stdout, re.S)
    if not m:
        raise AssertionError(
            f"the page did not finish loading (exit {proc.returncode}): {proc.stderr[-2000:]}"
        )
    found = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    return found, proc.stderr


def console_errors(stderr: str) -> list[str]:
    """Page console messages at error level in Chromium's ``--enable-logging=stderr`` output."""
    lines = [ln for ln in stderr.splitlines() if "CONSOLE" in ln]
    return [ln for ln in lines if re.search(r"Uncaught|Failed to load|Refused to|ERROR", ln)]


def screenshot(binary: str, page: Path, png: Path, work: Path, width: int = 1280, height: int = 4000) -> Path:
    """Chromium's screenshot of ``page`` at ``width`` × ``height`` CSS pixels."""
    proc = _run(
        binary, work / "profile-shot", f"--screenshot={png}", f"--window-size={width},{height}",
        "--virtual-time-budget=10000", page.as_uri(),
    )  # fmt: skip
    if not png.is_file():
        raise AssertionError(f"no screenshot written (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return png
