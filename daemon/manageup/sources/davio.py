"""How the CalDAV source reads a server: every answer bounded, and the resources taken
from the REPORTs as text, each judged on its own.

The caldav library reads whole answers into memory and gives no limit on their size or
on how long one may take to arrive (its timeout is per socket read, so a server sending a
byte a second is never timed out). BoundedSession (sources/bounded.py) wraps its HTTP
session so that an answer over `calendars.max_bytes`, or one not finished within
`calendars.timeout`, is one clear error for the calendar.

The library's search() parses and filters every resource itself (post_filter), so one
resource its parser refuses failed the whole query, and a resource that is not iCalendar
at all was fetched again one by one and dropped in silence. The calendar-query and the
calendar-multiget are therefore sent here, built with the library's own elements, and
their results handed over as text: the source parses each one alone and names any it
skips.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from manageup.model import address

log = logging.getLogger(__name__)

CTAG = "{http://calendarserver.org/ns/}getctag"
QUERY_MARGIN = timedelta(days=1)  # floating times and dates: the server's zone may differ


@dataclass(frozen=True)
class Resource:
    href: str
    etag: str
    ics: str | None  # None: the server sent no calendar data for it
    status: int


def query(client: Any, calendar: Any, start: datetime, end: datetime) -> list[Resource]:
    """A calendar-query for the VEVENTs overlapping [start, end), unexpanded."""
    searcher = calendar.searcher(start=start, end=end, event=True)
    root, _kind = searcher.build_search_xml_query(_time_range_margin=QUERY_MARGIN)
    return _report(client, calendar.url, root, depth=1)


def old_series(client: Any, calendar: Any, known: dict[str, Any],
               keep: Callable[[str, str], bool]) -> dict[str, dict[str, str]]:
    """The recurring events a time-range query missed, by their path: those `keep`
    (href, ics) says have instances in the window.

    A server that matches a series by its first instance only (the python caldav
    library's profiles: search.recurrences.includes-implicit unsupported on Yahoo,
    fragile on SOGo) never returns a series begun before the window. Every VEVENT with
    an RRULE or an RDATE is asked for without a range; a server that refuses that filter has every
    member it did not return read instead."""
    from caldav.lib import error

    try:
        found = _series(client, calendar)
    except error.DAVError as e:
        log.info("the query for recurring events failed (%s); reading the other members", e)
        missing = [calendar.url.join(h) for h in etags(calendar) if h not in known]
        found = multiget(client, calendar, missing) if missing else []
    out = {}
    for r in found:
        href = key(r.href)
        if r.status == 200 and href not in known and keep(href, r.ics or ""):
            out[href] = {"etag": r.etag, "ics": r.ics or ""}
    if out:
        log.info("%d recurring events found beyond the time-range query", len(out))
    return out


def _series(client: Any, calendar: Any) -> list[Resource]:
    """Calendar-queries for every VEVENT with an RRULE, then with an RDATE (RFC 4791
    9.7.2: a prop-filter without a test matches when the property is there; its filters
    all have to match, hence two), at any date. A series given by RDATE alone (RFC 5545
    3.8.5.2) is missed by the time-range query as often: Xandikos and SabreDAV 1.8 match
    it by its first instance too."""
    from caldav.elements import cdav, dav

    found: list[Resource] = []
    for name in ("RRULE", "RDATE"):
        vevent = cdav.CompFilter(name="VEVENT") + cdav.PropFilter(name=name)
        prop = dav.Prop() + dav.GetEtag() + cdav.CalendarData()
        root = (cdav.CalendarQuery() + prop
                + (cdav.Filter() + (cdav.CompFilter(name="VCALENDAR") + vevent)))
        found += _report(client, calendar.url, root, depth=1)
    return found


def multiget(client: Any, calendar: Any, urls: Iterable[Any]) -> list[Resource]:
    """A calendar-multiget of these resources (RFC 4791 7.9: no Depth header)."""
    from caldav.elements import cdav, dav

    root = (cdav.CalendarMultiGet() + (dav.Prop() + [cdav.CalendarData(), dav.GetEtag()])
            + [dav.Href(value=calendar.url.join(u).path) for u in urls])
    return _report(client, calendar.url, root, depth=None)


def _report(client: Any, url: Any, root: Any, depth: int | None) -> list[Resource]:
    from caldav.lib import error
    from lxml import etree  # type: ignore[import-untyped]  # the library's own XML

    body = etree.tostring(root.xmlelement(), encoding="utf-8", xml_declaration=True)
    response = client.report(str(url), body, depth)
    if response.status == 404:
        raise error.error_from_response(error.NotFoundError, response)
    if response.status >= 400:
        raise error.error_from_response(error.ReportError, response)
    return [Resource(str(r.href), str(r.etag or ""), r.calendar_data, int(r.status or 200))
            for r in response.parse_calendar_query()]


def ctag(calendar: Any) -> str:
    """The collection's ctag (a calendarserver.org extension), or "" without one."""
    from caldav.elements.base import ValuedBaseElement

    class GetCtag(ValuedBaseElement):
        tag = CTAG

    try:
        value = calendar.get_property(GetCtag())
    except Exception as e:  # no ctag either: the etags are compared every poll
        log.debug("no ctag (%s)", e)
        return ""
    return str(value or "")


def sync_token(calendar: Any) -> str:
    """The collection's DAV:sync-token property (RFC 6578 section 4), or "" without one."""
    from caldav.elements import dav

    try:
        value = calendar.get_property(dav.SyncToken())
    except Exception as e:  # no token either: the ctag is watched instead
        log.debug("no sync-token property (%s)", e)
        return ""
    return str(value or "")


def etags(calendar: Any) -> dict[str, str]:
    """Each resource's etag by its unquoted path, for a server without sync-collection."""
    from caldav.elements import dav

    response = calendar._query_properties([dav.GetEtag()], depth=1)
    props = response.expand_simple_props([dav.GetEtag()])
    own = key(calendar.url).rstrip("/")
    out = {}
    for href, values in props.items():
        path = key(calendar.url.join(href))
        if path.rstrip("/") != own and values.get("{DAV:}getetag"):
            out[path] = str(values["{DAV:}getetag"])
    return out


def addresses(principal: Any) -> list[str]:
    """The user's addresses from the principal's calendar-user-address-set."""
    try:
        found = principal.calendar_user_address_set()
    except Exception as e:  # the property is optional; detection still has me.email
        log.debug("no calendar-user-address-set (%s)", e)
        return []
    out = []
    for a in found or []:
        text = str(a or "").strip()
        if text.lower().startswith("mailto:"):
            out.append(address(text))
    return sorted(set(out))


def key(url: Any) -> str:
    """A resource's path, unquoted: servers differ in how they quote '@' in hrefs."""
    return unquote(urlsplit(str(url)).path)


def explain(e: Exception, url: str, username: str) -> str:
    """One line naming the problem and the fix, for whatever the library raised."""
    from caldav.lib import error

    host = urlsplit(url).netloc or url
    if isinstance(e, error.AuthorizationError) and getattr(e, "status", None) == 403:
        # 403 Forbidden is a login understood and access refused (RFC 9110 section
        # 15.5.4): the password is not what is wrong, the calendar's rights or address are.
        who = f"{username!r}" if username else "this account"
        return (f"{host} refused access to the calendar (403); check calendars.url and "
                f"that {who} may read that calendar")
    if isinstance(e, error.AuthorizationError) and not username:
        return (f"{host} asks for a login; set calendars.username and run "
                "`manageup secret set caldav`")
    if isinstance(e, error.AuthorizationError):
        return (f"{host} refused the login of {username!r}; check calendars.username and "
                "run `manageup secret set caldav`")
    if isinstance(e, error.NotFoundError):
        return f"no calendar at {url}; check calendars.url"
    if isinstance(e, error.RateLimitError):
        return f"{host} asked to slow down; the next poll tries again"
    if isinstance(e, error.DAVError):
        return f"{host} answered {_first_line(e)}; check calendars.url"
    if isinstance(e, OSError) and "certificate verify failed" in str(e).lower():
        return (f"the certificate of {host} is not trusted; if the server has a certificate "
                "authority of its own, set REQUESTS_CA_BUNDLE to its certificate in "
                "manageup's environment")
    if isinstance(e, OSError):  # requests/niquests connection errors are OSErrors
        return (f"cannot reach {host} ({type(e).__name__}); check the address and your "
                "connection")
    # What is left is the library choking on the answer (broken XML, an HTML page):
    # most often a wrong address or a login page or proxy in between.
    log.debug("unexpected error", exc_info=True)
    return (f"{host} sent an answer manageup cannot read ({type(e).__name__}: "
            f"{_first_line(e)}); check calendars.url and that no proxy or login page sits "
            "in between")


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0][:200] if text else type(e).__name__


__all__ = ["Resource", "addresses", "ctag", "etags", "explain", "key", "multiget",
           "old_series", "query", "sync_token"]
