"""`init --calendar URL` fetches the address once to check it (issue 27.4): a 404 says so
and writes nothing; a good feed is fetched once for the check, the boss's name and the
zone together. Against a real HTTP server on loopback."""

from __future__ import annotations

import tomllib
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest

from manageup.cli import main
from tests.conftest import serve_http
from tests.fresh_calendar import fresh_home, write_calendar

FLAGS = ["init", "--me", "alex@example.com", "--boss", "sam@example.com", "--timezone",
         "Europe/Berlin"]


class Feed(BaseHTTPRequestHandler):
    body: ClassVar[bytes] = b""
    asked: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass  # http.server logs each request to stderr, which the tests read

    def do_GET(self) -> None:
        Feed.asked.append(self.path)
        if self.path == "/work.ics":
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Length", str(len(Feed.body)))
            self.end_headers()
            self.wfile.write(Feed.body)
        elif self.path == "/page.ics":  # a login page where the feed should be
            page = b"<html><body>Sign in</body></html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
        else:
            self.send_error(404, "Not Found")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = fresh_home(tmp_path, monkeypatch, "XDG_CACHE_HOME")
    Feed.body = write_calendar(tmp_path / "feed.ics", outlook=True).read_bytes()
    Feed.asked.clear()
    return home


def config(home: Path) -> Path:
    return home / ".config" / "manageup" / "config.toml"


def test_a_404_address_is_refused_and_nothing_written(home: Path, capsys) -> None:
    with serve_http(Feed) as base:
        assert main([*FLAGS, "--calendar", f"{base}/old-secret.ics"]) == 2
    err = capsys.readouterr().err
    assert f"--calendar '{base}/old-secret.ics': the server answered 404 Not Found" in err
    assert "secret iCal address" in err and err.count("\n") == 1
    assert not config(home).exists()


def test_a_page_that_is_no_calendar_is_refused(home: Path, capsys) -> None:
    with serve_http(Feed) as base:
        assert main([*FLAGS, "--calendar", f"{base}/page.ics"]) == 2
    assert "is not an iCalendar feed" in capsys.readouterr().err
    assert not config(home).exists()


def test_a_good_feed_is_fetched_once(home: Path, capsys) -> None:
    with serve_http(Feed) as base:
        assert main([*FLAGS, "--calendar", f"{base}/work.ics"]) == 0
    assert Feed.asked == ["/work.ics"]
    data = tomllib.loads(config(home).read_text())
    assert data["calendars"][0]["url"] == f"{base}/work.ics"
    assert data["boss"]["name"] == "Sam Rivera"  # from the same download
