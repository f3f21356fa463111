"""Issue 24.5: strangers and look-alikes. An event that reuses a 1:1's UID does not hide the
series; an unanswered invitation from someone who is not the boss, moved again and again,
costs at most one digest per occurrence a day and says what it is."""

from __future__ import annotations

from manageup.cli import main
from manageup.detect import detect
from manageup.sources.ics import parse_occurrences
from tests.conftest import BERLIN, ICS, at

NOV = (at("2026-11-01T00:00+01:00"), at("2026-12-31T00:00+01:00"))
SHARED = ICS / "foreign_event_reuses_uid.ics"


def test_foreign_event_reusing_the_uid_keeps_the_series(make_config) -> None:
    _p, cfg = make_config(SHARED)
    r = parse_occurrences(SHARED.read_bytes(), *NOV, BERLIN, "work")
    assert [f"{m.occurrence.start:%d %H:%M} {m.occurrence.title}"
            for m in detect(r.occurrences, cfg)] == [
        "03 10:00 Sam / Alex", "11 14:00 Sam / Alex (moved)", "17 10:00 Sam / Alex",
        "24 10:00 Sam / Alex", "01 10:00 Sam / Alex", "08 10:00 Sam / Alex"]
    # The other event is read too (once: its exact copy is one event), as itself.
    assert [o.title for o in r.occurrences].count("Dentist") == 1
    assert r.warnings == ["work: 2 different events share the UID weekly-1on1@example.com; "
                          "each is read on its own (the calendar that wrote them should give "
                          "each its own UID)"]


def test_meetings_with_a_shared_uid_names_the_uid_not_boss_email(make_config,
                                                                capsys) -> None:
    path, _cfg = make_config(SHARED)
    assert main(["--config", str(path), "meetings", "--now", "2026-11-02T08:00:00+01:00"]) == 0
    out, err = capsys.readouterr()
    assert "Sam / Alex" in out and "boss.email" not in out + err
    assert "share the UID weekly-1on1@example.com" in err
