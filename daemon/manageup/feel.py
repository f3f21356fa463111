"""How the relationship feels (issue 26.5): after each 1:1, `review` asks the user for a
private rating, 1 (poor) to 5 (great), and what would make it better; the relationship
section trends the ratings beside attendance. Both are notes (question ids below), so
they are exported and imported with the rest and never shown to anyone but the user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Protocol

from manageup.errors import UsageError
from manageup.model import MAX_TEXT, Note

RATING = "feel-rating"
BETTER = "feel-better"
SHOW = 6  # the last few ratings, one per reviewed 1:1
ASK = "How does the relationship feel, 1 (poor) to 5 (great)? Only you see it. "


class _Notes(Protocol):
    def add_note(self, text: str, now: datetime, digest_id: int | None = None,
                 question_id: str = "") -> int: ...


def check(rating: int | None, better: str) -> None:
    if rating is not None and not 1 <= rating <= 5:
        raise UsageError(f"--rating {rating}: give a number from 1 (poor) to 5 (great)")
    if better and rating is None:
        raise UsageError("--better goes with --rating: rate the relationship 1 to 5 first")
    if len(better) > MAX_TEXT:  # a note longer is one the store's own checks refuse
        raise UsageError(f"--better: the text is {len(better)} characters long; keep it "
                         f"under {MAX_TEXT}")


def record(store: _Notes, digest_id: int, now: datetime, rating: int | None,
           better: str) -> list[str]:
    if rating is None:
        return []
    store.add_note(str(rating), now, digest_id, RATING)
    if better.strip():
        store.add_note(better, now, digest_id, BETTER)
    return [f"relationship rated {rating} of 5 (private)"]


def prompt(ask: Callable[[str], str], say: Callable[[str], None]) -> tuple[int | None, str]:
    """Asked until it is a number from 1 to 5 or skipped (Enter)."""
    say(f"\n{ASK}")
    while True:
        got = ask("  1-5 (Enter to skip): ").strip()
        if not got:
            return None, ""
        if got in ("1", "2", "3", "4", "5"):
            break
        say("  Please answer with a number from 1 to 5, or press Enter.")
    while len(better := ask("  What would make it better? (Enter to skip): ").strip()) \
            > MAX_TEXT:
        say(f"    That is {len(better)} characters; keep it under {MAX_TEXT}.")
    return int(got), better


SCALE = ("1", "2", "3", "4", "5")


def rated(notes: Iterable[Note]) -> list[tuple[Note, int]]:
    """Each rating note and its value, oldest first: one per 1:1, its last (`review` run
    again for the same 1:1 rates it again, not another one). Only 1 to 5 as review writes
    them: a store edited by hand or an import may hold "9" or "²" (a digit to isdigit(),
    not to int())."""
    last: dict[object, Note] = {}
    for n in sorted(notes, key=lambda n: n.created):
        if n.question_id == RATING and n.text in SCALE:
            last[n.digest_id if n.digest_id is not None else id(n)] = n
    return [(n, int(n.text)) for n in sorted(last.values(), key=lambda n: n.created)]


def ratings(notes: Iterable[Note]) -> tuple[tuple[int, ...], Note | None]:
    """The last ratings, oldest first, and what the user last said would make it better."""
    notes = list(notes)
    wish = max((n for n in notes if n.question_id == BETTER), key=lambda n: n.created,
               default=None)
    return tuple(v for _n, v in rated(notes)[-SHOW:]), wish


def direction(values: Sequence[int]) -> str:
    """The newest against the ones before it: "up", "down" or "steady"."""
    if len(values) < 2:
        return ""
    before = sum(values[:-1]) / (len(values) - 1)
    return "up" if values[-1] > before + 0.5 else "down" if values[-1] < before - 0.5 \
        else "steady"
