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
