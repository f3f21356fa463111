"""A month of weekly 1:1s: digests sent, reviews between them, asks carried and resolved."""

from __future__ import annotations

import sys
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pexpect
import pytest

from manageup.cli import main
from manageup.config import load_config
from manageup.store import Store
from tests.conftest import ROOT, run_cycles
from tests.mailcheck import checked_maildir


def mu(example: Path, *args: str) -> int:
    return main(["--config", str(example / "config.toml"), *args])


def cycles(example: Path, start: str, end: str, step: timedelta = timedelta(hours=2)) -> None:
    run_cycles(load_config(example / "config.toml"), start, end, step)


def digests(example: Path) -> list[str]:
    box = checked_maildir(example / "state" / "Maildir")
    msgs = sorted(box, key=lambda m: parsedate_to_datetime(m["Date"]))
    return [m.get_payload()[0].get_payload(decode=True).decode() for m in msgs]


def test_a_month_of_weekly_1on1s(example: Path, capsys) -> None:
    t0 = "2026-11-04T00:00:00+01:00"
    assert mu(example, "add", "need", "Intro to the Finance VP", "--now", t0) == 0  # 1
    assert mu(example, "add", "owe", "Send the Q4 numbers", "--now", t0) == 0  # 2
    assert mu(example, "add", "goal", "Cut cloud spend 15%", "--now", t0) == 0  # 3
    assert mu(example, "add", "risk", "Vendor slip", "--now", t0) == 0  # 4

    # 5 Nov is cancelled in the example calendar: the first digest is for 12 Nov.
    cycles(example, t0, "2026-11-12T11:00:00+01:00")
    assert len(digests(example)) == 1
    capsys.readouterr()
    assert mu(example, "review", "--now", "2026-11-12T11:00:00+01:00", "--done", "2",
              "--answer", "3", "The CFO tied headcount to it", "--flagged", "4",
              "--advice", "Take the cross-team project", "--add", "win", "Shipped v2") == 0
    out = capsys.readouterr().out
    assert "#2 done" in out and "goal #3: why it matters recorded" in out
    assert "risk #4 flagged" in out and "added win #5" in out

    cycles(example, "2026-11-12T11:00:00+01:00", "2026-12-04T00:00:00+01:00")
    texts = digests(example)
    assert len(texts) == 4  # 12, 19, 26 Nov and 3 Dec
    first, second, _third, last = texts
    assert "Send the Q4 numbers" in first and "Send the Q4 numbers" not in second
    assert "Ask next (why it matters)" in first
    assert "Ask next (what gets in the way)" in second  # the answered probe moved on
    assert "Shipped v2" in second and "Vendor slip" not in second
    # The need was never resolved: carried through every 1:1 and called stuck at 3.
    assert "carried through" not in first.split("What you owe")[0]
    assert "carried through 1 1:1" in second
    assert "carried through 3 1:1s" in last and "STUCK: escalate or drop it" in last
    assert "10 of 12 expected 1:1s held in the last 90 days; 1 cancelled, 1 moved." in last
    assert "1 of the last 4 was cancelled by your boss." in last  # 5 Nov, by Sam
    assert "Last goal question asked: 7 days ago" in last
    store = Store.open(example / "state" / "manageup.sqlite3")
    (note,) = store.notes()
    assert note["text"] == "Take the cross-team project"
    assert [d.reviewed_at is not None for d in store.digests()] == [True, False, False, False]


def test_review_needs_a_terminal_or_flags(example: Path, capsys) -> None:
    cycles(example, "2026-11-25T16:00:00+01:00", "2026-11-25T17:00:00+01:00")
    sys_stdin = sys.stdin
    try:
        sys.stdin = open("/dev/null")  # noqa: SIM115
        assert mu(example, "review", "--now", "2026-11-26T11:00:00+01:00") == 2
    finally:
        sys.stdin.close()
        sys.stdin = sys_stdin
    assert "needs a terminal" in capsys.readouterr().err


def test_review_flags_check_before_writing(example: Path, capsys) -> None:
    assert mu(example, "import", str(example / "notes.json")) == 0
    cycles(example, "2026-11-25T16:00:00+01:00", "2026-11-25T17:00:00+01:00")
    before = Store.open(example / "state" / "manageup.sqlite3").export()
    assert mu(example, "review", "--now", "2026-11-26T11:00:00+01:00", "--done", "3",
              "--answer", "99", "x") == 2
    assert "goal #99 had no open question" in capsys.readouterr().err
    assert Store.open(example / "state" / "manageup.sqlite3").export() == before


def test_review_in_a_terminal(example: Path) -> None:
    assert mu(example, "import", str(example / "notes.json")) == 0
    cycles(example, "2026-11-25T16:00:00+01:00", "2026-11-25T17:00:00+01:00")
    child = pexpect.spawn(sys.executable, ["-m", "manageup", "--config",
                          str(example / "config.toml"), "review", "--now",
                          "2026-11-26T11:00:00+01:00"], cwd=str(ROOT), encoding="utf-8",
                          timeout=20)
    child.expect(r"#1 need: Ask Sam to speak to Dana.*Enter to skip: ")
    child.sendline("")  # still open
    child.expect(r"#2 need.*Enter to skip: ")
    child.sendline("x")
    child.expect("Please answer d, o, r")
    child.sendline("r")  # drop
    child.expect(r"#3 owe.*Enter to skip: ")
    child.sendline("d")
    child.expect(r"#4 owe.*Enter to skip: ")
    child.sendline("o")
    child.expect(r"Goal #6: Get the platform team.*Their answer \(Enter to skip\): ")
    child.sendline("The CTO keeps hearing we block releases")
    child.expect(r"Goal #5.*Their answer")
    child.sendline("")
    child.expect(r"Career question: .*Their advice")
    child.sendline("Run the incident review programme")
    child.expect(r"Risk #7.*Did you flag it")
    # Ctrl-C here: everything answered so far stays.
    child.sendintr()
    child.expect("what you answered so far is saved")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    store = Store.open(example / "state" / "manageup.sqlite3")
    assert store.get_item(1).status == "open"
    assert store.get_item(2).status == "dropped"
    assert store.get_item(3).status == "done"
    assert store.get_item(6).fields["why_it_matters"] == "The CTO keeps hearing we block releases"
    assert store.notes()[0]["text"] == "Run the incident review programme"
    assert store.get_item(7).status == "open"
    assert store.digests()[0].reviewed_at is None  # not finished


@pytest.mark.parametrize("which", ["last", "1"])
def test_review_finishes_with_new_items(example: Path, which: str) -> None:
    cycles(example, "2026-11-25T16:00:00+01:00", "2026-11-25T17:00:00+01:00")
    child = pexpect.spawn(sys.executable, ["-m", "manageup", "--config",
                          str(example / "config.toml"), "review", "--meeting", which,
                          "--now", "2026-11-26T11:00:00+01:00"], cwd=str(ROOT),
                          encoding="utf-8", timeout=20)
    child.expect("Career question")
    child.sendline("")
    child.expect("new: ")
    child.sendline("wish something")
    child.expect("unknown kind 'wish'")
    child.expect("new: ")
    child.sendline("owe Send the board slides")
    child.expect("new: ")
    child.sendline("")
    child.expect("added owe #1")
    child.expect(pexpect.EOF)
    store = Store.open(example / "state" / "manageup.sqlite3")
    assert store.get_item(1).text == "Send the board slides"
    assert store.digests()[0].reviewed_at is not None
