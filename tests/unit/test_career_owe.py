"""Issue 26.4: only advice becomes an owe. An attacker found every career answer review
recorded made a suggested owe, even the answer to "How did you get to where you are?" or a
bare "Yes", so a later digest asked "Sam advised: Yes: done?". An answer is advice when
the question put asks for advice or a next step (tagged `advice = true` in questions.toml)
and the answer is more than a bare yes, no, maybe or don't know. Other career answers are
kept as what the boss said, and make no owe."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from manageup.asking import advice_ids, career_ids, question_banks
from manageup.compose import compose
from manageup.detect import detect
from manageup.followup import bare_answer
from manageup.history import history_of
from manageup.render import render
from manageup.review import apply_flags, interactive, plan
from manageup.sources.ics import parse_occurrences
from manageup.store import Store
from tests.conftest import ICS, at

NOW = at("2026-12-02T17:00+01:00")
AFTER = at("2026-12-03T11:00+01:00")  # the review, after the 1:1 of Thu 3 Dec 10:00

BARE = ["Yes", "yes.", "No", "NO!", "Nope", "Yeah", "Sure", "Maybe", "Maybe later",
        "Perhaps", "Probably not", "Not sure", "not sure yet", "I don't know",
        "I don’t know", "Don't know", "dunno", "No idea", "No, not really", "Yes, sure.",
        "n/a", "N/A", "-", "?", "...", "ok", "Okay, thanks", "Hmm", "We'll see",
        "It depends", "Not yet", "Nothing", "none", "TBD", "Yes — definitely",
        "Good question", "I'll think about it", "Let me think about it"]
ADVICE = ["Ask Lena for a monthly cost session", "Yes: ask Lena for a cost session",
          "No, lead the billing migration instead", "Mentor Alex", "Negotiation",
          "Don't take on more on-call", "Do the AWS course", "Say no to ad-hoc reports",
          "Maybe present the cost work at the staff meeting", "Talk to Priya in Finance",
          "Not sure yet; try the platform guild"]


@pytest.mark.parametrize("text", BARE)
def test_a_bare_answer_is_not_advice(text: str) -> None:
    assert bare_answer(text), text


@pytest.mark.parametrize("text", ADVICE)
def test_an_answer_with_something_to_do_is_advice(text: str) -> None:
    assert not bare_answer(text), text


def test_career_questions_that_ask_what_to_do_are_tagged() -> None:
    """Each stage of the career talk has questions that ask for advice, and some that do
    not (their path, where they saw the user grow); a review question too."""
    tagged = advice_ids()
    assert tagged < career_ids()
    assert {"career-next-step", "career-goal-check", "career-after-advice",
            "review-improve"} <= tagged
    assert not {"career-path", "career-success", "career-open-time", "career-grown",
                "career-goal-fit", "review-promotion", "review-feedback"} & tagged
    for stage in ("goals", "progress"):
        qs = [q for q in question_banks()["career"] if q.stage == stage]
        assert any(q.advice for q in qs) and not all(q.advice for q in qs), stage


def _setup(make_config, career: bool = True):
    _p, cfg = make_config(ICS / "weekly_moved_cancelled_exdate.ics")
    occs = parse_occurrences((ICS / "weekly_moved_cancelled_exdate.ics").read_bytes(),
                             NOW - timedelta(days=90), NOW + timedelta(days=14),
                             cfg.zone).occurrences
    match = next(m for m in detect(occs, cfg) if m.occurrence.start > NOW)
    store = Store.open(cfg.store.path)
    if career:
        store.add_item("career", "Lead a project", NOW - timedelta(days=200))
    d = compose(store.snapshot(), match, history_of(occs, cfg), NOW, cfg)
    store.record_sent_digest(d.meeting.key, d.item_ids, d.question_ids, NOW,
                             start=d.meeting.start, title=d.meeting.title, shown=d.shown())
    store.ledger_set(d.meeting.key, d.meeting.start, "sent", "<x>", NOW, NOW)
    return cfg, store, match, history_of(occs, cfg), d


def _next(store: Store, cfg, match, history, html: bool = False) -> str:
    """The digest of the next 1:1, a week on: its recap tells what the last one heard."""
    week = timedelta(days=7)
    occ = replace(match.occurrence, start=match.occurrence.start + week,
                  end=match.occurrence.end + week)
    r = render(compose(store.snapshot(), replace(match, occurrence=occ), history,
                       NOW + week, cfg))
    return r.html if html else r.text


def test_an_answer_to_a_question_that_asks_no_advice_makes_no_owe(make_config) -> None:
    cfg, store, match, history, d = _setup(make_config, career=False)
    assert d.career.question and d.career.question.id == "career-path"  # nothing on record
    s = apply_flags(store, plan(store, store.digests()[-1]), AFTER,
                    advice="Started in support, then ran the helpdesk")
    assert store.items("owe") == [] and "career answer noted" in s.changed
    assert not any("suggested" in line for line in s.changed)
    (note,) = store.notes()
    assert note["text"] == "Started in support, then ran the helpdesk"
    text = " ".join(_next(store, cfg, match, history).split())
    assert "- Sam Rivera said: Started in support, then ran the helpdesk" in text  # recap
    assert "On 03 Dec Sam Rivera said: Started in support" in text  # Career
    assert "advised" not in text and "done?" not in text.lower()
    page = _next(store, cfg, match, history, html=True)
    assert ">Sam Rivera said: Started in support, then ran the helpdesk</li>" in page
    assert "On 03 Dec Sam Rivera said: Started in support, then ran the helpdesk</p>" in page
    assert "advised" not in page


def test_a_bare_answer_to_an_advice_question_makes_no_owe(make_config) -> None:
    cfg, store, match, history, d = _setup(make_config)
    assert d.career.question and d.career.question.id in advice_ids()
    s = apply_flags(store, plan(store, store.digests()[-1]), AFTER, advice="Yes")
    assert store.items("owe") == [] and "career answer noted" in s.changed
    text = _next(store, cfg, match, history)
    assert "Sam Rivera said: Yes" in text and "advised: Yes" not in text
    assert "Yes: done?" not in text


def test_advice_to_an_advice_question_is_still_an_owe(make_config) -> None:
    cfg, store, match, history, _d = _setup(make_config)
    s = apply_flags(store, plan(store, store.digests()[-1]), AFTER,
                    advice="Join the platform group")
    (owe,) = store.items("owe")
    assert owe.text == "Join the platform group" and owe.fields == {"advised": "2026-12-03"}
    assert "career advice noted" in s.changed
    text = " ".join(_next(store, cfg, match, history).split())
    assert "- Sam Rivera advised: Join the platform group" in text
    assert f"On 03 Dec Sam Rivera advised: Join the platform group Done? It is owe " \
        f"#{owe.id}." in text


def test_a_bare_answer_on_how_my_work_can_help_makes_no_owe(make_config) -> None:
    """The "how my work can help" answer is kept on the goal; "not sure" is nothing to do."""
    _cfg, store, _m, _h, _d = _setup(make_config)
    goal = store.add_item("goal", "Cut spend", NOW)
    p = plan(store, store.digests()[-1])
    p = replace(p, probes=[(store.get_item(goal), "how_i_can_help", "probe-help-1", "How?")])
    apply_flags(store, p, AFTER, answers=[(str(goal), "Not sure")])
    assert store.get_item(goal).fields["how_i_can_help"] == "Not sure"
    assert store.items("owe") == []
    apply_flags(store, p, AFTER, answers=[(str(goal), "Draft the cost report")])
    assert [o.text for o in store.items("owe")] == ["Draft the cost report"]


@pytest.mark.parametrize(("career", "label"), [(False, "Their answer"),
                                               (True, "Their advice")])
def test_review_asks_for_what_the_question_asked(make_config, career: bool,
                                                 label: str) -> None:
    """The prompt matches the question put: advice, or the boss's answer."""
    _cfg, store, _m, _h, _d = _setup(make_config, career=career)
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return ""

    interactive(store, plan(store, store.digests()[-1]), AFTER, ask, lambda _line: None)
    assert any(p.strip().startswith(label) for p in prompts), prompts
    other = "Their advice" if label == "Their answer" else "Their answer"
    assert not any(other in p for p in prompts)


def test_only_advice_moves_the_career_talk_on(make_config) -> None:
    """Two pieces of advice move the talk to following them through ("I acted on your last
    advice; what should come after it?"); two bare answers and a life story do not."""
    cfg, store, match, history, _d = _setup(make_config)
    digest = store.digests()[-1].id
    for qid, text in (("career-next-step", "Yes"), ("career-goal-check", "Not sure"),
                      ("career-path", "Started in support, then ran the helpdesk")):
        store.add_note(text, AFTER, digest, qid)
    later = compose(store.snapshot(), match, history, NOW + timedelta(days=7), cfg)
    assert later.career.question and later.career.question.stage == "goals"
    for qid, text in (("career-broaden", "Join the platform group"),
                      ("career-goal-who", "Talk to Priya in Finance")):
        store.add_note(text, AFTER, digest, qid)
    later = compose(store.snapshot(), match, history, NOW + timedelta(days=7), cfg)
    assert later.career.question and later.career.question.stage == "progress"
