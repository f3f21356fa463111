"""How a title is read for detection: configured patterns and people's names, each matched
where it stands between non-word characters. detect, explain, the digest's wording and the
fast path's closer look all ask here, so a title never counts in one place and not in
another."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache


def normal(text: str) -> str:
    """`text` as titles are compared: compatibility forms as their plain ones (NFKC:
    full-width "１：１" is "1:1", a no-break space a space), casefolded, and the Turkish
    "ı" and "İ" (casefold: "i" and a combining dot) as "i", so "IŞIK" names Işık. The
    fast path folds with this very function, so it never loses what detection finds."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return folded.replace("i\u0307", "i").replace("\u0131", "i")


def _edge(c: str) -> bool:
    return c.isalnum() or c == "_"  # what re's \w is for one character


@lru_cache(maxsize=512)
def _pattern(p: str) -> re.Pattern[str]:
    # Bounded only where the pattern's own edge is a word character: "1:1" is not in
    # "21:15" nor "1:10", yet is in "1:1: plan" and "Re:1:1"; a pattern ending in ":"
    # needs nothing after it.
    p = normal(p)
    if not p:
        return re.compile("(?!)")  # nothing: an empty pattern is no pattern
    head = r"(?<!\w)" if _edge(p[0]) else ""
    tail = r"(?!\w)" if _edge(p[-1]) else ""
    return re.compile(head + re.escape(p) + tail)


def pattern_in(title: str, patterns: Iterable[str]) -> str | None:
    """The first of `patterns` the title holds, or None."""
    text = normal(title)
    return next((p for p in patterns if p.strip() and _pattern(p).search(text)), None)


def name_in(title: str, names: Iterable[str]) -> str | None:
    """The first of `names` the title holds as a whole word, or None ("Sam: 1:1" names
    Sam)."""
    return pattern_in(title, names)
