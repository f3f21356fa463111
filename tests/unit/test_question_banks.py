"""The question banks (issue 26.6): at least 150 questions, grouped by situation, each
once, each in our own words. The managing-up articles the questions are drawn from are
not in the repository; tests/fixtures/seeds/shingles.txt keeps a hash of every run of
eight words in them, so a question that copies one is caught without the text itself.

    .venv/bin/python -m tests.unit.test_question_banks /work/shared/seeds \
        > tests/fixtures/seeds/shingles.txt
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

from manageup.asking import CAREER_STAGES, SITUATION_BANKS, question_banks

SHINGLES = Path(__file__).parent.parent / "fixtures" / "seeds" / "shingles.txt"
RUN = 8  # words in a row a question may not share with an article
AT_LEAST = 150


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower().replace("\u2019", "'"))


def runs(text: str) -> set[str]:
    """Hashes of every run of RUN words: what the fixture keeps, in place of the text."""
    w = _words(text)
    return {hashlib.sha256(" ".join(w[i:i + RUN]).encode()).hexdigest()[:16]
            for i in range(len(w) - RUN + 1)}


def test_runs_see_a_copied_sentence() -> None:
    """The check itself: a question that lifts eight words of an article is caught,
    whatever their case and punctuation; seven words are not a copy."""
    article = "Don\u2019t wait for the occasion of your performance review to discuss it."
    assert runs("don't WAIT for the occasion of your performance review?") & runs(article)
    assert not runs("For the occasion of your performance review?") & runs(article)


def test_at_least_150_questions_each_once() -> None:
    every = [q for bank in question_banks().values() for q in bank]
    assert len(every) >= AT_LEAST
    assert len({q.id for q in every}) == len(every)
    texts = [" ".join(_words(q.text)) for q in every]
    assert len(set(texts)) == len(texts), "the same question twice"


def test_every_situation_has_its_bank() -> None:
    banks = question_banks()
    for name in SITUATION_BANKS:
        assert len(banks[name]) >= 10, name
    for step in ("why_it_matters", "what_gets_in_the_way", "what_it_costs", "how_i_can_help"):
        assert len(banks[f"probe.{step}"]) >= 12, step
    for stage in CAREER_STAGES:
        assert len([q for q in banks["career"] if q.stage == stage]) >= 5, stage
    assert {q.stage for q in banks["career"]} == set(CAREER_STAGES)


def test_no_question_copies_the_articles() -> None:
    seeds = set(SHINGLES.read_text().split())
    assert len(seeds) > 2000  # the five articles, about 3,000 words
    copied = [q.id for bank in question_banks().values() for q in bank if runs(q.text) & seeds]
    assert copied == []


if __name__ == "__main__":
    found: set[str] = set()
    for path in sorted(Path(sys.argv[1]).iterdir()):
        found |= runs(path.read_text(encoding="utf-8"))
    print("\n".join(sorted(found)))
