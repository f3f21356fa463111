from __future__ import annotations

import json
import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from manageup.errors import StoreError, UsageError
from manageup.store import MIGRATIONS, Store
from tests.conftest import ROOT, at

NOW = at("2026-11-20T09:00+01:00")


def test_new_store_is_private_wal_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "s.sqlite3"
    store = Store.open(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_items_round_trip_with_kind_fields(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.sqlite3")
    rid = store.add_item("risk", "Vendor slip", NOW, fields={"corrective_action": "Moved QA"})
    gid = store.add_item("goal", "Cut spend", NOW)
    oid = store.add_item("owe", "Numbers", NOW, due=date(2026, 11, 25))
    store.update_item(gid, fields={"why_it_matters": "Headcount"})
    store.set_status(oid, "done", NOW)
    assert store.get_item(rid).fields == {"corrective_action": "Moved QA"}
    assert store.get_item(gid).fields == {"why_it_matters": "Headcount"}
    assert [i.id for i in store.items()] == [rid, gid]
    assert [i.status for i in store.items(include_closed=True)] == ["open", "open", "done"]
    assert store.get_item(oid).closed == NOW


@pytest.mark.parametrize("kind,text,fields,message", [
    ("wish", "x", {}, "unknown kind 'wish'"),
    ("need", "   ", {}, "text is empty"),
    ("need", "x", {"obstacles": "y"}, "need items take no extra fields"),
    ("goal", "x", {"corrective_action": "y"}, "goal items take: why_it_matters"),
])
def test_bad_items_write_nothing(tmp_path: Path, kind: str, text: str,
                                 fields: dict[str, str], message: str) -> None:
    store = Store.open(tmp_path / "s.sqlite3")
    with pytest.raises(UsageError, match=message):
        store.add_item(kind, text, NOW, fields=fields)
    assert store.items(include_closed=True) == []


def test_missing_id_is_a_usage_error(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.sqlite3")
    with pytest.raises(UsageError, match="no item with id 42"):
        store.set_status(42, "done", NOW)


def test_readonly_never_creates_the_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.sqlite3"
    store = Store.open(path, readonly=True)
    assert store.items() == []
    assert not path.exists()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    Store.open(path).close()
    with sqlite3.connect(path) as c:
        c.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer manageup"):
        Store.open(path)


def test_damaged_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"store\.path"):
        Store.open(path)


def test_export_import_round_trip(tmp_path: Path) -> None:
    a = Store.open(tmp_path / "a.sqlite3")
    a.add_item("goal", "Cut spend", NOW, fields={"what_it_costs": "2 FTE"})
    a.add_item("need", "Intro to Dana", NOW, due=date(2026, 12, 1))
    a.record_sent_digest("k1", [1, 2], ["career-path"], NOW)
    a.ledger_set("k1", NOW, "sent", "<m@x>", NOW, NOW, attempts=1)
    first = a.export()
    b = Store.open(tmp_path / "b.sqlite3")
    b.import_(json.loads(json.dumps(first)))
    assert b.export() == first
    assert b.get_item(1).appearances == 1


def test_import_rejects_foreign_json(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.sqlite3")
    with pytest.raises(UsageError, match="not a manageup export"):
        store.import_({"items": []})
    bad = {"format": "manageup-store", "items": [{"kind": "wish", "text": "x"}]}
    with pytest.raises(UsageError):
        store.import_(bad)
    assert store.items(include_closed=True) == []


def test_readonly_sees_commits_of_an_open_writer(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    writer = Store.open(path)
    writer.add_item("need", "Written while the daemon holds the store", NOW)
    reader = Store.open(path, readonly=True)
    assert [i.text for i in reader.items()] == ["Written while the daemon holds the store"]


def test_ledger_rows_are_typed_and_move_only_along_named_transitions(tmp_path: Path) -> None:
    from manageup.store import LedgerKind, LedgerState, SentDigest

    store = Store.open(tmp_path / "s.sqlite3")
    store.add_item("need", "Budget call", NOW)
    start = at("2026-11-26T10:00+01:00")
    row = store.begin_send(None, "k", start, "<m@x>", NOW, NOW)
    assert row.state is LedgerState.PENDING and row.attempts == 1
    got = store.ledger_get("k", start)
    assert got == row and got.start == start and got.kind is LedgerKind.DIGEST
    failed = store.mark_failed(row, NOW, "down", NOW + timedelta(minutes=1))
    assert not failed.may_try(NOW) and failed.may_try(NOW + timedelta(minutes=1))
    again = store.begin_send(failed, "k", start, "<m@x>", NOW, NOW)
    sent = store.mark_sent(again, NOW, SentDigest("k", [1], ["q"], start, "1:1", {"end": "x"}))
    assert sent.attempts == 2 and store.ledger_get("k", start).state == "sent"
    assert [d.title for d in store.digests()] == ["1:1"]  # written with the sent state
    with pytest.raises(StoreError, match="cannot go from sent to pending"):
        store.begin_send(sent, "k", start, "<m@x>", NOW, NOW)
    with pytest.raises(StoreError, match="cannot go from sent to missed"):
        store.mark_missed(sent, NOW)


def test_a_missed_mail_is_tried_again_only_before_its_deadline(tmp_path: Path) -> None:
    """Missed by a clock that ran ahead, a mail is still owed while its deadline is to
    come; once past it, never (a sign-in notice a week late, a digest after its 1:1)
    (attack30)."""
    from manageup.store import LedgerState

    store = Store.open(tmp_path / "s.sqlite3")
    start = at("2026-11-26T10:00+01:00")
    row = store.begin_send(None, "k", start, "<m@x>", NOW, NOW)
    failed = store.mark_failed(row, NOW, "down", NOW)
    missed = store.mark_missed(failed, start + timedelta(days=1))
    assert missed.state is LedgerState.MISSED
    assert missed.may_try(start - timedelta(seconds=1))
    assert not missed.may_try(start) and not missed.may_try(start + timedelta(days=1))


def test_no_sql_outside_the_store_package() -> None:
    pkg = ROOT / "daemon" / "manageup"
    sql = re.compile(r"\bimport sqlite3\b|\b(SELECT|INSERT|UPDATE|DELETE FROM|PRAGMA|BEGIN "
                     r"IMMEDIATE|ROLLBACK)\b|\.conn\b|executescript|executemany")
    offenders = [str(p.relative_to(pkg)) for p in pkg.rglob("*.py")
                 if "store" not in p.relative_to(pkg).parts and sql.search(p.read_text())]
    assert offenders == []


def test_question_rest_counts_digests_only(tmp_path: Path) -> None:
    from manageup.store import LedgerKind

    store = Store.open(tmp_path / "s.sqlite3")
    for n, kind in enumerate([LedgerKind.DIGEST, LedgerKind.NUDGE, LedgerKind.NOTICE]):
        when = NOW + timedelta(hours=n)
        row = store.begin_send(None, f"{kind}|k", when, "<m>", when, when, kind)
        store.mark_sent(row, when)
    assert store.snapshot().digests_sent == (NOW,)


def test_question_cooldown_zero_means_no_rest(tmp_path: Path) -> None:
    from manageup.asking import Picker
    from manageup.model import Snapshot

    sent = (NOW, NOW + timedelta(days=7))
    snap = Snapshot(question_uses={"q": NOW + timedelta(days=7)}, digests_sent=sent)
    from manageup.digestmodel import Question

    q = Question("q", "career", "?")
    assert not Picker(snap, 0, NOW).resting(q)
    assert Picker(snap, 1, NOW).resting(q)


def test_a_schema_3_store_migrates_with_ledger_kinds_and_an_id(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as c:
        for n, script in enumerate(MIGRATIONS[:3], 1):
            c.executescript(script + f"PRAGMA user_version={n};")
        c.execute("INSERT INTO ledger (key, start, state, message_id, due_at, updated) VALUES "
                  "('nudge|k', '2026-11-27T11:00:00+01:00', 'sent', '<n>', "
                  "'2026-11-26T11:00:00+01:00', '2026-11-26T11:00:00+01:00')")
    store = Store.open(path)
    (row,) = store.ledger()
    assert row.kind == "nudge" and row.unconfirmed == 0
    assert re.fullmatch(r"[0-9a-f]{8}", store.store_id())
    assert store.snapshot().digests_sent == ()  # a reminder is not a digest


def test_an_old_export_keeps_reminders_apart_from_digests(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.sqlite3")
    row = {"key": "notice|google-auth", "start": "2026-11-27T11:00:00+01:00", "state": "sent",
           "message_id": "<n>", "due_at": "2026-11-26T11:00:00+01:00",
           "updated": "2026-11-26T11:00:00+01:00"}  # schema 1: no kind column yet
    store.import_({"format": "manageup-store", "schema": 1, "ledger": [row]})
    assert store.ledger()[0].kind == "notice"


def test_forget_ahead_takes_only_what_a_clock_ahead_wrote_for_times_to_come(
        tmp_path: Path) -> None:
    # cycle/clock.py: a clock put back behind the records forgets those written ahead of
    # it for meetings still to come; what this clock wrote, and what is past, stay.
    store = Store.open(tmp_path / "s.sqlite3")
    ahead, margin = NOW + timedelta(days=400), timedelta(days=30)
    store.ledger_set("early", NOW + timedelta(days=401), "sent", "<a>", ahead, ahead)
    store.ledger_set("tomorrow", NOW + timedelta(days=1), "missed", "<b>", ahead, ahead)
    store.ledger_set("past", NOW - timedelta(days=1), "sent", "<c>", ahead, ahead)
    store.ledger_set("today", NOW + timedelta(days=1, hours=1), "sent", "<d>", NOW, NOW)
    store.record_sent_digest("early", [], ["q-ahead"], ahead)
    store.record_sent_digest("today", [], ["q-now"], NOW)
    assert store.forget_ahead(NOW, margin) == (2, ahead)
    assert sorted(r.key for r in store.ledger()) == ["past", "today"]
    assert store.forget_ahead(NOW, margin) == (0, None)  # said once
    uses = store.conn.execute("SELECT question_id FROM question_use").fetchall()
    assert [u[0] for u in uses] == ["q-now"]
