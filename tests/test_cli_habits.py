"""CLI habits: errors name the flags, colour only on a terminal (and never with
NO_COLOR), `preview --open` without --html, shell completion, a subject without
repetition."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from manageup.cli import main
from tests.conftest import ROOT

NOW = "2026-11-25T17:00:00+01:00"


def run(example: Path, *args: str) -> int:
    return main(["--config", str(example / "config.toml"), *args])


@pytest.mark.parametrize("args,says,never", [
    (["add", "risk", "Slip", "--why", "x"],
     "--why does not apply to risk items; they take --action, --prevention, --obstacles",
     "why_it_matters"),
    (["add", "need", "Budget", "--action", "y"],
     "--action does not apply to need items; they take no extra options", "corrective_action"),
    (["edit", "1", "--cost", "z"],
     "--cost does not apply to risk items; they take --action, --prevention, --obstacles",
     "what_it_costs"),
])
def test_field_errors_name_the_flags(example: Path, capsys, args: list[str], says: str,
                                     never: str) -> None:
    assert run(example, "add", "risk", "Existing", "--action", "Moved QA") == 0
    capsys.readouterr()
    assert run(example, *args) == 2
    err = capsys.readouterr().err
    assert says in err and never not in err


def test_preview_open_without_html_opens_a_private_temporary_file(example: Path,
                                                                  tmp_path: Path) -> None:
    opened = tmp_path / "opened"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\necho "$1" > "{opened}"\n')
    browser.chmod(0o755)
    env = {**os.environ, "BROWSER": str(browser)}
    done = subprocess.run([sys.executable, "-m", "manageup", "--config",
                           str(example / "config.toml"), "preview", "--now", NOW, "--open"],
                          env=env, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    uri = opened.read_text().strip()
    assert uri.startswith("file://") and uri.endswith(".html")
    page = Path(uri.removeprefix("file://"))
    assert "<h2" in page.read_text() and stat.S_IMODE(page.stat().st_mode) == 0o600
    page.unlink()


def _doctor_on_a_terminal(example: Path, **env: str) -> str:
    child = pexpect.spawn(sys.executable, ["-m", "manageup", "--config",
                                           str(example / "config.toml"), "doctor"],
                          env={**os.environ, "TERM": "xterm", **env}, cwd=str(ROOT),
                          encoding="utf-8", timeout=120)
    child.expect(pexpect.EOF)
    return child.before or ""


def test_colour_only_on_a_terminal_and_never_with_no_color(example: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert "\x1b[32mok" in _doctor_on_a_terminal(example, **{"NO_COLOR": ""})
    assert "\x1b[" not in _doctor_on_a_terminal(example, NO_COLOR="1")
    piped = subprocess.run([sys.executable, "-m", "manageup", "--config",
                            str(example / "config.toml"), "doctor"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert "ok    config" in piped.stdout and "\x1b[" not in piped.stdout
