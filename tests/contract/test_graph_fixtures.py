"""The Graph fake answers as Graph does, and says from where: every file it sends has a
row in tests/fixtures/graph/PROVENANCE.md naming a documentation page or a public report,
and its calendars carry the bare shapes calendarView/delta really sends, not only
complete events (a fake that sent only whole occurrences hid that weekly 1:1s were lost)."""

from __future__ import annotations

import json
import re
from typing import Any

from tests import source_scenario as sc
from tests.contract.test_microsoft import GRAPH

# microsoftgraph/microsoft-graph-docs issue #22197: all a plain occurrence carries.
BARE = {"@odata.type", "@odata.etag", "id", "seriesMasterId", "type", "start", "end"}
SOURCE = re.compile(r"https://(learn\.microsoft\.com|github\.com)/\S+")


def _rows() -> dict[str, str]:
    rows = {}
    for line in (GRAPH / "PROVENANCE.md").read_text().splitlines():
        found = re.match(r"\| `([^`]+)` \|(.*)", line)
        if found:
            rows[found[1]] = found[2]
    return rows


def test_every_graph_fixture_names_its_source() -> None:
    rows = _rows()
    files = {p.name for p in GRAPH.iterdir() if p.name != "PROVENANCE.md"}
    assert files == set(rows)  # no body without a row, no row without a body
    assert [name for name, row in rows.items() if not SOURCE.search(row)] == []


def _items(*names: str) -> list[dict[str, Any]]:
    return [e for n in names for e in json.loads((GRAPH / f"{n}.json").read_text())["value"]]


def test_the_fixture_calendar_is_sent_as_delta_sends_it() -> None:
    items = _items("page1", "page2", "page3")
    bare = [e for e in items if e.get("type") == "occurrence"]
    assert bare and all(set(e) == BARE for e in bare)
    masters = [e for e in items if e.get("type") == "seriesMaster"]
    assert [m["id"] for m in masters] == list({e["seriesMasterId"] for e in bare})
    assert all(m["recurrence"] and m["subject"] and m["attendees"] for m in masters)
    assert all(set(e) == BARE for e in _items("series_since_june", "series_since_june_delta"))


def test_the_contract_calendar_is_sent_as_delta_sends_it() -> None:
    window = sc.graph_events(sc.BASE, sc.START, sc.END)
    bare = [e for e in window.values() if e["type"] == "occurrence"]
    assert bare and all(set(e) == BARE for e in bare)
    assert sc.SERIES_MASTER_ID not in window  # the series began before the window
    # From the series' first instance on, its master is sent too, with that instance's times.
    from_first = sc.graph_events(sc.BASE, sc.SERIES_FIRST, sc.END)
    master = from_first[sc.SERIES_MASTER_ID]
    first = min((e for e in from_first.values() if e["type"] == "occurrence"),
                key=lambda e: e["start"]["dateTime"])
    assert master["type"] == "seriesMaster" and master["start"] == first["start"]
