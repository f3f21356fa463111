from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

import manageup
from manageup.config import Config, parse_config
from tests.mailcheck import checked_mail

ROOT = Path(__file__).resolve().parent.parent
# For a child Python a test starts: the manageup this process imported (daemon/, or the
# mutated copy under scripts/mutate, which has no daemon/), then ROOT for tests/.
CHILD_PYTHONPATH = f"{Path(manageup.__file__).parent.parent}{os.pathsep}{ROOT}"
ICS = Path(__file__).parent / "fixtures" / "ics"
BERLIN = ZoneInfo("Europe/Berlin")


def config_text(calendar: Path | str, tmp: Path, extra: str = "", delivery: str = "") -> str:
    delivery = delivery or f'[delivery]\nmethod = "maildir"\nmaildir = "{tmp / "Maildir"}"\n'
    return f"""
[me]
email = "alex@example.com"
name = "Alex"
timezone = "Europe/Berlin"

[boss]
email = "sam@example.com"
name = "Sam Rivera"
aliases = ["sam.rivera@old-domain.example"]

[[calendars]]
type = "ics"
path = "{calendar}"

[store]
path = "{tmp / "store.sqlite3"}"

{delivery}
{extra}
"""


# Markers by place, so a new test in these folders is marked without remembering to.
_MARKS_BY_PATH = {
    "tests/system/browser/": ("browser", "slow"),
    "tests/system/reliability/": ("slow",),
    "tests/system/reliability/test_peer_corpus.py": ("peer",),
    "tests/system/test_packaging.py": ("slow",),
    "tests/system/test_readme.py": ("slow",),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path.relative_to(ROOT).as_posix()
        for prefix, marks in _MARKS_BY_PATH.items():
            if path.startswith(prefix):
                for mark in marks:
                    item.add_marker(mark)


@pytest.fixture(autouse=True)
def _private_cache_home(tmp_path_factory: pytest.TempPathFactory,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    """manageup's caches (compiled templates, feeds) go to a folder of the test's own,
    never the real ~/.cache, and no test sees what another left there."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


@pytest.fixture
def make_config(tmp_path: Path):
    """Write a config for a calendar into tmp_path; returns (path, Config)."""

    def make(calendar: str | Path = ICS / "weekly_moved_cancelled_exdate.ics", extra: str = "",
             delivery: str = "") -> tuple[Path, Config]:
        path = tmp_path / "config.toml"
        path.write_text(config_text(calendar, tmp_path, extra, delivery))
        path.chmod(0o600)
        return path, parse_config(path.read_text(), path)

    return make


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A private copy of examples/ so tests never write into the repository."""
    dest = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", dest, ignore=shutil.ignore_patterns("state"))
    (dest / "config.toml").chmod(0o600)
    return dest


def without_since(text: str) -> str:
    """A digest's text part without its "Since your last 1:1" block, which names what was
    closed since: what is still open is the rest."""
    if "Since your last 1:1" not in text:
        return text
    before, rest = text.split("Since your last 1:1", 1)
    return before + "1. The meeting" + rest.split("1. The meeting", 1)[1]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(BERLIN)


# --- a real SMTP server on loopback ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Recorder:
    """aiosmtpd handler that keeps every message's bytes; `reply` injects a failure."""

    raw: list[bytes] = field(default_factory=list)
    reply: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply:
            return self.reply
        self.raw.append(envelope.original_content or envelope.content)
        return "250 Message accepted"

    @property
    def messages(self) -> list[EmailMessage]:
        return [checked_mail(b) for b in self.raw]


class SmtpServer:
    def __init__(self, **kwargs: Any) -> None:
        self.port = free_port()
        self.handler = Recorder()
        self.kwargs = kwargs
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     **self.kwargs)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None
        for raw in self.handler.raw:  # every mail any test sent over SMTP is checked
            checked_mail(raw)

    def delivery(self, extra: str = "") -> str:
        return (f'[delivery]\nmethod = "smtp"\n[delivery.smtp]\nhost = "127.0.0.1"\n'
                f'port = {self.port}\nsecurity = "none"\ntimeout = 5\n{extra}')


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def run_cycles(config: Config, start: str | datetime, end: str | datetime,
               step: timedelta = timedelta(hours=1),
               events: dict[datetime, list[Any]] | None = None) -> None:
    """Cycles as the daemon runs them, on a simulated clock from start to end; `events`
    maps a time to actions (a server going down, a calendar edit) run before that cycle."""
    from manageup.cycle import make_sources, run_cycle
    from manageup.deliver import make_transport
    from manageup.store import Store

    sources, transport = make_sources(config), make_transport(config)
    now = at(start) if isinstance(start, str) else start
    stop = at(end) if isinstance(end, str) else end
    while now < stop:
        for action in (events or {}).pop(now, []):
            action()
        store = Store.open(config.store.path)
        try:
            run_cycle(config, store, sources, transport, now)
        finally:
            store.close()
        now += step


# --- an in-memory keyring -------------------------------------------------------------------


class MemoryKeyring:
    """An in-memory keyring backend, so tests never touch the user's real keyring."""

    priority = 1

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, user: str) -> str | None:
        return self.values.get((service, user))

    def set_password(self, service: str, user: str, password: str) -> None:
        self.values[(service, user)] = password

    def delete_password(self, service: str, user: str) -> None:
        self.values.pop((service, user), None)


@pytest.fixture
def memory_keyring():
    import keyring
    from keyring.backend import KeyringBackend

    backend_cls = type("Mem", (MemoryKeyring, KeyringBackend), {})
    previous = keyring.get_keyring()
    backend = backend_cls()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


class _QuietHTTPServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (the point of many tests) is no error here, and
        # socketserver's traceback on stderr would land in a later test's captured output.
        logging.getLogger("tests.http").debug("loopback client went away", exc_info=True)


@contextmanager
def serve_http(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A real HTTP server on loopback for the duration; yields its base address."""
    httpd = _QuietHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
