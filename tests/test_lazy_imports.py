"""Heavy libraries load only where they are used: `--help` and a timer cycle that reuses the
previous process's occurrences and has nothing to send load none of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ICS, config_text

HEAVY = {"icalendar", "recurring_ical_events", "jinja2", "css_inline", "googleapiclient",
         "google_auth_oauthlib", "keyring"}
PROBE = f"""
import json, sys
from manageup.cli import main
code = main(sys.argv[1:])
print(json.dumps([code, sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})]))
"""


def loaded(*argv: str) -> tuple[int, list[str]]:
    out = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True,
                         check=True, env=os.environ.copy()).stdout
    code, modules = json.loads(out.strip().splitlines()[-1])
    return code, sorted({m.split(".")[0] for m in modules})


def test_help_loads_no_heavy_library() -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "manageup", "--help"],
                          capture_output=True, text=True, check=True, env=os.environ.copy())
    assert "usage:" in proc.stdout
    modules = {line.rsplit("|", 1)[-1].strip().split(".")[0]
               for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "manageup" in modules and not modules & HEAVY


def test_warm_timer_cycle_with_nothing_due_loads_no_heavy_library(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(config_text(ICS / "weekly_moved_cancelled_exdate.ics", tmp_path))
    cfg.chmod(0o600)
    args = ("--config", str(cfg), "-q", "run", "--once", "--now", "2026-11-23T09:00+01:00")
    code, first = loaded(*args)
    assert code == 0 and "icalendar" in first  # the first process parses
    code, second = loaded(*args)
    assert code == 0 and second == []
