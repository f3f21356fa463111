"""Every answer on the way is bounded by calendars.max_bytes, not only the last: a Digest
challenge (the HTTP library's Digest handler reads a 401's body itself, whole, before
answering it) and a redirect (the library reads its body whole before following it)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from manageup.errors import SourceError
from manageup.sources.caldav import CaldavSource
from tests.conftest import BERLIN
from tests.integration.test_caldav import PASSWORD, WINDOW, Radicale, _write, poll
from tests.integration.test_caldav_digest import REALM, DigestOnly, gated  # noqa: F401  (fixture)
from tests.integration.test_caldav_hostile import config_for, fresh, server  # noqa: F401  (fixtures)


def flood() -> Iterator[bytes]:
    for _ in range(600):  # 40 MB without a length; an endless one would never end
        yield b" " * 65536


def test_an_endless_digest_challenge_is_cut_off_at_max_bytes(
        gated: tuple[Radicale, DigestOnly, str], tmp_path: Path) -> None:  # noqa: F811
    dav, gate, url = gated
    _, config = _write(tmp_path, f'type = "caldav"\nname = "work"\nurl = "{url}"\n'
                                 'username = "alex"\nmax_bytes = 1000000\n')
    assert poll(CaldavSource(config.calendars[0], config, password=PASSWORD),
                *WINDOW, BERLIN).occurrences  # Digest is now remembered for this server

    def challenge(environ: dict[str, Any], start: Callable[..., Any]) -> Any:
        if environ.get("HTTP_AUTHORIZATION"):
            return gate(environ, start)
        nonce = secrets.token_hex(16)
        gate.nonces.add(nonce)
        start("401 Unauthorized", [("WWW-Authenticate", f'Digest realm="{REALM}", '
                                    f'qop="auth", nonce="{nonce}", algorithm=MD5'),
                                   ("Content-Type", "text/plain")])
        return flood()

    dav.app = challenge
    with pytest.raises(SourceError, match="over 1000000 bytes") as e:
        poll(CaldavSource(config.calendars[0], config, password=PASSWORD), *WINDOW, BERLIN)
    assert "\n" not in str(e.value)


def test_an_endless_redirect_is_cut_off_at_max_bytes(server: Radicale, fresh: Any,  # noqa: F811
                                                     tmp_path: Path) -> None:
    url = fresh([])
    config = config_for(tmp_path, url, "max_bytes = 1000000\n")
    real = server.app

    def redirect(environ: dict[str, Any], start: Callable[..., Any]) -> Any:
        if environ["PATH_INFO"] != "/moved/":
            start("301 Moved Permanently", [("Location", f"{server.url}/moved/"),
                                            ("Content-Type", "text/html")])
            return flood()
        return real(environ, start)

    server.app = redirect
    try:
        with pytest.raises(SourceError, match="over 1000000 bytes") as e:
            poll(CaldavSource(config.calendars[0], config, password=PASSWORD), *WINDOW, BERLIN)
    finally:
        server.app = real
    assert "\n" not in str(e.value)


def test_a_server_that_drops_digest_for_basic_is_read_again(
        gated: tuple[Radicale, DigestOnly, str], tmp_path: Path) -> None:  # noqa: F811
    # Digest was learnt and remembered; then the server's setup changed to Basic only
    # (Digest is being retired in many servers). Asking for it again and again would fail
    # for ever, with a message to re-enter a password that is right.
    dav, gate, url = gated
    _, config = _write(tmp_path, f'type = "caldav"\nname = "work"\nurl = "{url}"\n'
                                 'username = "alex"\n')
    first = poll(CaldavSource(config.calendars[0], config, password=PASSWORD), *WINDOW, BERLIN)
    dav.app = gate.real  # Radicale itself: Basic only
    again = poll(CaldavSource(config.calendars[0], config, password=PASSWORD), *WINDOW, BERLIN)
    assert [o.key for o in again.occurrences] == [o.key for o in first.occurrences]


def test_doctor_signs_in_to_a_digest_only_server(
        gated: tuple[Radicale, DigestOnly, str], tmp_path: Path,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    from manageup.doctor import run_checks
    from tests.integration.test_caldav import NOW

    _dav, _gate, url = gated
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "caldav").write_text(PASSWORD)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    path, _ = _write(tmp_path, f'type = "caldav"\nname = "work"\nurl = "{url}"\n'
                               'username = "alex"\n')
    checks = [(ok, line) for ok, line in run_checks(str(path), NOW) if "caldav work" in line]
    assert checks[-1][0], checks
    assert checks[-1][1].startswith("caldav work: signed in as alex, calendar")
