"""The notebooks (issue 7): committed clean, public API only, and they run top to bottom on sample_data/.

The executing tests run each notebook with nbclient on the venv's ``python3`` kernel, ``cwd`` =
``notebooks/``, a timeout per cell, ``MPLBACKEND=Agg`` and ``HIPRISK_HOME`` unset (or pointing at a small
prepared data folder), then check what the notebook showed against independent sources: the files in
``sample_data/activities`` and the ground truth of ``sample_data/truth.csv``. A probe cell appended to the
executed copy reads the kernel's variables; the committed notebooks are never modified.
"""

from __future__ import annotations

import ast
import json
import math
import re
import tempfile
import tomllib
from pathlib import Path

import pandas as pd
import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

import hiprisk  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
SAMPLE_DATA = REPO / "sample_data"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
NAMES = [p.name for p in PATHS]
CELL_TIMEOUT_S = 120
ACTIVITY_SUFFIXES = (".fit", ".gpx", ".tcx", ".fit.gz", ".gpx.gz", ".tcx.gz")
PROBE_MARK = "@@hiprisk-probe@@"

#: Code appended to the executed copy of each notebook: its key variables as JSON on stdout.
PROBES = {
    "explore.ipynb": """
import json as _json
_cols = ["rule", "severity", "period", "value", "threshold", "subject"]
print("@@hiprisk-probe@@" + _json.dumps({
    "home": str(HOME),
    "using_sample": USING_SAMPLE,
    "n_log": len(log),
    "figures": sorted(report.figures),
    "history": history[_cols].to_dict("records"),
    "tuned_history": tuned_history[_cols].to_dict("records"),
    "changes": changes[["rule", "period", "change"]].to_dict("records"),
    "current": hiprisk.effective_settings(config),
    "tuned": hiprisk.effective_settings(tuned),
    "periods": {k: [str(pd.Timestamp(d).date()) for d in days] for k, days in PERIODS.items()},
    "comparison": comparison.drop(columns="change [%]").to_dict(),
    "run_samples": len(samples),
}, default=str))
""",
    "tune_thresholds.ipynb": """
import json as _json
print("@@hiprisk-probe@@" + _json.dumps({
    "home": str(HOME),
    "using_sample": USING_SAMPLE,
    "n_log": len(log),
    "counts": [
        {"rule": rule, "setting": setting, "value": float(value), "caution": int(row["caution"]),
         "high": int(row["high"])}
        for (rule, setting), table in counts.items() for value, row in table.iterrows()
    ],
    "current": hiprisk.effective_settings(config),
    "all_rules": hiprisk.warnings_frame(log, config=config).groupby(["rule", "severity"]).size()
        .rename("n").reset_index().to_dict("records"),
}, default=str))
""",
}


# -- helpers --------------------------------------------------------------------------------------------
def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def _python_source(cell_source: str) -> str:
    """The cell's source without IPython magics and shell escapes (``%matplotlib inline``, ``!ls``)."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in cell_source.splitlines()
    )


def _activity_files() -> list[Path]:
    return sorted(
        p for p in (SAMPLE_DATA / "activities").iterdir() if p.name.lower().endswith(ACTIVITY_SUFFIXES)
    )


def _execute(path: Path, monkeypatch: pytest.MonkeyPatch, xdg: Path, home: Path | None = None):
    """Run a copy of the notebook plus its probe cell; returns ``(executed notebook, probe dict)``."""
    if home is None:
        monkeypatch.delenv("HIPRISK_HOME", raising=False)
    else:
        monkeypatch.setenv("HIPRISK_HOME", str(home))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("XDG_DATA_HOME", str(xdg))  # the platform data dir: must stay untouched
    nb = _read(path)
    nb.cells.append(nbformat.v4.new_code_cell(PROBES[path.name]))
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT_S, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    probe_cell = nb.cells.pop()
    text = "".join(o.get("text", "") for o in probe_cell.outputs if o.output_type == "stream")
    (line,) = [ln for ln in text.splitlines() if ln.startswith(PROBE_MARK)]
    return nb, json.loads(line[len(PROBE_MARK) :])


def _cell(nb, pattern: str):
    """The one code cell whose source matches ``pattern`` (a regex)."""
    found = [c for c in _code_cells(nb) if re.search(pattern, c.source)]
    assert len(found) == 1, f"{len(found)} cells match {pattern!r}"
    return found[0]


def _pngs(cell) -> int:
    return sum(1 for o in cell.outputs if "image/png" in o.get("data", {}))


def _html(cell) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs)


@pytest.fixture(scope="module")
def on_sample(tmp_path_factory):
    """``run(name)``: the notebook executed with HIPRISK_HOME unset (cached per module)."""
    cache: dict[str, tuple] = {}
    xdg = tmp_path_factory.mktemp("xdg-data")

    def run(name: str):
        if name not in cache:
            with pytest.MonkeyPatch.context() as mp:
                cache[name] = (*_execute(NOTEBOOKS / name, mp, xdg), xdg)
        return cache[name]

    return run


# -- committed state ------------------------------------------------------------------------------------
def test_the_notebooks_are_there():
    assert "explore.ipynb" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs(name):
    nb = _read(NOTEBOOKS / name)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert "widgets" not in nb.metadata
    for cell in _code_cells(nb):
        assert cell.outputs == [], f"outputs committed in: {cell.source[:60]!r}"
        assert cell.execution_count is None, f"execution count committed in: {cell.source[:60]!r}"
        assert "execution" not in cell.metadata, "execution timing committed"


@pytest.mark.parametrize("name", NAMES)
def test_only_the_public_api(name):
    """``import hiprisk`` only, and every ``hiprisk.X`` used is exported in ``hiprisk.__all__``."""
    public = set(hiprisk.__all__)
    used = set()
    for cell in _code_cells(_read(NOTEBOOKS / name)):
        tree = ast.parse(_python_source(cell.source))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "hiprisk":
                        assert alias.name == "hiprisk" and alias.asname is None, f"import {alias.name}"
            elif isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] != "hiprisk", f"from {node.module} import ..."
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "hiprisk"
            ):
                used.add(node.attr)
    assert used, "the notebook does not use hiprisk"
    assert used <= public, f"not in hiprisk.__all__: {sorted(used - public)}"


@pytest.mark.parametrize("name", NAMES)
def test_narrative_between_code_cells(name):
    cells = _read(NOTEBOOKS / name).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    run = longest = 0
    for cell in cells:
        run = run + 1 if cell.cell_type == "code" else 0
        longest = max(longest, run)
    assert longest <= 2, "more than two code cells in a row without a word of explanation"
    assert sum(c.cell_type == "markdown" for c in cells) >= len(_code_cells(_read(NOTEBOOKS / name))) / 2


def test_jupyter_is_an_optional_extra():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = " ".join(project["dependencies"]).lower()
    for name in ("jupyter", "ipykernel", "notebook", "nbclient", "ipython"):
        assert name not in core
    extra = " ".join(project["optional-dependencies"]["notebook"]).lower()
    assert "jupyterlab" in extra and "ipykernel" in extra


# -- executed on the sample history ---------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_runs_top_to_bottom_on_sample_data(on_sample, name):
    nb, probe, xdg = on_sample(name)
    for cell in _code_cells(nb):
        assert cell.execution_count is not None
        assert not [o for o in cell.outputs if o.output_type == "error"]
    assert probe["using_sample"] is True
    # the sample history went into a fresh temporary folder, never into the user's data folder
    assert Path(probe["home"]).parent == Path(tempfile.gettempdir())
    assert Path(probe["home"]).name.startswith("hiprisk-notebook-")
    assert not (xdg / "hiprisk").exists()
    # every activity file of sample_data/ was imported (truth.csv lists the same files)
    files = _activity_files()
    assert probe["n_log"] == len(files) == len(pd.read_csv(SAMPLE_DATA / "truth.csv"))


@pytest.mark.slow
def test_explore_shows_the_report_charts_and_a_run_profile(on_sample):
    nb, probe, _ = on_sample("explore.ipynb")
    assert set(probe["figures"]) >= {"weekly_km", "load_ratio", "terrain", "shoes", "calendar"}
    for key in ("weekly_km", "load_ratio", "terrain", "shoes", "calendar"):
        assert _pngs(_cell(nb, rf'(?m)^report\.figures\["{key}"\]\s*$')) == 1
    assert _pngs(_cell(nb, r'tuned_report\.figures\["weekly_km"\]')) == 1
    for cell in [c for c in _code_cells(nb) if "plt.show()" in c.source]:
        assert _pngs(cell) == 1, cell.source[:80]
    profile = _cell(nb, r"Heart rate \[bpm\]")
    assert _pngs(profile) == 1 and probe["run_samples"] > 100


@pytest.mark.slow
def test_explore_lists_the_warnings_as_a_table(on_sample):
    nb, probe, _ = on_sample("explore.ipynb")
    html = _html(_cell(nb, r"^history = hiprisk\.warnings_frame"))
    assert "<table" in html
    assert probe["history"], "the sample history trips several rules (see sample_data/generate.py)"
    for row in probe["history"]:
        assert row["rule"] in html and row["period"] in html
    standing = "".join(o.get("text", "") for o in _cell(nb, r"hiprisk\.evaluate\(").outputs)
    assert "what to do:" in standing or "No warning stands" in standing


@pytest.mark.slow
def test_explore_threshold_tuning_drops_exactly_the_warnings_between_old_and_new_threshold(on_sample):
    _, probe, _ = on_sample("explore.ipynb")
    tuned_rules = {"session_spike", "weekly_increase"}
    for rule in tuned_rules:
        assert probe["tuned"][rule]["caution_pct"] > probe["current"][rule]["caution_pct"]

    def key(row):
        return (row["rule"], row["period"], row["subject"] or "")

    before = {key(r): r for r in probe["history"]}
    after = {key(r): r for r in probe["tuned_history"]}
    expected_gone = set()
    for k, row in before.items():
        if row["rule"] not in tuned_rules:
            assert k in after and after[k]["severity"] == row["severity"], f"untouched rule changed: {k}"
            continue
        new_caution = probe["tuned"][row["rule"]]["caution_pct"]
        if row["severity"] == "caution" and row["value"] <= new_caution:
            expected_gone.add(k)
        else:
            assert k in after and after[k]["severity"] == row["severity"], f"should stay: {row}"
    assert set(after) <= set(before), "raising a threshold cannot add warnings"
    shown = {(c["rule"], c["period"]) for c in probe["changes"] if c["change"] == "disappears"}
    assert shown == {(r, p) for r, p, _ in expected_gone}
    assert all(c["change"] == "disappears" for c in probe["changes"])


@pytest.mark.slow
def test_explore_period_comparison_matches_the_ground_truth(on_sample):
    """Per-week km, descent, trail km, runs, cadence and HR of both periods against truth.csv."""
    _, probe, _ = on_sample("explore.ipynb")
    truth = pd.read_csv(SAMPLE_DATA / "truth.csv", parse_dates=["local_date"])
    truth = truth[truth["sport"] == "running"]
    assert len(probe["periods"]) == 2
    for name, (first, last) in probe["periods"].items():
        shown = probe["comparison"][name]
        rows = truth[truth["local_date"].between(first, last)]
        assert len(rows) > 0
        weeks = ((pd.Timestamp(last) - pd.Timestamp(first)).days + 1) / 7
        assert shown["runs [per week]"] == pytest.approx(len(rows) / weeks)
        assert shown["distance [km/week]"] == pytest.approx(rows["distance_m"].sum() / 1000 / weeks, rel=0.02)
        assert shown["descent [m/week]"] == pytest.approx(rows["descent_m"].sum() / weeks, rel=0.05, abs=5)
        trail = rows.loc[rows["sub_sport"] == "trail", "distance_m"].sum() / 1000 / weeks
        assert shown["trail [km/week]"] == pytest.approx(trail, rel=0.02, abs=0.1)
        cadence = (rows["avg_cadence_spm"] * rows["distance_m"]).sum() / rows["distance_m"].sum()
        assert shown["cadence [steps/min]"] == pytest.approx(cadence, abs=1.0)
        hr = (rows["avg_hr_bpm"] * rows["elapsed_s"]).sum() / rows["elapsed_s"].sum()
        assert shown["heart rate [bpm]"] == pytest.approx(hr, abs=1.5)
        assert shown["longest run [km]"] == pytest.approx(rows["distance_m"].max() / 1000, rel=0.02)


@pytest.mark.slow
def test_tuning_sweep_counts_fall_as_a_caution_line_rises(on_sample):
    """Per-week and per-run rules: a higher caution line flags a subset; the high warnings do not move."""
    _, probe, _ = on_sample("tune_thresholds.ipynb")
    counts = pd.DataFrame(probe["counts"])
    monotone = counts[counts["rule"].isin(["weekly_increase", "session_spike", "downhill_volume"])]
    assert set(monotone["rule"]) == {"weekly_increase", "session_spike", "downhill_volume"}
    for _, group in monotone.groupby(["rule", "setting"]):
        group = group.sort_values("value")
        total = (group["caution"] + group["high"]).to_list()
        assert total == sorted(total, reverse=True), group
        assert group["high"].nunique() == 1, group
    # at the current setting, the sweep (other rules switched off) finds what the full engine finds
    full = {(r["rule"], r["severity"]): r["n"] for r in probe["all_rules"]}
    for rule, group in counts.groupby("rule"):
        setting = group["setting"].iloc[0]
        current = group[[math.isclose(v, probe["current"][rule][setting]) for v in group["value"]]]
        assert len(current) == 1, f"the current {rule}.{setting} is not part of the sweep"
        for severity in ("caution", "high"):
            assert int(current[severity].iloc[0]) == full.get((rule, severity), 0), (rule, severity)


# -- executed on a data folder named by HIPRISK_HOME ----------------------------------------------------
@pytest.fixture(scope="module")
def short_home(tmp_path_factory) -> tuple[Path, int]:
    """A data folder holding the first two weeks of the sample files only (no export metadata, no shoes)."""
    home = tmp_path_factory.mktemp("hiprisk-home")
    (home / "hiprisk.toml").write_text('[athlete]\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    files = _activity_files()[:8]
    with hiprisk.Store(home) as store:
        summary = hiprisk.import_paths(files, store=store, workers=1)
    assert len(summary.added) == len(files), summary.failed
    return home, len(files)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_honours_hiprisk_home(short_home, tmp_path, name):
    home, n = short_home
    with pytest.MonkeyPatch.context() as mp:
        nb, probe = _execute(NOTEBOOKS / name, mp, tmp_path / "xdg", home=home)
    assert probe["using_sample"] is False
    assert Path(probe["home"]) == home
    assert probe["n_log"] == n  # the notebook read the folder and imported nothing into it
    assert len(hiprisk.load_log(home)) == n
    if name == "explore.ipynb":
        assert list(probe["periods"]) == ["previous 4 weeks", "last 4 weeks"]
