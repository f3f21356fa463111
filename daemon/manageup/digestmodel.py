"""The digest, as compose builds it and the templates show it (manageup.model names these
too)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from manageup.followup import is_advice
from manageup.model import PROBE_FIELDS, BossWeek, Item, Note
from manageup.novelty import Novelty, seen
from manageup.picture import Month


@dataclass(frozen=True)
class Question:
    """A question from a bank (questions.toml)."""

    id: str
    bank: str
    text: str
    topics: tuple[str, ...] = ()  # word stems an answer would use (manageup.knowing)
    stage: str = ""  # career questions: the stage of the talk they suit (manageup.asking)
    advice: bool = False  # it asks what to do: a real answer is a suggested owe


@dataclass(frozen=True)
class Meeting:
    """The 1:1 a digest is for."""

    title: str
    start: datetime
    end: datetime
    location: str
    link: str
    reason: str
    series: str  # UID, for mail threading
    key: str
    days_since_last: int | None
    moved_from: datetime | None = None  # the slot it was planned in, when it moved
    moved_by: str = ""  # the organiser who moved it: the boss's name, "you", or unknown
    agenda: str = ""  # a one-off's description: the agenda its organiser wrote
    organizer_name: str = ""  # the boss's name, "you", or "" when unknown
    caution: str = ""  # said first: e.g. an unanswered invitation from someone not the boss
    away: str = ""  # said first too: the user is out of office then (away.py)


@dataclass(frozen=True)
class Ask:
    """An open item to raise, with how long it has waited."""

    item: Item
    age_days: int
    carried: int  # 1:1s that took place with it on the digest (one-offs aside)
    overdue_days: int  # > 0 when already past due today: days late at the meeting
    stuck: bool
    # Due before the meeting but not yet past: a need to ask for today, in writing; an owe
    # to deliver today or to say first that it will be late.
    act_today: bool = False

    @property
    def advised(self) -> date | None:
        """The day the boss advised it, when it came from their advice: asked "done?"."""
        try:
            return date.fromisoformat(self.item.fields.get("advised", ""))
        except ValueError:
            return None

    @property
    def today_advice(self) -> str:
        return "deliver it today or say so first" if self.item.kind == "owe" else \
            "ask today, in writing"

    @property
    def stuck_advice(self) -> str:
        return "give it a date or drop it" if self.item.kind == "owe" else \
            "escalate or drop it"


@dataclass(frozen=True)
class GoalProbe:
    """A goal and its probes answered so far."""

    item: Item
    answered: tuple[tuple[str, str], ...]  # (label, answer)
    next_label: str  # empty when every probe is answered
    next_question: Question | None
    next_field: str = ""
    status: str = "no news"  # on track | at risk | no news (manageup.followup)


@dataclass(frozen=True)
class Risk:
    """A risk to raise and what is prepared of it."""

    item: Item
    parts: tuple[tuple[str, str], ...]  # (label, text) that are filled in
    missing: tuple[str, ...]  # labels still to prepare; none once the boss has heard it
    flagged: date | None = None  # when it was raised with the boss; it stays open
    kind: str = "ahead"  # ahead (it may happen) | incident (it happened)
    escalated: date | None = None  # when it was taken higher
    since: date | None = None  # the last review that said where it stands

    @property
    def escalation_news(self) -> bool:
        """The last word on it was that it was taken higher: ask what came of that."""
        return self.escalated is not None and self.escalated == self.since


@dataclass(frozen=True)
class CareerSection:
    """The digest's career part."""

    goals: tuple[Item, ...]
    question: Question | None
    strength: Question | None
    days_since: int | None  # since career last came up; None = never
    stale: bool
    talk_with: str
    mentor_name: str
    advice: tuple[Note, ...] = ()  # what the boss advised or said of careers, newest first
    owed: dict[str, int] = field(default_factory=dict)  # advice text: its open owe's id
    asks_advice: frozenset[str] = frozenset()  # the career questions that ask what to do

    def verb(self, n: Note) -> str:
        """Advice is told as advised; their path, or a bare "yes", as said: no owe either."""
        return "advised" if is_advice(n.question_id, n.text, self.asks_advice) else "said"


@dataclass(frozen=True)
class StripCell:
    """One past 1:1 in the strip of the last twelve."""

    start: datetime
    state: str  # held | moved | cancelled | declined | deleted
    by: str = ""  # who cancelled or moved it: the boss's name, "you", or unknown

    @property
    def letter(self) -> str:
        return {"held": "H", "moved": "M", "cancelled": "C", "declined": "D",
                "deleted": "X"}[self.state]

    @property
    def label(self) -> str:
        who = f" by {self.by}" if self.by and self.state != "held" else ""
        return f"{self.start:%a %d %b}: {self.state}{who}"


@dataclass(frozen=True)
class Relationship:
    """How regularly the 1:1s took place lately."""

    window_days: int
    held: int
    expected: int | None
    cancelled: int  # cancelled by someone (declined and deleted are counted apart)
    moved: int
    trend: str
    days_since_probe: int | None  # since a goal question last went out; None = never
    get_to_know: Question | None
    checkin: Question | None
    probe_answers: int = 0  # recorded answers to goal probes, dated or not
    series: int = 0  # recurring 1:1 series with the boss in the window
    one_offs: int = 0
    who: tuple[str, ...] = ()  # "1 cancelled by Sam", "1 moved by you", ...
    strip: tuple[StripCell, ...] = ()  # the last twelve, oldest first
    about: tuple[Item, ...] = ()  # what the user knows about the boss, newest first
    about_more: int = 0  # further about items not shown
    declined: int = 0  # declined by the user
    deleted: int = 0  # taken out of the series (EXDATE) or the calendar
    feel: tuple[int, ...] = ()  # the user's private 1-5 ratings, oldest first (feel.py)
    feel_trend: str = ""  # up | down | steady
    feel_better: Note | None = None  # what the user last said would make it better
    months: tuple[Month, ...] = ()  # the last six months, for the HTML part's picture


@dataclass(frozen=True)
class LeadPoint:
    """One of the few things to raise first, in the order to raise them."""

    kind: str  # tell (before they hear it elsewhere) | ask (help or a decision) | question
    text: str
    detail: str = ""
    item_id: int | None = None
    question_id: str = ""  # the question it asks, for a question


GAP_DAYS = 15  # more than two weeks between 1:1s is news, and changes what to lead with


@dataclass(frozen=True)
class SinceLast:
    """Since the last 1:1 that took place (manageup.since builds it)."""

    when: datetime  # the last 1:1 that took place
    days: int  # from it to this one
    answered: tuple[tuple[Item, str, str], ...] = ()  # goal, probe label, the answer
    advised: tuple[Note, ...] = ()  # career answers: advice, or what else they said
    said: tuple[Note, ...] = ()  # their answer to the check-in question
    learned: tuple[Item, ...] = ()  # about the boss as a person
    agreed: tuple[Item, ...] = ()  # needs and owes that came out of it
    done: tuple[Item, ...] = ()  # done, or raised (wins and topics)
    dropped: tuple[Item, ...] = ()
    added: tuple[Item, ...] = ()  # other items noted since
    changed: tuple[tuple[Item, str], ...] = ()  # item, what changed
    calendar: tuple[str, ...] = ()
    lost: tuple[tuple[datetime, str, str], ...] = ()  # slots that did not happen, and whose
    reviewed: bool = False  # the user ran `manageup review` on it

    @property
    def gap(self) -> bool:
        return self.days >= GAP_DAYS

    @property
    def empty(self) -> bool:
        return not (self.answered or self.advised or self.said or self.learned or self.agreed
                    or self.done or self.dropped or self.added or self.changed or self.calendar)


@dataclass(frozen=True)
class Digest:
    """Everything one digest shows, ready to render."""

    meeting: Meeting
    me_name: str
    boss_name: str
    generated: datetime
    needs: tuple[Ask, ...]
    need_ideas: tuple[Question, ...]
    owes: tuple[Ask, ...]
    goals: tuple[GoalProbe, ...]
    learn_goals: tuple[Question, ...]
    risks: tuple[Risk, ...]
    overdue: tuple[Ask, ...]
    career: CareerSection
    relationship: Relationship
    wins: tuple[Item, ...]
    topics: tuple[Item, ...]
    boss_week: BossWeek | None = None
    wins_more: int = 0  # older open wins not shown
    topics_more: int = 0
    held_back: int = 0  # wins and topics meant for a later 1:1 (dated after this one)
    lead: tuple[LeadPoint, ...] = ()
    packed: bool = False  # the boss's week has no room: the lead is kept to two
    since: SinceLast | None = None  # since the last 1:1 that took place; None: none did
    # Against the last digest: what is new, and what folds.
    novelty: Novelty = field(default_factory=Novelty)

    @property
    def items(self) -> list[Item]:
        """Every item the digest shows, each once."""
        shown = [a.item for a in (*self.needs, *self.owes)]
        shown += [g.item for g in self.goals] + [r.item for r in self.risks]
        shown += [*self.career.goals, *self.wins, *self.topics, *self.relationship.about]
        return list({i.id: i for i in shown}.values())

    def lead_place(self, item_id: int | None = None, question: str = "") -> int:
        """Where the Lead holds this item or question (1 to 3), 0 when it does not. The
        Lead says a thing in full; a section that holds it too only points there, so
        nothing is said three times."""
        for n, p in enumerate(self.lead, 1):
            if (question and p.question_id == question) or \
                    (item_id is not None and p.item_id == item_id and p.kind != "question"):
                return n
        return 0

    def detail(self, g: GoalProbe) -> tuple[tuple[str, str], ...]:
        """A goal's answers to show in the text part: all of a goal new to the reader; of
        one seen before, only the answers new since; none of one unchanged (it folds to
        its one line)."""
        nov = self.novelty
        if not nov.known or nov.mark(g.item) == "new":
            return g.answered
        fields = [f for f in PROBE_FIELDS if g.item.fields.get(f)]
        fresh = nov.fresh(g.item)
        return tuple(a for f, a in zip(fields, g.answered, strict=False) if f in fresh)

    @property
    def advice_asked(self) -> tuple[Ask, ...]:
        """Owes made of the boss's advice, asked about before and unchanged, undated: the
        text part names them by number on one line (and career keeps the advice)."""
        return tuple(a for a in self.owes if a.advised and a.item.due is None
                     and self.novelty.folds(a.item) and not self.lead_place(a.item.id))

    @property
    def advice_unsaid(self) -> str:
        """Of those, the ones Career does not show (an answer on how the user's work can
        help a goal), in words for their one line: else each would be a bare number."""
        shown = set(self.career.owed.values())
        return "; ".join(f"#{a.item.id}: {a.item.text}" for a in self.advice_asked
                         if a.item.id not in shown)

    def told(self, a: Ask) -> bool:
        """An owe made of an answer the Since block just gave: said there, not again."""
        return bool(a.advised) and self.novelty.mark(a.item) == "new" and \
            self.since is not None and any(t == a.item.text for _g, _l, t in self.since.answered)

    def owe_of_advice(self, text: str) -> int:
        """The open owe career asks about under this advice ("Done?"), or 0: one asked
        about before and unchanged is named with the owes, on their one line."""
        owe = self.career.owed.get(text, 0)
        return 0 if owe in {a.item.id for a in self.advice_asked} else owe

    def in_career(self, a: Ask) -> bool:
        return any(self.owe_of_advice(n.text) == a.item.id for n in self.career.advice)

    @property
    def gap_note(self) -> str:
        """After a long gap, the Lead opens with what little time together asks for."""
        if self.since is None or not self.since.gap:
            return ""
        return f"{self.since.days} days since your last 1:1: lead with the decision you need."

    @property
    def heard(self) -> tuple[Risk, ...]:
        """Risks the boss has heard, seen before as they are, each wanting the same update
        (where it stands since the day it was flagged): two or more, and the text part says
        that once above them, each on its one line."""
        out = tuple(r for r in self.risks if r.flagged and r.escalated is None
                    and r.since == r.flagged and self.novelty.folds(r.item)
                    and not self.lead_place(r.item.id))
        return out if len(out) > 1 else ()

    @property
    def trend_told(self) -> bool:
        """The sentence on the last few 1:1s is the one the last digest said, and the last
        1:1 took place: nothing new to tell (the strip and the count still show it). After
        one that did not take place it is said again, unchanged or not."""
        r = self.relationship
        return self.novelty.known and bool(r.trend) and r.trend == self.novelty.trend and \
            bool(r.strip) and r.strip[-1].state in ("held", "moved")

    @property
    def review_hint(self) -> bool:
        """"After the meeting: manageup review": said until the user has reviewed the last
        1:1 that took place (they know the command and read the line every week), and
        again after one that went unreviewed."""
        return self.since is None or not self.since.reviewed

    def folds(self, items: Sequence[Item]) -> bool:
        """Every one of these seen before as it is: the list collapses to one line."""
        return all(self.novelty.folds(i) for i in items)

    @property
    def item_ids(self) -> list[int]:
        return [i.id for i in self.items]

    def shown(self) -> dict[str, Any]:
        """What `review` needs to walk through this digest after the meeting."""
        return {
            "asks": [a.item.id for a in (*self.needs, *self.owes)],
            "risks": [r.item.id for r in self.risks],
            "probes": [[g.item.id, g.next_field, g.next_question.id, g.next_question.text]
                       for g in self.goals if g.next_question],
            "career": [self.career.question.id, self.career.question.text]
            if self.career.question else None,
            "know": [self.relationship.get_to_know.id, self.relationship.get_to_know.text]
            if self.relationship.get_to_know else None,
            "checkin": [self.relationship.checkin.id, self.relationship.checkin.text]
            if self.relationship.checkin else None,
            "raise": [i.id for i in (*self.wins, *self.topics)],
            "items": self.item_ids,
            "seen": seen(self.items),
            "reason": self.meeting.reason,
            "trend": self.relationship.trend,
            "end": self.meeting.end.isoformat(),
        }

    @property
    def question_ids(self) -> list[str]:
        qs = [*self.need_ideas, *self.learn_goals,
              *(g.next_question for g in self.goals if g.next_question),
              self.career.question, self.career.strength,
              self.relationship.get_to_know, self.relationship.checkin]
        return [q.id for q in qs if q is not None]
