"""Microsoft 365 against a hostile or broken Graph (the loopback fake): a body that is not
what JSON parsers survive, pages too large or without end, and an answer that drips. Each
is one clear error for that calendar, never a crash, all memory or a cycle that hangs."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from manageup.config import Config
from manageup.cycle import gather
from manageup.errors import SourceError
from manageup.sources import microsoft as graph_source
from tests.contract.test_microsoft import (  # noqa: F401  (fixtures)
    BERLIN,
    NOW,
    WINDOW,
    ca,
    fake,
    ms_table,
    poll,
    signed_in,
    source,
    trusted,
    write_config,
)


def _pad(n: int) -> dict[str, Any]:
    """A page of n bytes or so: one event whose preview is long."""
    return {"value": [{"id": "AAMk-pad", "subject": "pad", "bodyPreview": "x" * n,
                       "start": {"dateTime": "2026-11-05T09:00:00.0000000", "timeZone": "UTC"},
                       "end": {"dateTime": "2026-11-05T09:30:00.0000000", "timeZone": "UTC"}}]}


def limited(fake: Any, tmp_path: Path, extra: str) -> Config:  # noqa: F811
    _, config = write_config(tmp_path, ms_table(fake) + extra)
    return config


@pytest.mark.parametrize("body", [
    b'{"value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",  # nested past the parser's depth
    b'{"value": [{"id": "a", "subject": "' + b"1" * 10 + b'", "x": ' + b"9" * 5000 + b"}]}",
    b'{"value": "not a list", "@odata.deltaLink": 42}',
    b'\xff\xfe{"value": []}',
    b"",
])
def test_a_body_json_parsers_choke_on_is_one_clear_error(
        fake: Any, signed_in: Config, body: bytes) -> None:  # noqa: F811
    fake.errors.append((200, {}, body))
    try:
        got = poll(source(signed_in), *WINDOW, BERLIN)
    except SourceError as e:
        assert "\n" not in str(e) and str(e).startswith("work: ")
    else:  # read as what it is: nothing usable, and no crash
        assert not got.occurrences


@pytest.mark.parametrize("event", [
    {"id": "a", "start": "tomorrow", "end": [], "attendees": [1, None, "x"]},
    {"id": "b", "seriesMasterId": ["a", "list"], "iCalUId": {"k": 1},
     "start": {"dateTime": "2026-11-05T09:00:00", "timeZone": "UTC"}, "organizer": 5},
    {"id": "c", "originalStart": 7, "type": "occurrence", "seriesMasterId": "m",
     "start": {"dateTime": "9999-12-31T23:59:59", "timeZone": "Etc/GMT-14"},
     "end": {"dateTime": "0001-01-01T00:00:00", "timeZone": "../../etc/passwd"}},
    {"id": "d", "iCalUId": "040000008200E00074C5B7101A82E008" + "00" * 36 + "FFFFFFFF",
     "start": {"dateTime": "2026-11-05T09:00:00", "timeZone": "UTC"},
     "end": {"dateTime": "2026-11-05T09:30:00", "timeZone": "UTC"}},
])
def test_a_malformed_event_costs_only_itself(fake: Any, signed_in: Config,  # noqa: F811
                                             event: dict[str, Any]) -> None:
    page = json.loads((Path(__file__).parent.parent / "fixtures" / "graph" / "page3.json")
                      .read_text().replace("{base}", fake.base))
    page["value"].append(event)
    fake.errors.append((200, {}, json.dumps(page).encode()))
    got = poll(source(signed_in), *WINDOW, BERLIN)
    titles = {o.title for o in got.occurrences}
    assert {"Sam / Alex", "Team weekly"} <= titles
    assert all("\n" not in w for w in got.warnings)


def test_a_page_over_max_bytes_is_one_clear_error(fake: Any, signed_in: Config,  # noqa: F811
                                                  tmp_path: Path) -> None:
    config = limited(fake, tmp_path, "max_bytes = 1000000\n")
    fake.errors.append((200, {}, json.dumps(_pad(2_000_000)).encode()))
    with pytest.raises(SourceError, match=r"over 1000000 bytes.*max_bytes") as e:
        poll(source(config), *WINDOW, BERLIN)
    assert "\n" not in str(e.value)


def test_pages_that_add_up_past_max_bytes_are_one_clear_error(
        fake: Any, signed_in: Config, tmp_path: Path) -> None:  # noqa: F811
    config = limited(fake, tmp_path, "max_bytes = 1000000\n")
    served = [0]

    def answer(query: dict[str, str]) -> dict[str, Any]:
        served[0] += 1
        page = _pad(400_000)
        link = "@odata.nextLink" if served[0] < 10 else "@odata.deltaLink"
        page[link] = f"{fake.base}/v1.0/me/calendarView/delta?$skiptoken=k{served[0]}"
        return page

    fake.calendar = answer
    with pytest.raises(SourceError, match="max_bytes"):
        poll(source(config), *WINDOW, BERLIN)
    assert served[0] < 10


def test_links_without_end_stop_at_the_page_limit(fake: Any, signed_in: Config,  # noqa: F811
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graph_source, "MAX_PAGES", 20)
    served = [0]

    def answer(query: dict[str, str]) -> dict[str, Any]:
        served[0] += 1  # every page new, every page empty, each links to one more
        return {"value": [], "@odata.nextLink":
                f"{fake.base}/v1.0/me/calendarView/delta?$skiptoken=n{served[0]}"}

    fake.calendar = answer
    with pytest.raises(SourceError, match="more than 20 pages") as e:
        poll(source(signed_in), *WINDOW, BERLIN)
    assert "\n" not in str(e.value) and served[0] == 20


def test_two_pages_linking_to_each_other_are_one_clear_error(
        fake: Any, signed_in: Config) -> None:  # noqa: F811
    def answer(query: dict[str, str]) -> dict[str, Any]:
        other = "b" if query.get("$skiptoken") == "a" else "a"
        return {"value": [], "@odata.nextLink":
                f"{fake.base}/v1.0/me/calendarView/delta?$skiptoken={other}"}

    fake.calendar = answer
    with pytest.raises(SourceError, match="loop"):
        poll(source(signed_in), *WINDOW, BERLIN)
    assert len(fake.graph()) == 3  # the first page, a, b: then b's link back to a


def test_an_answer_that_drips_is_given_up_on(fake: Any, signed_in: Config,  # noqa: F811
                                             tmp_path: Path) -> None:
    config = limited(fake, tmp_path, "timeout = 2\n")
    stop = threading.Event()

    def drip(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        h.wfile.write(b'{"value": [')
        for _ in range(600):  # a byte a second: each read is within the timeout
            if stop.wait(1):
                return
            try:
                h.wfile.write(b" ")
                h.wfile.flush()
            except OSError:
                return

    fake.errors.append((200, {}, drip))
    box: list[Any] = []
    src = source(config)
    src.token()  # signed in before the drip starts
    worker = threading.Thread(target=lambda: box.append(gather([src], config, NOW)),
                              daemon=True)
    worker.start()
    worker.join(120)  # generous: the source's own limit is `timeout`, a few times over
    stop.set()
    assert box, "the poll never ended"
    assert box[0].failures and "did not arrive within 2 s" in box[0].failures[0]

