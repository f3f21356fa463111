"""Numbers in the digest that cannot contradict themselves (issue 16.6)."""

from __future__ import annotations

import re
from datetime import timedelta

from manageup.compose import compose
from manageup.detect import detect
from manageup.history import history_of
from manageup.model import HistoryEntry
from manageup.render import render
from manageup.sources.ics import parse_occurrences
from manageup.store import Store
from tests.conftest import ICS, at

NOW = at("2026-12-02T17:00+01:00")


def _setup(make_config, now=NOW):
    _p, cfg = make_config(ICS / "weekly_moved_cancelled_exdate.ics")
    occs = parse_occurrences((ICS / "weekly_moved_cancelled_exdate.ics").read_bytes(),
                             now - timedelta(days=90), now + timedelta(days=14),
                             cfg.zone).occurrences
    match = next(m for m in detect(occs, cfg) if m.occurrence.start > now)
    return cfg, Store.open(cfg.store.path), match, history_of(occs, cfg)


# The morning of the 1:1 of Thu 3 Dec 10:00: day counts are judged at the meeting, so a
# count that reads "today" or "yesterday" there is one on the meeting's day.
MORNING = at("2026-12-03T08:00+01:00")


def test_items_added_after_now_never_give_negative_ages(make_config) -> None:
    cfg, store, match, history = _setup(make_config, MORNING)
    later = MORNING + timedelta(minutes=5)  # a preview with --now a moment in the past
    store.add_item("need", "Intro to Dana", later)
    store.add_item("owe", "Numbers", later)
    store.add_item("career", "Lead a project", later)
    store.record_sent_digest("k", [], ["probe-why-1", "career-path"], later)
    store.add_note("Take the platform role", later, None, "career-path")
    # The goal question counts from the 1:1 that took place with it (issue 25.4).
    held = [*history, HistoryEntry("k", "k", MORNING - timedelta(minutes=1), "scheduled")]
    d = compose(store.snapshot(), match, held, MORNING, cfg)
    assert d.needs[0].age_days == 0 and d.owes[0].age_days == 0
    assert d.career.days_since == 0 and d.relationship.days_since_probe == 0
    text = render(d).text
    assert not re.search(r"(?<![\d:])-\d", text), text
    assert "today ago" not in text
    assert "added today" in text
    assert "career: today" in text


def test_day_wording(make_config) -> None:
    cfg, store, match, history = _setup(make_config, MORNING)
    day_before = MORNING - timedelta(days=1, hours=1)
    store.add_item("need", "Intro to Dana", day_before)
    store.record_sent_digest("k", [], ["probe-why-1"], day_before)
    held = [*history, HistoryEntry("k", "k", day_before, "scheduled")]
    text = render(compose(store.snapshot(), match, held, MORNING, cfg)).text
    assert "open 1 day" in text
    assert "Last goal question asked: yesterday" in text


def test_goal_answers_on_record_are_never_called_never_asked(make_config) -> None:
    cfg, store, match, history = _setup(make_config)
    store.add_item("goal", "Cut spend", NOW - timedelta(days=30),
                   fields={"why_it_matters": "Headcount", "what_it_costs": "2M"})
    d = compose(store.snapshot(), match, history, NOW, cfg)
    (g,) = d.goals
    assert len(g.answered) == 2
    text = render(d).text
    assert "2 of 4 probed" in text
    assert "goal question asked: never" not in text.replace("\n", " ")
    assert "2 goal answers on record" in text


def test_preview_before_the_items_were_added(example, capsys) -> None:
    from manageup.cli import main

    cfg = str(example / "config.toml")
    assert main(["--config", cfg, "import", str(example / "notes.json")]) == 0
    assert main(["--config", cfg, "add", "career", "Speak at a conference",
                 "--now", "2026-11-25T17:05:00+01:00"]) == 0
    capsys.readouterr()
    assert main(["--config", cfg, "preview", "--now", "2026-11-25T17:00:00+01:00"]) == 0
    text = capsys.readouterr().out
    assert not re.search(r"(?<![\d:])-\d", text), text
    # Career counts from the advice on record (22 Oct), not from a career goal written down
    # (issue 25.3), to the 1:1 of 26 Nov; a note after --now reads "today" in
    # test_items_added_after_now_...
    assert "career: 35 days ago." in " ".join(text.split())
