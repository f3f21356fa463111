"""Hostile inputs through the CLI and the cycle. For each: no traceback, the documented
exit code, one line naming the argument or key, the store still sound, and nothing lost
(the export before and after a refused operation is the same)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from manageup.cli import main
from manageup.store import Store
from tests.conftest import at

BIG = str(2**63)
HUGE = str(2**64 + 5)


def _export(db: Path) -> dict[str, Any]:
    store = Store.open(db, readonly=True)
    try:
        return store.export()
    finally:
        store.close()


@pytest.fixture
def world(example: Path, capsys):
    cfg = example / "config.toml"
    db = example / "state" / "manageup.sqlite3"
    assert main(["--config", str(cfg), "import", str(example / "notes.json")]) == 0
    capsys.readouterr()

    def run(*argv: str) -> tuple[int, str]:
        code = main(["--config", str(cfg), *argv])
        out = capsys.readouterr()
        assert "Traceback" not in out.out + out.err
        return code, out.err

    return example, db, run


CLI_CASES = [
    (["done", BIG], 2, "no item with id"),
    (["drop", HUGE], 2, "no item with id"),
    (["edit", BIG, "--text", "x"], 2, "no item with id"),
    (["probe", HUGE, "why", "x"], 2, "no item with id"),
    (["review", "--meeting", BIG, "--done", "1"], 2, "no digest with id"),
    (["review", "--meeting", "1", "--done", HUGE], 2, "no"),
    (["add", "owe", "x", "--due", "+99999999d"], 2, "--due"),
    (["edit", "3", "--due", "+99999999999999999999d"], 2, "--due"),
    (["add", "need", "x" * 20_000], 2, "characters"),
    (["add", "need", "   "], 2, "empty"),
    (["run", "--once", "--now", "0001-01-01T00:00"], 2, "--now"),
    (["run", "--once", "--now", "9999-12-31T23:59"], 2, "--now"),
    (["meetings", "--now", "0001-01-01T00:00+14:00"], 2, "--now"),
    (["preview", "--now", "9999-12-31T00:00"], 2, "--now"),
    (["add", "need", "x", "--now", "9999-12-31T23:59:59-12:00"], 2, "--now"),
    (["export", "-o", "/dev/full"], 1, "No space left on device"),
]


@pytest.mark.parametrize("argv,code,message", CLI_CASES, ids=[" ".join(c[0])[:40]
                                                              for c in CLI_CASES])
def test_hostile_arguments(world, argv: list[str], code: int, message: str) -> None:
    _example, db, run = world
    before = _export(db)
    got, err = run(*argv)
    assert got == code, err
    assert message in err and err.startswith("manageup: ")
    assert len(err.strip().splitlines()) == 1, err
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert _export(db) == before


IMPORTS: list[tuple[str, Any]] = [
    ("not json", "{"),
    ("a list", []),
    ("huge id", {"format": "manageup-store", "items": [
        {"id": 2**70, "kind": "need", "text": "x", "created": "2026-11-01T09:00:00+01:00"}]}),
    ("nested junk", {"format": "manageup-store", "items": [[1, 2]]}),
    ("ledger row", {"format": "manageup-store", "ledger": [
        {"key": "k", "start": "2026-11-26T10:00:00+01:00", "state": "sent", "message_id": 5,
         "due_at": "x", "updated": "y"}]}),
    ("table not a list", {"format": "manageup-store", "history": "all of it"}),
    ("deeply nested", '{"format": "manageup-store", "items": ' + "[" * 100_000 + "]" * 100_000
     + "}"),
    ("deeply nested fields", '{"format": "manageup-store", "items": [{"id": 5, "kind": "owe", '
     '"text": "x", "created": "2026-11-01T09:00:00+01:00", "fields": ' + '{"a": ' * 5000 + "1"
     + "}" * 5000 + "}]}"),
    ("deeply nested shown text", {"format": "manageup-store", "digests": [
        {"id": 9, "key": "k", "start": "2026-11-26T10:00:00+01:00",
         "sent_at": "2026-11-26T10:00:00+01:00", "shown": '{"a": ' * 100_000 + "1"
         + "}" * 100_000}]}),
    ("lone surrogate", '{"format": "manageup-store", "items": [{"id": 905, "kind": "need", '
     '"text": "\\ud800", "created": "2026-11-01T09:00:00+01:00"}]}'),
    ("lone surrogate in a key", '{"format": "manageup-store", "ledger": [{"key": "\\udfff", '
     '"start": "2026-11-26T10:00:00+01:00", "state": "sent", "message_id": "<a@b>", '
     '"due_at": "2026-11-26T10:00:00+01:00", "updated": "2026-11-26T10:00:00+01:00"}]}'),
    ("created at the end of time", {"format": "manageup-store", "items": [
        {"id": 70, "kind": "owe", "text": "x", "created": "9999-12-31T23:59:59-12:00"}]}),
    ("created at the start of time", {"format": "manageup-store", "items": [
        {"id": 70, "kind": "owe", "text": "x", "created": "0001-01-01T00:00:00+14:00"}]}),
    ("a digest sent in year 1", {"format": "manageup-store", "digests": [
        {"id": 9, "key": "k", "start": "2026-11-26T10:00:00+01:00",
         "sent_at": "0001-01-01T00:00:00+00:00"}]}),
    ("calendar events that are not objects", {"format": "manageup-store", "sync_state": [
        {"calendar": "google:primary", "synced_from": "2026-11-01T00:00:00+00:00",
         "synced_until": "2026-12-01T00:00:00+00:00", "token": "t", "events": {"x": 1}}]}),
    ("huge unknown field name", {"format": "manageup-store", "items": [
        {"id": 5, "kind": "owe", "text": "x", "created": "2026-11-01T09:00:00+01:00",
         "fields": {"x" * 100_000: "v"}}]}),
]


@pytest.mark.parametrize("name,data", IMPORTS, ids=[n for n, _d in IMPORTS])
def test_hostile_imports(world, tmp_path: Path, name: str, data: Any) -> None:
    _example, db, run = world
    before = _export(db)
    f = tmp_path / "in.json"
    f.write_text(data if isinstance(data, str) else json.dumps(data))
    got, err = run("import", str(f))
    assert got == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert len(err) < 1000, err[:300]
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert _export(db) == before


CONFIGS = [
    ('[detect]\nlookahead = "9999999999d"', "detect.lookahead"),
    ('[detect]\nlookahead = "99999999d"', "detect.lookahead"),
    ("[detect]\nhistory_days = 1000000000000", "detect.history_days"),
    ('[service]\npoll_interval = "99999999999s"', "service.poll_interval"),
    ('[delivery.smtp]\ntimeout = nan', "delivery.smtp.timeout"),
    ('[delivery.smtp]\ntimeout = inf', "delivery.smtp.timeout"),
    ('[digest]\nto = "a@b@c"', "digest.to"),
    ('[digest]\nto = "Alex <alex@example.com>\\nBcc: x@evil.example"', "digest.to"),
    ('[delivery]\nsender = "nobody"', "delivery.sender"),
]


def _config_with(example: Path, extra: str) -> Path:
    cfg = example / "config.toml"
    text = cfg.read_text()
    section = extra.split("\n", 1)[0]
    if section in text:
        text = text.replace(section, extra, 1)
    else:
        text += "\n" + extra + "\n"
    cfg.write_text(text)
    return cfg


@pytest.mark.parametrize("extra,key", CONFIGS, ids=[k for _e, k in CONFIGS])
def test_hostile_config_values(world, extra: str, key: str) -> None:
    example, db, run = world
    before = _export(db)
    _config_with(example, extra)
    for argv in (["run", "--once"], ["meetings"], ["list"]):
        got, err = run(*argv)
        assert got == 2, err
        assert key in err and len(err.strip().splitlines()) == 1, err
    assert _export(db) == before


@pytest.mark.parametrize("me,boss,key", [
    ("sam@example.com", "sam@example.com", "boss.email"),
    ("Sam@Example.com", "sam@example.com", "boss.email"),
    ("", "sam@example.com", "me.email"),
    ("alex@example.com", "not an address", "boss.email"),
    ("alex@", "sam@example.com", "me.email"),
])
def test_addresses(world, me: str, boss: str, key: str) -> None:
    example, _db, run = world
    cfg = example / "config.toml"
    cfg.write_text(cfg.read_text().replace('email = "alex@example.com"', f'email = "{me}"', 1)
                   .replace('email = "sam@example.com"', f'email = "{boss}"', 1))
    got, err = run("run", "--once")
    assert got == 2 and key in err and len(err.strip().splitlines()) == 1, err


def test_config_that_is_not_utf8(world) -> None:
    example, _db, run = world
    cfg = example / "config.toml"
    cfg.write_bytes(cfg.read_bytes().replace(b"Alex", b"Al\xe9x", 1))
    got, err = run("list")
    assert got == 2 and "UTF-8" in err and len(err.strip().splitlines()) == 1, err


def test_a_damaged_page_says_how_to_recover(world) -> None:
    _example, db, run = world
    store = Store.open(db)
    for n in range(300):
        store.add_item("topic", f"filler {n} " + "x" * 200, at("2026-11-20T09:00+01:00"))
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = bytearray(db.read_bytes())
    page = 4096
    data[page * 20:page * 30] = b"\xff" * (page * 10)  # some of the items' pages
    db.write_bytes(bytes(data))
    got, err = run("list")
    assert got == 1, err
    assert "is damaged" in err and "copy the newest backup" in err, err
    assert len(err.strip().splitlines()) == 1, err


def test_store_errors_name_the_real_cause(tmp_path: Path) -> None:
    from manageup.store.db import describe_error

    full = describe_error(sqlite3.OperationalError("database or disk is full"), tmp_path, "write")
    assert "the disk is full; free some space" in full and "backup" not in full
    ro = describe_error(sqlite3.OperationalError("attempt to write a readonly database"),
                        tmp_path, "write")
    assert "read-only" in ro and "backup" not in ro


@pytest.mark.parametrize("where", ["pages", "header"])
def test_doctor_names_the_backup_to_restore_whatever_the_damage(world, capsys,
                                                                where: str) -> None:
    from tests.system.test_review_month import cycles

    example, db, _run = world
    cycles(example, "2026-11-20T09:00:00+01:00", "2026-11-20T10:00:00+01:00")  # one backup
    (backup,) = (example / "state" / "backups").iterdir()
    store = Store.open(db)
    for n in range(300):
        store.add_item("topic", f"filler {n} " + "x" * 200, at("2026-11-20T09:00+01:00"))
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = bytearray(db.read_bytes())
    if where == "pages":
        data[4096 * 20:4096 * 30] = b"\xff" * (4096 * 10)
    else:
        data[:100] = b"\xff" * 100
    db.write_bytes(bytes(data))
    capsys.readouterr()
    assert main(["--config", str(example / "config.toml"), "doctor"]) == 1
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    (line,) = [x for x in out.out.splitlines() if x.startswith("FAIL") and "store" in x]
    assert f"copy {backup} to {db}" in line, line
