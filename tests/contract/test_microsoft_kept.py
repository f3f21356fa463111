"""The timer's quiet Graph poll in a new process reuses what the last process converted:
the events are converted again only when the delta changed them (sources/expansions.py,
graphevents.kept_occurrences). The loopback Graph and its fixtures are test_microsoft's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from manageup.config import Config
from manageup.sources import graphevents
from tests.conftest import BERLIN
from tests.contract.test_microsoft import (  # noqa: F401  (fixtures)
    WINDOW,
    FakeMicrosoft,
    ca,
    fake,
    poll,
    signed_in,
    source,
    trusted,
)


def converted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The subject of every Graph event converted to an occurrence from now on."""
    seen: list[str] = []
    real = graphevents._occurrence

    def spy(e: dict[str, Any], *args: Any) -> Any:
        seen.append(str(e.get("subject")))
        return real(e, *args)

    monkeypatch.setattr(graphevents, "_occurrence", spy)
    return seen


def test_a_new_process_converts_again_only_what_the_delta_changed(
        fake: FakeMicrosoft, signed_in: Config,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen = converted(monkeypatch)
    first = poll(source(signed_in), *WINDOW, BERLIN)
    assert seen and first.occurrences

    seen.clear()
    later = (WINDOW[0] + timedelta(minutes=5), WINDOW[1] + timedelta(minutes=5))
    quiet = poll(source(signed_in), *later, BERLIN)  # the timer's next `run --once`
    assert seen == []
    assert quiet.unchanged
    assert quiet.occurrences == [o for o in first.occurrences
                                 if o.end > later[0] and o.start < later[1]]

    fake.deltas["d1"] = "delta_changes"
    after = poll(source(signed_in), *later, BERLIN)
    assert "Quick sync" in seen  # the delta's new event
    titles = {o.title for o in after.occurrences}
    assert "Team weekly" not in titles and {"Quick sync", "Sam / Alex: planning"} <= titles


def test_a_window_past_the_converted_range_converts_again(
        fake: FakeMicrosoft, signed_in: Config,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen = converted(monkeypatch)
    poll(source(signed_in), *WINDOW, BERLIN)
    seen.clear()
    poll(source(signed_in), WINDOW[0] + timedelta(days=3), WINDOW[1] + timedelta(days=3),
         BERLIN)
    assert seen
