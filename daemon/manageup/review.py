"""After a 1:1: walk through what its digest raised and record what happened.

Every answer is written at once in its own transaction, so Ctrl-C keeps what was said.
Input and output are passed in; the CLI gives the terminal, tests give a pty or flags.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from manageup.errors import UsageError
from manageup.model import KINDS, Item
from manageup.store import DigestRecord, Store

Prompt = Callable[[str], str]  # asks the user one question, returns the answer
Say = Callable[[str], None]


@dataclass
class Plan:
    digest: DigestRecord
    asks: list[Item]
    probes: list[tuple[Item, str, str, str]]  # goal, field, question id, question text
    career: tuple[str, str] | None
    risks: list[Item]


@dataclass
class Summary:
    changed: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.changed.append(line)


def pick(store: Store, which: str, now: datetime) -> DigestRecord:
    if which != "last":
        try:
            return store.digest(int(which))
        except ValueError:
            raise UsageError(f"--meeting {which!r}: use last or a digest id") from None
    held = [d for d in store.digests() if d.start <= now]
    if not held:
        raise UsageError("no 1:1 with a sent digest has started yet; nothing to review")
    return held[-1]


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
        if goals and not goals[0].fields.get(fld):
            probes.append((goals[0], fld, qid, text))
    career = shown.get("career")
    return Plan(rec, open_items(shown.get("asks", [])), probes,
                (career[0], career[1]) if career else None, open_items(shown.get("risks", [])))


def interactive(store: Store, p: Plan, now: datetime, ask: Prompt, say: Say) -> Summary:
    s = Summary()
    say(f"Review of {p.digest.title}, {p.digest.start:%a %d %b %H:%M}. "
        "Press Enter to skip a question, Ctrl-C to stop (answers so far are kept).")
    if p.asks:
        say("\nOpen asks:")
    for item in p.asks:
        while True:
            a = ask(f"  #{item.id} {item.kind}: {item.text}\n    [d]one, still [o]pen, "
                    "d[r]op, Enter to skip: ").strip().lower()
            if a in ("", "s", "o"):
                break
            if a in ("d", "r"):
                status = "done" if a == "d" else "dropped"
                store.set_status(item.id, status, now)
                s.add(f"#{item.id} {status}")
                break
            say("    Please answer d, o, r or press Enter.")
    for goal, fld, _qid, text in p.probes:
        a = ask(f"\nGoal #{goal.id}: {goal.text}\n  You were to ask: {text}\n"
                "  Their answer (Enter to skip): ").strip()
        if a:
            store.update_item(goal.id, fields={fld: a})
            s.add(f"goal #{goal.id}: {fld.replace('_', ' ')} recorded")
    if p.career:
        qid, text = p.career
        a = ask(f"\nCareer question: {text}\n  Their advice (Enter to skip): ").strip()
        if a:
            store.add_note(a, now, p.digest.id, qid)
            s.add("career advice noted")
    for risk in p.risks:
        a = ask(f"\nRisk #{risk.id}: {risk.text}\n  Did you flag it? [y/n, Enter to skip]: ")
        if a.strip().lower().startswith("y"):
            store.set_status(risk.id, "done", now)
            s.add(f"risk #{risk.id} flagged")
    say("\nAnything new? Type KIND TEXT (kinds: " + ", ".join(KINDS) + "); Enter to finish.")
    while True:
        line = ask("  new: ").strip()
        if not line:
            break
        kind, _, text = line.partition(" ")
        try:
            item_id = store.add_item(kind.lower(), text, now)
        except UsageError as e:
            say(f"    {e}")
            continue
        s.add(f"added {kind.lower()} #{item_id}")
    store.mark_reviewed(p.digest.id, now)
    return s


def apply_flags(store: Store, p: Plan, now: datetime, *, done: Sequence[int] = (),
                drop: Sequence[int] = (), answers: Sequence[tuple[str, str]] = (),
                advice: str = "", flagged: Sequence[int] = (),
                add: Sequence[tuple[str, str]] = ()) -> Summary:
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
        parsed_answers.append((gid, text))
    from manageup.store import check_item

    for kind, text in add:
        check_item(kind, text, {})
    for item_id in (*done, *drop, *flagged):
        store.get_item(item_id)
    if advice and not p.career:
        raise UsageError("--advice: that digest asked no career question")
    for item_id in done:
        store.set_status(item_id, "done", now)
        s.add(f"#{item_id} done")
    for item_id in drop:
        store.set_status(item_id, "dropped", now)
        s.add(f"#{item_id} dropped")
    for gid, text in parsed_answers:
        store.update_item(gid, fields={probe_for[gid]: text})
        s.add(f"goal #{gid}: {probe_for[gid].replace('_', ' ')} recorded")
    if advice and p.career:
        store.add_note(advice, now, p.digest.id, p.career[0])
        s.add("career advice noted")
    for item_id in flagged:
        store.set_status(item_id, "done", now)
        s.add(f"risk #{item_id} flagged")
    for kind, text in add:
        s.add(f"added {kind} #{store.add_item(kind, text, now)}")
    store.mark_reviewed(p.digest.id, now)
    return s
