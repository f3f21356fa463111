"""A new user's first hour with CalDAV: `doctor` on a server that is down or a password
that is wrong names the calendar once, the problem and the fix, in one line each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BERLIN, ICS, config_text, free_port
from tests.contract.test_microsoft import ca  # noqa: F401  (fixture)
from tests.integration.test_caldav import NOW, _write, fresh, radicale  # noqa: F401  (fixtures)


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


def test_a_caldav_address_given_as_an_ics_feed_says_to_use_caldav(
        fresh: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    # `manageup init --calendar https://...` writes an .ics feed; a CalDAV collection's
    # address asks for a login, which no feed address does.
    from manageup import cli

    url = fresh([ICS / "weekly_moved_cancelled_exdate.ics"])
    # init fetches the address once and says so at once, writing nothing.
    assert cli.main(["init", "--config", str(tmp_path / "c.toml"), "--me", "alex@example.com",
                     "--boss", "sam@example.com", "--calendar", url,
                     "--timezone", "Europe/Berlin"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "401" in err and 'type = "caldav"' in err
    assert not (tmp_path / "c.toml").exists()
    # A config written by hand gets the same advice from the first command that reads it.
    text = config_text(url, tmp_path).replace('path = "http', 'url = "http')
    (tmp_path / "c.toml").write_text(text)
    (tmp_path / "c.toml").chmod(0o600)
    assert cli.main(["--config", str(tmp_path / "c.toml"), "meetings"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "401" in err and 'type = "caldav"' in err


@pytest.mark.parametrize("password", [" pässwörd ", "\tpw"])
def test_a_password_command_keeps_the_password_as_printed(
        password: str, memory_keyring: Any, tmp_path: Path) -> None:
    # Only the line end `pass show` and friends print is not part of the password.
    from manageup.accounts import secrets

    (tmp_path / "pw").write_text(password + "\n", encoding="utf-8")
    assert secrets.lookup("caldav", f"cat {tmp_path / 'pw'}", env={}) == password


def test_a_password_that_is_not_utf8_is_one_clear_error(
        memory_keyring: Any, tmp_path: Path) -> None:
    from manageup.accounts import secrets
    from manageup.errors import SecretError

    (tmp_path / "pw").write_bytes("pässwörd\n".encode("latin-1"))
    (tmp_path / "caldav").write_bytes("pässwörd".encode("latin-1"))
    with pytest.raises(SecretError, match="not UTF-8") as e:
        secrets.lookup("caldav", f"cat {tmp_path / 'pw'}",
                       env={"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert str(e.value).count("not UTF-8") == 2


def test_a_server_whose_certificate_is_not_trusted_says_so(
        ca: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    # A home Nextcloud or Radicale with its own certificate authority: the problem is the
    # certificate, not the connection or the address.
    from manageup.errors import SourceError
    from manageup.sources.caldav import CaldavSource
    from tests.contract.test_microsoft import FakeMicrosoft
    from tests.integration.test_caldav import WINDOW, poll

    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    server = FakeMicrosoft(ca)  # any TLS server with a certificate of its own CA
    try:
        _, config = _write(tmp_path, f'type = "caldav"\nname = "work"\n'
                                     f'url = "{server.base}/alex/work/"\nusername = "alex"\n')
        with pytest.raises(SourceError) as e:
            poll(CaldavSource(config.calendars[0], config, password="pw"), *WINDOW,
                 BERLIN)
    finally:
        server.stop()
    assert "certificate" in str(e.value) and "REQUESTS_CA_BUNDLE" in str(e.value)
    assert "\n" not in str(e.value)


def test_server_error_text_reaches_the_terminal_without_control_characters(
        tmp_path: Path) -> None:
    from http.server import BaseHTTPRequestHandler

    from manageup.errors import SourceError
    from manageup.sources.caldav import CaldavSource
    from tests.conftest import serve_http
    from tests.integration.test_caldav import WINDOW, poll

    class Hostile(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_PROPFIND(self) -> None:  # a title change, a C1 CSI, a line of its own
            self.send_response(500, "Boom\x1b]0;owned\x07\x9b2J")
            body = b"\x1b[2J\x1b]0;owned\x07"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_REPORT = do_GET = do_OPTIONS = do_PROPFIND

    with serve_http(Hostile) as base:
        _, config = _write(tmp_path, f'type = "caldav"\nname = "work"\n'
                                     f'url = "{base}/alex/"\nusername = "alex"\n'
                                     'calendar = "Work"\n')
        with pytest.raises(SourceError) as e:
            poll(CaldavSource(config.calendars[0], config, password="pw"), *WINDOW, BERLIN)
    assert not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f for c in str(e.value)), str(e.value)
