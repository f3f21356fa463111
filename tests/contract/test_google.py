"""The Google source and Gmail delivery against googleapiclient's own HttpMockSequence,
fed JSON shaped like the real API's answers. No network."""

from __future__ import annotations

import base64
import email
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.http import HttpMockSequence

from manageup.accounts.google import AUTH_FLAG, GoogleAuthError, build
from manageup.away import is_away
from manageup.cli import main
from manageup.config import parse_config
from manageup.cycle import run_cycle
from manageup.deliver import build_message
from manageup.deliver.gmail import GmailTransport
from manageup.detect import detect
from manageup.errors import DeliveryError, SourceError
from manageup.model import BossWeek
from manageup.sources.google import GoogleSource
from manageup.store import Store
from tests.conftest import at
from tests.mailcheck import checked_mail, checked_maildir

G = Path(__file__).parent.parent / "fixtures" / "google"
NOW = at("2026-11-25T16:00+01:00")
WINDOW = (NOW - timedelta(days=90), NOW + timedelta(days=14))
OK = {"status": "200", "content-type": "application/json; charset=UTF-8"}


def body(name: str) -> str:
    return (G / f"{name}.json").read_text()


def status(code: int) -> dict[str, str]:
    return {**OK, "status": str(code)}


def synced(src: GoogleSource, cfg, window=WINDOW, now=NOW):
    """A fetch as a cycle makes it: with the store, allowed to write."""
    store = Store.open(cfg.store.path)
    try:
        return src.fetch_synced(*window, cfg.zone, store=store, now=now, readonly=False)
    finally:
        store.close()


FULL = [(OK, body("page1")), (OK, body("page2")), (OK, body("page3"))]


@pytest.fixture
def gconfig(tmp_path: Path):  # type: ignore[no-untyped-def]
    return google_config(tmp_path)


def google_config(tmp_path: Path, calendar_id: str = "primary"):  # type: ignore[no-untyped-def]
    """A config with one Google calendar, written into tmp_path."""
    text = f"""
[me]
email = "alex@example.com"
timezone = "Europe/Berlin"
[boss]
email = "sam@example.com"
name = "Sam Rivera"
[[calendars]]
type = "google"
calendar_id = "{calendar_id}"
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
    # Google's outOfOffice entry is read as the user's absence (away.py), never a meeting.
    ooo = by_title["Out of office"]
    assert ooo.show_as == "oof" and is_away(ooo, gconfig)
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
    assert ooo not in [m.occurrence for m in matches]
    # The cancelled instance (10 Dec) is past the window's end.
    assert not any(o.start.day == 10 for o in result.occurrences)


def test_steady_state_is_one_call_and_changes_apply(gconfig) -> None:
    src = source(gconfig, [*FULL, (OK, body("unchanged")), (OK, body("changed"))])
    first = synced(src, gconfig)
    synced(src, gconfig)
    assert src.calls == 4  # the steady-state poll cost one call
    state = Store.open(gconfig.store.path).sync_state("google:primary")
    assert state and state["token"] == "sync-2"
    third = synced(src, gconfig)
    assert src.calls == 5
    assert "Platform review" in {o.title for o in first.occurrences}
    assert "Platform review" not in {o.title for o in third.occurrences}  # tombstone applied
    moved = [o for o in third.occurrences if o.start.day == 26]
    assert [o.start.strftime("%H:%M") for o in moved] == ["16:00"]
    assert Store.open(gconfig.store.path).sync_state("google:primary")["token"] == "sync-3"


def test_state_survives_a_restart(gconfig) -> None:
    synced(source(gconfig, FULL), gconfig)
    again = source(gconfig, [(OK, body("unchanged"))])
    result = synced(again, gconfig)
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
    # The first page took three tries, with googleapiclient's randomised backoff.
    assert len(sleeps) == 2 and sleeps[0] <= 2 and sleeps[1] <= 4
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
    assert week == BossWeek(10.0, date(2026, 11, 27))
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
    # A notice in the ledger, not a digest: digests thread and rest questions.
    assert [(r.key, r.kind, r.state) for r in store.ledger()] == \
        [("notice|google-auth", "notice", "sent")]
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
    src = source(gconfig, [*FULL, (OK, body("freebusy_ok"))])
    from manageup.deliver import make_transport

    report = run_cycle(gconfig, Store.scratch_copy(gconfig.store.path), [src],
                       make_transport(gconfig, dry_run=True), NOW)
    assert report.sent and "8. Sam Rivera's week" in capsys.readouterr().out
    assert not gconfig.store.path.exists()  # no sync state, no ledger, no file at all


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


class Recording(HttpMockSequence):
    """HttpMockSequence that also keeps each request's Authorization header."""

    def __init__(self, answers: list) -> None:
        super().__init__(answers)
        self.auth: list[str] = []
        self.uris: list[str] = []

    def request(self, uri, method="GET", body=None, headers=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.uris.append(uri)
        self.auth.append((headers or {}).get("authorization", ""))
        return super().request(uri, method, body, headers, *args, **kwargs)


def test_410_during_a_full_listing_starts_it_again(gconfig) -> None:
    # The page token of a long first listing can expire between pages, too.
    src = source(gconfig, [(OK, body("page1")), (status(410), body("gone")), *FULL])
    result = synced(src, gconfig)
    assert src.calls == 5 and len(detect(result.occurrences, gconfig)) == 4
    state = Store.open(gconfig.store.path).sync_state("google:primary")
    assert state and state["token"] == "sync-1"


@pytest.mark.parametrize("fixture,hint", [
    ("access_not_configured", "enable the Google Calendar API"),
    ("insufficient_permissions", "sign in again and tick every box"),
    ("ratelimit_403", "Google is limiting requests"),
])
def test_403_hint_depends_on_the_reason(gconfig, fixture: str, hint: str) -> None:
    sleeps: list[float] = []
    src = source(gconfig, [(status(403), body(fixture))] * 6, sleeps)
    with pytest.raises(SourceError, match=hint) as err:
        synced(src, gconfig)
    assert "\n" not in str(err.value)
    # Only the rate limit is worth retrying (googleapiclient's own num_retries does it).
    assert len(sleeps) == (4 if fixture == "ratelimit_403" else 0)  # 5 tries in all


class CountingStore:
    """The store, counting sync-state writes."""

    def __init__(self, store: Store) -> None:
        self.store, self.writes = store, 0

    def sync_state(self, calendar: str):  # type: ignore[no-untyped-def]
        return self.store.sync_state(calendar)

    def save_sync_state(self, calendar: str, state) -> None:  # type: ignore[no-untyped-def]
        self.writes += 1
        self.store.save_sync_state(calendar, state)

    def flag(self, name: str):  # type: ignore[no-untyped-def]
        return self.store.flag(name)

    def set_flag(self, name: str, value, now) -> None:  # type: ignore[no-untyped-def]
        self.store.set_flag(name, value, now)


def far_instances(count: int) -> str:
    """What an edit of a long series returns: every instance, years ahead included."""
    template = next(e for e in json.loads(body("page1"))["items"]
                    if e["id"] == "1on1abc_20261119T090000Z")
    items = []
    for week in range(count):
        start = datetime(2027, 6, 3, 10, tzinfo=gconfig_zone()) + timedelta(weeks=week)
        when = {"dateTime": start.isoformat(), "timeZone": "Europe/Berlin"}
        items.append({**template, "id": f"1on1abc_{start:%Y%m%d}", "summary": "Alex / Sam 1:1!",
                      "start": when, "end": {**when, "dateTime": (start + timedelta(
                          minutes=30)).isoformat()}, "originalStartTime": when})
    moved = {**template, "start": {"dateTime": "2026-11-19T11:00:00+01:00"},
             "end": {"dateTime": "2026-11-19T11:30:00+01:00"}}  # known: kept
    return json.dumps({"kind": "calendar#events", "etag": '"x"', "summary": "alex@example.com",
                       "timeZone": "Europe/Berlin", "nextSyncToken": "sync-9",
                       "items": [*items, moved]})


def gconfig_zone():  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Berlin")


def test_sync_stays_bounded(gconfig) -> None:
    unchanged_same_token = json.dumps({"kind": "calendar#events", "items": [],
                                       "nextSyncToken": "sync-1"})
    http = Recording([*FULL, (OK, unchanged_same_token), (OK, far_instances(300))])
    src = GoogleSource(gconfig.calendars[0], gconfig, http=http, sleep=lambda s: None)
    store = CountingStore(Store.open(gconfig.store.path))

    def poll():  # type: ignore[no-untyped-def]
        return src.fetch_synced(*WINDOW, gconfig.zone, store=store, now=NOW, readonly=False)

    first = poll()
    assert store.writes == 1 and all("maxResults=2500" in u for u in http.uris)
    assert poll().unchanged and store.writes == 1  # nothing changed: nothing written
    third = poll()
    state = store.sync_state("google:primary")
    assert len(state["events"]) == len(json.loads(body("page1"))["items"]) + 2  # + page3
    assert not any("2027" in e.get("start", {}).get("dateTime", "") for e in
                   state["events"].values())
    assert store.writes == 2 and state["token"] == "sync-9"
    assert [o.start.strftime("%d %H:%M") for o in third.occurrences if o.start.day == 19] \
        == ["19 11:00"]  # a known instance moved: applied
    assert len(third.occurrences) == len(first.occurrences)


def test_a_cancelled_instance_stub_counts_as_cancelled_in_the_history(gconfig) -> None:
    """Google sends a cancelled instance of a series as a stub: id, status, recurringEventId
    and originalStartTime, nothing else. The 1:1 it was must still count as cancelled."""
    from manageup.deliver import make_transport

    store = Store.open(gconfig.store.path)
    run_cycle(gconfig, store, [source(gconfig, [*FULL, (OK, body("freebusy_ok"))])],
              make_transport(gconfig), NOW)
    by_key = {h.key: h for h in store.history()}
    stub = by_key["1on1abc@google.com|2026-11-12T10:00:00+01:00"]
    assert stub.status == "cancelled" and stub.start == at("2026-11-12T10:00+01:00")
    assert by_key["1on1abc@google.com|2026-11-19T10:00:00+01:00"].status == "scheduled"
