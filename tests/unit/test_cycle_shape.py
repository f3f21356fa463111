"""The cycle's shape, read from its source (issue 22.1, 22.2): every mail goes out through
the one outbox, and a dry run is told apart only where the store is chosen."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "daemon" / "manageup"


def _calls(pattern: str) -> set[str]:
    return {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
            if re.search(pattern, p.read_text(encoding="utf-8"))
            and p.parent.name != "store"}


def test_the_ledger_is_sent_through_in_one_place() -> None:
    # Digests, review reminders and notices: get the row, may it try, send, record.
    assert _calls(r"\.(begin_send|mark_sent|mark_failed|mark_unconfirmed|ledger_get)\(") \
        == {"cycle/outbox.py"}


def test_the_dry_run_is_chosen_only_with_the_store() -> None:
    assert _calls(r"\bdry_run\b") & {str(p.relative_to(PACKAGE))
                                     for p in (PACKAGE / "cycle").glob("*.py")} \
        == {"cycle/run.py"}
    run = (PACKAGE / "cycle" / "run.py").read_text(encoding="utf-8")
    cycle_code = run[run.index("\ndef run("):]
    assert "dry_run" not in cycle_code and "if dry" not in cycle_code
