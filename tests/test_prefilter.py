"""The fast path finds exactly what the naive path finds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate
from manageup.cycle import history_of
from manageup.detect import boss_names, detect
from manageup.sources.ics import parse_occurrences
from manageup.sources.prefilter import Needles, select
from tests.conftest import ICS, ROOT, at, config_text

NOW = at("2026-11-25T16:00+01:00")
WINDOW = (NOW - timedelta(days=120), NOW + timedelta(days=30))
CFG = __import__("manageup.config", fromlist=["parse_config"]).parse_config(
    config_text(ICS / "x.ics", Path("/nonexistent"), extra='[detect]\ntitle_patterns = '
                '["1:1", "1on1", "one-on-one"]'))


def needles(cfg=CFG) -> Needles:
    return Needles(cfg.boss_addresses, cfg.detect.title_patterns, boss_names(cfg),
                   cfg.detect.max_attendees)


def answers(data: bytes) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    occs = parse_occurrences(data, *WINDOW, CFG.zone).occurrences
    matches = [(m.occurrence.key, m.occurrence.start.isoformat(), m.reason)
               for m in detect(occs, CFG)]
    history = [(h.key, h.status) for h in history_of(occs, CFG)]
    return matches, history


def same(data: bytes) -> None:
    fast, kept, seen = select(data, needles())
    assert answers(fast) == answers(data)
    assert kept <= seen
    # As the source calls it: one-off events outside the window (with margin) left out.
    since, until = WINDOW[0].date() - timedelta(days=2), WINDOW[1].date() + timedelta(days=2)
    narrow, kept2, _ = select(data, needles(), since, until)
    assert answers(narrow) == answers(data)
    assert kept2 <= kept


FILES = [*sorted(ICS.glob("*.ics")), ROOT / "examples" / "calendar.ics"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_fixture(path: Path) -> None:
    same(path.read_bytes())


def test_generated_big_feed_is_cut_down() -> None:
    data = generate(2000, seed=3).encode()
    fast, kept, seen = select(data, needles())
    assert seen == 2000 and kept < 200
    assert answers(fast) == answers(data)
    assert answers(data)[0]  # the boss's weekly 1:1 is there to find


PEOPLE = ["sam@example.com", "SAM@Example.COM", "sam.rivera@old-domain.example",
          "alex@example.com", "priya@example.com", "jordan@example.com"]


def fold_at(line: str, width: int) -> str:
    return "\r\n ".join(line[i:i + width] for i in range(0, len(line), width))


@st.composite
def event(draw: st.DrawFn, uid: str, recurrence_id: str | None) -> str:
    who = draw(st.lists(st.sampled_from(PEOPLE), max_size=4))
    room = draw(st.booleans())
    title = draw(st.sampled_from(["Sync", "1:1", "1:1 Sam", "Sam / Alex 1on1", "21:15 call",
                                  "one-on-one", "Team", "sam's plan"]))
    day = draw(st.integers(1, 28))
    month = draw(st.sampled_from(["202607", "202608", "202611", "202612", "202703"]))
    lines = [f"UID:{uid}", "DTSTAMP:20261101T000000Z",
             f"DTSTART;TZID=Europe/Berlin:{month}{day:02d}T100000",
             f"DTEND;TZID=Europe/Berlin:{month}{day:02d}T103000", f"SUMMARY:{title}"]
    if recurrence_id:
        lines.append(f"RECURRENCE-ID;TZID=Europe/Berlin:{recurrence_id}")
    else:
        lines.append(draw(st.sampled_from(["", "RRULE:FREQ=WEEKLY;COUNT=6"])))
    if who:
        lines.append(f'ORGANIZER;CN="Org: {who[0]}":mailto:{who[0]}')
    lines += [f"ATTENDEE;PARTSTAT={draw(st.sampled_from(['ACCEPTED', 'DECLINED']))}:"
              f"mailto:{p}" for p in who]
    if room:
        lines.append("ATTENDEE;CUTYPE=ROOM;CN=Room:mailto:room@example.com")
    width = draw(st.integers(8, 80))
    body = "\r\n".join(fold_at(x, width) for x in lines if x)
    return f"BEGIN:VEVENT\r\n{body}\r\nEND:VEVENT\r\n"


@st.composite
def feeds(draw: st.DrawFn) -> bytes:
    blocks = []
    for n in range(draw(st.integers(1, 5))):
        uid = f"ev{n}@example.com"
        blocks.append(draw(event(uid, None)))
        for _ in range(draw(st.integers(0, 2))):  # overrides with their own attendees
            day = draw(st.integers(1, 28))
            blocks.append(draw(event(uid, f"202611{day:02d}T100000")))
    blocks = draw(st.permutations(blocks))
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" + "".join(blocks)
            + "END:VCALENDAR\r\n").encode()


@settings(max_examples=400, deadline=None, derandomize=True)
@given(feeds())
def test_same_answers_on_generated_feeds(data: bytes) -> None:
    same(data)


def test_folds_to_ascii_is_complete() -> None:
    from manageup.sources.prefilter import FOLDS_TO_ASCII

    every = [chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c < 0xE000
             and any(ch.isascii() for ch in chr(c).casefold())]
    assert "".join(every) == FOLDS_TO_ASCII
