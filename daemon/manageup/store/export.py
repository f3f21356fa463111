"""The whole store as JSON (export, import) and as readable Markdown."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from manageup.errors import UsageError
from manageup.model import KINDS, MAX_ID
from manageup.store.db import StoreBase
from manageup.words import plural

# manageup.store.validate (the import rules) loads in each function that needs it: every
# process opens the store, few of them export or import.


# Each table's rows in the user's words, one and many: "1 note", "2 ledger entries".
ROW_WORDS = {
    "items": ("item", "items"), "appearances": ("appearance in a digest",
                                                "appearances in digests"),
    "question_use": ("question asked", "questions asked"),
    "history": ("1:1 on record", "1:1s on record"), "ledger": ("ledger entry", "ledger entries"),
    "digests": ("digest", "digests"), "notes": ("note", "notes"),
    "sync_state": ("calendar sync state", "calendar sync states"), "flags": ("flag", "flags"),
}


@dataclass
class ImportReport:
    """What an import added and skipped."""

    added: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    renumbered: list[tuple[str, int, int]] = field(default_factory=list)  # table, old, new

    def summary(self) -> str:
        def counts(c: Counter[str]) -> str:
            words = {t: ROW_WORDS.get(t, (t, t)) for t in c}
            return ", ".join(plural(n, *words[t]) for t, n in c.items() if n) or "nothing"

        lines = [f"added: {counts(self.added)}",
                 f"skipped (already in the store): {counts(self.skipped)}"]
        if self.renumbered:
            lines.append("renumbered (the id belongs to a different one here): " + ", ".join(
                f"{ROW_WORDS.get(t, (t,))[0]} #{a} is now #{b}" for t, a, b in self.renumbered))
        return "\n".join(lines)


class ExportMixin(StoreBase):
    def export(self) -> dict[str, Any]:
        from manageup.store.validate import COLUMNS, TABLES

        out: dict[str, Any] = {"format": "manageup-store", "schema": self._version()}
        for t in TABLES:
            cols = ", ".join(COLUMNS[t])
            out[t] = [dict(r) for r in self.conn.execute(f"SELECT {cols} FROM {t} ORDER BY rowid")]
        for row in out["items"]:
            row["fields"] = json.loads(row["fields"] or "{}")  # readable, not a string in JSON
        return out

    def import_(self, data: Any) -> ImportReport:
        """Everything is checked before anything is written; nothing of the user's is ever
        overwritten: identical rows are skipped, a taken id gets a new number."""
        if not isinstance(data, dict) or data.get("format") != "manageup-store":
            raise UsageError("not a manageup export: expected the JSON of "
                             "`manageup export --format json`")
        from manageup.store.validate import TABLES, check_row

        rows: dict[str, list[dict[str, Any]]] = {}
        for t in TABLES:
            given = data.get(t, [])
            if not isinstance(given, list):
                raise UsageError(f"import: {t} must be a list")
            rows[t] = [check_row(t, r, f"import: {t} row {n}") for n, r in enumerate(given, 1)]
        report = ImportReport()
        with self._write() as c:
            _Merge(c, rows, report).run()
        return report

    def bad_rows(self) -> list[str]:
        """Rows of the store that break the rules an import must follow (for `doctor`)."""
        from manageup.store.validate import COLUMNS, TABLES, check_row

        problems = []
        for t in TABLES:
            cols = ", ".join(COLUMNS[t])
            for n, r in enumerate(self.conn.execute(f"SELECT {cols} FROM {t} ORDER BY rowid"),
                                  1):
                try:
                    check_row(t, dict(r), f"{t} row {n}")
                except UsageError as e:
                    problems.append(str(e))
        return problems


class _Merge:
    """Writes checked rows into the store, mapping ids of items and digests that had to be
    renumbered so the rows pointing at them follow."""

    def __init__(self, c: sqlite3.Connection, rows: dict[str, list[dict[str, Any]]],
                 report: ImportReport) -> None:
        self.c, self.rows, self.report = c, rows, report
        self.ids: dict[str, dict[int, int]] = {"items": {}, "digests": {}, "notes": {}}

    def run(self) -> None:
        self._with_ids("items", ("kind", "text", "status", "created", "due", "closed",
                                 "fields"))
        self._with_ids("digests", ("key", "start"))
        for row in self.rows["notes"]:
            if row["digest_id"] is not None:
                row["digest_id"] = self._ref("digests", row["digest_id"], "notes")
        self._with_ids("notes", ("digest_id", "question_id", "text", "created"))
        for row in self.rows["appearances"]:
            row["item_id"] = self._ref("items", row["item_id"], "appearances")
        for t in ("appearances", "question_use", "history", "ledger", "sync_state", "flags"):
            for row in self.rows[t]:
                self._insert(t, row, "OR IGNORE")

    def _ref(self, table: str, old: int, where: str) -> int:
        if old in self.ids[table]:
            return self.ids[table][old]
        if self.c.execute(f"SELECT 1 FROM {table} WHERE id = ?", (old,)).fetchone():
            return old
        raise UsageError(f"import: a row of {where} points at {table} #{old}, which is "
                         "neither in the file nor in the store")

    def _with_ids(self, table: str, same: tuple[str, ...]) -> None:
        """`same`: the columns that make two rows the same thing whatever their ids."""
        # The store's rows by those columns, read once: a query per row scanned the whole
        # table, and re-importing a 50 MB export took about an hour.
        twins: dict[tuple[Any, ...], list[int]] = {}
        taken = set()
        for r in self.c.execute(f"SELECT id, {', '.join(same)} FROM {table} ORDER BY id"):
            taken.add(r[0])
            twins.setdefault(tuple(r[1:]), []).append(r[0])
        next_id = max(taken | {r["id"] for r in self.rows[table]}, default=0) + 1
        for row in self.rows[table]:
            found = twins.get(tuple(row[k] for k in same))
            if found:  # the twin with the same id if there is one
                self.ids[table][row["id"]] = row["id"] if row["id"] in found else found[0]
                self.report.skipped[table] += 1
                continue
            old = row["id"]
            if old in taken:
                if next_id > MAX_ID:
                    raise UsageError(f"import: no free id left in {table}")
                row = {**row, "id": next_id}
                self.report.renumbered.append((table, old, next_id))
                next_id += 1
            self.ids[table][old] = row["id"]
            self._insert(table, row, "")
            taken.add(row["id"])
            twins.setdefault(tuple(row[k] for k in same), []).append(row["id"])

    def _insert(self, table: str, row: dict[str, Any], conflict: str) -> None:
        from manageup.store.validate import COLUMNS

        names = list(COLUMNS[table])  # never a key of the input
        cur = self.c.execute(
            f"INSERT {conflict} INTO {table} ({', '.join(names)}) "
            f"VALUES ({', '.join('?' * len(names))})", [row[n] for n in names])
        if cur.rowcount:
            self.report.added[table] += 1
        else:
            self.report.skipped[table] += 1


def markdown(data: dict[str, Any]) -> str:
    """A readable export: open and closed items by kind, notes, and the 1:1s on record."""
    titles = {"need": "What I need from my boss", "owe": "What I owe my boss",
              "goal": "My boss's goals", "risk": "Risks", "career": "My career goals",
              "win": "Wins", "topic": "Topics", "about": "About my boss"}
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
