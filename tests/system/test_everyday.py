"""Everyday commands (issue 27.5): what a user types every day says the right thing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from manageup.cli import main
from tests.conftest import ROOT


def run(example: Path, *args: str) -> int:
    return main(["--config", str(example / "config.toml"), *args])


def test_bare_manageup_prints_where_to_start() -> None:
    done = subprocess.run([sys.executable, "-m", "manageup"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "start here:" in done.stdout and "manageup init" in done.stdout
    assert "manageup --help" in done.stdout  # the way to every command
    assert "error" not in done.stdout + done.stderr


def test_bare_manageup_with_only_global_options_prints_where_to_start(capsys) -> None:
    assert main(["-v", "--config", "/nonexistent.toml"]) == 0
    assert "start here:" in capsys.readouterr().out


@pytest.mark.parametrize("verb", [["add", "owe", "Send numbers"], ["edit", "1"]])
@pytest.mark.parametrize("due,expected", [("friday", "2026-11-27"), ("tomorrow", "2026-11-26"),
                                          ("+3d", "2026-11-28"), ("2026-12-01", "2026-12-01")])
def test_due_words_count_from_now(example: Path, capsys, verb: list[str], due: str,
                                  expected: str) -> None:
    assert run(example, "add", "owe", "Existing") == 0
    assert run(example, *verb, "--due", due, "--now", "2026-11-25T09:00") == 0
    capsys.readouterr()
    assert run(example, "list", "--json") == 0
    items = json.loads(capsys.readouterr().out)
    assert items[-1 if verb[0] == "add" else 0]["due"] == expected


@pytest.mark.parametrize("verb", [["add", "owe", "Send numbers"], ["edit", "1"]])
def test_no_such_date(example: Path, capsys, verb: list[str]) -> None:
    assert run(example, "add", "owe", "Existing") == 0
    capsys.readouterr()
    assert run(example, *verb, "--due", "2026-12-32") == 2
    err = capsys.readouterr().err
    assert "--due '2026-12-32': no such date" in err and "Traceback" not in err


def _with_typos(example: Path) -> Path:
    cfg = example / "config.toml"
    cfg.write_text(cfg.read_text().replace("[digest]", '[digest]\nlead_tme = "2h"') +
                   '\n[deliverry]\nmethod = "stdout"\n')
    return cfg


def test_doctor_warns_of_an_unknown_key_with_the_closest_known_one(example: Path,
                                                                   capsys) -> None:
    cfg = _with_typos(example)
    assert main(["--config", str(cfg), "doctor"]) == 0  # a warning is no failure
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert "warn  config: digest.lead_tme: unknown key, ignored; did you mean `lead_time`?" \
        in lines
    assert "warn  config: deliverry: unknown key, ignored; did you mean `delivery`?" in lines
    assert "lead_tme" not in err  # said once, as doctor's line
    assert "1 warning" not in out and "2 warnings" in out


def test_an_unknown_key_far_from_any_says_check_the_spelling(example: Path, capsys) -> None:
    cfg = example / "config.toml"
    cfg.write_text(cfg.read_text().replace("[digest]", '[digest]\nzzz = 1'))
    assert main(["--config", str(cfg), "doctor"]) == 0
    out = capsys.readouterr().out
    assert "warn  config: digest.zzz: unknown key, ignored (check the spelling)" in out
    assert "did you mean" not in out


def test_other_commands_still_warn_of_an_unknown_key_on_stderr(example: Path, capsys) -> None:
    cfg = _with_typos(example)
    assert main(["--config", str(cfg), "list"]) == 0
    assert "did you mean `lead_time`?" in capsys.readouterr().err


def test_config_example_prints_the_annotated_example(capsys) -> None:
    assert main(["config", "--example"]) == 0
    out = capsys.readouterr().out
    assert out == (ROOT / "config.example.toml").read_text()
    assert "# your address as it appears in invitations" in out


def test_config_without_example_says_which_file_is_used(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "mine.toml"
    assert main(["config", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert str(cfg) in out and "manageup init" in out  # there is none yet


def test_daemon_log_lines_are_stamped_in_the_users_zone(make_config, monkeypatch,
                                                         capsys) -> None:
    import re
    import time
    from datetime import datetime
    from zoneinfo import ZoneInfo

    cfg, _config = make_config()  # me.timezone = Europe/Berlin
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    monkeypatch.setenv("TZ", "America/New_York")  # the machine's zone is another
    time.tzset()
    try:
        assert main(["--config", str(cfg), "run", "--once", "--dry-run"]) == 0
    finally:
        monkeypatch.undo()
        time.tzset()
    stamps = re.findall(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d) ",
                        capsys.readouterr().err, re.M)
    assert stamps
    berlin = datetime.now(ZoneInfo("Europe/Berlin")).utcoffset()
    assert {datetime.fromisoformat(s).utcoffset() for s in stamps} == {berlin}


def test_import_counts_in_words() -> None:
    from collections import Counter

    from manageup.store.export import ImportReport

    report = ImportReport(added=Counter(items=3, notes=1, history=1, ledger=2),
                          skipped=Counter(notes=2, sync_state=1))
    assert report.summary().splitlines() == [
        "added: 3 items, 1 note, 1 1:1 on record, 2 ledger entries",
        "skipped (already in the store): 2 notes, 1 calendar sync state"]


def test_the_daemon_stopping_after_one_cycle_says_1_cycle(caplog) -> None:
    import logging
    from datetime import datetime

    from manageup.service import Daemon

    def cycle(_now: datetime) -> None:
        daemon.stop.set()

    daemon = Daemon(cycle, 60, clock=lambda: datetime(2026, 11, 25).astimezone(),
                    watchdog=False)
    with caplog.at_level(logging.INFO):
        assert daemon.run() == 0
    assert "stopped after 1 cycle" in caplog.text and "1 cycles" not in caplog.text


def test_doctor_counts_in_words(example: Path, capsys) -> None:
    (example / "calendar.ics").unlink()
    assert main(["--config", str(example / "config.toml"), "doctor"]) == 1
    out = capsys.readouterr().out
    assert out.rstrip().endswith("1 problem found.") and "(s)" not in out


def _on_a_terminal(columns: int, *argv: str) -> list[str]:
    import os

    import pexpect

    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["NO_COLOR"] = "1"
    child = pexpect.spawn(sys.executable, ["-m", "manageup", *argv], env=env, cwd=str(ROOT),
                          encoding="utf-8", timeout=60, dimensions=(50, columns))
    out = child.read()
    child.close()
    return out.replace("\r\n", "\n").splitlines()


def _fits(lines: list[str], columns: int) -> bool:
    # A path or address longer than the line cannot be broken; every other line fits.
    return all(len(line) <= columns or max(map(len, line.split())) > columns // 2
               for line in lines)


@pytest.mark.parametrize("verb", [["doctor"], ["list"],
                                  ["meetings", "--explain", "--now", "2026-11-23T09:00+01:00"]])
def test_text_output_wraps_to_the_terminal(example: Path, capsys, verb: list[str]) -> None:
    cfg = str(example / "config.toml")
    assert main(["--config", cfg, "add", "risk", "The launch slips a week because the vendor "
                 "has not signed the contract yet", "--action", "Moved QA earlier and asked "
                 "legal to push the vendor"]) == 0
    capsys.readouterr()
    assert main(["--config", cfg, *verb]) in (0, 1)
    piped = capsys.readouterr().out.splitlines()
    assert max(map(len, piped)) > 60  # long lines, left whole for a pipe
    shown = _on_a_terminal(60, "--config", cfg, *verb)
    assert _fits(shown, 60), [line for line in shown if len(line) > 60]
    assert len(shown) > len(piped)  # it did wrap
    # The words are all there, in order.
    assert " ".join(" ".join(shown).split()) == " ".join(" ".join(piped).split())


def test_an_error_wraps_to_the_terminal(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    shown = _on_a_terminal(50, "--config", str(missing), "list")
    assert shown[0].startswith("manageup: config problem:") and _fits(shown, 50), shown
    assert len(shown) > 1


@pytest.mark.parametrize("verb", ["done", "drop", "edit"])
def test_tab_completion_offers_open_item_ids_with_their_text(example: Path, verb: str,
                                                             monkeypatch) -> None:
    from tests.system.test_cli_habits import _complete_in_bash

    cfg = example / "config.toml"
    assert run(example, "add", "owe", "Send the Q4 numbers") == 0
    assert run(example, "add", "goal", "Cut cloud spend") == 0
    assert run(example, "add", "win", "Shipped it") == 0
    assert run(example, "done", "3") == 0
    monkeypatch.setenv("MANAGEUP_CONFIG", str(cfg))
    offered = _complete_in_bash(f"manageup {verb} ")  # argcomplete adds the options
    assert [w for w in offered if not w.startswith("-")] == ["1", "2"]  # not the closed one
    assert _complete_in_bash(f"manageup --config {cfg} {verb} 2") == ["2"]


def test_probe_completes_goals_only_and_each_id_carries_its_text(example: Path) -> None:
    import argparse

    from manageup.cli.items import item_ids

    assert run(example, "add", "owe", "Send the Q4 numbers") == 0
    assert run(example, "add", "goal", "Cut cloud spend") == 0
    args = argparse.Namespace(config=str(example / "config.toml"), verb=None)
    assert item_ids("", args) == {"1": "owe: Send the Q4 numbers", "2": "goal: Cut cloud spend"}
    assert item_ids("", args, kind="goal") == {"2": "goal: Cut cloud spend"}
    # No config, no store: nothing offered, nothing raised into the shell.
    assert item_ids("", argparse.Namespace(config="/nonexistent.toml")) == {}
