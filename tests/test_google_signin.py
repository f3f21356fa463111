"""`manageup auth google`: google-auth-oauthlib's real installed-app flow. The test plays
the browser, and Google's token endpoint is a loopback server named in the client file."""

from __future__ import annotations

import json
import socket
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from manageup.cli import main
from manageup.config import parse_config
from manageup.errors import UsageError
from manageup.google import AUTH_FLAG, CALENDAR_SCOPE, GMAIL_SCOPE, sign_in
from manageup.store import Store
from tests.conftest import free_port, serve_http
from tests.test_google import NOW, gconfig  # noqa: F401  (a fixture)

GRANT = {"access_token": "ya29.new", "expires_in": 3599, "refresh_token": "1//new-refresh",
         "token_type": "Bearer", "scope": CALENDAR_SCOPE}


@dataclass
class Google:
    client: Path  # the OAuth client file, naming the loopback token endpoint
    answer: dict[str, object]  # what the token endpoint answers


@pytest.fixture
def google(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Google]:
    state = Google(tmp_path / "client_secret.json", dict(GRANT))

    class Token(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            data = json.dumps(state.answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    with serve_http(Token) as token_url:
        state.client.write_text(json.dumps({"installed": {
            "client_id": "123.apps.googleusercontent.com", "client_secret": "x",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": f"{token_url}/token", "redirect_uris": ["http://localhost"]}}))
        monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the loopback token endpoint
        monkeypatch.delenv("DISPLAY", raising=False)
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        yield state


def play_browser(config: Path, client: Path, capsys: pytest.CaptureFixture[str]) \
        -> tuple[int, dict[str, list[str]], str]:
    """Run `manageup auth google`, follow the printed address as a browser would after the
    user agreed; returns the exit code, the address's query and what went to stderr."""
    port = free_port()
    result: list[int] = []
    signer = threading.Thread(target=lambda: result.append(main([
        "--config", str(config), "auth", "google", "--client-secret", str(client),
        "--port", str(port)])))
    signer.start()
    printed = ""
    for _ in range(400):
        printed += capsys.readouterr().out
        if "state=" in printed:
            break
        signer.join(0.05)
    url = next(line for line in printed.splitlines() if line.startswith("https://"))
    query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    assert query["redirect_uri"] == [f"http://localhost:{port}/"]  # no copy-paste flow
    redirect = f"http://localhost:{port}/?state={query['state'][0]}&code=4/test-code"
    urllib.request.urlopen(redirect, timeout=30).read()
    signer.join(60)
    return result[0], query, capsys.readouterr().err


def test_sign_in_end_to_end(gconfig, google, memory_keyring, capsys) -> None:  # noqa: F811
    Store.open(gconfig.store.path).set_flag(AUTH_FLAG, "invalid_grant", NOW)
    code, query, _err = play_browser(gconfig.source_path, google.client, capsys)
    assert code == 0
    assert query["scope"] == [CALENDAR_SCOPE]
    # A repeat sign-in returns a refresh token only when consent is asked for again.
    assert query["prompt"] == ["consent"] and query["access_type"] == ["offline"]
    stored = json.loads(memory_keyring.values[("manageup", "google-token")])
    assert stored["refresh_token"] == "1//new-refresh"
    assert Store.open(gconfig.store.path).flag(AUTH_FLAG) is None  # calling Google again
    assert "1//new-refresh" not in capsys.readouterr().out


def test_no_refresh_token_is_refused(gconfig, google, memory_keyring, capsys) -> None:  # noqa: F811
    del google.answer["refresh_token"]
    code, _query, err = play_browser(gconfig.source_path, google.client, capsys)
    assert code == 2 and "no refresh token" in err and "Traceback" not in err
    assert memory_keyring.values == {}  # a sign-in that would die within the hour: not kept


def test_partial_consent_is_a_clear_message(gconfig, google, memory_keyring, capsys,  # noqa: F811
                                            tmp_path) -> None:
    # Gmail delivery asks for two scopes; the user unticked gmail.send on the consent screen.
    text = gconfig.source_path.read_text().replace(
        f'method = "maildir"\nmaildir = "{tmp_path / "Maildir"}"', 'method = "gmail"')
    gconfig.source_path.write_text(text)
    assert parse_config(text, gconfig.source_path).delivery.method == "gmail"
    code, query, err = play_browser(gconfig.source_path, google.client, capsys)
    assert query["scope"] == [f"{CALENDAR_SCOPE} {GMAIL_SCOPE}"]
    assert code == 2 and "Traceback" not in err
    assert "gmail.send" in err and "tick every box" in err
    assert memory_keyring.values == {}


def test_a_busy_port_is_a_clear_message(gconfig, google, memory_keyring, capsys) -> None:  # noqa: F811
    with socket.socket() as busy:
        busy.bind(("localhost", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["--config", str(gconfig.source_path), "auth", "google",
                     "--client-secret", str(google.client), "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 2 and f"port {port} is in use" in err and "--port" in err


def test_the_local_server_gives_up(google, memory_keyring, capsys) -> None:
    with pytest.raises(UsageError, match="no answer from the browser"):
        sign_in(google.client, [CALENDAR_SCOPE], free_port(), open_browser=False, timeout=1)
