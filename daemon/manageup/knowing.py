"""Which get-to-know questions the user can already answer from what they know about the
boss (the `about` items), so the digest does not ask them again.

An `about` item answers a question when it names it (`add about ... --answers ID`, or the
answer recorded in `review`), or when it clearly speaks to its topic: its words start with
at least two of the question's topic stems ("Wants bad news in writing first" has "news"
and "writ", two of the stems of "How do you prefer to get news from me..."). One shared
word is not enough: "Values a quiet office" says nothing about how they like to get news.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from manageup.digestmodel import Question
from manageup.model import Item

CLEARLY = 2  # distinct topic stems an item must share with a question to answer it


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", text.casefold())


def speaks_to(text: str, question: Question) -> bool:
    words = _words(text)
    hits = {stem for stem in question.topics if any(w.startswith(stem) for w in words)}
    return len(hits) >= CLEARLY


def known_questions(about: Iterable[Item], questions: Sequence[Question]) -> set[str]:
    """Ids of the questions some `about` item names or clearly answers."""
    known: set[str] = set()
    for item in about:
        known.add(item.fields.get("question", ""))
        known.update(q.id for q in questions if speaks_to(item.text, q))
    return known - {""}
