"""Config values: one converter per type the schema uses, with the limits that keep every
date computed from a setting inside what datetime can hold. Every problem is collected, none
raised, so the user sees them all at once."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields, is_dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from manageup.model import address

log = logging.getLogger("manageup.config")

_DURATION = re.compile(r"(\d+)\s*([dhms])")


def parse_duration(text: str) -> timedelta:
    """'18h', '1d12h', '30m', '90s' -> timedelta. Raises ValueError otherwise."""
    s = text.strip().lower().replace(" ", "")
    if not s or _DURATION.sub("", s):
        raise ValueError(text)
    units = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
    parts: dict[str, int] = {}
    for n, unit in _DURATION.findall(s):
        parts[units[unit]] = parts.get(units[unit], 0) + int(n)
    try:
        value = timedelta(**parts)
    except OverflowError:
        raise ValueError(text) from None
    if value > MAX_DURATION:
        raise ValueError(text)
    return value


# Limits that keep every date computed from a setting inside what datetime can hold. A key
# may narrow them (`low`, `high` in its field's metadata, beside its doc): what is out of
# range is refused naming the key, never wrapped or clipped into something else.
MAX_DURATION = timedelta(days=3650)
MAX_FLOAT = 86400.0  # seconds: no timeout longer than a day
INT_MAX = 2**31 - 1

# An address as a person types it: one @, no spaces or control characters.
_ADDRESS = re.compile(r"[^\s@<>,;\"]+@[^\s@<>,;\"]+")


def address_problem(text: str, display_name: bool = False) -> str | None:
    """Why `text` is not an e-mail address (None when it is)."""
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return "contains a line break or control character"
    addr = text.strip()
    if display_name and "<" in text:
        from email.utils import parseaddr  # here: it loads socket and half of email

        addr = parseaddr(text)[1]
    if not _ADDRESS.fullmatch(addr) or addr.startswith(".") or addr.endswith("."):
        return f"{text!r} is not an e-mail address like alex@example.com"
    return None


def people_problems(me: str, my_aliases: list[str], boss: str,
                    boss_aliases: list[str]) -> list[tuple[str, str]]:
    """(key, why) for an address of the boss that is the user's, and the other way round:
    every meeting of the user would be one with the boss, or the boss's own 1:1s the
    user's. An address in both alias lists is named once."""
    out = [(key, "is your own address (me.email); set your boss's address")
           for key, text in [("boss.email", boss), *((f"boss.aliases[{i}]", a)
                                                     for i, a in enumerate(boss_aliases))]
           if address(me) and address(text) == address(me)]
    theirs = {address(a): i for i, a in reversed(list(enumerate(boss_aliases)))}
    for i, text in enumerate(my_aliases):
        mine = address(text)
        if mine and mine == address(boss):
            out.append((f"me.aliases[{i}]", "is your boss's address (boss.email); remove it "
                        "from me.aliases"))
        elif mine in theirs:
            out.append((f"me.aliases[{i}]", f"is also boss.aliases[{theirs[mine]}]; an address "
                        "is yours or your boss's: keep it in one of the two lists"))
    return out


def is_loopback(host: str) -> bool:
    """A host name or address that never leaves this machine."""
    import ipaddress

    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def expand_path(text: str, base: Path | None) -> Path:
    p = Path(os.path.expandvars(os.path.expanduser(text)))
    if not p.is_absolute() and base is not None:
        p = base / p
    return p


class Problems:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.errors.append(f"{key}: {message}")


def type_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def convert_dataclass(cls: type, raw: Any, prefix: str, problems: Problems,
                       base: Path | None, top: bool = False) -> dict[str, Any]:
    where = prefix.rstrip(".") or "config"
    if not isinstance(raw, dict):
        problems.add(where, f"expected a table, got {_tname(raw)}")
        return {}
    hints = type_hints(cls)
    known = {f.name: f for f in fields(cls) if f.name != "source_path"}
    for key in raw:
        if key not in known:
            log.warning("%s%s: unknown key, ignored%s", prefix, key, _closest(key, known))
    out: dict[str, Any] = {}
    for name, f in known.items():
        key = f"{prefix}{name}"
        if name not in raw:
            required = f.default is MISSING and f.default_factory is MISSING
            if required:
                if top and is_dataclass(hints[name]):
                    problems.add(name, f"missing [{name}] table")
                else:
                    doc = f.metadata.get("doc", "required").rstrip(".")
                    problems.add(key, f"missing ({doc[0].lower()}{doc[1:]})")
            continue
        value = _convert(hints[name], raw[name], Where(key, problems, base, f.metadata))
        if value is not _BAD:
            out[name] = value
    # Required fields must exist even when broken, or the dataclass cannot be built;
    # a missing value has been reported, so the caller will raise before building.
    return out


def _closest(key: str, known: typing.Iterable[str]) -> str:
    """The known key a misspelt one most likely meant ("lead_tme": `lead_time`)."""
    import difflib

    near = difflib.get_close_matches(key, list(known), n=1)
    return f"; did you mean `{near[0]}`?" if near else " (check the spelling)"


_BAD = object()


@dataclass(frozen=True)
class Where:
    """The key being converted, where its problems go, and its field's limits."""

    key: str
    problems: Problems
    base: Path | None
    limits: Mapping[str, Any]

    def bad(self, message: str) -> Any:
        self.problems.add(self.key, message[:300])
        return _BAD

    def at(self, key: str) -> Where:
        return Where(key, self.problems, self.base, self.limits)


def _convert(tp: Any, value: Any, where: Where) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        inner = next(a for a in args if a is not type(None))
        if value in ("", None):
            return None
        return _convert(inner, value, where)
    if is_dataclass(tp):
        sub = convert_dataclass(tp, value, where.key + ".", where.problems,  # type: ignore[arg-type]
                                where.base)
        try:
            return typing.cast(Any, tp)(**sub)
        except TypeError:
            return _BAD
    if origin is list:
        (inner,) = args
        if not isinstance(value, list):
            return where.bad(f"expected a list, got {_tname(value)}")
        items = [_convert(inner, v, where.at(f"{where.key}[{i}]")) for i, v in enumerate(value)]
        return _BAD if any(v is _BAD for v in items) else items
    if origin is Literal:
        if value not in args:
            return where.bad(f"{value!r} is not one of: {', '.join(map(str, args))}")
        return value
    convert = _SCALARS.get(tp)
    if convert is None:
        raise TypeError(f"no converter for {tp}")  # a schema bug, not a user error
    return convert(value, where)


def _bool(value: Any, where: Where) -> Any:
    if not isinstance(value, bool):
        return where.bad(f"expected true or false, got {_tname(value)}")
    return value


def _int(value: Any, where: Where) -> Any:
    low, high = where.limits.get("low", 0), where.limits.get("high", INT_MAX)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return where.bad(f"expected a whole number from {low} to {high}, got {value!r}")
    return value


def _float(value: Any, where: Where) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not 0 < value <= MAX_FLOAT:  # also refuses nan
        return where.bad(f"expected a number of seconds above 0 and at most {MAX_FLOAT:g}, "
                         f"got {value!r}")
    return float(value)


def _str(value: Any, where: Where) -> Any:
    if not isinstance(value, str):
        return where.bad(f"expected a string, got {_tname(value)}")
    return value


def _path(value: Any, where: Where) -> Any:
    if not isinstance(value, str) or not value:
        return where.bad(f"expected a path string, got {value!r}")
    return expand_path(value, where.base)


def _duration(value: Any, where: Where) -> Any:
    low = where.limits.get("low", timedelta(0))
    high = where.limits.get("high", MAX_DURATION)
    try:
        if not isinstance(value, str):
            raise ValueError
        duration = parse_duration(value)
    except ValueError:
        duration = None
    if duration is None or not low <= duration <= high:
        return where.bad(f'expected a duration like "18h", "30m" or "1d12h", from '
                         f"{format_duration(low)} to {format_duration(high)}, got {value!r}")
    return duration


def _zone(value: Any, where: Where) -> Any:
    try:
        if not isinstance(value, str) or not value:
            raise ValueError
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return where.bad(f'unknown time zone {value!r}; use an IANA name like "Europe/Berlin"')


_WINDOW = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


def _window(value: Any, where: Where) -> Any:
    """Two times of day, each 00:00 to 23:59; the end may be 24:00, the end of the day
    (ISO 8601), kept as 23:59. Anything else is refused, not wrapped round the clock."""
    m = _WINDOW.fullmatch(value) if isinstance(value, str) else None
    h1, m1, h2, m2 = map(int, m.groups()) if m else (99, 0, 99, 0)
    if h1 > 23 or m1 > 59 or m2 > 59 or not (h2 <= 23 or (h2, m2) == (24, 0)):
        return where.bad(f'expected a window like "07:00-21:00" (hours 00 to 23, minutes 00 '
                         f'to 59, the end may be 24:00), got {value!r}')
    return time(h1, m1), time(h2, m2) if h2 < 24 else time(23, 59)


def _date(value: Any, where: Where) -> Any:
    """A TOML date (2027-06-15) or the same as a string; a date with a time is refused
    rather than cut to its day."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = date.fromisoformat(value.strip())
    if not isinstance(value, date) or isinstance(value, datetime):
        return where.bad(f"expected a date like 2027-06-15, got {value!r}")
    return value


_SCALARS: dict[Any, Callable[[Any, Where], Any]] = {
    bool: _bool, int: _int, float: _float, str: _str, Path: _path, timedelta: _duration,
    ZoneInfo: _zone, tuple[time, time]: _window, date: _date,
}


def format_duration(value: timedelta) -> str:
    """A duration as the config writes it: "1d", "30s", "1h30m"."""
    seconds = int(value.total_seconds())
    parts = [(seconds // 86400, "d"), (seconds % 86400 // 3600, "h"),
             (seconds % 3600 // 60, "m"), (seconds % 60, "s")]
    return "".join(f"{n}{u}" for n, u in parts if n) or "0s"


def _tname(value: Any) -> str:
    return {"str": "a string", "int": "a number", "float": "a number", "list": "a list",
            "dict": "a table", "bool": "true/false"}.get(type(value).__name__, repr(value))
