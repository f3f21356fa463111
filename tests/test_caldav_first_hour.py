"""A new user's first hour with CalDAV: `doctor` on a server that is down or a password
that is wrong names the calendar once, the problem and the fix, in one line each."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.test_caldav import NOW, _write


def test_doctor_names_the_calendar_once_when_the_server_is_down(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from manageup.doctor import run_checks

    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "caldav").write_text("pässwörd")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    path, _ = _write(tmp_path, f'type = "caldav"\nname = "work"\n'
                               f'url = "http://127.0.0.1:{free_port()}/alex/work/"\n'
                               'username = "alex"\n')
    lines = [line for ok, line in run_checks(str(path), NOW) if not ok]
    assert lines and all("work: work" not in line and "\n" not in line for line in lines)
    assert any(line.startswith("caldav work: cannot reach 127.0.0.1") for line in lines)
