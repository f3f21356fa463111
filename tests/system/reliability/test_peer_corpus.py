"""The fast path against the full parse on calendars written by other projects: the .ics
test files of eleven of them (icalendar, recurring-ical-events, ical4j, libical, ical.js,
Apple's calendar server, KCalendarCore, Evolution Data Server, khal, Radicale,
sabre/vobject; pinned), as shipped and with the boss and the user added to every event in
several spellings, for max_attendees 2 and 50. Zero disagreements.

The files are vendored under tests/fixtures/peers with their provenance."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from manageup.away import is_away
from manageup.config import Config, parse_config
from manageup.detect import boss_names, detect
from manageup.errors import SourceError
from manageup.history import history_of
from manageup.sources.ics import REDUCE_MARGIN, check_lines, parse_occurrences
from manageup.sources.ics.prefilter import Needles, select
from tests.conftest import BERLIN, ICS, ROOT, config_text
from tests.system.reliability.conftest import FIGURES

# Vendored with their provenance (tests/fixtures/peers/PROVENANCE.md): no download.
PEERS = ROOT / "tests" / "fixtures" / "peers"

# The boss and the user as other tools spell them: upper-case MAILTO, a fold inside the
# address, a CN holding ':' and ','.
SPELLINGS = [
    ("ATTENDEE;PARTSTAT=ACCEPTED:MAILTO:SAM@EXAMPLE.COM",
     "ATTENDEE;PARTSTAT=ACCEPTED:MAILTO:ALEX@EXAMPLE.COM"),
    ("ATTENDEE;CN=Sam Rivera:mailto:sam@exa{nl} mple.com",
     "ATTENDEE;CN=Alex:mailto:al{nl}  ex@example.com"),
    ('ATTENDEE;CN="Rivera, Sam: Boss":mailto:sam@example.com',
     'ATTENDEE;CN="Chen, Alex: me":mailto:alex@example.com'),
]


def _config(max_attendees: int) -> Config:
    return parse_config(config_text(ICS / "x.ics", Path("/nonexistent"),
                                    extra=f"[detect]\nmax_attendees = {max_attendees}"))


CONFIGS = [_config(2), _config(50)]


@pytest.fixture(scope="session")
def peer_files() -> list[tuple[str, bytes]]:
    files = [(str(p.relative_to(PEERS)), p.read_bytes()) for p in sorted(PEERS.rglob("*.ics"))]
    assert len(files) > 800, f"the peers' test calendars are missing from {PEERS}"
    return files


def inject(data: bytes, rotation: int) -> bytes:
    """The boss and the user added to every event, right after its BEGIN line; the
    spelling rotates from event to event."""
    nl = "\r\n" if b"\r\n" in data else "\n"
    count = 0

    def add(m: re.Match[bytes]) -> bytes:
        nonlocal count
        boss, me = SPELLINGS[(count + rotation) % len(SPELLINGS)]
        count += 1
        return m.group(0) + f"{boss}{nl}{me}{nl}".replace("{nl}", nl).encode()

    return re.sub(rb"(?im)^BEGIN:VEVENT\r?\n", add, data)


def window(data: bytes) -> tuple[datetime, datetime]:
    """From the file's first start to a year after: where its events are."""
    days = []
    for m in re.finditer(rb"(?i)\nDTSTART[^:\r\n]*:(\d{8})", data):
        try:
            days.append(date(int(m[1][:4]), int(m[1][4:6]), int(m[1][6:8])))
        except ValueError:
            continue
    first = min((d for d in days if d.year >= 1900), default=date(2020, 1, 1))
    start = datetime.combine(first - timedelta(days=2), time(0), tzinfo=BERLIN)
    return start, start + timedelta(days=400)


@dataclass
class Outcome:
    matches: list[tuple[str, str, str]]
    history: list[tuple[str, str]]
    error: str = ""
    away: list[str] = field(default_factory=list)  # the user's out-of-office entries


def outcome(data: bytes, lo: datetime, hi: datetime, configs: list[Config]) \
        -> list[Outcome]:
    try:
        occs = parse_occurrences(data, lo, hi, BERLIN, calendar="peer").occurrences
    except SourceError as e:
        return [Outcome([], [], str(e)) for _ in configs]
    return [Outcome(sorted((m.occurrence.key, m.occurrence.start.isoformat(), m.reason)
                           for m in detect(occs, cfg)),
                    sorted((h.key, h.status) for h in history_of(occs, cfg)),
                    away=sorted(o.key for o in occs if is_away(o, cfg)))
            for cfg in configs]


def fast(data: bytes, lo: datetime, hi: datetime, cfg: Config) -> Outcome:
    """As the source runs it: cut for the window with its margin, then parse."""
    needles = Needles(cfg.boss_addresses, cfg.detect.title_patterns, boss_names(cfg),
                      cfg.detect.max_attendees)
    reduced, kept, seen = select(data, needles, lo.date() - REDUCE_MARGIN,
                                 hi.date() + REDUCE_MARGIN)
    if seen and not kept:
        return Outcome([], [])
    return outcome(reduced, lo, hi, [cfg])[0]


def cases(files: list[tuple[str, bytes]]) -> Iterator[tuple[str, bytes]]:
    for name, data in files:
        yield name, data
        for rotation in range(len(SPELLINGS)):
            yield f"{name} (boss and user added, spelling {rotation})", inject(data, rotation)


def test_fast_path_agrees_with_the_full_parse(peer_files: list[tuple[str, bytes]]) -> None:
    disagreements, compared, found, refused, away = [], 0, 0, 0, 0
    lost: list[str] = []  # refused whole with events in it: a flaw cost more than itself
    for name, raw in cases(peer_files):
        data, _cut = check_lines(raw, "peer")
        lo, hi = window(data)
        full = outcome(data, lo, hi, CONFIGS)
        for cfg, want in zip(CONFIGS, full, strict=True):
            got = fast(data, lo, hi, cfg)
            compared += 1
            found += len(want.matches)
            away += len(want.away)
            if want.error and not got.matches:
                refused += 1  # unreadable whole; the cut feed finds nothing either
                if re.search(rb"(?im)^begin:vevent\r?$", data):
                    lost.append(f"{name}: {want.error}")
                continue
            if (got.matches, got.history, got.away) != \
                    (want.matches, want.history, want.away) or got.error:
                disagreements.append(f"{name} (max_attendees {cfg.detect.max_attendees}): "
                                     f"full {want.matches[:3]} {want.error}, fast "
                                     f"{got.matches[:3]} {got.error}")
    FIGURES["peer calendar files compared (fast path vs full parse)"] += compared
    FIGURES["peer 1:1s found"] += found
    FIGURES["peer out-of-office entries found"] += away
    FIGURES["peer disagreements"] += len(disagreements)
    FIGURES["peer comparisons of a feed refused whole by both paths"] += refused
    assert found > 35000  # the injected boss and user make many events 1:1s
    assert disagreements == [], "\n".join(disagreements[:20])
    assert lost == [], "\n".join(lost[:20])


def test_every_peer_folder_has_its_provenance_and_licence() -> None:
    """A vendored folder without a PROVENANCE.md row or its licence file could not be
    redistributed with the project."""
    provenance = (PEERS / "PROVENANCE.md").read_text()
    folders = sorted(p for p in PEERS.iterdir() if p.is_dir())
    assert len(folders) >= 11
    for folder in folders:
        assert f"| `{folder.name}/` |" in provenance, f"{folder.name}: no PROVENANCE.md row"
        licences = [p for p in folder.rglob("*") if p.is_file() and re.match(
            r"(?i)(licen[cs]e|copying)", p.relative_to(folder).as_posix())]
        assert licences, f"{folder.name}: no licence file"
