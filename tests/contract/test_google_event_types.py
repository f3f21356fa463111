"""Google's event types (developers.google.com/calendar/api/v3/reference/events,
`eventType`): the user's own "outOfOffice" entry is their absence, as Outlook's OOF is
(issue 27.5); "focusTime" and "workingLocation" entries are never 1:1s, whatever their
title says. The body is tests/fixtures/google/event_types.json (see PROVENANCE.md there)."""

from __future__ import annotations

from datetime import timedelta

from manageup.away import is_away
from manageup.cycle import run_cycle
from manageup.deliver import make_transport
from manageup.detect import detect
from manageup.store import Store
from tests.conftest import at
from tests.contract.test_google import OK, body, google_config, source, synced
from tests.mailcheck import checked_maildir

NOW = at("2026-12-01T17:00+01:00")  # 17 hours before the 1:1 of 2 December
WINDOW = (NOW - timedelta(days=30), NOW + timedelta(days=14))


def test_out_of_office_is_the_users_absence_and_other_types_are_no_1on1s(tmp_path) -> None:
    cfg = google_config(tmp_path)
    got = synced(source(cfg, [(OK, body("event_types"))]), cfg, WINDOW, NOW)
    away = [o.title for o in got.occurrences if is_away(o, cfg)]
    assert away == ["Parental leave"]
    # Focus time titled like a 1:1 prep, and a working location naming the boss: neither
    # is a meeting; only the real 1:1s are found.
    assert [m.occurrence.start.day for m in detect(got.occurrences, cfg)] == [2, 9]


def test_a_1on1_in_google_out_of_office_gets_its_digest_saying_so(tmp_path) -> None:
    cfg = google_config(tmp_path)
    store = Store.open(cfg.store.path)
    src = source(cfg, [(OK, body("event_types")), (OK, body("freebusy_ok"))])
    run_cycle(cfg, store, [src], make_transport(cfg), NOW)
    store.close()
    (digest,) = checked_maildir(cfg.delivery.maildir)
    text = " ".join(digest.get_payload(0).get_payload(decode=True).decode().split())
    assert 'You are out of office that day ("Parental leave"): cancel or move it?' in text
