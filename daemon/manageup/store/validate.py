"""Every column of every table, by a fixed list, with what a valid value is.

Import checks each row against this before writing anything; `doctor` checks the rows
already in the store with the same rules, so a row no reader understands is reported
instead of silently skipped forever. A column name never comes from the input: SQL is
built only from these lists.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from manageup.errors import UsageError
from manageup.feel import RATING, SCALE
from manageup.model import (
    ITEM_STATUSES,
    KIND_FIELDS,
    KINDS,
    MAX_ID,
    MAX_TEXT,
    MSG_ID,
    PROBE_FIELDS,
)
from manageup.store.history import HISTORY_STATUSES
from manageup.store.ledger import LedgerKind, LedgerState

MAX_KEY = 2_000  # an occurrence key: UID plus a timestamp
MAX_JSON = 5_000_000  # a calendar's sync state
YEARS = (1900, 9000)


class Bad(ValueError):
    """One field's problem; the caller adds which table and row."""


Check = Callable[[Any], Any]


def _utf8(v: str) -> str:
    """JSON can spell a lone surrogate (\\ud800) that no UTF-8 file or SQLite text can hold."""
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        raise Bad("holds a character that is not valid Unicode (a lone surrogate)") from None
    return v


def _text(limit: int = MAX_TEXT, empty: bool = True) -> Check:
    def check(v: Any) -> str:
        if not isinstance(v, str):
            raise Bad(f"expected text, got {type(v).__name__}")
        _utf8(v)
        if not empty and not v.strip():
            raise Bad("is empty")
        if len(v) > limit:
            raise Bad(f"is {len(v)} characters long; at most {limit}")
        return v
    return check


def _id(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 < v <= MAX_ID:
        raise Bad(f"expected a whole number from 1 to {MAX_ID}, got {v!r}"[:200])
    return v


def _count(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 1_000_000:
        raise Bad(f"expected a small whole number, got {v!r}"[:200])
    return v


def _when(v: Any) -> str:
    if not isinstance(v, str) or len(v) > 64:
        raise Bad("expected a date and time like 2026-11-26T10:00:00+01:00")
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        raise Bad(f"expected a date and time like 2026-11-26T10:00:00+01:00, got {v!r}") \
            from None
    if dt.tzinfo is None:
        raise Bad(f"{v!r} has no UTC offset (like +01:00)")
    if not YEARS[0] <= dt.year < YEARS[1]:
        # Near year 1 or 9999 a time cannot even be moved to another zone: every digest
        # naming the item would raise OverflowError.
        raise Bad(f"{v!r} is not between the years {YEARS[0]} and {YEARS[1]}")
    return v


def _day(v: Any) -> str:
    if not isinstance(v, str) or len(v) > 10:
        raise Bad("expected a date like 2026-12-01")
    try:
        date.fromisoformat(v)
    except ValueError:
        raise Bad(f"expected a date like 2026-12-01, got {v!r}") from None
    return v


def _message_id(v: Any) -> str:
    if not isinstance(v, str) or not MSG_ID.fullmatch(v):
        raise Bad(f"expected one Message-ID like <1234@manageup.invalid>, got {v!r}"[:200])
    return v


def _optional(check: Check) -> Check:
    return lambda v: None if v is None else check(v)


def _one_of(values: tuple[str, ...]) -> Check:
    def check(v: Any) -> str:
        if v not in values:
            raise Bad(f"expected one of {', '.join(values)}, got {v!r}"[:200])
        return str(v)
    return check


def _json_object(v: Any) -> str:
    """Stored as JSON text; an export may hold it as an object or as that text."""
    if isinstance(v, str):
        if len(v) > MAX_JSON:
            raise Bad("is too large")
        try:
            v = json.loads(v)
        except ValueError:
            raise Bad("is not valid JSON") from None
        except RecursionError:
            raise Bad("is nested too deeply") from None
    if not isinstance(v, dict):
        raise Bad("expected an object")
    try:
        _utf8(json.dumps(v, ensure_ascii=False))
        text = json.dumps(v)
    except RecursionError:
        raise Bad("is nested too deeply") from None
    if len(text) > MAX_JSON:
        raise Bad("is too large")
    return text


def _events(calendar: str, text: str) -> None:
    """A calendar's cached events, in the shape its reader keeps, or that reader fails on
    every cycle and its 1:1s get no digest. Google and Microsoft keep events by id, each
    an object; CalDAV keeps the collection and its resources (sources/caldav.py)."""
    events = json.loads(text)
    if not calendar.startswith("caldav:"):
        if not all(isinstance(e, dict) for e in events.values()):
            raise Bad("expected an object of event objects")
        return
    if not events:
        return
    if not isinstance(events.get("url"), str) or events.get("mode") not in ("sync", "ctag"):
        raise Bad("expected a CalDAV calendar's url and mode (sync or ctag)")
    if not all(isinstance(a, str) for a in events.get("addresses", [])):
        raise Bad("expected the CalDAV addresses as text")
    resources = events.get("resources")
    if not isinstance(resources, dict) or not all(
            isinstance(r, dict) and isinstance(r.get("etag"), str)
            and isinstance(r.get("ics"), str) for r in resources.values()):
        raise Bad("expected CalDAV resources, each with its etag and ics text")


def _fields(v: Any) -> str:
    if v is None:
        v = {}
    text = _json_object(v)
    fields = json.loads(text)
    for k, val in fields.items():
        if not isinstance(val, str) or len(val) > MAX_TEXT:
            raise Bad(f"{k[:80]!r}: expected text under {MAX_TEXT} characters")
    return text


def _list_of(check: Check, limit: int = 100_000) -> Check:
    def list_check(v: Any) -> list[Any]:
        if not isinstance(v, list) or len(v) > limit:
            raise Bad("expected a list")
        return [check(x) for x in v]
    return list_check


def _tuple(*checks: Check) -> Check:
    def tuple_check(v: Any) -> list[Any]:
        if not isinstance(v, list) or len(v) != len(checks):
            raise Bad(f"expected a list of {len(checks)}, got {str(v)[:80]}")
        return [check(x) for check, x in zip(checks, v, strict=True)]
    return tuple_check


_QUESTION = _tuple(_text(200, False), _text())  # [question id, its text]


def _seen(v: Any) -> dict[str, dict[str, str]]:
    """{item id: {field: its fingerprint}}, what novelty compares the next digest with."""
    if not isinstance(v, dict) or len(v) > 100_000:
        raise Bad("expected an object of item ids")
    for k, prints in v.items():
        if not (isinstance(k, str) and k.isdigit()) or not isinstance(prints, dict):
            raise Bad(f"{str(k)[:80]!r}: expected an item id and its fingerprints")
        for name, h in prints.items():
            if not isinstance(name, str) or not isinstance(h, str) or len(name) > 200 \
                    or len(h) > 200:
                raise Bad(f"{str(name)[:80]!r}: expected a field name and a short hash")
    return v

# What a sent digest recorded for `review` and its reminder (Digest.shown), each key in the
# shape they unpack: a wrong one made both end in a traceback at every later cycle.
SHOWN: dict[str, Check] = {
    "asks": _list_of(_id), "risks": _list_of(_id), "raise": _list_of(_id),
    "items": _list_of(_id),
    "probes": _list_of(_tuple(_id, _one_of(PROBE_FIELDS), _text(200, False), _text())),
    "career": _optional(_QUESTION), "know": _optional(_QUESTION), "end": _when,
    "checkin": _optional(_QUESTION),
    "seen": _seen, "reason": _text(), "trend": _text(),
}


def _shown(v: Any) -> str:
    text = _json_object(v)
    for k, val in json.loads(text).items():
        if k not in SHOWN:
            raise Bad(f"{k[:80]!r} is not something a digest shows ({', '.join(SHOWN)})")
        try:
            SHOWN[k](val)
        except Bad as e:
            raise Bad(f"{k!r}: {e}") from None
    return text


# Column: (check, default when absent; REQUIRED when it must be given).
REQUIRED = object()
COLUMNS: dict[str, dict[str, tuple[Check, Any]]] = {
    "items": {
        "id": (_id, REQUIRED), "kind": (_one_of(KINDS), REQUIRED),
        "text": (_text(empty=False), REQUIRED), "status": (_one_of(ITEM_STATUSES), "open"),
        "created": (_when, REQUIRED), "due": (_optional(_day), None),
        "closed": (_optional(_when), None), "fields": (_fields, "{}"),
    },
    "appearances": {
        "item_id": (_id, REQUIRED), "occurrence_key": (_text(MAX_KEY, False), REQUIRED),
        "sent_at": (_when, REQUIRED),
    },
    "question_use": {
        "question_id": (_text(200, False), REQUIRED),
        "occurrence_key": (_text(MAX_KEY, False), REQUIRED), "used_at": (_when, REQUIRED),
    },
    "history": {
        "key": (_text(MAX_KEY, False), REQUIRED), "uid": (_text(MAX_KEY, False), REQUIRED),
        "start": (_when, REQUIRED), "status": (_one_of(HISTORY_STATUSES), REQUIRED),
        "organizer": (_text(500), ""), "first_seen": (_when, REQUIRED),
        "last_seen": (_when, REQUIRED),
    },
    "ledger": {
        "key": (_text(MAX_KEY, False), REQUIRED), "start": (_when, REQUIRED),
        "state": (_one_of(tuple(LedgerState)), REQUIRED),
        "message_id": (_message_id, REQUIRED), "due_at": (_when, REQUIRED),
        "attempts": (_count, 0), "next_try": (_optional(_when), None),
        "last_error": (_text(), ""), "updated": (_when, REQUIRED),
        "kind": (_one_of(tuple(LedgerKind)), "digest"), "unconfirmed": (_count, 0),
    },
    "digests": {
        "id": (_id, REQUIRED), "key": (_text(MAX_KEY, False), REQUIRED),
        "start": (_when, REQUIRED), "title": (_text(), ""), "sent_at": (_when, REQUIRED),
        "reviewed_at": (_optional(_when), None), "shown": (_shown, "{}"),
    },
    "notes": {
        "id": (_id, REQUIRED), "digest_id": (_optional(_id), None),
        "question_id": (_text(200), ""), "text": (_text(empty=False), REQUIRED),
        "created": (_when, REQUIRED),
    },
    "sync_state": {
        "calendar": (_text(MAX_KEY, False), REQUIRED), "token": (_text(MAX_KEY), ""),
        "synced_from": (_when, REQUIRED), "synced_until": (_when, REQUIRED),
        "events": (_json_object, "{}"),
    },
    "flags": {
        "name": (_text(200, False), REQUIRED), "value": (_text(), REQUIRED),
        "since": (_when, REQUIRED),
    },
}
TABLES = tuple(COLUMNS)


def check_row(table: str, row: Any, where: str) -> dict[str, Any]:
    """The row with every column checked and defaults filled in, or one UsageError naming
    the row and the field."""
    if not isinstance(row, dict):
        raise UsageError(f"{where}: expected an object with the columns of {table}")
    columns = COLUMNS[table]
    for name in row:
        if name not in columns:
            raise UsageError(f"{where}: unknown field {str(name)[:80]!r}; {table} has: "
                             f"{', '.join(columns)}")
    out: dict[str, Any] = {}
    for name, (check, default) in columns.items():
        if name not in row:
            if default is REQUIRED:
                raise UsageError(f"{where}: field {name!r} is missing")
            out[name] = default
            continue
        try:
            out[name] = check(row[name])
        except Bad as e:
            raise UsageError(f"{where}, field {name!r}: {e}") from None
    if table == "ledger" and "kind" not in row:
        # An export older than the kind column: its keys said what a row was for.
        prefix = out["key"].split("|", 1)[0]
        out["kind"] = prefix if prefix in ("nudge", "notice") else "digest"
    if table == "sync_state":
        try:
            _events(out["calendar"], out["events"])
        except Bad as e:
            raise UsageError(f"{where}, field 'events': {e}") from None
    if table == "notes" and out["question_id"] == RATING and out["text"] not in SCALE:
        raise UsageError(f"{where}, field 'text': a relationship rating is 1 to 5, got "
                         f"{out['text'][:20]!r}")
    if table == "items":
        allowed = KIND_FIELDS.get(out["kind"], ())
        for k in json.loads(out["fields"]):
            if k not in allowed:
                raise UsageError(f"{where}, field 'fields': {k[:80]!r} does not apply to a "
                                 f"{out['kind']} item")
    return out
