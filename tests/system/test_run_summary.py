"""`run --once` ends by saying what the cycle did: a digest that failed is never "nothing
due", in a dry run or a real one (attack 07: a damaged store, a digest failed, and the dry
run ended "Nothing is due at this time")."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from manageup.cli import main

BEFORE = "2026-11-25T17:00:00+01:00"
DUE = "2026-12-02T17:00:00+01:00"  # the 3 Dec 1:1's digest is due (lead time 18h)


def run(example: Path, *args: str) -> int:
    return main(["--config", str(example / "config.toml"), *args])


def _damage_items(db: Path) -> None:
    """Loud damage: the items table's first page overwritten, so reading it fails with
    "database disk image is malformed" (what a disk's bad sector or a stray write does)."""
    with sqlite3.connect(db) as c:
        page = c.execute("PRAGMA page_size").fetchone()[0]
        root = c.execute("SELECT rootpage FROM sqlite_master WHERE name = 'items'").fetchone()[0]
    with db.open("r+b") as f:
        f.seek((root - 1) * page)
        f.write(b"\xa5" * page)


@pytest.mark.parametrize("dry", [True, False], ids=["dry run", "real run"])
def test_a_failed_digest_is_said_not_nothing_due(example: Path, capsys, dry: bool) -> None:
    assert run(example, "import", str(example / "notes.json")) == 0
    assert run(example, "run", "--once", "--now", BEFORE) == 0
    _damage_items(example / "state" / "manageup.sqlite3")
    capsys.readouterr()
    assert run(example, "run", "--once", *(["--dry-run"] if dry else []), "--now", DUE) == 1
    out, err = capsys.readouterr()
    assert "is damaged" in err  # the cause, logged above the summary
    assert "Nothing is due" not in out
    [summary] = [line for line in out.splitlines() if "digest failed" in line]
    assert "1 digest failed" in summary and "errors above" in summary, out


def test_a_dry_run_with_nothing_due_still_says_so(example: Path, capsys) -> None:
    assert run(example, "run", "--once", "--dry-run", "--now", "2026-11-25T09:00+01:00") == 0
    assert capsys.readouterr().out.startswith("Nothing is due at this time.")
