from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from daemon.config import Config, parse_config

ROOT = Path(__file__).resolve().parent.parent
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


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(BERLIN)


# --- a real SMTP server on loopback ---------------------------------------------------------

import socket  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from email import message_from_bytes, policy  # noqa: E402
from email.message import EmailMessage  # noqa: E402
from typing import Any  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402


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
        return [message_from_bytes(b, policy=policy.default) for b in self.raw]  # type: ignore[misc]


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

    def delivery(self, extra: str = "") -> str:
        return (f'[delivery]\nmethod = "smtp"\n[delivery.smtp]\nhost = "127.0.0.1"\n'
                f'port = {self.port}\nsecurity = "none"\ntimeout = 5\n{extra}')


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
