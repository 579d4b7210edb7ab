"""Structured weekly hours become OSM opening_hours strings."""

from __future__ import annotations

import duckdb
import pytest

from pipeline import warehouse
from pipeline.sql.opening_hours import normalise_time, osm_opening_hours


@pytest.mark.parametrize("raw,expected", [
    ("9h", "09:00"), ("09:30", "09:30"), ("0930", "09:30"), (930, "09:30"), ("17h45", "17:45"),
    ("12.15", "12:15"), ("24:00", "24:00"), ("25:00", None), ("midi", None), ("", None),
])
def test_times_are_normalised(raw, expected):
    assert normalise_time(raw) == expected


def test_consecutive_identical_days_are_grouped():
    week = {d: [["09:00", "12:00"], ["14:00", "17:00"]] for d in ("Mo", "Tu", "We", "Th", "Fr")}
    week["Sa"] = [["9h", "12h"]]
    assert osm_opening_hours(week) == "Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00"


def test_gaps_two_day_runs_and_closed_days():
    week = {"Mo": [["08:30", "12:00"]], "Tu": [["08:30", "12:00"]], "Th": [["08:30", "12:00"]], "Su": []}
    assert osm_opening_hours(week) == "Mo,Tu 08:30-12:00; Th 08:30-12:00"


def test_invalid_slots_are_dropped_and_empty_weeks_give_none():
    assert osm_opening_hours({"Mo": [["12:00", "09:00"], ["x", "y"]]}) is None
    assert osm_opening_hours({}) is None


def test_available_in_duckdb():
    con = duckdb.connect()
    warehouse.prepare(con)
    rows = con.execute("""select osm_opening_hours('{"We": [["10:00", "16:00"]]}'), osm_opening_hours('oops')""").fetchall()
    assert rows == [("We 10:00-16:00", None)]
