"""CalDAV behind HTTP Digest: Radicale on loopback with a gate in front that accepts
only Digest (RFC 7616, qop=auth, MD5) and refuses Basic, as some servers do."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.request import parse_http_list, parse_keqv_list

import pytest

from manageup.config import Calendar
from manageup.errors import SourceError
from manageup.sources.caldav import CaldavSource
from manageup.sources.ics import IcsSource
from tests.conftest import BERLIN, ICS
from tests.integration.test_caldav import PASSWORD, WINDOW, Radicale, _write, poll

REALM = "manageup test"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


class DigestOnly:
    """Lets a request through to Radicale only with a valid Digest answer to a nonce it
    gave; anything else (Basic among it) gets a 401 with a Digest challenge."""

    def __init__(self, server: Radicale) -> None:
        self.server, self.real = server, server.app
        self.nonces: set[str] = set()
        self.schemes: list[str] = []  # the Authorization scheme of each request

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> Any:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        self.schemes.append(auth.split(" ", 1)[0] or "none")
        if auth.startswith("Digest ") and self._valid(environ["REQUEST_METHOD"], auth[7:]):
            basic = base64.b64encode(f"alex:{PASSWORD}".encode()).decode()
            environ["HTTP_AUTHORIZATION"] = f"Basic {basic}"  # what Radicale itself checks
            return self.real(environ, start)
        nonce = secrets.token_hex(16)
        self.nonces.add(nonce)
        start("401 Unauthorized", [
            ("WWW-Authenticate", f'Digest realm="{REALM}", qop="auth", nonce="{nonce}", '
                                 'algorithm=MD5'),
            ("Content-Type", "text/plain"), ("Content-Length", "0")])
        return [b""]

    def _valid(self, method: str, text: str) -> bool:
        p = parse_keqv_list(parse_http_list(text))
        if p.get("username") != "alex" or p.get("nonce") not in self.nonces:
            return False
        ha1 = _md5(f"alex:{REALM}:{PASSWORD}")
        ha2 = _md5(f"{method}:{p.get('uri', '')}")
        want = _md5(f"{ha1}:{p['nonce']}:{p.get('nc', '')}:{p.get('cnonce', '')}:"
                    f"{p.get('qop', '')}:{ha2}")
        return hmac.compare_digest(want, p.get("response", ""))


@pytest.fixture
def gated(tmp_path: Path) -> Iterator[tuple[Radicale, DigestOnly, str]]:
    (tmp_path / "radicale").mkdir()
    server = Radicale(tmp_path / "radicale")
    url = server.make_calendar("digest", [ICS / "weekly_moved_cancelled_exdate.ics"])
    gate = DigestOnly(server)
    server.app = gate
    yield server, gate, url
    server.stop()


def caldav(tmp_path: Path, url: str, password: str = PASSWORD) -> CaldavSource:
    _, config = _write(tmp_path, f'type = "caldav"\nname = "work"\nurl = "{url}"\n'
                                 'username = "alex"\n')
    return CaldavSource(config.calendars[0], config, password=password)


def test_a_digest_only_server_is_read_and_remembered(
        gated: tuple[Radicale, DigestOnly, str], tmp_path: Path) -> None:
    server, gate, url = gated
    got = poll(caldav(tmp_path, url), *WINDOW, BERLIN)
    want = IcsSource(Calendar(type="ics", path=ICS / "weekly_moved_cancelled_exdate.ics"))
    assert [o.key for o in got.occurrences] == \
        [o.key for o in want.fetch(*WINDOW, BERLIN).occurrences]
    # The next process starts with Digest: the password is never sent as Basic again,
    # and its quiet poll is the challenge and the sync report.
    gate.schemes.clear()
    server.requests.clear()
    src = caldav(tmp_path, url)
    again = poll(src, *WINDOW, BERLIN)
    assert again.unchanged and "Basic" not in gate.schemes
    assert len(server.requests) == 2
    # Within one process the nonce is reused: a quiet poll is one request.
    server.requests.clear()
    assert poll(src, *WINDOW, BERLIN).unchanged
    assert len(server.requests) == 1


def test_a_wrong_password_behind_digest_is_one_clear_error(
        gated: tuple[Radicale, DigestOnly, str], tmp_path: Path) -> None:
    _server, _gate, url = gated
    with pytest.raises(SourceError, match="refused the login of 'alex'") as e:
        poll(caldav(tmp_path, url, password="wrong"), *WINDOW, BERLIN)
    assert "\n" not in str(e.value)
