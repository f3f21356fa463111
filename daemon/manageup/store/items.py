"""The user's items: needs, owes, goals, risks, ... Validation lives with Item in model.py."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from typing import Any

from manageup.errors import UsageError
from manageup.model import ITEM_STATUSES, MAX_ID, Item, check_item
from manageup.store.db import StoreBase, parse_rows

ITEM_COLS = "i.*, (SELECT COUNT(*) FROM appearances a WHERE a.item_id = i.id) AS appearances"


def iso(dt: datetime | date | None) -> str | None:
    return dt.isoformat() if dt is not None else None


def check_id(item_id: int, what: str = "item") -> int:
    if not 0 < item_id <= MAX_ID:
        raise UsageError(f"no {what} with id {item_id}; ids are whole numbers from 1")
    return item_id


class ItemsMixin(StoreBase):
    def add_item(self, kind: str, text: str, now: datetime, due: date | None = None,
                 fields: dict[str, str] | None = None) -> int:
        check_item(kind, text, fields or {})
        with self._write() as c:
            cur = c.execute(
                "INSERT INTO items (kind, text, created, due, fields) VALUES (?,?,?,?,?)",
                (kind, text.strip(), iso(now), iso(due), json.dumps(fields or {})),
            )
            return int(cur.lastrowid or 0)

    def get_item(self, item_id: int) -> Item:
        check_id(item_id)
        row = self.conn.execute(
            f"SELECT {ITEM_COLS} FROM items i WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise UsageError(f"no item with id {item_id}; see `manageup list --all`")
        return item_from_row(row)

    def items(self, kind: str | None = None, include_closed: bool = False) -> list[Item]:
        sql = f"SELECT {ITEM_COLS} FROM items i WHERE 1=1"
        args: list[Any] = []
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        if not include_closed:
            sql += " AND status = 'open'"
        sql += " ORDER BY id"
        return parse_rows(self.conn.execute(sql, args), item_from_row, "items")

    def update_item(self, item_id: int, *, text: str | None = None, due: date | None = None,
                    clear_due: bool = False, fields: dict[str, str] | None = None) -> Item:
        item = self.get_item(item_id)
        new_fields = dict(item.fields)
        for k, v in (fields or {}).items():
            if v:
                new_fields[k] = v
            else:
                new_fields.pop(k, None)
        check_item(item.kind, text if text is not None else item.text, new_fields)
        with self._write() as c:
            c.execute(
                "UPDATE items SET text = ?, due = ?, fields = ? WHERE id = ?",
                (
                    (text if text is not None else item.text).strip(),
                    None if clear_due else iso(due) if due else iso(item.due),
                    json.dumps(new_fields),
                    item_id,
                ),
            )
        return self.get_item(item_id)

    def set_status(self, item_id: int, status: str, now: datetime) -> Item:
        if status not in ITEM_STATUSES:
            raise UsageError(f"unknown status {status!r}; use one of {', '.join(ITEM_STATUSES)}")
        self.get_item(item_id)
        with self._write() as c:
            c.execute("UPDATE items SET status = ?, closed = ? WHERE id = ?",
                      (status, None if status == "open" else iso(now), item_id))
        return self.get_item(item_id)


def item_from_row(r: sqlite3.Row) -> Item:
    return Item(
        id=r["id"],
        kind=r["kind"],
        text=r["text"],
        created=datetime.fromisoformat(r["created"]),
        status=r["status"],
        due=date.fromisoformat(r["due"]) if r["due"] else None,
        closed=datetime.fromisoformat(r["closed"]) if r["closed"] else None,
        fields=json.loads(r["fields"] or "{}"),
        appearances=r["appearances"],
    )
