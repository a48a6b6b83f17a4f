"""Export metadata parsers: Strava activities.csv / shoes.csv, Garmin gear JSON."""

from __future__ import annotations

import json

import pytest

from hiprisk.errors import FileFormatError
from hiprisk.importers.exports import (
    GearRecord,
    parse_garmin_gear,
    parse_strava_activities,
    parse_strava_shoes,
    strava_sport,
)

STRAVA = "odd/strava-export-archipelagic"

# Activity types per SOURCES.md (Strava-computed values from the export's CSV).
STRAVA_TYPES = {
    "638693618": "running",
    "668551054": "running",
    "895988668": "cycling",
    "902707189": "cycling",
    "1009074316": "running",
    "3163073099": "hiking",
}


def test_real_strava_activities_csv(corpus):
    metas = parse_strava_activities((corpus / STRAVA / "activities.csv").read_bytes())
    assert set(metas) == {f"activities/{i}.gpx" for i in STRAVA_TYPES}
    for activity_id, sport in STRAVA_TYPES.items():
        meta = metas[f"activities/{activity_id}.gpx"]
        assert meta.sport == sport
        assert meta.external_id == activity_id
        assert meta.export == "strava"
        assert meta.shoe is None  # the Activity Gear column is empty in this export
    assert metas["activities/1009074316.gpx"].name == "Maxi Race"
    assert metas["activities/3163073099.gpx"].name == "Winter hike Vercors"


def test_real_strava_csv_has_the_quirks_the_parser_must_survive(corpus):
    """The oracle file really has duplicate headers and 'translation missing' columns."""
    header = (corpus / STRAVA / "activities.csv").read_text().splitlines()[0].split(",")
    assert header.count("Distance") == 2
    assert header.count("Elapsed Time") == 2
    assert any(h.startswith("translation missing") for h in header)


HEADER = (
    "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,"
    "Distance,Relative Effort,Commute,Activity Gear,Filename,Elapsed Time,Distance,Commute"
)


def test_duplicate_headers_and_gear():
    csv = (
        HEADER + "\n"
        '1,"Jan 1, 2024, 7:00:00 AM",Morning Run,Run,,3600,10.5,,false,Pegasus 40,'
        "activities/1.fit.gz,3600,10500.0,false\n"
        '2,"Jan 2, 2024, 7:00:00 AM",Trail,Trail Run,,3600,9.1,,false,Speedgoat 5,'
        "activities/2.gpx.gz,3600,9100.0,false\n"
        '3,"Jan 3, 2024, 7:00:00 AM",Spin,Ride,,3600,30,,false,Canyon,activities/3.tcx.gz,'
        "3600,30000,false\n"
    )
    metas = parse_strava_activities(csv)
    assert metas["activities/1.fit.gz"].shoe == "Pegasus 40"
    assert metas["activities/1.fit.gz"].name == "Morning Run"
    assert (metas["activities/2.gpx.gz"].sport, metas["activities/2.gpx.gz"].sub_sport) == (
        "running",
        "trail",
    )
    # A ride's Activity Gear is a bike, not a shoe.
    assert metas["activities/3.tcx.gz"].sport == "cycling"
    assert metas["activities/3.tcx.gz"].shoe is None


def test_missing_gear_column_bom_quoted_newlines_and_column_order():
    csv = (
        "\ufeffFilename,Activity Type,Activity Description,Activity Name,Extra,Activity ID\r\n"
        'activities/9.fit.gz,Run,"line one\r\nline two, with comma",Long run,x,9\r\n'
        "activities/10.gpx,Walk,,Stroll,,10\r\n"
    ).encode()
    metas = parse_strava_activities(csv)
    assert set(metas) == {"activities/9.fit.gz", "activities/10.gpx"}
    nine = metas["activities/9.fit.gz"]
    assert (nine.external_id, nine.name, nine.sport, nine.shoe) == ("9", "Long run", "running", None)
    assert metas["activities/10.gpx"].sport == "walking"


def test_rows_without_file_and_short_rows():
    csv = HEADER + "\n4,,Manual entry,Run,,1800,5,,false,,,1800,5000,false\n5,,Short,Run\n"
    assert parse_strava_activities(csv) == {}


def test_not_an_activities_csv():
    with pytest.raises(FileFormatError, match="Filename"):
        parse_strava_activities("Shoe Name,Shoe Brand\nx,y\n", "shoes.csv")
    with pytest.raises(FileFormatError, match="empty"):
        parse_strava_activities(b"")


@pytest.mark.parametrize(
    ("activity_type", "expected"),
    [
        ("Run", ("running", None)),
        ("Trail Run", ("running", "trail")),
        ("Virtual Run", ("running", "virtual")),
        ("  trail   run ", ("running", "trail")),
        ("Ride", ("cycling", None)),
        ("Virtual Ride", ("cycling", "virtual")),
        ("E-Bike Ride", ("cycling", None)),
        ("Hike", ("hiking", None)),
        ("Walk", ("walking", None)),
        ("Swim", ("swimming", None)),
        ("Rock Climb", ("other", None)),
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_strava_sport(activity_type, expected):
    assert strava_sport(activity_type) == expected


def test_strava_shoes():
    csv = (
        "Shoe Name,Shoe Brand,Shoe Model,Shoe Default Sport Types\n"
        ",Nike,Pegasus 40,Run\n"
        'Race day,Saucony,Endorphin Pro 3,"Run,Trail Run"\n'
        ",,,\n"
    )
    shoes = parse_strava_shoes(csv, "shoes.csv")
    assert [s.name for s in shoes] == ["Nike Pegasus 40", "Race day"]
    assert shoes[0].aliases == ["Nike Pegasus 40"]
    assert shoes[1].aliases == ["Race day", "Saucony Endorphin Pro 3", "Saucony Endorphin Pro 3 Race day"]
    assert shoes[1].default_sports == ["Run", "Trail Run"]
    assert shoes[1].retired is None and shoes[1].export == "strava"
    assert shoes[0].source == "shoes.csv"
    with pytest.raises(FileFormatError):
        parse_strava_shoes("a,b\n1,2\n")


GARMIN_GEAR = [
    {
        "gearDTOS": [
            {
                "gearPk": 1001,
                "uuid": "u-1",
                "gearMakeName": "Hoka",
                "gearModelName": "Speedgoat 5",
                "displayName": "Trail shoes",
                "customMakeModel": "Hoka Speedgoat 5",
                "gearTypeName": "Shoes",
                "gearStatusName": "retired",
                "dateBegin": "2023-04-01T00:00:00.0",
                "dateEnd": "2024-02-01T00:00:00.0",
                "maximumMeters": 800000.0,
            },
            {
                "gearPk": 1002,
                "gearMakeName": "Canyon",
                "gearModelName": "Endurace",
                "gearTypeName": "Bike",
                "gearStatusName": "active",
                "maximumMeters": 0,
            },
        ],
        "gearActivityDTOs": {"1001": [{"activityId": 111, "gearPk": 1001}, {"activityId": 112}]},
    }
]


def test_garmin_gear():
    gear = parse_garmin_gear(json.dumps(GARMIN_GEAR).encode(), "x_gear.json")
    assert gear[0] == GearRecord(
        name="Trail shoes",
        kind="shoe",
        brand="Hoka",
        model="Speedgoat 5",
        export="garmin",
        retired=True,
        date_begin="2023-04-01",
        date_end="2024-02-01",
        max_distance_m=800000.0,
        external_id="1001",
        activity_ids=["111", "112"],
        aliases=["Trail shoes", "Hoka Speedgoat 5"],
        source="x_gear.json",
    )
    bike = gear[1]
    assert (bike.name, bike.kind, bike.retired, bike.max_distance_m) == (
        "Canyon Endurace",
        "bike",
        False,
        None,
    )
    assert bike.activity_ids == []


def test_garmin_gear_variants_and_errors():
    block = {
        "gearDTOs": [{"gearPk": 5, "displayName": "Road", "gearTypeName": "Shoes"}],
        "gearActivityDTOs": [{"gearPk": 5, "activityId": 9}],
    }
    (road,) = parse_garmin_gear(json.dumps(block))
    assert road.activity_ids == ["9"] and road.retired is None
    assert parse_garmin_gear('[{"gearDTOS": []}]') == []
    with pytest.raises(FileFormatError, match="JSON"):
        parse_garmin_gear(b"{not json")
    with pytest.raises(FileFormatError, match="gearDTOS"):
        parse_garmin_gear(b'[{"something": 1}]')
