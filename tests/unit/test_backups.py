"""Backups that are checked before older ones go, a damaged store reported loudly, and
backup names that belong to their store."""

from __future__ import annotations

import mailbox
import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from manageup.errors import StoreError
from manageup.store import Store
from tests.conftest import at
from tests.system.test_review_month import cycles, mu

NOW = at("2026-11-01T09:00+01:00")
DAY = date(2026, 11, 1)


def damage(db: Path) -> None:
    """Quiet damage, the kind that slips into every copy: an index that no longer matches
    its table. Reads and writes still work; PRAGMA integrity_check sees it."""
    c = sqlite3.connect(db)
    c.execute("CREATE INDEX damage ON items(text)")
    c.commit()
    sql, root = c.execute("SELECT sql, rootpage FROM sqlite_master WHERE name='damage'").fetchone()
    c.execute("PRAGMA writable_schema=ON")
    c.execute("DELETE FROM sqlite_master WHERE name='damage'")
    c.commit()
    c.close()
    c = sqlite3.connect(db)
    c.execute("UPDATE items SET text = text || ' (edited)'")
    c.commit()
    c.execute("PRAGMA writable_schema=ON")
    c.execute("INSERT INTO sqlite_master VALUES ('index','damage','items',?,?)", (root, sql))
    c.commit()
    c.close()


def ours(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.suffix == ".sqlite3")


def test_backups_of_a_damaged_store_never_rotate_out_the_good_ones(tmp_path: Path) -> None:
    db, folder = tmp_path / "s.sqlite3", tmp_path / "backups"
    store = Store.open(db)
    store.add_item("need", "Keep me", NOW)
    for d in range(3):
        store.daily_backup(folder, DAY + timedelta(days=d), keep=2)
    good = ours(folder)
    assert len(good) == 2
    store.close()
    damage(db)
    store = Store.open(db)
    for d in range(3, 12):  # more than a week with a damaged store
        with pytest.raises(StoreError, match="damaged"):
            store.daily_backup(folder, DAY + timedelta(days=d), keep=2)
    assert ours(folder) == good  # the good ones stay, no damaged copy took a backup name
    assert [p for p in folder.iterdir() if p.suffix != ".sqlite3"] == []  # no temp left
    for name in good:
        assert sqlite3.connect(folder / name).execute("PRAGMA integrity_check").fetchone()[0] \
            == "ok"


def test_backup_names_belong_to_their_store(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    lone = Store.open(folder / "manageup-1.sqlite3")  # a store kept in the backup folder
    a = Store.open(tmp_path / "a" / "manageup.sqlite3")
    b = Store.open(tmp_path / "b" / "manageup.sqlite3")
    for d in range(5):
        a.daily_backup(folder, DAY + timedelta(days=d), keep=2)
        b.daily_backup(folder, DAY + timedelta(days=d), keep=3)
        lone.daily_backup(folder, DAY + timedelta(days=d), keep=1)
    names = ours(folder)
    assert "manageup-1.sqlite3" in names  # not taken for a backup and pruned
    assert len([n for n in names if n.startswith(f"manageup-{a.store_id()}-")]) == 2
    assert len([n for n in names if n.startswith(f"manageup-{b.store_id()}-")]) == 3
    assert len([n for n in names if n.startswith("manageup-1-")]) == 1
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o700  # made by manageup: private


def test_a_damaged_store_is_reported_loudly(example: Path, capsys) -> None:
    cycles(example, "2026-11-20T09:00:00+01:00", "2026-11-20T11:00:00+01:00")
    db = example / "state" / "manageup.sqlite3"
    assert mu(example, "add", "need", "Budget", "--now", "2026-11-20T11:00:00+01:00") == 0
    damage(db)
    capsys.readouterr()
    cycles(example, "2026-11-21T09:00:00+01:00", "2026-11-21T15:00:00+01:00")
    err = capsys.readouterr().err  # `manageup add` set up logging to stderr
    assert err.count("ERROR: the store at") == 3 and err.count("is damaged") == 3
    box = mailbox.Maildir(example / "state" / "Maildir", create=False)
    notices = [m for m in box if "damaged" in m["Subject"]]
    assert len(notices) == 1  # one notice mail, not one per cycle
    capsys.readouterr()
    assert mu(example, "doctor") == 1
    out = capsys.readouterr().out
    (line,) = [x for x in out.splitlines() if x.startswith("FAIL") and "store" in x]
    backups = ours(example / "state" / "backups")
    assert re.search(r"copy .*" + re.escape(backups[-1]), line), line


def test_todays_good_backup_survives_backups_dated_ahead(tmp_path: Path) -> None:
    """A week with the clock years ahead (a dead RTC battery) leaves seven backups named
    after future days: each later backup sorted oldest and was deleted the moment it was
    made. A link planted under a backup name is not a backup either."""
    store = Store.open(tmp_path / "s.sqlite3")
    folder = tmp_path / "bk"
    for i in range(7):
        assert store.daily_backup(folder, date(2099, 1, 1) + timedelta(days=i))
    planted = folder / f"{store.backup_prefix()}2100-01-01.sqlite3"
    planted.symlink_to(tmp_path / "nothing")
    store.add_item("need", "Written after the clock was fixed", NOW)
    made = store.daily_backup(folder, DAY)
    assert made is not None and made.exists()
    assert made in store.backups(folder) and planted not in store.backups(folder)
    copy = Store.open(made, readonly=True)
    assert [i.text for i in copy.items()] == ["Written after the clock was fixed"]


@pytest.mark.parametrize("days,keep", [(3, 7), (6, 7), (7, 7), (12, 7), (4, 1)])
def test_rotation_keeps_the_newest_keep_backups(tmp_path: Path, days: int, keep: int) -> None:
    store = Store.open(tmp_path / "s.sqlite3")
    made = [store.daily_backup(tmp_path / "bk", DAY + timedelta(days=i), keep)
            for i in range(days)]
    assert store.backups(tmp_path / "bk") == made[-keep:]
