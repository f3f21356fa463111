"""Backups, exports, the archive, the review reminder, and a kill in the middle of writes."""

from __future__ import annotations

import mailbox
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from manageup.cli import main
from manageup.store import Store
from tests.conftest import CHILD_PYTHONPATH, ROOT, at
from tests.mailcheck import checked_maildir
from tests.system.test_review_month import cycles, mu


def test_daily_backup_rotation_keeps_seven(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.sqlite3")
    store.add_item("need", "Keep me", at("2026-11-01T09:00+01:00"))
    folder = tmp_path / "backups"
    for day in range(10):
        made = store.daily_backup(folder, date(2026, 11, 1) + timedelta(days=day), keep=7)
        assert made is not None
        assert store.daily_backup(folder, date(2026, 11, 1) + timedelta(days=day)) is None
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"s-{store.store_id()}-2026-11-{d:02d}.sqlite3" for d in range(4, 11)]
    newest = folder / names[-1]
    assert newest.stat().st_mode & 0o777 == 0o600
    copy = sqlite3.connect(newest)
    assert copy.execute("SELECT text FROM items").fetchall() == [("Keep me",)]
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_the_daemon_backs_up_once_a_day(example: Path) -> None:
    cycles(example, "2026-11-23T00:00:00+01:00", "2026-11-26T00:00:00+01:00")
    backups = sorted(p.name[-18:] for p in (example / "state" / "backups").iterdir())
    assert backups == ["2026-11-23.sqlite3", "2026-11-24.sqlite3", "2026-11-25.sqlite3"]


def test_markdown_export(example: Path, capsys) -> None:
    assert mu(example, "import", str(example / "notes.json")) == 0
    assert mu(example, "done", "3") == 0
    capsys.readouterr()
    assert mu(example, "export", "--format", "markdown") == 0
    md = capsys.readouterr().out
    assert "## What I owe my boss" in md
    assert "- [x] Send the Q4 reliability numbers (due 2026-11-20) <!-- #3 -->" in md
    assert "  - why it matters: The CFO tied next year's headcount to it" in md


def test_archive_and_review_reminder(example: Path) -> None:
    cfg = example / "config.toml"
    archive = example / "notes-archive"
    cfg.write_text(cfg.read_text().replace(
        '[digest]', f'[review]\nnudge_after = "30m"\n\n[digest]\narchive_dir = "{archive}"'))
    assert mu(example, "import", str(example / "notes.json")) == 0
    cycles(example, "2026-11-25T16:00:00+01:00", "2026-11-26T14:00:00+01:00",
           timedelta(minutes=15))
    (md,) = archive.iterdir()
    assert md.name == "2026-11-26-1000-alex-sam-1-1.md"
    assert "2. Open asks" in md.read_text()
    box = checked_maildir(example / "state" / "Maildir")
    subjects = sorted(m["Subject"] for m in box)
    assert subjects[0] == "How did it go? Alex / Sam 1:1, Thu 26 Nov"  # sent exactly once
    assert len(subjects) == 2
    nudge = next(m for m in box if m["Subject"].startswith("How did it go"))
    body = nudge.get_payload(decode=True).decode()
    assert "manageup review" in body and "Send the Q4 reliability numbers" in body
    assert "11:00:00 +0100" in nudge["Date"]  # the 10:30 end + 30 min


def test_no_reminder_once_reviewed(example: Path) -> None:
    cfg = example / "config.toml"
    cfg.write_text(cfg.read_text().replace('[digest]', '[review]\nnudge_after = "1h"\n\n[digest]'))
    cycles(example, "2026-11-25T16:00:00+01:00", "2026-11-26T11:00:00+01:00")
    assert main(["--config", str(cfg), "review", "--now", "2026-11-26T11:00:00+01:00",
                 "--add", "topic", "Next time: budget"]) == 0
    cycles(example, "2026-11-26T11:00:00+01:00", "2026-11-27T12:00:00+01:00")
    box = checked_maildir(example / "state" / "Maildir")
    assert [m["Subject"][:5] for m in box] == ["Prep:"]


WRITER = """
import sys
from datetime import datetime, timezone
from pathlib import Path
from manageup.store import Store

store = Store.open(Path(sys.argv[1]))
n = 0
while True:
    n += 1
    item_id = store.add_item("topic", f"item {n} " + "x" * 2000, datetime.now(timezone.utc))
    print(item_id, flush=True)  # only after the commit returned
"""


def test_kill_during_writes_loses_no_committed_item(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    db = tmp_path / "s.sqlite3"
    for round_ in range(3):
        proc = subprocess.Popen([sys.executable, str(script), str(db)], cwd=ROOT,
                                stdout=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONPATH": CHILD_PYTHONPATH})
        assert proc.stdout is not None
        committed = [int(proc.stdout.readline()) for _ in range(40 + 30 * round_)]
        time.sleep(0.01 * round_)
        proc.send_signal(signal.SIGKILL)
        rest = proc.stdout.read().split()
        proc.wait()
        committed += [int(x) for x in rest]
        store = Store.open(db)
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = {i.id for i in store.items()}
        assert set(committed) <= ids
        store.close()


def test_review_reminder_for_a_moved_1on1_goes_after_the_new_end(example: Path) -> None:
    from tests.integration.test_ledger_daemon import override

    cfg = example / "config.toml"
    cfg.write_text(cfg.read_text().replace('[digest]', '[review]\nnudge_after = "30m"\n\n[digest]'))
    cycles(example, "2026-11-25T16:00:00+01:00", "2026-11-25T18:00:00+01:00")  # digest sent
    cal = example / "calendar.ics"
    moved = override("20261126T100000", "20261126T150000", "20261126T153000")
    cal.write_text(cal.read_text().replace("END:VCALENDAR", moved + "END:VCALENDAR"))
    cycles(example, "2026-11-25T18:00:00+01:00", "2026-11-27T12:00:00+01:00",
           timedelta(minutes=15))
    box = mailbox.Maildir(example / "state" / "Maildir", create=False)
    nudges = [m for m in box if m["Subject"].startswith("How did it go")]
    assert len(nudges) == 1
    assert "16:00:00 +0100" in nudges[0]["Date"]  # the new 15:30 end + 30 min
