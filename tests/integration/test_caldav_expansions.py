"""The timer's quiet CalDAV poll in a new process reuses what the last process expanded:
a resource is expanded again only when its etag changed (sources/expansions.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from manageup.sources.caldav import CaldavSource
from tests.conftest import BERLIN, ICS
from tests.integration.test_caldav import (  # noqa: F401  (fixtures)
    WINDOW,
    Radicale,
    caldav_config,
    fresh,
    poll,
    radicale,
    source,
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
