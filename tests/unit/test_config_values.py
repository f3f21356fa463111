"""Each config value refused or taken at its limits, and the line the user reads when it is
refused: the key, what it takes, what it got. Written against the mutants of configvalues.py
the other config tests let through (issue 30.3)."""

from __future__ import annotations

import logging
from datetime import time, timedelta
from pathlib import Path

import pytest

from manageup.config import Config, parse_config, parse_duration
from manageup.configvalues import address_problem, format_duration
from manageup.errors import ConfigError
from tests.conftest import ROOT

EXAMPLE = (ROOT / "examples" / "config.toml").read_text()


def _with(section: str, line: str) -> str:
    """The bundled example with `line` in [section] (replacing the key, adding the table)."""
    key = line.split("=")[0].strip()
    text = "\n".join(k for k in EXAMPLE.splitlines() if k.split("=")[0].strip() != key) + "\n"
    if section == "calendars":  # the one [[calendars]] table
        return text.replace('path = "calendar.ics"\n', f'path = "calendar.ics"\n{line}\n', 1)
    if f"[{section}]\n" in text:
        return text.replace(f"[{section}]\n", f"[{section}]\n{line}\n", 1)
    return f"{text}\n[{section}]\n{line}\n"


def refused(text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    assert err.value.exit_code == 2
    return list(err.value.problems)


@pytest.mark.parametrize("section,line,problem", [
    # A value of the wrong type names what it got in the user's words, not Python's.
    ("boss", "name = 5", "boss.name: expected a string, got a number"),
    ("boss", "name = 1.5", "boss.name: expected a string, got a number"),
    ("boss", 'name = ["Sam"]', "boss.name: expected a string, got a list"),
    ("boss", "name = {first = 'Sam'}", "boss.name: expected a string, got a table"),
    ("boss", "name = true", "boss.name: expected a string, got true/false"),
    ("boss", "name = 2026-11-05", "boss.name: expected a string, got datetime.date(2026, 11, 5)"),
    ("service", 'watchdog = "yes"', "service.watchdog: expected true or false, got a string"),
    ("boss", 'aliases = "sam@corp.example"', "boss.aliases: expected a list, got a string"),
    ("boss", "aliases = [5]", "boss.aliases[0]: expected a string, got a number"),
    ("delivery", 'method = "pigeon"',
     "delivery.method: 'pigeon' is not one of: maildir, smtp, gmail, stdout"),
    ("store", 'path = ""', "store.path: expected a path string, got ''"),
    ("me", "timezone = 5",
     'me.timezone: unknown time zone 5; use an IANA name like "Europe/Berlin"'),
    ("detect", "max_attendees = true",
     "detect.max_attendees: expected a whole number from 1 to 1000, got True"),
    ("calendars", "timeout = 0",
     "calendars[0].timeout: expected a number of seconds above 0 and at most 86400, got 0"),
    ("calendars", "timeout = true",
     "calendars[0].timeout: expected a number of seconds above 0 and at most 86400, got True"),
    ("calendars", 'timeout = "20"',
     "calendars[0].timeout: expected a number of seconds above 0 and at most 86400, got '20'"),
    ("calendars", "timeout = 86401",
     "calendars[0].timeout: expected a number of seconds above 0 and at most 86400, "
     "got 86401"),
    ("digest", "send_window = 7", 'digest.send_window: expected a window like "07:00-21:00" '
     "(hours 00 to 23, minutes 00 to 59, the end may be 24:00), got 7"),
])
def test_a_wrong_value_is_refused_saying_what_it_got(section: str, line: str,
                                                    problem: str) -> None:
    assert refused(_with(section, line)) == [problem]


@pytest.mark.parametrize("window", ["07:60-21:00", "07:00-24:30", "24:00-06:00"])
def test_a_window_past_the_clock_is_refused(window: str) -> None:
    (problem,) = refused(_with("digest", f'send_window = "{window}"'))
    assert problem.startswith("digest.send_window: expected a window like")


@pytest.mark.parametrize("window,read", [
    ("23:00-23:59", (time(23), time(23, 59))),
    ("07:59-08:00", (time(7, 59), time(8))),
    ("07:00-23:30", (time(7), time(23, 30))),
])
def test_a_window_at_the_clock_s_last_hour_and_minute_is_taken(
        window: str, read: tuple[time, time]) -> None:
    assert parse_config(_with("digest", f'send_window = "{window}"')).digest.send_window == read


def test_values_at_their_limits_are_taken() -> None:
    """Each range includes both of its ends."""
    def load(section: str, line: str) -> Config:
        return parse_config(_with(section, line))

    assert load("detect", "max_attendees = 1").detect.max_attendees == 1
    assert load("detect", "max_attendees = 1000").detect.max_attendees == 1000
    assert load("digest", "question_cooldown = 0").digest.question_cooldown == 0
    assert load("calendars", "timeout = 86400").calendars[0].timeout == 86400.0
    assert load("calendars", "timeout = 0.5").calendars[0].timeout == 0.5
    assert load("detect", 'lookahead = "1h"').detect.lookahead == timedelta(hours=1)
    assert load("service", 'poll_interval = "1d"').service.poll_interval == timedelta(days=1)
    assert load("digest", 'lead_time = "3650d"').digest.lead_time == timedelta(days=3650)


def test_an_empty_optional_value_is_unset() -> None:
    cfg = parse_config(_with("digest", 'archive_dir = ""'))
    assert cfg.digest.archive_dir is None


def test_a_table_given_as_a_value_names_the_table() -> None:
    text = EXAMPLE.replace('[me]\nemail = "alex@example.com"\nname = "Alex"\n'
                           'timezone = "Europe/Berlin"\n', 'me = "alex@example.com"\n')
    assert refused(text) == ["me: expected a table, got a string"]
    calendars = 'calendars = ["calendar.ics"]\n' + EXAMPLE.split("[[calendars]]")[0]
    assert "calendars[0]: expected a table, got a string" in refused(calendars)


def test_a_missing_table_or_key_says_what_it_is_for() -> None:
    no_boss = EXAMPLE.replace('[boss]\nemail = "sam@example.com"\n', "[other]\n")
    assert refused(no_boss) == ["boss: missing [boss] table"]
    no_email = EXAMPLE.replace('email = "sam@example.com"\n', "")
    assert refused(no_email) == ["boss.email: missing (your boss's address)"]


def test_the_boss_at_the_users_own_address_is_refused() -> None:
    assert refused(EXAMPLE.replace('email = "sam@example.com"', 'email = "Alex@example.com"')) \
        == ["boss.email: is your own address (me.email); set your boss's address"]


def test_a_misspelt_key_is_named_with_the_one_meant(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        parse_config(_with("digest", 'lead_tme = "2h"'))
        parse_config(_with("digest", 'zzzz = "2h"'))
    assert [r.getMessage() for r in caplog.records] == [
        "digest.lead_tme: unknown key, ignored; did you mean `lead_time`?",
        "digest.zzzz: unknown key, ignored (check the spelling)"]


@pytest.mark.parametrize("text,why", [
    ("sam", "'sam' is not an e-mail address like alex@example.com"),
    (".sam@example.com", "'.sam@example.com' is not an e-mail address like alex@example.com"),
    ("sam@example.com.", "'sam@example.com.' is not an e-mail address like alex@example.com"),
    ("sa\x01m@example.com", "contains a line break or control character"),
    ("sam@example.com\x7f", "contains a line break or control character"),
    # A display name only where one is allowed (digest.to, delivery.sender)
    ("Sam <sam@example.com>",
     "'Sam <sam@example.com>' is not an e-mail address like alex@example.com"),
])
def test_what_is_not_an_address(text: str, why: str) -> None:
    assert address_problem(text) == why


def test_a_display_name_is_taken_where_allowed_but_never_a_line_break() -> None:
    assert address_problem("Alex Chen <alex@example.com>", display_name=True) is None
    assert address_problem("Alex\r\nBcc: x@evil.example <alex@example.com>",
                           display_name=True) == "contains a line break or control character"
    to = _with("digest", 'to = "Alex Chen <alex@example.com>"')
    assert parse_config(to).digest.to == "Alex Chen <alex@example.com>"
    named_boss = EXAMPLE.replace('email = "sam@example.com"', 'email = "Sam <sam@example.com>"')
    assert refused(named_boss) == \
        ["boss.email: 'Sam <sam@example.com>' is not an e-mail address like alex@example.com"]


def test_durations_as_the_config_writes_them() -> None:
    assert parse_duration("1d 12h") == timedelta(days=1, hours=12)
    assert parse_duration("3650d") == timedelta(days=3650)
    assert [format_duration(timedelta(seconds=s)) for s in (0, 5400, 169200, 90061)] == \
        ["0s", "1h30m", "1d23h", "1d1h1m1s"]


def test_paths_are_relative_to_the_config(tmp_path: Path) -> None:
    cfg = parse_config(_with("digest", 'archive_dir = "notes"'), tmp_path / "config.toml")
    assert cfg.digest.archive_dir == tmp_path / "notes"


def test_review_dates_take_dates_only() -> None:
    """career.review_dates (issue 26.6): TOML dates or the same as strings; a date with a
    time, a word or a number is refused, naming the entry."""
    from datetime import date

    cfg = parse_config(_with("career", 'review_dates = [2027-06-15, "2027-12-01"]'))
    assert cfg.career.review_dates == [date(2027, 6, 15), date(2027, 12, 1)]
    assert parse_config(EXAMPLE).career.review_dates == []
    problems = refused(_with("career", 'review_dates = [2027-06-15T09:00:00, "June", 3]'))
    assert [p.split(":")[0] for p in problems] == [
        "career.review_dates[0]", "career.review_dates[1]", "career.review_dates[2]"]
    assert "expected a date like 2027-06-15, got 'June'" in problems[1]
