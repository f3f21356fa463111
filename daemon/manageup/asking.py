"""The question engine (issue 26.6): the banks of questions.toml, the situation a 1:1 is
in, and which question each place of the digest puts. Pure: no clock, no store.

A situation takes the place of an everyday question, never adds one:
- the check-in becomes `after_cancel` when the last 1:1 before this one was called off
  (cancelled, declined or deleted): catching up, and keeping the slot alive;
- get to know them, and the check-in when no cancellation needs it, become `new_boss`
  while fewer than NEW_BOSS_HELD 1:1s have been held and the first of them is recent (a
  boss of years has older ones in the calendar);
- the career question becomes `review_cycle` in the REVIEW_AHEAD days before a date of
  `career.review_dates`; otherwise it comes from the career questions of the talk's stage.

A question the boss answered is not put again for a QUARTER (career advice and what is
known about them as a person: never again). One put and not answered rests for
`digest.question_cooldown` digests, then may come back.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from manageup.digestmodel import Question
from manageup.model import HistoryEntry, Snapshot
from manageup.relationship import HELD, LOST, state

QUARTER = timedelta(days=91)
NEW_BOSS_HELD = 2  # 1:1s held before the relationship is no longer new: the first two
NEW_BOSS_DAYS = timedelta(days=42)  # ... or since the first 1:1 on record
REVIEW_AHEAD = timedelta(days=42)  # six weeks: time to act on what the answer says
SITUATION_BANKS = ("new_boss", "after_cancel", "review_cycle")
CAREER_STAGES = ("open", "goals", "progress")
ADVICE_FOR_PROGRESS = 2  # pieces of career advice on record: time to follow them through


@cache
def question_banks() -> dict[str, tuple[Question, ...]]:
    # Beside this module, where the wheel puts it (importlib.resources would cost more to
    # load than the file takes to read).
    raw = tomllib.loads((Path(__file__).parent / "questions.toml").read_text("utf-8"))
    banks: dict[str, tuple[Question, ...]] = {}

    def add(name: str, rows: list[dict[str, Any]]) -> None:
        banks[name] = tuple(Question(r["id"], name, r["text"], tuple(r.get("topics", ())),
                                     r.get("stage", ""), r.get("advice", False) is True)
                            for r in rows)

    for name, value in raw.items():
        if isinstance(value, dict):
            for sub, rows in value.items():
                add(f"{name}.{sub}", rows)
        else:
            add(name, value)
    return banks


def bank_ids(*names: str) -> frozenset[str]:
    return frozenset(q.id for n in names for q in question_banks().get(n, ()))


def career_ids() -> frozenset[str]:
    """Questions whose answer is career advice: kept as notes, shown in Career."""
    return bank_ids("career", "review_cycle")


def advice_ids() -> frozenset[str]:
    """Career questions that ask what to do: a real answer to one is advice, and a
    suggested owe (manageup.followup.is_advice)."""
    return frozenset(q.id for n in ("career", "review_cycle") for q in question_banks()[n]
                     if q.advice)


def person_questions() -> tuple[Question, ...]:
    """Questions whose answer says who the boss is: recorded as `about` items."""
    return (*question_banks().get("get_to_know", ()), *question_banks().get("new_boss", ()))


def person_ids() -> frozenset[str]:
    return frozenset(q.id for q in person_questions())


def career_stage(career_goals: int, advice: int) -> str:
    """How far the career talk has come, from what is on record: `open` (nothing yet:
    learn their path, open the topic), `goals` (the user has written career goals down:
    ask how to reach them), `progress` (advice given: follow it through)."""
    if advice >= ADVICE_FOR_PROGRESS:
        return "progress"
    return "goals" if career_goals or advice else "open"


@dataclass(frozen=True)
class Situation:
    """What decides which questions a digest asks."""

    new_boss: bool = False
    after_cancel: bool = False
    review_on: date | None = None  # the performance review coming up, when it is near
    career_stage: str = "open"

    def banks(self, place: str) -> tuple[str, ...]:
        """The banks a place draws on, first choice first: the everyday bank last, for
        when the situation's questions are all used up."""
        new = ("new_boss",) if self.new_boss else ()
        special = {"checkin": ("after_cancel",) if self.after_cancel else new,
                   "get_to_know": new,
                   "career": ("review_cycle",) if self.review_on else ()}.get(place, ())
        return (*special, place)


def situation(history: Sequence[HistoryEntry], start: datetime, now: datetime,
              review_dates: Iterable[date], career_goals: int, advice: int) -> Situation:
    """The situation of the 1:1 at `start`, its digest written at `now`."""
    past = sorted((h for h in history if h.start < now and h.start < start),
                  key=lambda h: h.start)
    held = [h for h in past if h.status in HELD]
    new = len(held) < NEW_BOSS_HELD and (not past or now - past[0].start <= NEW_BOSS_DAYS)
    day = start.date()
    review = min((d for d in review_dates if day <= d <= day + REVIEW_AHEAD), default=None)
    # A slot the store kept as planned and the series no longer has was deleted (state).
    return Situation(new_boss=new, after_cancel=bool(past) and state(past[-1], now) in LOST,
                     review_on=review, career_stage=career_stage(career_goals, advice))


def answered(snapshot: Snapshot) -> dict[str, datetime]:
    """When each question was last answered: a note review kept for it (career advice),
    an `about` item naming it, or a goal's step filled in after the last digest that put
    a question on that step of that goal."""
    out: dict[str, datetime] = {}

    def add(qid: str, when: datetime) -> None:
        if qid and (qid not in out or when > out[qid]):
            out[qid] = when

    for n in snapshot.notes:
        add(n.question_id, n.created)
    goals = {i.id: i for i in snapshot.items if i.kind == "goal"}
    for i in snapshot.items:
        if i.kind == "about":
            add(i.fields.get("question", ""), i.created)
    last_put: dict[tuple[int, str], tuple[str, datetime]] = {}
    for d in sorted(snapshot.digests, key=lambda d: d.start):
        for row in d.shown.get("probes", []):
            try:
                last_put[(int(row[0]), str(row[1]))] = (str(row[2]), d.reviewed_at or d.start)
            except (TypeError, ValueError, IndexError):
                continue  # a record from an older version, or hand-edited
    for (goal, fld), (qid, when) in last_put.items():
        if goal in goals and goals[goal].fields.get(fld):
            add(qid, when)
    return out


class Picker:
    """Chooses questions: none answered in the last quarter, none twice in one digest, and
    those not put in the last few digests first."""

    def __init__(self, snapshot: Snapshot, cooldown: int, now: datetime) -> None:
        self.uses = snapshot.question_uses
        sent = snapshot.digests_sent
        self.rest_since = sent[-cooldown] if cooldown and len(sent) >= cooldown else \
            (sent[0] if sent and cooldown else None)  # 0: no rest at all
        self.answered = frozenset(q for q, when in answered(snapshot).items()
                                  if when > now - QUARTER)
        self.taken: set[str] = set()

    def resting(self, q: Question) -> bool:
        used = self.uses.get(q.id)
        return used is not None and self.rest_since is not None and used >= self.rest_since

    def pick(self, bank: str, count: int = 1, known: Set[str] = frozenset(),
             stage: str = "") -> list[Question]:
        """known: questions never to ask again. stage: of the bank's questions, those of
        this stage, while any is left."""
        pool = [q for q in question_banks().get(bank, ())
                if q.id not in self.taken and q.id not in known and q.id not in self.answered]
        if any(q.stage == stage for q in pool):
            pool = [q for q in pool if q.stage == stage]
        # Never used first (in bank order), then least recently used; resting ones last.
        pool.sort(key=lambda q: (self.resting(q),
                                 self.uses[q.id].isoformat() if q.id in self.uses else ""))
        chosen = pool[:count]
        self.taken.update(q.id for q in chosen)
        return chosen

    def one(self, bank: str, known: Set[str] = frozenset(), stage: str = "") -> Question | None:
        got = self.pick(bank, 1, known, stage)
        return got[0] if got else None

    def first(self, banks: Sequence[str], known: Set[str] = frozenset(),
              stage: str = "") -> Question | None:
        """From the first of these banks that has a question left."""
        return next((q for b in banks if (q := self.one(b, known, stage))), None)

    def shared(self, bank: str) -> Question | None:
        """A question for a goal when every one of its step is taken by another goal:
        the same question twice beats a goal left without one (one answered, never)."""
        return self.one(bank) or next((q for q in question_banks().get(bank, ())
                                       if q.id not in self.answered), None)
