"""Attacks on the move of Microsoft 365 meetings from their Graph ids to their .ics UIDs:
instances Graph sends without a usable iCalUId, rows under both keys, and the cycle after
an upgrade. The worst outcome is a digest sent twice, or never."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from manageup.config import Config
from manageup.sources.graphevents import occurrences
from manageup.store import Store
from tests.conftest import BERLIN, at
from tests.contract.test_microsoft import (  # noqa: F401  (fixtures)
    GRAPH,
    ca,
    fake,
    signed_in,
    trusted,
)
from tests.source_scenario import global_id

SERIES = "sam-alex-weekly@contoso.example"
OLD_SERIES = "AAMkAGI2TGuLAAA=-series-sam-alex"  # its seriesMasterId in the fixtures
MEETING = at("2026-11-05T10:00+01:00")


def _items() -> list[dict[str, Any]]:
    """Every event of the fixtures' three pages, as one list."""
    out: list[dict[str, Any]] = []
    for name in ("page1", "page2", "page3"):
        out += json.loads((GRAPH / f"{name}.json").read_text())["value"]
    return out


def _without_icaluid(items: list[dict[str, Any]], ident: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if not (e["id"] == ident and k == "iCalUId")}
            for e in items]


def _serve(fake: Any, items: list[dict[str, Any]]) -> None:  # noqa: F811
    fake.calendar = lambda _query: {
        "value": items,
        "@odata.deltaLink": f"{fake.base}/v1.0/me/calendarView/delta?$deltatoken=d1"}


def test_an_instance_without_an_icaluid_keeps_its_series_uid() -> None:
    # Graph left out (or garbled) the iCalUId of one instance: it is still the series, so
    # it has the series' UID, not a second identity that would split its history and miss
    # the digest already sent for it.
    events = {e["id"]: e for e in _without_icaluid(_items(), "AAMkAGI2TGuLAAA=-occ-1105")}
    events["AAMkAGI2TGuLAAA=-occ-1126"]["iCalUId"] = "garbled"
    # and one names another UID: the series has one, what most of its instances say
    events["AAMkAGI2TGuLAAA=-occ-1203"]["iCalUId"] = global_id("other@example.com")
    got = occurrences(events, MEETING - timedelta(days=1), MEETING + timedelta(days=40),
                      BERLIN, "work", "alex@example.com", "alex.chen@contoso.example")
    series = {o.uid for o in got.occurrences if o.original_start is not None}
    assert series == {SERIES}


def test_a_digest_sent_before_the_upgrade_is_not_sent_again_when_graph_omits_the_icaluid(
        fake: Any, signed_in: Config, tmp_path: Path) -> None:  # noqa: F811
    from manageup.cycle import make_sources, run_cycle
    from manageup.deliver import make_transport

    old_key = f"{OLD_SERIES}|{MEETING.isoformat()}"
    store = Store.open(signed_in.store.path)
    store.ledger_set(old_key, MEETING, "sent", "<earlier@manageup.invalid>",
                     MEETING - timedelta(hours=18), MEETING - timedelta(hours=18))
    store.close()
    # The 5 Nov instance comes without its iCalUId, the series' others with theirs.
    _serve(fake, _without_icaluid(_items(), "AAMkAGI2TGuLAAA=-occ-1105"))
    store = Store.open(signed_in.store.path)
    try:
        report = run_cycle(signed_in, store, make_sources(signed_in),
                           make_transport(signed_in), at("2026-11-05T08:00+01:00"))
        assert report.sent == []
        assert not (tmp_path / "Maildir" / "new").exists() or \
            not list((tmp_path / "Maildir" / "new").iterdir())
    finally:
        store.close()


def test_a_digest_sent_under_the_old_key_wins_over_an_open_row_under_the_new_one(
        tmp_path: Path) -> None:
    # An older manageup (a daemon still running the old code after the upgrade) sent the
    # digest under the Graph id while the new one had failed to send it under the UID: the
    # failed row must not be tried again.
    store = Store.open(tmp_path / "s.sqlite3")
    try:
        old, new = f"{OLD_SERIES}|{MEETING.isoformat()}", f"{SERIES}|{MEETING.isoformat()}"
        due = MEETING - timedelta(hours=18)
        store.ledger_set(new, MEETING, "failed", "<new@x>", due, due, attempts=1,
                         next_try=due + timedelta(minutes=15), error="connection refused")
        store.ledger_set(old, MEETING, "sent", "<old@x>", due, due)
        store.ledger_set(f"nudge|{new}", MEETING, "failed", "<n@x>", due, due)
        store.ledger_set(f"nudge|{old}", MEETING, "uncertain", "<o@x>", due, due)
        store.rename_uids({OLD_SERIES: SERIES})
        rows = {r.key: (str(r.state), r.message_id) for r in store.ledger()}
        assert rows[new] == ("sent", "<old@x>")
        assert rows[f"nudge|{new}"] == ("uncertain", "<o@x>")
        assert not any(r.may_try(MEETING) for r in store.ledger())
    finally:
        store.close()


def test_a_meeting_keeps_its_uid_when_a_change_to_it_comes_without_its_icaluid(
        fake: Any, signed_in: Config) -> None:  # noqa: F811
    from tests.contract.test_microsoft import WINDOW, poll, source

    items = _items()
    link = f"{fake.base}/v1.0/me/calendarView/delta?$deltatoken=d2"
    # A bare occurrence (no subject: its series has it) comes again as it is.
    changed = [{**e, "subject": e["subject"] + "!"} if "subject" in e else dict(e)
               for e in _without_icaluid(items, "AAMkAGI2TGuLAAA=-budget")
               if e["id"] == "AAMkAGI2TGuLAAA=-budget" or e.get("seriesMasterId")]
    for e in changed:
        e.pop("iCalUId", None)
    fake.calendar = lambda query: {"value": items if "startDateTime" in query else changed,
                                   "@odata.deltaLink": link}
    src = source(signed_in)
    first = {o.start: o.key for o in poll(src, *WINDOW, BERLIN).occurrences}
    again = {o.start: o.key for o in poll(src, *WINDOW, BERLIN).occurrences}
    assert again == first


def test_a_rename_that_fails_midway_leaves_every_row_where_it_was(tmp_path: Path) -> None:
    import pytest

    from manageup.errors import StoreError

    store = Store.open(tmp_path / "s.sqlite3")
    try:
        old = f"{OLD_SERIES}|{MEETING.isoformat()}"
        store.ledger_set(old, MEETING, "sent", "<old@x>", MEETING, MEETING)
        store.record_sent_digest(old, [], ["q1"], MEETING, start=MEETING, title="1:1")
        # The disk fills (or the process dies) after the ledger moved, before the digests.
        store.conn.execute("CREATE TEMP TRIGGER stop BEFORE UPDATE ON digests "
                           "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
        with pytest.raises(StoreError):
            store.rename_uids({OLD_SERIES: SERIES})
        assert [r.key for r in store.ledger()] == [old]
        assert [d.key for d in store.digests()] == [old]
        store.conn.execute("DROP TRIGGER stop")
        assert store.rename_uids({OLD_SERIES: SERIES}) == 1  # the next poll moves them
        assert [r.key for r in store.ledger()] == [f"{SERIES}|{MEETING.isoformat()}"]
    finally:
        store.close()


def test_a_reminder_row_alone_is_moved_too(tmp_path: Path) -> None:
    # The review reminder's row, with nothing else left under the old UID (an export
    # of the ledger alone imported, a digest row removed by hand).
    store = Store.open(tmp_path / "s.sqlite3")
    try:
        when = MEETING.isoformat()
        store.ledger_set(f"nudge|{OLD_SERIES}|{when}", MEETING, "sent", "<n@x>", MEETING,
                         MEETING, kind="nudge")
        assert store.rename_uids({OLD_SERIES: SERIES}) == 1
        assert [r.key for r in store.ledger()] == [f"nudge|{SERIES}|{when}"]
    finally:
        store.close()


def test_a_meeting_keeps_its_uid_when_the_window_is_read_again_without_icaluids(
        fake: Any, signed_in: Config) -> None:  # noqa: F811
    # Graph forgot the delta state (410) and the new read of the window lacks iCalUIds.
    from tests.contract.test_microsoft import WINDOW, poll, source

    items = _items()
    bare = [{k: v for k, v in e.items() if k != "iCalUId"} for e in items]
    reads = [items, bare]
    link = f"{fake.base}/v1.0/me/calendarView/delta?$deltatoken=d2"
    fake.calendar = lambda query: {"value": reads.pop(0) if "startDateTime" in query else [],
                                   "@odata.deltaLink": link}
    src = source(signed_in)
    first = {o.start: o.key for o in poll(src, *WINDOW, BERLIN).occurrences}
    fake.errors = [(410, {}, "sync_state_not_found")]
    again = {o.start: o.key for o in poll(src, *WINDOW, BERLIN).occurrences}
    assert not reads and again == first
