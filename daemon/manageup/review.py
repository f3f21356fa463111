"""After a 1:1: walk through what its digest raised and record what happened.

Every answer is written at once in its own transaction, so Ctrl-C keeps what was said.
Input and output are passed in; the CLI gives the terminal, tests give a pty or flags.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from manageup import feel
from manageup.calledoff import called_off_keys, latest_digests
from manageup.cli.values import split_due
from manageup.errors import UsageError
from manageup.followup import bare_answer, is_advice, suggest_owe
from manageup.kinds import RISK_STATE
from manageup.model import KINDS, MAX_TEXT, Item
from manageup.store import DigestRecord, Store
from manageup.textutil import bidi_closed

Prompt = Callable[[str], str]  # asks the user one question, returns the answer
Say = Callable[[str], None]


@dataclass
class Plan:
    digest: DigestRecord
    asks: list[Item]
    probes: list[tuple[Item, str, str, str]]  # goal, field, question id, question text
    career: tuple[str, str] | None
    risks: list[Item]
    know: tuple[str, str] | None = None  # the get-to-know question: id, text
    raise_: list[Item] = field(default_factory=list)  # wins and topics to share
    # Questions of this digest already answered in an earlier, stopped review: not asked again.
    answered: frozenset[str] = frozenset()
    checkin: tuple[str, str] | None = None  # the check-in question: id, text


@dataclass
class Summary:
    changed: list[str] = field(default_factory=list)
    # Advice and how-my-work-can-help answers, made owes once the rest is written: what the
    # user typed keeps the numbers it would have had.
    suggest: list[tuple[str, int | None]] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.changed.append(line)


NOTHING = "Nothing to review: no 1:1 with a sent digest has started yet."


def pick(store: Store, which: str, now: datetime) -> DigestRecord | None:
    """The digest to review; None when there is nothing to review yet."""
    if which != "last":
        try:
            return store.digest(int(which))
        except ValueError:
            raise UsageError(f"--meeting {which!r}: use last or a digest id") from None
    held = reviewable(store, now)
    return held[-1] if held else None


def reviewable(store: Store, now: datetime) -> list[DigestRecord]:
    """The 1:1s that have started, oldest first. A 1:1 moved after its digest went out has
    a digest per time: only the last one sent counts, so a 1:1 put off to Friday is not
    offered for review on Thursday, nor listed twice. One cancelled or declined after its
    digest went out did not take place: there is nothing to review."""
    off = called_off_keys(store.history())
    return sorted((d for d in latest_digests(store.digests())
                   if d.start <= now and d.key not in off), key=lambda d: d.start)


def listing(store: Store, now: datetime) -> list[str]:
    """`review --list`: the 1:1s that can be reviewed, oldest first, with their ids."""
    return [f"{d.id:>4}  {d.start:%a %d %b %H:%M}  {bidi_closed(d.title)}  "
            f"({'reviewed' if d.reviewed_at else 'not reviewed'})"
            for d in reviewable(store, now)] or [NOTHING]


def plan(store: Store, rec: DigestRecord) -> Plan:
    def open_items(ids: Sequence[int]) -> list[Item]:
        items = []
        for i in ids:
            try:
                item = store.get_item(int(i))
            except UsageError:
                continue  # deleted since; nothing to ask about
            if item.status == "open":
                items.append(item)
        return items

    shown = rec.shown
    probes = []
    for goal_id, fld, qid, text in shown.get("probes", []):
        goals = open_items([goal_id])
        if goals and goals[0].kind == "goal" and not goals[0].fields.get(fld):
            probes.append((goals[0], fld, qid, text))
    career, know, checkin = ((str(q[0]), str(q[1])) if q else None
                             for q in map(shown.get, ("career", "know", "checkin")))
    # A risk said to stand somewhere on or after the meeting's day was answered in this
    # review already.
    risks = [r for r in open_items(shown.get("risks", []))
             if max(r.fields.get(k, "") for k in RISK_STATE) < rec.start.date().isoformat()]
    return Plan(rec, open_items(shown.get("asks", [])), probes, career, risks, know,
                open_items(shown.get("raise", [])), _answered(store, rec), checkin)


def _answered(store: Store, rec: DigestRecord) -> frozenset[str]:
    """Question ids of this digest with an answer on record: career advice noted for it, a
    get-to-know question some `about` item already answers."""
    # Here, not at the top: the cycle reads reviewable() and must not load the digest's code.
    from manageup.asking import person_questions
    from manageup.knowing import known_questions

    ids = {r["question_id"] for r in store.notes() if r["digest_id"] == rec.id}
    ids |= known_questions(store.items("about", include_closed=True), person_questions())
    return frozenset(ids - {""})


CHOICES = {  # what a person may type at "done, open, drop, skip": words or first letters
    "d": "done", "done": "done", "o": "open", "open": "open", "r": "drop", "drop": "drop",
    "": "skip", "s": "skip", "skip": "skip",
}
YES = {"y": True, "yes": True, "n": False, "no": False, "": None, "s": None, "skip": None}
# Where a risk stands after the 1:1. "yes" (to "did you flag it?") is raised, still open.
RISK_CHOICES = {"y": "open", "yes": "open", "o": "open", "open": "open", "still open": "open",
                "r": "resolved", "resolved": "resolved", "e": "escalated",
                "escalated": "escalated", "n": None, "no": None, "": None, "s": None,
                "skip": None}


def choose(ask: Prompt, say: Say, prompt: str, choices: dict[str, Any], hint: str) -> Any:
    while True:
        a = ask(prompt).strip().lower()
        if a in choices:
            return choices[a]
        say(f"    Please answer {hint}.")


def _free_text(ask: Prompt, say: Say, prompt: str) -> str:
    """An answer in the user's words; one too long to keep is asked for again rather than
    ending the review with an error."""
    while True:
        a = ask(prompt).strip()
        if len(a) <= MAX_TEXT:
            return a
        say(f"    That is {len(a)} characters; keep it under {MAX_TEXT}.")


class _Progress:
    """Which questions of this review were answered (a skip too), here or in a start of it
    that Ctrl-C stopped: each is asked once, and each answer is saved before the next."""

    def __init__(self, store: Store, p: Plan) -> None:
        self.store, self.digest_id = store, p.digest.id
        self.done = p.answered | store.review_progress(p.digest.id)

    def left(self, key: str) -> bool:
        return key not in self.done

    def answered(self, key: str) -> None:
        self.store.note_progress(self.digest_id, key)


def interactive(store: Store, p: Plan, now: datetime, ask: Prompt, say: Say) -> Summary:
    """One question at a time; the question's context is printed, the prompt is one short
    line, so line editing (arrow keys, history) works on it."""
    s, progress = Summary(), _Progress(store, p)
    say(f"Review of {p.digest.title}, {p.digest.start:%a %d %b %H:%M}. "
        "Press Enter to skip a question, Ctrl-C to stop (answers so far are kept).")
    asks = [i for i in p.asks if progress.left(f"ask:{i.id}")]
    if asks:
        say("\nOpen asks:")
    for item in asks:
        say(f"  #{item.id} {item.kind}: {item.text}")
        what = choose(ask, say, "    done, open, drop or skip? ", CHOICES,
                      "done, open, drop or skip (d, o, r, s), or press Enter")
        if what in ("done", "drop"):
            status = "done" if what == "done" else "dropped"
            store.set_status(item.id, status, now)
            s.add(f"#{item.id} {status}")
        progress.answered(f"ask:{item.id}")
    for goal, fld, _qid, text in p.probes:
        if progress.left(f"probe:{goal.id}"):
            say(f"\nGoal #{goal.id}: {goal.text}\n  You were to ask: {text}")
            a = _free_text(ask, say, "  Their answer (Enter to skip): ")
            if a:
                _record_answer(store, p, goal.id, fld, a, now, s)
            progress.answered(f"probe:{goal.id}")
    for q, heading, prompt, record in (
            (p.career, "Career question", "Their advice" if p.career and p.career[0] in
             _advice_ids() else "Their answer", _record_advice),
            (p.know, "Get to know them", "What did you learn?", _record_about),
            (p.checkin, "Check in", "What did they say?", _record_checkin)):
        if q and progress.left(q[0]):
            say(f"\n{heading}: {q[1]}")
            a = _free_text(ask, say, f"  {prompt} (Enter to skip): ")
            if a:
                record(store, p, q[0], a, now, s)
            progress.answered(q[0])
    _yes_no(store, p, now, ask, say, s, progress)
    if progress.left(feel.RATING):
        s.changed += feel.record(store, p.digest.id, now, *feel.prompt(ask, say))
        progress.answered(feel.RATING)
    _new_items(store, now, ask, say, s)
    _reviewed(store, p, now, s)
    return s


def _yes_no(store: Store, p: Plan, now: datetime, ask: Prompt, say: Say, s: Summary,
            progress: _Progress) -> None:
    for risk in p.risks:
        if not progress.left(f"risk:{risk.id}"):
            continue
        say(f"\nRisk #{risk.id}: {risk.text}")
        if risk.fields.get("flagged"):
            state = choose(ask, say, "  Where does it stand? still open, resolved, escalated "
                           "or skip: ", RISK_CHOICES, "still open, resolved, escalated or skip "
                           "(o, r, e, s), or press Enter")
        else:
            state = choose(ask, say, "  Did you flag it? yes (still open), resolved, escalated, "
                           "no or skip: ", RISK_CHOICES, "yes, resolved, escalated, no or skip "
                           "(y, r, e, n, s), or press Enter")
        if state:
            s.add(_risk_update(store, risk.id, state, now))
        progress.answered(f"risk:{risk.id}")
    for item in p.raise_:
        if not progress.left(f"raise:{item.id}"):
            continue
        say(f"\n{item.kind.capitalize()} #{item.id}: {item.text}")
        if choose(ask, say, "  Did you raise it? yes, no or skip: ", YES, "yes, no or skip"):
            store.set_status(item.id, "done", now)
            s.add(f"#{item.id} raised")
        progress.answered(f"raise:{item.id}")


def _new_items(store: Store, now: datetime, ask: Prompt, say: Say, s: Summary) -> None:
    say("\nAnything new? Type KIND TEXT [--due DATE] (kinds: " + ", ".join(KINDS) +
        "); Enter to finish.")
    while True:
        try:
            line = ask("  new: ").strip()
        except EOFError:  # Ctrl-D ends a list of entries, as it does at a shell prompt
            say("")
            break
        if not line:
            break
        kind, _, text = line.partition(" ")
        try:
            text, due = split_due(text, now.date())
            item_id = store.add_item(kind.lower(), text, now, due=due)
        except UsageError as e:
            say(f"    {e}")
            continue
        s.add(f"added {kind.lower()} #{item_id}")


def _risk_update(store: Store, risk_id: int, state: str, now: datetime) -> str:
    """Where a risk stands after the 1:1. Raised and still open, or taken higher, it stays
    open and the next digest asks for the update; resolved, it is closed. `flagged` keeps
    the day the boss first heard it."""
    today = now.date().isoformat()
    first = not store.get_item(risk_id).fields.get("flagged")
    fields = {"updated": today, **({"flagged": today} if first else {}),
              **({"escalated": today} if state == "escalated" else {})}
    store.update_item(risk_id, fields=fields)
    if state == "resolved":
        store.set_status(risk_id, "done", now)
        return f"risk #{risk_id} resolved"
    said = "escalated" if state == "escalated" else "flagged" if first else "still open"
    return f"risk #{risk_id} {said} on {now:%d %b}"


def apply_flags(store: Store, p: Plan, now: datetime, *, done: Sequence[int] = (),
                drop: Sequence[int] = (), answers: Sequence[tuple[str, str]] = (),
                advice: str = "", flagged: Sequence[int] = (), about: str = "",
                raised: Sequence[int] = (), add: Sequence[tuple[str, str]] = (),
                resolved: Sequence[int] = (), escalated: Sequence[int] = (),
                rating: int | None = None, better: str = "", checkin: str = "") -> Summary:
    """The same review without a terminal. Everything is checked before anything is written."""
    s = Summary()
    probe_for = {g.id: fld for g, fld, _q, _t in p.probes}
    parsed_answers = []
    for goal_id, text in answers:
        try:
            gid = int(goal_id)
        except ValueError:
            raise UsageError(f"--answer {goal_id!r}: expected a goal id") from None
        if gid not in probe_for:
            raise UsageError(f"--answer: goal #{gid} had no open question in that digest")
        if len(text) > MAX_TEXT:
            raise UsageError(f"--answer {gid}: the text is {len(text)} characters long; keep "
                             f"it under {MAX_TEXT}")
        parsed_answers.append((gid, text))
    from manageup.store import check_item

    new = [(kind, *split_due(text, now.date())) for kind, text in add]
    for kind, text, _due in new:
        check_item(kind, text, {})
    for item_id in (*done, *drop):
        store.get_item(item_id)
    risk_states = (("open", flagged), ("resolved", resolved), ("escalated", escalated))
    for option, ids, kinds in (("--flagged", flagged, ("risk",)),
                               ("--resolved", resolved, ("risk",)),
                               ("--escalated", escalated, ("risk",)),
                               ("--raised", raised, ("win", "topic"))):
        for item_id in ids:
            if store.get_item(item_id).kind not in kinds:
                raise UsageError(f"{option} {item_id}: #{item_id} is not a "
                                 f"{' or '.join(kinds)}; see `manageup list`")
    for option, text, q, what in (("--advice", advice, p.career, "career"),
                                  ("--checkin", checkin, p.checkin, "check-in")):
        if text and not q:
            raise UsageError(f"{option}: that digest asked no {what} question")
        if len(text) > MAX_TEXT:
            raise UsageError(f"{option}: the text is {len(text)} characters long; keep it "
                             f"under {MAX_TEXT}")
    if about:
        check_item("about", about, {})
    feel.check(rating, better)
    for status, ids in (("done", done), ("dropped", drop)):
        for item_id in ids:
            store.set_status(item_id, status, now)
            s.add(f"#{item_id} {status}")
    for gid, text in parsed_answers:
        _record_answer(store, p, gid, probe_for[gid], text, now, s)
    if advice and p.career:
        _record_advice(store, p, p.career[0], advice, now, s)
    for state, ids in risk_states:
        for item_id in ids:
            s.add(_risk_update(store, item_id, state, now))
    for item_id in raised:
        store.set_status(item_id, "done", now)
        s.add(f"#{item_id} raised")
    if about:
        _record_about(store, p, p.know[0] if p.know else "", about, now, s)
    if checkin and p.checkin:
        _record_checkin(store, p, p.checkin[0], checkin, now, s)
    for kind, text, due in new:
        s.add(f"added {kind} #{store.add_item(kind, text, now, due=due)}")
    s.changed += feel.record(store, p.digest.id, now, rating, better)
    _reviewed(store, p, now, s)
    return s


def _record_answer(store: Store, p: Plan, goal: int, fld: str, text: str, now: datetime,
                   s: Summary) -> None:
    """How the user's work can help a goal is something to do: a suggested owe too."""
    store.update_item(goal, fields={fld: text})
    s.add(f"goal #{goal}: {fld.replace('_', ' ')} recorded")
    if fld == "how_i_can_help" and not bare_answer(text):
        s.suggest.append((text, goal))


def _record_advice(store: Store, p: Plan, question: str, text: str, now: datetime,
                   s: Summary) -> None:
    """Kept as said (career, later digests); advice is suggested as an owe too."""
    store.add_note(text, now, p.digest.id, question)
    advice = is_advice(question, text, _advice_ids())
    s.add(f"career {'advice' if advice else 'answer'} noted")
    if advice:
        s.suggest.append((text, None))


def _advice_ids() -> frozenset[str]:
    from manageup.asking import advice_ids  # see _answered
    return advice_ids()


def _reviewed(store: Store, p: Plan, now: datetime, s: Summary) -> None:
    for text, goal in s.suggest:
        s.add(suggest_owe(store, text, now, _said(p, now), goal))
    store.mark_reviewed(p.digest.id, now)


def _said(p: Plan, now: datetime) -> date:
    """The day of the 1:1 under review, in the user's zone: when the boss said it."""
    return p.digest.start.astimezone(now.tzinfo).date()


def _record_about(store: Store, p: Plan, question: str, text: str, now: datetime,
                  s: Summary) -> None:
    """A get-to-know answer becomes an `about` item that names its question, so the
    digest never asks that question again. Known already (a review run again): kept once."""
    if any(i.text == text.strip() for i in store.items("about", include_closed=True)):
        return s.add("already known about them")
    fields = {"question": question} if question else {}
    s.add(f"about #{store.add_item('about', text, now, fields=fields)} recorded")


def _record_checkin(store: Store, p: Plan, question: str, text: str, now: datetime,
                    s: Summary) -> None:
    """Kept as a note naming its question: answered, it is not asked for a quarter."""
    store.add_note(text, now, p.digest.id, question)
    s.add("check-in answer noted")
