"""Counts what the reliability suite did, for the README's figures."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

FIGURES: Counter[str] = Counter()
OUT = Path(__file__).resolve().parents[2] / "output" / "reliability.json"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(dict(FIGURES), indent=2, sort_keys=True))
    terminalreporter.write_line(
        "reliability: " + ", ".join(f"{k} {v}" for k, v in sorted(FIGURES.items())))
