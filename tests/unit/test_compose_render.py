from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from manageup.compose import compose, question_banks
from manageup.cycle import make_digest
from manageup.detect import detect
from manageup.history import history_of
from manageup.model import Match, Occurrence, Person
from manageup.render import render
from manageup.sources.ics import parse_occurrences
from manageup.store import Store
from tests.conftest import ICS, at

NOW = at("2026-12-02T17:00+01:00")


def _setup(make_config, tmp_path: Path, extra: str = ""):
    _p, cfg = make_config(ICS / "weekly_moved_cancelled_exdate.ics", extra)
    occs = parse_occurrences((ICS / "weekly_moved_cancelled_exdate.ics").read_bytes(),
                             NOW - timedelta(days=90), NOW + timedelta(days=14),
                             cfg.zone).occurrences
    store = Store.open(cfg.store.path)
    match = next(m for m in detect(occs, cfg) if m.occurrence.start > NOW)
    return cfg, store, match, history_of(occs, cfg)


def test_sections_filled_from_the_store(make_config, tmp_path: Path) -> None:
    cfg, store, match, history = _setup(make_config, tmp_path)
    created = NOW - timedelta(days=10)
    store.add_item("need", "Intro to Dana", created)
    store.add_item("owe", "Late numbers", created, due=date(2026, 11, 30))
    store.add_item("owe", "Later plan", created, due=date(2026, 12, 20))
    store.add_item("goal", "Cut spend", created, fields={"why_it_matters": "Headcount"})
    store.add_item("risk", "Migration slips", created, fields={"obstacles": "Vendor"})
    store.add_item("career", "Lead a project", created)
    store.add_item("win", "Deploys 3x faster", created)
    d = compose(store.snapshot(), match, history, NOW, cfg)
    assert d.meeting.start == at("2026-12-03T10:00+01:00")
    assert d.meeting.days_since_last == 20  # 13 Nov was the last one held; at the 1:1
    assert [a.item.text for a in d.owes] == ["Late numbers", "Later plan"]
    # Late by 3 days at the 1:1 on 3 Dec (issue 25.5), though the digest goes out on 2 Dec.
    assert d.owes[0].overdue_days == 3 and d.overdue == (d.owes[0],)
    assert d.needs[0].age_days == 11  # added 22 Nov, open 11 days at the 1:1 on 3 Dec
    (g,) = d.goals
    assert g.next_label == "what gets in the way" and g.next_question is not None
    assert g.next_question.bank == "probe.what_gets_in_the_way"
    (r,) = d.risks
    assert r.missing == ("what you have done about it", "how it will not happen again")
    assert d.career.question and d.career.question.bank == "career"
    assert d.relationship.held == 2 and d.relationship.cancelled == 1
    assert d.relationship.moved == 1 and d.relationship.expected == 4
    assert d.relationship.trend == "1 of the last 3 did not happen: 1 cancelled by Sam " \
        "Rivera; 1 was moved by Sam Rivera."
    assert d.relationship.days_since_probe is None


def test_empty_store_prompts_instead_of_vanishing(make_config, tmp_path: Path) -> None:
    cfg, store, match, history = _setup(make_config, tmp_path)
    d = compose(store.snapshot(), match, history, NOW, cfg)
    assert len(d.learn_goals) == 3 and len(d.need_ideas) == 2
    text = render(d).text
    assert "No goals of theirs on record" in text
    assert "Nothing to flag" in text


def test_question_rests_after_a_sent_digest(make_config, tmp_path: Path) -> None:
    cfg, store, match, history = _setup(make_config, tmp_path,
                                        "[digest]\nquestion_cooldown = 2")
    seen = []
    for week in range(4):
        now = NOW + timedelta(days=7 * week)
        d = compose(store.snapshot(), match, history, now, cfg)
        seen.append(d.career.question.id)
        store.record_sent_digest(f"k{week}", d.item_ids, d.question_ids, now)
        store.ledger_set(f"k{week}", now, "sent", "<x>", now, now)
    bank = [q.id for q in question_banks()["career"]]
    assert seen == bank[:4]  # never the same question twice in a row


def test_mentor_switch_keeps_career_questions_out(make_config, tmp_path: Path) -> None:
    cfg, store, match, history = _setup(
        make_config, tmp_path, '[career]\ntalk_with = "mentor"\nmentor_name = "Kim"')
    d = compose(store.snapshot(), match, history, NOW, cfg)
    assert d.career.question is None
    assert "You keep career talk for Kim" in render(d).text


def test_text_part_fits_72_columns(make_config, tmp_path: Path) -> None:
    cfg, store, match, history = _setup(make_config, tmp_path)
    store.add_item("need", "word " * 60, NOW)
    _d, r = make_digest(store, match, history, NOW, cfg)
    lines = r.text.splitlines()
    assert max(len(line) for line in lines if not line.startswith("Join:")) <= 72
    for title in ("0. Lead with", "1. The meeting", "2. Open asks", "4. Risks to flag", "5. Career",
                  "6. The relationship", "7. Wins and talking points"):
        i = next(n for n, line in enumerate(lines) if line.startswith(title))
        assert lines[i + 1] == "=" * len(lines[i])


def test_hostile_calendar_text_is_data_not_code(make_config, tmp_path: Path) -> None:
    cfg, store, _m, history = _setup(make_config, tmp_path)
    evil = Occurrence(
        uid="evil", start=NOW + timedelta(hours=2), end=NOW + timedelta(hours=3),
        title="1:1 {{ 7*7 }} {% raw %}<script>alert(1)</script>\r\nBcc: x@evil",
        location="<img src=x onerror=alert(1)>", description="{{ config }}",
        organizer=Person("sam@example.com"))
    d = compose(store.snapshot(), Match(evil, "test"), history, NOW, cfg)
    r = render(d)
    assert "49" not in r.subject and "{{ 7*7 }}" in r.subject
    assert "\n" not in r.subject and "\r" not in r.subject
    assert "<script>" not in r.html and "&lt;script&gt;" in r.html
    assert "<img src=x" not in r.html
    assert "{{ 7*7 }}" in r.text


def test_user_templates_override_shipped(make_config, tmp_path: Path) -> None:
    tdir = tmp_path / "tpl"
    tdir.mkdir()
    (tdir / "subject.txt.j2").write_text("Mine: {{ d.meeting.title }}")
    cfg, store, match, history = _setup(make_config, tmp_path,
                                        f'[digest]\ntemplates_dir = "{tdir}"')
    _d, r = make_digest(store, match, history, NOW, cfg)
    assert r.subject == "Mine: Sam / Alex"
    assert "2. Open asks" in r.text  # the rest still comes from the shipped templates
