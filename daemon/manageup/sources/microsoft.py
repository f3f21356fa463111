"""Microsoft 365 through Graph: calendarView/delta over the window, then the delta link.

The first poll pages through the window's instances (@odata.nextLink) and keeps the
@odata.deltaLink in the store; later polls send only that link and get only what changed
(one request when nothing did). A 410 or syncStateNotFound drops the state and reads the
window again. Times are asked in UTC, so no Windows zone name has to be mapped.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from manageup import microsoft
from manageup.errors import SourceError
from manageup.model import Occurrence, Person
from manageup.sources import FetchResult, KeepsSyncState, StateStore, fetch_read_only, state_covers
from manageup.store import Store

if TYPE_CHECKING:
    from manageup.config import Calendar, Config

log = logging.getLogger(__name__)

MARGIN = timedelta(days=30)  # read beyond the lookahead, so the window can slide a month
PAGE = 100
MAX_PAGES = 500  # 50,000 events: far beyond any window, so a link loop ends
TRIES = 4
MAX_WAIT = 120.0  # seconds; a longer Retry-After waits for the next poll instead
RESPONSE = {"accepted": "ACCEPTED", "organizer": "ACCEPTED", "declined": "DECLINED",
            "tentativelyAccepted": "TENTATIVE", "none": "NEEDS-ACTION",
            "notResponded": "NEEDS-ACTION"}
RESYNC = {"syncstatenotfound", "syncstateinvalid", "resyncrequired"}
MAX_TEXT = 2000


class Gone(Exception):
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


class MicrosoftSource(KeepsSyncState):
    def __init__(self, cal: Calendar, config: Config, *, session: Any = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.cal = cal
        self.config = config
        self.label = cal.label
        self.key = f"microsoft:{cal.tenant}:{cal.client_id}"
        self.readonly = False  # this fetch may not save the token cache (dry run, doctor)
        self._was_dead = False  # the sign-in flag was set at the last fetch
        self._state: dict[str, Any] | None = None  # the last state seen, for read-only runs
        self._session = session
        self._sleep = sleep
        self._app: Any = None
        self._cache: Any = None
        self.calls = 0  # Graph requests made, for tests
        self.user = ""  # the signed-in account's name, joined to me.email for detection

    # -- plumbing ------------------------------------------------------------------------

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

    def get(self, url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """One Graph GET: backs off on 429/503 as told by Retry-After, refreshes the token
        once on a 401, and names the problem in one line otherwise."""
        import requests

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
            try:
                resp = self.session().get(url, headers=headers)
            except requests.RequestException as e:
                raise SourceError(f"{self.label}: cannot reach {urlsplit(url).netloc} "
                                  f"({e.__class__.__name__}); check your connection") from None
            if resp.status_code == 200:
                try:
                    body = resp.json()
                except ValueError:
                    body = None
                if not isinstance(body, dict):  # a proxy's or captive portal's page
                    kind = (resp.headers.get("Content-Type") or "no type").split(";")[0]
                    raise SourceError(f"{self.label}: Graph answered 200 with {kind[:60]}, "
                                      "not JSON; check for a proxy in between, the next "
                                      "poll tries again")
                return body
            code = _error_code(resp)
            if resp.status_code == 410 or code.lower() in RESYNC:
                raise Gone()
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
                              f"{code or resp.reason}; {_hint(resp.status_code)}")
        raise SourceError(f"{self.label}: Graph stayed busy after {TRIES} tries; "
                          "the next poll tries again")

    # -- fetching ------------------------------------------------------------------------

    def fetch(self, start: datetime, end: datetime, zone: ZoneInfo) -> FetchResult:
        return fetch_read_only(self, self.config.store.path, start, end, zone)

    def fetch_synced(self, start: datetime, end: datetime, zone: ZoneInfo, *,
                     store: StateStore, now: datetime, readonly: bool) -> FetchResult:
        dead = store.flag(microsoft.AUTH_FLAG)
        if self._was_dead and not dead:
            self._app = self._cache = None  # signed in again: read the new sign-in
        self._was_dead = dead is not None
        if dead:
            # Calling again cannot help; the user must sign in again.
            raise microsoft.MicrosoftAuthError(
                f"the Microsoft sign-in is invalid since {dead[1]:%d %b %H:%M} "
                f"({dead[0]}); {microsoft.REAUTH}")
        self.readonly = readonly
        stored = store.sync_state(self.key)
        # Read-only runs never save, so they carry their state from one fetch to the next.
        state = (self._state or stored) if readonly else stored
        try:
            new, changed = self._sync(state, start, end)
        except microsoft.MicrosoftAuthError:
            if not readonly:
                store.set_flag(microsoft.AUTH_FLAG, "invalid_grant", now)
            raise
        self._state = new
        if not readonly and new != stored:
            store.save_sync_state(self.key, new)
        if not self.user:  # a quiet poll of a new process: the name is in the cache
            self.token()
        result = _occurrences(new["events"], start, end, zone, self.label,
                              self.config.me.email.lower(), self.user.lower())
        result.unchanged = not changed
        return result

    def _sync(self, state: dict[str, Any] | None, start: datetime, end: datetime) \
            -> tuple[dict[str, Any], bool]:
        if state_covers(state, start, end):
            try:
                return self._incremental(state)
            except Gone:
                log.info("%s: Graph forgot the delta state; reading the window again",
                         self.label)
        return self._full(start, end + MARGIN), True

    def _pages(self, url: str, params: dict[str, str] | None = None) \
            -> tuple[list[dict[str, Any]], str]:
        items: list[dict[str, Any]] = []
        seen = {url}
        for _ in range(MAX_PAGES):
            page = self.get(url, params)
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
        events = {e["id"]: e for e in _with_id(items, self.label) if "@removed" not in e}
        return {"token": link, "synced_from": start.isoformat(),
                "synced_until": until.isoformat(), "events": events}

    def _incremental(self, state: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        try:
            items, link = self._pages(state["token"])
        except LinkLoop:  # a broken delta state; a fresh read gets a new one
            raise Gone() from None
        if not items and link in ("", state["token"]):
            return state, False
        events = dict(state["events"])
        for e in _with_id(items, self.label):
            if "@removed" in e:
                events.pop(e["id"], None)
            else:
                events[e["id"]] = e
        log.info("%s: %d changed or removed", self.label, len(items))
        return {**state, "token": link or state["token"], "events": events}, True


# -- Graph events to occurrences -------------------------------------------------------------


def _with_id(items: list[Any], label: str) -> list[dict[str, Any]]:
    """Graph's items, less any without an id: nothing could later update or remove them."""
    out = [e for e in items if isinstance(e, dict) and isinstance(e.get("id"), str)]
    if len(out) < len(items):
        log.warning("%s: skipped %d Graph items without an id", label, len(items) - len(out))
    return out


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}" if parts.netloc else ""


def _error_code(resp: Any) -> str:
    try:
        return str(resp.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
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


def _when(value: dict[str, Any], zone: ZoneInfo, all_day: bool) -> datetime:
    text = str(value["dateTime"])
    head, _, frac = text.partition(".")  # Graph gives 7 fraction digits
    dt = datetime.fromisoformat(head + (f".{frac[:6]}" if frac else ""))
    if all_day:  # a date, whatever zone it was given in
        d = dt.date()
        return datetime(d.year, d.month, d.day, tzinfo=zone)
    name = str(value.get("timeZone") or "UTC")
    try:
        tz: Any = UTC if name.upper() in ("UTC", "Z") else ZoneInfo(name)
    except (ValueError, KeyError):  # we asked for UTC; anything else is taken as UTC
        tz = UTC
    return dt.replace(tzinfo=tz).astimezone(zone)


def _clip(value: Any) -> str:
    text = str(value or "").strip()
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def _person(p: dict[str, Any], me: str, user: str, organizer: bool = False) -> Person:
    addr = p.get("emailAddress") or {}
    email = str(addr.get("address") or "").strip().lower()
    if user and email == user:
        email = me  # the signed-in account is the user, whatever address me.email says
    kind = str(p.get("type") or "required")
    status = str((p.get("status") or {}).get("response") or "")
    return Person(
        email=email,
        name=_clip(addr.get("name"))[:200],
        partstat="ACCEPTED" if organizer else RESPONSE.get(status, "NEEDS-ACTION"),
        cutype="RESOURCE" if kind == "resource" else "INDIVIDUAL",
        role="CHAIR" if organizer else
        ("OPT-PARTICIPANT" if kind == "optional" else "REQ-PARTICIPANT"),
    )


def _occurrences(events: dict[str, dict[str, Any]], start: datetime, end: datetime,
                 zone: ZoneInfo, label: str, me: str, user: str) -> FetchResult:
    result = FetchResult()
    starts: dict[str, list[datetime]] = defaultdict(list)
    for e in events.values():
        if e.get("seriesMasterId") and (e.get("originalStart") or e.get("start")):
            with contextlib.suppress(KeyError, ValueError, TypeError):
                starts[e["seriesMasterId"]].append(_original(e, zone) or
                                                   _when(e["start"], zone, False))
    cadence = {}
    for series, times in starts.items():
        ordered = sorted(times)
        gaps = [(b - a).total_seconds() / 86400 for a, b in itertools.pairwise(ordered)]
        cadence[series] = statistics.median(gaps) if gaps else None
    for e in events.values():
        try:
            occ = _occurrence(e, zone, cadence.get(e.get("seriesMasterId") or ""), label, me,
                              user)
        except (KeyError, ValueError, TypeError, AttributeError) as err:
            result.warnings.append(f"{label}: skipped event {e.get('id')}: {err}")
            continue
        if occ.end > start and occ.start < end:
            result.occurrences.append(occ)
    result.occurrences.sort(key=lambda o: (o.start, o.uid, o.key))
    return result


def _original(e: dict[str, Any], zone: ZoneInfo) -> datetime | None:
    raw = e.get("originalStart")
    if not raw or e.get("type") not in ("occurrence", "exception"):
        return None
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).astimezone(zone)


def _occurrence(e: dict[str, Any], zone: ZoneInfo, cadence: float | None, label: str,
                me: str, user: str) -> Occurrence:
    all_day = bool(e.get("isAllDay"))
    start = _when(e["start"], zone, all_day)
    end = _when(e["end"], zone, all_day) if e.get("end") else start
    organizer = _person(e["organizer"], me, user, True) if e.get("organizer") else None
    attendees = [_person(a, me, user) for a in e.get("attendees") or []]
    mine = RESPONSE.get(str((e.get("responseStatus") or {}).get("response") or ""))
    if mine == "DECLINED":  # the user's own answer is on the event, not always in the list
        attendees = [replace_partstat(a, "DECLINED") if a.email == me else a
                     for a in attendees]
        if not any(a.email == me for a in attendees):
            attendees.append(Person(email=me, partstat="DECLINED"))
    online = e.get("onlineMeeting") or {}
    series = e.get("seriesMasterId")
    return Occurrence(
        # One identity for every instance of a series, as an .ics UID is.
        uid=str(series or e.get("iCalUId") or e["id"]),
        start=start,
        end=end,
        title=_clip(e.get("subject")),
        original_start=_original(e, zone) if series else None,
        location=_clip((e.get("location") or {}).get("displayName")),
        description=_clip(e.get("bodyPreview")),
        url=_clip(online.get("joinUrl") or e.get("onlineMeetingUrl") or ""),
        organizer=organizer,
        attendees=tuple(attendees),
        status="CANCELLED" if e.get("isCancelled") else "CONFIRMED",
        all_day=all_day,
        cadence_days=cadence,
        calendar=label,
    )


def replace_partstat(p: Person, partstat: str) -> Person:
    from dataclasses import replace

    return replace(p, partstat=partstat)


def doctor_checks(cal: Calendar, config: Config) -> list[tuple[bool, str]]:
    """`manageup doctor`: signed in (without saving anything), Graph reachable, the
    mailbox's calendar found."""
    what = f"microsoft {cal.label}"
    store = Store.open(config.store.path, readonly=True)
    try:
        dead = store.flag(microsoft.AUTH_FLAG)
    finally:
        store.close()
    if dead:
        return [(False, f"{what}: the sign-in stopped working on {dead[1]:%d %b %H:%M} "
                        f"({dead[0]}); {microsoft.REAUTH}")]
    src = MicrosoftSource(cal, config)
    src.readonly = True  # doctor changes nothing, not even the token cache
    try:
        _token, user = src.token()
    except SourceError as e:
        return [(False, f"{what}: {e}")]
    checks = [(True, f"{what}: signed in as {user or 'an account'}")]
    try:
        found = src.get(f"{cal.graph_url.rstrip('/')}/me/calendar", {"$select": "name"})
    except SourceError as e:
        return [*checks, (False, f"{what}: {e}")]
    return [*checks, (True, f"{what}: Graph reachable, calendar {found.get('name', '')!r} "
                            "found")]


__all__ = ["MicrosoftSource"]
