"""Counts in words: "1 note", "2 notes", "3 1:1s", never "1 note(s)"."""

from __future__ import annotations

# The nouns whose plural is not the noun plus "s".
_IRREGULAR = {"entry": "entries", "person": "people", "was": "were", "is": "are",
              "has": "have", "match": "matches", "address": "addresses"}


def plural(count: int, noun: str, many: str = "") -> str:
    """`count` and the noun in the number it takes."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {many or _IRREGULAR.get(noun, noun + 's')}"
