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

Everything honours ``HIPRISK_HOME`` (the data folder).
"""

from __future__ import annotations

from pathlib import Path

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
from .ingest import ImportSummary, import_paths
from .store import Store

__version__ = "0.1.0"

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
    "data_home",
    "import_paths",
    "load_config",
    "load_log",
    "load_samples",
]


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
        hist = store.load_hist()
    log = add_local_time(log, config.athlete.tz, config.athlete.week_start)
    return add_intensity(log, hist, config.athlete)


def load_samples(activity_id: str, home: str | Path | None = None) -> pd.DataFrame:
    """The per-sample stream of one activity (columns in :data:`hiprisk.importers.base.SAMPLE_COLUMNS`).

    ``activity_id`` may be a unique prefix of the id.
    """
    with Store(home) as store:
        (full,) = store.resolve_ids([activity_id])
        return store.load_samples(full)
