"""The ICS source over http, against a real server on loopback."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from manageup.config import Calendar
from manageup.errors import SourceError
from manageup.sources.ics import IcsSource
from tests.conftest import BERLIN, ICS, at, free_port, serve_http

BODY = (ICS / "weekly_moved_cancelled_exdate.ics").read_bytes()
WINDOW = (at("2026-11-01T00:00+01:00"), at("2026-12-31T00:00+01:00"))


BOMB = gzip.compress(b"\0" * 20_000_000)


class Feed(BaseHTTPRequestHandler):
    hits: list[tuple[str, str | None]] = []  # noqa: RUF012 - shared by the test server

    def raw(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()
        self.close_connection = True

    def do_GET(self) -> None:
        Feed.hits.append((self.path, self.headers.get("If-None-Match")))
        if self.path == "/bad-status":
            return self.raw(b"HTTP/1.1 2OO SURE\r\n\r\n" + BODY)
        if self.path == "/broken-chunks":
            return self.raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"10\r\nBEGIN:VCALENDAR\r\n\r\nzz\r\nnot a chunk\r\n")
        if self.path == "/always-304":
            return self.raw(b"HTTP/1.1 304 Not Modified\r\n\r\n")
        if self.path == "/bomb":
            return self.raw(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: "
                            + str(len(BOMB)).encode() + b"\r\n\r\n" + BOMB)
        if self.path == "/gzip":
            body = gzip.compress(BODY)
            return self.raw(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nETag: \"g1\"\r\n"
                            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        if self.path == "/short":
            # ETag and Content-Length promise the whole feed; half of it arrives.
            return self.raw(b"HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nContent-Length: "
                            + str(len(BODY)).encode() + b"\r\n\r\n" + BODY[:len(BODY) // 2])
        if self.path == "/drip":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n\r\n")
            try:
                for byte in BODY[:60]:  # a byte every quarter second: each read is quick
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.25)
            except OSError:
                pass  # the abandoned download hung up, as it should
            self.close_connection = True
            return None
        if self.path.startswith("/redirect-"):
            self.send_response(302)
            scheme = self.path.removeprefix("/redirect-")
            self.send_header("Location", f"{scheme}://example.com/etc/passwd")
            self.end_headers()
            return
        if self.path == "/missing":
            self.send_error(404)
            return
        if self.headers.get("If-None-Match") == '"v1"':
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", '"v1"')
        self.send_header("Content-Type", "text/calendar")
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Feed.hits = []
    with serve_http(Feed) as url:
        yield url


def test_conditional_get_skips_unchanged_feed(server: str) -> None:
    src = IcsSource(Calendar(type="ics", url=f"{server}/work.ics", timeout=5))
    first = src.fetch(*WINDOW, BERLIN)
    second = src.fetch(*WINDOW, BERLIN)
    assert len(first.occurrences) == 5 and not first.unchanged
    assert second.unchanged and second.occurrences == first.occurrences
    assert Feed.hits == [("/work.ics", None), ("/work.ics", '"v1"')]


def test_http_errors_are_clear(server: str) -> None:
    with pytest.raises(SourceError, match=r"answered 404.*calendars\.url"):
        IcsSource(Calendar(type="ics", url=f"{server}/missing", timeout=5)).fetch(*WINDOW,
                                                                                   BERLIN)
    # urllib itself follows ftp:// redirects; the source refuses them. file:// urllib refuses.
    for scheme, message in (("ftp", "only http"), ("file", "not allowed")):
        src = IcsSource(Calendar(type="ics", url=f"{server}/redirect-{scheme}", timeout=5))
        with pytest.raises(SourceError, match=message):
            src.fetch(*WINDOW, BERLIN)


def test_server_down_is_one_clear_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/work.ics"
    with pytest.raises(SourceError, match=r"cannot fetch .*check the address"):
        IcsSource(Calendar(type="ics", url=url, timeout=2)).fetch(*WINDOW, BERLIN)


def test_oversized_feed_is_refused(server: str) -> None:
    src = IcsSource(Calendar(type="ics", url=f"{server}/work.ics", timeout=5, max_bytes=100))
    with pytest.raises(SourceError, match="over 100 bytes"):
        src.fetch(*WINDOW, BERLIN)


@pytest.mark.parametrize(("path", "message"), [
    ("/bad-status", "broken answer"),
    ("/broken-chunks", "broken answer"),
    ("/always-304", "304 .* whole feed"),
    ("/bomb", "over 1000000 bytes"),
    ("/short", "cut short"),
])
def test_every_http_failure_is_one_clean_error(server: str, path: str, message: str) -> None:
    src = IcsSource(Calendar(type="ics", url=f"{server}{path}", timeout=5,
                             max_bytes=1_000_000))
    with pytest.raises(SourceError, match=message):
        src.fetch(*WINDOW, BERLIN)


def test_gzip_feed_is_read(server: str) -> None:
    src = IcsSource(Calendar(type="ics", url=f"{server}/gzip", timeout=5))
    assert len(src.fetch(*WINDOW, BERLIN).occurrences) == 5


def test_partial_body_is_never_cached_nor_its_etag_kept(server: str) -> None:
    src = IcsSource(Calendar(type="ics", url=f"{server}/short", timeout=5))
    for _ in range(2):
        with pytest.raises(SourceError, match="cut short"):
            src.fetch(*WINDOW, BERLIN)
    assert Feed.hits == [("/short", None), ("/short", None)]  # never "If-None-Match: v1"


def test_one_deadline_for_the_whole_fetch(server: str) -> None:
    """A server dripping a byte at a time never trips a per-read timeout; the fetch as a
    whole still ends at calendars.timeout."""
    src = IcsSource(Calendar(type="ics", url=f"{server}/drip", timeout=1))
    with pytest.raises(SourceError, match="did not arrive within 1 s"):
        src.fetch(*WINDOW, BERLIN)
