"""Hostile feeds for the fast path (precut, then select): each is spelled so that a cheaper
look would judge it other than the full parse does. select(precut(feed)) must stay byte for
byte select(feed), and select's answers those of the whole feed."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate
from manageup.config import Config, parse_config
from manageup.detect import boss_names, detect
from manageup.sources.ics import feedcache as cache
from manageup.sources.ics import parse_occurrences
from manageup.sources.ics.precut import precut
from manageup.sources.ics.prefilter import Needles, select
from tests.conftest import CHILD_PYTHONPATH, ICS, ROOT, config_text
from tests.unit.test_prefilter import WINDOW, _weekly, answers
from tests.unit.test_prefilter import same as same_answers

RANGE = (date(2026, 7, 20), date(2027, 1, 1))


def _config(name: str = "Sam Rivera", email: str = "sam@example.com",
            aliases: str = '"sam.rivera@old-domain.example"') -> Config:
    return parse_config(config_text(ICS / "x.ics", Path("/nonexistent")).replace(
        'name = "Sam Rivera"', f'name = "{name}"').replace(
        'email = "sam@example.com"', f'email = "{email}"').replace(
        '"sam.rivera@old-domain.example"', aliases))


def _needles(cfg: Config) -> Needles:
    return Needles(cfg.boss_addresses, cfg.detect.title_patterns, boss_names(cfg),
                   cfg.detect.max_attendees)


def _event(*lines: bytes) -> bytes:
    return b"BEGIN:VEVENT\r\n" + b"".join(x + b"\r\n" for x in lines) + b"END:VEVENT\r\n"


def _among_others(*lines: bytes, blocks: bytes = b"") -> bytes:
    """A feed of ordinary events with this one (or these blocks) in the middle (never the
    last: that one holds the trailer and is always kept)."""
    data = generate(120, seed=11).encode()
    at = data.index(b"BEGIN:VEVENT", len(data) // 2)
    return data[:at] + (blocks or _event(*lines)) + data[at:]


def _one_off(*lines: bytes) -> bytes:
    return _among_others(b"UID:hostile@example.com", b"DTSTAMP:20260101T000000Z",
                         b"DTSTART:20261124T100000Z", b"DTEND:20261124T103000Z", *lines)


def _cut_changes_nothing(data: bytes, cfg: Config) -> None:
    n = _needles(cfg)
    for chunk in (700, 1 << 20):
        for since, until in ((None, None), RANGE):
            cut = precut(data, n, chunk=chunk, min_size=0, since=since, until=until)
            assert cut is not None
            assert select(cut, n, since, until)[0] == select(data, n, since, until)[0]


def _found(data: bytes, cfg: Config) -> bool:
    """Detection on the whole feed finds the hostile event."""
    occs = parse_occurrences(data, *WINDOW, cfg.zone).occurrences
    return any(m.occurrence.key.startswith("hostile@") for m in detect(occs, cfg))


def test_title_with_escaped_colon_and_the_name_only() -> None:
    # "1\:1 Sam": a personal entry; icalendar reads the title as "1:1 Sam".
    cfg = _config()
    data = _one_off(b"SUMMARY:1\\:1 Sam")
    assert _found(data, cfg)
    _cut_changes_nothing(data, cfg)


@pytest.mark.parametrize("title", ["1:1 Işık", "1:1 işık", "1:1 İŞIK"])
def test_boss_name_with_dotless_i_in_title(title: str) -> None:
    # Detection takes "ı" for "i" (re.IGNORECASE); casefold keeps it.
    cfg = _config(name="Işık Yilmaz", email="boss@example.com", aliases="")
    data = _one_off(b"SUMMARY:" + title.encode())
    assert _found(data, cfg)
    _cut_changes_nothing(data, cfg)


@pytest.mark.parametrize("alarm", [(), (b"BEGIN:VALARM", b"ACTION:DISPLAY", b"END:VALARM")],
                         ids=["plain", "with an alarm"])
@pytest.mark.parametrize("title", ["1:1 \u017fam", "1:1 \u017f\r\n am", "Caf\u00e9 1:1 Sam",
                                   "\uff11\uff1a\uff11 \uff33\uff41\uff4d", "Re:1\uff4fn1 Sam"])
def test_non_ascii_title_with_ascii_words(title: str, alarm: tuple[bytes, ...]) -> None:
    # The long s casefolds to "s": detection's re.IGNORECASE takes "ſam" for "Sam".
    cfg = _config()
    data = _one_off(b"SUMMARY:" + title.encode(), *alarm)
    assert _found(data, cfg)
    _cut_changes_nothing(data, cfg)


def test_fold_inside_a_multibyte_character_of_the_boss_address() -> None:
    # Simple writers fold at 75 octets, even inside a UTF-8 sequence (RFC 5545 3.1).
    cfg = _config(aliases='"émile@example.com"')
    line = "ATTENDEE:mailto:émile@example.com".encode()
    i = line.index(b"\xc3") + 1
    data = _one_off(b"SUMMARY:Sync", line[:i] + b"\r\n " + line[i:],
                    b"ATTENDEE:mailto:alex@example.com")
    assert b"hostile@example.com" in select(data, _needles(cfg))[0]
    _cut_changes_nothing(data, cfg)


def test_stale_override_beside_a_later_one_for_the_same_instance() -> None:
    # Two overrides of one instance: the parse takes the first (equal SEQUENCE), which
    # moved it into the past; leaving that one out would bring the other into the window.
    data = _weekly("RECURRENCE-ID:20240111T090000Z\r\n"
                   "DTSTART:20240112T090000Z\r\nDTEND:20240112T093000Z\r\n",
                   "RECURRENCE-ID:20240111T090000Z\r\n"
                   "DTSTART:20261120T090000Z\r\nDTEND:20261120T093000Z\r\n")
    same_answers(data)


def test_stale_override_under_a_this_and_future_move() -> None:
    # From 2024-02-01 on, every instance moved 6 days later: the one due on 2026-07-23
    # (outside the range) was cancelled; without its override it would come back on
    # 2026-07-29, inside the window.
    since = WINDOW[0].date() - timedelta(days=2)
    assert date(2026, 7, 23) < since < date(2026, 7, 29)
    data = _weekly("RECURRENCE-ID;RANGE=THISANDFUTURE:20240201T090000Z\r\n"
                   "DTSTART:20240207T090000Z\r\nDTEND:20240207T093000Z\r\n",
                   "RECURRENCE-ID:20260723T090000Z\r\nSTATUS:CANCELLED\r\n"
                   "DTSTART:20260723T090000Z\r\nDTEND:20260723T093000Z\r\n")
    assert answers(data)[0]
    same_answers(data)


def test_feed_cache_fingerprint_covers_every_module_of_the_fast_path() -> None:
    # A fix to the pre-cut must not leave a fresh process reusing what the old code cut.
    code = ("import sys; from manageup.sources.ics.precut import precut; "
            "from manageup.sources import ics; "
            "print(' '.join(m for m in sys.modules if m.startswith('manageup.sources')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT, env={"PYTHONPATH": CHILD_PYTHONPATH})
    loaded = set(out.stdout.split()) - {"manageup.sources.ics.feedcache"}
    assert loaded <= set(cache._CODE)


def test_feed_cache_fingerprint_covers_every_module_a_fetch_reads_with() -> None:
    # A fresh process reuses the cut and expanded feed when the stamp is the same: a fix
    # to how values are read (values.py, which the parse imports) or to the boss's names
    # the cut looks for (detect.boss_names) must make a new one. Modules that shape no
    # entry (the cache itself, files, errors, the config, whose repr is in the stamp) aside.
    code = ("import sys; from manageup.sources.ics.source import IcsSource; "
            "from manageup.sources.ics import parse, precut, prefilter, feedcache; "
            "from manageup.detect import boss_names; "
            "print(' '.join(m for m in sys.modules if m.startswith('manageup')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT, env={"PYTHONPATH": CHILD_PYTHONPATH})
    shape_nothing = {"manageup.sources.ics.feedcache", "manageup.cache", "manageup.files",
                     "manageup.errors", "manageup.config", "manageup.configvalues",
                     "manageup.kinds", "manageup"}
    assert set(out.stdout.split()) - shape_nothing <= set(cache._CODE)


def test_this_and_future_spelled_with_a_blank_before_the_equals_sign() -> None:
    # icalendar strips the parameter's name: this is RANGE=THISANDFUTURE, and from
    # 2024-02-01 on every instance is an hour later.
    data = _weekly("RECURRENCE-ID;RANGE =THISANDFUTURE:20240201T090000Z\r\n"
                   "DTSTART:20240201T100000Z\r\nDTEND:20240201T103000Z\r\n")
    same_answers(data)


def test_uid_with_a_lone_backslash_and_its_escaped_spelling() -> None:
    # icalendar reads "w\1" and "w\\1" alike (a backslash before a character that is not
    # an escape stays): the cancelled instance, naming nobody, is the boss's series'.
    series = _weekly().replace(b"UID:w@", b"UID:w\\1@")
    data = series.replace(
        b"END:VCALENDAR", b"BEGIN:VEVENT\r\nUID:w\\\\1@example.com\r\n"
        b"RECURRENCE-ID:20261126T090000Z\r\nSTATUS:CANCELLED\r\n"
        b"DTSTART:20261126T090000Z\r\nDTEND:20261126T093000Z\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR")
    assert answers(data) != answers(series)
    same_answers(data)


# icalendar reads a property's name with its blanks taken out ("UID :x" is a UID,
# "BEGIN :VALARM" begins an alarm); select must read it so too.
ODD_NAMES = {
    "uid": b"UID :w@example.com",
    "uid spaced": b"U I\tD:w@example.com",
    "uid after a vertical tab": b"\x0bUID:w@example.com",
}


@pytest.mark.parametrize("uid", ODD_NAMES.values(), ids=ODD_NAMES.keys())
def test_cancelled_instance_whose_uid_name_has_blanks(uid: bytes) -> None:
    series = _weekly()
    data = series.replace(
        b"END:VCALENDAR", b"BEGIN:VEVENT\r\n" + uid + b"\r\n"
        b"RECURRENCE-ID:20261126T090000Z\r\nSTATUS:CANCELLED\r\n"
        b"DTSTART:20261126T090000Z\r\nDTEND:20261126T093000Z\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR")
    assert answers(data) != answers(series)
    same_answers(data)
    # And as an override, naming nobody, of the boss's series among ordinary events.
    override = _among_others(uid.replace(b"w@", b"boss-weekly-1on1@"),
                             b"RECURRENCE-ID:20261126T090000Z", b"DTSTART:20261126T110000Z",
                             b"DTEND:20261126T113000Z")
    _cut_or_refused(override, _config(), cut=False)  # a name read as UID: left to select


def test_alarm_begun_with_a_blank_before_the_colon() -> None:
    # The e-mail alarm's attendees are not the event's: still a 1:1.
    data = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\n"
            b"UID:one@example.com\r\nDTSTART:20261120T090000Z\r\nDTEND:20261120T093000Z\r\n"
            b"SUMMARY:Catch-up\r\nORGANIZER:mailto:sam@example.com\r\n"
            b"ATTENDEE:mailto:alex@example.com\r\nBEGIN :VALARM\r\nACTION:EMAIL\r\n"
            b"TRIGGER:-PT10M\r\nATTENDEE:mailto:priya@example.com\r\n"
            b"ATTENDEE:mailto:jordan@example.com\r\nEND :VALARM\r\nEND:VEVENT\r\n"
            b"END:VCALENDAR\r\n")
    assert answers(data)[0]
    same_answers(data)


# A name that may read as BEGIN, END or UID makes the pre-cut leave the feed to select;
# any other name with blanks is cut around.
@pytest.mark.parametrize(("line", "cut"), [
    (b"BEGIN :VALARM", False), (b"END :VEVENT", False), (b"B EGIN:VALARM", False),
    (b"BEGIN \r\n :VALARM", False), (b"UID \r\n :x", False), (b"X-A\r\n  :1", True),
    (b"DTEND \r\n :20240101T100000Z", True), (b"\x1cBEGIN:VALARM", False)])
def test_names_with_blanks_among_ordinary_events(line: bytes, cut: bool) -> None:
    _cut_or_refused(_one_off(b"SUMMARY:Vendor sync", line), _config(), cut=cut)


def _cut_or_refused(data: bytes, cfg: Config, *, cut: bool) -> None:
    """The pre-cut cuts the feed (and select keeps what it keeps from the whole) or, when
    `cut` is False, gives up on it, for every chunk size and with and without the range."""
    n = _needles(cfg)
    for chunk in (700, 1 << 20):
        for since, until in ((None, None), RANGE):
            got = precut(data, n, chunk=chunk, min_size=0, since=since, until=until)
            assert (got is not None) == cut, "cut expected" if cut else "refusal expected"
            if got is not None:
                assert select(got, n, since, until)[0] == select(data, n, since, until)[0]


def test_uid_with_an_unclosed_quote_in_a_parameter() -> None:
    # select reads the value on the UID line only (none here: the event is in the no-UID
    # group, with the boss's event); the pre-cut must not find one on a later line.
    alarm = (b"BEGIN:VALARM", b"ACTION:DISPLAY", b"END:VALARM")  # the slow path's chunks
    boss = _event(b"DTSTART:20261124T100000Z", b"DTEND:20261124T103000Z",
                  b"ORGANIZER:mailto:sam@example.com", b"ATTENDEE:mailto:alex@example.com",
                  *alarm)
    odd = _event(b'UID;X="abc', b"DTSTART:20261124T100000Z",
                 b'DESCRIPTION:say "hi:there"', *alarm)
    data = _among_others(blocks=boss + odd)
    _cut_changes_nothing(data, _config())


def test_a_megabyte_of_mailto_on_one_line_takes_no_time_to_select() -> None:
    # A stranger's invite may carry a line of up to ics.MAX_LINE bytes; a regex that
    # backtracks over it from every "mailto:" would take tens of minutes.
    code = ("import sys; from manageup.sources.ics.prefilter import select; "
            "from tests.unit.test_prefilter import needles; "
            "line = b'X-A:' + b'mailto:' * 140_000; "
            "data = b'BEGIN:VCALENDAR\\r\\nBEGIN:VEVENT\\r\\nUID:a\\r\\n' + line + "
            "b'\\r\\nATTENDEE:mailto:sam@example.com\\r\\nEND:VEVENT\\r\\nEND:VCALENDAR\\r\\n'; "
            "print(select(data, needles())[1])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT, timeout=120,
                         env={"PYTHONPATH": CHILD_PYTHONPATH})
    assert out.stdout.strip() == "1"


def test_thousands_of_open_components_closed_by_strangers_take_no_time() -> None:
    # Every END that closes nothing open was checked against the whole stack of open
    # components: 100,000 of each took hours.
    code = ("from manageup.sources.ics.prefilter import select; "
            "from tests.unit.test_prefilter import needles; "
            "data = (b'BEGIN:VCALENDAR\\r\\nBEGIN:VEVENT\\r\\nUID:a\\r\\n' "
            "+ b'BEGIN:X\\r\\n' * 100_000 + b'END:Y\\r\\n' * 100_000 "
            "+ b'END:VEVENT\\r\\nEND:VCALENDAR\\r\\n'); "
            "print(select(data, needles())[2])")  # the event, though not clean
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT, timeout=120,
                         env={"PYTHONPATH": CHILD_PYTHONPATH})
    assert out.stdout.strip() == "1"


@st.composite
def overridden_weekly(draw: st.DrawFn) -> bytes:
    """The boss's weekly 1:1 since 2024 with overrides of instances near the range's
    edges: moved across them, cancelled, twice over, under a RANGE override, under a UID
    spelled otherwise, or without their series."""
    edges = [date(2026, 7, 23), date(2026, 7, 30), date(2026, 12, 24), date(2026, 12, 31),
             date(2024, 1, 11), date(2025, 5, 1)]
    overrides = []
    for _ in range(draw(st.integers(1, 4))):
        was = draw(st.sampled_from(edges)) + timedelta(weeks=draw(st.integers(-1, 1)))
        moved = was + timedelta(days=draw(st.sampled_from([0, 1, -3, 6, 200, -200])))
        zone = draw(st.sampled_from(["Z", ";TZID=Pacific/Kiritimati", ";TZID=Europe/Berlin"]))
        stamp = (":{:%Y%m%d}T090000Z" if zone == "Z" else zone + ":{:%Y%m%d}T090000")
        rid = "RECURRENCE-ID" + draw(st.sampled_from(["", "", ";RANGE=THISANDFUTURE"]))
        lines = [rid + f":{was:%Y%m%d}T090000Z", "DTSTART" + stamp.format(moved),
                 "DTEND" + stamp.format(moved).replace("T0900", "T0930")]
        lines += draw(st.lists(st.sampled_from(["STATUS:CANCELLED", "SEQUENCE:1",
                                                "SEQUENCE:2"]), max_size=2, unique=True))
        override = "".join(x + "\r\n" for x in lines)
        overrides.append(override if draw(st.integers(0, 4)) else f"X-{override}")
    data = _weekly(*draw(st.permutations(overrides)))
    # "X-" marks the overrides written under "W@example.com", another UID to the parse.
    data = data.replace(b"UID:w@example.com\r\nDTSTAMP:20240101T000000Z\r\nX-",
                        b"UID:W@example.com\r\nDTSTAMP:20240101T000000Z\r\n")
    if draw(st.booleans()):
        return data
    return data.replace(data[data.index(b"BEGIN:VEVENT"):data.index(b"END:VEVENT") + 12], b"")


@settings(max_examples=40, deadline=None, derandomize=True)
@given(overridden_weekly())
def test_overrides_near_the_range_edges_give_the_same_answers(data: bytes) -> None:
    same_answers(data)


@pytest.mark.parametrize("sequence", ["SEQUENCE:1\r\nSEQUENCE:2\r\n", "SEQUENCE:abc\r\n",
                                      "SEQUENCE:1.5\r\n"])
def test_old_override_whose_sequence_the_expansion_cannot_compare(sequence: str) -> None:
    # The full parse loses the whole series over it; so must the fast path.
    data = _weekly("RECURRENCE-ID:20240111T090000Z\r\nDTSTART:20240112T090000Z\r\n"
                   "DTEND:20240112T093000Z\r\n" + sequence)
    same_answers(data)


def test_old_instance_invitation_beside_one_in_the_window() -> None:
    # Invited to two instances of the boss's series, not to the series (no master): the
    # parse keys each by its instance, as one of a series; without the old one, the
    # other would be a one-off under another key (its digest sent again).
    data = _weekly("RECURRENCE-ID:20240111T090000Z\r\nDTSTART:20240111T090000Z\r\n"
                   "DTEND:20240111T093000Z\r\n",
                   "RECURRENCE-ID:20261126T090000Z\r\nDTSTART:20261126T100000Z\r\n"
                   "DTEND:20261126T103000Z\r\n")
    master = data[data.index(b"BEGIN:VEVENT"):data.index(b"END:VEVENT\r\n") + 12]
    data = data.replace(master, b"")
    assert answers(data)[0]
    same_answers(data)


def test_end_named_after_a_look_alike_property() -> None:
    # "DTEND-X" comes first: the event's own DTEND still runs into the window.
    data = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:long@x\r\n"
            b"DTSTART:20260720T090000Z\r\nDTEND-X:1\r\nDTEND:20260805T093000Z\r\n"
            b"SUMMARY:Offsite\r\nORGANIZER:mailto:sam@example.com\r\n"
            b"ATTENDEE:mailto:alex@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    assert answers(data)[0]
    same_answers(data)


BOSSES = ["Al Bo", "Jo (CEO) Smith", "Zoë Ångström", "İlker Kaya", "Işık Yılmaz",
          "Sam O'Brien", "Ma, Li", "Zhang Wei 张伟", "Straße Max", "K K"]


@st.composite
def boss_titles(draw: st.DrawFn) -> tuple[str, bytes]:
    """A boss's name, and a feed with personal 1:1 entries naming them however a
    writer or a user spells it: in capitals, casefolded, escaped, folded anywhere."""
    name = draw(st.sampled_from(BOSSES))
    blocks = []
    for k in range(draw(st.integers(1, 3))):
        shown = draw(st.sampled_from([name, name.upper(), name.casefold(), name.swapcase(),
                                      name.replace(",", "\\,"), name.replace(" ", "\u00a0")]))
        pattern = draw(st.sampled_from(["1:1", "1\\:1", "ONE-ON-ONE"]))
        line = f"SUMMARY:{pattern} {shown}"
        raw = line.encode()
        cuts = sorted(draw(st.sets(st.integers(1, len(raw) - 1), max_size=3)))
        folded = b"\r\n ".join(raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)],
                                                           strict=True))
        alarm = (b"BEGIN:VALARM", b"ACTION:DISPLAY", b"END:VALARM") if draw(st.booleans()) \
            else ()
        blocks.append(_event(f"UID:t{k}@x".encode(), b"DTSTART:20261120T090000Z",
                             b"DTEND:20261120T093000Z", folded, *alarm))
    return name, _among_others(blocks=b"".join(blocks))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(boss_titles())
def test_boss_named_in_titles_however_spelled(case: tuple[str, bytes]) -> None:
    name, data = case
    _cut_changes_nothing(data, _config(name=name))


def test_junk_line_with_blanks_before_a_colon_keeps_the_pre_cut() -> None:
    # A raw line break in a description: icalendar reads a property "BESTREGARDS"; only
    # a name that could read as BEGIN, END or UID makes the pre-cut leave the feed whole.
    data = _one_off(b"SUMMARY:Vendor sync", b"Best regards: Pat", b"BEGIN:VALARM",
                    b"ACTION:DISPLAY", b"END:VALARM")
    _cut_changes_nothing(data, _config())


@pytest.mark.parametrize("space", ["\u2028", "\u0085", "\u1680", "\u3000", "\u00a0", "\x1c",
                                   "\x1f", "\x0b"], ids=repr)
def test_boss_address_with_any_whitespace_inside(space: str) -> None:
    # Detection squeezes every whitespace str.split knows out of an address (model.address);
    # the byte search and the closer look squeezed only spaces and tabs, so the boss's
    # address with a line separator or an information separator inside was lost.
    cfg = _config()
    data = _one_off(b"SUMMARY:Sync", f"ORGANIZER:mailto:sam{space}@example.com".encode(),
                    b"ATTENDEE:mailto:alex@example.com")
    assert _found(data, cfg)
    assert b"hostile@example.com" in select(data, _needles(cfg))[0]
    same_answers(data)
    _cut_changes_nothing(data, cfg)


@pytest.mark.parametrize("line", [
    b"ORGANIZER:mailto:sam@example\\n.com",
    b"ATTENDE\r\n E;CN=Sam:mailto:sam@example\\N.com",  # the name split by a fold
    b"ORGANIZER;CN=Sam:mailto:sam@example\\\r\n n.com",  # the escape split by a fold
    b"Organizer ;CN=Sam:mailto:sam@exam\\nple.com",  # a blank in the name
], ids=["plain", "folded-name", "folded-escape", "blank-in-name"])
def test_boss_address_with_an_escaped_line_break_inside(line: bytes) -> None:
    # icalendar unescapes a person's value as TEXT: "\n" is a line break, which
    # model.address squeezes out, so the full parse finds the boss where the byte search
    # saw "sam@example\n.com" (boss_address_escaped_line_break.ics holds the plain cases).
    cfg = _config()
    data = _one_off(b"SUMMARY:Catch-up", line, b"ATTENDEE:mailto:alex@example.com")
    assert _found(data, cfg)
    assert b"hostile@example.com" in select(data, _needles(cfg))[0]
    same_answers(data)
    _cut_changes_nothing(data, cfg)


@pytest.mark.parametrize("blank", ["\u00a0", "\u2003", "\x1f", " \t"])
def test_a_cancelled_instance_whose_uid_ends_in_any_blank(blank: str) -> None:
    # The cancelled instance names nobody, so select keeps it only under the series' UID:
    # the whole parse and the fast path must take a UID ending in a blank alike.
    series = ("BEGIN:VEVENT\r\nUID:w@example.com\r\nDTSTART:20261105T090000Z\r\n"
              "DTEND:20261105T093000Z\r\nRRULE:FREQ=WEEKLY\r\nSUMMARY:Sam / Alex 1:1\r\n"
              "ORGANIZER:mailto:sam@example.com\r\nATTENDEE:mailto:alex@example.com\r\n"
              "END:VEVENT\r\n")
    cancelled = (f"BEGIN:VEVENT\r\nUID:w@example.com{blank}\r\n"
                 "RECURRENCE-ID:20261203T090000Z\r\nDTSTART:20261203T090000Z\r\n"
                 "DTEND:20261203T093000Z\r\nSTATUS:CANCELLED\r\nSUMMARY:Cancelled\r\n"
                 "END:VEVENT\r\n")
    same_answers(("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" + series + cancelled
                  + "END:VCALENDAR\r\n").encode())
