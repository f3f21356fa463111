"""Microsoft 365 through Graph: calendarView/delta over the window, then the delta link.

The first poll pages through the window's instances (@odata.nextLink) and keeps the
@odata.deltaLink in the store; later polls send only that link and get only what changed
(one request when nothing did). A 410 or syncStateNotFound drops the state and reads the
window again. Times are asked in UTC, so no Windows zone name has to be mapped.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from manageup.accounts import MICROSOFT, Guard, dead, microsoft
from manageup.errors import SignInExpired, SourceError
from manageup.model import address
from manageup.sources import (
    Check,
    FetchResult,
    KeepsSyncState,
    ReportsHealth,
    StateStore,
    fetch_read_only,
    state_covers,
    unlabelled,
)
from manageup.sources.bounded import ENCODINGS, keep, read_whole
from manageup.sources.graphevents import (
    READ,
    SERIES_FIELDS,
    MasterUnread,
    known_uid,
    legacy_uid,
    occurrences,
    uids,
    with_id,
    with_masters,
    with_series,
)
from manageup.store import Store
from manageup.textutil import header_safe

if TYPE_CHECKING:
    from manageup.config import Calendar, Config

log = logging.getLogger(__name__)

MARGIN = timedelta(days=30)  # read beyond the lookahead, so the window can slide a month
PAGE = 100
MAX_PAGES = 500  # 50,000 events: far beyond any window, so a link loop ends
TRIES = 4
MAX_WAIT = 120.0  # seconds; a longer Retry-After waits for the next poll instead
RESYNC = {"syncstatenotfound", "syncstateinvalid", "resyncrequired"}
# "No such item": https://learn.microsoft.com/en-us/graph/errors (itemNotFound) and what
# GET /me/events/{id} answers (microsoftgraph/msgraph-sdk-java-core issue #606).
NOT_FOUND = {"erroritemnotfound", "itemnotfound"}


class DeltaLinkExpired(Exception):
    """The delta link is no longer valid; read the window in full."""


class LinkLoop(SourceError):
    """Graph's page links lead back to a page already read."""


def _session(timeout: float) -> Any:
    import requests

    class Session(requests.Session):
        # msal calls its http client without a timeout; a hung socket must not hang a cycle.
        def request(self, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("timeout", timeout)
            return super().request(*args, **kwargs)

    return Session()


class MicrosoftSource(KeepsSyncState, ReportsHealth):
    def __init__(self, cal: Calendar, config: Config, *, session: Any = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.cal = cal
        self.config = config
        self.label = cal.label
        self.key = f"microsoft:{cal.tenant}:{cal.client_id}"
        self.readonly = False  # this fetch may not save the token cache (dry run, doctor)
        self._guard = Guard(MICROSOFT, self._forget)  # signed in again: read the new sign-in
        self._state: dict[str, Any] | None = None  # the last state seen, for read-only runs
        self._session = session
        self._sleep = sleep
        self._app: Any = None
        self._cache: Any = None
        self.calls = 0  # Graph requests made, for tests
        self.received = 0  # bytes of Graph answers read by this source, all told
        self.user = ""  # the signed-in account's name, joined to me.email for detection
        self._renamed: set[str] = set()  # old UIDs already moved to new ones in the store

    # -- plumbing ------------------------------------------------------------------------

    def _forget(self) -> None:
        self._app = self._cache = None

    def session(self) -> Any:
        if self._session is None:
            self._session = _session(self.cal.timeout)
        return self._session

    def token(self, force: bool = False) -> tuple[str, str]:
        if self._app is None:
            self._cache = microsoft.load_cache()
            http_cache, loaded = microsoft.load_http_cache()
            try:
                self._app = microsoft.make_app(self.cal, self._cache, self.session(),
                                               http_cache)
            finally:  # a cache is only a shortcut, so a read-only run may write it too
                microsoft.save_http_cache(http_cache, loaded)
        try:
            token, self.user = microsoft.access_token(self._app, force)
            return token, self.user
        finally:
            if not self.readonly:
                microsoft.save_cache(self._cache)

    def get(self, url: str, params: dict[str, str] | None = None, *,
            absent: bool = False) -> dict[str, Any]:
        """One Graph GET: backs off on 429/503 as told by Retry-After, refreshes the token
        once on a 401, and names the problem in one line otherwise. With `absent`, Graph's
        own "not found" is an answer: {}; another 404 (a proxy's page) is a failure."""

        if params:
            url = f"{url}?{urlencode(params)}"
        if _origin(url) != _origin(self.cal.graph_url):
            # A link in an answer is data; the bearer token goes to Graph's own host only.
            raise SourceError(f"{self.label}: Graph sent a link to another host "
                              f"({_origin(url) or 'none'}); not followed, the next poll "
                              "reads the window again")
        force = False
        for attempt in range(TRIES):
            token, _user = self.token(force)
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json",
                       "Prefer": f'outlook.timezone="UTC", odata.maxpagesize={PAGE}'}
            self.calls += 1
            resp = self._answer(url, headers)
            if resp.status_code == 200:
                try:
                    body = resp.json()
                except (ValueError, RecursionError):  # RecursionError: nested past any use
                    body = None
                if not isinstance(body, dict):  # a proxy's or captive portal's page
                    kind = (resp.headers.get("Content-Type") or "no type").split(";")[0]
                    raise SourceError(f"{self.label}: Graph answered 200 with {kind[:60]}, "
                                      "not JSON; check for a proxy in between, the next "
                                      "poll tries again")
                return body
            code = _error_code(resp)
            if resp.status_code == 404 and absent and code.lower() in NOT_FOUND:
                return {}
            if resp.status_code == 410 or code.lower() in RESYNC:
                raise DeltaLinkExpired()
            if resp.status_code == 401 and not force:
                force = True  # a revoked access token: one refresh, then the answer stands
                continue
            if resp.status_code in (429, 503, 504) and attempt < TRIES - 1:
                wait = _retry_after(resp, attempt)
                if wait <= MAX_WAIT:
                    log.info("%s: Graph asked us to wait %.0fs (%d)", self.label, wait,
                             resp.status_code)
                    self._sleep(wait)
                    continue
            raise SourceError(f"{self.label}: Graph answered {resp.status_code} "
                              f"{header_safe(code or resp.reason or '', 100)}; "
                              f"{_hint(resp.status_code)}")
        raise SourceError(f"{self.label}: Graph stayed busy after {TRIES} tries; "
                          "the next poll tries again")

    def _answer(self, url: str, headers: dict[str, str]) -> Any:
        """The response, its body read whole but bounded (calendars.max_bytes and
        calendars.timeout): requests alone reads any size, and a drip for ever."""
        import requests
        import urllib3

        deadline = time.monotonic() + self.cal.timeout

        def read(r: Any, **_kwargs: Any) -> Any:
            # A hook, so a redirect's body is read here too: requests reads it whole.
            if r._content_consumed:
                return r
            return keep(r, read_whole(r, self.label, deadline, self.cal.max_bytes,
                                      self.cal.timeout))

        try:
            resp = self.session().get(url, headers={**headers, "Accept-Encoding": ENCODINGS},
                                      stream=True, hooks={"response": [read]})
            data = read(resp).content
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as e:
            if "certificate verify failed" in str(e).lower():  # a proxy that reads TLS
                raise SourceError(f"{self.label}: the certificate of {urlsplit(url).netloc} "
                                  "is not trusted; behind a proxy that inspects TLS, set "
                                  "REQUESTS_CA_BUNDLE to its certificate in manageup's "
                                  "environment") from None
            raise SourceError(f"{self.label}: cannot reach {urlsplit(url).netloc} "
                              f"({e.__class__.__name__}); check your connection") from None
        self.received += len(data)
        return resp

    def health(self, env: Mapping[str, str]) -> list[Check]:
        """`manageup doctor`: signed in (without saving anything), Graph reachable, the
        mailbox's calendar found. The sign-in lives in the keyring: `env` is not read."""
        cal = self.cal
        what = f"microsoft {cal.label}"
        store = Store.open(self.config.store.path, readonly=True)
        try:
            gone = dead(store, MICROSOFT)
        finally:
            store.close()
        if gone:
            return [(False, f"{what}: the sign-in {gone.says()}")]
        self.readonly = True  # doctor changes nothing, not even the token cache
        try:
            _token, user = self.token()
        except SourceError as e:
            return [(False, f"{what}: {unlabelled(str(e), cal.label)}")]
        checks = [(True, f"{what}: signed in as {user or 'an account'}")]
        try:
            found = self.get(f"{cal.graph_url.rstrip('/')}/me/calendar", {"$select": "name"})
        except SourceError as e:
            return [*checks, (False, f"{what}: {unlabelled(str(e), cal.label)}")]
        return [*checks, (True, f"{what}: Graph reachable, calendar "
                                f"{found.get('name', '')!r} found")]

    # -- fetching ------------------------------------------------------------------------

    def fetch(self, start: datetime, end: datetime, zone: ZoneInfo) -> FetchResult:
        return fetch_read_only(self, self.config.store.path, start, end, zone)

    def fetch_synced(self, start: datetime, end: datetime, zone: ZoneInfo, *,
                     store: StateStore, now: datetime, readonly: bool) -> FetchResult:
        self.readonly = readonly
        stored = store.sync_state(self.key)
        # Read-only runs never save, so they carry their state from one fetch to the next.
        state = (self._state or stored) if readonly else stored
        with self._guard.reading(store, now, readonly):
            new, changed = self._sync(state, start, end)
        self._state = new
        if not readonly and new != stored:
            store.save_sync_state(self.key, new)
        if not readonly:  # occurrences() fills each occurrence from its series itself
            self._rename(with_series(new["events"]), store)
        if not self.user:  # a quiet poll of a new process: the name is in the cache
            self.token()
        result = occurrences(new["events"], start, end, zone, self.label,
                              address(self.config.me.email), address(self.user))
        result.unchanged = not changed
        return result

    def _rename(self, events: dict[str, dict[str, Any]], store: StateStore) -> None:
        """Rows an earlier version keyed by a series' Graph id move to the .ics UID before
        the cycle looks for them: a digest already sent must not go out again. Each old
        UID is asked about once per process."""
        renames = {}
        for ident, new in uids(events).items():
            with contextlib.suppress(KeyError, TypeError, AttributeError):
                old = legacy_uid(events[ident])
                if old != new and old not in self._renamed:
                    renames[old] = new
        if renames:
            moved = store.rename_uids(renames)
            if moved:
                log.info("%s: %d meetings moved to their calendar UID in the store",
                         self.label, moved)
            self._renamed.update(renames)

    def _sync(self, state: dict[str, Any] | None, start: datetime, end: datetime) \
            -> tuple[dict[str, Any], bool]:
        if state_covers(state, start, end):
            try:
                new, changed = self._incremental(state)
                filled = self._with_masters(new, state)
                return filled, changed or filled is not new
            except DeltaLinkExpired:
                log.info("%s: Graph forgot the delta state; reading the window again",
                         self.label)
        new = self._full(start, end + MARGIN)
        if state:
            new["events"] = {i: known_uid(e, state["events"]) for i, e in new["events"].items()}
        return self._with_masters(new, state), True

    def _with_masters(self, state: dict[str, Any], known: Any) -> dict[str, Any]:
        return with_masters(state, self._master, (known or {}).get("events", {}), self.label)

    def _master(self, ident: str) -> dict[str, Any]:
        """GET /me/events/{id}: the master, {} if Graph has no such item; a failure is this
        poll's only (MasterUnread), but a dead sign-in is everyone's."""
        try:
            return self.get(f"{self.cal.graph_url.rstrip('/')}/me/events/"
                            f"{quote(ident, safe='')}", {"$select": SERIES_FIELDS},
                            absent=True)
        except SignInExpired:
            raise
        except (SourceError, DeltaLinkExpired) as e:
            why = unlabelled(str(e), self.label).split(";")[0] or "Graph asked to resync"
            raise MasterUnread(why) from None

    def _pages(self, url: str, params: dict[str, str] | None = None) \
            -> tuple[list[dict[str, Any]], str]:
        items: list[dict[str, Any]] = []
        seen = {url}
        before = self.received
        for _ in range(MAX_PAGES):
            page = self.get(url, params)
            if self.received - before > self.cal.max_bytes:  # each page in bounds, not all
                raise SourceError(f"{self.label}: Graph's pages add up to over "
                                  f"{self.cal.max_bytes} bytes; raise calendars.max_bytes "
                                  "if the calendar is really that big")
            params = None  # the links carry their own query
            value = page.get("value", [])
            items.extend(value if isinstance(value, list) else [])
            if "@odata.nextLink" in page:
                url = str(page["@odata.nextLink"])
                if url in seen:  # a page linking back: 500 requests would not end it
                    raise LinkLoop(f"{self.label}: Graph's page links loop; the next "
                                   "poll tries again")
                seen.add(url)
                continue
            link = str(page.get("@odata.deltaLink", ""))
            if link and _origin(link) != _origin(self.cal.graph_url):
                raise SourceError(f"{self.label}: Graph sent a delta link to another host "
                                  f"({_origin(link)}); not kept, the next poll reads the "
                                  "window again")
            return items, link
        raise SourceError(f"{self.label}: Graph sent more than {MAX_PAGES} pages; "
                          "the next poll tries again")

    def _full(self, start: datetime, until: datetime) -> dict[str, Any]:
        items, link = self._pages(
            f"{self.cal.graph_url.rstrip('/')}/me/calendarView/delta",
            {"startDateTime": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "endDateTime": until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")})
        events = {e["id"]: e for e in with_id(items, self.label) if "@removed" not in e}
        return {"token": link, "synced_from": start.isoformat(),
                "synced_until": until.isoformat(), "events": events}

    def _incremental(self, state: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        try:
            items, link = self._pages(state["token"])
        except LinkLoop:  # a broken delta state; a fresh read gets a new one
            raise DeltaLinkExpired() from None
        if not items and link in ("", state["token"]):
            return state, False
        # A series the delta names again is read again: its master may have changed.
        named = {str(e.get("seriesMasterId") or e["id"]) for e in with_id(items, self.label)}
        events = {i: e for i, e in state["events"].items() if not (e.get(READ) and i in named)}
        for e in with_id(items, self.label):
            if "@removed" in e:
                events.pop(e["id"], None)
            else:
                events[e["id"]] = known_uid(e, events)
        log.info("%s: %d changed or removed", self.label, len(items))
        return {**state, "token": link or state["token"], "events": events}, True


# -- helpers --------------------------------------------------------------------------------


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}" if parts.netloc else ""


def _error_code(resp: Any) -> str:
    try:
        return str(resp.json()["error"]["code"])[:100]
    except (ValueError, KeyError, TypeError, RecursionError):
        return ""


def _retry_after(resp: Any, attempt: int) -> float:
    try:
        return max(0.0, float(resp.headers.get("Retry-After", "")))
    except ValueError:
        return 2.0 ** attempt


def _hint(status: int) -> str:
    if status in (401, 403):
        return ("the app registration needs the delegated Calendars.Read permission; "
                f"then {microsoft.REAUTH}")
    if status == 404:
        return "no Exchange Online mailbox for this account; check the account you signed in"
    return "the next poll tries again"


__all__ = ["MicrosoftSource"]
