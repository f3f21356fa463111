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
