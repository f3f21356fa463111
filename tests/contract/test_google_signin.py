"""The Google sign-in: getting it (`manageup auth google`, google-auth-oauthlib's real
installed-app flow; the test plays the browser and Google's token endpoint is a loopback
server named in the client file), keeping it in the keyring, and using it for months."""

from __future__ import annotations

import email.message
import json
import socket
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.http import HttpMockSequence

from manageup.accounts.google import AUTH_FLAG, CALENDAR_SCOPE, GMAIL_SCOPE
from manageup.accounts.googleflow import sign_in
from manageup.cli import main
from manageup.config import parse_config
from manageup.cycle import run_cycle
from manageup.deliver.gmail import GmailTransport
from manageup.errors import SecretError, SourceError, UsageError
from manageup.sources.google import GoogleSource
from manageup.store import Store
from tests.conftest import free_port, serve_http
from tests.contract.test_google import FULL, NOW, OK, Recording, body, google_config, status, synced


@pytest.fixture
def gconfig(tmp_path: Path):  # type: ignore[no-untyped-def]
    return google_config(tmp_path)


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


@dataclass
class SignIn:
    """`manageup auth google` running in a thread, waiting for the browser."""

    signer: threading.Thread
    result: list[int]
    port: int
    query: dict[str, list[str]]  # of the address it printed for the browser


def start_sign_in(config: Path, client: Path, capsys: pytest.CaptureFixture[str]) -> SignIn:
    port = free_port()
    result: list[int] = []
    signer = threading.Thread(target=lambda: result.append(main([
        "--config", str(config), "auth", "google", "--client-secret", str(client),
        "--port", str(port)])))
    signer.start()
    printed = ""
    # Until the address is printed or the command ended: no bound on a slow machine's pace.
    while "state=" not in printed and signer.is_alive():
        printed += capsys.readouterr().out
        signer.join(0.05)
    printed += capsys.readouterr().out
    url = next(line for line in printed.splitlines() if line.startswith("https://"))
    return SignIn(signer, result, port,
                  urllib.parse.parse_qs(urllib.parse.urlparse(url).query))


def play_browser(config: Path, client: Path, capsys: pytest.CaptureFixture[str]) \
        -> tuple[int, dict[str, list[str]], str]:
    """Run `manageup auth google`, follow the printed address as a browser would after the
    user agreed; returns the exit code, the address's query and what went to stderr."""
    started = start_sign_in(config, client, capsys)
    signer, result, port, query = (started.signer, started.result, started.port,
                                   started.query)
    assert query["redirect_uri"] == [f"http://localhost:{port}/"]  # no copy-paste flow
    redirect = f"http://localhost:{port}/?state={query['state'][0]}&code=4/test-code"
    urllib.request.urlopen(redirect, timeout=30).read()
    signer.join(60)
    return result[0], query, capsys.readouterr().err


def test_sign_in_end_to_end(gconfig, google, memory_keyring, capsys) -> None:
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


def test_no_refresh_token_is_refused(gconfig, google, memory_keyring, capsys) -> None:
    del google.answer["refresh_token"]
    code, _query, err = play_browser(gconfig.source_path, google.client, capsys)
    assert code == 2 and "no refresh token" in err and "Traceback" not in err
    assert memory_keyring.values == {}  # a sign-in that would die within the hour: not kept


def test_partial_consent_is_a_clear_message(gconfig, google, memory_keyring, capsys,
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


def test_a_busy_port_is_a_clear_message(gconfig, google, memory_keyring, capsys) -> None:
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


# --- the sign-in kept in the keyring, and used ----------------------------------------------


def token_json(access: str = "ya29.expired", expiry: str = "2026-01-01T00:00:00Z",
               refresh: str = "1//refresh") -> str:
    return json.dumps({"token": access, "refresh_token": refresh,
                       "client_id": "id.apps.googleusercontent.com", "client_secret": "secret",
                       "scopes": ["https://www.googleapis.com/auth/calendar.readonly"],
                       "expiry": expiry})


REFRESHED = ('{"access_token": "ya29.fresh", "expires_in": 3599, "scope": '
             '"https://www.googleapis.com/auth/calendar.readonly", "token_type": "Bearer"}')


def keyring_source(cfg, answers: list) -> GoogleSource:
    """A source as the daemon makes it: the sign-in from the keyring, `answers` the HTTP
    beneath it (token refreshes included)."""
    return GoogleSource(cfg.calendars[0], cfg, transport=HttpMockSequence(answers),
                        sleep=lambda s: None)


@pytest.fixture
def locked_keyring():
    import keyring
    import keyring.errors
    from keyring.backend import KeyringBackend

    from tests.conftest import MemoryKeyring

    class Locked(MemoryKeyring, KeyringBackend):
        locked = True

        def get_password(self, service: str, user: str) -> str | None:
            if self.locked:
                raise keyring.errors.KeyringLocked("the collection is locked")
            return super().get_password(service, user)

    previous = keyring.get_keyring()
    backend = Locked()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_a_locked_keyring_is_not_a_dead_sign_in(gconfig, locked_keyring) -> None:
    from manageup.deliver import make_transport

    locked_keyring.values[("manageup", "google-token")] = token_json()
    answers: list = []
    src = keyring_source(gconfig, answers)
    store = Store.open(gconfig.store.path)
    report = run_cycle(gconfig, store, [src], make_transport(gconfig), NOW)
    assert "locked" in report.gathered.failures[0] and not report.gathered.auth_failed
    assert store.flag(AUTH_FLAG) is None  # Google will be asked again next cycle
    assert not (gconfig.delivery.maildir / "new").exists()  # no false "sign in again" mail
    locked_keyring.locked = False  # unlocked after login
    answers.extend([(OK, REFRESHED), *FULL])
    report = run_cycle(gconfig, store, [src], make_transport(gconfig),
                       NOW + timedelta(hours=1))
    assert report.gathered.failures == [] and report.gathered.occurrences


def test_doctor_before_signing_in_says_so_and_marks_nothing(gconfig, memory_keyring,
                                                             capsys) -> None:
    assert main(["--config", str(gconfig.source_path), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "not signed in to Google" in out and "manageup auth google" in out
    assert "FAIL  google: not signed in to Google" in out and "stopped working" not in out
    store = Store.open(gconfig.store.path, readonly=True)
    assert store.flag(AUTH_FLAG) is None


def test_only_a_refusal_the_user_must_fix_marks_the_sign_in_dead(gconfig,
                                                                 memory_keyring) -> None:
    memory_keyring.values[("manageup", "google-token")] = token_json()
    store = Store.open(gconfig.store.path)
    # An answer to the refresh that refuses nothing (here: a 200 without a token, from
    # something in between) is a calendar error for this cycle, not a dead sign-in. A
    # deleted or reset OAuth client is dead: test_google_as_it_answers.
    answers = [(OK, "{}")]
    src = keyring_source(gconfig, answers)
    report = run_cycle(gconfig, store, [src], make_transport_for(gconfig), NOW)
    assert report.gathered.failures and not report.gathered.auth_failed
    assert store.flag(AUTH_FLAG) is None
    answers.append((status(400), body("invalid_grant")))
    report = run_cycle(gconfig, store, [src], make_transport_for(gconfig),
                       NOW + timedelta(hours=1))
    assert report.gathered.auth_failed
    assert store.flag(AUTH_FLAG) == ("invalid_grant", NOW + timedelta(hours=1))  # passed clock


def make_transport_for(cfg):  # type: ignore[no-untyped-def]
    from manageup.deliver import make_transport

    return make_transport(cfg)


def test_signing_in_again_takes_effect_for_the_calendar(gconfig, memory_keyring) -> None:
    memory_keyring.values[("manageup", "google-token")] = token_json(
        "ya29.one", "2099-01-01T00:00:00Z")
    http = Recording([*FULL])
    src = GoogleSource(gconfig.calendars[0], gconfig, transport=http, sleep=lambda s: None)
    synced(src, gconfig)
    assert set(http.auth) == {"Bearer ya29.one"}
    # `manageup auth google`: a new token in the keyring, the flag cleared.
    memory_keyring.values[("manageup", "google-token")] = token_json(
        "ya29.two", "2099-01-01T00:00:00Z", refresh="1//two")
    http.auth.clear()
    http._iterable.append((OK, body("unchanged")))
    synced(src, gconfig, now=NOW + timedelta(hours=1))
    assert http.auth == ["Bearer ya29.two"]


def test_signing_in_again_takes_effect_for_gmail(memory_keyring) -> None:
    from manageup.accounts import google

    memory_keyring.values[("manageup", "google-token")] = token_json(
        "ya29.one", "2099-01-01T00:00:00Z")
    http = Recording([(OK, body("gmail_sent")), (OK, body("gmail_sent"))])
    session = google.Session(google.scopes_for(gmail=True), http)
    transport = GmailTransport(google.LiveService(session, "gmail", "v1"), sleep=lambda s: None)
    msg = email.message.EmailMessage()
    msg.set_content("x")
    transport.send(msg)
    memory_keyring.values[("manageup", "google-token")] = token_json(
        "ya29.two", "2099-01-01T00:00:00Z", refresh="1//two")
    transport.send(msg)
    assert http.auth == ["Bearer ya29.one", "Bearer ya29.two"]


def test_steady_state_is_one_call_in_timer_mode_too(gconfig, memory_keyring) -> None:
    """Each timer run is a new process: the access token refreshed by one run must be kept,
    or every run pays a refresh before its events.list."""
    memory_keyring.values[("manageup", "google-token")] = token_json()  # access token expired
    first = Recording([(OK, REFRESHED), *FULL])
    synced(GoogleSource(gconfig.calendars[0], gconfig, transport=first), gconfig)
    assert len(first.uris) == 4 and "token" in first.uris[0]
    kept = json.loads(memory_keyring.values[("manageup", "google-token")])
    assert kept["token"] == "ya29.fresh" and kept["refresh_token"] == "1//refresh"
    first.uris.clear()
    first._iterable.append((OK, body("unchanged")))
    daemon = GoogleSource(gconfig.calendars[0], gconfig, transport=first)
    synced(daemon, gconfig)
    first._iterable.append((OK, body("unchanged")))
    synced(daemon, gconfig, now=NOW + timedelta(minutes=5))  # the daemon's next cycle
    assert len(first.uris) == 2 and all("syncToken=" in u for u in first.uris)
    for hour in (1, 2):  # the next timer runs, within the token's hour
        run = Recording([(OK, body("unchanged"))])
        synced(GoogleSource(gconfig.calendars[0], gconfig, transport=run), gconfig,
               now=NOW + timedelta(minutes=15 * hour))
        assert len(run.uris) == 1 and "syncToken=" in run.uris[0] and "timeMin" not in run.uris[0]


def test_the_kept_sign_in_fits_the_smallest_keyring() -> None:
    from manageup.accounts import google

    limit = 2560  # bytes: Windows Credential Manager, which keyring fills with UTF-16
    creds = Credentials(token="ya29." + "a" * 2000, refresh_token="1//" + "r" * 100,
                        token_uri="https://oauth2.googleapis.com/token",
                        client_id="1234-abc.apps.googleusercontent.com",
                        client_secret="GOCSPX-" + "s" * 28, scopes=[google.CALENDAR_SCOPE],
                        expiry=datetime(2026, 1, 1))
    packed = google.pack(creds)
    assert len(packed.encode("utf-16-le")) <= limit
    again = Credentials.from_authorized_user_info(json.loads(packed))
    assert again.refresh_token == creds.refresh_token and again.client_id == creds.client_id
    creds.token = "ya29.short"  # a usual access token is kept, so the next run needs no refresh
    assert json.loads(google.pack(creds))["token"] == "ya29.short"
    huge = Credentials(token=None, refresh_token="1//" + "r" * 1400, client_id="x",
                       client_secret="y", token_uri="https://oauth2.googleapis.com/token")
    with pytest.raises(SecretError, match="over the 2560 bytes"):
        google.pack(huge)




def test_doctor_tells_a_locked_keyring_from_a_missing_sign_in(gconfig, locked_keyring,
                                                              capsys) -> None:
    locked_keyring.values[("manageup", "google-token")] = token_json()
    assert main(["--config", str(gconfig.source_path), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  google: cannot read the Google sign-in: the keyring is locked" in out
    assert "not signed in" not in out
    assert Store.open(gconfig.store.path, readonly=True).flag(AUTH_FLAG) is None


def test_clearing_the_flag_drops_the_cached_sign_in(gconfig, memory_keyring) -> None:
    memory_keyring.values[("manageup", "google-token")] = token_json(
        "ya29.one", "2099-01-01T00:00:00Z")
    http = Recording([*FULL, (OK, body("unchanged"))])
    src = GoogleSource(gconfig.calendars[0], gconfig, transport=http)
    synced(src, gconfig)
    before = src._session._creds
    store = Store.open(gconfig.store.path)
    store.set_flag(AUTH_FLAG, "invalid_grant", NOW)
    with pytest.raises(SourceError, match="sign-in is invalid since"):
        synced(src, gconfig)
    store.set_flag(AUTH_FLAG, None, NOW)  # what `manageup auth google` does last
    synced(src, gconfig, now=NOW + timedelta(hours=1))
    assert src._session._creds is not before  # built again from the keyring
