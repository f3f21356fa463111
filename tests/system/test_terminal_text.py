"""Nothing a stranger writes reaches the terminal raw (issue 28.1): a title carrying a
clipboard write, a hidden link, a screen clear and a right-to-left override goes through
every verb that shows calendar text, and a feed or server that cannot be read puts its
bytes in the error line. What comes out shows the text, escaped, and drives nothing."""

from __future__ import annotations

import json
import re
import shutil
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from manageup.cli import main
from manageup.textutil import bidi_closed
from tests.conftest import serve_http

# The sequences, from xterm's "Control Sequences" (invisible-island.net/xterm/ctlseqs):
# OSC 52 sets the clipboard, OSC 8 (egmontkob's "Hyperlinks in terminal emulators" gist)
# plants a link under other words, CSI 2J clears the screen, 0x9b is CSI in one byte (C1).
# U+202E is Unicode's RIGHT-TO-LEFT OVERRIDE (UAX #9), left open to turn what follows.
HOSTILE = ("Alex / Sam 1:1 \x1b]52;c;cm0gLXJmIH4=\x07\x1b]8;;https://evil.example/\x1b\\"
           "agenda\x1b]8;;\x1b\\\x1b[2J\x9b2J\u202eevil")
SEEN = "\\x1b]52;c;cm0gLXJmIH4=\\x07"  # how the clipboard write is shown once escaped
NOW = "2026-11-11T17:00:00+01:00"  # the 12 Nov 1:1's digest is due (lead time 18h)
AFTER = "2026-11-12T11:00:00+01:00"  # that 1:1 is over: it can be reviewed
DRIVES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _ics_text(text: str) -> str:
    """A TEXT value as RFC 5545 3.3.11 escapes it."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")


def _harmless(output: str) -> None:
    assert not DRIVES.search(output), repr(DRIVES.search(output))
    for line in output.splitlines():  # an override opened on a line is closed on it
        assert bidi_closed(line) == line, repr(line)


@pytest.fixture
def hostile(example: Path, capsys: pytest.CaptureFixture[str]):
    ics = example / "calendar.ics"
    ics.write_text(ics.read_text().replace("SUMMARY:Alex / Sam 1:1",
                                           "SUMMARY:" + _ics_text(HOSTILE)))

    def run(*argv: str) -> str:
        code = main(["--config", str(example / "config.toml"), *argv])
        out = capsys.readouterr()
        assert code == 0, out.err
        return out.out + out.err

    return example, run


VERBS = [
    ["run", "--once", "--dry-run", "--now", NOW],
    ["-v", "run", "--once", "--dry-run", "--now", NOW],
    ["preview", "--now", NOW],
    ["meetings", "--now", NOW],
    ["meetings", "--explain", "--now", NOW],
]


@pytest.mark.parametrize("argv", VERBS, ids=[" ".join(v[:3]) for v in VERBS])
def test_a_hostile_title_through_each_verb(hostile, argv: list[str]) -> None:
    _example, run = hostile
    output = run(*argv)
    assert SEEN in output or "]52;c;cm0gLXJmIH4=" in output, output  # shown, not dropped
    _harmless(output)


def test_a_hostile_title_printed_as_mail_then_listed_for_review(hostile) -> None:
    example, run = hostile
    cfg = example / "config.toml"
    cfg.write_text(cfg.read_text().replace('method = "maildir"', 'method = "stdout"'))
    mail = run("-v", "run", "--once", "--now", NOW)
    assert SEEN in mail and "Your 1:1 with Sam Rivera" in mail
    _harmless(mail)
    listed = run("review", "--list", "--now", AFTER)
    assert SEEN in listed and "(not reviewed)" in listed
    _harmless(listed)


FEED = b"garbage \x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J \xc2\x9b2J \xe2\x80\xae evil\r\n"


@pytest.mark.parametrize("verb", ["meetings", "preview"])
def test_the_bytes_of_a_feed_that_cannot_be_read_are_escaped(example: Path, capsys,
                                                             verb: str) -> None:
    shutil.copy(example / "calendar.ics", example / "good.ics")
    (example / "calendar.ics").write_bytes(FEED)
    assert main(["--config", str(example / "config.toml"), verb]) == 1
    err = capsys.readouterr().err
    assert err.startswith("manageup: no calendar could be read") and SEEN in err, err
    _harmless(err)


class _HostileReason(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # http.server sends the reason phrase as Latin-1 bytes
        self.send_response(500, "Boom\x1b]52;c;cm0gLXJmIH4=\x07\x9b2J\x85")
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.mark.parametrize("verb", ["meetings", "preview"])
def test_the_reason_phrase_of_a_server_that_fails_is_escaped(example: Path, capsys,
                                                             verb: str) -> None:
    cfg = example / "config.toml"
    with serve_http(_HostileReason) as base:
        cfg.write_text(cfg.read_text().replace('path = "calendar.ics"',
                                               f'url = "{base}/alex.ics"'))
        assert main(["--config", str(cfg), verb]) == 1
    err = capsys.readouterr().err
    assert "the server answered 500 Boom" in err and SEEN in err, err
    _harmless(err)


def test_json_output_carries_the_title_exactly_and_drives_nothing(hostile) -> None:
    _example, run = hostile
    out = run("meetings", "--json", "--now", NOW)
    assert not re.search("[\x1b\x07\x9b\u202e]", out), out
    assert json.loads(out)[0]["title"] == HOSTILE  # escaped as JSON, read back the same


RLO = "\u202e"
# Attack 03: an override in the title and in the boss's name, neither closed. Closed only at
# the end of the line, they turned manageup's own words after them around.
SPANS = f"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//manageup tests//EN
BEGIN:VEVENT
UID:h1@example.com
DTSTAMP:20261101T090000Z
DTSTART:20261203T090000Z
DTEND:20261203T093000Z
RRULE:FREQ=WEEKLY
SUMMARY:1:1 {RLO}gnp.exe
ORGANIZER;CN="Rivera, Sam{RLO}":mailto:sam@example.com
ATTENDEE;CN="Rivera, Sam{RLO}";PARTSTAT=ACCEPTED:mailto:sam@example.com
ATTENDEE;CN=Alex;PARTSTAT=ACCEPTED:mailto:alex@example.com
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n")


def _open_before(line: str, words: str) -> bool:
    """Whether an override or isolate is still open where manageup's `words` start."""
    head = line[:line.index(words)]
    return bidi_closed(head) != head


def _line(output: str, words: str) -> str:
    line = next(x for x in output.splitlines() if words in x)
    assert RLO in line, line  # the calendar's text is there, override and all
    return line


def test_an_override_ends_where_the_calendar_text_ends(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "MANAGEUP_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    ics = tmp_path / "h.ics"
    ics.write_bytes(SPANS.encode())
    assert main(["init", "--me", "alex@example.com", "--boss", "sam@example.com",
                 "--calendar", str(ics), "--timezone", "UTC"]) == 0
    out = capsys.readouterr().out
    assert not _open_before(_line(out, "Your boss: "), "the name from your calendar")
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(f'[me]\nemail = "alex@example.com"\ntimezone = "Europe/Berlin"\n'
                   f'[boss]\nemail = "sam@example.com"\n[[calendars]]\ntype = "ics"\n'
                   f'name = "work"\npath = "{ics}"\n[store]\npath = "{tmp_path / "s.db"}"\n'
                   '[delivery]\nmethod = "stdout"\n')
    cfg.chmod(0o600)
    assert main(["--config", str(cfg), "run", "--once",
                 "--now", "2026-12-02T16:00:00+00:00"]) == 0
    subject = _line(capsys.readouterr().out, "Subject: ")
    assert not _open_before(subject, "Thu 03 Dec 10:00")
    assert main(["--config", str(cfg), "run", "--once",
                 "--now", "2026-12-03T11:00:00+00:00"]) == 0
    assert main(["--config", str(cfg), "review", "--list",
                 "--now", "2026-12-03T11:00:00+00:00"]) == 0
    listed = _line(capsys.readouterr().out, "(not reviewed)")
    assert not _open_before(listed, "(not reviewed)")


def test_an_override_in_an_item_ends_before_its_due_date(
        make_config, capsys: pytest.CaptureFixture[str]) -> None:
    """Items come from an import too: another's export is text from a stranger."""
    path, _cfg = make_config()
    assert main(["--config", str(path), "add", "owe", f"Send {RLO}the numbers",
                 "--due", "2026-12-10", "--now", "2026-12-02T16:00:00+01:00"]) == 0
    capsys.readouterr()
    assert main(["--config", str(path), "list"]) == 0
    listed = _line(capsys.readouterr().out, "due 2026-12-10")
    assert not _open_before(listed, "due 2026-12-10")
