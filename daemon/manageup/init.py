"""`manageup init`: a working config from a few answers, written private, never over an
existing one unless asked. The CLI asks the questions; this module checks and writes."""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from manageup import zones
from manageup.config import Calendar, Config, address_problem, data_dir, parse_config
from manageup.errors import ConfigError, ManageupError, SourceError, UsageError
from manageup.explain import Partner, recurring_partners
from manageup.files import private_dir, replace_private
from manageup.model import Occurrence, address
from manageup.names import name_in_calendar


@dataclass(frozen=True)
class Answers:
    me: str = ""
    boss: str = ""
    calendar: str = ""
    timezone: str = ""
    name: str = ""
    boss_name: str = ""


# What init cannot guess: (field, flag, question).
REQUIRED = (
    ("me", "--me", "Your e-mail address (as in your invitations)"),
    ("calendar", "--calendar", "Your calendar: an .ics file or an https:// address"),
    ("boss", "--boss", "Your boss's e-mail address"),
    ("timezone", "--timezone", "Your time zone"),
)


def local_timezone(env: dict[str, str] | None = None) -> str:
    """The machine's IANA zone name, or "" when it cannot be told."""
    env = dict(os.environ) if env is None else env
    candidates = [env.get("TZ", "").lstrip(":")]
    try:
        target = os.readlink("/etc/localtime")
        candidates.append(target.split("zoneinfo/", 1)[-1] if "zoneinfo/" in target else "")
    except OSError:
        pass
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for name in candidates:
        if name and valid_timezone(name) and name not in ("UTC", "Etc/UTC", "localtime"):
            return name
    return ""


def valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return "/" in name or name == "UTC"


def check(field: str, value: str, me: str = "") -> str:
    """The value cleaned, or a UsageError naming the flag and what is wrong. `me`, when
    known, is the user's own address, which the boss's must differ from."""
    value = value.strip()
    flag = field.replace("_", "-")
    if field in ("me", "boss"):
        # The config's own rule too, so that nothing init accepts is refused on writing.
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) or address_problem(value):
            raise UsageError(f"--{flag} {value!r}: not an e-mail address")
        if field == "boss" and address(value) == address(me):
            raise UsageError(f"--boss {value.lower()!r}: is your own address (--me); give "
                             "your boss's")
        return value.lower()
    if field == "timezone":
        zone = zones.to_iana(value)  # "Berlin", "europe/berlin", "W. Europe Standard Time"
        if not zone or not valid_timezone(zone):
            close = zones.candidates(value)
            hint = f"did you mean {', '.join(close)}?" if close else \
                "use an IANA name like Europe/Berlin or America/New_York, or a city"
            raise UsageError(f"--timezone {value!r}: unknown; {hint}")
        return zone
    if field == "calendar":
        if re.match(r"(?i)^webcal://", value):  # what "Subscribe" links say: https
            value = "https://" + value[len("webcal://"):]
        if re.match(r"(?i)^https?://", value):
            _check_feed(value)
            return value
        path = Path(value).expanduser()
        if not path.is_file():
            raise UsageError(f"--calendar {value!r}: no file there; give an .ics file or "
                             "an https:// address")
        if not _looks_like_icalendar(path):
            raise UsageError(f"--calendar {value!r}: not an iCalendar file (it does not "
                             "start with BEGIN:VCALENDAR); export your calendar as .ics")
        return str(path.resolve())
    return value


def _check_feed(url: str) -> None:
    """Fetch the address once: a server that answers with an error (404: a wrong or
    revoked secret address) or with something else than a calendar is refused now, not
    found out by the first cycle. Unreachable (offline, behind a VPN) is no verdict."""
    try:
        data = calendar_bytes(url)
    except SourceError as e:
        said = str(e).split(": ", 1)[-1]
        # The server was reached and said no: the address itself is wrong.
        if said.startswith("the server answered 401"):
            raise UsageError(f"--calendar {url!r}: {said.split(' (')[0]}: a secret iCal "
                             "address needs no login; for a CalDAV server write a calendar "
                             'with type = "caldav" (the README\'s "CalDAV" section)') from None
        if said.startswith("the server answered"):
            raise UsageError(f"--calendar {url!r}: {said.split(';')[0]}; check the address "
                             "(the README's \"Use it\" shows where each calendar gives "
                             "its secret iCal address)") from None
        return
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").upper().startswith(b"BEGIN:VCALENDAR"):
        raise UsageError(f"--calendar {url!r}: what it sends is not an iCalendar feed (it "
                         "does not start with BEGIN:VCALENDAR); use the calendar's .ics "
                         "address")


def _looks_like_icalendar(path: Path) -> bool:
    # Only the start: a whole parse belongs to the first cycle, and doctor reports it.
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").upper().startswith(b"BEGIN:VCALENDAR")


def calendar_of(spec: str) -> Calendar:
    if re.match(r"(?i)^https?://", spec):
        return Calendar(type="ics", name="work", url=spec)
    return Calendar(type="ics", name="work", path=Path(spec))


_READ: dict[str, bytes] = {}  # init's calendar, read or downloaded once per process


def calendar_bytes(spec: str) -> bytes:
    """The calendar's bytes, fetched once: checking a URL, suggesting the boss, their name
    and the time zone all come from the same download."""
    from manageup.sources.ics import IcsSource
    from manageup.sources.ics.lines import check_lines, readable

    if spec not in _READ:
        cal = calendar_of(spec)
        data = IcsSource(cal).read_bytes(force=True) or b""
        _READ[spec] = check_lines(readable(data), cal.label)[0]
    return _READ[spec]


def read_calendar(calendar: str, zone: ZoneInfo, now: datetime) -> list[Occurrence]:
    """The calendar's occurrences from 90 days back to 14 days ahead."""
    from manageup.sources.ics.source import parse_occurrences

    return parse_occurrences(calendar_bytes(calendar), now - timedelta(days=90),
                             now + timedelta(days=14), zone).occurrences


def calendar_zone(calendar: str) -> str:
    """The IANA zone the calendar's events are written in most, or ""."""
    try:
        return zones.most_used(calendar_bytes(calendar))
    except ManageupError:
        return ""


def suggest_boss(occurrences: list[Occurrence], me: str) -> list[Partner]:
    """The people `me` meets most in recurring two-person meetings."""
    return recurring_partners(occurrences, [me])


def suggest_from(config: Config, me: str, calendar: str, now: datetime) -> list[Partner]:
    """--suggest-boss beside an existing config: its calendars (or the one --calendar
    names) and its user (or --me), nothing written."""
    if calendar:
        return suggest_boss(read_calendar(calendar, config.zone, now), me)
    from manageup.cycle.queries import read_everything  # past the fast path: every event

    found = read_everything(config, now)
    mine = [me] if me != config.me.email else [me, *config.me.aliases]
    return recurring_partners(found.occurrences, mine)


def boss_name(occurrences: list[Occurrence], boss: str) -> str:
    """The boss's name as the calendar gives it, "Last, First" turned round."""
    return name_in_calendar(occurrences, [boss])


def _tilde(path: Path) -> str:
    """~/... when under the home folder: the config stays readable and movable."""
    home = Path.home()
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)


def _q(value: str) -> str:
    # A JSON string without ASCII escaping is a valid TOML basic string.
    return json.dumps(value, ensure_ascii=False)


def config_text(a: Answers, now: datetime) -> str:
    data = data_dir()
    where = "url" if re.match(r"(?i)^https?://", a.calendar) else "path"
    calendar = a.calendar if where == "url" else _tilde(Path(a.calendar))
    return f"""\
# Written by `manageup init` on {now:%Y-%m-%d}. Every key, with its default and
# meaning: `manageup config --example`. `manageup doctor` checks this file.

[me]
email = {_q(a.me)}
name = {_q(a.name)}
timezone = {_q(a.timezone)}

[boss]
email = {_q(a.boss)}
name = {_q(a.boss_name)}
aliases = []                      # other addresses your boss invites from

[[calendars]]
type = "ics"
name = "work"
{where} = {_q(calendar)}

[digest]
lead_time = "18h"                 # the digest arrives this long before the 1:1

[store]
path = {_q(_tilde(data / "manageup.sqlite3"))}

[delivery]
method = "maildir"                # maildir | smtp | gmail | stdout
maildir = {_q(_tilde(data / "Maildir"))}
"""


def missing(a: Answers) -> list[tuple[str, str, str]]:
    return [r for r in REQUIRED if not getattr(a, r[0])]


def write(path: Path, a: Answers, now: datetime, force: bool) -> Path:
    """Check everything, then write the config 0600 in a 0700 folder and create the data
    folder. Returns the config path."""
    if missing(a):
        raise UsageError("missing " + ", ".join(r[1] for r in missing(a)))
    if path.exists() and not force:
        raise UsageError(f"{path} already exists; `manageup doctor` checks it, and "
                         "--force replaces it")
    text = config_text(a, now)
    try:
        config = parse_config(text, path)
    except ConfigError as e:  # a value init accepted but the schema does not: a bug to see
        raise UsageError(f"the config init would write is not valid: {e}") from None
    try:
        for folder in (path.parent, config.store.path.parent):
            private_dir(folder)
            if not folder.is_dir():  # private_dir leaves whatever exists there alone
                raise ManageupError(f"cannot create the folder {folder}: it is a file, not "
                                    "a folder; move that file away and run init again")
        replace_private(path, text.encode("utf-8"))  # 0600 from the start
    except OSError as e:
        raise ManageupError(f"cannot write {e.filename or path}: {e.strerror}") from None
    return path


def with_value(a: Answers, field: str, value: str) -> Answers:
    return replace(a, **{field: value})
