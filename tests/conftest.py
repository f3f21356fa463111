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
