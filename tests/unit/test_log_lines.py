"""Calendar text in log lines: a title with line breaks must not forge journal entries
(journald reads a `<N>` at a line's start as its priority), and escape sequences or bidi
controls must not reach the terminal."""

from __future__ import annotations

import re

import pytest

from manageup.cli import main
from tests.conftest import ICS

HOSTILE = ICS / "title_with_line_breaks_escapes_and_bidi.ics"


@pytest.mark.parametrize("journal", [True, False])
def test_a_hostile_title_is_one_escaped_log_line(make_config, monkeypatch, capsys,
                                                 journal: bool) -> None:
    cfg, _config = make_config(HOSTILE)
    if journal:
        monkeypatch.setenv("JOURNAL_STREAM", "8:123")
    else:
        monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    assert main(["--config", str(cfg), "-v", "run", "--once", "--now",
                 "2026-11-11T16:30+01:00"]) == 0
    err = capsys.readouterr().err
    assert "sent the mail for Sam / Alex" in err  # the title is there, escaped
    lines = [line for line in err.splitlines() if line]
    first = re.compile(r"<[3-7]>" if journal else r"(manageup: |\d{4}-)")
    assert all(first.match(line) for line in lines), lines
    assert "\x1b" not in err and "\u202e" not in err
