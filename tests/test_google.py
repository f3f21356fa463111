"""The Google source and Gmail delivery against googleapiclient's own HttpMockSequence,
fed JSON shaped like the real API's answers. No network."""

from __future__ import annotations

import base64
import email
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.http import HttpMockSequence

from manageup.cli import main
from manageup.config import parse_config
from manageup.cycle import make_sources, run_cycle
from manageup.deliver import build_message
from manageup.deliver.gmail import GmailTransport
from manageup.detect import detect
from manageup.errors import DeliveryError, SourceError
from manageup.google import AUTH_FLAG, GoogleAuthError, build
from manageup.model import BossWeek
from manageup.sources.google import GoogleSource
from manageup.store import Store
from tests.conftest import at
from tests.mailcheck import checked_mail, checked_maildir

G = Path(__file__).parent / "fixtures" / "google"
NOW = at("2026-11-25T16:00+01:00")
WINDOW = (NOW - timedelta(days=90), NOW + timedelta(days=14))
OK = {"status": "200", "content-type": "application/json; charset=UTF-8"}


def body(name: str) -> str:
    return (G / f"{name}.json").read_text()


def status(code: int) -> dict[str, str]:
    return {**OK, "status": str(code)}


FULL = [(OK, body("page1")), (OK, body("page2")), (OK, body("page3"))]


@pytest.fixture
def gconfig(tmp_path: Path):
    text = f"""
[me]
email = "alex@example.com"
timezone = "Europe/Berlin"
[boss]
email = "sam@example.com"
name = "Sam Rivera"
[[calendars]]
type = "google"
calendar_id = "primary"
[store]
path = "{tmp_path / "s.sqlite3"}"
[delivery]
method = "maildir"
maildir = "{tmp_path / "Maildir"}"
"""
    path = tmp_path / "config.toml"
    path.write_text(text)
    path.chmod(0o600)
    return parse_config(text, path)


def source(cfg, responses, sleeps=None) -> GoogleSource:
    # HttpMockSequence pops from the list it is given: hand it a copy.
    return GoogleSource(cfg.calendars[0], cfg, http=HttpMockSequence(list(responses)),
                        sleep=(sleeps.append if sleeps is not None else lambda s: None))


def test_full_sync_pages_and_maps_events(gconfig) -> None:
    src = source(gconfig, FULL)
    result = src.fetch(*WINDOW, gconfig.zone)
    assert src.calls == 3  # three pages, the middle one empty
    by_title = {o.title: o for o in result.occurrences}
    assert "Out of office" not in by_title
    moved = by_title["Alex / Sam 1:1 (moved)"]
    assert moved.start == at("2026-12-04T14:00+01:00")
    assert moved.original_start == at("2026-12-03T10:00+01:00") and moved.moved
    assert moved.uid == "1on1abc@google.com" and moved.url.startswith("https://meet.google")
    assert moved.cadence_days == 7
    room = [p for p in by_title["Platform review"].attendees if p.is_resource]
    assert len(room) == 1  # the room does not count as a person
    matches = detect(result.occurrences, gconfig)
    assert [m.occurrence.start.strftime("%d %H:%M") for m in matches] == \
        ["19 10:00", "24 15:00", "26 10:00", "04 14:00"]  # declined one left out
    assert all("boss (sam@example.com)" in m.reason for m in matches)
    # The cancelled instance (10 Dec) came without a start and is not there at all.
    assert not any(o.start.day == 10 for o in result.occurrences)


def test_steady_state_is_one_call_and_changes_apply(gconfig) -> None:
    src = source(gconfig, [*FULL, (OK, body("unchanged")), (OK, body("changed"))])
    first = src.fetch(*WINDOW, gconfig.zone)
    src.fetch(*WINDOW, gconfig.zone)
    assert src.calls == 4  # the steady-state poll cost one call
    state = Store.open(gconfig.store.path).sync_state("google:primary")
    assert state and state["token"] == "sync-2"
    third = src.fetch(*WINDOW, gconfig.zone)
    assert src.calls == 5
    assert "Platform review" in {o.title for o in first.occurrences}
    assert "Platform review" not in {o.title for o in third.occurrences}  # tombstone applied
    moved = [o for o in third.occurrences if o.start.day == 26]
    assert [o.start.strftime("%H:%M") for o in moved] == ["16:00"]
    assert Store.open(gconfig.store.path).sync_state("google:primary")["token"] == "sync-3"


def test_state_survives_a_restart(gconfig) -> None:
    source(gconfig, FULL).fetch(*WINDOW, gconfig.zone)
    again = source(gconfig, [(OK, body("unchanged"))])
    result = again.fetch(*WINDOW, gconfig.zone)
    assert again.calls == 1 and len(detect(result.occurrences, gconfig)) == 4


def test_410_drops_the_state_and_resyncs(gconfig) -> None:
    src = source(gconfig, [*FULL, (status(410), body("gone")), *FULL])
    src.fetch(*WINDOW, gconfig.zone)
    result = src.fetch(*WINDOW, gconfig.zone)
    assert src.calls == 7 and len(detect(result.occurrences, gconfig)) == 4


def test_429_backs_off_then_succeeds(gconfig) -> None:
    sleeps: list[float] = []
    src = source(gconfig, [(status(429), body("ratelimit")), (status(503), "{}"), *FULL],
                 sleeps)
    src.fetch(*WINDOW, gconfig.zone)
    assert sleeps == [1.0, 2.0]  # the first page took three tries
    assert src.calls == 3  # requests made, each page once


def test_other_4xx_is_not_retried(gconfig) -> None:
    sleeps: list[float] = []
    src = source(gconfig, [(status(404), body("notfound"))], sleeps)
    with pytest.raises(SourceError, match="404 notFound; check the calendar id"):
        src.fetch(*WINDOW, gconfig.zone)
    assert sleeps == [] and src.calls == 1


def test_window_sliding_past_the_synced_range_resyncs(gconfig) -> None:
    src = source(gconfig, [*FULL, *FULL])
    src.fetch(*WINDOW, gconfig.zone)
    later = (WINDOW[0] + timedelta(days=40), WINDOW[1] + timedelta(days=40))
    src.fetch(*later, gconfig.zone)
    assert src.calls == 6  # the synced range ran out: listed in full again


def test_boss_week_from_freebusy(gconfig) -> None:
    src = source(gconfig, [(OK, body("freebusy_ok"))])
    week = src.boss_week(NOW, gconfig.zone)
    assert week == {"booked_hours": 10.0, "room_on": "2026-11-27"}
    hidden = source(gconfig, [(OK, body("freebusy_hidden"))])
    assert hidden.boss_week(NOW, gconfig.zone) is None  # the error came inside a 200


def test_boss_week_reaches_the_digest(gconfig) -> None:
    sources = [source(gconfig, [*FULL, (OK, body("freebusy_ok"))])]
    store = Store.open(gconfig.store.path)
    from manageup.deliver import make_transport

    run_cycle(gconfig, store, sources, make_transport(gconfig), NOW)
    (msg,) = checked_maildir(gconfig.delivery.maildir)
    text = " ".join(msg.get_payload()[0].get_payload(decode=True).decode().split())
    assert "8. Sam Rivera's week" in text
    assert "10.0 hours booked for the rest of this week. The next day with room: Friday" in text
    assert BossWeek(10.0, None).room_on is None


def _expired_credentials() -> Credentials:
    return Credentials(token="ya29.expired", refresh_token="1//refresh",
                       token_uri="https://oauth2.googleapis.com/token", client_id="id",
                       client_secret="secret", expiry=datetime(2026, 1, 1))


def test_invalid_grant_end_to_end(gconfig, capsys) -> None:
    # A real Credentials object refreshes through the (mock) transport and gets Google's
    # answer for a revoked token.
    http = AuthorizedHttp(_expired_credentials(),
                          http=HttpMockSequence([(status(400), body("invalid_grant"))]))
    src = GoogleSource(gconfig.calendars[0], gconfig, http=http, sleep=lambda s: None)
    from manageup.deliver import make_transport

    transport = make_transport(gconfig)
    store = Store.open(gconfig.store.path)
    report = run_cycle(gconfig, store, [src], transport, NOW)
    assert report.gathered.auth_failed
    assert "invalid_grant" in report.gathered.failures[0]
    assert store.flag(AUTH_FLAG) is not None
    # Next cycles: no call to Google at all (the mock has no answers left), no second mail.
    for hours in (1, 2):
        run_cycle(gconfig, store, [src], transport, NOW + timedelta(hours=hours))
    (notice,) = checked_maildir(gconfig.delivery.maildir)
    assert notice["Subject"] == "manageup cannot read your Google calendar"
    assert "manageup auth google" in notice.get_payload(decode=True).decode()
    with pytest.raises(GoogleAuthError, match="sign-in is invalid since"):
        src.fetch(*WINDOW, gconfig.zone)
    assert main(["--config", str(gconfig.source_path), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  google: the sign-in stopped working" in out and "manageup auth google" in out


def test_gmail_delivery(gconfig) -> None:
    http = HttpMockSequence([(OK, body("gmail_sent"))])
    service = build("gmail", "v1", http=http)
    transport = GmailTransport(service, sleep=lambda s: None)
    from manageup.cycle import make_digest

    src = source(gconfig, FULL)
    matches = [m for m in detect(src.fetch(*WINDOW, gconfig.zone).occurrences, gconfig)
               if m.occurrence.start > NOW]
    digest, rendered = make_digest(Store.memory(), matches[0], [], NOW, gconfig)
    msg = build_message(rendered, digest, gconfig, NOW)
    assert transport.send(msg) == "18c2f0a1b2c3d4e5"  # the conversation it opened
    ((_uri, _method, sent, _headers),) = http.request_sequence
    parsed = checked_mail(base64.urlsafe_b64decode(json.loads(sent)["raw"]))
    assert parsed["Message-ID"] == msg["Message-ID"]
    assert parsed["Subject"].startswith("Prep: Alex / Sam 1:1")


@pytest.mark.parametrize("code,transient", [(429, True), (503, True), (400, False)])
def test_gmail_errors_are_classified(code: int, transient: bool) -> None:
    answers = [(status(code), body("ratelimit"))] * 3
    service = build("gmail", "v1", http=HttpMockSequence(answers))
    msg = email.message.EmailMessage()
    msg.set_content("x")
    with pytest.raises(DeliveryError) as err:
        GmailTransport(service, sleep=lambda s: None).send(msg)
    assert err.value.transient is transient


def test_auth_command_needs_a_client_file(gconfig, capsys) -> None:
    assert main(["--config", str(gconfig.source_path), "auth", "google"]) == 2
    assert "pass --client-secret FILE" in capsys.readouterr().err
    assert main(["--config", str(gconfig.source_path), "auth", "google", "--client-secret",
                 "/nonexistent.json"]) == 2
    assert "no client secret file" in capsys.readouterr().err


def test_dry_run_writes_nothing(gconfig, capsys) -> None:
    (src,) = make_sources(gconfig, readonly=True)
    src._http = HttpMockSequence([*FULL, (OK, body("freebusy_ok"))])
    from manageup.deliver import make_transport

    report = run_cycle(gconfig, Store.open(gconfig.store.path, readonly=True), [src],
                       make_transport(gconfig, dry_run=True), NOW, dry_run=True)
    assert report.sent and "8. Sam Rivera's week" in capsys.readouterr().out
    assert not gconfig.store.path.exists()  # no sync state, no ledger, no file at all


def test_sign_in_end_to_end(gconfig, tmp_path, memory_keyring, monkeypatch, capsys,
                            request) -> None:
    """The real installed-app flow of google-auth-oauthlib: the test plays the browser,
    and Google's token endpoint is a loopback server named in the client file."""
    import threading
    import urllib.parse
    import urllib.request
    from contextlib import ExitStack
    from http.server import BaseHTTPRequestHandler

    from tests.conftest import free_port, serve_http

    stack = ExitStack()
    request.addfinalizer(stack.close)

    class Token(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"access_token": "ya29.new", "expires_in": 3599, "refresh_token":'
                             b' "1//new-refresh", "token_type": "Bearer", "scope":'
                             b' "https://www.googleapis.com/auth/calendar.readonly"}')

        def log_message(self, *args: object) -> None:
            pass

    token_url = stack.enter_context(serve_http(Token))
    client = tmp_path / "client_secret.json"
    client.write_text(
        '{"installed": {"client_id": "123.apps.googleusercontent.com", "client_secret": "x",'
        ' "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri":'
        f' "{token_url}/token",'
        ' "redirect_uris": ["http://localhost"]}}')
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the loopback token endpoint
    monkeypatch.delenv("DISPLAY", raising=False)
    Store.open(gconfig.store.path).set_flag(AUTH_FLAG, "invalid_grant", NOW)
    port = free_port()
    result: list[int] = []
    signer = threading.Thread(target=lambda: result.append(main([
        "--config", str(gconfig.source_path), "auth", "google", "--client-secret", str(client),
        "--port", str(port)])))
    signer.start()
    printed = ""
    for _ in range(100):
        printed += capsys.readouterr().out
        if "state=" in printed:
            break
        signer.join(0.05)
    url = next(line for line in printed.splitlines() if line.startswith("https://"))
    query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    assert query["redirect_uri"] == [f"http://localhost:{port}/"]  # no copy-paste flow
    assert query["scope"] == ["https://www.googleapis.com/auth/calendar.readonly"]
    redirect = f"http://localhost:{port}/?state={query['state'][0]}&code=4/test-code"
    urllib.request.urlopen(redirect, timeout=10).read()
    signer.join(10)
    assert result == [0]
    stored = memory_keyring.values[("manageup", "google-token")]
    assert '"refresh_token": "1//new-refresh"' in stored
    assert Store.open(gconfig.store.path).flag(AUTH_FLAG) is None  # calling Google again
    assert "1//new-refresh" not in capsys.readouterr().out


def test_failed_notice_is_retried(gconfig, tmp_path) -> None:
    """The sign-in notice goes through the ledger like a digest: a mail server that is
    down at first gets it once it is back, and then never again."""
    from manageup.deliver import make_transport
    from tests.conftest import SmtpServer

    server = SmtpServer()  # down for the first cycle
    text = gconfig.source_path.read_text().replace(
        f'[delivery]\nmethod = "maildir"\nmaildir = "{tmp_path / "Maildir"}"\n',
        server.delivery())
    cfg = parse_config(text, gconfig.source_path)
    http = AuthorizedHttp(_expired_credentials(),
                          http=HttpMockSequence([(status(400), body("invalid_grant"))]))
    src = GoogleSource(cfg.calendars[0], cfg, http=http, sleep=lambda s: None)
    store = Store.open(cfg.store.path)
    run_cycle(cfg, store, [src], make_transport(cfg), NOW)
    assert server.handler.raw == []
    server.start()
    try:
        for hours in (1, 2, 3):
            run_cycle(cfg, store, [src], make_transport(cfg), NOW + timedelta(hours=hours))
        assert len(server.handler.raw) == 1
    finally:
        server.stop()
