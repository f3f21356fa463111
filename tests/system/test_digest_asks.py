"""Issue 26.6 over the quarter of benchmarks/quarter.py (thirteen Tuesday 1:1s with Sam from
5 Jan 2027, a review after every one held): the questions fit the situation of each 1:1,
and none the boss answered is asked again within the quarter.
"""

from __future__ import annotations

from datetime import date, datetime
from itertools import pairwise

import pytest

from benchmarks.quarter import REVIEWS, played, weeks
from manageup.asking import question_banks
from manageup.config import parse_config
from manageup.store import Store
from tests.system.quarter_sim import Quarter


@pytest.fixture(scope="module")
def q(tmp_path_factory: pytest.TempPathFactory) -> Quarter:
    tmp = tmp_path_factory.mktemp("asks")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp / "cache"))
        yield played(tmp)


@pytest.fixture(scope="module")
def by_week(q: Quarter) -> dict[int, str]:
    return {w.number: " ".join(w.text.split()) for w in weeks(q) if w.text}


def texts(bank: str) -> set[str]:
    return {x.text for x in question_banks()[bank]}


def asks(text: str, bank: str) -> bool:
    return any(t in text for t in texts(bank))


def test_the_situation_chooses_the_questions(by_week: dict[int, str]) -> None:
    """W1 and W2, before two 1:1s with Sam were held: new-boss questions in place of
    getting to know them and the check-in. W8 (after W6 cancelled and W7 deleted) and W11
    (after W10 cancelled): the check-in catches up after the cancellation. Other weeks:
    the everyday check-in."""
    for week in (1, 2):
        w = by_week[week]
        know = w.split("Get to know them: ")[1]
        check = w.split("Check in: ")[1]
        assert asks(know, "new_boss") and asks(check, "new_boss"), week
        assert not asks(w, "get_to_know") and not asks(w, "checkin"), week
    for week in (8, 11):
        assert asks(by_week[week].split("Check in: ")[1], "after_cancel"), week
    for week in (3, 4, 5, 9, 12, 13):
        w = by_week[week]
        assert not asks(w, "after_cancel") and not asks(w, "new_boss"), week
        assert asks(w.split("Check in: ")[1], "checkin"), week


def test_no_answered_question_is_asked_again_within_the_quarter(q: Quarter) -> None:
    """Each answer a review recorded (a goal step, career advice, what was learned about
    Sam) answered the question its digest put; that question went out in no digest after
    it. The quarter (5 Jan to 30 Mar) is shorter than 91 days: never again in it."""
    store = Store.open(parse_config(q.config.read_text(), q.config).store.path)
    goals = store.items("goal", include_closed=True)
    answered: list[tuple[str, datetime]] = []
    for d in store.digests():
        if d.reviewed_at is None:
            continue
        flags = REVIEWS[(d.start.date() - date(2027, 1, 5)).days // 7]
        for flag, value in pairwise(flags):
            if flag == "--answer":
                (goal,) = [g.id for g in goals if g.text.startswith(value[1:])]
                (qid,) = [row[2] for row in d.shown["probes"] if row[0] == goal]
            elif flag in ("--advice", "--about"):
                qid = d.shown["career" if flag == "--advice" else "know"][0]
            else:
                continue
            answered.append((qid, d.reviewed_at))
    assert len(answered) == sum(f in ("--answer", "--advice", "--about")
                                for flags in REVIEWS.values() for f in flags)
    ids = [qid for qid, _when in answered]
    assert len(set(ids)) == len(ids), "a question answered twice"
    last_put = store.question_uses()
    for qid, when in answered:
        assert last_put[qid] < when, f"{qid}, answered {when:%d %b}, put again {last_put[qid]}"
