"""The whole store as JSON (export, import) and as readable Markdown."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from manageup.errors import UsageError
from manageup.model import KINDS, check_item
from manageup.store.db import StoreBase

TABLES = ("items", "appearances", "question_use", "history", "ledger", "digests", "notes",
          "sync_state", "flags")


class ExportMixin(StoreBase):
    TABLES = TABLES

    def export(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": "manageup-store", "schema": self._version()}
        for t in TABLES:
            out[t] = [dict(r) for r in self.conn.execute(f"SELECT * FROM {t} ORDER BY rowid")]
        for row in out["items"]:
            row["fields"] = json.loads(row["fields"] or "{}")  # readable, not a string in JSON
        return out

    def import_(self, data: dict[str, Any]) -> dict[str, int]:
        if not isinstance(data, dict) or data.get("format") != "manageup-store":
            raise UsageError("not a manageup export: expected the JSON of "
                             "`manageup export --format json`")
        counts = {}
        with self._write() as c:
            for t in TABLES:
                rows = data.get(t, [])
                if not isinstance(rows, list):
                    raise UsageError(f"import: {t} must be a list")
                for row in rows:
                    if not isinstance(row, dict):
                        raise UsageError(f"import: a row in {t} is not an object")
                    if t == "items":
                        fields = row.get("fields") or {}
                        if isinstance(fields, str):
                            fields = json.loads(fields)
                        check_item(row.get("kind", ""), row.get("text", ""), fields)
                        row = {**row, "fields": json.dumps(fields)}
                    cols = ",".join(row)
                    marks = ",".join("?" * len(row))
                    try:
                        c.execute(f"INSERT OR REPLACE INTO {t} ({cols}) VALUES ({marks})",
                                  list(row.values()))
                    except sqlite3.OperationalError as e:
                        raise UsageError(f"import: bad row in {t}: {e}") from None
                counts[t] = len(rows)
        return counts


def markdown(data: dict[str, Any]) -> str:
    """A readable export: open and closed items by kind, notes, and the 1:1s on record."""
    titles = {"need": "What I need from my boss", "owe": "What I owe my boss",
              "goal": "My boss's goals", "risk": "Risks", "career": "My career goals",
              "win": "Wins", "topic": "Topics"}
    out = ["# manageup notes", ""]
    for kind in KINDS:
        rows = [r for r in data["items"] if r["kind"] == kind]
        if not rows:
            continue
        out += [f"## {titles[kind]}", ""]
        for r in rows:
            box = "x" if r["status"] != "open" else " "
            extra = f" (due {r['due']})" if r["due"] else ""
            extra += f" ({r['status']})" if r["status"] == "dropped" else ""
            out.append(f"- [{box}] {r['text']}{extra} <!-- #{r['id']} -->")
            for k, v in (r["fields"] or {}).items():
                out.append(f"  - {k.replace('_', ' ')}: {v}")
        out.append("")
    if data.get("notes"):
        out += ["## Notes from reviews", ""]
        out += [f"- {n['created'][:10]}: {n['text']}" for n in data["notes"]]
        out.append("")
    if data.get("history"):
        out += ["## 1:1s on record", ""]
        out += [f"- {h['start'][:16].replace('T', ' ')} {h['status']}" for h in data["history"]]
        out.append("")
    return "\n".join(out)
