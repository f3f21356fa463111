"""What the digest knows, put to use (issue 26.4). Pure, but for `suggest_owe`, which
review calls to write one item.

- Advice the boss gave in a 1:1, and their answer on how the user's work can help one of
  their goals, are things to do: each becomes an owe that remembers the day it was said
  (`advised`), and the digests after ask whether it was done. Only advice: the answer to a
  career question that asks what to do (tagged `advice` in questions.toml), and more than
  a bare "yes", "no", "maybe" or "don't know". Other answers are kept as said, no owe.
- A goal's status reads the items linked to it (`--goal`) and what review recorded of
  them: one owed or needed and late at the 1:1 puts it at risk; a win noted, or one of them
  done, within the last four weeks keeps it on track; otherwise there is no news.
- What the user knows about the boss shapes the advice: one who wants bad news in writing
  first gets a new risk in writing before it is raised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Set
from datetime import date, datetime, timedelta
from typing import Protocol

from manageup.model import Item

RECENT = timedelta(days=28)  # news older than this says nothing about how a goal goes
STATUSES = ("at risk", "on track", "no news")  # in the order the digest lists them
WRITING = ("writ", "email", "mail")
NEWS = ("news", "bad", "surpris", "risk", "problem")
# Words that turn it around ("never reads email", "in person, not in writing"): such an
# item is not read as wanting news in writing, rather than read the wrong way.
AGAINST = re.compile(r"\b(?:not|never|don'?t|doesn'?t|won'?t|hates?|dislikes?|avoids?|"
                     r"person|face|phone|call|verbal(?:ly)?)\b", re.IGNORECASE)


def serves(item: Item, goal: Item) -> bool:
    return item.fields.get("goal") == str(goal.id)


def goal_status(goal: Item, items: Iterable[Item], now: datetime, day: date) -> str:
    """`day`: the 1:1's, at which lateness is judged (as everywhere in the digest)."""
    mine = [i for i in items if serves(i, goal)]
    if any(i.status == "open" and i.kind in ("owe", "need") and i.due and i.due < day
           for i in mine):
        return "at risk"
    since = now - RECENT
    if any((i.kind == "win" and i.status != "dropped" and i.created >= since) or
           (i.status == "done" and i.closed is not None and i.closed >= since)
           for i in mine):
        return "on track"
    return "no news"


# A bare answer: nothing to do in it. Matched against the whole answer, or each of its
# parts between punctuation ("No, not really."), never word by word, since "Don't do it"
# is made of such words and is advice.
BARE = re.compile(
    r"(?:i |we )?(?:yes|yeah|yep|yup|sure|ok|okay|fine|good|great|no|nope|nah|maybe|"
    r"perhaps|probably|possibly|probably not|not really|not sure|unsure|not yet|not now|"
    r"(?:do not|don't|dont) know|dunno|idk|no idea|nothing|none|n/?a|tbd|pass|hm+|um+|"
    r"thanks|thank you|later|definitely|absolutely|of course|it depends|depends|"
    r"we'll see|good question|(?:i'll|let me|i will) think about it|maybe later)"
    r"(?: (?:yet|really|for now|sorry|thanks))?")


def bare_answer(text: str) -> bool:
    """An answer with nothing to do in it: a bare yes, no, maybe or don't know, or filler."""
    parts = re.split(r"[^\w\s'/]+", text.casefold().replace("’", "'"))
    said = [" ".join(p.split()) for p in parts if p.strip()]
    return all(BARE.fullmatch(p) for p in said)


def is_advice(question: str, text: str, asks_advice: Set[str]) -> bool:
    """An answer is advice, a suggested owe, when its question asked what to do
    (`asks_advice`: those questions' ids) and it says more than a bare yes or no."""
    return question in asks_advice and not bare_answer(text)


def _stems(text: str, stems: tuple[str, ...]) -> bool:
    return any(w.startswith(stems) for w in re.findall(r"[^\W\d_]+", text.casefold()))


def news_in_writing(about: Iterable[Item]) -> str:
    """The open `about` item saying the boss wants bad news in writing first, or ""."""
    return next((i.text for i in about if i.status == "open" and _stems(i.text, WRITING)
                 and _stems(i.text, NEWS) and not AGAINST.search(i.text.replace("’", "'"))),
                "")


def advised_on(item: Item) -> date | None:
    try:
        return date.fromisoformat(item.fields.get("advised", ""))
    except ValueError:
        return None


class _Adds(Protocol):
    def add_item(self, kind: str, text: str, now: datetime, due: date | None = None,
                 fields: dict[str, str] | None = None) -> int: ...

    def items(self, kind: str | None = None, include_closed: bool = False) -> list[Item]: ...


def suggest_owe(store: _Adds, text: str, now: datetime, said: date,
                goal: int | None = None) -> str:
    """The boss's advice (or how the user's work can help their goal) as an owe, dated the
    day it was said: review's summary line for it. Once: a review run again suggests no
    second owe for the same words said that day (nor again one the user dropped)."""
    fields = {"advised": said.isoformat(), **({"goal": str(goal)} if goal else {})}
    same = next((o for o in store.items("owe", include_closed=True) if o.text == text.strip()
                 and o.fields.get("advised") == fields["advised"]), None)
    if same is not None:
        return f"owe #{same.id} already suggested from it"
    n = store.add_item("owe", text, now, fields=fields)
    return f"owe #{n} suggested from it (manageup drop {n} if you will not do it)"
