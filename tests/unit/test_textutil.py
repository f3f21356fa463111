"""The helpers every piece of untrusted calendar text passes through on its way to a mail
header, a digest line, a terminal or JSON: what each one lets through and what it turns
into inert text. The attack table (tests/system) drives them end to end; these pin each
helper's own rule, so a break in one is seen without a run of the whole CLI."""

from __future__ import annotations

import json

import pytest

from manageup.textutil import (
    bidi_closed,
    find_link,
    for_terminal,
    for_terminal_json,
    header_safe,
    wrap,
)

RLO, PDF, RLI, PDI = "\u202e", "\u202c", "\u2067", "\u2069"


# --- find_link: the meeting link the digest shows ---------------------------------------------


def test_the_first_link_is_found_without_the_punctuation_after_it() -> None:
    assert find_link("", "Room 4", "Join: https://meet.example.com/abc-def. Thanks",
                     "https://second.example.com") == "https://meet.example.com/abc-def"
    assert find_link("(see https://zoom.example.com/j/1?pwd=X),") == \
        "https://zoom.example.com/j/1?pwd=X"  # a link ending in a capital X keeps it


def test_no_link_is_an_empty_link() -> None:
    assert find_link("", "Room 4", "call me") == ""
    assert find_link() == ""


# --- header_safe: a line of a header or of the message's own words ---------------------------


def test_header_text_is_one_line_of_at_most_200_characters() -> None:
    assert header_safe("Sam\r\nBcc: all@example.com\x00\x85 1:1") == \
        "Sam Bcc: all@example.com 1:1"
    assert header_safe("a" * 300) == "a" * 200
    assert header_safe("") == ""
    assert header_safe(f"{RLO}evil") == f"{RLO}evil{PDF}"


# --- for_terminal and for_terminal_json ------------------------------------------------------


def test_a_terminal_shows_control_characters_as_escapes_and_keeps_lines() -> None:
    assert for_terminal("a\x1b]52;c;ZXZpbA==\x07\rb\tc\nd\x9be") == \
        "a\\x1b]52;c;ZXZpbA==\\x07\\rb\tc\nd\\x9be"
    # A direction override is closed at the end of the line it opens on, not the text's.
    assert for_terminal(f"one {RLO}two\nthree") == f"one {RLO}two{PDF}\nthree"


def test_a_log_line_is_one_line_with_direction_marks_shown() -> None:
    assert for_terminal("a\nb\u200e", one_line=True) == "a\\nb\\u200e"


def test_json_keeps_text_readable_and_writes_what_a_terminal_acts_on_as_escapes() -> None:
    value = {"title": f"Müller 1:1 {RLO}x\x85\u2028\x1b", "n": [1]}
    text = for_terminal_json(value)
    assert text == '{"title": "Müller 1:1 \\u202ex\\u0085\\u2028\\u001b", "n": [1]}'
    assert json.loads(text) == value
    assert for_terminal_json(value, indent=2).splitlines()[0] == "{"


# --- wrap: digest paragraphs ---------------------------------------------------------------


def test_wrap_fills_72_columns() -> None:
    line72 = "a" * 35 + " " + "b" * 36
    assert wrap(line72) == line72
    assert wrap(line72 + "b") == "a" * 35 + "\n" + "b" * 37


def test_wrap_prefixes_the_first_line_and_indents_the_others() -> None:
    assert wrap("one two three", width=8, indent="  ", first="- ") == "- one\n  two\n  three"
    assert wrap("one two three", width=8) == "one two\nthree"


def test_wrap_never_breaks_at_a_hyphen_but_cuts_a_word_longer_than_a_line() -> None:
    # A link or a date broken at its hyphen is a wrong link or date on the next line.
    link = "https://ex.com/abc-defg-hij"
    assert wrap(f"Join at {link}", width=30) == f"Join at\n{link}"
    assert wrap("x" * 25, width=10) == "xxxxxxxxxx\nxxxxxxxxxx\nxxxxx"
    assert wrap("on 2026-12-07 at 10:00", width=10) == "on\n2026-12-07\nat 10:00"


def test_wrap_of_nothing_is_the_prefix_without_its_space() -> None:
    assert wrap("", first="- ") == "-"
    assert wrap("   ") == ""


# --- bidi_closed -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, closed", [
    (RLO, RLO + PDF),  # nothing but the override
    (RLI, RLI + PDI),
    (f"{RLI}abc", f"{RLI}abc{PDI}"),
    (f"{RLO}{RLI}a", f"{RLO}{RLI}a{PDI}{PDF}"),  # closed innermost first
    (f"{RLO}a{PDI}", f"{RLO}a{PDI}{PDF}"),  # a PDI with no isolate open closes nothing
    (f"x {RLI}a{PDI} y", f"x {RLI}a{PDI} y"),  # balanced, as right-to-left text has it
    (f"{RLI}{RLO}a{PDI}", f"{RLI}{RLO}a{PDI}"),  # a PDI ends the embedding inside it too
    (f"{RLO}a{PDF}b", f"{RLO}a{PDF}b"),
    ("plain", "plain"),
])
def test_direction_controls_opened_are_closed_at_the_end(text: str, closed: str) -> None:
    assert bidi_closed(text) == closed
