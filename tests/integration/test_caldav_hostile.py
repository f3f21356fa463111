"""The CalDAV source against a hostile or broken server: Radicale on loopback, with the
calendar-query and multiget answers replaced by what such a server might send. A bad
answer is one clear error for that calendar; a bad resource costs only itself."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import pytest

from manageup.config import Calendar, Config
from manageup.cycle import gather
from manageup.errors import SourceError
from manageup.sources.ics import IcsSource
from tests.conftest import BERLIN, ICS
from tests.integration.test_caldav import NOW, WINDOW, Radicale, _write, poll, source

GOOD = (ICS / "weekly_moved_cancelled_exdate.ics").read_text()


def response(path: str, href: str, ics: str, etag: str = '"1"') -> str:
    return (f"<D:response><D:href>{path}{href}</D:href><D:propstat><D:prop>"
            f"<D:getetag>{etag}</D:getetag><C:calendar-data>{escape(ics)}</C:calendar-data>"
            "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>")


def multistatus(parts: list[str]) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:" '
            'xmlns:C="urn:ietf:params:xml:ns:caldav">' + "".join(parts)
            + "</D:multistatus>").encode()


class Hostile:
    """Answers the calendar's calendar-query (and multiget) REPORTs itself; everything
    else goes to Radicale."""

    def __init__(self, server: Radicale, answer: Callable[[bytes], Any]) -> None:
        self.server, self.real, self.answer = server, server.app, answer

    def __enter__(self) -> Hostile:
        self.server.app = self
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.app = self.real

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> Any:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size) if size else b""
        environ["wsgi.input"] = io.BytesIO(body)
        if environ["REQUEST_METHOD"] == "REPORT" and (b"calendar-query" in body
                                                      or b"calendar-multiget" in body):
            got = self.answer(body)
            if got is not None:
                start("207 Multi-Status", [("Content-Type", "application/xml; charset=utf-8")])
                return got if isinstance(got, Iterator) else [got]
        return self.real(environ, start)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    radicale = Radicale(tmp_path_factory.mktemp("radicale"))
    yield radicale
    radicale.stop()


_names = iter(range(10**6))


@pytest.fixture
def fresh(server: Radicale) -> Callable[[list[Path]], str]:
    """A new collection holding these files; returns its address."""
    return lambda files: server.make_calendar(f"hostile{next(_names)}", files)


def config_for(tmp_path: Path, url: str, extra: str = "") -> Config:
    _, config = _write(tmp_path, f'type = "caldav"\nname = "work"\nurl = "{url}"\n'
                                 f'username = "alex"\n{extra}')
    return config


# -- an enormous answer ------------------------------------------------------------------------


def test_a_multistatus_over_max_bytes_is_one_clear_error_and_the_others_keep_working(
        server: Radicale, fresh: Any, tmp_path: Path) -> None:
    url = fresh([])
    path = urlsplit(url).path
    # Tens of thousands of resources, 2 MB over the 1 MB the calendar allows.
    filler = "".join(response(path, f"r{i}.ics", GOOD.replace("weekly@", f"w{i}@"))
                     for i in range(2000))
    config = config_for(tmp_path, url, "max_bytes = 1000000\n")
    with Hostile(server, lambda body: multistatus([filler])):
        with pytest.raises(SourceError, match=r"over 1000000 bytes.*max_bytes") as e:
            poll(source(config), *WINDOW, BERLIN)
        assert "\n" not in str(e.value) and str(e.value).startswith("work: ")
        other = IcsSource(Calendar(type="ics", path=ICS / "boss_alias_email.ics"))
        got = gather([source(config), other], config, NOW)
    assert len(got.failures) == 1 and "max_bytes" in got.failures[0] and got.occurrences


def test_an_answer_without_length_is_cut_off_at_max_bytes(server: Radicale, fresh: Any,
                                                          tmp_path: Path) -> None:
    url = fresh([])

    def forever() -> Iterator[bytes]:
        yield multistatus([])[:-len("</D:multistatus>")]
        # No Content-Length, 20 times the limit: were it read whole (as before the limit),
        # an endless one would take all memory, so this one ends (at 40 MB).
        for _ in range(600):
            yield b"<D:response>" + b" " * 65536 + b"</D:response>"
        yield b"</D:multistatus>"

    config = config_for(tmp_path, url, "max_bytes = 2000000\n")
    with Hostile(server, lambda body: forever()), pytest.raises(SourceError, match="max_bytes"):
        poll(source(config), *WINDOW, BERLIN)


def test_thousands_of_resources_under_the_limit_are_read(server: Radicale, fresh: Any,
                                                         tmp_path: Path) -> None:
    url = fresh([])
    path = urlsplit(url).path
    one = (ICS / "all_day_with_boss.ics").read_text()
    uid = next(line.split(":", 1)[1] for line in one.splitlines() if line.startswith("UID:"))
    parts = [response(path, f"r{i}.ics", one.replace(uid, f"r{i}-{uid}")) for i in range(1500)]
    config = config_for(tmp_path, url)
    with Hostile(server, lambda body: multistatus(parts)):
        got = poll(source(config), *WINDOW, BERLIN)
    assert len({o.uid for o in got.occurrences}) == 1500


# -- one hostile resource among good ones -----------------------------------------------------

VTIMEZONE_TRICK = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//hostile//EN
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:STANDARD
DTSTART:16010101T000000
RRULE:FREQ=SECONDLY
TZOFFSETFROM:+1400
TZOFFSETTO:-1200
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:tz-trick@example.com
DTSTAMP:20261001T000000Z
DTSTART;TZID=Europe/Berlin:20261110T100000
DTEND;TZID=Europe/Berlin:20261110T103000
SUMMARY:1:1 trick
ORGANIZER:mailto:sam@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:alex@example.com
END:VEVENT
END:VCALENDAR
"""

HUGE = GOOD.replace("weekly@example.com", "huge@example.com").replace(
    "SUMMARY:", "DESCRIPTION:" + "x" * 3_000_000 + "\nSUMMARY:", 1)

HOSTILE = {
    "not-icalendar": "<html><body>Please log in</body></html>",
    "plain-text": "hello",
    "empty": "",
    "vcalendar-without-events": "BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n",
    "huge": HUGE,
    "vtimezone-trick": VTIMEZONE_TRICK,
    **{name.removesuffix(".ics"): (ICS / name).read_text() for name in (
        "malformed_component.ics", "concatenated_vcalendars.ics", "bare_vevent_feed.ics",
        "event_without_uid.ics", "hourly_series_from_1990.ics",
        "junk_line_between_components.ics", "unterminated_last_event.ics",
        "unterminated_only_event.ics", "organizer_given_twice.ics")},
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_one_hostile_resource_costs_only_itself(name: str, server: Radicale, fresh: Any,
                                                tmp_path: Path) -> None:
    url = fresh([])
    path = urlsplit(url).path
    parts = [response(path, "good.ics", GOOD), response(path, f"{name}.ics", HOSTILE[name]),
             response(path, "good2.ics", GOOD.replace("weekly@", "weekly2@"))]
    config = config_for(tmp_path, url)
    with Hostile(server, lambda body: multistatus(parts)):
        got = poll(source(config), *WINDOW, BERLIN)
    uids = {o.uid for o in got.occurrences}
    assert {"weekly@example.com", "weekly2@example.com"} <= uids
    assert all("\n" not in w and w.count("work:") == 1 for w in got.warnings), got.warnings
    if name in ("not-icalendar", "plain-text", "empty"):  # named, so it can be found
        assert [w for w in got.warnings if f"{name}.ics" in w]


def test_a_hostile_resource_in_a_later_sync_costs_only_itself(
        server: Radicale, fresh: Any, tmp_path: Path) -> None:
    url = fresh([ICS / "weekly_moved_cancelled_exdate.ics", ICS / "boss_alias_email.ics"])
    config = config_for(tmp_path, url)
    first = poll(source(config), *WINDOW, BERLIN)
    client = server.client()
    cal = client.calendar(url=url)
    cal.save_event(GOOD.replace("SUMMARY:", "LOCATION:Room 2\nSUMMARY:", 1))  # a change

    def junk(body: bytes) -> bytes | None:
        if b"calendar-multiget" not in body:
            return None
        hrefs = [h.split(b"<", 1)[0].decode() for h in body.split(b"href>")[1::2]]
        return multistatus([response("", h, "<html>gateway timeout</html>", '"9"')
                            for h in hrefs])

    with Hostile(server, junk):
        got = poll(source(config), *WINDOW, BERLIN)
    before = {o.uid for o in first.occurrences}
    assert {o.uid for o in got.occurrences} >= before - {"weekly@example.com"}
    assert any("skipped" in w for w in got.warnings)


# -- a server that never finishes ------------------------------------------------------------


def test_a_server_that_drips_its_answer_is_given_up_on(server: Radicale, fresh: Any,
                                                       tmp_path: Path) -> None:
    url = fresh([])

    def drip() -> Iterator[bytes]:
        yield multistatus([])[:-len("</D:multistatus>")]
        for _ in range(600):  # a byte a second: each read is within the timeout
            time.sleep(1)
            yield b" "

    config = config_for(tmp_path, url, "timeout = 2\n")
    box: list[Any] = []

    def run() -> None:
        try:
            box.append(gather([source(config)], config, NOW))
        except BaseException as e:  # pragma: no cover - reported below
            box.append(e)

    with Hostile(server, lambda body: drip()):
        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(120)  # generous: the source's own limit is a few times `timeout`
    assert box, "the poll never ended"
    assert box[0].failures and "work:" in box[0].failures[0]
