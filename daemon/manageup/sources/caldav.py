"""CalDAV (Fastmail, iCloud, Nextcloud, Radicale ...) through the `caldav` library.

The first poll asks for the resources overlapping the window (a time-range calendar-query)
and expands them here with the ics module, so results never depend on a server's own
recurrence expansion. Later polls send the RFC 6578 sync token kept in the store and
fetch only the resources that changed: one request when nothing did. A server without
sync-collection is watched through its ctag, then its etags.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from manageup.errors import ManageupError, SecretError, SourceError
from manageup.model import Occurrence, Person, address
from manageup.sources import FetchResult, KeepsSyncState, StateStore, davio, fetch_read_only
from manageup.sources.bounded import BoundedSession
from manageup.sources.expansions import Expansions
from manageup.sources.ics import EXPAND_MARGIN, check_lines, parse_occurrences

if TYPE_CHECKING:
    from manageup.config import Calendar, Config

log = logging.getLogger(__name__)

SECRET = "caldav"
UTC = ZoneInfo("UTC")
MARGIN = timedelta(days=30)  # asked for beyond the lookahead, so the window can slide a month
T = TypeVar("T")


class CaldavSource(KeepsSyncState):
    def __init__(self, cal: Calendar, config: Config, *, password: str | None = None) -> None:
        self.cal = cal
        self.config = config
        self.label = cal.label
        self.key = f"caldav:{cal.url}|{cal.calendar}"
        self._password = password
        self._state: dict[str, Any] | None = None  # the last state seen, for read-only runs
        self._client: Any = None
        self._auth = "basic"  # or "digest", learnt from the server and kept in the state
        # Expansions per resource for one range, reused while the resource's text holds.
        self._expansions = Expansions(self.key, repr(cal))

    # -- the connection --------------------------------------------------------------------

    def client(self) -> Any:
        if self._client is None:
            from caldav.davclient import DAVClient

            from manageup.accounts import secrets

            # No username: a server without authentication (a local Radicale with
            # `auth none`), as for SMTP; no password is looked up or sent.
            password = self._password if self.cal.username else None
            if password is None and self.cal.username:
                try:
                    password = secrets.lookup(SECRET, self.cal.password_command)
                except SecretError as e:
                    raise SourceError(f"{self.label}: {e}") from None
            # Basic auth sent up front: waiting for the 401 would double every quiet poll.
            # A server that refuses Basic and asks for Digest gets Digest from then on.
            client = DAVClient(
                self.cal.url, username=self.cal.username or None, password=password,
                auth_type=self._auth if self.cal.username else None,
                timeout=int(self.cal.timeout), enable_rfc6764=False)
            client.session = BoundedSession(  # type: ignore[assignment]
                client.session, self.label, self.cal.timeout, self.cal.max_bytes)
            self._client = client
        return self._client

    def _calendar(self, url: str) -> Any:
        return self.client().calendar(url=url)

    def _resolve(self) -> tuple[str, list[str]]:
        """The collection's address and the user's own addresses (calendar-user-address-set)."""
        from caldav.lib import error

        client = self.client()
        if not self.cal.username:
            # Without a login there is no current user to ask about (Radicale answers an
            # anonymous current-user-principal with 401): the address is the calendar, or
            # the folder holding the one named by calendars.calendar.
            from caldav.collection import CalendarSet

            return self._pick(CalendarSet(client, url=self.cal.url)), []
        try:
            principal = client.principal()
        except error.AuthorizationError:
            raise
        except error.DAVError as e:  # a collection URL on a server without the property
            if self.cal.calendar:
                raise
            log.debug("%s: no principal found (%s); using the address as the calendar",
                      self.label, e)
            return self.cal.url, []
        return self._pick(principal), davio.addresses(principal)

    def _pick(self, home: Any) -> str:
        """The calendar's address: calendars.url itself, or the calendar under it (a
        principal or a calendar home) whose display name is calendars.calendar."""
        if not self.cal.calendar:
            self._check_is_calendar(home)
            return self.cal.url
        calendars = home.get_calendars()
        for c in calendars:
            if (c.get_display_name() or "").strip().casefold() == \
                    self.cal.calendar.strip().casefold():
                return str(c.url)
        names = ", ".join(sorted(repr(c.get_display_name() or "") for c in calendars))
        raise SourceError(f"{self.label}: no calendar named {self.cal.calendar!r} under "
                          f"{self.cal.url} (found: {names or 'none'}); check calendars.calendar")

    def _check_is_calendar(self, principal: Any) -> None:
        """A principal or calendar-home address answers a calendar query with nothing, so
        the user would see no meetings and no error: name the calendars there instead."""
        props = self._calendar(self.cal.url).get_properties(_collection_props())
        kind = props.get("{DAV:}resourcetype")
        if kind is None or "calendar" in str(kind):
            return
        try:
            names = ", ".join(sorted(repr(c.get_display_name() or "")
                                     for c in principal.get_calendars()))
        except Exception as e:  # the list is a courtesy; the error stands without it
            log.debug("%s: listing calendars failed (%s)", self.label, e)
            names = ""
        raise SourceError(f"{self.label}: {self.cal.url} is not a calendar (found: "
                          f"{names or 'none'}); set calendars.calendar to one of them")

    def health(self, env: Mapping[str, str]) -> list[tuple[bool, str]]:  # ReportsHealth
        return doctor_checks(self.cal, self.config)

    # -- fetching --------------------------------------------------------------------------

    def fetch(self, start: datetime, end: datetime, zone: ZoneInfo) -> FetchResult:
        return fetch_read_only(self, self.config.store.path, start, end, zone)

    def fetch_synced(self, start: datetime, end: datetime, zone: ZoneInfo, *,
                     store: StateStore, now: datetime, readonly: bool) -> FetchResult:
        stored = store.sync_state(self.key)
        # Read-only runs never save, so they carry their state from one fetch to the next.
        state = (self._state or stored) if readonly else stored
        if state and state["events"].get("auth") == "digest" and self._client is None:
            self._auth = "digest"
        try:
            new_state, changed = self._sync_as_asked(state, start, end)
        except ManageupError:
            raise
        except Exception as e:
            if self._password is None:
                self._client = None  # read the secret again next time: it may be fixed
            raise self._explain(e) from None
        self._state = new_state
        if not readonly and new_state != stored:
            store.save_sync_state(self.key, new_state)
        result = self._occurrences(new_state, start, end, zone)
        result.unchanged = not changed
        return result

    def _sync_as_asked(self, state: dict[str, Any] | None, start: datetime, end: datetime) \
            -> tuple[dict[str, Any], bool]:
        """_sync, again with Digest when the server refused Basic and asks for Digest (the
        library keeps to the scheme it was given); the state then remembers it, so a
        later process does not send the password as Basic to that server. A server that
        later asks for Basic only is answered with Basic again: nothing else can read it."""
        new, changed = self._as_asked(lambda: self._sync(state, start, end))
        if (new["events"].get("auth") == "digest") != (self._auth == "digest"):
            events = {k: v for k, v in new["events"].items() if k != "auth"}
            if self._auth == "digest":
                events["auth"] = "digest"
            new = {**new, "events": events}
        return new, changed

    def _as_asked(self, work: Callable[[], T]) -> T:
        """work(), again with the other scheme when the server refused ours and asks for
        that one only."""
        from caldav.lib import error

        try:
            return work()
        except error.AuthorizationError:
            challenge = getattr(getattr(self._client, "session", None), "challenge", "")
            kinds = self._client.extract_auth_types(challenge) if challenge else []
            other = "digest" if self._auth == "basic" else "basic"
            if other not in kinds or self._auth in kinds:
                raise
            log.info("%s: the server asks for %s authentication; using it", self.label,
                     other.capitalize())
            self._auth, self._client = other, None
            return work()

    def _sync(self, state: dict[str, Any] | None, start: datetime, end: datetime) \
            -> tuple[dict[str, Any], bool]:
        refused = False  # the sync report refused with a 403 just now
        if state and datetime.fromisoformat(state["synced_from"]) <= start and \
                datetime.fromisoformat(state["synced_until"]) >= end:
            from caldav.lib import error

            try:
                return self._incremental(state)
            except error.AuthorizationError as e:
                # A 401 is the password; a 403 to the sync report after a good login is
                # the token, said or not (Cyrus refuses a stale one with a bare 403).
                if not (_expired_token(e) or getattr(e, "status", None) == 403):
                    raise
                refused = True
                log.info("%s: the server refused the sync token; reading the window again",
                         self.label)
            except error.ReportError as e:
                log.info("%s: sync-collection failed (%s); reading the window again",
                         self.label, e)
        return self._full(start, end + MARGIN, refused), True

    def _full(self, start: datetime, until: datetime, refused: bool = False) \
            -> dict[str, Any]:
        from caldav.lib import error

        url, addresses = self._resolve()
        calendar = self._calendar(url)
        # The token is taken before the query, so a change in between shows up next time.
        try:
            token = str(calendar.get_objects_by_sync_token(
                None, load_objects=False, disable_fallback=True).sync_token or "")
            mode = "sync"
        except error.AuthorizationError as e:
            # A 403 here is the report refused, not the login: unsupported, or the first
            # (empty) token refused as Cyrus did before 2024 (cyrus-imapd#4985). The
            # collection's DAV:sync-token property (RFC 6578 section 4) then gives one,
            # unless the report is unsupported or refused every token: the ctag instead.
            if not (_unsupported(e) or getattr(e, "status", None) == 403):
                raise
            token = "" if _unsupported(e) or refused else davio.sync_token(calendar)
            mode = "sync"
        except error.ReportError:
            token, mode = "", "ctag"
        if not token:
            token, mode = davio.ctag(calendar), "ctag"
        resources = {davio.key(r.href): {"etag": r.etag, "ics": r.ics or ""}
                     for r in davio.query(self.client(), calendar, start, until)
                     if r.status == 200}
        # Some servers match a series only by its first instance (SOGo, Yahoo): one more
        # query finds every series, and those with instances in the window are kept.
        lo, hi = start - EXPAND_MARGIN, until + EXPAND_MARGIN
        resources.update(davio.old_series(
            self.client(), calendar, resources,
            lambda href, ics: bool(self._expand(href, ics, lo, hi, UTC)[0])))
        log.info("%s: read %d resources over the window (%s)", self.label, len(resources), mode)
        return {"token": token, "synced_from": start.isoformat(),
                "synced_until": until.isoformat(),
                "events": {"url": url, "mode": mode, "addresses": addresses,
                           "resources": resources}}

    def _incremental(self, state: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        info = state["events"]
        calendar = self._calendar(info["url"])
        resources: dict[str, dict[str, str]] = dict(info["resources"])
        if info["mode"] == "sync":
            answer = calendar.get_objects_by_sync_token(state["token"], load_objects=False,
                                                        disable_fallback=True)
            token = str(answer.sync_token or state["token"])
            gone = {str(u) for u in getattr(answer, "deleted_urls", set())}
            changed = [o.url for o in answer if str(o.url.canonical()) not in gone]
            removed = [davio.key(u) for u in gone]
        else:
            token = davio.ctag(calendar)
            if token and token == state["token"]:
                return state, False
            etags = davio.etags(calendar)
            changed = [calendar.url.join(h) for h, t in etags.items()
                       if resources.get(h, {}).get("etag") != t]
            removed = [h for h in resources if h not in etags]
        for href in removed:
            resources.pop(href, None)
        if changed:
            for r in davio.multiget(self.client(), calendar, changed):
                if r.status == 200:
                    resources[davio.key(r.href)] = {"etag": r.etag, "ics": r.ics or ""}
                else:  # gone since the sync report named it
                    resources.pop(davio.key(r.href), None)
        if not changed and not removed and token == state["token"]:
            return state, False
        log.info("%s: %d changed, %d removed", self.label, len(changed), len(removed))
        return {**state, "token": token, "events": {**info, "resources": resources}}, True

    # -- occurrences -----------------------------------------------------------------------

    def _occurrences(self, state: dict[str, Any], start: datetime, end: datetime,
                     zone: ZoneInfo) -> FetchResult:
        info = state["events"]
        result = self._expansions.read(info["resources"], start, end, zone, self._expand)
        me = address(self.config.me.email)
        mine = {a for a in info.get("addresses", [])} - {me}
        if mine:
            result.occurrences = [_as_me(o, mine, me)
                                  for o in result.occurrences]
        return result

    def _expand(self, href: str, ics: str, lo: datetime, hi: datetime,
                zone: ZoneInfo) -> tuple[list[Occurrence], list[str]]:
        try:
            raw, cut = check_lines(ics.encode("utf-8", "surrogateescape"), self.label)
            parsed = parse_occurrences(raw, lo, hi, zone, calendar=self.label)
        except SourceError as e:  # one broken resource must not cost the calendar
            why = str(e).removeprefix(f"{self.label}: ")
            return [], [f"{self.label}: skipped {href}: {why}"]
        return parsed.occurrences, cut + parsed.warnings

    # -- errors ----------------------------------------------------------------------------

    def _explain(self, e: Exception) -> SourceError:
        return SourceError(f"{self.label}: {davio.explain(e, self.cal.url, self.cal.username)}")


# -- helpers -------------------------------------------------------------------------------


def _expired_token(e: Any) -> bool:
    return "{DAV:}valid-sync-token" in (getattr(e, "preconditions", None) or ())


def _unsupported(e: Any) -> bool:
    return "{DAV:}supported-report" in (getattr(e, "preconditions", None) or ())


def _as_me(occ: Occurrence, mine: set[str], me: str) -> Occurrence:
    """The user's other addresses (from the server) count as me.email for detection."""

    def person(p: Person | None) -> Person | None:
        return replace(p, email=me) if p is not None and p.email in mine else p

    organizer = person(occ.organizer)
    attendees = tuple(person(a) or a for a in occ.attendees)
    if organizer is occ.organizer and attendees == occ.attendees:
        return occ
    return replace(occ, organizer=organizer, attendees=attendees)


def doctor_checks(cal: Calendar, config: Config) -> list[tuple[bool, str]]:
    """`manageup doctor`: the password, the server reachable, the login, the collection."""
    from manageup.accounts import secrets
    from manageup.sources import unlabelled

    what = f"caldav {cal.label}"
    checks = []
    if cal.username:
        try:
            secrets.lookup(SECRET, cal.password_command)
        except ManageupError as e:
            return [(False, f"{what}: {unlabelled(str(e), cal.label)}")]
        checks.append((True, f"{what}: password found"))
    src = CaldavSource(cal, config)
    try:
        try:
            url, addresses = src._as_asked(src._resolve)
            props = src._calendar(url).get_properties(_collection_props())
        except ManageupError:
            raise
        except Exception as e:
            raise src._explain(e) from None
    except ManageupError as e:
        return [*checks, (False, f"{what}: {unlabelled(str(e), cal.label)}")]
    kinds = str(props.get("{DAV:}resourcetype") or "")
    if "calendar" not in kinds and props.get("{DAV:}resourcetype") is not None:
        return [*checks, (False, f"{what}: {url} is not a calendar collection; "
                                 "check calendars.url (or set calendars.calendar)")]
    name = props.get("{DAV:}displayname") or url
    also = f"; your addresses there: {', '.join(addresses)}" if addresses else ""
    who = f"signed in as {cal.username}" if cal.username else "read without a login"
    return [*checks, (True, f"{what}: {who}, calendar {name!r} found{also}")]


def _collection_props() -> list[Any]:
    from caldav.elements import dav

    return [dav.DisplayName(), dav.ResourceType()]
