"""Issue 29.3: a one-shot verb (a cold `preview`) spends no CPU on the cycle collector's
passes over what lives until the process ends, nor on the interpreter's last pass at exit;
nor does the timer's `run --once`. The daemon keeps collecting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ICS, config_text

# Counted from when the verb is chosen (its logging set up) to when it returns: parsing
# the command line comes before anyone knows the verb.
PROBE = """
import gc, json, sys
import manageup.cli as cli
counting, passes = [False], [0]
def count(phase, info):
    passes[0] += phase == "start" and counting[0]
gc.callbacks.append(count)
setup = cli.setup_logging
def start(*args, **kwargs):
    counting[0] = True
    setup(*args, **kwargs)
cli.setup_logging = start
code = cli.main(sys.argv[1:])
counting[0] = False
print(json.dumps([code, passes[0], gc.get_threshold()[0]]))
"""


def passes(*argv: str) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True,
                         check=True, env=os.environ.copy()).stdout
    code, n, threshold = json.loads(out.strip().splitlines()[-1])
    assert threshold == 700  # the caller's collector as it was (Python's default)
    return code, n


def test_a_cold_preview_and_a_timer_run_run_no_collector_pass(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(config_text(ICS / "weekly_moved_cancelled_exdate.ics", tmp_path))
    cfg.chmod(0o600)
    now = ("--now", "2026-11-23T09:00+01:00")
    # Before the change a cold preview of this small feed ran dozens (its imports alone).
    assert passes("--config", str(cfg), "preview", *now) == (0, 0)
    # The timer's run, cold (it parses) and warm (cached occurrences): the daemon alone,
    # a cycle every few minutes for weeks, keeps the usual collector.
    assert passes("--config", str(cfg), "-q", "run", "--once", *now) == (0, 0)
    assert passes("--config", str(cfg), "-q", "run", "--once", *now) == (0, 0)


# The interpreter's last pass, as it exits: its report is the last line on stderr.
AT_EXIT = """
import gc, json, os, sys
def report(phase, info):
    if phase == "stop" and info["generation"] == 2:
        os.write(2, ("\\n" + json.dumps(info["collected"])).encode())
gc.callbacks.append(report)
from manageup.cli import main
main(sys.argv[1:])
"""


def test_a_preview_exits_without_a_last_collector_pass(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(config_text(ICS / "weekly_moved_cancelled_exdate.ics", tmp_path))
    cfg.chmod(0o600)
    proc = subprocess.run([sys.executable, "-c", AT_EXIT, "--config", str(cfg), "preview",
                           "--now", "2026-11-23T09:00+01:00"], capture_output=True, text=True,
                          check=True, env=os.environ.copy())
    assert "Subject:" in proc.stdout
    # Without the freeze the last pass walked everything alive and freed hundreds of objects.
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == 0
