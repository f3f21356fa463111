"""The contract every CalDAV server is held to: a weekly 1:1 read through it gives the
same 1:1s as the same calendar read from an .ics file, at the first poll and the next.
Real servers run on loopback (Radicale, Xandikos in-process; SabreDAV 1.8 from Debian on
PHP's built-in server, up in about a second); servers we cannot run
here (Cyrus, SOGo, Yahoo) are played by a quirk proxy in front of a real one
(caldav_quirks.py says where each quirk is documented)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from manageup.config import Calendar
from manageup.detect import detect
from manageup.errors import SourceError
from manageup.sources.caldav import CaldavSource
from manageup.sources.ics import IcsSource
from tests.conftest import BERLIN, ICS
from tests.integration.caldav_quirks import (
    CyrusEmptyToken,
    CyrusStaleToken,
    NoImplicitRecurrence,
    PasswordChanged,
    Quirk,
    ReadRevoked,
    SabreDAV,
    Xandikos,
)
from tests.integration.test_caldav import (
    PASSWORD,
    WINDOW,
    Radicale,
    caldav_config,
    key,
    merge,
    poll,
)

# A weekly 1:1 begun in March with no end (its first instance months before the
# window), the usual moved and cancelled instances, a team meeting, and a one-off.
FILES = [ICS / n for n in ("weekly_since_march_no_end.ics",
                           "weekly_moved_cancelled_exdate.ics",
                           "team_meeting_with_boss.ics", "declined_instance.ics")]

QUIRKS: dict[str, Callable[[Radicale], Any]] = {
    "as-is": lambda server: contextlib.nullcontext(),
    "cyrus-stale-token-bare-403": CyrusStaleToken,
    "cyrus-first-sync-bare-403": partial(CyrusEmptyToken, precondition=False),
    "cyrus-first-sync-403-valid-sync-token": partial(CyrusEmptyToken, precondition=True),
    "sogo-time-range-unexpanded": NoImplicitRecurrence,
    "yahoo-time-range-unexpanded-filters-ignored": partial(NoImplicitRecurrence,
                                                           ignore_filters=True),
    "time-range-unexpanded-rangeless-query-refused": partial(NoImplicitRecurrence,
                                                             refuse_rangeless=True),
}
_count = iter(range(10**6))


SERVERS = {"radicale": Radicale, "xandikos": Xandikos, "sabredav": SabreDAV}


@pytest.fixture(scope="module", params=list(SERVERS))
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    kind = SERVERS[request.param]
    started = kind(tmp_path_factory.mktemp(request.param))
    yield started
    started.stop()


def _ics_truth(files: list[Path], tmp_path: Path) -> Any:
    merged = tmp_path / "all.ics"
    merged.write_bytes(merge(files))
    return IcsSource(Calendar(type="ics", path=merged)).fetch(*WINDOW, BERLIN)


def _one_on_ones(occurrences: Any, config: Any) -> list[tuple[str, str]]:
    return [(m.occurrence.key, m.reason) for m in detect(occurrences, config)]


@pytest.mark.parametrize("quirk", list(QUIRKS))
def test_a_weekly_1on1_reads_the_same_as_from_the_ics_file(
        server: Radicale, quirk: str, tmp_path: Path) -> None:
    _reads_the_same(server, quirk, FILES, {"since-march@example.com"}, tmp_path)


# A series given by RDATE alone, begun in March: a server matching a series by its own
# dates only (SOGo, Yahoo) leaves it out of the time-range query, as an RRULE series.
RDATE_ONLY = [ICS / "rdate_only_series_begun_in_march.ics"]


@pytest.mark.parametrize("quirk", [q for q in QUIRKS if "unexpanded" in q or q == "as-is"])
def test_a_series_given_only_by_rdate_reads_the_same_as_from_the_ics_file(
        server: Radicale, quirk: str, tmp_path: Path) -> None:
    _reads_the_same(server, quirk, RDATE_ONLY,
                    {"rdate-only-notes@example.com", "rdate-only-tzid@example.com"}, tmp_path)


def _reads_the_same(server: Radicale, quirk: str, files: list[Path], uids: set[str],
                    tmp_path: Path) -> None:
    """The first poll and the next (by a new process) give the occurrences and 1:1s of
    the same calendar read from an .ics file, the 1:1s of each series in `uids` among
    them."""
    url = server.make_calendar(f"c{next(_count)}", files)
    config = caldav_config(tmp_path, url)
    want = _ics_truth(files, tmp_path)
    assert {m.occurrence.uid for m in detect(want.occurrences, config)} >= uids
    with QUIRKS[quirk](server) as proxy:
        first = poll(CaldavSource(config.calendars[0], config, password=PASSWORD),
                     *WINDOW, BERLIN)
        # The next poll, by a new process: the sync state comes from the store.
        again = poll(CaldavSource(config.calendars[0], config, password=PASSWORD),
                     *WINDOW, BERLIN)
    if isinstance(proxy, Quirk):  # a server without sync tokens has none to refuse
        assert proxy.hits or (isinstance(proxy, CyrusStaleToken) and not server.sync)
    for got in (first, again):
        assert sorted(map(key, got.occurrences)) == sorted(map(key, want.occurrences))
        assert _one_on_ones(got.occurrences, config) == _one_on_ones(want.occurrences,
                                                                     config)


def test_a_stale_token_refused_with_a_bare_403_is_read_again_at_every_poll(
        server: Radicale, tmp_path: Path) -> None:
    """Not "refused the login" for ever after: each poll reads the window again, and a
    change made meanwhile is seen."""
    url = server.make_calendar(f"c{next(_count)}", [ICS / "weekly_moved_cancelled_exdate.ics"])
    config = caldav_config(tmp_path, url)
    poll(CaldavSource(config.calendars[0], config, password=PASSWORD), *WINDOW, BERLIN)
    cal = server.client().calendar(url=url)
    with CyrusStaleToken(server):
        for title in ("Sam / Alex renamed", "Sam / Alex again"):
            weekly = cal.get_event_by_uid("weekly@example.com")
            weekly.data = re.sub(r"SUMMARY:Sam / Alex[^\r\n(]*(\r?\n)",
                                 rf"SUMMARY:{title}\1", weekly.data, count=1)
            weekly.save()
            got = poll(CaldavSource(config.calendars[0], config, password=PASSWORD),
                       *WINDOW, BERLIN)
            assert title in {o.title for o in got.occurrences}


def test_a_wrong_password_is_still_a_refused_login(server: Radicale, tmp_path: Path) -> None:
    """A 401 is the password; only a 403 to the sync report after a good login is the
    token."""
    url = server.make_calendar(f"c{next(_count)}", [ICS / "weekly_moved_cancelled_exdate.ics"])
    config = caldav_config(tmp_path, url)
    poll(CaldavSource(config.calendars[0], config, password=PASSWORD), *WINDOW, BERLIN)
    with pytest.raises(SourceError, match="refused the login of 'alex'"):
        poll(CaldavSource(config.calendars[0], config, password="wrong"), *WINDOW, BERLIN)


@pytest.mark.parametrize("quirk", [ReadRevoked, PasswordChanged])
def test_access_refused_after_a_good_login_is_not_blamed_on_the_password(
        server: Radicale, tmp_path: Path, quirk: type[Quirk]) -> None:
    """A 403 on every report is the calendar refused to this account (attack 06), not the
    login; a 401 stays the password."""
    url = server.make_calendar(f"c{next(_count)}", [ICS / "weekly_moved_cancelled_exdate.ics"])
    config = caldav_config(tmp_path, url)
    assert poll(CaldavSource(config.calendars[0], config, password=PASSWORD),
                *WINDOW, BERLIN).occurrences
    # A store of its own: a server without sync tokens would answer a quiet poll by its
    # ctag, without a REPORT to refuse.
    (tmp_path / "again").mkdir()
    config = caldav_config(tmp_path / "again", url)
    with quirk(server), pytest.raises(SourceError) as e:
        poll(CaldavSource(config.calendars[0], config, password=PASSWORD), *WINDOW, BERLIN)
    said = str(e.value)
    if quirk is ReadRevoked:
        assert "refused access to the calendar (403)" in said, said
        assert "calendars.url" in said and "'alex'" in said and "secret set" not in said
    else:
        assert "refused the login of 'alex'" in said and "secret set caldav" in said


def test_a_server_refusing_every_sync_report_is_watched_by_its_ctag(
        server: Radicale, tmp_path: Path) -> None:
    """Every token refused with a bare 403, the first one too: after one more full read
    the ctag is watched, so a quiet poll stays cheap instead of a full read each time."""
    url = server.make_calendar(f"c{next(_count)}", [ICS / "weekly_moved_cancelled_exdate.ics"])
    config = caldav_config(tmp_path, url)
    with CyrusEmptyToken(server, precondition=False), CyrusStaleToken(server):
        for _ in range(2):
            got = poll(CaldavSource(config.calendars[0], config, password=PASSWORD),
                       *WINDOW, BERLIN)
            assert {o.uid for o in got.occurrences} == {"weekly@example.com"}
        server.requests.clear()
        quiet = poll(CaldavSource(config.calendars[0], config, password=PASSWORD),
                     *WINDOW, BERLIN)
    assert quiet.unchanged and len(server.requests) <= 2, server.requests
