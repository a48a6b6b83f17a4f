"""GPX 1.1 writer shaped like a Garmin Connect export (track points with TrackPointExtension hr/cad).

Output::

    <gpx version="1.1" creator="…" xmlns="http://www.topografix.com/GPX/1/1" xmlns:ns3="…/v1">
      <metadata><time>START</time></metadata>
      <trk><name>…</name><type>running</type>
        <trkseg>
          <trkpt lat="…" lon="…"><ele>…</ele><time>…Z</time>
            <extensions><ns3:TrackPointExtension><ns3:hr>…</ns3:hr><ns3:cad>…</ns3:cad>
            </ns3:TrackPointExtension></extensions></trkpt>

Times are UTC with a ``Z``. ``cad`` is **per leg** (strides/min, the integer part of half the step
rate) as Garmin exports it; Strava's own GPX may carry steps/min instead (FACTORS.md). Samples
without a position are left out (a ``trkpt`` needs ``lat``/``lon``); an activity with no position at
all cannot be written as GPX.

References
----------
.. [1] TopoGrafix, GPX 1.1 Schema Documentation (topografix.com/GPX/1/1/): element order of
   ``metadataType`` (… time …), ``trkType`` (name, …, type, extensions, trkseg) and ``wptType``
   (ele, time, …, extensions).
.. [2] Garmin, TrackPointExtension v1 schema
   (www8.garmin.com/xmlschemas/TrackPointExtensionv1.xsd): ``atemp, wtemp, depth, hr, cad``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd

from hiprisk.synthetic.activity import SyntheticActivity, as_activity

__all__ = ["GPX_TYPES", "encode_gpx", "write_gpx"]

#: ``<trk><type>`` written for a sub-sport (Garmin Connect's activity type keys).
GPX_TYPES = {"trail": "trail_running", "treadmill": "treadmill_running", "track": "track_running"}
_TPX = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"


def _times(times: pd.Series) -> list[str]:
    """UTC ISO-8601 strings with ``Z``; milliseconds only when some sample has them."""
    ns = pd.DatetimeIndex(times).as_unit("ns").asi8
    unit = "s" if np.all(ns % 1_000_000_000 == 0) else "ms"
    stamps = ns.view("datetime64[ns]").astype(f"datetime64[{unit}]")
    return [f"{t}Z" for t in np.datetime_as_string(stamps, unit=unit)]


def encode_gpx(
    activity: SyntheticActivity | Mapping[str, Any],
    *,
    creator: str = "hiprisk synthetic",
    name: str | None = None,
    activity_type: str | None = None,
    extensions: bool = True,
) -> bytes:
    """Encode one activity as GPX 1.1 bytes (UTF-8).

    Parameters
    ----------
    activity : SyntheticActivity or mapping
        See :func:`hiprisk.synthetic.history.as_activity`.
    creator : str
        The ``gpx/@creator`` attribute (e.g. ``"Garmin Connect"``, ``"StravaGPX"``).
    name : str, optional
        Track name; defaults to the activity's name, else "Running".
    activity_type : str, optional
        ``<trk><type>``; defaults to ``"running"``, or :data:`GPX_TYPES` for the sub-sport
        (``"trail_running"`` for trail).
    extensions : bool
        Write Garmin TrackPointExtension ``hr`` and ``cad`` (per-leg) where present.

    Raises
    ------
    ValueError
        If no sample has a position.
    """
    act = as_activity(activity)
    s = act.samples
    keep = (s["lat_deg"].notna() & s["lon_deg"].notna()).to_numpy()
    if not keep.any():
        raise ValueError("GPX track points need positions; this activity has none (use FIT)")
    s = s.loc[keep]
    lat = s["lat_deg"].to_numpy(dtype=np.float64).tolist()
    lon = s["lon_deg"].to_numpy(dtype=np.float64).tolist()
    ele = s["elevation_m"].to_numpy(dtype=np.float64, na_value=np.nan).tolist()
    times = _times(s["time_utc"]) if len(s) else []
    hr = s["hr_bpm"].to_numpy(dtype=np.float64, na_value=np.nan)
    cad = np.floor(s["cadence_spm"].to_numpy(dtype=np.float64, na_value=np.nan) / 2.0)
    has_hr, has_cad = extensions and not np.isnan(hr).all(), extensions and not np.isnan(cad).all()
    hr_l = hr.tolist()
    cad_l = cad.tolist()

    kind = activity_type or GPX_TYPES.get(act.sub_sport or "", "running")
    title = name or act.name or "Running"
    start = _times(pd.Series([act.start_utc]))[0]
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<gpx creator={quoteattr(creator)} version="1.1" '
        'xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.topografix.com/GPX/1/1 '
        "http://www.topografix.com/GPX/1/1/gpx.xsd "
        f'{_TPX} http://www.garmin.com/xmlschemas/TrackPointExtensionv1.xsd" '
        f'xmlns:ns3="{_TPX}">\n'
        f"  <metadata>\n    <time>{start}</time>\n  </metadata>\n"
        f"  <trk>\n    <name>{escape(title)}</name>\n    <type>{escape(kind)}</type>\n"
        "    <trkseg>\n"
    )
    parts = [head]
    append = parts.append
    for i in range(len(lat)):
        point = f'      <trkpt lat="{lat[i]:.7f}" lon="{lon[i]:.7f}">'
        e = ele[i]
        if e == e:  # not NaN
            point += f"<ele>{e:.2f}</ele>"
        point += f"<time>{times[i]}</time>"
        h = hr_l[i] if has_hr else float("nan")
        c = cad_l[i] if has_cad else float("nan")
        if h == h or c == c:
            point += "<extensions><ns3:TrackPointExtension>"
            if h == h:
                point += f"<ns3:hr>{h:.0f}</ns3:hr>"
            if c == c:
                point += f"<ns3:cad>{c:.0f}</ns3:cad>"
            point += "</ns3:TrackPointExtension></extensions>"
        append(point + "</trkpt>\n")
    append("    </trkseg>\n  </trk>\n</gpx>\n")
    return "".join(parts).encode("utf-8")


def write_gpx(
    path_or_buffer: str | Path | IO[bytes],
    activity: SyntheticActivity | Mapping[str, Any],
    **options: Any,
) -> None:
    """Write *activity* as a GPX file to a path or a binary file object (options of
    :func:`encode_gpx`)."""
    data = encode_gpx(activity, **options)
    if hasattr(path_or_buffer, "write"):
        path_or_buffer.write(data)  # type: ignore[union-attr]
    else:
        Path(path_or_buffer).write_bytes(data)
