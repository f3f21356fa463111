"""The ICS source over http, against a real server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from manageup.config import Calendar
from manageup.errors import SourceError
from manageup.sources.ics import IcsSource
from tests.conftest import BERLIN, ICS, at, free_port, serve_http

BODY = (ICS / "weekly_moved_cancelled_exdate.ics").read_bytes()
WINDOW = (at("2026-11-01T00:00+01:00"), at("2026-12-31T00:00+01:00"))


class Feed(BaseHTTPRequestHandler):
    hits: list[tuple[str, str | None]] = []  # noqa: RUF012 - shared by the test server

    def do_GET(self) -> None:
        Feed.hits.append((self.path, self.headers.get("If-None-Match")))
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
