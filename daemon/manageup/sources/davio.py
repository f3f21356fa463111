"""How the CalDAV source reads a server: every answer bounded, and the resources taken
from the REPORTs as text, each judged on its own.

The caldav library reads whole answers into memory and gives no limit on their size or
on how long one may take to arrive (its timeout is per socket read, so a server sending a
byte a second is never timed out). BoundedSession wraps its HTTP session so that an answer
over `calendars.max_bytes`, or one not finished within `calendars.timeout`, is one clear
error for the calendar.

The library's search() parses and filters every resource itself (post_filter), so one
resource its parser refuses failed the whole query, and a resource that is not iCalendar
at all was fetched again one by one and dropped in silence. The calendar-query and the
calendar-multiget are therefore sent here, built with the library's own elements, and
their results handed over as text: the source parses each one alone and names any it
skips.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from manageup.errors import SourceError
from manageup.sources.download import _whole

CHUNK = 64 * 1024
QUERY_MARGIN = timedelta(days=1)  # floating times and dates: the server's zone may differ


class BoundedSession:
    """The library's HTTP session, each answer read whole but no larger than max_bytes
    and no slower than `timeout` seconds in all."""

    def __init__(self, session: Any, label: str, timeout: float, max_bytes: int) -> None:
        self._session = session
        self.label, self.timeout, self.max_bytes = label, timeout, max_bytes

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = dict(kwargs.get("headers") or {})
        headers["Accept-Encoding"] = "gzip, deflate"  # what _whole can inflate, bounded
        kwargs.update(headers=headers, stream=True)
        deadline = time.monotonic() + self.timeout
        r = self._session.request(method, url, **kwargs)
        try:
            parts, size = [], 0
            read = getattr(r.raw, "read1", None) or r.raw.read
            while chunk := read(CHUNK, decode_content=False):
                parts.append(chunk)
                size += len(chunk)
                if size > self.max_bytes:
                    raise SourceError(f"{self.label}: the server's answer is over "
                                      f"{self.max_bytes} bytes; raise calendars.max_bytes "
                                      "if the calendar is really that big")
                if time.monotonic() > deadline:  # read1 returns what came: a drip ends here
                    raise SourceError(f"{self.label}: the server's answer did not arrive "
                                      f"within {self.timeout:g} s; the next poll tries "
                                      "again, or raise calendars.timeout")
            data = _whole(b"".join(parts), r.headers, self.label, self.max_bytes)
        finally:
            r.close()
        # What requests keeps a read body in; `content` then answers from it.
        r._content, r._content_consumed = data, True
        return r

    def close(self) -> None:
        self._session.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


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
