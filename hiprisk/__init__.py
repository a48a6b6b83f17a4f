"""hiprisk: a training-load injury-risk monitor for runners.

Watch files (FIT, GPX, TCX, export archives) become a pandas training log; explainable rules flag the
training-load patterns the running-injury literature links to injury (never a diagnosis); a reporter charts
the log and the warnings.

Public API::

    import hiprisk
    hiprisk.import_paths(["export.zip"])      # files, folders, archives → the store
    log = hiprisk.load_log()                  # one row per activity (see hiprisk.log for the schema)
    samples = hiprisk.load_samples(log.activity_id.iloc[-1])
    warnings = hiprisk.evaluate(log)          # warnings standing today
    frame = hiprisk.warnings_frame(log)       # every warning over the history
    weeks = hiprisk.weekly(log)               # per-week km, descent, trail km, rest days (hiprisk.log)
    rep = hiprisk.weekly_report(log)          # the report's numbers and matplotlib figures
    shoes = hiprisk.shoe_table(log, hiprisk.load_shoes())

Everything honours ``HIPRISK_HOME`` (the data folder). ``import hiprisk`` stays light: the rules, the
report, the shoe functions and the import machinery (decoders, worker pool) are imported on first use,
and matplotlib only when a report is drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .config import Athlete, Config, data_home, load_config
from .errors import (
    ConfigError,
    FileFormatError,
    HipriskError,
    NotAnActivityError,
    NotFoundError,
    StoreError,
    UnsafeInputError,
    UnsupportedFileError,
)
from .store import Store

if TYPE_CHECKING:  # pragma: no cover  (the lazy names below, for type checkers)
    from .ingest import ImportSummary, import_paths
    from .log import daily, weekly
    from .report import WeeklyReport
    from .report import weekly as weekly_report
    from .rules import (
        effective_settings,
        evaluate,
        load_ratio_series,
        observations,
        run_flags,
        warnings_frame,
        week_baselines,
        weekly_reference,
    )
    from .shoes import load_shoes, shoe_table

from ._version import __version__ as __version__

__all__ = [
    "Athlete",
    "Config",
    "ConfigError",
    "FileFormatError",
    "HipriskError",
    "ImportSummary",
    "NotAnActivityError",
    "NotFoundError",
    "Store",
    "StoreError",
    "UnsafeInputError",
    "UnsupportedFileError",
    "WeeklyReport",
    "daily",
    "data_home",
    "effective_settings",
    "evaluate",
    "import_paths",
    "load_config",
    "load_log",
    "load_ratio_series",
    "load_samples",
    "load_shoes",
    "observations",
    "run_flags",
    "shoe_table",
    "warnings_frame",
    "week_baselines",
    "weekly",
    "weekly_reference",
    "weekly_report",
]

#: Public names imported on first use: name → (module, attribute). Keeps ``import hiprisk`` fast and free
#: of matplotlib (the report imports it only when it draws) and of the decoders (``hiprisk warnings``
#: reads the store only).
_LAZY: dict[str, tuple[str, str]] = {
    "import_paths": ("hiprisk.ingest", "import_paths"),
    "ImportSummary": ("hiprisk.ingest", "ImportSummary"),
    "evaluate": ("hiprisk.rules", "evaluate"),
    "warnings_frame": ("hiprisk.rules", "warnings_frame"),
    "effective_settings": ("hiprisk.rules", "effective_settings"),
    "observations": ("hiprisk.rules", "observations"),
    "load_ratio_series": ("hiprisk.rules", "load_ratio_series"),
    "weekly_reference": ("hiprisk.rules", "weekly_reference"),
    "week_baselines": ("hiprisk.rules", "week_baselines"),
    "run_flags": ("hiprisk.rules", "run_flags"),
    "weekly_report": ("hiprisk.report", "weekly"),
    "WeeklyReport": ("hiprisk.report", "WeeklyReport"),
    "shoe_table": ("hiprisk.shoes", "shoe_table"),
    "load_shoes": ("hiprisk.shoes", "load_shoes"),
    "daily": ("hiprisk.log", "daily"),
    "weekly": ("hiprisk.log", "weekly"),
}


def __getattr__(name: str):
    """Import a lazily exported name (see ``_LAZY``) on first access and cache it in the module."""
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'hiprisk' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def load_log(home: str | Path | None = None, config: Config | None = None) -> pd.DataFrame:
    """The training log as a DataFrame, one row per activity, oldest first.

    Columns are documented in :mod:`hiprisk.log` (stored columns) plus ``start_local``, ``local_date``,
    ``week`` (the athlete's local time) and ``hard_s``, ``warmup_hard`` (:mod:`hiprisk.intensity`).

    Parameters
    ----------
    home : str or Path, optional
        Data folder; default ``HIPRISK_HOME`` or the platform's user data dir.
    config : Config, optional
        Athlete profile and rule settings; default ``hiprisk.toml`` in the data folder.
    """
    from .intensity import add_intensity
    from .log import add_local_time

    home = Path(home) if home is not None else data_home()
    config = config or load_config(home)
    with Store(home) as store:
        log = store.load_log()
        log = add_local_time(log, config.athlete.tz, config.athlete.week_start)
        return add_intensity(log, lambda th: store.intensity_totals(th.hr_bpm, th.speed_m_s), config.athlete)


def load_samples(activity_id: str, home: str | Path | None = None) -> pd.DataFrame:
    """The per-sample stream of one activity, read from the store's Parquet cache (no file is re-parsed).

    Parameters
    ----------
    activity_id : str
        The activity's id from the log, or a unique prefix of it (as ``git`` accepts).
    home : str or Path, optional
        Data folder; default ``HIPRISK_HOME`` or the platform's user data dir.

    Returns
    -------
    pandas.DataFrame
        One row per recorded sample, sorted by time, with the columns of
        :data:`hiprisk.importers.base.SAMPLE_COLUMNS`: ``time_utc`` (UTC), ``elapsed_s`` [s],
        ``distance_m`` [m, cumulative], ``lat_deg``/``lon_deg`` [degrees, WGS84], ``elevation_m`` [m],
        ``speed_m_s`` [m/s], ``hr_bpm`` [beats/min], ``cadence_spm`` [steps/min, both legs]. Values a file
        does not record are NaN.

    Raises
    ------
    NotFoundError
        No activity has that id (the message suggests the closest one).
    """
    with Store(home) as store:
        (full,) = store.resolve_ids([activity_id])
        return store.load_samples(full)
