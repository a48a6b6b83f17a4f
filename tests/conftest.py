"""Shared fixtures: the real-file corpus, an isolated data folder, and a fresh store."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
SAMPLE_DATA = REPO / "sample_data"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real-device corpus (``../shared/corpus`` from the repo root); skips when it is absent."""
    if not (CORPUS / "SOURCES.md").is_file():
        pytest.skip("real-file corpus ../shared/corpus is not present beside this checkout")
    return CORPUS


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty, isolated HIPRISK_HOME for one test."""
    path = tmp_path / "hiprisk-home"
    monkeypatch.setenv("HIPRISK_HOME", str(path))
    return path
