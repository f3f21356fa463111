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
from tests.conftest import CHILD_PYTHONPATH, ROOT

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


def test_preview_open_with_no_browser_says_where_the_page_is(example: Path,
                                                             tmp_path: Path) -> None:
    # Over SSH, no browser at all: the page was written, so say where, and how to fix it.
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(BROWSER=str(tmp_path / "no-such-browser"), PATH=str(Path(sys.executable).parent))
    done = subprocess.run([sys.executable, "-m", "manageup", "--config",
                           str(example / "config.toml"), "preview", "--now", NOW, "--open"],
                          env=env, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no browser could be started" in lines[0], done.stderr
    page = Path(lines[0].split("open ", 1)[1].split(" yourself", 1)[0])
    assert "<h2" in page.read_text() and "BROWSER" in lines[0]
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


def _complete_in_bash(line: str) -> list[str]:
    """Source `manageup completion bash` in a real bash and ask it to complete `line`."""
    script = subprocess.run([sys.executable, "-m", "manageup", "completion", "bash"],
                            capture_output=True, text=True, check=True, cwd=ROOT).stdout
    words = line.split(" ")
    driver = (f"{script}\n"
              f"manageup() {{ {sys.executable} -m manageup \"$@\"; }}\n"
              f"COMP_LINE={line!r}; COMP_POINT={len(line)}; COMP_WORDS=({line}); "
              f"COMP_CWORD={len(words) - 1}\n"
              "complete -p manageup >/dev/null || exit 3\n"
              "fn=$(complete -p manageup | sed -E 's/.*-F ([^ ]+).*/\\1/')\n"
              f'"$fn" manageup {words[-1]!r} {words[-2]!r}\n'
              'printf "%s\\n" "${COMPREPLY[@]}"\n')
    done = subprocess.run(["bash", "-c", driver], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, env={**os.environ, "PYTHONPATH": CHILD_PYTHONPATH})
    assert done.returncode == 0, done.stderr
    return [w.strip() for w in done.stdout.splitlines() if w.strip()]


def test_bash_completion_completes_verbs_and_options() -> None:
    assert "service" in _complete_in_bash("manageup ser")
    assert {"install", "uninstall"} <= set(_complete_in_bash("manageup service "))
    assert "--explain" in _complete_in_bash("manageup meetings --ex")


def test_bash_completion_completes_kinds() -> None:
    # KIND is the first thing `add` needs; file names there are no help.
    assert set(_complete_in_bash("manageup add ")) >= {"need", "owe", "goal", "risk", "about"}
    assert _complete_in_bash("manageup list --kind ow") == ["owe"]


@pytest.mark.parametrize("shell,needle", [("zsh", "#compdef manageup"),
                                          ("fish", "complete --command manageup")])
def test_zsh_and_fish_completion_scripts(shell: str, needle: str, capsys) -> None:
    assert main(["completion", shell]) == 0
    assert needle in capsys.readouterr().out


def test_subject_names_the_boss_once(example: Path, capsys) -> None:
    assert run(example, "preview", "--now", NOW) == 0
    assert capsys.readouterr().out.startswith("Subject: Prep: Alex / Sam 1:1, Thu 26 Nov 10:00")
    ics = example / "calendar.ics"
    ics.write_text(ics.read_text().replace("SUMMARY:Alex / Sam 1:1", "SUMMARY:Weekly sync"))
    assert run(example, "preview", "--now", NOW) == 0
    assert capsys.readouterr().out.startswith(
        "Subject: Prep: Weekly sync with Sam Rivera, Thu 26 Nov 10:00")


def test_calendar_text_cannot_drive_the_terminal(example: Path, capsys) -> None:
    ics = example / "calendar.ics"
    ics.write_text(ics.read_text().replace("SUMMARY:Alex / Sam 1:1",
                                           "SUMMARY:Alex / Sam 1:1 \x1b]0;owned\x07\x1b[2J"))
    ics.write_text(ics.read_text().replace("SUMMARY:Platform team weekly",
                                           "SUMMARY:Team \x1b[31mweekly\x9b"))
    for args in (["meetings", "--now", NOW, "--explain"], ["preview", "--now", NOW]):
        assert run(example, *args) == 0
        out = capsys.readouterr().out
        assert "Alex / Sam 1:1" in out
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out, args


@pytest.mark.parametrize("verb", [["meetings"], ["preview"], ["run", "--once", "--dry-run"]])
def test_a_missing_calendar_is_one_line_and_never_nothing_due(example: Path, capsys,
                                                              verb: list[str]) -> None:
    (example / "calendar.ics").unlink()
    assert run(example, *verb, "--now", NOW) == 1
    out, err = capsys.readouterr()
    assert "Nothing is due" not in out  # the calendar was not read: nobody knows
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "no file at" in lines[0] and "calendars.path" in lines[0], err


@pytest.mark.parametrize("verb", [["run", "--once", "--dry-run"], ["preview"],
                                  ["meetings", "--explain"]])
def test_output_into_a_closed_pipe_is_quiet(example: Path, verb: list[str]) -> None:
    # `manageup run --once --dry-run | head -2`: head exits early; the reader end is
    # closed before the start here, so that every write meets a broken pipe.
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([sys.executable, "-m", "manageup", "--config",
                               str(example / "config.toml"), *verb, "--now", NOW],
                              stdout=write, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                              timeout=120, env={**os.environ,
                                                "PYTHONPATH": CHILD_PYTHONPATH})
    finally:
        os.close(write)
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, \
        done.stderr
    assert done.returncode == 0
