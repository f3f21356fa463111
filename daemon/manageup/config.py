"""TOML config into frozen dataclasses. Every problem is reported at once as `section.key: ...`.

Finding the file (`find_config`) and reading it (`parse_config`) are separate so tests feed text.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import platformdirs

from manageup.configvalues import (  # noqa: F401  (parse_duration and friends: public here too)
    MAX_DURATION,
    Problems,
    address_problem,
    convert_dataclass,
    expand_path,
    is_loopback,
    parse_duration,
    people_problems,
    type_hints,
)
from manageup.errors import ConfigError
from manageup.model import address

log = logging.getLogger(__name__)

APP = "manageup"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP))


def _doc(text: str, default: Any = MISSING, factory: Any = MISSING, **limits: Any) -> Any:
    """A key's meaning, default and, for numbers and durations, its range (`low`, `high`):
    one place says what a key is."""
    meta = {"doc": text, **limits}
    if factory is not MISSING:
        return field(default_factory=factory, metadata=meta)
    if default is MISSING:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Me:
    email: str = _doc("Your own address, as it appears in invitations.")
    timezone: ZoneInfo = _doc("IANA zone all times are shown in, e.g. Europe/Berlin.")
    name: str = _doc("Your name, used in the digest greeting.", "")
    aliases: list[str] = _doc("Other addresses you are invited under.", factory=list)


@dataclass(frozen=True)
class Boss:
    email: str = _doc("Your boss's address.")
    name: str = _doc("Your boss's name; a title that names them counts as naming them.", "")
    aliases: list[str] = _doc("Other addresses your boss invites from.", factory=list)


@dataclass(frozen=True)
class Detect:
    title_patterns: list[str] = _doc(
        "Title words that mark a 1:1 (case-insensitive).",
        factory=lambda: ["1:1", "1on1", "one-on-one", "1-on-1"],
    )
    exclude: list[str] = _doc("Titles that never count (your own \"Prep:\" block), written "
                              "as title_patterns.", factory=list)
    max_attendees: int = _doc("At most this many people (rooms not counted) for a 1:1.", 2,
                              low=1, high=1000)
    lookahead: timedelta = _doc("How far ahead to look for 1:1s.", timedelta(days=14),
                                low=timedelta(hours=1))
    history_days: int = _doc("Days of past 1:1s used for the relationship numbers.", 90,
                             low=1, high=3650)


@dataclass(frozen=True)
class Calendar:
    type: Literal["ics", "google", "caldav", "microsoft"] = _doc(
        "Source kind: ics, google, caldav or microsoft.")
    name: str = _doc("A short name for logs and doctor.", "")
    path: Path | None = _doc("An .ics file (for type = ics).", None)
    url: str = _doc("An http(s) .ics address (type = ics), or for type = caldav a calendar "
                    "collection, or a principal plus `calendar`.", "")
    calendar_id: str = _doc("Google calendar id (for type = google).", "primary")
    calendar: str = _doc("CalDAV: the calendar's display name, when url is a principal.", "")
    username: str = _doc("CalDAV login name; the password is the secret `caldav`. Empty "
                         "means no authentication.", "")
    password_command: str = _doc("CalDAV: a command that prints the password (last resort).",
                                 "")
    client_id: str = _doc("Microsoft 365: the application (client) id you registered.", "")
    tenant: str = _doc("Microsoft 365: your directory (tenant) id or domain.", "organizations")
    authority_url: str = _doc("Microsoft 365 sign-in host (national clouds only).",
                              "https://login.microsoftonline.com")
    graph_url: str = _doc("Microsoft Graph address (national clouds only).",
                          "https://graph.microsoft.com/v1.0")
    timeout: float = _doc("Seconds before a fetch gives up.", 20.0)
    max_bytes: int = _doc("Feeds larger than this many bytes are refused.", 50 * 1024 * 1024,
                          low=1024)

    @property
    def label(self) -> str:
        if self.type == "microsoft":
            return self.name or "Microsoft 365"
        return self.name or str(self.path or self.url or self.calendar_id)


@dataclass(frozen=True)
class Digest:
    lead_time: timedelta = _doc("Send this long before the 1:1 starts.", timedelta(hours=18))
    to: str = _doc("Where digests go; empty means me.email.", "")
    send_window: tuple[time, time] = _doc(
        "Local hours mail may be sent, HH:MM-HH:MM (22:00-06:00 spans the night; 24:00 "
        "ends the day).", (time(7, 0), time(21, 0))
    )
    templates_dir: Path | None = _doc("Your own templates, searched before the shipped ones.", None)
    question_cooldown: int = _doc("A question used in a sent digest rests this many digests.", 4,
                                  high=1000)
    stuck_after: int = _doc("An ask carried through this many 1:1s is called stuck.", 3,
                            low=1, high=1000)
    career_stale_days: int = _doc("Flag career when it has not come up for this many days.", 45,
                                  low=1, high=3650)
    archive_dir: Path | None = _doc("Also write each sent digest here as Markdown.", None)


@dataclass(frozen=True)
class Career:
    talk_with: Literal["boss", "mentor"] = _doc(
        "Raise career questions with your boss, or keep them for a mentor.", "boss")
    mentor_name: str = _doc("Who that mentor is, shown in the digest.", "")
    review_dates: list[date] = _doc("Coming performance reviews: the career question "
                                    "prepares for each in the six weeks before.", factory=list)


@dataclass(frozen=True)
class Google:
    client_secret: Path | None = _doc("Your OAuth client file (Desktop app) for "
                                      "`manageup auth google`.", None)
    port: int = _doc("Local port the sign-in listens on (forward it over SSH on a server).",
                     8765, low=1, high=65535)


@dataclass(frozen=True)
class Review:
    nudge_after: timedelta | None = _doc(
        "Mail a reminder to run `manageup review` this long after a 1:1 ends; unset: off.",
        None)


@dataclass(frozen=True)
class Store:
    path: Path = _doc("The SQLite file with your notes and the send ledger.",
                      factory=lambda: data_dir() / "manageup.sqlite3")
    backup_dir: Path | None = _doc("Daily backups go here (last 7 kept); unset: a backups "
                                   "folder beside the store.", None)
    backups: int = _doc("How many daily backups to keep.", 7, low=1, high=3650)

    @property
    def backup_folder(self) -> Path:
        return self.backup_dir or self.path.parent / "backups"


@dataclass(frozen=True)
class Smtp:
    host: str = _doc("SMTP server host name.", "")
    port: int = _doc("SMTP port.", 587, low=1, high=65535)
    security: Literal["ssl", "starttls", "none"] = _doc(
        "ssl, starttls, or none (loopback hosts only).", "starttls")
    username: str = _doc("Login name; empty means no authentication.", "")
    password_command: str = _doc("A command that prints the password (last resort).", "")
    timeout: float = _doc("Seconds before a connection gives up.", 30.0)


@dataclass(frozen=True)
class Delivery:
    method: Literal["maildir", "smtp", "gmail", "stdout"] = _doc(
        "maildir, smtp, gmail or stdout.", "maildir"
    )
    maildir: Path = _doc("Maildir folder for method = maildir.",
                         factory=lambda: data_dir() / "Maildir")
    sender: str = _doc("From address; empty means me.email.", "")
    smtp: Smtp = _doc("SMTP settings.", factory=Smtp)


@dataclass(frozen=True)
class Service:
    poll_interval: timedelta = _doc("How often the daemon reads the calendars.",
                                    timedelta(minutes=5), low=timedelta(seconds=30),
                                    high=timedelta(days=1))
    watchdog: bool = _doc("Ping the systemd watchdog when it asks for it.", True)


@dataclass(frozen=True)
class Config:
    me: Me
    boss: Boss
    calendars: list[Calendar] = field(default_factory=list)
    detect: Detect = field(default_factory=Detect)
    digest: Digest = field(default_factory=Digest)
    career: Career = field(default_factory=Career)
    review: Review = field(default_factory=Review)
    google: Google = field(default_factory=Google)
    store: Store = field(default_factory=Store)
    delivery: Delivery = field(default_factory=Delivery)
    service: Service = field(default_factory=Service)
    source_path: Path | None = None

    @property
    def zone(self) -> ZoneInfo:
        return self.me.timezone

    @property
    def recipient(self) -> str:
        return self.digest.to or self.me.email

    @property
    def sender(self) -> str:
        return self.delivery.sender or self.me.email

    @property
    def me_addresses(self) -> frozenset[str]:
        return frozenset(address(a) for a in [self.me.email, *self.me.aliases]) - {""}

    @property
    def boss_addresses(self) -> frozenset[str]:
        return frozenset(address(a) for a in [self.boss.email, *self.boss.aliases]) - {""}


# --- finding -----------------------------------------------------------------------------


def find_config(explicit: str | None = None, env: typing.Mapping[str, str] = os.environ) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    if env.get("MANAGEUP_CONFIG"):
        return Path(env["MANAGEUP_CONFIG"]).expanduser()
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def load_config(path: Path) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [f"no config file at {path}; run: manageup init (or pass --config PATH)"]
        ) from None
    except OSError as e:
        raise ConfigError([f"cannot read {path}: {e.strerror}"]) from None
    except UnicodeDecodeError as e:
        raise ConfigError([f"{path} is not UTF-8 text (byte {e.start}); save it as UTF-8"]) \
            from None
    _warn_if_readable(path)
    return parse_config(text, path=path)


def _warn_if_readable(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & 0o044:
        log.warning("%s is readable by other users; run: chmod 600 %s", path, path)


def parse_config(text: str, path: Path | None = None) -> Config:
    """Parse TOML text. Relative paths are taken from the config file's folder."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError([f"not valid TOML ({e}); fix the syntax at that line"],
                          str(path or "")) from None
    problems = Problems()
    base = path.parent if path else None
    values = convert_dataclass(Config, raw, "", problems, base, top=True)
    if problems.errors:
        raise ConfigError(problems.errors, str(path or ""))
    config = Config(**values, source_path=path)
    _cross_checks(config, problems)
    if problems.errors:
        raise ConfigError(problems.errors, str(path or ""))
    return config


GUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"


def _port_ok(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).port is None or True  # .port raises on a non-number
    except ValueError:
        return False


def _in_clear(url: str) -> bool:
    """An http:// address whose host is not this machine: a password sent there can be
    read on the way, so it is refused as SMTP refuses security = "none"."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.scheme.lower() == "http" and not is_loopback(parts.hostname or "")


def _cross_checks(config: Config, problems: Problems) -> None:
    for i, cal in enumerate(config.calendars):
        key = f"calendars[{i}]"
        if cal.type == "ics":
            if bool(cal.path) == bool(cal.url):
                problems.add(key, "an ics calendar needs exactly one of path or url")
            elif cal.url and not re.match(r"(?i)^https?://", cal.url):
                problems.add(f"{key}.url", "only http:// and https:// addresses are read")
        elif cal.type == "caldav":
            if not re.match(r"(?i)^https?://", cal.url):
                problems.add(f"{key}.url", "a caldav calendar needs the http(s) address of "
                             "a calendar collection, or of a principal plus calendar")
            elif "@" in cal.url.split("/")[2] or not _port_ok(cal.url):
                # A password holding "/" ends the host early: "user:pa" then looks like a
                # host and a port, so a port that is not a number is a login too.
                problems.add(f"{key}.url", "no login in the address: set username, and the "
                             "password with `manageup secret set caldav`")
            elif cal.username and _in_clear(cal.url):
                problems.add(f"{key}.url", "the password would go in clear over http:// to "
                             "another machine; use the server's https:// address")
        elif cal.type == "microsoft":
            # The README's placeholders, copied literally, would otherwise reach Microsoft.
            if not re.fullmatch(GUID, cal.client_id):
                problems.add(f"{key}.client_id", "a microsoft calendar needs the application "
                             "(client) id of the app you registered, like "
                             "4a1aa1d5-c567-49d0-ad0b-cd957a47f842 (see the README)")
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]*", cal.tenant):
                problems.add(f"{key}.tenant", "the directory (tenant) id from the app's "
                             "Overview page, or your domain (contoso.onmicrosoft.com)")
            for k in ("authority_url", "graph_url"):
                if not getattr(cal, k).lower().startswith("https://"):
                    problems.add(f"{key}.{k}", "must be an https:// address")
            # One sign-in is kept (one `auth microsoft`), and it reads its own calendar.
            if any(c.type == "microsoft" for c in config.calendars[:i]):
                problems.add(key, "only one Microsoft 365 calendar can be read (one sign-in, "
                             "its account's calendar); remove this table")
    if not config.calendars:
        problems.add("calendars", 'no calendar configured; add a [[calendars]] table with '
                     'type = "ics" and path = "..."')
    _check_addresses(config, problems)
    d = config.delivery
    if d.method == "smtp" and not d.smtp.host:
        problems.add("delivery.smtp.host", "method is smtp but no host is set")
    lo, hi = config.digest.send_window
    if lo == hi:
        problems.add("digest.send_window", "the window is empty; use e.g. \"07:00-21:00\"")


def _check_addresses(config: Config, problems: Problems) -> None:
    bare = [("me.email", config.me.email), ("boss.email", config.boss.email)]
    bare += [(f"boss.aliases[{i}]", a) for i, a in enumerate(config.boss.aliases)]
    named = [("digest.to", config.digest.to), ("delivery.sender", config.delivery.sender)]
    for key, text in bare + [(k, t) for k, t in named if t]:
        why = address_problem(text, display_name=(key, text) in named)
        if why:
            problems.add(key, why)
    for key, why in people_problems(config.me.email, config.me.aliases, config.boss.email,
                                    config.boss.aliases):
        problems.add(key, why)


def describe() -> list[tuple[str, str, str]]:
    """Every key with its default and meaning; a test holds config.example.toml to it."""
    rows: list[tuple[str, str, str]] = []

    def walk(cls: type, prefix: str) -> None:
        hints = type_hints(cls)
        for f in fields(cls):
            if f.name == "source_path":
                continue
            tp = hints[f.name]
            if is_dataclass(tp):
                walk(tp, f"{prefix}{f.name}.")  # type: ignore[arg-type]
                continue
            if typing.get_origin(tp) is list and is_dataclass(typing.get_args(tp)[0]):
                walk(typing.get_args(tp)[0], f"{prefix}{f.name}[].")
                continue
            if f.default is not MISSING:
                default = repr(f.default)
            elif f.default_factory is not MISSING:
                default = repr(f.default_factory())
            else:
                default = "(required)"
            rows.append((prefix + f.name, default, f.metadata.get("doc", "")))

    walk(Config, "")
    return rows
