"""Servers for the CalDAV tests, started in-process on loopback: Radicale (in
test_caldav.py), Xandikos, and small proxies in front of a real server that answer as
servers we cannot run here do. Each quirk names where its behaviour is documented."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from lxml import etree  # type: ignore[import-untyped]

from tests.integration.test_caldav import PASSWORD, Radicale

DAV = "{DAV:}"
CAL = "{urn:ietf:params:xml:ns:caldav}"


class Xandikos(Radicale):
    """Xandikos (PyPI) behind the same counting, fault-injecting WSGI layer. Xandikos
    serves one user and leaves the login to a front end, so Basic auth is checked here."""

    def make_app(self, folder: Path) -> Any:
        from xandikos.web import SingleUserFilesystemBackend, XandikosApp

        backend = SingleUserFilesystemBackend(str(folder / "store"))
        backend._mark_as_principal("/alex/")
        backend.create_principal("/alex/", create_defaults=False)
        app = XandikosApp(backend, current_user_principal="/alex/")
        return _BasicAuth(app, "alex", PASSWORD) if self.login else app


SABRE = Path("/usr/share/doc/php-sabre-dav/examples")  # Debian's php-sabre-dav


class SabreDAV(Radicale):
    """SabreDAV 1.8 as Debian ships it (php-sabre-dav), its own calendarserver.php
    example on PHP's built-in server, behind the same WSGI layer (a forwarding proxy).
    It has no sync-collection (SabreDAV added it in 2.0) and asks for Digest auth."""

    sync = False

    def make_app(self, folder: Path) -> Any:
        import hashlib
        import sqlite3
        import subprocess
        import time

        from tests.conftest import free_port

        db = folder / "db.sqlite"
        with sqlite3.connect(db) as c:
            for part in ("calendars", "principals", "users", "locks"):
                c.executescript((SABRE / "sql" / f"sqlite.{part}.sql").read_text())
            c.execute("DELETE FROM users")
            c.execute("UPDATE principals SET uri = replace(uri, 'admin', 'alex')")
            # SabreDAV keeps the HTTP Digest (RFC 2617) hash: MD5 of user:realm:password.
            digest = hashlib.md5(f"alex:SabreDAV:{PASSWORD}".encode()).hexdigest()
            c.execute("INSERT INTO users (username, digesta1) VALUES ('alex', ?)", (digest,))
        example = (SABRE / "calendarserver.php").read_text()
        # PHP 8.2 deprecates what SabreDAV 1.8 does; the example made every notice fatal.
        server = example.replace("'sqlite:data/db.sqlite'", f"'sqlite:{db}'").replace(
            'set_error_handler("exception_error_handler");',
            "error_reporting(E_ALL & ~E_DEPRECATED & ~E_WARNING);").replace(
            "Canada/Eastern", "UTC")
        (folder / "server.php").write_text(server)
        port = free_port()
        self.php = subprocess.Popen(["php", "-S", f"127.0.0.1:{port}", "server.php"],
                                    cwd=folder, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        import socket

        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("php -S did not start")
            time.sleep(0.05)
        return _Forward("127.0.0.1", port)

    def client(self) -> Any:
        from caldav.davclient import DAVClient

        return DAVClient(self.url + "/", username="alex", password=PASSWORD,
                         auth_type="digest")

    def stop(self) -> None:
        super().stop()
        self.php.terminate()
        self.php.wait(10)


class _Forward:
    """A WSGI app that sends each request on to an HTTP server and returns its answer."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> Any:
        import http.client

        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size) if size else b""
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items()
                   if k.startswith("HTTP_") and k not in ("HTTP_HOST", "HTTP_CONNECTION")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        path = environ["PATH_INFO"] + (f"?{environ['QUERY_STRING']}"
                                       if environ.get("QUERY_STRING") else "")
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(environ["REQUEST_METHOD"], path, body=body, headers=headers)
            answer = conn.getresponse()
            content = answer.read()
        finally:
            conn.close()
        hop = {"connection", "transfer-encoding", "keep-alive", "content-length"}
        start(f"{answer.status} {answer.reason}",
              [(k, v) for k, v in answer.getheaders() if k.lower() not in hop])
        return [content]


class _BasicAuth:
    def __init__(self, app: Any, user: str, password: str) -> None:
        import base64

        self.app = app
        self.want = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> Any:
        if environ.get("HTTP_AUTHORIZATION") != self.want:
            start("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="xandikos"'),
                                       ("Content-Length", "0")])
            return [b""]
        return self.app(environ, start)


# -- quirks ---------------------------------------------------------------------------------


class Quirk:
    """Stands in front of a real server's WSGI app and changes some of its answers."""

    def __init__(self, server: Radicale) -> None:
        self.server, self.real = server, server.app
        self.hits = 0  # answers this quirk changed

    def __enter__(self) -> Quirk:
        self.server.app = self
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.app = self.real

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> Any:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size) if size else b""
        environ["wsgi.input"] = io.BytesIO(body)
        if environ["REQUEST_METHOD"] == "REPORT":
            answer = self.report(environ, body)
            if answer is not None:
                self.hits += 1
                status, headers, content = answer
                start(status, headers)
                return [content]
        return self.real(environ, start)

    def report(self, environ: dict[str, Any], body: bytes) \
            -> tuple[str, list[tuple[str, str]], bytes] | None:
        return None

    def forward(self, environ: dict[str, Any], body: bytes) -> tuple[str, bytes]:
        """The real server's answer to this request."""
        got: list[str] = []
        environ = {k: v for k, v in environ.items() if k != "HTTP_ACCEPT_ENCODING"}
        environ.update({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
        parts = self.real(environ, lambda status, headers, *a: got.append(status))
        return got[0], b"".join(parts)


def _sync_token(body: bytes) -> str | None:
    """The sync-token of a sync-collection REPORT ("" for the first one), else None."""
    if b"sync-collection" not in body:
        return None
    found = re.search(rb"<[^>]*sync-token[^>]*>([^<]*)<", body)
    return found.group(1).decode().strip() if found else ""


class CyrusStaleToken(Quirk):
    """Cyrus (Fastmail and many self-hosted servers) refuses a sync token it no longer
    knows with a bare 403: no DAV:error body, so no DAV:valid-sync-token precondition.
    Its report_sync_col() answers "Stale sync-token" as an error description only
    (code quoted in cyrusimap/cyrus-imapd#4985); seen as a bare 403 per issue 23."""

    def report(self, environ: dict[str, Any], body: bytes) \
            -> tuple[str, list[tuple[str, str]], bytes] | None:
        if _sync_token(body):
            return "403 Forbidden", [("Content-Type", "text/plain")], b""
        return None


class CyrusEmptyToken(Quirk):
    """Cyrus before 2024 refused the first sync-collection (an empty DAV:sync-token) as
    an invalid token, against RFC 6578 section 3.4 (cyrusimap/cyrus-imapd#4985, fixed by
    #4992). With precondition=True the 403 carries DAV:valid-sync-token, else nothing."""

    def __init__(self, server: Radicale, *, precondition: bool) -> None:
        super().__init__(server)
        self.precondition = precondition

    def report(self, environ: dict[str, Any], body: bytes) \
            -> tuple[str, list[tuple[str, str]], bytes] | None:
        if _sync_token(body) != "":
            return None
        xml = (b'<?xml version="1.0" encoding="utf-8"?><D:error xmlns:D="DAV:">'
               b'<D:valid-sync-token/></D:error>') if self.precondition else b""
        return "403 Forbidden", [("Content-Type", "application/xml")], xml


class NoImplicitRecurrence(Quirk):
    """A time-range calendar-query matched against each VEVENT's own DTSTART/DTEND,
    without expanding the RRULE: a series whose first instance lies before the range is
    not returned. The python caldav library's server profiles mark
    search.recurrences.includes-implicit as "unsupported" for Yahoo and "fragile" for
    SOGo (caldav/compatibility_hints.py, python-caldav/caldav); old SabreDAV did the same
    (sabre-io/dav#77). With ignore_filters (Yahoo: "comp-filter silently ignored - the
    whole calendar is returned regardless", same file), a query without a time-range
    returns every resource whatever its filters ask."""

    def __init__(self, server: Radicale, *, ignore_filters: bool = False,
                 refuse_rangeless: bool = False) -> None:
        super().__init__(server)
        self.ignore_filters = ignore_filters
        # refuse_rangeless: a query without a time-range answered with an error, as
        # Yahoo answers a query without a component filter (search.comp-type.optional
        # "ungraceful", same file): manageup must then read the members itself.
        self.refuse_rangeless = refuse_rangeless

    def report(self, environ: dict[str, Any], body: bytes) \
            -> tuple[str, list[tuple[str, str]], bytes] | None:
        if b"calendar-query" not in body:
            return None
        query = etree.fromstring(body)
        window = query.find(f".//{CAL}time-range")
        if window is None and self.refuse_rangeless:
            return "501 Not Implemented", [("Content-Type", "text/plain")], b"no"
        if window is None and not self.ignore_filters:
            return None
        if window is None:  # every resource, as a filter-less query gives
            for f in query.findall(f".//{CAL}filter"):
                f.getparent().remove(f)
            empty = etree.SubElement(query, f"{CAL}filter")
            etree.SubElement(empty, f"{CAL}comp-filter", name="VCALENDAR")
            status, content = self.forward(environ, etree.tostring(query))
            return status, [("Content-Type", "application/xml")], content
        lo, hi = (_utc(window.get(k)) for k in ("start", "end"))
        window.getparent().remove(window)  # the real server answers every event...
        status, content = self.forward(environ, etree.tostring(query))
        answer = etree.fromstring(content)
        for response in answer.findall(f"{DAV}response"):  # ...kept by its own dates
            data = response.find(f".//{CAL}calendar-data")
            if data is None or not _own_dates_overlap(data.text or "", lo, hi):
                answer.remove(response)
        return status, [("Content-Type", "application/xml")], etree.tostring(answer)


def _utc(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=ZoneInfo("UTC"))


def _own_dates_overlap(ics: str, lo: datetime | None, hi: datetime | None) -> bool:
    """Whether any VEVENT's own DTSTART..DTEND (unexpanded) overlaps [lo, hi)."""
    for event in icalendar.Calendar.from_ical(ics).walk("VEVENT"):
        start = _aware(event.decoded("DTSTART"))
        end = _aware(event.decoded("DTEND")) if "DTEND" in event else \
            start + (event.decoded("DURATION") if "DURATION" in event else timedelta(0))
        if (hi is None or start < hi) and (lo is None or end > lo):
            return True
    return False


def _aware(value: date | datetime) -> datetime:
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=ZoneInfo("UTC"))
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))


class ReadRevoked(Quirk):
    """The account's right to read the collection taken away after a good login: every
    REPORT a bare 403 Forbidden (RFC 4918 section 9.1 lets a server refuse a request on a
    resource it will not let this principal read; RFC 3744's DAV:need-privileges body is
    optional, and Radicale's rights file sends none)."""

    def report(self, environ: dict[str, Any], body: bytes) \
            -> tuple[str, list[tuple[str, str]], bytes] | None:
        return "403 Forbidden", [("Content-Type", "text/plain")], b""


class PasswordChanged(Quirk):
    """The password changed since the last poll: every REPORT a 401 with its challenge
    (RFC 7235 section 3.1)."""

    def report(self, environ: dict[str, Any], body: bytes) \
            -> tuple[str, list[tuple[str, str]], bytes] | None:
        return "401 Unauthorized", [("WWW-Authenticate", 'Basic realm="Radicale"'),
                                    ("Content-Type", "text/plain")], b""
