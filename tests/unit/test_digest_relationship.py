"""The relationship across every 1:1 with the boss (issue 16.2)."""

from __future__ import annotations

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
TWO = ICS / "two_weekly_series_tue_fri_mon_thu.ics"


def _setup(make_config, calendar=TWO, now=NOW):
    _p, cfg = make_config(calendar)
    occs = parse_occurrences(calendar.read_bytes(), now - timedelta(days=90),
                             now + timedelta(days=14), cfg.zone).occurrences
    match = next(m for m in detect(occs, cfg) if m.occurrence.start > now)
    return cfg, Store.open(cfg.store.path), match, history_of(occs, cfg)


def test_two_weekly_series_and_a_one_off_count_once_each(make_config) -> None:
    cfg, store, match, history = _setup(make_config)
    r = compose(store.snapshot(), match, history, NOW, cfg).relationship
    # Tue/Fri: 26 slots from 4 Sep to 1 Dec; Mon/Thu: 25 from 7 Sep to 30 Nov; one one-off.
    assert (r.held, r.expected) == (50, 52)
    assert (r.series, r.one_offs) == (2, 1)
    assert r.held <= r.expected
    # Declined by the user is theirs, not a cancellation (issue 25.6).
    assert r.cancelled == 1 and r.declined == 1 and r.moved == 1
    assert r.who == ("1 cancelled by Sam Rivera", "1 declined by you", "1 moved by you")


def test_strip_of_the_last_twelve(make_config) -> None:
    cfg, store, match, history = _setup(make_config)
    d = compose(store.snapshot(), match, history, NOW, cfg)
    strip = d.relationship.strip
    assert len(strip) == 12
    assert "".join(c.letter for c in strip) == "HHHHHCHMDHHH"
    assert strip[0].start.date().isoformat() == "2026-11-12"
    assert strip[5].by == "Sam Rivera" and strip[7].by == "you"
    rendered = render(d)
    assert "Last 12, oldest first: H H H H H C H M D H H H" in rendered.text
    assert "52 expected" in rendered.text and "46 of" not in rendered.text
    # In HTML: one table cell per 1:1, no images.
    assert rendered.html.count('class="strip-cell') == 12
    assert "<img" not in rendered.html
    assert 'title="Fri 20 Nov: cancelled by Sam Rivera"' in rendered.html


def test_one_series_with_a_move_and_a_cancellation(make_config) -> None:
    cfg, store, match, history = _setup(make_config, ICS / "weekly_moved_cancelled_exdate.ics")
    r = compose(store.snapshot(), match, history, NOW, cfg).relationship
    # 5, 12 (moved to 13), 19 (cancelled by Sam) and 26 Nov (deleted: EXDATE) were planned.
    assert (r.held, r.expected) == (2, 4)
    assert r.who == ("1 cancelled by Sam Rivera", "1 deleted", "1 moved by Sam Rivera")
    assert "".join(c.letter for c in r.strip) == "HMC"


def test_stored_history_without_cadence_never_expects_fewer_than_seen(make_config) -> None:
    cfg, store, match, _h = _setup(make_config)
    uid = "old@example.com"
    stored = [HistoryEntry(f"{uid}|{(NOW - timedelta(days=d)).isoformat()}", uid,
                           NOW - timedelta(days=d), "scheduled", "sam@example.com")
              for d in (3, 10, 17, 30, 31)]
    r = compose(store.snapshot(), match, stored, NOW, cfg).relationship
    # Five held, none cancelled, no cadence to plan more by: exactly the five were expected.
    assert (r.held, r.expected) == (5, 5)
