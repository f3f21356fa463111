"""How a title is read for detection: configured patterns and people's names, each matched
as a whole token. detect, explain, the digest's wording and the fast path's closer look all
ask here, so a title never counts in one place and not in another."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=512)
def _pattern(p: str) -> re.Pattern[str]:
    # "1:1" must not match inside "21:15"; a pattern is a whole token, not a substring.
    return re.compile(rf"(?<![\w:]){re.escape(p)}(?![\w:])", re.IGNORECASE)


@lru_cache(maxsize=512)
def _name(n: str) -> re.Pattern[str]:
    # A whole word, but a colon may follow or precede it: "Sam: 1:1" names Sam.
    return re.compile(rf"(?<!\w){re.escape(n)}(?!\w)", re.IGNORECASE)


def pattern_in(title: str, patterns: Iterable[str]) -> str | None:
    """The first of `patterns` the title holds, or None."""
    return next((p for p in patterns if p and _pattern(p).search(title)), None)


def name_in(title: str, names: Iterable[str]) -> str | None:
    """The first of `names` the title holds as a whole word, or None."""
    return next((n for n in names if n and _name(n).search(title)), None)
