"""Lead with: at most three things, in the order to raise them (issue 16.1)."""

from __future__ import annotations

from datetime import date, timedelta

from manageup.compose import compose
from manageup.detect import detect
from manageup.history import history_of
from manageup.model import BossWeek
from manageup.render import render
from manageup.sources.ics import parse_occurrences
from manageup.store import Store
from tests.conftest import ICS, at

NOW = at("2026-12-02T17:00+01:00")


def _setup(make_config):
    _p, cfg = make_config(ICS / "weekly_moved_cancelled_exdate.ics")
    occs = parse_occurrences((ICS / "weekly_moved_cancelled_exdate.ics").read_bytes(),
                             NOW - timedelta(days=90), NOW + timedelta(days=14),
                             cfg.zone).occurrences
    match = next(m for m in detect(occs, cfg) if m.occurrence.start > NOW)
    return cfg, Store.open(cfg.store.path), match, history_of(occs, cfg)


def _full_store(store: Store) -> None:
    t = NOW - timedelta(days=20)
    store.add_item("need", "Budget sign-off from Dana", t, due=date(2026, 12, 8))  # 1
    store.add_item("owe", "Q4 numbers", t, due=date(2026, 11, 27))  # 2
    store.add_item("risk", "Migration slips a week", t,
                   fields={"corrective_action": "Two more engineers"})  # 3
    store.add_item("goal", "Cut spend", t)  # 4
    store.add_item("career", "Lead a project", NOW - timedelta(days=1))  # 5


def test_order_overdue_then_need_then_question(make_config) -> None:
    cfg, store, match, history = _setup(make_config)
    _full_store(store)
    d = compose(store.snapshot(), match, history, NOW, cfg)
    assert [(p.kind, p.item_id) for p in d.lead] == [("tell", 2), ("ask", 1), ("question", 4)]
    # Judged at the 1:1 on 3 Dec (issue 25.5), not when the digest goes out on 2 Dec.
    assert d.lead[0].detail == "6 days late at the 1:1; give the new date"
    assert d.lead[1].detail == "needed by Tue 08 Dec"
    text = render(d).text
    lead = text.split("0. Lead with")[1].split("1. The meeting")[0]
    assert text.index("0. Lead with") < text.index("1. The meeting")
    assert "1. Say it first: Q4 numbers" in lead
    assert "2. Ask for: Budget sign-off from Dana" in lead
    assert "3. Ask: What keeps getting in the way of this?" not in lead  # next probe is "why"
    assert "3. Ask: " in lead and "Cut spend" in lead
    assert "Migration" not in lead  # three at most: the second thing to own up to waits


def test_a_packed_week_keeps_to_two(make_config) -> None:
    cfg, store, match, history = _setup(make_config)
    _full_store(store)
    d = compose(store.snapshot(), match, history, NOW, cfg, BossWeek(31.5, None))
    assert d.packed and len(d.lead) == 2
    r = render(d)
    assert "Sam Rivera's week is packed: keep to these two." in r.text
    assert r.html.index('id="s0"') < r.html.index('id="s1"')
    assert r.html.count('class="lead-point') == 2


def test_risks_fill_when_nothing_is_needed(make_config) -> None:
    cfg, store, match, history = _setup(make_config)
    t = NOW - timedelta(days=3)
    store.add_item("owe", "Q4 numbers", t, due=date(2026, 11, 30))
    # It happened: an incident's prep (a risk ahead is prepped otherwise, issue 25.7).
    store.add_item("risk", "Vendor API changed", t, fields={"risk_type": "incident"})
    d = compose(store.snapshot(), match, history, NOW, cfg)
    assert [p.kind for p in d.lead] == ["tell", "tell", "question"]
    assert d.lead[1].detail.startswith("prepare what you have done about it")


def test_career_question_when_career_has_gone_quiet(make_config) -> None:
    cfg, store, match, history = _setup(make_config)
    store.add_item("career", "Lead a project", NOW - timedelta(days=200))
    store.add_item("goal", "Cut spend", NOW - timedelta(days=200))
    # Career last came up when advice was recorded in review (issue 25.3).
    store.add_note("Take the platform role", NOW - timedelta(days=200), None, "career-path")
    d = compose(store.snapshot(), match, history, NOW, cfg)
    (q,) = d.lead
    # Judged at the 1:1 the next morning (attack 2, B4).
    assert q.kind == "question" and q.detail == "career has not come up for 201 days"
    assert d.career.question is not None and q.text == f"Ask: {d.career.question.text}"
