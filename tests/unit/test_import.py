"""`manageup import`: a fixed column list, every row checked before anything is written,
and never an overwrite of the user's own items."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from manageup.cli import main
from manageup.store import Store
from tests.conftest import at

NOW = at("2026-11-20T09:00+01:00")


def _export(**tables: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": "manageup-store", "schema": 4, **tables}


def _item(i: int, text: str, kind: str = "need", **extra: Any) -> dict[str, Any]:
    return {"id": i, "kind": kind, "text": text, "status": "open",
            "created": "2026-11-01T09:00:00+01:00", "due": None, "closed": None,
            "fields": {}, **extra}


@pytest.fixture
def cli(make_config, tmp_path: Path, capsys):
    cfg_path, cfg = make_config()

    def run(data: Any) -> tuple[int, str, str]:
        f = tmp_path / "in.json"
        f.write_text(json.dumps(data))
        code = main(["--config", str(cfg_path), "import", str(f)])
        out = capsys.readouterr()
        return code, out.out, out.err

    def export() -> dict[str, Any]:
        store = Store.open(cfg.store.path)
        try:
            return store.export()
        finally:
            store.close()

    return run, export, cfg


def test_a_crafted_key_never_reaches_sql(cli) -> None:
    run, export, _cfg = cli
    assert run(_export(items=[_item(1, "Mine")]))[0] == 0
    before = export()
    evil = ("id,kind,text,status,created,due,closed,fields) SELECT id,kind,'pwned',status,"
            "created,due,closed,fields FROM items WHERE ?+?+?+?>=0 --")
    code, _out, err = run(_export(items=[{evil: 1, "kind": "need", "text": "x",
                                          "created": "2026-11-01T09:00:00+01:00"}]))
    assert code == 2
    assert "items row 1: unknown field" in err and "Traceback" not in err
    assert export() == before


@pytest.mark.parametrize("table,row,field", [
    ("items", _item(1, "x", due="tomorrow"), "due"),
    ("items", _item(2**63, "x"), "id"),
    ("items", _item(1, "x" * 20_000), "text"),
    ("items", _item(1, "x", kind="wish"), "kind"),
    ("items", _item(1, "x", created="2026-11-01T09:00"), "created"),
    ("items", _item(1, "x", fields={"obstacles": "y"}), "fields"),
    ("ledger", {"key": "k", "start": "garbage", "state": "sent", "message_id": "<m>",
                "due_at": "2026-11-25T16:00:00+01:00",
                "updated": "2026-11-25T16:00:00+01:00"}, "start"),
    ("ledger", {"key": "k", "start": "2026-11-26T10:00:00+01:00", "state": "lost",
                "message_id": "<m>", "due_at": "2026-11-25T16:00:00+01:00",
                "updated": "2026-11-25T16:00:00+01:00"}, "state"),
    ("history", {"key": "k", "uid": "u", "start": 5, "status": "scheduled",
                 "first_seen": "2026-11-25T16:00:00+01:00",
                 "last_seen": "2026-11-25T16:00:00+01:00"}, "start"),
    # The private 1-5 rating review keeps (feel.py): off the scale, or a digit int() refuses.
    ("notes", {"id": 1, "question_id": "feel-rating", "text": "9",
               "created": "2026-11-25T11:00:00+01:00"}, "text"),
    ("notes", {"id": 1, "question_id": "feel-rating", "text": "\u00b2",
               "created": "2026-11-25T11:00:00+01:00"}, "text"),
])
def test_one_bad_row_names_row_and_field_and_writes_nothing(cli, table: str, row: Any,
                                                           field: str) -> None:
    run, export, _cfg = cli
    before = export()
    data = _export(items=[_item(5, "Fine")])
    data[table] = [*data.get(table, []), row]
    code, out, err = run(data)
    n = len(data[table])
    assert code == 2, out
    assert f"{table} row {n}, field {field!r}" in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert export() == before  # not even the good item 5


def test_identical_rows_skipped_conflicting_ids_renumbered(cli) -> None:
    run, export, _cfg = cli
    assert run(_export(items=[_item(1, "Mine"), _item(2, "Also mine")]))[0] == 0
    theirs = _export(
        items=[_item(1, "Mine"), _item(2, "Theirs"), _item(7, "New")],
        appearances=[{"item_id": 2, "occurrence_key": "k", "sent_at": "2026-11-05T16:00:00+01:00"}])
    code, out, _err = run(theirs)
    assert code == 0
    assert "added: 2 items, 1 appearance in a digest" in out
    assert "skipped (already in the store): 1 item" in out
    assert "item #2 is now #8" in out
    items = {i["id"]: i["text"] for i in export()["items"]}
    assert items == {1: "Mine", 2: "Also mine", 7: "New", 8: "Theirs"}
    assert export()["appearances"][0]["item_id"] == 8  # follows its item
    code, out, _err = run(theirs)  # the same file again changes nothing
    assert code == 0 and "added: nothing" in out
    assert len(export()["items"]) == 4


def test_export_import_round_trip_into_an_empty_store(tmp_path: Path) -> None:
    a = Store.open(tmp_path / "a.sqlite3")
    a.add_item("goal", "Cut spend", NOW, fields={"what_it_costs": "2 FTE"})
    a.record_sent_digest("k1", [1], ["career-path"], NOW, start=NOW, title="1:1")
    a.add_note("Advice", NOW, 1, "career-path")
    a.ledger_set("k1", NOW, "sent", "<m@x>", NOW, NOW, attempts=1)
    first = a.export()
    b = Store.open(tmp_path / "b.sqlite3")
    report = b.import_(json.loads(json.dumps(first)))
    assert b.export() == first
    assert not report.renumbered and not report.skipped


def test_a_bad_row_already_in_the_store_does_not_stop_cycles_and_doctor_fails(
        example: Path, capsys) -> None:
    import sqlite3

    from tests.system.test_review_month import cycles, mu

    cycles(example, "2026-11-20T00:00:00+01:00", "2026-11-20T02:00:00+01:00")
    db = example / "state" / "manageup.sqlite3"
    with sqlite3.connect(db) as c:  # as an older version or a hand edit could leave it
        c.execute("INSERT INTO ledger (key, start, state, message_id, due_at, updated) "
                  "VALUES ('x', 'garbage', 'sent', '<m>', 'later', 'now')")
        c.execute("INSERT INTO history (key, uid, start, status, first_seen, last_seen) "
                  "VALUES ('y', 'y', '2026-11-01T10:00', 'scheduled', 'a', 'b')")
    cycles(example, "2026-11-25T16:00:00+01:00", "2026-11-25T18:00:00+01:00")
    assert len(list((example / "state" / "Maildir" / "new").iterdir())) == 1  # still sent
    capsys.readouterr()
    assert mu(example, "doctor") == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "2 rows manageup cannot use" in out and "field 'start'" in out


@pytest.mark.parametrize("end", ["2026-11-26T11:00", "9999-12-31T23:59:59+00:00",
                                 "0001-01-01T00:00:00+14:00", 5, "not a time"])
def test_an_imported_digest_with_an_odd_end_never_stops_cycles(example: Path, end: Any,
                                                               capsys) -> None:
    """`shown` once was free JSON: an end with no offset or at the edge of the calendar
    made every later cycle raise (comparing naive with aware, or overflowing past year
    9999). Import now refuses it; a store an older version filled still never stops."""
    import sqlite3

    from tests.system.test_review_month import mu

    with (example / "config.toml").open("a") as f:
        f.write('\n[review]\nnudge_after = "2h"\n')
    f = example / "odd.json"
    f.write_text(json.dumps(_export(digests=[{
        "id": 50, "key": "kz", "start": "2026-11-26T10:00:00+01:00", "title": "T",
        "sent_at": "2026-11-26T08:00:00+01:00", "shown": {"end": end}}])))
    assert mu(example, "import", str(f)) == 2
    assert "field 'shown': 'end'" in capsys.readouterr().err
    assert mu(example, "list") == 0  # the store exists; the older version's row goes in
    db = sqlite3.connect(example / "state" / "manageup.sqlite3")
    with db:
        db.execute("INSERT INTO digests (id, key, start, title, sent_at, shown) VALUES "
                   "(50, 'kz', '2026-11-26T10:00:00+01:00', 'T', '2026-11-26T08:00:00+01:00',"
                   " ?)", (json.dumps({"end": end}),))
    db.close()
    for now in ("2026-11-26T12:30+01:00", "2026-11-27T12:00+01:00"):
        assert mu(example, "run", "--once", "--now", now) == 0
    assert "Traceback" not in capsys.readouterr().err


INJECTED_IDS = ["=?utf-8?q?x=0D=0ABcc:_victim@evil.example?=", "<a=?utf-8?q?=0D=0A?=@b>",
                "<a@b>\nBcc: victim@evil.example", "<a@b> <c@d>",
                "no-brackets@x"]


@pytest.mark.parametrize("mid", INJECTED_IDS)
def test_a_ledger_message_id_that_is_not_one_is_refused(cli, mid: str) -> None:
    run, export, _cfg = cli
    before = export()
    code, _out, err = run(_export(ledger=[{
        "key": "uid-1", "start": "2026-11-01T10:00:00+01:00", "state": "sent",
        "message_id": mid, "due_at": "2026-11-01T10:00:00+01:00",
        "updated": "2026-11-01T10:00:00+01:00"}]))
    assert code == 2 and "message_id" in err and "Traceback" not in err, err
    assert export() == before


@pytest.mark.parametrize("mid", INJECTED_IDS)
def test_a_bad_message_id_in_the_store_never_reaches_a_header(example: Path, mid: str) -> None:
    """A ledger row's Message-ID becomes the next digest's In-Reply-To: an encoded word
    there turned into a real Bcc header (CPython CVE-2024-6923); a line break made every
    later digest of the series fail."""
    import sqlite3

    from tests.mailcheck import checked_maildir
    from tests.system.test_review_month import mu

    assert mu(example, "run", "--once", "--now", "2026-11-25T16:30+01:00") == 0
    db = example / "state" / "manageup.sqlite3"
    with sqlite3.connect(db) as c:  # as a hand edit or an older version could leave it
        (key,) = c.execute("SELECT key FROM ledger WHERE kind = 'digest'").fetchone()
        c.execute("INSERT INTO ledger (key, start, state, message_id, due_at, updated, kind) "
                  "VALUES (?, '2026-11-01T10:00:00+01:00', 'sent', ?, "
                  "'2026-11-01T10:00:00+01:00', '2026-11-01T10:00:00+01:00', 'digest')",
                  (key.split("|")[0], mid))
    assert mu(example, "run", "--once", "--now", "2026-12-02T16:30+01:00") == 0
    mails = checked_maildir(example / "state" / "Maildir")  # no header manageup did not set
    assert len(mails) == 2
    first, second = sorted(mails, key=lambda m: "In-Reply-To" in m)  # names sort by time
    assert second["In-Reply-To"] == first["Message-ID"]


def _vm_steps_to_reimport(tmp_path: Path, n: int) -> int:
    """SQLite VM instructions (in thousands) to import n items into a store holding them."""
    data = _export(items=[_item(i, f"item {i}") for i in range(1, n + 1)])
    store = Store.open(tmp_path / f"s{n}.sqlite3")
    store.import_(data)
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    store.conn.set_progress_handler(count, 1000)
    report = store.import_(data)
    store.close()
    assert report.skipped["items"] == n
    return steps[0]


def test_importing_a_big_export_again_is_linear(tmp_path: Path) -> None:
    """Each row looked for its twin with a full scan: re-importing a 50 MB export (100,000
    items) took about an hour. Counted in SQLite VM steps, not seconds."""
    small, big = (_vm_steps_to_reimport(tmp_path, n) for n in (400, 1600))
    assert big < 6 * max(small, 1), (small, big)  # quadratic would be about 16 times


def _digest(shown: Any) -> dict[str, Any]:
    return {"id": 51, "key": "k-shown", "start": "2026-11-19T10:00:00+01:00", "title": "T",
            "sent_at": "2026-11-19T08:00:00+01:00", "shown": shown}


# Each once passed import and then made `review`, and every cycle while the digest's
# reminder was due, end in a traceback (issue 28.2).
BAD_SHOWN = [
    ({"asks": "12"}, "asks"),  # iterated as characters, each int()-ed
    ({"asks": [None]}, "asks"),
    ({"risks": [1.5]}, "risks"),
    ({"raise": {"1": 2}}, "raise"),
    ({"probes": [1]}, "probes"),  # unpacked into four
    ({"probes": [[1, "why_it_matters", "q"]]}, "probes"),
    ({"probes": [[1, "not_a_field", "q", "text"]]}, "probes"),
    ({"probes": [["1", "why_it_matters", "q", "text"]]}, "probes"),
    ({"career": "q1"}, "career"),  # unpacked into two
    ({"career": ["q1", 5]}, "career"),
    ({"know": ["q1"]}, "know"),
    ({"items": [0]}, "items"),
    ({"end": 5}, "end"),
    ({"end": "2026-11-26T11:00"}, "end"),
    ({"nonsense": 1}, "nonsense"),
]


@pytest.mark.parametrize("shown,name", BAD_SHOWN, ids=[n + str(i) for i, (_s, n)
                                                       in enumerate(BAD_SHOWN)])
def test_a_digest_whose_shown_data_has_the_wrong_shape_is_refused(cli, shown: Any,
                                                                  name: str) -> None:
    run, export, _cfg = cli
    assert run(_export(items=[_item(1, "Mine")]))[0] == 0
    before = export()
    code, _out, err = run(_export(items=[_item(2, "Theirs")], digests=[_digest(shown)]))
    assert code == 2, err
    assert "digests row 1, field 'shown'" in err and repr(name) in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert export() == before  # nothing written, not even the good item before it


def test_a_digest_as_this_version_writes_it_is_accepted_and_reviewed(cli, capsys) -> None:
    run, _export_now, cfg = cli
    shown = {"asks": [1], "risks": [], "probes": [[3, "why_it_matters", "g1", "Why?"]],
             "career": ["c1", "What next?"], "know": None, "raise": [], "items": [1, 3],
             "end": "2026-11-19T10:30:00+01:00"}
    assert run(_export(items=[_item(1, "Mine"), _item(3, "Cut spend", "goal")],
                       digests=[_digest(shown)]))[0] == 0, "a digest this version wrote"
    assert main(["--config", str(cfg.source_path), "review", "--meeting", "51",
                 "--done", "1", "--now", "2026-11-19T11:00+01:00"]) == 0
    assert "#1 done" in capsys.readouterr().out


def test_a_digest_for_the_same_meeting_at_another_start_is_its_own(tmp_path: Path) -> None:
    """A one-off 1:1 moved after its digest went out keeps its UID: the digest for the new
    time is another digest. Imported beside it, the old one and the note answering it are
    kept, the note still on the old one, not merged into the new one (attack30)."""
    moved = at("2026-11-27T10:00+01:00")
    a = Store.open(tmp_path / "a.sqlite3")
    a.record_sent_digest("k1", [], ["career-path"], NOW, start=NOW, title="1:1 before")
    a.add_note("Said at the first one", NOW, 1, "career-path")
    b = Store.open(tmp_path / "b.sqlite3")
    b.record_sent_digest("k1", [], [], moved, start=moved, title="1:1 moved")
    report = b.import_(json.loads(json.dumps(a.export())))
    assert report.added["digests"] == 1 and report.added["notes"] == 1
    data = b.export()
    starts = {d["id"]: d["start"] for d in data["digests"]}
    assert sorted(starts.values()) == [NOW.isoformat(), moved.isoformat()]
    (note,) = data["notes"]
    assert starts[note["digest_id"]] == NOW.isoformat()


def test_the_digests_a_cycle_records_pass_the_shape_check(example: Path, tmp_path: Path) -> None:
    """The check is not stricter than the writer: real digests, with asks, a goal's probe,
    a risk and a career question, export and import into an empty store."""
    from tests.system.test_review_month import cycles, mu

    t0 = "2026-11-04T00:00:00+01:00"
    for kind, text in (("need", "Intro"), ("goal", "Cut spend"), ("risk", "Slip"),
                       ("career", "Lead a team")):
        assert mu(example, "add", kind, text, "--now", t0) == 0
    cycles(example, t0, "2026-11-20T11:00:00+01:00")
    store = Store.open(example / "state" / "manageup.sqlite3")
    data = store.export()
    store.close()
    shown = [d["shown"] for d in data["digests"]]
    assert len(shown) == 2 and all(json.loads(s)["probes"] and json.loads(s)["asks"]
                                   for s in shown), shown
    fresh = Store.open(tmp_path / "fresh.sqlite3")
    assert fresh.import_(json.loads(json.dumps(data))).added["digests"] == 2
    fresh.close()


# A row of each keyed table as the store holds it, and one under the same key that says
# something else: an import must never overwrite what the store knows (issue 30.2).
STORED_AND_OTHER = {
    "ledger": ({"key": "uid-1", "start": "2026-11-26T10:00:00+01:00", "state": "sent",
                "message_id": "<a@manageup.invalid>", "due_at": "2026-11-25T16:00:00+01:00",
                "attempts": 1, "updated": "2026-11-25T16:00:05+01:00"},
               {"state": "failed", "message_id": "<b@manageup.invalid>", "attempts": 7,
                "last_error": "imported"}),
    "history": ({"key": "uid-1|2026-11-26T10:00:00+01:00", "uid": "uid-1",
                 "start": "2026-11-26T10:00:00+01:00", "status": "scheduled",
                 "organizer": "sam@example.com", "first_seen": "2026-11-01T09:00:00+01:00",
                 "last_seen": "2026-11-26T09:00:00+01:00"},
                {"status": "cancelled", "organizer": "mallory@example.com"}),
    "flags": ({"name": "microsoft-auth", "value": "needed",
               "since": "2026-11-20T09:00:00+01:00"},
              {"value": "", "since": "2026-11-21T09:00:00+01:00"}),
    "sync_state": ({"calendar": "google:primary", "token": "tok-stored",
                    "synced_from": "2026-11-01T00:00:00+00:00",
                    "synced_until": "2026-12-01T00:00:00+00:00",
                    "events": {"e1": {"summary": "1:1"}}},
                   {"token": "tok-imported", "events": {}}),
}


ONE_ROW = {"items": "item", "appearances": "appearance in a digest",
           "question_use": "question asked", "history": "1:1 on record",
           "ledger": "ledger entry", "digests": "digest", "notes": "note",
           "sync_state": "calendar sync state", "flags": "flag"}


@pytest.mark.parametrize("table", list(STORED_AND_OTHER))
def test_an_import_never_overwrites_a_row_under_the_same_key(cli, table: str) -> None:
    run, export, _cfg = cli
    stored, changes = STORED_AND_OTHER[table]
    assert run(_export(**{table: [stored]}))[0] == 0
    before = export()
    code, out, err = run(_export(**{table: [{**stored, **changes}]}))
    assert code == 0, err
    assert export() == before, f"the stored {table} row was changed by the import"
    assert f"skipped (already in the store): 1 {ONE_ROW[table]}" in out, out
