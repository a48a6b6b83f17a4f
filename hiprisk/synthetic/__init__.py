"""Synthetic activity files for sample data, tests and benchmarks.

* :func:`simulate_run` — one deterministic, plausible run (route, pace, HR, cadence, sensor noise);
* :func:`encode_activity` / :func:`write_fit` — a minimal vectorised FIT activity encoder;
* :func:`encode_gpx` / :func:`write_gpx` — GPX 1.1 with Garmin TrackPointExtension hr/cad;
* :func:`plan_to_files` / :func:`example_plan` — many runs to files plus an ``index.csv`` of truth.

Nothing here imports a third-party activity parser; the tests cross-check the files with fitparse
and gpxpy.
"""

from hiprisk.synthetic.fitwrite import encode_activity, fit_crc, write_fit
from hiprisk.synthetic.gpxwrite import encode_gpx, write_gpx
from hiprisk.synthetic.history import (
    SyntheticActivity,
    as_activity,
    example_plan,
    plan_to_files,
    simulate_run,
)

__all__ = [
    "SyntheticActivity",
    "as_activity",
    "encode_activity",
    "encode_gpx",
    "example_plan",
    "fit_crc",
    "plan_to_files",
    "simulate_run",
    "write_fit",
    "write_gpx",
]
