"""What bulk exports say about their activity files: Strava ``activities.csv`` / ``shoes.csv``, Garmin gear.

Pure parsers of bytes: no file system here. :mod:`hiprisk.importers.sources` finds these files while it
walks an export (a folder or a zip) and calls the functions below.

Strava bulk export (``export_<athlete id>.zip``)::

    activities.csv            one row per activity (77+ columns, English headers, duplicate names)
    activities/<id>.fit.gz    the original uploads: .fit.gz, .gpx, .gpx.gz, .tcx.gz, ...
    shoes.csv, bikes.csv      gear lists
    routes/<id>.gpx           planned routes (no timestamps): not activities

Garmin Connect data export (``<uuid>_1.zip``)::

    DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip   zips of the original uploads
    DI_CONNECT/DI-Connect-Fitness/<user>_gear.json                    gear and activity → gear links

The Strava layout is checked against a real export subset (``odd/strava-export-archipelagic`` of the test
corpus). The Garmin layout and the gear JSON keys come from documentation and from open-source tools that
read those exports, not from a real export file: read them defensively.

References
----------
.. [1] Strava Support, "Exporting your Data and Bulk Export",
   https://support.strava.com/hc/en-us/articles/216918437-Exporting-your-Data-and-Bulk-Export
.. [2] Garmin, "Export Your Data", https://www.garmin.com/en-US/account/datamanagement/exportdata/
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from hiprisk.errors import FileFormatError
from hiprisk.importers.base import SourceMeta

#: File names that make a folder (or a folder inside a zip) a Strava bulk export.
STRAVA_ACTIVITIES_CSV = "activities.csv"
STRAVA_ACTIVITIES_DIR = "activities"
STRAVA_SHOES_CSV = "shoes.csv"
STRAVA_ROUTES_DIR = "routes"
#: Folder of a Garmin export whose nested zips hold the original uploads.
GARMIN_UPLOADS_DIR = "DI-Connect-Uploaded-Files"
#: Folder of a Garmin export holding ``<user>_gear.json``.
GARMIN_FITNESS_DIR = "DI-Connect-Fitness"
GARMIN_GEAR_SUFFIX = "_gear.json"

#: Strava "Activity Type" → (sport, sub_sport). Keys are lower case; unknown types map to "other".
STRAVA_ACTIVITY_TYPES: dict[str, tuple[str, str | None]] = {
    "run": ("running", None),
    "trail run": ("running", "trail"),
    "virtual run": ("running", "virtual"),
    "walk": ("walking", None),
    "hike": ("hiking", None),
    "swim": ("swimming", None),
    "ride": ("cycling", None),
    "virtual ride": ("cycling", "virtual"),
    "e-bike ride": ("cycling", None),
    "mountain bike ride": ("cycling", None),
    "gravel ride": ("cycling", None),
    "e-mountain bike ride": ("cycling", None),
}
#: Sports whose "Activity Gear" is a shoe (for cycling it is a bike, for swimming nothing useful).
_SHOE_SPORTS = frozenset({"running", "walking", "hiking", "other"})


@dataclass
class GearRecord:
    """One piece of gear listed by an export (a shoe, a bike, ...).

    Only what the export states; distances are not summed here (the shoe manager does that from the
    imported activities). ``aliases`` are the spellings under which activities may name this gear: a
    Strava ``activities.csv`` names a shoe in its ``Activity Gear`` column, and open-source readers of
    real exports report "<Brand> <Model>" (plus the nickname when one is set) there, which is not
    verified here on a real export with shoes.
    """

    name: str
    kind: str = "shoe"  # "shoe", "bike" or "other"
    brand: str | None = None
    model: str | None = None
    export: str = "strava"  # "strava" or "garmin"
    retired: bool | None = None  # None: the export does not say (Strava shoes.csv)
    date_begin: str | None = None  # ISO date, e.g. "2021-03-01"
    date_end: str | None = None
    max_distance_m: float | None = None  # the user's replacement alert, when set
    default_sports: list[str] = field(default_factory=list)
    external_id: str | None = None  # Garmin gearPk
    activity_ids: list[str] = field(default_factory=list)  # Garmin activity ids that used this gear
    aliases: list[str] = field(default_factory=list)
    source: str | None = None  # display name of the file it came from


def strava_sport(activity_type: str | None) -> tuple[str | None, str | None]:
    """Map a Strava "Activity Type" to hiprisk's (sport, sub_sport).

    ``"Trail Run"`` → ``("running", "trail")``; an unknown type → ``("other", None)``; an empty one →
    ``(None, None)`` (the export says nothing, so the file's own sport stands).
    """
    if activity_type is None:
        return None, None
    key = " ".join(activity_type.split()).lower()
    if not key:
        return None, None
    return STRAVA_ACTIVITY_TYPES.get(key, ("other", None))


def _text(data: bytes | str) -> str:
    if isinstance(data, bytes):
        data = data.decode("utf-8-sig", errors="replace")
    return data.lstrip("\ufeff")


def _csv_rows(data: bytes | str, source: str | None) -> tuple[dict[str, int], list[list[str]]]:
    """Header index (first occurrence of each stripped name) and the data rows of a CSV."""
    reader = csv.reader(io.StringIO(_text(data), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise FileFormatError(source, "empty CSV file (no header row)")
        index: dict[str, int] = {}
        for i, column in enumerate(header):
            index.setdefault(column.strip(), i)
        rows = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise FileFormatError(source, f"malformed CSV at line {reader.line_num}: {exc}") from exc
    return index, rows


def _cell(row: list[str], index: dict[str, int], column: str) -> str | None:
    i = index.get(column)
    if i is None or i >= len(row):
        return None
    value = row[i].strip()
    return value or None


def parse_strava_activities(data: bytes | str, source: str | None = None) -> dict[str, SourceMeta]:
    """Read a Strava export's ``activities.csv`` into ``{Filename: SourceMeta}``.

    Columns are found by their English header, so order, extra columns, missing optional columns
    (``Activity Gear``, ``Activity Name``, ...), a UTF-8 BOM and quoted newlines in descriptions do
    not matter. Strava repeats some headers (``Distance``, ``Elapsed Time``, ``Commute``, ...); only
    the first occurrence of each name is used, and none of the repeated ones is read here.

    Parameters
    ----------
    data : bytes or str
        The file's content.
    source : str, optional
        Display name for error messages.

    Returns
    -------
    dict
        Keyed by the ``Filename`` column exactly as written (``"activities/123.fit.gz"``). Rows with no
        file (manual entries) are left out. ``SourceMeta.export`` is ``"strava"``; ``shoe`` is the
        ``Activity Gear`` of foot sports (for rides it names a bike and is left out).

    Raises
    ------
    FileFormatError
        Not a CSV, or no ``Filename`` column (so not an activity list).

    References
    ----------
    .. [1] Strava Support, "Exporting your Data and Bulk Export",
       https://support.strava.com/hc/en-us/articles/216918437-Exporting-your-Data-and-Bulk-Export
    """
    index, rows = _csv_rows(data, source)
    if "Filename" not in index:
        raise FileFormatError(source, "no 'Filename' column: not a Strava activities.csv")
    out: dict[str, SourceMeta] = {}
    for row in rows:
        filename = _cell(row, index, "Filename")
        if filename is None:
            continue
        sport, sub_sport = strava_sport(_cell(row, index, "Activity Type"))
        gear = _cell(row, index, "Activity Gear")
        out[filename] = SourceMeta(
            name=_cell(row, index, "Activity Name"),
            sport=sport,
            sub_sport=sub_sport,
            shoe=gear if sport in _SHOE_SPORTS else None,
            external_id=_cell(row, index, "Activity ID"),
            export="strava",
        )
    return out


def parse_strava_shoes(data: bytes | str, source: str | None = None) -> list[GearRecord]:
    """Read a Strava export's ``shoes.csv`` (Shoe Name, Shoe Brand, Shoe Model, Shoe Default Sport Types).

    ``name`` is the nickname when set, else "<Brand> <Model>"; ``aliases`` also hold "<Brand> <Model>"
    and "<Brand> <Model> <Nickname>", the spellings ``Activity Gear`` may use. The file does not say
    whether a shoe is retired (``retired`` is None) nor its distance.
    """
    index, rows = _csv_rows(data, source)
    if not {"Shoe Name", "Shoe Brand", "Shoe Model"} & set(index):
        raise FileFormatError(source, "no 'Shoe Name'/'Shoe Brand'/'Shoe Model' column")
    out = []
    for row in rows:
        nickname = _cell(row, index, "Shoe Name")
        brand = _cell(row, index, "Shoe Brand")
        model = _cell(row, index, "Shoe Model")
        brand_model = " ".join(p for p in (brand, model) if p)
        name = nickname or brand_model
        if not name:
            continue
        aliases = []
        for alias in (name, brand_model, " ".join(p for p in (brand_model, nickname) if p)):
            if alias and alias not in aliases:
                aliases.append(alias)
        sports = _cell(row, index, "Shoe Default Sport Types")
        out.append(
            GearRecord(
                name=name,
                kind="shoe",
                brand=brand,
                model=model,
                export="strava",
                default_sports=[s.strip() for s in sports.split(",") if s.strip()] if sports else [],
                aliases=aliases,
                source=source,
            )
        )
    return out


def _garmin_kind(type_name: object) -> str:
    text = str(type_name or "").lower()
    if "shoe" in text:
        return "shoe"
    if "bike" in text or "bicycle" in text:
        return "bike"
    return "other"


def _iso_date(value: object) -> str | None:
    text = str(value).strip() if value not in (None, "") else ""
    return text[:10] or None


def _positive(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _key(mapping: dict, *names: str):
    lowered = {k.lower(): v for k, v in mapping.items() if isinstance(k, str)}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def parse_garmin_gear(data: bytes | str, source: str | None = None) -> list[GearRecord]:
    """Read a Garmin export's ``DI_CONNECT/DI-Connect-Fitness/<user>_gear.json``.

    The file is a list holding one object (a bare object is accepted too) with ``gearDTOS`` — one
    object per gear: ``gearPk``, ``displayName``, ``customMakeModel``, ``gearMakeName``,
    ``gearModelName``, ``gearTypeName`` ("Shoes", "Bike", ...), ``gearStatusName`` ("active",
    "retired"), ``dateBegin``, ``dateEnd``, ``maximumMeters`` — and ``gearActivityDTOs``, a map
    from gearPk (as text) to ``[{"activityId": ...}, ...]`` (a flat list of objects with both keys is
    accepted too). These key names come from open-source readers of real exports, not from a
    real export seen here.

    ``activity_ids`` are Garmin activity ids; joining them to uploaded files needs the activity list
    (``*_summarizedActivities.json``), which this module does not read.

    References
    ----------
    .. [1] Garmin, "Export Your Data", https://www.garmin.com/en-US/account/datamanagement/exportdata/
    """
    try:
        payload = json.loads(_text(data))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise FileFormatError(source, f"not valid JSON: {exc}") from exc
    blocks = payload if isinstance(payload, list) else [payload]
    gear_rows: list[dict] = []
    links: dict[str, list[str]] = {}
    for block in blocks:
        if not isinstance(block, dict):
            continue
        rows = _key(block, "gearDTOS")
        if isinstance(rows, list):
            gear_rows.extend(r for r in rows if isinstance(r, dict))
        raw_links = _key(block, "gearActivityDTOs")
        if isinstance(raw_links, dict):
            pairs = [
                (str(pk), item)
                for pk, items in raw_links.items()
                if isinstance(items, list)
                for item in items
            ]
        elif isinstance(raw_links, list):
            pairs = [(str(_key(item, "gearPk")), item) for item in raw_links if isinstance(item, dict)]
        else:
            pairs = []
        for pk, item in pairs:
            activity = _key(item, "activityId") if isinstance(item, dict) else item
            if activity not in (None, ""):
                links.setdefault(pk, []).append(str(activity))
    if not gear_rows and not any(isinstance(b, dict) and _key(b, "gearDTOS") is not None for b in blocks):
        raise FileFormatError(source, "no 'gearDTOS' list: not a Garmin gear file")
    out = []
    for row in gear_rows:
        brand = _key(row, "gearMakeName") or None
        model = _key(row, "gearModelName") or None
        make_model = " ".join(str(p) for p in (brand, model) if p)
        name = _key(row, "displayName") or _key(row, "customMakeModel") or make_model
        if not name:
            continue
        name = str(name).strip()
        pk = _key(row, "gearPk")
        aliases = []
        for alias in (name, _key(row, "customMakeModel"), make_model):
            if alias and str(alias).strip() not in aliases:
                aliases.append(str(alias).strip())
        status = str(_key(row, "gearStatusName") or "").lower()
        out.append(
            GearRecord(
                name=name,
                kind=_garmin_kind(_key(row, "gearTypeName")),
                brand=str(brand) if brand else None,
                model=str(model) if model else None,
                export="garmin",
                retired=(status == "retired") if status else None,
                date_begin=_iso_date(_key(row, "dateBegin")),
                date_end=_iso_date(_key(row, "dateEnd")),
                max_distance_m=_positive(_key(row, "maximumMeters")),
                external_id=str(pk) if pk is not None else None,
                activity_ids=links.get(str(pk), []) if pk is not None else [],
                aliases=aliases,
                source=source,
            )
        )
    return out
