"""The attack table (issue 28.6): each hostile input the attackers of issue 28 and of the
earlier hostile-input tables (test_hostile_inputs.py, reliability/test_security.py) found,
fed through the command line, with its outcome in one line. The next attacker starts from
this wall: a door found is a row added here.

Every row also holds to the rules no attack may break: no traceback, nothing that drives
the terminal in what is printed (issue 28.1), every direction override closed on its line,
a sound store, and a refused command (exit 2) changes nothing in it."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from manageup.cli import main
from manageup.store import Store
from tests.conftest import ROOT, serve_http
from tests.system.test_hostile_inputs import CLI_CASES, CONFIGS, IMPORTS, _config_with
from tests.system.test_terminal_text import DRIVES, FEED, HOSTILE, NOW, SEEN, _ics_text
from tests.unit.test_import import BAD_SHOWN, _digest
from tests.unit.test_import import _export as _store_file


@dataclass
class World:
    """A copy of the example (config, calendar, notes imported) and a hostile web server."""

    example: Path
    url: str
    hits: list[str]
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    @property
    def config(self) -> Path:
        return self.example / "config.toml"

    def edit(self, name: str, old: str, new: str) -> None:
        f = self.example / name
        f.write_text(f.read_text().replace(old, new, 1))


def _nothing(_w: World) -> None:
    pass


@dataclass(frozen=True)
class Attack:
    name: str
    argv: tuple[str, ...]  # "{dir}" is the example's folder
    code: int
    says: str  # in what the command printed
    plant: Callable[[World], None] = _nothing  # what the attacker put in place first
    holds: Callable[[World], bool] = lambda _w: True  # what must be true afterwards


# --- what the attackers plant ---------------------------------------------------------------

def hostile_title(w: World) -> None:
    w.edit("calendar.ics", "SUMMARY:Alex / Sam 1:1", "SUMMARY:" + _ics_text(HOSTILE))


def mailed_to_stdout(w: World) -> None:
    hostile_title(w)
    w.edit("config.toml", 'method = "maildir"', 'method = "stdout"')


def unreadable_feed(w: World) -> None:
    (w.example / "calendar.ics").write_bytes(FEED)


def failing_server(w: World) -> None:
    w.edit("config.toml", 'path = "calendar.ics"', f'url = "{w.url}/reason"')


def file_with(data: Any) -> Callable[[World], None]:
    def plant(w: World) -> None:
        (w.example / "in.json").write_text(data if isinstance(data, str) else json.dumps(data))
    return plant


def config_with(extra: str) -> Callable[[World], None]:
    return lambda w: _config_with(w.example, extra) and None


def another_cycle_holds_the_lock(w: World) -> None:
    lock = w.example / "state" / "manageup.sqlite3.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    w.cleanup.append(lambda: os.close(fd))


def readable_config(w: World) -> None:
    w.config.chmod(0o644)


def stylesheet_from_the_web(w: World) -> None:
    tpl = w.example / "tpl"
    tpl.mkdir()
    shipped = (ROOT / "templates" / "digest.html.j2").read_text()
    (tpl / "digest.html.j2").write_text(shipped.replace(
        "<style>", f'<link rel="stylesheet" href="{w.url}/link.css">\n'
                   f'<style>@import url("{w.url}/import.css");\n'))
    w.edit("config.toml", "[digest]", f'[digest]\ntemplates_dir = "{tpl}"')


# --- the table ------------------------------------------------------------------------------

RUN = ("run", "--once", "--now", NOW)
ATTACKS = [
    # issue 28.1: the terminal
    Attack("title drives the terminal: dry run", (*RUN, "--dry-run"), 0, SEEN, hostile_title),
    Attack("title drives the terminal: stdout mail", ("-v", *RUN), 0, SEEN, mailed_to_stdout),
    Attack("title drives the terminal: preview", ("preview", "--now", NOW), 0, SEEN,
           hostile_title),
    Attack("title drives the terminal: meetings", ("meetings", "--explain", "--now", NOW), 0,
           SEEN, hostile_title),
    Attack("title drives the terminal: meetings --json", ("meetings", "--json", "--now", NOW),
           0, "]52;c;cm0gLXJmIH4=", hostile_title),
    Attack("feed bytes in the error line", ("meetings",), 1, SEEN, unreadable_feed),
    Attack("reason phrase in the error line", ("preview",), 1, SEEN, failing_server),
    # issue 28.2: the import
    *[Attack(f"shown data of the wrong shape: {name} {n}", ("import", "{dir}/in.json"), 2,
             "field 'shown'", file_with(_store_file(digests=[_digest(shown)])))
      for n, (shown, name) in enumerate(BAD_SHOWN)],
    # issue 28.5: honest logs
    Attack("a cycle while another holds the lock", RUN, 0, "skipped this cycle",
           another_cycle_holds_the_lock),
    # test_hostile_inputs.py: arguments, imports, config values
    *[Attack(" ".join(argv)[:40], tuple(argv), code, message)
      for argv, code, message in CLI_CASES],
    *[Attack(f"import: {name}", ("import", "{dir}/in.json"), 2, "manageup: ",
             file_with(data)) for name, data in IMPORTS],
    *[Attack(f"config: {extra[:40]}", RUN, 2, key, config_with(extra))
      for extra, key in CONFIGS],
    # reliability/test_security.py: files and the web
    Attack("a config others can read", RUN, 0, "run: chmod 600", readable_config),
    Attack("a template's stylesheet from the web", ("preview", "--now", NOW, "--html",
           "{dir}/d.html"), 0, "HTML part written", stylesheet_from_the_web,
           lambda w: w.hits == []),
]


class _Hostile(BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 - the one server's record, reset per test

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # http.server sends the reason phrase as Latin-1 bytes
        _Hostile.hits.append(self.path)
        self.send_response(500, "Boom\x1b]52;c;cm0gLXJmIH4=\x07\x9b2J\x85")
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def world(example: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["--config", str(example / "config.toml"), "import",
                 str(example / "notes.json")]) == 0
    capsys.readouterr()
    _Hostile.hits = []
    with serve_http(_Hostile) as url:
        w = World(example, url, _Hostile.hits)
        yield w
        for undo in w.cleanup:
            undo()


def _export(db: Path) -> dict[str, Any]:
    store = Store.open(db, readonly=True)
    try:
        return store.export()
    finally:
        store.close()


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_attack(world: World, capsys: pytest.CaptureFixture[str], attack: Attack) -> None:
    from manageup.textutil import bidi_closed

    db = world.example / "state" / "manageup.sqlite3"
    before = _export(db)
    attack.plant(world)
    argv = [a.replace("{dir}", str(world.example)) for a in attack.argv]
    code = main(["--config", str(world.config), *argv])
    out = capsys.readouterr()
    printed = out.out + out.err
    assert (code, attack.says in printed) == (attack.code, True), printed[-2000:]
    assert "Traceback" not in printed and not DRIVES.search(printed), printed[-2000:]
    assert all(bidi_closed(line) == line for line in printed.splitlines())
    assert attack.holds(world)
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    if attack.code == 2:
        assert _export(db) == before
