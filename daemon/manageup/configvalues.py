"""Config values: one converter per type the schema uses, with the limits that keep every
date computed from a setting inside what datetime can hold. Every problem is collected, none
raised, so the user sees them all at once."""

from __future__ import annotations

import logging
import os
import re
import types
import typing
from dataclasses import MISSING, fields, is_dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


# Limits that keep every date computed from a setting inside what datetime can hold.
MAX_DURATION = timedelta(days=3650)
MAX_FLOAT = 86400.0  # seconds: no timeout longer than a day
INT_LIMITS = {"history_days": 3650, "career_stale_days": 3650, "port": 65535}
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
    where = prefix or "config"
    if not isinstance(raw, dict):
        problems.add(where, f"expected a table, got {type(raw).__name__}")
        return {}
    hints = type_hints(cls)
    known = {f.name: f for f in fields(cls) if f.name != "source_path"}
    for key in raw:
        if key not in known:
            log.warning("%s%s: unknown key, ignored (check the spelling)", prefix, key)
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
        value = _convert(hints[name], raw[name], key, problems, base)
        if value is not _BAD:
            out[name] = value
    # Required fields must exist even when broken, or the dataclass cannot be built;
    # a missing value has been reported, so the caller will raise before building.
    return out


_BAD = object()


def _convert(tp: Any, value: Any, key: str, problems: Problems, base: Path | None) -> Any:
    # Long on purpose: one short branch per type the config schema uses, read top to bottom;
    # a dispatch table would spread the same few checks over a dozen functions.
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        inner = next(a for a in args if a is not type(None))
        if value in ("", None):
            return None
        return _convert(inner, value, key, problems, base)
    if is_dataclass(tp):
        sub = convert_dataclass(tp, value, key + ".", problems, base)  # type: ignore[arg-type]
        try:
            return typing.cast(Any, tp)(**sub)
        except TypeError:
            return _BAD
    if origin is list:
        (inner,) = args
        if not isinstance(value, list):
            problems.add(key, f"expected a list, got {_tname(value)}")
            return _BAD
        items = [_convert(inner, v, f"{key}[{i}]", problems, base) for i, v in enumerate(value)]
        return _BAD if any(v is _BAD for v in items) else items
    if origin is Literal:
        if value not in args:
            problems.add(key, f"{value!r} is not one of: {', '.join(map(str, args))}")
            return _BAD
        return value
    if tp is bool:
        if not isinstance(value, bool):
            problems.add(key, f"expected true or false, got {_tname(value)}")
            return _BAD
        return value
    if tp is int:
        limit = INT_LIMITS.get(key.rsplit(".", 1)[-1], INT_MAX)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
            problems.add(key, f"expected a whole number from 0 to {limit}, got {value!r}")
            return _BAD
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not 0 < value <= MAX_FLOAT:  # also refuses nan
            problems.add(key, f"expected a number of seconds above 0 and at most "
                         f"{MAX_FLOAT:g}, got {value!r}")
            return _BAD
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            problems.add(key, f"expected a string, got {_tname(value)}")
            return _BAD
        return value
    if tp is Path:
        if not isinstance(value, str) or not value:
            problems.add(key, f"expected a path string, got {value!r}")
            return _BAD
        return expand_path(value, base)
    if tp is timedelta:
        try:
            if not isinstance(value, str):
                raise ValueError
            return parse_duration(value)
        except ValueError:
            problems.add(key, f'expected a duration like "18h", "30m" or "1d12h", at most '
                         f'{MAX_DURATION.days}d, got {value!r}'[:300])
            return _BAD
    if tp is ZoneInfo:
        try:
            if not isinstance(value, str) or not value:
                raise ValueError
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            problems.add(key, f'unknown time zone {value!r}; use an IANA name like "Europe/Berlin"')
            return _BAD
    if tp == tuple[time, time]:
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", str(value))
        try:
            if not m:
                raise ValueError
            h1, m1, h2, m2 = map(int, m.groups())
            return (time(h1, m1), time(h2 % 24, m2) if (h2, m2) != (24, 0) else time(23, 59))
        except ValueError:
            problems.add(key, f'expected a window like "07:00-21:00", got {value!r}')
            return _BAD
    raise TypeError(f"no converter for {tp}")  # a schema bug, not a user error


def _tname(value: Any) -> str:
    return {"str": "a string", "int": "a number", "float": "a number", "list": "a list",
            "dict": "a table", "bool": "true/false"}.get(type(value).__name__, repr(value))
