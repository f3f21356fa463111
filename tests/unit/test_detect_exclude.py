"""Issue 24.6: the user's own prep block is not a 1:1. `detect.exclude` titles never count;
`meetings --explain` says so, and `meetings` points to the key when a personal entry sits
a few hours from an invitation-based 1:1 with the boss."""

from __future__ import annotations

import json
from pathlib import Path

from manageup.cli import main
from manageup.config import parse_config
from manageup.detect import detect
from manageup.history import history_of
from manageup.sources.ics import parse_occurrences
from tests.conftest import BERLIN, ICS, at, config_text

FEED = ICS / "prep_block_beside_one_on_one.ics"
NOW = "2026-11-02T08:00:00+01:00"


def write_config(tmp: Path, exclude: str | None) -> Path:
    text = config_text(FEED, tmp, extra="" if exclude is None else
                       f"[detect]\nexclude = {exclude}\n")
    text = text.replace('email = "sam@example.com"', 'email = "dana@example.com"') \
        .replace('name = "Sam Rivera"', 'name = "Dana Whitfield"') \
        .replace('aliases = ["sam.rivera@old-domain.example"]', "aliases = []")
    path = tmp / "config.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path


def found(tmp: Path, exclude: str | None) -> list[str]:
    path = write_config(tmp, exclude)
    cfg = parse_config(path.read_text(), path)
    occs = parse_occurrences(FEED.read_bytes(), at("2026-11-01T00:00+01:00"),
                             at("2026-12-31T00:00+01:00"), BERLIN).occurrences
    return [f"{m.occurrence.start:%d %H:%M} {m.occurrence.title}" for m in detect(occs, cfg)]


def test_without_exclude_the_prep_block_is_a_second_series(tmp_path: Path) -> None:
    titles = found(tmp_path, None)
    assert titles.count("03 09:00 Prep: 1:1 with Dana") == 1 and len(titles) == 17


def test_excluded_titles_never_count_and_genuine_entries_still_do(tmp_path: Path) -> None:
    titles = found(tmp_path, '["Prep:"]')
    assert len(titles) == 9 and not any("Prep" in t for t in titles)
    assert "26 16:00 1:1 Dana (phone)" in titles
    # Nor do they count in the relationship numbers (history of past 1:1s).
    path = write_config(tmp_path, '["prep:"]')
    cfg = parse_config(path.read_text(), path)
    occs = parse_occurrences(FEED.read_bytes(), at("2026-11-01T00:00+01:00"),
                             at("2026-12-31T00:00+01:00"), BERLIN).occurrences
    assert not any(h.key.startswith("prep-") for h in history_of(occs, cfg))


def test_explain_says_excluded_by_detect_exclude(tmp_path: Path, capsys) -> None:
    cfg = write_config(tmp_path, '["Prep:"]')
    assert main(["--config", str(cfg), "meetings", "--now", NOW, "--explain"]) == 0
    out = capsys.readouterr().out
    misses = out.split("Near misses (2)")[1].splitlines()
    assert misses[1].endswith("Prep: 1:1 with Dana")
    assert misses[2].strip() == "why not: excluded by detect.exclude ('Prep:')"
    assert "detect.exclude = " not in out.split("Near misses")[0]  # no hint: it is set


def test_meetings_points_to_exclude_beside_an_invitation(tmp_path: Path, capsys) -> None:
    cfg = write_config(tmp_path, None)
    assert main(["--config", str(cfg), "meetings", "--now", NOW]) == 0
    out = capsys.readouterr().out
    hints = [line for line in out.splitlines() if "detect.exclude" in line]
    # One hint per title, for the prep block only: the phone 1:1 is far from any invitation.
    assert len(hints) == 1
    assert "'Prep: 1:1 with Dana'" in hints[0] and "1 hour before" in hints[0]
    assert "'Dana / Alex'" in hints[0] and "1:1 Dana (phone)" not in hints[0]


def test_meetings_json_keeps_the_hint_off_stdout(tmp_path: Path, capsys) -> None:
    cfg = write_config(tmp_path, None)
    assert main(["--config", str(cfg), "meetings", "--now", NOW, "--json"]) == 0
    out, err = capsys.readouterr()
    assert len(json.loads(out)) == 4  # two weeks: two 1:1s, two prep blocks
    assert "detect.exclude" in err


def test_a_blank_exclude_entry_excludes_nothing(tmp_path: Path) -> None:
    """A stray blank entry in the list (`exclude = ["Prep:", " "]`) is no pattern: read as
    one, it would match every title with a space and drop every 1:1 (attack30)."""
    assert found(tmp_path, '["Prep:", " ", "\\t"]') == found(tmp_path, '["Prep:"]')
    assert len(found(tmp_path, '[" "]')) == 17
