"""The user's own out-of-office time (away.py, issue 27.5): which entries are an absence,
and the .ics fast path keeping every one the full parse finds, however it is written."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from manageup.away import covering, is_away
from manageup.config import Calendar
from manageup.detect import detect
from manageup.sources.ics import IcsSource, parse_occurrences
from manageup.sources.ics.precut import precut
from manageup.sources.ics.prefilter import select
from tests.conftest import BERLIN, ICS
from tests.unit.test_never_stricter import DEFAULT, NOV, among_a_megabyte
from tests.unit.test_prefilter import CFG, WINDOW, fold_at, needles

FIXTURE = ICS / "out_of_office_covers_1on1.ics"


def away_titles(occurrences) -> list[str]:  # type: ignore[no-untyped-def]
    return [o.title for o in occurrences if is_away(o, DEFAULT)]


def test_outlook_oof_status_is_the_absence_not_a_free_day_nor_a_colleagues() -> None:
    occs = parse_occurrences(FIXTURE.read_bytes(), *NOV, BERLIN).occurrences
    shown = {o.title: o.show_as for o in occs if o.all_day}
    assert shown == {"Family trip": "oof", "Vacation planning": "free",
                     "Out of office: Priya": "oof"}  # INTENDEDSTATUS:OOF, her invitation
    assert away_titles(occs) == ["Family trip"]
    meetings = {m.occurrence.start.day: m.occurrence for m in detect(occs, DEFAULT)
                if m.occurrence.start.month == 12}
    assert covering(meetings[10], occs, DEFAULT) is not None
    assert covering(meetings[3], occs, DEFAULT) is None
    assert covering(meetings[17], occs, DEFAULT) is None


def test_fast_path_keeps_the_absence_also_over_a_megabyte(tmp_path: Path) -> None:
    path = tmp_path / "big.ics"
    path.write_bytes(among_a_megabyte(FIXTURE.read_bytes()))
    for feed in (FIXTURE, path):
        fast = IcsSource(Calendar(type="ics", path=feed), DEFAULT).fetch(*NOV, BERLIN)
        assert away_titles(fast.occurrences) == ["Family trip"], feed


PIECES = ["PTO", "pto", "Out of office", "OUT OF THE OFFICE", "out of\\nOffice", "Vacation",
          "Urlaub", "OOO", "ooo", "annual leave", "lap", "top", "s", "\\n", "\\N", "\\,",
          "\\;", "\\\\", " ", "_", "-", "é", "\u212a", "1", ":"]
MARKS = ["", "X-MICROSOFT-CDO-BUSYSTATUS:OOF", "X-MICROSOFT-CDO-BUSYSTATUS: oof ",
         'X-MICROSOFT-CDO-INTENDEDSTATUS;X-P="a:b":OOF', "X-MICROSOFT-CDO-BUSYSTATUS:FREE",
         "TRANSP:TRANSPARENT", "x-microsoft-cdo-busystatus:Oof", "X-MICROSOFT-CDO-BUSYSTATUS:OO F",
         "ORGANIZER:mailto:priya@example.com", "ORGANIZER:mailto:alex@example.com"]


@st.composite
def absences(draw: st.DrawFn) -> bytes:
    blocks = []
    for n in range(draw(st.integers(1, 4))):
        title = "".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=4)))
        day = draw(st.integers(1, 28))
        when = draw(st.sampled_from([
            (f"DTSTART;VALUE=DATE:202611{day:02d}", f"DTEND;VALUE=DATE:202611{day:02d}"),
            (f"DTSTART;VALUE=DATE:202611{day:02d}", ""),
            (f"DTSTART;TZID=Europe/Berlin:202611{day:02d}T090000",
             f"DTEND;TZID=Europe/Berlin:202612{day:02d}T100000"),
            (f"DTSTART;TZID=Europe/Berlin:202611{day:02d}T090000",
             f"DTEND;TZID=Europe/Berlin:202611{day:02d}T170000")]))
        lines = [f"UID:away{n}@example.com", "DTSTAMP:20261101T000000Z", *when,
                 f"SUMMARY:{title}", *draw(st.lists(st.sampled_from(MARKS), max_size=2))]
        width = draw(st.integers(6, 80))
        body = "\r\n".join(fold_at(x, width) for x in lines if x)
        blocks.append(f"BEGIN:VEVENT\r\n{body}\r\nEND:VEVENT\r\n")
    weekly = (ICS / "weekly_moved_cancelled_exdate.ics").read_text()
    events = weekly[weekly.index("BEGIN:VEVENT"):weekly.rindex("END:VCALENDAR")]
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" + events.replace("\n", "\r\n")
            + "".join(blocks) + "END:VCALENDAR\r\n").encode()


def away_keys(feed: bytes) -> list[str]:
    occs = parse_occurrences(feed, *WINDOW, CFG.zone).occurrences
    return [o.key for o in occs if is_away(o, CFG)]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(absences(), st.integers(200, 2000))
def test_fast_path_never_loses_an_absence(data: bytes, chunk: int) -> None:
    full = away_keys(data)
    since, until = WINDOW[0].date() - timedelta(days=2), WINDOW[1].date() + timedelta(days=2)
    for args in ((), (since, until)):
        kept = select(data, needles(), *args)[0]
        assert away_keys(kept) == full
        cut = precut(data, needles(), chunk=chunk, min_size=0, **dict(zip(
            ("since", "until"), args, strict=False)))
        if cut is not None:
            assert select(cut, needles(), *args)[0] == kept


def test_the_generated_absences_hold_some() -> None:
    # Not vacuous: titles and marks of the generator that the rule takes, and one it does not.
    for title, mark, away in [("PTO", "", True), ("a\\nPTO", "", True),
                              ("laptop", "", False), ("x", "X-MICROSOFT-CDO-BUSYSTATUS:OOF",
                                                      True)]:
        feed = (f"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a@x\r\nDTSTART;VALUE=DATE:20261120\r\n"
                f"SUMMARY:{title}\r\n{mark}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
                .replace("\r\n\r\n", "\r\n")).encode()
        assert bool(away_keys(feed)) == away, title
