"""`doctor`'s service lines: not only whether the unit files match the config, but whether
systemd runs them (enabled, active, the timer's last and next run) or cron has the entry,
and how the last cycle went, from the store. Unit files that nothing runs send nothing, and
doctor says so: "installed, but not running: no digest will arrive"."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from manageup import units
from manageup.config import Config
from manageup.errors import ManageupError
from manageup.sources import Check

NOT_RUNNING = "installed, but not running: no digest will arrive"
CRON_SILENT = timedelta(minutes=30)  # three missed runs of the every-10-minutes entry

# systemctl --user ARGS -> (exit code, stdout, stderr); a stand-in in tests.
Ask = Callable[[Sequence[str]], tuple[int, str, str]]


def ask_systemctl(args: Sequence[str]) -> tuple[int, str, str]:
    try:
        done = subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True,
                              timeout=30, check=False)
    except FileNotFoundError:
        return 127, "", "systemctl is not available here"
    except subprocess.TimeoutExpired:
        return 124, "", "systemctl did not answer within 30s"
    return done.returncode, done.stdout, done.stderr


@dataclass
class UnitState:
    enabled: bool
    active: bool
    said: str  # what systemctl said when it could not be asked, else ""
    times: dict[str, str]  # the timer's LastTriggerUSec and NextElapseUSecRealtime


def unit_state(unit: str, ask: Ask) -> UnitState:
    code, out, err = ask(["is-enabled", unit])
    words = (out + err).strip().splitlines()
    if code != 0 and not out.strip():  # no answer about the unit: no manager to ask
        return UnitState(False, False, words[-1] if words else f"exit {code}", {})
    enabled = code == 0
    active = ask(["is-active", unit])[0] == 0
    times: dict[str, str] = {}
    if unit.endswith(".timer"):
        _code, shown, _err = ask(["show", unit, "--property=LastTriggerUSec",
                                  "--property=NextElapseUSecRealtime"])
        for line in shown.splitlines():
            key, _, value = line.partition("=")
            if value.strip() and value.strip() != "n/a":
                times[key.strip()] = value.strip()
    return UnitState(enabled, active, "", times)


def checks(config: Config, env: Mapping[str, str], now: datetime,
           ask: Ask = ask_systemctl) -> Iterator[Check]:
    folder = units.unit_dir(env)
    matching, line = units.check(config, folder)
    timer = (folder / "manageup.timer").exists()
    unit = "manageup.timer" if timer else "manageup.service"
    last = _last_cycle(config)
    if not (folder / unit).exists():
        cron = _cron_check(config)
        if cron and cron[0] and last and now - last[0] > CRON_SILENT:
            cron = False, (f"service: crontab entry {NOT_RUNNING} (no cycle since "
                           f"{last[0].astimezone(config.zone):%a %d %b %H:%M}); is cron "
                           "running? (systemctl status cron, or: service cron start)")
        yield cron or (matching, line)
    elif not matching:
        yield matching, line
    else:
        yield _running(line, unit, unit_state(unit, ask))
    if last is not None:
        at, ok, said = last
        yield ok, f"last cycle: {at.astimezone(config.zone):%a %d %b %H:%M}, {said}"


def _running(line: str, unit: str, state: UnitState) -> Check:
    if state.said:
        return False, (f"service: {unit} {NOT_RUNNING} (systemd cannot be asked: "
                       f"{state.said}); loginctl enable-linger $USER and log in again, or "
                       "run: manageup service install --cron")
    if not (state.enabled and state.active):
        what = ", ".join(w for w, bad in (("not enabled", not state.enabled),
                                          ("not active", not state.active)) if bad)
        return False, (f"service: {unit} {NOT_RUNNING} ({what}); run: systemctl --user "
                       f"enable --now {unit}")
    runs = ""
    if state.times.get("LastTriggerUSec"):
        runs += f"; last run {state.times['LastTriggerUSec']}"
    if state.times.get("NextElapseUSecRealtime"):
        runs += f"; next run {state.times['NextElapseUSecRealtime']}"
    return True, f"{line}; enabled and running{runs}"


def _cron_check(config: Config) -> Check | None:
    from manageup import crontab

    try:
        job = crontab.entry(crontab.read())
    except ManageupError:
        return None  # no crontab here: no entry of ours either
    if not job:
        return None
    config_path = str((config.source_path or Path("config.toml")).absolute())
    if config_path not in job.replace("\\%", "%"):
        return False, (f"service: the crontab entry runs another config than {config_path}; "
                       "run: manageup service install --cron")
    return True, "service: a cycle every 10 minutes from your crontab (crontab -l shows it)"


def _last_cycle(config: Config) -> tuple[datetime, bool, str] | None:
    from manageup.store import Store

    if not config.store.path.exists():
        return None
    try:
        store = Store.open(config.store.path, readonly=True)
        try:
            last = store.last_cycle()
        finally:
            store.close()
    except ManageupError:
        return None  # the store's own line says what is wrong with it
    return last
