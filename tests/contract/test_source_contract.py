"""One contract, every source kind (as vdirsyncer's StorageTests runs against every storage).

Each kind is a function that serves tests/source_scenario.py's calendar through its real
transport (a file, a loopback HTTP server, googleapiclient's HttpMockSequence) and returns
a `Kind`. A new source kind (CalDAV, Microsoft) adds one such function to KINDS.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from googleapiclient.http import HttpMockSequence

from manageup.config import Config, parse_config
from manageup.errors import SourceError
from manageup.model import Occurrence
from manageup.sources import FetchResult, KeepsSyncState, Source
from manageup.sources.memory import MemorySource
from manageup.store import Store
from tests import source_scenario as sc
from tests.conftest import config_text, serve_http

OK = {"status": "200", "content-type": "application/json; charset=UTF-8"}
NOT_FOUND = ('{"error": {"errors": [{"domain": "global", "reason": "notFound", "message": '
             '"Not Found"}], "code": 404, "message": "Not Found"}}')


@dataclass
class Kind:
    source: Source  # serving sc.BASE
    change: Callable[[sc.Scenario], None]  # the calendar as it is after an edit
    broken: Source  # one whose calendar cannot be read at all
    requests: Callable[[], int] | None = None  # requests the source made so far


def _memory(tmp_path: Path, stack: ExitStack) -> Kind:
    src = MemorySource(sc.occurrences(sc.BASE))
    broken = MemorySource()
    broken.error = SourceError("memory: the calendar is down")
    return Kind(src, lambda new: src.replace(sc.occurrences(new)), broken)


def _ics_file(tmp_path: Path, stack: ExitStack) -> Kind:
    from manageup.sources.ics import IcsSource

    path = tmp_path / "contract.ics"
    path.write_bytes(sc.ics(sc.BASE))
    _, cfg = _config(tmp_path, config_text(path, tmp_path))
    _, gone = _config(tmp_path, config_text(tmp_path / "missing.ics", tmp_path))
    generation = [0]

    def change(new: sc.Scenario) -> None:
        path.write_bytes(sc.ics(new))
        generation[0] += 1  # a new mtime even on a coarse-grained file system
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))

    return Kind(IcsSource(cfg.calendars[0], cfg), change, IcsSource(gone.calendars[0], gone))


def _ics_url(tmp_path: Path, stack: ExitStack) -> Kind:
    from manageup.sources.ics import IcsSource

    feed = [sc.ics(sc.BASE)]

    class Feed(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/cal.ics":
                self.send_error(404)
                return
            etag = f'"{hashlib.sha256(feed[0]).hexdigest()[:16]}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(feed[0])))
            self.end_headers()
            self.wfile.write(feed[0])

        def log_message(self, *args: object) -> None:
            pass

    base = stack.enter_context(serve_http(Feed))

    def url_config(url: str) -> str:
        return config_text("x", tmp_path).replace('path = "x"', f'url = "{url}"')

    _, cfg = _config(tmp_path, url_config(f"{base}/cal.ics"))
    _, gone = _config(tmp_path, url_config(f"{base}/nothing.ics"))
    return Kind(IcsSource(cfg.calendars[0], cfg), lambda new: feed.__setitem__(0, sc.ics(new)),
                IcsSource(gone.calendars[0], gone))


def _google(tmp_path: Path, stack: ExitStack) -> Kind:
    from manageup.sources.google import MARGIN, GoogleSource

    text = config_text("x", tmp_path).replace(
        'type = "ics"\npath = "x"', 'type = "google"\ncalendar_id = "primary"')
    _, cfg = _config(tmp_path, text)
    until = sc.END + MARGIN
    seen = [sc.google_events(sc.BASE, sc.START, until)]
    answers = [(OK, page) for page in sc.google_pages(seen[0], "sync-1")]
    for _ in range(4):  # later polls, nothing changed
        answers.append((OK, sc.google_changes(seen[0], seen[0], "sync-1")))
    http = _Counting(answers)  # keeps this very list: change() edits what is left

    def change(new: sc.Scenario) -> None:
        events = sc.google_events(new, sc.START, until)
        answers[:] = [(OK, sc.google_changes(seen[0], events, "sync-2")), *answers[1:]]
        seen[0] = events

    broken = GoogleSource(cfg.calendars[0], cfg, http=HttpMockSequence(
        [({**OK, "status": "404"}, NOT_FOUND)]), sleep=lambda s: None)
    return Kind(GoogleSource(cfg.calendars[0], cfg, http=http, sleep=lambda s: None), change,
                broken, lambda: http.calls)


class _Counting(HttpMockSequence):
    calls = 0

    def request(self, *args: object, **kwargs: object) -> object:
        self.calls += 1
        return super().request(*args, **kwargs)


def _caldav(tmp_path: Path, stack: ExitStack) -> Kind:
    """A real Radicale on loopback, the calendar uploaded one resource per UID."""
    from manageup.sources.caldav import CaldavSource
    from tests.integration.test_caldav import PASSWORD, Radicale, split

    server = Radicale(tmp_path)
    stack.callback(server.stop)
    feed = tmp_path / "contract.ics"
    feed.write_bytes(sc.ics(sc.BASE))
    url = server.make_calendar("contract", [feed])

    def table(address: str) -> str:
        return config_text("x", tmp_path).replace(
            'type = "ics"\npath = "x"',
            f'type = "caldav"\nurl = "{address}"\nusername = "alex"')

    def change(new: sc.Scenario) -> None:
        cal = server.client().calendar(url=url)
        for resource in split(sc.ics(new)):
            cal.save_event(resource)  # the same UID, so the same resource, replaced

    _, cfg = _config(tmp_path, table(url))
    _, gone = _config(tmp_path, table(server.url + "/alex/nothing-here/"))
    return Kind(CaldavSource(cfg.calendars[0], cfg, password=PASSWORD), change,
                CaldavSource(gone.calendars[0], gone, password=PASSWORD),
                lambda: len(server.requests))


def _microsoft(tmp_path: Path, stack: ExitStack) -> Kind:
    """The loopback Graph and identity fake (real TLS, msal signed in through it) serving
    the calendar as calendarView/delta pages, with delta links that see each change."""
    import keyring
    import trustme

    from manageup.accounts import microsoft
    from manageup.sources.microsoft import MicrosoftSource
    from tests.conftest import MemoryKeyring
    from tests.contract.test_microsoft import FakeMicrosoft, ms_table

    ca = trustme.CA()
    fake = FakeMicrosoft(ca)
    stack.callback(fake.stop)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    env = stack.enter_context(pytest.MonkeyPatch.context())
    env.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    previous = keyring.get_keyring()
    keyring.set_keyring(type("Mem", (MemoryKeyring, keyring.backend.KeyringBackend), {})())
    stack.callback(keyring.set_keyring, previous)
    text = config_text("x", tmp_path).replace('type = "ics"\npath = "x"\n', ms_table(fake))
    _, cfg = _config(tmp_path, text)
    microsoft.sign_in(cfg.calendars[0], lambda _text: None)

    calendar = [sc.BASE]
    seen: dict[str, dict[str, dict[str, object]]] = {}  # delta token -> events then
    window: list[datetime] = []

    def link(kind: str, token: str) -> str:
        return f"{fake.base}/v1.0/me/calendarView/delta?${kind}={token}"

    def answer(query: dict[str, str]) -> dict[str, object]:
        if "startDateTime" in query:
            window[:] = [datetime.fromisoformat(query[k].replace("Z", "+00:00"))
                         for k in ("startDateTime", "endDateTime")]
            items = list(sc.graph_events(calendar[0], *window).values())
            # Two pages, as Graph pages by odata.maxpagesize: the first links to the rest.
            return {"@odata.context": f"{fake.base}/v1.0/$metadata#Collection(event)",
                    "value": items[:3], "@odata.nextLink": link("skiptoken", "s1")}
        now = sc.graph_events(calendar[0], *window)
        if "$skiptoken" in query:
            items = list(now.values())[3:]
        else:
            old = seen[query["$deltatoken"]]
            items = [e for i, e in now.items() if old.get(i) != e]
            items += [sc.graph_removed(i) for i in old if i not in now]
            if not items:
                return {"value": [], "@odata.deltaLink": link("deltatoken",
                                                              query["$deltatoken"])}
        token = f"t{len(seen)}"
        seen[token] = now
        return {"value": items, "@odata.deltaLink": link("deltatoken", token)}

    fake.calendar = answer
    fake.events[sc.SERIES_MASTER_ID] = sc.graph_master()  # the series began before the window
    _, gone = _config(tmp_path, text.replace("/v1.0", "/nothing/v1.0"))
    return Kind(MicrosoftSource(cfg.calendars[0], cfg, sleep=lambda s: None),
                lambda new: calendar.__setitem__(0, new),
                MicrosoftSource(gone.calendars[0], gone, sleep=lambda s: None),
                lambda: len(fake.requests))


def _config(tmp_path: Path, text: str) -> tuple[Path, Config]:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path, parse_config(text, path)


KINDS: dict[str, Callable[[Path, ExitStack], Kind]] = {
    "memory": _memory, "ics-file": _ics_file, "ics-url": _ics_url, "google": _google,
    "caldav": _caldav, "microsoft": _microsoft,
}


@pytest.fixture(params=list(KINDS))
def kind(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Kind]:
    with ExitStack() as stack:
        yield KINDS[request.param](tmp_path, stack)


def fetch(src: Source) -> FetchResult:
    return src.fetch(sc.START, sc.END, sc.ZONE)


def by_start(result: FetchResult) -> dict[str, Occurrence]:
    return {f"{o.start:%d %b %H:%M}": o for o in result.occurrences}


def test_window_is_half_open_and_overlap_counts(kind: Kind) -> None:
    found = by_start(fetch(kind.source))
    # 19 Nov 10:00-10:30 ends at the window's start and 17 Dec 10:00 starts at its end: out.
    # The workshop began before the window and is still on at its start: in.
    assert sorted(found) == ["04 Dec 14:00", "10 Dec 10:00", "19 Nov 09:00", "26 Nov 10:00",
                             "27 Nov 15:00"]
    assert all(o.start.tzinfo == sc.ZONE and o.end.tzinfo == sc.ZONE for o in found.values())
    assert found["26 Nov 10:00"].uid == sc.SERIES_UID
    assert found["26 Nov 10:00"].end == sc.berlin("2026-11-26T10:30")


def test_cancelled_and_declined_instances_come_back(kind: Kind) -> None:
    found = by_start(fetch(kind.source))
    cancelled = found["10 Dec 10:00"]
    assert cancelled.status == "CANCELLED" and cancelled.uid == sc.SERIES_UID
    assert cancelled.original_start == sc.berlin("2026-12-10T10:00")
    assert cancelled.title == sc.SERIES_TITLE  # enough left to count it in the history
    declined = found["27 Nov 15:00"]
    assert [p.partstat for p in declined.attendees if p.email == sc.ME] == ["DECLINED"]


def test_moved_instance_carries_its_original_start(kind: Kind) -> None:
    moved = by_start(fetch(kind.source))["04 Dec 14:00"]
    assert moved.original_start == sc.berlin("2026-12-03T10:00") and moved.moved
    regular = by_start(fetch(kind.source))["26 Nov 10:00"]
    assert regular.original_start == regular.start and not regular.moved
    assert moved.key != regular.key and moved.key.startswith(sc.SERIES_UID)


def test_unchanged_feed_is_reported_and_a_change_is_seen(kind: Kind) -> None:
    first = fetch(kind.source)
    second = fetch(kind.source)
    assert not first.unchanged and second.unchanged
    assert second.occurrences == first.occurrences
    kind.change(sc.BASE.moved(sc.berlin("2026-11-26T10:00"), sc.berlin("2026-11-26T16:00")))
    third = fetch(kind.source)
    assert not third.unchanged
    moved = by_start(third)["26 Nov 16:00"]
    assert moved.original_start == sc.berlin("2026-11-26T10:00")
    assert "26 Nov 10:00" not in by_start(third)


def test_an_unreadable_calendar_is_a_source_error(kind: Kind) -> None:
    with pytest.raises(SourceError) as err:
        fetch(kind.broken)
    assert "\n" not in str(err.value) and str(err.value)


SYNCING = ("google", "caldav", "microsoft")  # the kinds that keep sync state in the store


def test_only_the_syncing_kinds_declare_sync_state(kind: Kind,
                                                   request: pytest.FixtureRequest) -> None:
    name = request.node.callspec.params["kind"]
    assert isinstance(kind.source, KeepsSyncState) == (name in SYNCING)


@pytest.fixture(params=SYNCING)
def syncing(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Kind]:
    with ExitStack() as stack:
        yield KINDS[request.param](tmp_path, stack)


def test_a_syncing_source_resumes_from_the_store(syncing: Kind, tmp_path: Path) -> None:
    kind = syncing
    assert isinstance(kind.source, KeepsSyncState)
    store = Store.open(tmp_path / "state.sqlite3")
    first = kind.source.fetch_synced(sc.START, sc.END, sc.ZONE, store=store, now=sc.START,
                                     readonly=False)
    again = kind.source.fetch_synced(sc.START, sc.END, sc.ZONE, store=store, now=sc.START,
                                     readonly=True)
    assert again.occurrences == first.occurrences and again.unchanged


def test_a_quiet_poll_is_one_request(syncing: Kind, tmp_path: Path) -> None:
    """The issue's "done when": a poll when nothing changed costs one request (the
    sync state is read from the store, as by the timer's next `run --once`)."""
    kind = syncing
    assert isinstance(kind.source, KeepsSyncState) and kind.requests is not None
    store = Store.open(tmp_path / "state.sqlite3")
    try:
        kind.source.fetch_synced(sc.START, sc.END, sc.ZONE, store=store, now=sc.START,
                                 readonly=False)
        before = kind.requests()
        later = sc.START + timedelta(minutes=15)
        again = kind.source.fetch_synced(later, sc.END + timedelta(minutes=15), sc.ZONE,
                                         store=store, now=later, readonly=False)
    finally:
        store.close()
    assert kind.requests() - before == 1 and again.unchanged


def test_the_same_1on1s_as_from_the_ics_file(kind: Kind, tmp_path: Path) -> None:
    """What `meetings` finds: the same 1:1s, by UID, key and start, whichever way the
    calendar is read."""
    from manageup.detect import detect
    from manageup.sources.ics import IcsSource

    here = tmp_path / "ics"
    here.mkdir()
    ics = here / "equivalent.ics"
    ics.write_bytes(sc.ics(sc.BASE))
    _, config = _config(here, config_text(ics, here))

    def found(src: Source) -> list[tuple[str, str, object]]:
        return [(m.occurrence.uid, m.occurrence.key, m.occurrence.start)
                for m in detect(fetch(src).occurrences, config)]

    want = found(IcsSource(config.calendars[0], config))
    assert len(want) >= 3
    assert found(kind.source) == want
