"""The public API (``hiprisk.__all__``): every name resolves and is documented; ``import hiprisk`` is light.

The notebooks, the CLI and the report are meant to use only these names (tests/test_notebooks.py checks the
notebooks do); the heavy parts (rules, report, matplotlib) load on first use.
"""

from __future__ import annotations

import builtins
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import hiprisk

REPO = Path(__file__).resolve().parents[1]
LAZY = {
    "evaluate": "hiprisk.rules",
    "warnings_frame": "hiprisk.rules",
    "effective_settings": "hiprisk.rules",
    "observations": "hiprisk.rules",
    "WeeklyReport": "hiprisk.report",
    "shoe_table": "hiprisk.shoes",
    "load_shoes": "hiprisk.shoes",
    "daily": "hiprisk.log",
    "weekly": "hiprisk.log",
}


def _own_doc(obj) -> str:
    """The object's own docstring: not inherited, not the signature a dataclass makes up when it has none."""
    doc = vars(obj).get("__doc__") if inspect.isclass(obj) else obj.__doc__
    doc = inspect.cleandoc(doc or "")
    if inspect.isclass(obj) and doc.startswith(f"{obj.__name__}("):
        return ""
    return doc


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO, timeout=60
    )
    return out.stdout


def test_all_is_unique_and_shadows_no_builtin():
    names = list(hiprisk.__all__)
    assert len(names) == len(set(names))
    assert not set(names) & set(dir(builtins)), "a star import would shadow a builtin"


@pytest.mark.parametrize("name", hiprisk.__all__)
def test_every_public_name_resolves_and_is_documented(name):
    obj = getattr(hiprisk, name)
    assert name in dir(hiprisk)
    doc = _own_doc(obj)
    assert len(doc) >= 20, f"hiprisk.{name} has no docstring of its own"
    assert doc.splitlines()[0][0].isupper() or doc.startswith("``"), f"hiprisk.{name}: {doc[:40]!r}"


def _parameters_section(obj) -> str | None:
    """The body of a numpydoc ``Parameters`` section, None when the docstring has none."""
    found = re.search(r"Parameters\n-+\n(.*?)(?:\n\n[A-Z][a-z]+\n-+\n|\Z)", _own_doc(obj), re.S)
    return found.group(1) if found else None


WITH_PARAMETERS = [
    n
    for n in hiprisk.__all__
    if inspect.isfunction(getattr(hiprisk, n)) and _parameters_section(getattr(hiprisk, n))
]


@pytest.mark.parametrize("name", WITH_PARAMETERS)
def test_documented_parameters_exist(name):
    """A numpydoc ``Parameters`` section names only real parameters (docs do not drift from the code)."""
    func = getattr(hiprisk, name)
    params = set(inspect.signature(func).parameters)
    section = _parameters_section(func)
    documented = re.findall(r"^([A-Za-z_][\w, ]*?) :", section, re.M)
    names = {n.strip() for entry in documented for n in entry.split(",")}
    assert names, f"hiprisk.{name}: unreadable Parameters section"
    assert names <= params, f"hiprisk.{name} documents unknown parameters {sorted(names - params)}"


def test_lazy_names_are_the_module_objects():
    import hiprisk.log
    import hiprisk.report
    import hiprisk.rules
    import hiprisk.shoes

    for name, module in LAZY.items():
        assert getattr(hiprisk, name) is getattr(sys.modules[module], name)
    assert hiprisk.weekly_report is hiprisk.report.weekly
    assert hiprisk.weekly is hiprisk.log.weekly  # the weekly table; the report is weekly_report


def test_unknown_attribute_is_an_attribute_error():
    assert not hasattr(hiprisk, "no_such_name")
    with pytest.raises(AttributeError, match="no_such_name"):
        hiprisk.no_such_name  # noqa: B018


def test_import_hiprisk_does_not_import_matplotlib_or_jupyter():
    code = (
        "import json, sys, hiprisk\n"
        "heavy = ('matplotlib', 'IPython', 'ipykernel', 'nbclient', 'hiprisk.report')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy)))\n"
    )
    assert json.loads(_run(code)) == []


def test_using_the_lazy_api_without_drawing_does_not_import_matplotlib():
    code = (
        "import json, sys, hiprisk\n"
        "names = [hiprisk.evaluate, hiprisk.warnings_frame, hiprisk.weekly_report, hiprisk.shoe_table,\n"
        "         hiprisk.weekly, hiprisk.daily, hiprisk.WeeklyReport]\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('matplotlib'))))\n"
    )
    assert json.loads(_run(code)) == []


def test_star_import_gives_exactly_all():
    code = (
        "import json\n"
        "before = set(dir())\n"
        "from hiprisk import *\n"
        "print(json.dumps(sorted(set(dir()) - before - {'before'})))\n"
    )
    assert json.loads(_run(code)) == sorted(hiprisk.__all__)
