"""The timer's quiet CalDAV poll in a new process reuses what the last process expanded:
a resource is expanded again only when its etag changed (sources/expansions.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from manageup.sources.caldav import CaldavSource
from tests.conftest import BERLIN, ICS, at
from tests.integration.test_caldav import (  # noqa: F401  (fixtures)
    WINDOW,
    Radicale,
    caldav_config,
    fresh,
    poll,
    radicale,
    source,
    split,
)


def expanded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The resources every CaldavSource expands from now on, by their UID's file name."""
    seen: list[str] = []
    real = CaldavSource._expand

    def spy(self: CaldavSource, href: str, ics: str, *args: Any) -> Any:
        seen.append(next(line for line in ics.splitlines() if line.startswith("UID:")))
        return real(self, href, ics, *args)

    monkeypatch.setattr(CaldavSource, "_expand", spy)
    return seen


def test_a_new_process_expands_only_the_resource_that_changed(
        radicale: Radicale, fresh: Any, tmp_path: Path,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    url = fresh([ICS / "weekly_moved_cancelled_exdate.ics", ICS / "boss_alias_email.ics"])
    config = caldav_config(tmp_path, url)
    seen = expanded(monkeypatch)
    first = poll(source(config), *WINDOW, BERLIN)
    assert len(set(seen)) == 2  # the first poll expands both

    seen.clear()
    quiet = poll(source(config), *WINDOW, BERLIN)  # the timer's next process
    assert seen == []
    assert quiet.unchanged and quiet.occurrences == first.occurrences

    weekly = radicale.client().calendar(url=url).get_event_by_uid("weekly@example.com")
    weekly.data = weekly.data.replace("SUMMARY:Sam / Alex", "SUMMARY:1:1 renamed")
    weekly.save()
    seen.clear()
    after = poll(source(config), *WINDOW, BERLIN)
    assert seen == ["UID:weekly@example.com"]
    assert {o.title for o in after.occurrences if o.uid == "weekly@example.com"} == \
        {"1:1 renamed", "1:1 renamed (moved)"}
    assert [o for o in after.occurrences if o.uid != "weekly@example.com"] == \
        [o for o in first.occurrences if o.uid != "weekly@example.com"]


def test_a_window_past_the_kept_range_expands_everything_again(
        fresh: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    config = caldav_config(tmp_path, fresh([ICS / "weekly_moved_cancelled_exdate.ics"]))
    seen = expanded(monkeypatch)
    poll(source(config), *WINDOW, BERLIN)
    seen.clear()
    later = (WINDOW[0] + (WINDOW[1] - WINDOW[0]) / 4, WINDOW[1] + (WINDOW[1] - WINDOW[0]) / 4)
    poll(source(config), *later, BERLIN)
    assert seen == ["UID:weekly@example.com"]


class RevisionEtags(Radicale):
    """Radicale behind a layer that answers every etag as "1": a server whose etags are
    revision numbers that start again at 1 when an event is deleted and made anew at the
    same address (RFC 7232 2.3 asks only that an etag change with the representation on
    one resource's lifetime; sync-collection, RFC 6578, still names the new member)."""

    def __call__(self, environ: dict[str, Any], start: Any) -> Any:
        def same_etag(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            kept.extend([status, [(k, v) for k, v in headers
                                  if k.lower() not in ("content-length", "etag")]])
            return lambda _data: None

        kept: list[Any] = []
        environ.pop("HTTP_ACCEPT_ENCODING", None)  # plain XML to rewrite, not gzip
        body = b"".join(super().__call__(environ, same_etag))
        body = re.sub(rb"(<(?:\w+:)?getetag>)[^<]*(</)", rb'\1"1"\2', body)
        start(kept[0], [*kept[1], ("Content-Length", str(len(body)))])
        return [body]


@pytest.fixture
def revision_etags(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RevisionEtags]:
    server = RevisionEtags(tmp_path_factory.mktemp("revision-etags"))
    yield server
    server.stop()


def test_an_event_made_anew_under_a_reused_etag_is_expanded_again(
        revision_etags: RevisionEtags, tmp_path: Path) -> None:
    weekly = ICS / "weekly_moved_cancelled_exdate.ics"
    url = revision_etags.make_calendar("reused", [weekly])
    config = caldav_config(tmp_path, url)
    first = poll(source(config), *WINDOW, BERLIN)
    held = {o.start for o in first.occurrences if o.status != "cancelled"}
    assert at("2026-11-05T10:00+01:00") in held

    # The boss deletes the series and makes it again, its first instance called off.
    calendar = revision_etags.client().calendar(url=url)
    calendar.event_by_uid("weekly@example.com").delete()
    text = weekly.read_text().replace(
        "RRULE:FREQ=WEEKLY;COUNT=6",
        "RRULE:FREQ=WEEKLY;COUNT=6\nEXDATE;TZID=Europe/Berlin:20261105T100000")
    calendar.save_event(split(text.encode())[0])

    after = poll(source(config), *WINDOW, BERLIN)  # the timer's next process
    assert not after.unchanged
    assert at("2026-11-05T10:00+01:00") not in {o.start for o in after.occurrences}
