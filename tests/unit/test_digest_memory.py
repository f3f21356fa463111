"""What the digest remembers: the boss as a person, career advice, wins and topics
(issue 16.3, 16.4, 16.5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from manageup.compose import compose, question_banks
from manageup.detect import detect
from manageup.history import history_of
from manageup.model import KINDS
from manageup.render import render
from manageup.review import apply_flags, plan
from manageup.sources.ics import parse_occurrences
from manageup.store import Store, markdown
from tests.conftest import ICS, at

NOW = at("2026-12-02T17:00+01:00")


def _setup(make_config, extra: str = ""):
    _p, cfg = make_config(ICS / "weekly_moved_cancelled_exdate.ics", extra)
    occs = parse_occurrences((ICS / "weekly_moved_cancelled_exdate.ics").read_bytes(),
                             NOW - timedelta(days=90), NOW + timedelta(days=14),
                             cfg.zone).occurrences
    match = next(m for m in detect(occs, cfg) if m.occurrence.start > NOW)
    return cfg, Store.open(cfg.store.path), match, history_of(occs, cfg)


def _send(store: Store, d, when) -> None:
    """What the cycle records when a digest goes out."""
    store.record_sent_digest(d.meeting.key, d.item_ids, d.question_ids, when,
                             start=d.meeting.start, title=d.meeting.title, shown=d.shown())
    store.ledger_set(d.meeting.key, d.meeting.start, "sent", "<x>", when, when)


def test_about_items_show_in_the_relationship_section(make_config) -> None:
    assert "about" in KINDS
    cfg, store, match, history = _setup(make_config)
    store.add_item("about", "Ran a restaurant before joining; likes news in writing first",
                   NOW - timedelta(days=3))
    d = compose(store.snapshot(), match, history, NOW, cfg)
    assert [i.text for i in d.relationship.about] == [
        "Ran a restaurant before joining; likes news in writing first"]
    r = render(d)
    six = r.text.split("6. The relationship")[1].split("7. Wins")[0]
    assert "What you know about Sam Rivera:" in six and "Ran a restaurant" in six
    assert "Ran a restaurant" in r.html
    assert "## About my boss" in markdown(store.export())


def test_get_to_know_answer_becomes_about_and_is_not_asked_again(make_config) -> None:
    cfg, store, match, history = _setup(make_config)
    d = compose(store.snapshot(), match, history, NOW, cfg)
    first = d.relationship.get_to_know
    assert first is not None
    _send(store, d, NOW)
    p = plan(store, store.digests()[-1])
    assert p.know == (first.id, first.text)
    apply_flags(store, p, NOW + timedelta(days=1), about="Studied physics; came from sales")
    (about,) = store.items("about")
    assert about.text == "Studied physics; came from sales"
    assert about.fields == {"question": first.id}
    # Weeks later, past any cooldown: that question is known, so never asked again.
    asked = set()
    for week in range(1, 8):
        later = NOW + timedelta(days=7 * week)
        q = compose(store.snapshot(), match, history, later, cfg).relationship.get_to_know
        if q is not None:
            asked.add(q.id)
    assert first.id not in asked
    assert asked <= {q.id for q in question_banks()["get_to_know"]}


def test_every_get_to_know_question_answered(make_config) -> None:
    cfg, store, match, history = _setup(make_config)
    for q in question_banks()["get_to_know"]:
        store.add_item("about", f"answer to {q.id}", NOW - timedelta(days=9),
                       fields={"question": q.id})
    d = compose(store.snapshot(), match, history, NOW, cfg)
    assert d.relationship.get_to_know is None
    assert len(d.relationship.about) == 5
    assert d.relationship.about_more == len(question_banks()["get_to_know"]) - 5
    assert "more: manageup list --kind about" in render(d).text


def test_career_advice_is_remembered_and_its_question_not_asked_again(make_config) -> None:
    cfg, store, match, history = _setup(make_config)
    store.add_item("career", "Lead a project", NOW - timedelta(days=200))
    d = compose(store.snapshot(), match, history, NOW, cfg)
    q = d.career.question
    assert q is not None and d.career.stale
    _send(store, d, NOW)
    after = at("2026-12-03T11:00+01:00")
    apply_flags(store, plan(store, store.digests()[-1]), after,
                advice="Join the cross-department platform group")
    later = NOW + timedelta(days=7)
    week = timedelta(days=7)  # the digest of the next 1:1, Thu 10 Dec 10:00
    occ = replace(match.occurrence, start=match.occurrence.start + week,
                  end=match.occurrence.end + week)
    d2 = compose(store.snapshot(), replace(match, occurrence=occ), history, later, cfg)
    (advice,) = d2.career.advice
    assert advice.text == "Join the cross-department platform group"
    # The review's answer counts, judged at that 1:1: 3 Dec 11:00 to 10 Dec.
    assert d2.career.days_since == 7 and not d2.career.stale
    text = render(d2).text
    assert "On 03 Dec Sam Rivera advised: Join the cross-department platform group" in text
    # The answered question stays out of the rotation for good.
    seen = set()
    for week in range(1, 12):
        c = compose(store.snapshot(), match, history, later + timedelta(days=7 * week), cfg)
        if c.career.question:
            seen.add(c.career.question.id)
            _send_q(store, c, later + timedelta(days=7 * week))
    assert q.id not in seen and seen


def _send_q(store: Store, d, when) -> None:
    store.record_sent_digest(f"k{when.isoformat()}", [], d.question_ids, when)
    store.ledger_set(f"k{when.isoformat()}", when, "sent", "<x>", when, when)


def test_wins_and_topics_for_their_1on1_closed_when_raised_collapsed_when_long(
        make_config) -> None:
    cfg, store, match, history = _setup(make_config)
    for n in range(6):
        store.add_item("win", f"win {n}", NOW - timedelta(days=10 - n))
    store.add_item("topic", "Budget for next year", NOW - timedelta(days=2))
    held = store.add_item("topic", "Conference plans", NOW - timedelta(days=2),
                          due=date(2026, 12, 10))  # meant for the 1:1 on or after 10 Dec
    d = compose(store.snapshot(), match, history, NOW, cfg)  # for the 3 Dec 1:1
    assert [w.text for w in d.wins] == ["win 5", "win 4", "win 3"]
    assert d.wins_more == 3
    assert [t.text for t in d.topics] == ["Budget for next year"] and d.held_back == 1
    text = render(d).text
    assert "(3 older wins: manageup list --kind win)" in text
    assert "1 win or topic is kept for a later 1:1." in text
    _send(store, d, NOW)
    p = plan(store, store.digests()[-1])
    assert sorted(i.text for i in p.raise_) == ["Budget for next year", "win 3", "win 4",
                                                "win 5"]
    apply_flags(store, p, NOW + timedelta(days=1), raised=[i.id for i in p.raise_])
    # 10 Dec: raised ones are gone, the older wins come up, the kept topic is due now.
    later = at("2026-12-09T17:00+01:00")
    occ = match.occurrence
    week = timedelta(days=7)
    nxt = replace(match, occurrence=replace(occ, start=occ.start + week, end=occ.end + week))
    d2 = compose(store.snapshot(), nxt, history, later, cfg)
    assert [w.text for w in d2.wins] == ["win 2", "win 1", "win 0"] and d2.wins_more == 0
    assert [t.id for t in d2.topics] == [held] and d2.held_back == 0


def test_an_about_item_in_so_many_words_answers_its_question() -> None:
    """Two of a question's topic stems answer it; one shared word does not (issue 25.9)."""
    from manageup.knowing import known_questions
    from manageup.model import Item

    def known(*texts: str) -> set[str]:
        return known_questions([Item(n, "about", t, NOW) for n, t in enumerate(texts)],
                               question_banks()["get_to_know"])

    assert known("Wants bad news in writing first") == {"know-communication"}
    assert known("Prefers a phone call to e-mail") == {"know-communication"}
    assert known("Values honesty above speed") == {"know-values"}
    assert known("Values a quiet office") == set()  # one stem: it may be about anything
    assert known("Values people who own their mistakes") >= {"know-values"}
    assert known("Ran a restaurant for ten years") == set()
