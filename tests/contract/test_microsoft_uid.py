"""One meeting, one key: the UID Microsoft 365 events are keyed by is the one the
calendar's .ics export carries, and stores written under the old keys (a series' Graph id)
move to it without sending any digest twice."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from manageup.config import Config
from manageup.model import HistoryEntry
from manageup.sources.graphevents import ical_uid, legacy_uid
from manageup.store import Store
from tests.conftest import at
from tests.contract.test_microsoft import (  # noqa: F401  (fixtures)
    ca,
    fake,
    signed_in,
    source,
    trusted,
)

SERIES = "sam-alex-weekly@contoso.example"
OLD_SERIES = "AAMkAGI2TGuLAAA=-series-sam-alex"  # its seriesMasterId in the fixtures


def _hex(b64: str) -> str:
    return base64.b64decode(b64).hex().upper()


# MS-ASEMAIL 4.3, "Converting a GlobalObjId to a UID", examples 1 and 2.
OUTLOOK_ID = _hex("BAAAAIIA4AB0xbcQGoLgCAfUCRDgQMnBJoXEAQAAAAAAAAAAEAAAAAvw7UtuTulOnjnjhns3jvM=")
VCAL_ID = _hex("BAAAAIIA4AB0xbcQGoLgCAAAAAAAAAAAAAAAAAAAAAAAAAAAMwAAAHZDYWwtVWlkAQAAAHs4MTQx"
               "MkQzQy0yQTI0LTRFOUQtQjIwRS0xMUY3QkJFOTI3OTl9AA==")


@pytest.mark.parametrize(("event", "uid"), [
    # An Exchange meeting's occurrence: the instance date (bytes 17-20) zeroed.
    ({"id": "a", "iCalUId": OUTLOOK_ID, "seriesMasterId": "m"},
     "040000008200E00074C5B7101A82E00800000000E040C9C12685C401000000000000000010000000"
     "0BF0ED4B6E4EE94E9E39E3867B378EF3"),
    # Another system's UID carried after "vCal-Uid".
    ({"id": "a", "iCalUId": VCAL_ID}, "{81412D3C-2A24-4E9D-B20E-11F7BBE92799}"),
    ({"id": "a", "iCalUId": "plain-uid@example.com"}, "plain-uid@example.com"),
    # Nothing that names the series: its Graph id, one key for all its instances.
    ({"id": "a", "seriesMasterId": "m"}, "m"),
    ({"id": "a", "iCalUId": "plain-per-occurrence", "seriesMasterId": "m"}, "m"),
    ({"id": "a", "iCalUId": OUTLOOK_ID[:-2] + "ZZ", "seriesMasterId": "m"}, "m"),
    ({"id": "a", "iCalUId": VCAL_ID.replace("7B383134", "FFFEFDFC")}, "a"),  # not UTF-8
    ({"id": "a", "iCalUId": None}, "a"),
    ({"id": "a", "iCalUId": ""}, "a"),
])
def test_the_uid_is_the_one_the_ics_export_carries(event: dict[str, Any], uid: str) -> None:
    assert ical_uid(event) == uid


def test_every_instance_of_a_series_gets_the_same_uid() -> None:
    from tests.source_scenario import berlin, global_id

    ids = {ical_uid({"id": str(i), "seriesMasterId": "m",
                     "iCalUId": global_id(SERIES, berlin("2026-11-05T10:00") + timedelta(weeks=i))})
           for i in range(3)}
    assert ids == {SERIES}
    assert legacy_uid({"id": "x", "seriesMasterId": "m", "iCalUId": "y"}) == "m"


def _maildir(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "Maildir" / "new"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_digest_sent_under_the_old_graph_id_is_not_sent_again(
        fake: Any, signed_in: Config, tmp_path: Path) -> None:  # noqa: F811
    from manageup.cycle import make_sources, run_cycle
    from manageup.deliver import make_transport

    meeting = at("2026-11-05T10:00+01:00")
    old_key = f"{OLD_SERIES}|{meeting.isoformat()}"
    store = Store.open(signed_in.store.path)
    store.ledger_set(old_key, meeting, "sent", "<earlier@manageup.invalid>",
                     meeting - timedelta(hours=18), meeting - timedelta(hours=18))
    store.record_history([HistoryEntry(old_key, OLD_SERIES, meeting, "scheduled",
                                       "sam@example.com")], meeting - timedelta(days=1))
    store.close()
    now = at("2026-11-05T08:00+01:00")  # the 5 Nov digest is due, and was sent
    store = Store.open(signed_in.store.path)
    try:
        report = run_cycle(signed_in, store, make_sources(signed_in),
                           make_transport(signed_in), now)
        new_key = f"{SERIES}|{meeting.isoformat()}"
        assert report.sent == [] and _maildir(tmp_path) == []
        assert [(r.key, str(r.state)) for r in store.ledger()] == [(new_key, "sent")]
        assert store.sent_message_ids(SERIES, meeting + timedelta(days=7)) == \
            ["<earlier@manageup.invalid>"]  # the next digest threads under it
        assert {(h.key, h.uid) for h in store.history()} >= {(new_key, SERIES)}
    finally:
        store.close()


def test_a_read_only_poll_renames_nothing(fake: Any, signed_in: Config) -> None:  # noqa: F811
    meeting = at("2026-11-05T10:00+01:00")
    old_key = f"{OLD_SERIES}|{meeting.isoformat()}"
    store = Store.open(signed_in.store.path)
    store.ledger_set(old_key, meeting, "sent", "<m@x>", meeting, meeting)
    store.close()
    assert source(signed_in).fetch(at("2026-11-03T08:00+01:00"),
                                   at("2026-11-20T08:00+01:00"), meeting.tzinfo).occurrences
    store = Store.open(signed_in.store.path)
    try:
        assert [r.key for r in store.ledger()] == [old_key]
    finally:
        store.close()


def test_rename_moves_every_keyed_row_and_keeps_rows_already_under_the_new_key(
        tmp_path: Path) -> None:
    start = at("2026-11-05T10:00+01:00")
    store = Store.open(tmp_path / "s.sqlite3")
    try:
        one_off, series = "AAMk%_one", "AAMk_series"
        store.ledger_set(one_off, start, "sent", "<a@x>", start, start)
        store.ledger_set(f"nudge|{series}|{start.isoformat()}", start, "sent", "<b@x>",
                         start, start, kind="nudge")
        store.ledger_set(f"{series}|{start.isoformat()}", start, "sent", "<c@x>", start, start)
        store.ledger_set(f"new-series|{start.isoformat()}", start, "sent", "<d@x>", start,
                         start)  # already there under the new UID: it stays as it is
        store.ledger_set(f"{series}x|{start.isoformat()}", start, "sent", "<e@x>", start,
                         start)  # a UID that merely starts like an old one: untouched
        store.record_sent_digest(f"{series}|{start.isoformat()}", [], ["q1"], start,
                                 start=start, title="1:1")
        assert store.rename_uids({one_off: "one@ics", series: "new-series",
                                  "absent": "whatever"}) == 2
        keys = {(r.key, r.message_id) for r in store.ledger()}
        assert keys == {("one@ics", "<a@x>"),
                        (f"nudge|new-series|{start.isoformat()}", "<b@x>"),
                        (f"{series}|{start.isoformat()}", "<c@x>"),
                        (f"new-series|{start.isoformat()}", "<d@x>"),
                        (f"{series}x|{start.isoformat()}", "<e@x>")}
        assert [d.key for d in store.digests()] == [f"new-series|{start.isoformat()}"]
        assert store.rename_uids({one_off: "one@ics"}) == 0  # nothing left to move
    finally:
        store.close()
