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
from tests.conftest import ROOT, run_cycles, without_since
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
    assert "risk #4 flagged on 12 Nov" in out and "added win #5" in out

    cycles(example, "2026-11-12T11:00:00+01:00", "2026-12-04T00:00:00+01:00")
    texts = digests(example)
    assert len(texts) == 4  # 12, 19, 26 Nov and 3 Dec
    first, second, third, last = texts
    assert "Send the Q4 numbers" in first and "Send the Q4 numbers" not in without_since(second)
    assert "Ask next (why it matters)" in first
    assert "Ask next (what gets in the way)" in second  # the answered probe moved on
    assert "Shipped v2" in second
    # Flagged is not finished: the risk stays, marked, and leaves the subject's count.
    assert "Vendor slip [#4, flagged 12 Nov; follow up]" in second
    # The need was never resolved: carried through every 1:1 and called stuck at 3.
    assert "carried through" not in first.split("What you owe")[0]
    assert "carried through 1 1:1" in second
    # Stuck: the Lead says so, the line points there (issue 25.8).
    assert "carried through 3 1:1s" in " ".join(last.split())
    assert "Ask again or escalate: Intro to the Finance VP" in last.split("1. The meeting")[0]
    # 1 Oct was taken out of the series (EXDATE): a lost slot, said so (issue 25.6).
    assert "10 of 12 expected 1:1s held in the last 90 days; 1 cancelled by Sam Rivera, " \
        "1 deleted, 1 moved by Sam Rivera." in " ".join(last.split())
    trend = "1 of the last 4 did not happen: 1 cancelled by Sam Rivera."  # 5 Nov, by Sam
    assert trend in " ".join(second.split())
    # The same sentence as the digest before, after a 1:1 that took place: not said again.
    assert trend not in " ".join(third.split()) and trend not in " ".join(last.split())
    # Counted from the 1:1 of 26 Nov that asked it, not from its digest (issue 25.4), to
    # the 1:1 of 3 Dec: every day count is judged at the meeting (attack 2, B4).
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
    assert mu(example, "review", "--now", "2026-11-26T11:00:00+01:00", "--done", "3",
              "--flagged", "3") == 2
    assert "--flagged 3: #3 is not a risk" in capsys.readouterr().err
    assert Store.open(example / "state" / "manageup.sqlite3").export() == before
    assert Store.open(example / "state" / "manageup.sqlite3").export() == before


LEFT, UP = "\x1b[D", "\x1b[A"


def _spawn(example: Path, *args: str) -> pexpect.spawn:
    return pexpect.spawn(sys.executable, ["-m", "manageup", "--config",
                         str(example / "config.toml"), "review", *args], cwd=str(ROOT),
                         encoding="utf-8", timeout=60, dimensions=(40, 200))


def test_review_in_a_terminal(example: Path) -> None:
    assert mu(example, "import", str(example / "notes.json")) == 0
    cycles(example, "2026-11-25T16:00:00+01:00", "2026-11-25T17:00:00+01:00")
    child = _spawn(example, "--now", "2026-11-26T11:00:00+01:00")
    child.expect(r"#1 need: Ask Sam to speak to Dana.*or skip\? ")
    child.sendline("")  # skip
    child.expect(r"#2 need.*or skip\? ")
    child.sendline("x")
    child.expect("Please answer done, open, drop or skip")
    child.sendline("drop")  # words as well as letters
    child.expect(r"#3 owe.*or skip\? ")
    child.sendline("done")
    child.expect(r"#4 owe.*or skip\? ")
    child.sendline("o")
    child.expect(r"Goal #6: Get the platform team.*Their answer \(Enter to skip\): ")
    # Line editing: type, go back eight characters with the arrow key, insert, Enter.
    child.send("The CTO hears releases" + LEFT * 8 + "we block ")
    child.sendline("")
    child.expect(r"Goal #5.*Their answer")
    child.sendline("")
    child.expect(r"Career question: .*Their advice")
    child.sendline("Run the incident review programme")
    child.expect(r"Get to know them: .*What did you learn\? \(Enter to skip\): ")
    child.sendline("Was a chef before moving into software")
    # The check-in (issue 26.6): their answer is kept, and the question rests a quarter.
    child.expect(r"Check in: .*What did they say\? \(Enter to skip\): ")
    child.sendline("")
    # Where it stands, not only whether it was flagged (issue 25.7).
    child.expect(r"Risk #7.*Did you flag it\? yes \(still open\), resolved, escalated, no or "
                 r"skip: ")
    child.sendline("yes")
    child.expect(r"Win #10: Deploy time.*Did you raise it\? yes, no or skip: ")
    child.send(UP)  # history: the last answer, "yes", comes back
    child.sendline("")
    child.expect(r"Win #14: .*Did you raise it\? yes, no or skip: ")
    child.sendline("no")
    child.expect(r"Win #15: .*Did you raise it\? yes, no or skip: ")
    child.sendline("")
    child.expect(r"Topic #11: Conference budget.*Did you raise it")
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
    assert store.get_item(6).fields["why_it_matters"] == "The CTO hears we block releases"
    assert store.notes()[-1]["text"] == "Run the incident review programme"
    about = store.items("about")[-1]
    assert about.text == "Was a chef before moving into software"
    assert about.fields["question"].startswith("know-")
    risk = store.get_item(7)
    assert risk.status == "open" and risk.fields["flagged"] == "2026-11-26"
    assert store.get_item(10).status == "done"
    assert {store.get_item(i).status for i in (11, 14, 15)} == {"open"}
    texts = [i.text for i in store.items(include_closed=True)]
    texts += [v for i in store.items(include_closed=True) for v in i.fields.values()]
    assert not any("\x1b" in t or "[D" in t for t in texts)
    assert store.digests()[0].reviewed_at is None  # not finished


def test_nothing_to_review_and_the_list(example: Path, capsys) -> None:
    assert mu(example, "review", "--now", "2026-11-26T11:00:00+01:00") == 0
    assert "Nothing to review" in capsys.readouterr().out
    assert mu(example, "review", "--list", "--now", "2026-11-26T11:00:00+01:00") == 0
    assert "Nothing to review" in capsys.readouterr().out
    cycles(example, "2026-11-25T16:00:00+01:00", "2026-11-25T17:00:00+01:00")
    assert mu(example, "review", "--list", "--now", "2026-11-26T09:00:00+01:00") == 0
    assert "Nothing to review" in capsys.readouterr().out  # sent, but not yet held
    assert mu(example, "review", "--list", "--now", "2026-11-26T11:00:00+01:00") == 0
    out = capsys.readouterr().out
    assert "   1  Thu 26 Nov 10:00" in out and "(not reviewed)" in out


@pytest.mark.parametrize("which", ["last", "1"])
def test_review_finishes_with_new_items(example: Path, which: str) -> None:
    cycles(example, "2026-11-25T16:00:00+01:00", "2026-11-25T17:00:00+01:00")
    child = _spawn(example, "--meeting", which, "--now", "2026-11-26T11:00:00+01:00")
    child.expect("Career question")
    child.sendline("")
    child.expect("Get to know them")
    child.sendline("")
    child.expect("Check in")
    child.sendline("")
    # The private rating (issue 26.5): a number from 1 to 5, asked again until it is one.
    child.expect(r"How does the relationship feel.*1-5 \(Enter to skip\): ")
    child.sendline("7")
    child.expect(r"a number from 1 to 5, or press Enter.*1-5 \(Enter to skip\): ")
    child.sendline("4")
    child.expect(r"What would make it better\? \(Enter to skip\): ")
    child.sendline("More notice when plans change")
    child.expect("new: ")
    child.sendline("wish something")
    child.expect("unknown kind 'wish'")
    child.expect("new: ")
    child.sendline("owe Send the board slides")
    child.expect("new: ")
    child.sendline("")
    child.expect(r"relationship rated 4 of 5 \(private\)\s+added owe #1")
    child.expect(pexpect.EOF)
    store = Store.open(example / "state" / "manageup.sqlite3")
    assert store.get_item(1).text == "Send the board slides"
    assert [(n.question_id, n.text) for n in store.note_records()
            if n.question_id.startswith("feel-")] == [
        ("feel-rating", "4"), ("feel-better", "More notice when plans change")]
    assert store.digests()[0].reviewed_at is not None
