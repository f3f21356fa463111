"""Each class of feed that once lost a 1:1 on the fast path, or refused a feed, has a
fixture named by its edge case: the full parse and the fast path (the source as the
daemon runs it) find the same 1:1s, and find the one that is there."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.generate import generate
from manageup.config import Calendar, Config, parse_config
from manageup.detect import boss_names, detect
from manageup.sources.ics import IcsSource, parse_occurrences
from manageup.sources.ics.precut import precut
from manageup.sources.ics.prefilter import Needles
from tests.conftest import BERLIN, ICS, at, config_text

NOV = (at("2026-11-01T00:00+01:00"), at("2026-12-31T00:00+01:00"))


def config(boss_email: str = "sam@example.com", boss_name: str = "Sam Rivera") -> Config:
    text = config_text(ICS / "x.ics", Path("/nonexistent"))
    text = text.replace('email = "sam@example.com"', f'email = "{boss_email}"')
    text = text.replace('name = "Sam Rivera"', f'name = "{boss_name}"')
    return parse_config(text)


DEFAULT = config()
EMILE = config("émile@example.com", "Émile Dubois")
COMMA = config("s.rivera@example.com", "Rivera, Sam")

CASES = [
    ("unterminated_only_event.ics", DEFAULT, []),
    ("unterminated_last_event.ics", DEFAULT, ["good@example.com"]),
    ("room_cn_with_colon.ics", DEFAULT, ["room-colon@example.com"]),
    ("quoted_cutype_room.ics", DEFAULT, ["quoted-room@example.com"]),
    ("organizer_resource.ics", DEFAULT, ["org-resource@example.com"]),
    ("organizer_non_participant.ics", DEFAULT, ["org-nonpart@example.com"]),
    ("valarm_with_attendee.ics", DEFAULT, ["alarm-attendee@example.com"]),
    ("valarm_with_uid.ics", DEFAULT, ["series-alarm@example.com"] * 3),
    ("non_ascii_capitals.ics", EMILE, ["emile-org@example.com", "emile-personal@example.com"]),
    ("boss_name_escaped_comma.ics", COMMA, ["comma@example.com"]),
    ("address_fold_extra_whitespace.ics", DEFAULT, ["fold-space@example.com"]),
    ("blank_line_before_continuation.ics", DEFAULT, ["blank-fold@example.com"]),
    ("concatenated_vcalendars.ics", DEFAULT, ["second-cal@example.com"]),
    ("bare_vevent_feed.ics", DEFAULT, ["bare@example.com"]),
    ("cr_only_line_endings.ics", DEFAULT, ["cr-only@example.com"]),
    ("vtimezone_bad_line.ics", DEFAULT, ["bad-tz-line@example.com"]),
    ("bom_before_vcalendar.ics", DEFAULT, ["bom@example.com"]),
    ("whitespace_before_vcalendar.ics", DEFAULT, ["leading-blank@example.com"]),
    ("date_value_with_tzid.ics", DEFAULT, []),  # all day: a date is not a meeting
    ("vtimezone_impossible_offset.ics", DEFAULT, ["icloud-offset@example.com"]),
    ("vtodo_bad_date.ics", DEFAULT, ["todo-neighbour@example.com"]),
    ("valarm_bad_trigger.ics", DEFAULT, ["bad-alarm@example.com"]),
    ("tzid_leading_space.ics", DEFAULT, ["tzid-leading-space@example.com"]),
    ("one_off_rdate_in_window.ics", DEFAULT, ["rdate-in-window@example.com"]),
    ("one_off_rdate_tab_folded.ics", DEFAULT, ["rdate-tab-fold@example.com"]),
    ("boss_address_tab_fold.ics", DEFAULT, ["tab-fold@example.com"]),
    ("boss_address_tab_fold_lf.ics", DEFAULT, ["tab-fold-lf@example.com"]),
    ("vtimezone_rdate_value_date.ics", DEFAULT,
     ["rdate-date-paris@example.com", "rdate-date-zone@example.com"]),
    ("vtimezone_tzid_value_date.ics", DEFAULT, ["tzid-date@example.com"]),
    ("date_value_with_tzid_any_order.ics", DEFAULT, ["timed-control@example.com"]),
    ("vtimezone_tzid_with_blanks.ics", DEFAULT,
     ["tzid-space-before@example.com", "tzid-space-after@example.com",
      "tzid-quoted-spaces@example.com", "tzid-plain@example.com"]),
    ("component_name_with_blanks.ics", DEFAULT,
     ["blank-after-begin@example.com", "blank-before-name@example.com",
      "plain-neighbour@example.com"]),
    ("boss_address_escaped_line_break.ics", DEFAULT,
     ["escaped-break-org@example.com", "escaped-break-att@example.com",
      "escaped-break-fold@example.com"]),
]


def found(occurrences, cfg: Config) -> list[tuple[str, str]]:
    return [(m.occurrence.uid, m.occurrence.start.isoformat()) for m in detect(occurrences, cfg)]


@pytest.mark.parametrize(("name", "cfg", "uids"), CASES, ids=[c[0] for c in CASES])
def test_fast_path_finds_what_the_full_parse_finds(name: str, cfg: Config,
                                                   uids: list[str]) -> None:
    full = found(parse_occurrences((ICS / name).read_bytes(), *NOV, BERLIN).occurrences, cfg)
    source = IcsSource(Calendar(type="ics", path=ICS / name), cfg)
    fast = found(source.fetch(*NOV, BERLIN).occurrences, cfg)
    assert fast == full
    assert [uid for uid, _start in full] == uids


# Feeds over a megabyte take the chunked pre-cut before select (issue 30.1).
BIG = ["one_off_rdate_in_window.ics", "one_off_rdate_tab_folded.ics", "boss_address_tab_fold.ics",
       "boss_address_tab_fold_lf.ics", "address_fold_extra_whitespace.ics",
       "date_value_with_tzid_any_order.ics", "vtimezone_tzid_with_blanks.ics",
       "boss_address_escaped_line_break.ics"]


def among_a_megabyte(data: bytes) -> bytes:
    """The fixture's components (its time zones too) inside a generated feed over a
    megabyte, its line ends kept (an LF-only fixture in an LF-only feed)."""
    big = generate(4000, seed=3).encode()
    if b"\r\n" not in data:
        big = big.replace(b"\r\n", b"\n")
    events = data[data.index(b"BEGIN:V", data.index(b"BEGIN:VCALENDAR") + 1):
                  data.rindex(b"END:VCALENDAR")]
    at_ = big.index(b"BEGIN:VEVENT", len(big) // 2)
    return big[:at_] + events + big[at_:]


@pytest.mark.parametrize("name", BIG)
def test_fast_path_over_a_megabyte_finds_what_the_full_parse_finds(name: str,
                                                                   tmp_path: Path) -> None:
    uids = next(u for n, _c, u in CASES if n == name)
    small = found(parse_occurrences((ICS / name).read_bytes(), *NOV, BERLIN).occurrences,
                  DEFAULT)
    path = tmp_path / name
    path.write_bytes(among_a_megabyte((ICS / name).read_bytes()))
    n = DEFAULT
    needles = Needles(n.boss_addresses, n.detect.title_patterns, boss_names(n),
                      n.detect.max_attendees)
    assert precut(path.read_bytes(), needles) is not None  # the pre-cut does cut it
    source = IcsSource(Calendar(type="ics", path=path), DEFAULT)
    fast = [f for f in found(source.fetch(*NOV, BERLIN).occurrences, DEFAULT)
            if f[0] in uids]
    assert fast == small and [uid for uid, _start in fast] == uids


def test_unterminated_event_is_named(caplog: pytest.LogCaptureFixture) -> None:
    r = IcsSource(Calendar(type="ics", path=ICS / "unterminated_last_event.ics"),
                  DEFAULT).fetch(*NOV, BERLIN)
    assert any("partial@example.com" in w for w in r.warnings)


def test_valarm_uid_does_not_split_the_series() -> None:
    source = IcsSource(Calendar(type="ics", path=ICS / "valarm_with_uid.ics"), DEFAULT)
    starts = [o.start for o in source.fetch(*NOV, BERLIN).occurrences]
    assert at("2026-11-13T16:00+01:00") in starts  # the moved instance, from its override
    assert at("2026-11-12T10:00+01:00") not in starts


def test_event_without_uid_gets_a_stable_identity() -> None:
    data = (ICS / "event_without_uid.ics").read_bytes()
    first = parse_occurrences(data, *NOV, BERLIN).occurrences
    again = parse_occurrences(data, *NOV, BERLIN).occurrences
    matches = detect(first, DEFAULT)
    assert len(matches) == 2
    keys = [m.occurrence.key for m in matches]
    assert len(set(keys)) == 2 and all(keys)
    assert keys == [o.key for o in again]
    source = IcsSource(Calendar(type="ics", path=ICS / "event_without_uid.ics"), DEFAULT)
    assert [o.key for o in source.fetch(*NOV, BERLIN).occurrences] == keys


def test_date_with_tzid_is_all_day_whatever_the_parameter_order() -> None:
    """Issue 24.4 (attack2 B2): VALUE=DATE before the TZID, quoted, or folded, is a date."""
    occs = parse_occurrences((ICS / "date_value_with_tzid_any_order.ics").read_bytes(), *NOV,
                             BERLIN).occurrences
    days = {o.uid: (o.all_day, o.start.isoformat()) for o in occs}
    assert days == {"date-value-first@example.com": (True, "2026-12-03T00:00:00+01:00"),
                    "date-value-quoted@example.com": (True, "2026-12-10T00:00:00+01:00"),
                    "date-value-folded@example.com": (True, "2026-12-17T00:00:00+01:00"),
                    "timed-control@example.com": (False, "2026-11-26T10:00:00+01:00")}


def test_blanks_around_a_tzid_name_the_same_zone() -> None:
    """Issue 24.4 (attack2 B3): "TZID: Office " and "TZID= Office" are one zone, +05:00."""
    source = IcsSource(Calendar(type="ics", path=ICS / "vtimezone_tzid_with_blanks.ics"),
                       DEFAULT)
    for occs in (parse_occurrences((ICS / "vtimezone_tzid_with_blanks.ics").read_bytes(),
                                   *NOV, BERLIN).occurrences,
                 source.fetch(*NOV, BERLIN).occurrences):
        assert [o.start.isoformat() for o in occs] == [
            "2026-12-03T06:00:00+01:00", "2026-12-04T06:00:00+01:00",
            "2026-12-07T06:00:00+01:00", "2026-12-08T06:00:00+01:00"]


def test_a_zone_defined_nowhere_is_named() -> None:
    """Read as the user's own wall clock, as before, but no longer in silence."""
    r = parse_occurrences((ICS / "tzid_defined_nowhere.ics").read_bytes(), *NOV, BERLIN, "work")
    assert [o.start.isoformat() for o in r.occurrences] == ["2026-12-03T10:00:00+01:00"]
    assert r.warnings == ["work: event zone-nowhere@example.com names the time zone "
                          "'Head Office', which the feed does not define; read in your own "
                          "time zone"]


def test_an_override_whose_uid_ends_in_a_blank_is_the_series_own() -> None:
    """The cancelled instance of 3 December names the series' UID with a blank and a tab
    after it: it is that instance, called off, not shown as held."""
    name = "override_uid_with_trailing_blank.ics"
    source = IcsSource(Calendar(type="ics", path=ICS / name), DEFAULT)
    for occs in (parse_occurrences((ICS / name).read_bytes(), *NOV, BERLIN).occurrences,
                 source.fetch(*NOV, BERLIN).occurrences):
        dec3 = [o for o in occs if o.start == at("2026-12-03T10:00+01:00")]
        assert [(o.uid, o.status) for o in dec3] == [("uid-blank@example.com", "CANCELLED")]
