"""The user's own out-of-office covering a 1:1 (issue 27.5): the digest still goes out and
says so first, so the user cancels or moves the 1:1 instead of finding out on the day."""

from __future__ import annotations

from pathlib import Path

import pytest

from manageup.cli import main
from tests.conftest import ICS

AWAY = "You are out of office that day"


def dry_run(make_config, capsys: pytest.CaptureFixture[str], now: str) -> str:
    path, _cfg = make_config(ICS / "out_of_office_covers_1on1.ics",
                             '[digest]\nlead_time = "24h"\n')
    assert main(["--config", str(path), "run", "--once", "--dry-run", "--now", now]) == 0
    return capsys.readouterr().out


def test_digest_of_a_1on1_on_an_out_of_office_day_is_sent_and_says_so(
        make_config, capsys) -> None:
    out = dry_run(make_config, capsys, "2026-12-09T16:00+01:00")
    assert "Subject: Prep: " in out  # still sent: the user decides, not manageup
    text = out[out.index("Subject: Prep: "):]
    assert f'{AWAY} ("Family trip"): cancel or move it?' in text
    assert text.index(AWAY) < text.index("0. Lead with")  # said first


@pytest.mark.parametrize("now", ["2026-12-02T16:00+01:00",  # all-day, but shown as free
                                 "2026-12-16T16:00+01:00"])  # a colleague's absence
def test_a_1on1_on_a_day_the_user_is_in_carries_no_such_line(make_config, capsys,
                                                             now: str) -> None:
    out = dry_run(make_config, capsys, now)
    assert "Subject: Prep: " in out
    assert "out of office" not in out.lower()


def test_preview_says_it_too(make_config, capsys, tmp_path: Path) -> None:
    path, _cfg = make_config(ICS / "out_of_office_covers_1on1.ics")
    assert main(["--config", str(path), "preview", "--now", "2026-12-09T16:00+01:00",
                 "--html", str(tmp_path / "d.html")]) == 0
    assert AWAY in capsys.readouterr().out
    assert AWAY in (tmp_path / "d.html").read_text()
