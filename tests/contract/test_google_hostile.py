"""Hostile and broken answers around Google: malformed events and pages, a captive portal,
a keyring that fails in ways keyring's own errors do not cover, broken client files and
sign-ins refused in the browser, a Gmail send whose answer never comes. Each is a calendar
error, a warning or one clear message: never an exception escaping the cycle, never a
traceback, never a mail sent over and over."""

from __future__ import annotations

import contextlib
import copy
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from googleapiclient.http import HttpMockSequence

from manageup.accounts.google import AUTH_FLAG, build
from manageup.cli import main
from manageup.config import Config, load_config
from manageup.cycle import gather, make_sources, run_cycle
from manageup.deliver import make_transport
from manageup.deliver.gmail import GmailTransport
from manageup.detect import detect
from manageup.sources.google import GoogleSource
from manageup.store import Store
from tests.conftest import at, free_port
from tests.contract.test_google import FULL, NOW, OK, body, google_config, status
from tests.contract.test_google_signin import REFRESHED, start_sign_in, token_json
from tests.contract.test_google_signin import google as google  # a fixture
from tests.mailcheck import checked_maildir


@pytest.fixture
def gconfig(tmp_path: Path) -> Config:
    return google_config(tmp_path)


def source(cfg: Config, answers: list[Any]) -> GoogleSource:
    return GoogleSource(cfg.calendars[0], cfg, http=HttpMockSequence(list(answers)),
                        sleep=lambda s: None)


PAGE1 = json.loads(body("page1"))
GOOD = next(e for e in PAGE1["items"] if e["id"] == "1on1abc_20261119T090000Z")


def page1_with(*extra: Any) -> tuple[dict[str, str], str]:
    return (OK, json.dumps({**PAGE1, "items": [*PAGE1["items"], *extra]}))


def broken(**fields: Any) -> dict[str, Any]:
    """Another instance of the 1:1 series, with `fields` replaced."""
    event = {**copy.deepcopy(GOOD), "id": "1on1abc_20261029T090000Z"}
    return {**event, **fields}


# --- events and pages of the wrong shape ------------------------------------------------------

BAD_EVENTS = {
    "dateTime a number": broken(start={"dateTime": 1764147600}),
    "originalStartTime garbage": broken(originalStartTime={"dateTime": "garbage"}),
    "attendee a string": broken(attendees=["sam@example.com"]),
    "conferenceData null": broken(conferenceData=None),
    "organizer a string": broken(organizer="sam@example.com"),
    "year 1 with an offset": broken(start={"dateTime": "0001-01-01T00:00:00+05:00"},
                                    originalStartTime={"dateTime": "0001-01-01T00:00:00+05:00"}),
    "cancelled stub with a garbage time": {"id": "1on1abc_x", "status": "cancelled",
                                           "recurringEventId": "1on1abc",
                                           "originalStartTime": {"dateTime": "garbage"}},
    "no id": {k: v for k, v in broken().items() if k != "id"},
    "not an object": "1on1abc_20261029T090000Z",
}


@pytest.mark.parametrize("name", list(BAD_EVENTS))
def test_a_malformed_event_is_a_warning_not_a_lost_calendar(gconfig: Config, name: str) -> None:
    answers = [page1_with(BAD_EVENTS[name]), *FULL[1:]]
    result = gather([source(gconfig, answers)], gconfig, NOW, Store.open(gconfig.store.path),
                    readonly=False)
    assert result.failures == []
    assert len(result.warnings) == 1 and "\n" not in result.warnings[0]
    assert len(detect(result.occurrences, gconfig)) == 4  # every good 1:1 still found


def test_a_malformed_event_in_an_incremental_page_is_a_warning(gconfig: Config) -> None:
    changed = json.loads(body("changed"))
    changed["items"].append(BAD_EVENTS["dateTime a number"])
    src = source(gconfig, [*FULL, (OK, json.dumps(changed))])
    store = Store.open(gconfig.store.path)
    gather([src], gconfig, NOW, store, readonly=False)
    result = gather([src], gconfig, NOW, store, readonly=False)
    assert result.failures == [] and len(result.warnings) == 1


@pytest.mark.parametrize("answer", [
    "<html><body>Sign in to the hotel Wi-Fi</body></html>",  # a captive portal's 200
    "[]",
    '{"kind": "calendar#events", "items": null, "nextSyncToken": "s"}',
    '{"kind": "calendar#events", "items": {"a": 1}, "nextSyncToken": "s"}',
])
def test_an_answer_that_is_not_an_events_list_fails_only_this_cycle(gconfig: Config,
                                                                    answer: str) -> None:
    result = gather([source(gconfig, [(OK, answer)])], gconfig, NOW,
                    Store.open(gconfig.store.path), readonly=False)
    (failure,) = result.failures
    assert "Google" in failure and "\n" not in failure and not result.auth_failed


def test_a_page_token_that_comes_back_ends_the_listing(gconfig: Config) -> None:
    loop = (OK, json.dumps({"kind": "calendar#events", "items": [],
                            "nextPageToken": "page-2"}))
    src = source(gconfig, [loop] * 5)
    result = gather([src], gconfig, NOW, Store.open(gconfig.store.path), readonly=False)
    (failure,) = result.failures
    assert "page" in failure and src.calls == 2  # not until the answers run out


# --- the boss's week: optional, never in the way of the digest -------------------------------

@pytest.mark.parametrize("answer", [
    {"calendars": {"sam@example.com": {"busy": [{"end": "2026-11-26T10:00:00Z"}]}}},
    {"calendars": {"sam@example.com": {"busy": [{"start": "soon", "end": "later"}]}}},
    {"calendars": []},
    "<html>captive portal</html>",
])
def test_a_malformed_freebusy_answer_still_sends_the_digest(gconfig: Config,
                                                           answer: Any) -> None:
    text = answer if isinstance(answer, str) else json.dumps(answer)
    src = source(gconfig, [*FULL, (OK, text)])
    store = Store.open(gconfig.store.path)
    report = run_cycle(gconfig, store, [src], make_transport(gconfig), NOW)
    assert report.failed == [] and len(report.sent) == 1
    (msg,) = checked_maildir(gconfig.delivery.maildir)
    assert "Sam Rivera's week" not in msg.get_payload()[0].get_payload(decode=True).decode()


# --- keyrings that fail in their own ways ----------------------------------------------------

def failing_keyring(get: BaseException | None = None, value: str | None = None,
                    put: BaseException | None = None) -> Iterator[dict[str, str]]:
    import keyring
    from keyring.backend import KeyringBackend

    written: dict[str, str] = {}

    class Failing(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            if get is not None:
                raise get
            return written.get(username, value)

        def set_password(self, service: str, username: str, password: str) -> None:
            if put is not None:
                raise put
            written[username] = password

        def delete_password(self, service: str, username: str) -> None:
            written.pop(username, None)

    previous = keyring.get_keyring()
    keyring.set_keyring(Failing())
    try:
        yield written
    finally:
        keyring.set_keyring(previous)


READ_FAILURES = {
    # A file keyring whose file is not readable; secretstorage or dbus raising its own
    # error (no D-Bus session in a cron job); keyrings.cryptfile given a wrong password.
    "PermissionError": PermissionError(13, "Permission denied"),
    "a D-Bus error": Exception("org.freedesktop.DBus.Error.ServiceUnknown"),
    "ValueError": ValueError("Incorrect password"),
}


@pytest.mark.parametrize("name", list(READ_FAILURES))
def test_a_keyring_failing_its_own_way_is_a_calendar_error(gconfig: Config, name: str,
                                                           capsys) -> None:  # type: ignore[no-untyped-def]
    for _ in failing_keyring(get=READ_FAILURES[name]):
        src = GoogleSource(gconfig.calendars[0], gconfig, transport=HttpMockSequence([]))
        store = Store.open(gconfig.store.path)
        report = run_cycle(gconfig, store, [src], make_transport(gconfig), NOW)
        (failure,) = report.gathered.failures
        assert "keyring" in failure and not report.gathered.auth_failed
        assert store.flag(AUTH_FLAG) is None
        store.close()
        assert main(["--config", str(gconfig.source_path), "doctor"]) == 1
        out = capsys.readouterr().out
        assert "FAIL  google: cannot read the Google sign-in" in out


@pytest.mark.parametrize("put", [OSError("No space left on device"), Exception("D-Bus")])
def test_a_keyring_that_cannot_keep_the_refreshed_token_costs_only_a_refresh(
        gconfig: Config, put: BaseException) -> None:
    for _ in failing_keyring(value=token_json(), put=put):
        src = GoogleSource(gconfig.calendars[0], gconfig,
                           transport=HttpMockSequence([(OK, REFRESHED), *FULL,
                                                       (OK, body("freebusy_ok"))]))
        store = Store.open(gconfig.store.path)
        report = run_cycle(gconfig, store, [src], make_transport(gconfig), NOW)
        assert report.gathered.failures == [] and report.sent


@pytest.mark.parametrize("stored", [
    "[1]",
    json.dumps({**json.loads(token_json()), "expiry": 5}),
    json.dumps({**json.loads(token_json()), "refresh_token": None}),
    "not json",
])
def test_a_stored_sign_in_of_the_wrong_shape_is_unreadable(gconfig: Config, stored: str,
                                                           capsys) -> None:  # type: ignore[no-untyped-def]
    for _ in failing_keyring(value=stored):
        src = GoogleSource(gconfig.calendars[0], gconfig, transport=HttpMockSequence([]))
        report = run_cycle(gconfig, Store.open(gconfig.store.path), [src],
                           make_transport(gconfig), NOW)
        (failure,) = report.gathered.failures
        assert "stored Google sign-in is unreadable" in failure
        assert main(["--config", str(gconfig.source_path), "doctor"]) == 1
        out = capsys.readouterr().out
        assert "FAIL  google: the stored Google sign-in is unreadable" in out
        assert "google: signed in" not in out


# --- the sign-in ------------------------------------------------------------------------------

INSTALLED = {"client_id": "1.apps.googleusercontent.com", "client_secret": "x",
             "auth_uri": "https://accounts.google.com/o/oauth2/auth",
             "token_uri": "https://oauth2.googleapis.com/token",
             "redirect_uris": ["http://localhost"]}


@pytest.mark.parametrize("content,message", [
    ({"installed": None}, "is not an OAuth client file"),
    ({"installed": "x"}, "is not an OAuth client file"),
    ({"web": {**INSTALLED, "redirect_uris": ["https://example.com/cb"]}}, "Desktop app"),
])
def test_a_wrong_client_file_is_refused_before_the_browser(gconfig: Config, tmp_path: Path,
                                                           memory_keyring, capsys,  # type: ignore[no-untyped-def]
                                                           content: Any, message: str) -> None:
    client = tmp_path / "client_secret.json"
    client.write_text(json.dumps(content))
    code = main(["--config", str(gconfig.source_path), "auth", "google", "--client-secret",
                 str(client), "--port", str(free_port())])
    captured = capsys.readouterr()
    assert code == 2 and message in captured.err and "Traceback" not in captured.err
    assert "https://accounts.google.com" not in captured.out  # no sign-in page offered


def redirect_back(config: Path, client: Path, capsys: pytest.CaptureFixture[str],
                  query: str) -> tuple[int | None, str]:
    """Run `manageup auth google` and send the browser back to it with `query` (the
    flow's state added unless the query has its own); the exit code and stderr."""
    started = start_sign_in(config, client, capsys)
    signer, result, port = started.signer, started.result, started.port
    state = started.query["state"][0]
    if "state=" not in query:
        query += f"&state={state}"
    with contextlib.suppress(OSError):  # the page the flow shows does not matter here
        urllib.request.urlopen(f"http://localhost:{port}/?{query}", timeout=30).read()
    signer.join(60)
    return (result[0] if result else None), capsys.readouterr().err


@pytest.mark.parametrize("query,answer,message", [
    ("error=access_denied", None, "access_denied"),  # the user pressed Cancel
    ("code=4/x&state=forged", None, "state"),  # another page answered the local port
    ("code=4/x", {"error": "invalid_client", "error_description": "Unauthorized"},
     "invalid_client"),  # a client secret that no longer matches the console's
])
def test_a_sign_in_refused_in_the_browser_is_one_clear_line(
        gconfig: Config, google, memory_keyring, capsys,  # type: ignore[no-untyped-def]
        query: str, answer: dict[str, str] | None, message: str) -> None:
    if answer is not None:
        google.answer = answer
    code, err = redirect_back(gconfig.source_path, google.client, capsys, query)
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert memory_keyring.values == {}


# --- Gmail --------------------------------------------------------------------------------------

@pytest.fixture
def gmail_config(example: Path) -> Config:
    cfg = example / "config.toml"
    cfg.write_text(cfg.read_text().replace(
        'method = "maildir"\nmaildir = "state/Maildir"\n', 'method = "gmail"\n'))
    return load_config(cfg)


def test_a_gmail_rate_limit_403_is_retried_soon(gmail_config: Config) -> None:
    from email.message import EmailMessage

    from manageup.errors import DeliveryError

    msg = EmailMessage()
    msg.set_content("x")
    service = build("gmail", "v1", http=HttpMockSequence([(status(403), body("ratelimit_403"))]
                                                         * 5))
    with pytest.raises(DeliveryError) as err:
        GmailTransport(service, sleep=lambda s: None).send(msg)
    assert err.value.transient and not err.value.maybe_sent


class NoAnswer:
    """An HTTP connection that sends the request and then times out: Gmail may well have
    sent the mail, the client cannot know."""

    def __init__(self) -> None:
        self.posts = 0

    def request(self, uri: str, method: str = "GET", body: Any = None, headers: Any = None,
                redirections: int = 5, connection_type: Any = None) -> Any:
        self.posts += method == "POST"
        raise TimeoutError("The read operation timed out")


def test_a_gmail_send_that_times_out_goes_out_at_most_twice(gmail_config: Config) -> None:
    http = NoAnswer()
    transport = GmailTransport(build("gmail", "v1", http=http), sleep=lambda s: None)
    sources, now = make_sources(gmail_config), at("2026-11-25T12:00+01:00")
    while now < at("2026-11-26T10:00+01:00"):  # the 1:1's start
        store = Store.open(gmail_config.store.path)
        run_cycle(gmail_config, store, sources, transport, now)
        store.close()
        now += timedelta(minutes=20)
    assert http.posts == 2  # as over SMTP: once more with the same Message-ID, then uncertain
    assert [r.state for r in Store.open(gmail_config.store.path).ledger()] == ["uncertain"]


def test_a_token_endpoint_out_of_reach_is_one_clear_line(
        gconfig: Config, google, memory_keyring, capsys) -> None:  # type: ignore[no-untyped-def]
    info = json.loads(google.client.read_text())
    info["installed"]["token_uri"] = f"http://127.0.0.1:{free_port()}/token"  # nobody there
    google.client.write_text(json.dumps(info))
    code, err = redirect_back(gconfig.source_path, google.client, capsys, "code=4/x")
    assert code == 2 and "cannot reach Google's token endpoint" in err
    assert "Traceback" not in err and memory_keyring.values == {}


# --- a new user's first hour: a Google calendar configured, no sign-in yet ------------------

@pytest.mark.parametrize("argv", [["meetings"], ["meetings", "--explain"],
                                  ["meetings", "--explain", "--json"]])
def test_meetings_before_signing_in_says_so(gconfig: Config, memory_keyring, capsys,  # type: ignore[no-untyped-def]
                                            argv: list[str]) -> None:
    code = main(["--config", str(gconfig.source_path), *argv])
    captured = capsys.readouterr()
    assert code == 1 and "not signed in to Google" in captured.err
    # Not a wrong diagnosis of a calendar that was never read.
    assert "boss.email" not in captured.out + captured.err


@pytest.mark.parametrize("state", [
    {"token": "x", "synced_from": "garbage", "synced_until": "x", "events": {}},
    {"token": "x", "synced_from": "2026-08-01T00:00:00+02:00",
     "synced_until": "2027-08-01T00:00:00+02:00", "events": {"e1": 5}},
    {"token": "x", "synced_from": "2026-08-01T00:00:00+02:00",
     "synced_until": "2027-08-01T00:00:00+02:00", "events": ["e1"]},
])
def test_a_damaged_sync_state_means_a_full_listing(gconfig: Config,
                                                   state: dict[str, Any]) -> None:
    """Sync state comes back through `manageup import` and from older stores: one that is
    not what the source wrote is listed afresh, not an exception every cycle."""
    store = Store.open(gconfig.store.path)
    store.save_sync_state("google:primary", state)
    src = source(gconfig, FULL)
    result = gather([src], gconfig, NOW, store, readonly=False)
    assert result.failures == [] and src.calls == 3
    assert len(detect(result.occurrences, gconfig)) == 4


def test_a_dead_sign_in_found_by_gmail_shows_in_doctor(gmail_config: Config, memory_keyring,  # type: ignore[no-untyped-def]
                                                        capsys) -> None:
    """Gmail delivery with .ics calendars: no calendar call ever meets the dead sign-in,
    so the send must record it, or `doctor` says all is well while no digest goes out."""
    from manageup.accounts import google

    memory_keyring.values[("manageup", "google-token")] = json.dumps({
        **json.loads(token_json()), "scopes": [google.CALENDAR_SCOPE, google.GMAIL_SCOPE]})
    session = google.Session(google.scopes_for(gmail=True),
                             HttpMockSequence([(status(400), body("invalid_grant"))]))
    transport = GmailTransport(google.LiveService(session, "gmail", "v1"), sleep=lambda s: None)
    store = Store.open(gmail_config.store.path)
    now = at("2026-11-25T17:00+01:00")
    run_cycle(gmail_config, store, make_sources(gmail_config), transport, now)
    assert store.flag(AUTH_FLAG) == ("invalid_grant", now)
    store.close()
    assert main(["--config", str(gmail_config.source_path), "doctor"]) == 1
    assert "FAIL  delivery: Gmail: the Google sign-in stopped working" in capsys.readouterr().out
