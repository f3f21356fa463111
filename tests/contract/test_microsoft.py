"""Microsoft 365 against a loopback fake of Graph and of the identity endpoints, over real
TLS (trustme), with msal pointed at it (instance discovery off; no network)."""

from __future__ import annotations

import base64
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from manageup import cli
from manageup.accounts import microsoft
from manageup.away import is_away
from manageup.config import Calendar, Config
from manageup.detect import detect
from manageup.errors import SourceError
from manageup.sources.ics import IcsSource
from manageup.sources.microsoft import MicrosoftSource
from manageup.store import Store
from tests.conftest import BERLIN, at, config_text, free_port

GRAPH = Path(__file__).parent.parent / "fixtures" / "graph"
NOW = at("2026-11-03T08:00+01:00")
WINDOW = (NOW - timedelta(days=2), NOW + timedelta(days=40))
TENANT = "contoso.example"
TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
CLIENT_ID = "4a1aa1d5-c567-49d0-ad0b-cd957a47f842"
USER = "alex.chen@contoso.example"  # the account; me.email is alex@example.com


def _b64(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


class FakeMicrosoft:
    """Entra ID (discovery, device code, token) and Graph (calendarView/delta, me/calendar)."""

    def __init__(self, ca: Any) -> None:
        self.requests: list[tuple[str, str]] = []
        # The next Graph answers: a fixture's name, a body, or a function that answers.
        self.errors: list[tuple[int, dict[str, str], Any]] = []
        self.deltas: dict[str, str] = {"d1": ""}  # delta token -> fixture ("" = no change)
        self.dead = False  # the refresh token is refused
        self.pending = 0  # device-code polls answered "authorization_pending"
        self.expired = False  # the user never typed the code in time
        self.issued = 0
        self.other = ""  # another host's address, for links that lead away from Graph
        # Answers calendarView/delta from its query instead of the fixtures (the contract
        # suite serves tests/source_scenario.py's calendar through it).
        self.calendar: Callable[[dict[str, str]], Any] | None = None
        # GET /me/events/{id}: a fixture's name or a body by Graph id; any other id is 404.
        self.events: dict[str, Any] = {"AAMkAGI2TGuLAAA=-series-sam-alex": "series_sam_alex"}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake.handle(self, "GET", b"")

            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                fake.handle(self, "POST", self.rfile.read(size))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1").configure_cert(ctx)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.base = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.httpd.socket.fileno() != -1:
            self.httpd.shutdown()
            self.httpd.server_close()

    def graph(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[1].startswith("/v1.0/")]

    # -- answers -----------------------------------------------------------------------------

    def handle(self, h: BaseHTTPRequestHandler, method: str, body: bytes) -> None:
        url = urlsplit(h.path)
        self.requests.append((method, url.path))
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        # Sign-in bodies: https://learn.microsoft.com/en-us/entra/identity-platform/
        # v2-protocols-oidc (discovery), v2-oauth2-device-code (device code, token, and its
        # errors), reference-error-codes (AADSTS90002, 70016, 70020).
        if url.path.endswith("/v2.0/.well-known/openid-configuration"):
            if not url.path.startswith(f"/{TENANT}/"):
                return self.send(h, 400, {"error": "invalid_tenant", "error_description":
                                          "AADSTS90002: Tenant 'nope' not found."})
            return self.send(h, 200, self.openid())
        if url.path.endswith("/oauth2/v2.0/devicecode"):
            return self.send(h, 200, {
                "user_code": "F7QK-29LM", "device_code": "DAQABAAEAAAD--DLA3VO7QrddgJg7Wev",
                "verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900,
                "interval": 1, "message": "To sign in, use a web browser to open the page "
                "https://microsoft.com/devicelogin and enter the code F7QK-29LM to authenticate."})
        if url.path.endswith("/oauth2/v2.0/token"):
            return self.token(h, {k: v[0] for k, v in parse_qs(body.decode()).items()})
        if not h.headers.get("Authorization", "").startswith("Bearer at-"):
            # https://learn.microsoft.com/en-us/graph/errors (401 InvalidAuthenticationToken)
            return self.send(h, 401, {"error": {"code": "InvalidAuthenticationToken",
                                                "message": "Access token is empty."}})
        if self.errors:
            status, headers, name = self.errors.pop(0)
            if callable(name):  # the test writes the answer itself (a drip, a flood)
                return name(h)
            if isinstance(name, bytes):  # a body as it is, JSON or not
                return self.send_raw(h, status, name, "application/json")
            if name.endswith(".html"):  # a proxy's or gateway's error page, not JSON
                return self.send_raw(h, status, (GRAPH / name).read_bytes(), "text/html")
            return self.send(h, status, self.fixture(name), headers)
        if url.path == "/v1.0/me/calendar":
            # https://learn.microsoft.com/en-us/graph/api/calendar-get?view=graph-rest-1.0
            return self.send(h, 200, {"id": "AAMkAGI2TG93AAA=", "name": "Calendar"})
        if url.path.startswith("/v1.0/me/events/"):
            return self.event(h, unquote(url.path.removeprefix("/v1.0/me/events/")))
        if url.path == "/v1.0/me/calendarView/delta":
            assert 'outlook.timezone="UTC"' in h.headers.get("Prefer", "")
            if self.calendar is not None:
                return self.send(h, 200, self.calendar(query))
            if "startDateTime" in query:
                return self.send(h, 200, self.fixture("page1"))
            if "$skiptoken" in query:
                return self.send(h, 200, self.fixture(query["$skiptoken"].replace("p", "page")))
            token = query["$deltatoken"]
            name = self.deltas.get(token, "")
            if name:
                return self.send(h, 200, self.fixture(name))
            # Nothing changed: no items and the same delta link (the event delta page,
            # https://learn.microsoft.com/en-us/graph/api/event-delta?view=graph-rest-1.0).
            return self.send(h, 200, {"value": [], "@odata.deltaLink":
                                      f"{self.base}/v1.0/me/calendarView/delta?$deltatoken={token}"})
        # https://learn.microsoft.com/en-us/graph/errors (404, a path Graph does not have)
        return self.send(h, 404, {"error": {"code": "ResourceNotFound", "message": "no"}})

    def event(self, h: BaseHTTPRequestHandler, ident: str) -> None:
        assert 'outlook.timezone="UTC"' in h.headers.get("Prefer", "")
        body = self.events.get(ident)
        if body is None:
            # event-get's answer for an id the mailbox no longer has (Graph's error
            # resource: https://learn.microsoft.com/en-us/graph/errors).
            return self.send(h, 404, {"error": {
                "code": "ErrorItemNotFound",
                "message": "The specified object was not found in the store."}})
        return self.send(h, 200, self.fixture(body) if isinstance(body, str) else body)

    def fixture(self, name: str) -> Any:
        """A body from tests/fixtures/graph/; PROVENANCE.md there names each one's source."""
        text = (GRAPH / f"{name}.json").read_text().replace("{base}", self.base)
        return json.loads(text.replace("{other}", self.other))

    def openid(self) -> dict[str, Any]:
        root = f"{self.base}/{TENANT_ID}"
        return {"token_endpoint": f"{root}/oauth2/v2.0/token",
                "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
                "issuer": f"{root}/v2.0", "jwks_uri": f"{self.base}/{TENANT_ID}/discovery/keys",
                "response_types_supported": ["code", "id_token"],
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"]}

    def token(self, h: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        grant = form.get("grant_type", "")
        if grant.endswith("device_code") and self.expired:
            return self.send(h, 400, {"error": "expired_token", "error_description":
                                      "AADSTS70020: The provided value for the input "
                                      "parameter 'device_code' is not valid.\r\nTrace ID: 1"})
        if grant.endswith("device_code") and self.pending:
            self.pending -= 1
            return self.send(h, 400, {"error": "authorization_pending",
                                      "error_description": "AADSTS70016: pending"})
        if grant == "refresh_token" and self.dead:
            return self.send(h, 400, self.fixture("invalid_grant"))
        self.issued += 1
        now = int(time.time())
        claims = {"aud": CLIENT_ID, "iss": f"{self.base}/{TENANT_ID}/v2.0", "iat": now,
                  "nbf": now, "exp": now + 3600, "name": "Alex Chen",
                  "oid": "00000000-0000-0000-66f3-3332eca7ea81", "preferred_username": USER,
                  "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "tid": TENANT_ID,
                  "ver": "2.0"}
        self.send(h, 200, {
            "token_type": "Bearer", "scope": "Calendars.Read openid profile email",
            "expires_in": 3599, "ext_expires_in": 3599,
            "access_token": f"at-{self.issued}", "refresh_token": f"rt-{self.issued}",
            "id_token": f"{_b64({'typ': 'JWT', 'alg': 'none'})}.{_b64(claims)}.",
            "client_info": _b64({"uid": claims["oid"], "utid": TENANT_ID})})

    def send_raw(self, h: BaseHTTPRequestHandler, status: int, data: bytes,
                 kind: str) -> None:
        h.send_response(status)
        h.send_header("Content-Type", kind)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def send(self, h: BaseHTTPRequestHandler, status: int, body: Any,
             headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)


@pytest.fixture(scope="module")
def ca() -> Any:
    import trustme

    return trustme.CA()


@pytest.fixture
def fake(ca: Any) -> Iterator[FakeMicrosoft]:
    server = FakeMicrosoft(ca)
    yield server
    server.stop()


@pytest.fixture
def trusted(ca: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """requests trusts the fake's CA, as it would trust a real server's."""
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(path))
    return path


def ms_table(fake: FakeMicrosoft) -> str:
    return (f'type = "microsoft"\nname = "work"\nclient_id = "{CLIENT_ID}"\n'
            f'tenant = "{TENANT}"\nauthority_url = "{fake.base}"\n'
            f'graph_url = "{fake.base}/v1.0"\n')


def write_config(tmp_path: Path, table: str, extra: str = "") -> tuple[Path, Config]:
    from manageup.config import parse_config

    text = config_text("PLACEHOLDER", tmp_path, extra).replace(
        'type = "ics"\npath = "PLACEHOLDER"\n', table)
    path = tmp_path / "config.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path, parse_config(text, path)


@pytest.fixture
def signed_in(fake: FakeMicrosoft, trusted: Path, memory_keyring: Any, tmp_path: Path) -> Config:
    _, config = write_config(tmp_path, ms_table(fake))
    assert microsoft.sign_in(config.calendars[0], lambda _text: None) == USER
    fake.requests.clear()
    return config


def source(config: Config, waits: list[float] | None = None) -> MicrosoftSource:
    return MicrosoftSource(config.calendars[0], config,
                           sleep=(waits.append if waits is not None else lambda _s: None))



def poll(src: Any, start: Any, end: Any, zone: Any) -> Any:
    """One poll as the daemon makes it: the sync state read from and saved to the store."""
    store = Store.open(src.config.store.path)
    try:
        return src.fetch_synced(start, end, zone, store=store, now=start, readonly=False)
    finally:
        store.close()

def matches(occurrences: list[Any], config: Config) -> list[tuple[Any, ...]]:
    return [(m.occurrence.uid, m.occurrence.key, m.occurrence.start, m.occurrence.end,
             m.occurrence.title, m.reason, m.occurrence.original_start, m.occurrence.location)
            for m in detect(occurrences, config)]


# -- sign-in -----------------------------------------------------------------------------------


def test_auth_microsoft_device_code_keeps_the_cache_in_the_keyring(
        fake: FakeMicrosoft, trusted: Path, memory_keyring: Any, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path, config = write_config(tmp_path, ms_table(fake))
    store = Store.open(config.store.path)
    store.set_flag(microsoft.AUTH_FLAG, "invalid_grant", NOW)
    store.close()
    fake.pending = 1  # the user has not typed the code yet at the first poll
    assert cli.main(["--config", str(path), "auth", "microsoft"]) == 0
    out = capsys.readouterr().out
    assert "enter the code F7QK-29LM" in out and f"Signed in to Microsoft 365 as {USER}" in out
    cache = memory_keyring.values[("manageup", microsoft.TOKEN_NAME)]
    assert "rt-1" in cache and "RefreshToken" in cache
    store = Store.open(config.store.path)
    assert store.flag(microsoft.AUTH_FLAG) is None  # signing in again clears a dead sign-in
    store.close()
    assert [p for _m, p in fake.requests if "devicecode" in p or p.endswith("/token")]


def test_auth_microsoft_without_a_calendar_table_says_what_to_add(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = write_config(tmp_path, 'type = "ics"\npath = "/nonexistent.ics"\n')
    assert cli.main(["--config", str(path), "auth", "microsoft"]) == 2
    assert 'type = "microsoft"' in capsys.readouterr().err


# -- reading -----------------------------------------------------------------------------------


def test_first_poll_pages_and_finds_the_same_1on1s_as_the_ics(
        fake: FakeMicrosoft, signed_in: Config) -> None:
    got = poll(source(signed_in), *WINDOW, BERLIN)
    paths = [p for _m, p in fake.graph()]
    assert paths == ["/v1.0/me/calendarView/delta"] * 3  # three pages, one of them empty
    want = IcsSource(Calendar(type="ics", path=GRAPH / "equivalent.ics")).fetch(*WINDOW, BERLIN)
    assert matches(got.occurrences, signed_in) == matches(want.occurrences, signed_in)
    by_title = {o.title: o for o in got.occurrences}
    cancelled = by_title["Canceled: Sam / Alex"]
    assert cancelled.status == "CANCELLED" and cancelled.original_start == \
        at("2026-11-19T10:00+01:00")
    moved = by_title["Sam / Alex (moved)"]
    assert moved.moved and moved.start.date().isoformat() == "2026-11-13"
    # The series' UID in the .ics, carried in each occurrence's iCalUId after "vCal-Uid".
    assert moved.key == "sam-alex-weekly@contoso.example|2026-11-12T10:00:00+01:00"
    assert moved.url.startswith("https://teams.microsoft.com/l/meetup-join/")
    room = next(a for a in by_title["Budget review"].attendees if a.is_resource)
    assert room.email == "conf-room-4@contoso.example"
    assert all(a.email != USER for o in got.occurrences for a in o.attendees)  # joined to me
    assert by_title["Sam / Alex"].cadence_days == 7


def test_out_of_office_is_read_from_show_as(fake: FakeMicrosoft, signed_in: Config) -> None:
    # Issue 27.5: Graph's showAs "oof" is the user's absence, as Outlook's OOF in an .ics.
    fake.errors.append((200, {}, "out_of_office"))
    got = poll(source(signed_in), *WINDOW, BERLIN)
    assert {o.title: o.show_as for o in got.occurrences} == {"Family trip": "oof",
                                                             "Vacation planning": "free"}
    assert [o.title for o in got.occurrences if is_away(o, signed_in)] == ["Family trip"]


def test_quiet_poll_is_one_request(fake: FakeMicrosoft, signed_in: Config) -> None:
    src = source(signed_in)
    first = poll(src, *WINDOW, BERLIN)
    fake.requests.clear()
    again = poll(src, WINDOW[0] + timedelta(minutes=5), WINDOW[1] + timedelta(minutes=5),
                      BERLIN)
    assert fake.requests == [("GET", "/v1.0/me/calendarView/delta")]
    assert again.unchanged
    assert [o.key for o in again.occurrences] == [o.key for o in first.occurrences]


def test_delta_with_changes_and_removals(fake: FakeMicrosoft, signed_in: Config) -> None:
    src = source(signed_in)
    poll(src, *WINDOW, BERLIN)
    fake.deltas["d1"] = "delta_changes"
    after = poll(src, *WINDOW, BERLIN)
    titles = {o.title for o in after.occurrences}
    assert "Team weekly" not in titles  # @removed
    assert {"Quick sync", "Sam / Alex: planning"} <= titles
    store = Store.open(signed_in.store.path)
    state = store.sync_state(src.key)
    store.close()
    assert state and state["token"].endswith("$deltatoken=d2")
    assert "AAMkAGI2TGuLAAA=-team" not in state["events"] and not after.warnings


@pytest.mark.parametrize("answer", [(410, "sync_state_not_found"),
                                    (400, "sync_state_not_found")])
def test_gone_delta_state_reads_the_window_again(
        fake: FakeMicrosoft, signed_in: Config, answer: tuple[int, str]) -> None:
    src = source(signed_in)
    want = [o.key for o in poll(src, *WINDOW, BERLIN).occurrences]
    fake.errors.append((answer[0], {}, answer[1]))
    fake.requests.clear()
    assert [o.key for o in poll(src, *WINDOW, BERLIN).occurrences] == want
    assert len(fake.graph()) == 4  # the refused delta link, then three pages


@pytest.mark.parametrize("status", [429, 503])
def test_throttling_waits_as_told(fake: FakeMicrosoft, signed_in: Config, status: int) -> None:
    waits: list[float] = []
    fake.errors += [(status, {"Retry-After": "7"}, "throttled")] * 2
    got = poll(source(signed_in, waits), *WINDOW, BERLIN)
    assert waits == [7.0, 7.0] and got.occurrences


def test_throttling_that_does_not_end_is_one_clear_error(fake: FakeMicrosoft,
                                                         signed_in: Config) -> None:
    fake.errors += [(429, {"Retry-After": "3"}, "throttled")] * 10
    with pytest.raises(SourceError, match="429 ApplicationThrottled; the next poll") as e:
        poll(source(signed_in, []), *WINDOW, BERLIN)
    assert "\n" not in str(e.value)


# -- a dead sign-in ----------------------------------------------------------------------------


def test_invalid_grant_is_a_dead_sign_in_one_notice_and_a_doctor_line(
        fake: FakeMicrosoft, signed_in: Config, memory_keyring: Any, tmp_path: Path) -> None:
    from manageup.cycle import make_sources, run_cycle
    from manageup.deliver import make_transport
    from manageup.doctor import run_checks

    # An access token that has expired: the next poll must use the refresh token.
    key = ("manageup", microsoft.TOKEN_NAME)
    cache = json.loads(memory_keyring.values[key])
    for entry in cache["AccessToken"].values():
        entry["expires_on"] = entry["extended_expires_on"] = "1000"
    memory_keyring.values[key] = json.dumps(cache)
    fake.dead = True
    config = signed_in
    sources, transport = make_sources(config), make_transport(config)
    for hour in range(3):
        store = Store.open(config.store.path)
        try:
            report = run_cycle(config, store, sources, transport, NOW + timedelta(hours=hour))
        finally:
            store.close()
        assert report.gathered.auth_failed
    mails = list((tmp_path / "Maildir" / "new").iterdir())
    assert len(mails) == 1
    text = mails[0].read_text()
    assert "Microsoft 365" in text and "manageup auth microsoft" in text
    assert not fake.graph()  # no calendar request with a dead sign-in
    refreshes = [p for m, p in fake.requests if p.endswith("/token")]
    assert len(refreshes) == 1  # asked once; then the flag stops further calls
    lines = [line for ok, line in run_checks(str(config.source_path), NOW)
             if not ok and line.startswith("microsoft")]
    assert lines and "manageup auth microsoft" in lines[0]


def test_locked_keyring_is_not_a_dead_sign_in(signed_in: Config,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    import keyring.errors

    def locked(*_a: Any) -> str:
        raise keyring.errors.KeyringLocked("locked")

    monkeypatch.setattr(keyring, "get_password", locked)
    from manageup.cycle import gather

    gathered = gather([source(signed_in)], signed_in, NOW)
    assert not gathered.auth_failed
    assert "keyring is locked" in gathered.failures[0]
    store = Store.open(signed_in.store.path)
    assert store.flag(microsoft.AUTH_FLAG) is None
    store.close()


# -- the whole command, and doctor ---------------------------------------------------------


def test_meetings_finds_the_same_1on1s_as_from_the_ics_file(
        fake: FakeMicrosoft, signed_in: Config, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    ics = f'type = "ics"\nname = "work"\npath = "{GRAPH}/equivalent.ics"\n'
    for table in (ms_table(fake), ics):
        path, _ = write_config(tmp_path, table)
        assert cli.main(["--config", str(path), "meetings", "--json",
                         "--now", NOW.isoformat()]) == 0
        rows = json.loads(capsys.readouterr().out)
        outputs.append(rows)
    assert outputs[0] == outputs[1]  # uid included: one meeting, one key, either way
    assert {r["uid"] for r in outputs[0]} == {
        "sam-alex-weekly@contoso.example",
        "040000008200E00074C5B7101A82E00800000000E040C9C12685C4010000000000000000100000000"
        "BF0ED4B6E4EE94E9E39E3867B378EF3"}
    assert len(outputs[0]) == 3  # two weekly instances (one moved) and the budget review


def test_doctor_signed_in_and_calendar_found(fake: FakeMicrosoft, signed_in: Config) -> None:
    from manageup.doctor import run_checks

    lines = [(ok, line) for ok, line in run_checks(str(signed_in.source_path), NOW)
             if line.startswith("microsoft")]
    assert lines == [(True, f"microsoft work: signed in as {USER}"),
                     (True, "microsoft work: Graph reachable, calendar 'Calendar' found")]


def test_a_revoked_access_token_is_refreshed_once(fake: FakeMicrosoft,
                                                  signed_in: Config) -> None:
    fake.errors.append((401, {}, "throttled"))
    got = poll(source(signed_in), *WINDOW, BERLIN)
    assert got.occurrences
    assert len([p for _m, p in fake.requests if p.endswith("/token")]) == 1


def test_missing_permission_names_the_fix(fake: FakeMicrosoft, signed_in: Config) -> None:
    fake.errors.append((403, {}, "throttled"))
    with pytest.raises(SourceError, match=r"403 .*delegated Calendars\.Read permission"):
        poll(source(signed_in), *WINDOW, BERLIN)


def test_graph_down_is_one_clear_error(fake: FakeMicrosoft, signed_in: Config) -> None:
    src = source(signed_in)
    src.token()  # signed in while the service was up
    fake.stop()
    with pytest.raises(SourceError, match=r"cannot reach 127\.0\.0\.1") as e:
        poll(src, *WINDOW, BERLIN)
    assert "\n" not in str(e.value)


def test_a_read_only_fetch_saves_nothing(fake: FakeMicrosoft, signed_in: Config) -> None:
    src = source(signed_in)
    assert src.fetch(*WINDOW, BERLIN).occurrences
    assert src.fetch(*WINDOW, BERLIN).unchanged
    store = Store.open(signed_in.store.path)
    try:
        assert store.sync_state(src.key) is None
    finally:
        store.close()


def test_a_quiet_poll_in_a_new_process_is_one_request(
        fake: FakeMicrosoft, signed_in: Config) -> None:
    # msal's tenant settings come from the HTTP cache the last process left behind.
    poll(source(signed_in), *WINDOW, BERLIN)
    fake.requests.clear()
    poll(source(signed_in), *WINDOW, BERLIN)  # `run --once` from the timer
    assert [p for _m, p in fake.requests] == ["/v1.0/me/calendarView/delta"]


def test_a_corrupt_http_cache_costs_one_request_more_and_is_rewritten_private(
        fake: FakeMicrosoft, signed_in: Config) -> None:
    poll(source(signed_in), *WINDOW, BERLIN)
    path = microsoft.http_cache_path()
    assert path is not None and path.stat().st_mode & 0o777 == 0o600
    path.write_bytes(b"not a pickle")
    fake.requests.clear()
    poll(source(signed_in), *WINDOW, BERLIN)
    assert [p for _m, p in fake.requests] == [
        f"/{TENANT}/v2.0/.well-known/openid-configuration", "/v1.0/me/calendarView/delta"]
    fake.requests.clear()
    poll(source(signed_in), *WINDOW, BERLIN)
    assert [p for _m, p in fake.requests] == ["/v1.0/me/calendarView/delta"]


def test_doctor_names_a_missing_sign_in_and_an_unknown_tenant(
        fake: FakeMicrosoft, trusted: Path, memory_keyring: Any, tmp_path: Path) -> None:
    from manageup.doctor import run_checks

    path, _ = write_config(tmp_path, ms_table(fake))
    lines = [(ok, line) for ok, line in run_checks(str(path), NOW)
             if line.startswith("microsoft")]
    assert lines == [(False, "microsoft work: not signed in to Microsoft 365; "
                             "run: manageup auth microsoft")]
    path, config = write_config(tmp_path, ms_table(fake).replace(TENANT, "nope.example"))
    with pytest.raises(SourceError, match=r"tenant 'nope\.example' not found .*calendars\.tenant"):
        microsoft.sign_in(config.calendars[0], lambda _text: None)


# -- hostile answers ---------------------------------------------------------------------------


class Recorder(BaseHTTPRequestHandler):
    """Another host: it only notes what it was sent."""

    seen: ClassVar[list[str]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        Recorder.seen.append(self.headers.get("Authorization") or "")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        body = b'{"value": [], "@odata.deltaLink": "x"}'
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.parametrize("fixture", ["foreign_next_link", "foreign_delta_link"])
def test_links_to_another_host_never_get_the_token(
        fake: FakeMicrosoft, signed_in: Config, fixture: str) -> None:
    other = ThreadingHTTPServer(("127.0.0.1", free_port()), Recorder)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    Recorder.seen = []
    try:
        fake.other = f"http://127.0.0.1:{other.server_address[1]}"
        src = source(signed_in)
        if fixture == "foreign_delta_link":
            poll(src, *WINDOW, BERLIN)
        fake.errors.append((200, {}, fixture))
        with pytest.raises(SourceError, match="another host") as e:
            poll(src, *WINDOW, BERLIN)
        assert "\n" not in str(e.value) and "at-" not in str(e.value)
        assert poll(src, *WINDOW, BERLIN).occurrences  # the next poll works again
        assert Recorder.seen == []
    finally:
        other.shutdown()
        other.server_close()


def test_an_html_error_page_is_one_clear_error(fake: FakeMicrosoft, signed_in: Config) -> None:
    fake.errors.append((200, {}, "gateway_error.html"))
    with pytest.raises(SourceError, match="not JSON") as e:
        poll(source(signed_in), *WINDOW, BERLIN)
    assert "\n" not in str(e.value)


def test_events_without_id_or_start_are_skipped_with_a_warning(
        fake: FakeMicrosoft, signed_in: Config) -> None:
    fake.errors.append((200, {}, "missing_fields"))
    got = poll(source(signed_in), *WINDOW, BERLIN)
    assert len(got.warnings) == 1 and "skipped" in got.warnings[0]


@pytest.mark.parametrize("raw", ["[]", "null", "42", '{"Account": []}',
                                 '{"Account": {"k": "not a record"}}', "{not json"])
def test_a_corrupted_token_cache_asks_to_sign_in_again(
        fake: FakeMicrosoft, signed_in: Config, memory_keyring: Any, raw: str) -> None:
    memory_keyring.values[("manageup", microsoft.TOKEN_NAME)] = raw
    with pytest.raises(microsoft.MicrosoftAuthError, match="manageup auth microsoft") as e:
        poll(source(signed_in), *WINDOW, BERLIN)
    assert "\n" not in str(e.value)


def test_a_next_link_that_loops_is_one_clear_error_not_hundreds_of_requests(
        fake: FakeMicrosoft, signed_in: Config) -> None:
    src = source(signed_in)
    poll(src, *WINDOW, BERLIN)
    fake.deltas["d1"] = "self_next_link"  # the delta link leads to a page linking to itself
    fake.requests.clear()
    got = poll(src, *WINDOW, BERLIN)  # the looping delta state is dropped: a fresh read
    assert got.occurrences and len(fake.graph()) == 2 + 3
    fake.errors.append((200, {}, "self_next_link"))  # and a first read that loops
    with pytest.raises(SourceError, match="loop") as e:
        poll(source(signed_in), WINDOW[0] - timedelta(days=60), WINDOW[1], BERLIN)
    assert "\n" not in str(e.value)


def test_retry_after_a_day_waits_for_the_next_poll(fake: FakeMicrosoft,
                                                   signed_in: Config) -> None:
    waits: list[float] = []
    fake.errors.append((429, {"Retry-After": "86400"}, "throttled"))
    with pytest.raises(SourceError, match="429 ApplicationThrottled; the next poll"):
        poll(source(signed_in, waits), *WINDOW, BERLIN)
    assert waits == [] and len(fake.graph()) == 1


def test_readme_placeholders_left_in_the_table_are_a_config_error(
        fake: FakeMicrosoft, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = ('type = "microsoft"\nname = "work"\nclient_id = "the Application (client) ID"\n'
             f'tenant = "the Directory (tenant) ID"\nauthority_url = "{fake.base}"\n'
             f'graph_url = "{fake.base}/v1.0"\n')
    path = tmp_path / "config.toml"
    path.write_text(config_text("PLACEHOLDER", tmp_path).replace(
        'type = "ics"\npath = "PLACEHOLDER"\n', table))
    path.chmod(0o600)
    assert cli.main(["--config", str(path), "auth", "microsoft"]) == 2
    err = capsys.readouterr().err
    assert "calendars[0].client_id" in err and "calendars[0].tenant" in err
    assert "Traceback" not in err and not fake.requests


def test_an_expired_device_code_is_one_line_and_keeps_the_old_sign_in(
        fake: FakeMicrosoft, signed_in: Config, memory_keyring: Any,
        capsys: pytest.CaptureFixture[str]) -> None:
    before = memory_keyring.values[("manageup", microsoft.TOKEN_NAME)]
    fake.expired = True
    assert cli.main(["--config", str(signed_in.source_path), "auth", "microsoft"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "AADSTS70020" in err and "Traceback" not in err
    assert memory_keyring.values[("manageup", microsoft.TOKEN_NAME)] == before
