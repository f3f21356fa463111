"""Lead with: the few things to raise first, in the order to raise them.

First what the boss must not hear from someone else (a commitment gone overdue, a risk
not yet flagged), then the help or decision the user needs soonest, then the one question
worth the time. Pure: built from the sections compose already worked out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from manageup.digestmodel import Ask, CareerSection, GoalProbe, LeadPoint, Question, Risk

MOST = 3
PACKED = 2
SOON = timedelta(days=14)  # a need due within this is "needed soonest"


def _tell(owes: Sequence[Ask], risks: Sequence[Risk], boss: str,
          in_writing: str = "") -> list[LeadPoint]:
    """in_writing: what the user knows of a boss who wants bad news in writing first."""
    points = [LeadPoint("tell", f"Say it first: {a.item.text}",
                        f"{_days(a.overdue_days)} late at the 1:1; give the new date",
                        a.item.id)
              for a in owes if a.overdue_days > 0]
    points += [LeadPoint("tell", f"Deliver it today or say so first: {a.item.text}",
                         f"due {a.item.due:%a %d %b}, before the 1:1", a.item.id)
               for a in owes if a.act_today and a.item.due]
    for r in risks:
        if r.flagged:
            continue  # already raised; section 4 keeps it for follow-up
        detail = ("prepare " + "; ".join(r.missing)) if r.missing else \
            "you have the facts, the fix and the plan ready"
        if in_writing:  # after the prep, which is needed either way
            detail += f". Send it in writing today, then raise it (you know: {in_writing})"
        points.append(LeadPoint("tell", f"Before {boss} hears it elsewhere: {r.item.text}",
                                detail, r.item.id))
    return points


def _need(a: Ask, day: date) -> LeadPoint:
    """A need due before the meeting cannot wait for it: asked today, in writing."""
    due = a.item.due or day
    if a.act_today:
        return LeadPoint("ask", f"Ask today, in writing: {a.item.text}",
                         f"needed by {due:%a %d %b}, before the 1:1", a.item.id)
    if due < day:
        return LeadPoint("ask", f"Ask today, in writing: {a.item.text}",
                         f"it was needed by {due:%a %d %b}", a.item.id)
    return LeadPoint("ask", f"Ask for: {a.item.text}", f"needed by {due:%a %d %b}",
                     a.item.id)


def _ask(needs: Sequence[Ask], day: date) -> list[LeadPoint]:
    """`day`: the meeting's, at which every date is judged."""
    dated = sorted((a for a in needs if a.item.due and a.item.due - day <= SOON),
                   key=lambda a: (a.item.due or day, a.item.id))
    points = [_need(a, day) for a in dated]
    points += [LeadPoint("ask", f"Ask again or escalate: {a.item.text}",
                         f"carried through {a.carried} 1:1s", a.item.id)
               for a in needs if a.stuck and a not in dated]
    return points


def _question(goals: Sequence[GoalProbe], learn: Sequence[Question],
              career: CareerSection) -> list[LeadPoint]:
    if career.stale and career.question is not None:
        quiet = "career has not come up yet" if career.days_since is None else \
            f"career has not come up for {career.days_since} days"
        return [LeadPoint("question", f"Ask: {career.question.text}", quiet,
                          question_id=career.question.id)]
    probe = next((g for g in goals if g.next_question is not None), None)
    if probe is not None and probe.next_question is not None:
        return [LeadPoint("question", f"Ask: {probe.next_question.text}",
                          f"goes deeper on their goal \"{probe.item.text}\" "
                          f"({probe.next_label})",
                          probe.item.id, probe.next_question.id)]
    if learn:
        return [LeadPoint("question", f"Ask: {learn[0].text}", "no goal of theirs on record",
                          question_id=learn[0].id)]
    if career.question is not None:  # every goal probed: the career question is next best
        return [LeadPoint("question", f"Ask: {career.question.text}", "for your own career",
                          question_id=career.question.id)]
    return []


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def lead_with(owes: Sequence[Ask], risks: Sequence[Risk], needs: Sequence[Ask],
              goals: Sequence[GoalProbe], learn: Sequence[Question], career: CareerSection,
              boss: str, day: date, packed: bool, in_writing: str = "") \
        -> tuple[LeadPoint, ...]:
    """`day`: the meeting's; dates are judged at the meeting, not when the digest goes out."""
    tell, ask, question = _tell(owes, risks, boss, in_writing), _ask(needs, day), \
        _question(goals, learn, career)
    points = tell[:1] + ask[:1] + question[:1]
    # A second thing to own up to outranks nothing else; it only fills an empty place.
    points[1:1] = tell[1:1 + MOST - len(points)]
    return tuple(points[:PACKED if packed else MOST])
