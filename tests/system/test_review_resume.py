"""A review stopped half-way and started again, as the README invites ("Ctrl-C loses
nothing"): what was answered is not asked again, and Ctrl-D at the end finishes."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pexpect
import pytest

from manageup.compose import compose
from manageup.detect import detect
from manageup.history import history_of
from manageup.model import HistoryEntry, Match, Occurrence
from manageup.render import render
from manageup.review import interactive, plan
from manageup.sources.ics import parse_occurrences
from manageup.store import Store
from tests.conftest import ICS, ROOT, at

NOW = at("2026-12-02T17:00+01:00")
AFTER = at("2026-12-03T11:00+01:00")  # the 1:1 on 3 Dec at 10:00 is over


def _occurrences(cfg: Any) -> tuple[list[Occurrence], Any]:
    occs = parse_occurrences((ICS / "weekly_moved_cancelled_exdate.ics").read_bytes(),
                             NOW - timedelta(days=90), NOW + timedelta(days=14),
                             cfg.zone).occurrences
    return occs, cfg


def _calendar(make_config) -> tuple[Any, Store, Match, list[HistoryEntry]]:
    """The config, the store, the 1:1 of 3 Dec and the history before it."""
    _p, cfg = make_config(ICS / "weekly_moved_cancelled_exdate.ics")
    occs, _cfg = _occurrences(cfg)
    match = next(m for m in detect(occs, cfg) if m.occurrence.start > NOW)
    return cfg, Store.open(cfg.store.path), match, history_of(occs, cfg)


def _sent_digest(make_config, goal: bool = False) -> tuple[Store, Any]:
    cfg, store, match, history = _calendar(make_config)
    store.add_item("risk", "Vendor slip", NOW - timedelta(days=3))  # 1
    store.add_item("win", "Shipped v2", NOW - timedelta(days=2))  # 2
    if goal:
        store.add_item("goal", "Cut spend", NOW - timedelta(days=2))  # 3
    # A career goal on record: the career question asks for advice, which makes an owe.
    store.add_item("career", "Lead a project", NOW - timedelta(days=2))
    d = compose(store.snapshot(), match, history, NOW, cfg)
    render(d)
    assert d.career.question and d.career.question.advice and d.relationship.get_to_know
    store.record_sent_digest(d.meeting.key, d.item_ids, d.question_ids, NOW,
                             start=d.meeting.start, title=d.meeting.title, shown=d.shown())
    return store, d


def _answers(script: dict[str, str | list[str]], asked: list[str]) -> Callable[[str], str]:
    """Answers each prompt by the first key it contains (a list: one answer after the
    other); a prompt not in the script fails."""
    def ask(prompt: str) -> str:
        asked.append(prompt)
        for key, given in script.items():
            if key in prompt:
                answer = given.pop(0) if isinstance(given, list) else given
                if answer == "^C":
                    raise KeyboardInterrupt
                if answer == "^D":
                    raise EOFError
                return answer
        raise AssertionError(f"unexpected prompt {prompt!r}")
    return ask


def test_a_resumed_review_asks_only_what_is_still_open(make_config) -> None:
    store, _d = _sent_digest(make_config)
    rec = store.digests()[-1]
    said: list[str] = []
    asked: list[str] = []
    first = {"advice": "Lead the incident programme", "learn": "Was a chef", "they say": "",
             "flag it": "yes", "raise it": "^C"}
    with pytest.raises(KeyboardInterrupt):
        interactive(store, plan(store, rec), AFTER, _answers(first, asked), said.append)
    assert len(store.notes()) == 1 and len(store.items("about")) == 1
    flagged = store.get_item(1).fields["flagged"]

    # Started again: career, get-to-know, the check-in (skipped) and the flagged risk were
    # answered; only the win and the new items are left.
    asked.clear()
    later = AFTER + timedelta(hours=2)
    second = {"raise it": "yes", "1-5": "", "new: ": ""}
    interactive(store, plan(store, store.digest(rec.id)), later, _answers(second, asked),
                said.append)
    assert not any("advice" in p or "learn" in p or "flag it" in p or "they say" in p
                   for p in asked), asked
    assert len(store.notes()) == 1 and len(store.items("about")) == 1
    assert store.get_item(1).fields["flagged"] == flagged
    assert store.get_item(2).status == "done"
    assert store.digest(rec.id).reviewed_at is not None


def test_ctrl_d_at_the_new_items_prompt_finishes_the_review(make_config) -> None:
    store, _d = _sent_digest(make_config)
    rec = store.digests()[-1]
    asked: list[str] = []
    script = {"advice": "", "learn": "", "they say": "", "flag it": "", "raise it": "",
              "1-5": "", "new: ": "^D"}
    summary = interactive(store, plan(store, rec), AFTER, _answers(script, asked),
                          lambda _line: None)
    assert asked[-1].strip() == "new:"
    assert summary.changed == []
    assert store.digest(rec.id).reviewed_at is not None  # no reminder mail comes for it


def test_review_shows_calendar_text_without_its_escape_sequences(make_config, capsys) -> None:
    """A title from the calendar is untrusted: an escape sequence in it would retitle the
    terminal window or clear the screen when `review` prints it."""
    from manageup.cli import main

    path, cfg = make_config()
    store = Store.open(cfg.store.path)
    store.add_item("owe", "Numbers \x1b[2J", NOW)
    store.record_sent_digest("k", [1], [], NOW, start=NOW, title="1:1 \x1b]0;pwned\x07Sam",
                             shown={"asks": [1]})
    store.close()
    assert main(["--config", str(path), "review", "--list", "--now", AFTER.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "1:1 \\x1b]0;pwned\\x07Sam" in out and "\x1b" not in out
    child = pexpect.spawn(sys.executable, ["-m", "manageup", "--config", str(path), "review",
                                           "--now", AFTER.isoformat()],
                          cwd=str(ROOT), encoding="utf-8", timeout=60, dimensions=(40, 200))
    child.logfile_read = io.StringIO()
    child.expect("or skip\\? ")
    child.sendline("")
    child.expect(r"1-5 \(Enter to skip\): ")  # the private rating (issue 26.5), skipped
    child.sendline("")
    child.expect("new: ")
    child.sendline("")
    child.expect(pexpect.EOF)
    shown = child.logfile_read.getvalue()
    assert "Review of 1:1 \\x1b]0;pwned\\x07Sam" in shown and "Numbers \\x1b[2J" in shown


def test_an_answer_too_long_is_asked_again_not_the_end_of_the_review(make_config) -> None:
    store, _d = _sent_digest(make_config)
    store.add_item("goal", "Cut spend", NOW - timedelta(days=30))  # no probe shown for it
    rec = store.digests()[-1]
    said: list[str] = []
    long = "x" * 10_001
    script: dict[str, str | list[str]] = {
        "advice": [long, "Take the platform role"], "learn": [long, "Was a chef"],
        "they say": "", "flag it": "yes", "raise it": "yes", "1-5": "",
        "new: ": [f"win {long}", "win Shipped", ""]}
    summary = interactive(store, plan(store, rec), AFTER, _answers(script, []), said.append)
    assert sum("keep it under 10000" in line for line in said) == 3
    assert [n["text"] for n in store.notes()] == ["Take the platform role"]
    assert [i.text for i in store.items("about")] == ["Was a chef"]
    (win,) = [i for i in store.items("win") if i.text == "Shipped"]
    assert f"added win #{win.id}" in summary.changed
    assert store.digest(rec.id).reviewed_at is not None


def test_advice_by_flag_is_held_to_the_same_length_as_any_note(make_config) -> None:
    from manageup.errors import UsageError
    from manageup.review import apply_flags

    store, _d = _sent_digest(make_config)
    with pytest.raises(UsageError, match=r"--advice: .* keep it under 10000"):
        apply_flags(store, plan(store, store.digests()[-1]), AFTER, advice="x" * 10_001)
    assert store.notes() == []



def test_a_too_long_goal_answer_by_flag_writes_nothing(make_config) -> None:
    """apply_flags promises to check everything before it writes anything."""
    from manageup.errors import UsageError
    from manageup.review import apply_flags

    store, _d = _sent_digest(make_config, goal=True)
    before = store.export()
    with pytest.raises(UsageError, match=r"--answer 3: .* keep it under 10000"):
        apply_flags(store, plan(store, store.digests()[-1]), AFTER, done=[2],
                    answers=[("3", "x" * 10_001)])
    assert store.export() == before


def test_a_1on1_moved_after_its_digest_is_reviewed_once_after_it_happens(make_config,
                                                                         capsys) -> None:
    """Thursday's digest went out, then the boss moved the 1:1 to Friday and a new digest
    went out. On Thursday after 10:00 there is nothing to review yet; on Friday the 1:1
    is listed once."""
    from manageup.cli import main

    path, cfg = make_config()
    store = Store.open(cfg.store.path)
    thu, fri = at("2026-12-03T10:00+01:00"), at("2026-12-04T10:00+01:00")
    store.record_sent_digest("w|2026-12-03", [], [], thu - timedelta(hours=18), start=thu,
                             title="Sam / Alex", shown={})
    store.record_sent_digest("w|2026-12-03", [], [], thu - timedelta(hours=2), start=fri,
                             title="Sam / Alex (moved)", shown={})
    store.close()
    assert main(["--config", str(path), "review", "--list", "--now",
                 "2026-12-03T11:00:00+01:00"]) == 0
    assert "Nothing to review" in capsys.readouterr().out
    assert main(["--config", str(path), "review", "--list", "--now",
                 "2026-12-04T11:00:00+01:00"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and "Fri 04 Dec 10:00  Sam / Alex (moved)" in out[0]


def test_list_and_done_show_imported_text_without_escape_sequences(make_config,
                                                                   capsys) -> None:
    """Items can come from an export someone else made (`manageup import`): their text
    reaches the terminal with control characters shown, as calendar text does."""
    from manageup.cli import main

    path, cfg = make_config()
    store = Store.open(cfg.store.path)
    store.add_item("risk", "Slip \x1b]0;pwned\x07", NOW,
                   fields={"corrective_action": "Fix \x1b[2J"})
    store.close()
    assert main(["--config", str(path), "list"]) == 0
    assert main(["--config", str(path), "done", "1"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "Slip \\x1b]0;pwned\\x07" in out and "Fix \\x1b[2J" in out


def test_review_asks_where_a_risk_stands(make_config) -> None:
    """Not just flagged yes or no (issue 25.7): escalated at one 1:1, resolved at the next."""
    store, _d = _sent_digest(make_config)
    rec = store.digests()[-1]
    script = {"advice": "", "learn": "", "they say": "", "flag it": ["x", "e"], "raise it": "",
              "1-5": "", "new: ": ""}
    said: list[str] = []
    summary = interactive(store, plan(store, rec), AFTER, _answers(script, []), said.append)
    assert any("yes, resolved, escalated, no or skip" in line for line in said)
    assert "risk #1 escalated on 03 Dec" in summary.changed
    risk = store.get_item(1)
    assert risk.status == "open"
    assert risk.fields["escalated"] == risk.fields["flagged"] == "2026-12-03"
    nxt = AFTER + timedelta(days=7)
    store.record_sent_digest("next", [1], [], nxt - timedelta(hours=18), start=nxt,
                             title="Sam / Alex", shown={"risks": [1]})
    asked: list[str] = []
    script = {"Where does it stand": "resolved", "1-5": "", "new: ": ""}
    summary = interactive(store, plan(store, store.digests()[-1]), nxt + timedelta(hours=1),
                          _answers(script, asked), said.append)
    assert "risk #1 resolved" in summary.changed and store.get_item(1).status == "done"


def test_a_new_item_by_flag_keeps_its_due_date(make_config) -> None:
    """`review --add owe "Send the deck --due friday"` is the `new:` line by flag (25.10);
    a date that is no date writes nothing."""
    from manageup.errors import UsageError
    from manageup.review import apply_flags

    store, _d = _sent_digest(make_config)
    p = plan(store, store.digests()[-1])
    with pytest.raises(UsageError, match="--due 'someday'"):
        apply_flags(store, p, AFTER, add=[("owe", "Send the deck --due someday")])
    assert store.items("owe") == []
    apply_flags(store, p, AFTER, add=[("owe", "Send the deck --due friday")])
    (owe,) = store.items("owe")
    assert owe.text == "Send the deck" and owe.due == date(2026, 12, 4)


def test_the_check_in_answer_is_kept_and_its_question_rests_a_quarter(make_config) -> None:
    """Issue 26.5-26.6: review asks the check-in question its digest put (here one after
    the cancelled 19 Nov); the answer is a note naming the question, and no digest of the
    next twelve weeks puts it again, though the bank goes round every four digests. By
    flag too, and refused for a digest that put no check-in."""
    from manageup.errors import UsageError
    from manageup.review import apply_flags

    store, d = _sent_digest(make_config)
    asked = d.relationship.checkin
    assert asked is not None and asked.bank == "after_cancel"
    script = {"advice": "", "learn": "", "they say": "Thursdays would suit them better",
              "flag it": "", "raise it": "", "1-5": "", "new: ": ""}
    said: list[str] = []
    summary = interactive(store, plan(store, store.digests()[-1]), AFTER,
                          _answers(script, []), said.append)
    assert f"\nCheck in: {asked.text}" in said and "check-in answer noted" in summary.changed
    (note,) = store.notes()
    assert (note["question_id"], note["text"]) == (asked.id, "Thursdays would suit them better")
    cfg, store, match, history = _calendar(make_config)
    # The digest of the next 1:1 (10 Dec) tells it in its recap, in both parts.
    nxt = next(m for m in detect(*_occurrences(cfg)) if m.occurrence.start > AFTER)
    recap = render(compose(store.snapshot(), nxt, history, NOW + timedelta(days=7), cfg))
    told = "Sam Rivera said at the check-in: Thursdays would suit them better"
    assert told in " ".join(recap.text.split("Since your last 1:1")[1].split())
    assert told in recap.html
    put = []
    for week in range(1, 13):
        now = NOW + timedelta(days=7 * week)
        later = compose(store.snapshot(), match, history, now, cfg)
        put.append(later.relationship.checkin and later.relationship.checkin.id)
        store.record_sent_digest(f"k{week}", later.item_ids, later.question_ids, now)
        store.ledger_set(f"k{week}", now, "sent", "<x>", now, now)
    assert asked.id not in put and len(set(put)) > 4  # the others came round again

    apply_flags(store, plan(store, store.digests()[0]), AFTER, checkin="Fine as it is")
    assert [n["text"] for n in store.notes()][-1] == "Fine as it is"
    store.record_sent_digest("x", [], [], AFTER, start=AFTER, title="1:1", shown={})
    with pytest.raises(UsageError, match="--checkin: that digest asked no check-in question"):
        apply_flags(store, plan(store, store.digests()[-1]), AFTER, checkin="Fine")


def test_a_review_by_flag_run_again_notes_and_suggests_nothing_twice(make_config) -> None:
    """The same `review --advice ... --checkin ...` run twice (a retry after a timeout, a
    script run again) keeps one note of each answer and suggests one owe from the advice:
    twice, the next digest told the advice twice in its recap and twice in Career, the
    first one pointing at the second owe."""
    from manageup.review import apply_flags

    store, _d = _sent_digest(make_config)
    for _ in range(2):
        summary = apply_flags(store, plan(store, store.digests()[-1]), AFTER,
                              advice="Ask Lena for a monthly cost session",
                              checkin="Thursdays suit them better", rating=4,
                              about="Likes the numbers first")
    assert [i.text for i in store.items("about")] == ["Likes the numbers first"]
    assert sorted(n["text"] for n in store.notes()) == [
        "4", "Ask Lena for a monthly cost session", "Thursdays suit them better"]
    owes = store.items("owe", include_closed=True)
    assert [o.text for o in owes] == ["Ask Lena for a monthly cost session"]
    assert f"owe #{owes[0].id} already suggested from it" in summary.changed
    # A new rating for the same 1:1 is kept as the last word, and so is the first one given
    # again after it (its note is the newest, not the oldest).
    for minutes, rating in ((1, 2), (2, 4)):
        apply_flags(store, plan(store, store.digests()[-1]),
                    AFTER + timedelta(minutes=minutes), rating=rating)
    from manageup.feel import ratings

    assert ratings(store.note_records())[0] == (4,)


def test_an_imported_digest_probing_an_item_that_is_no_goal_asks_nothing_of_it(
        make_config) -> None:
    """A hostile or hand-edited export whose digest put a goal question on a need: review
    offered it, and the answer ended the review with "'why_it_matters' does not apply
    here". Only goals are probed."""
    from manageup.review import apply_flags

    store, _d = _sent_digest(make_config)
    need = store.add_item("need", "Budget", NOW)
    store.record_sent_digest("hostile", [], [], AFTER, start=AFTER, title="1:1", shown={
        "probes": [[need, "why_it_matters", "why-1", "Why does it matter?"]]})
    p = plan(store, store.digests()[-1])
    assert p.probes == []
    with pytest.raises(Exception, match="no open question"):
        apply_flags(store, p, AFTER, answers=[(str(need), "It matters")])
    assert store.get_item(need).fields == {}
