"""`manageup doctor`: every part checked, one line each, with what to do when it fails.

It changes nothing on disk: what the first run creates (the store, the Maildir) is checked
for whether it can be created, not created. It sends no mail.
"""

from __future__ import annotations

import logging
import os
import smtplib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from manageup.config import Config
from manageup.cycle.gather import Gathered, gather, make_sources
from manageup.cycle.queries import upcoming_meetings, why_none
from manageup.detect import detect
from manageup.errors import ConfigError, ManageupError
from manageup.sources import Check, ReportsHealth, unlabelled
from manageup.words import plural

# A line of doctor's report: passed (True), failed (False) or a warning (None): worth
# fixing, but nothing fails for it.
Line = tuple[bool | None, str]


@contextmanager
def _warnings_of(logger: str) -> Iterator[list[str]]:
    """What `logger` warns while the block runs, kept for doctor's lines instead of logged
    (doctor would otherwise say each twice)."""
    said: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            said.append(record.getMessage())

    log = logging.getLogger(logger)
    keep, propagate = Keep(logging.WARNING), log.propagate
    log.addHandler(keep)
    log.propagate = False
    try:
        yield said
    finally:
        log.removeHandler(keep)
        log.propagate = propagate


def run_checks(config_arg: str | None, now: datetime,
               env: Mapping[str, str] = os.environ) -> Iterator[Line]:
    from manageup.config import find_config, load_config

    path = find_config(config_arg, env)
    try:
        with _warnings_of("manageup.config") as warned:
            config = load_config(path)
    except ConfigError as e:  # its message names the path again: the problems only
        yield False, f"config {path}: " + "\n      ".join(e.problems)
        return
    except ManageupError as e:
        yield False, f"config {path}: {e}"
        return
    yield True, f"config {path} loads"
    for warning in warned:
        yield None, f"config: {warning}"
    now = now.astimezone(config.zone)
    yield from _check_calendars(config, now)
    said: set[Check] = set()  # two calendars on one sign-in: its line once
    for src in make_sources(config):
        if isinstance(src, ReportsHealth):
            for check in src.health(env):
                if check not in said:
                    said.add(check)
                    yield check
    yield _check_store(config)
    yield from _check_delivery(config, env)
    from manageup import servicecheck

    yield from servicecheck.checks(config, env, now)


def _check_calendars(config: Config, now: datetime) -> Iterator[Check]:
    everything = Gathered()
    readable = 0
    for src in make_sources(config):
        one = gather([src], config, now)
        if one.failures:
            yield False, f"calendar {src.label}: {unlabelled(one.failures[0], src.label)}"
            continue
        readable += 1
        everything.occurrences.extend(one.occurrences)
        everything.warnings.extend(one.warnings)
        ahead = upcoming_meetings(config, now, one).matches
        note = f"; {plural(len(one.warnings), 'event')} skipped (run `manageup meetings`)" \
            if one.warnings else ""
        yield True, (f"calendar {src.label}: readable, {plural(len(ahead), '1:1')} with your boss "
                     f"ahead{note}")
    if not readable:
        return  # every calendar failed (said above): nothing to judge
    # Even with nothing kept: the fast read drops what cannot be a 1:1 as configured, a
    # boss only in team meetings say, and _check_found reads in full to say why.
    everything.occurrences.sort(key=lambda o: (o.start, o.uid, o.key))
    yield _check_found(config, now, everything)


def _check_found(config: Config, now: datetime, everything: Gathered) -> Check:
    found = detect(everything.occurrences, config)
    ahead = [m for m in found if m.occurrence.start > now]
    days = config.detect.lookahead.days
    if ahead:
        return True, f"1:1s: {len(ahead)} with your boss in the next {days} days"
    if found:
        last = found[-1].occurrence.start
        return True, (f"1:1s: none in the next {days} days; the last one was on "
                      f"{last:%a %d %b}")
    why = why_none(config, now)  # reads past the fast path: it may hide the cause
    lines = why.lines() if why else ["no 1:1 found"]
    return False, "1:1s: " + "\n      ".join(lines)


def _creatable(path: Path) -> tuple[bool, Path]:
    """Whether the first run can create `path`: its nearest existing folder is writable."""
    parent = path
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return parent.is_dir() and os.access(parent, os.W_OK | os.X_OK), parent


def _check_store(config: Config) -> Check:
    from manageup.store import Store, StoreDamaged, restore_advice

    path = config.store.path
    if not path.exists():
        ok, parent = _creatable(path)
        if ok:
            return True, f"store {path}: created on the first run"
        return False, f"store {path}: cannot be created ({parent} is not writable); " \
                      "check store.path"
    if not os.access(path, os.R_OK | os.W_OK) or not os.access(path.parent, os.W_OK):
        return False, f"store {path} is not writable; check its owner and store.path"
    folder = config.store.backup_folder
    try:
        store = Store.open(path, readonly=True)  # doctor changes nothing
        try:
            problems = store.integrity()
            bad = [] if problems else store.bad_rows()
            how = restore_advice(path, folder, store.store_id())
        finally:
            store.close()
    except StoreDamaged as e:
        return False, f"store {path} is damaged ({e.cause}); {restore_advice(path, folder)}"
    except ManageupError as e:
        return False, f"store: {e}"
    if problems:
        return False, f"store {path} is damaged (integrity check: {problems[0]}); {how}"
    if bad:
        return False, (f"store {path}: {plural(len(bad), 'row')} manageup cannot use, e.g. "
                       f"{bad[0]}; cycles skip them; restore a backup from before they appeared")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        return False, f"store {path} is readable by others; run: chmod 600 {path}"
    return True, f"store {path} is writable"


def _check_maildir(folder: Path) -> Check:
    if not folder.exists():
        ok, parent = _creatable(folder)
        if ok:
            return True, f"delivery: Maildir {folder}: created on the first run"
        return False, (f"delivery: Maildir {folder} cannot be created ({parent} is not "
                       "writable); check delivery.maildir")
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        return False, f"delivery: cannot write to {folder}; check delivery.maildir"
    for sub in ("tmp", "new", "cur"):
        part = folder / sub
        if part.exists() and not os.access(part, os.W_OK | os.X_OK):
            return False, f"delivery: cannot write to {part}; check its owner"
    return True, f"delivery: Maildir {folder} is writable"


def _check_delivery(config: Config, env: Mapping[str, str]) -> Iterator[Check]:
    d = config.delivery
    if d.method == "stdout":
        yield True, "delivery: stdout (digests are printed, not mailed)"
    elif d.method == "maildir":
        yield _check_maildir(d.maildir)
    elif d.method == "gmail":
        from manageup.accounts import google

        yield google.check(config.store.path, env, gmail=True)
    else:
        yield from _check_smtp(config, env)


def _check_smtp(config: Config, env: Mapping[str, str]) -> Iterator[Check]:
    from manageup.accounts import secrets
    from manageup.deliver import SmtpTransport

    smtp = config.delivery.smtp
    if smtp.username:
        try:
            secrets.lookup("smtp", smtp.password_command, env)
            yield True, "secret: smtp password found"
        except ManageupError as e:
            yield False, f"secret: {e}"
            return
    try:
        t = SmtpTransport(smtp, lambda: secrets.lookup("smtp", smtp.password_command, env))
        conn = t.connect()
        try:
            conn.noop()
            conn.quit()
        except (smtplib.SMTPException, OSError) as e:
            conn.close()
            yield False, (f"delivery: SMTP {smtp.host}:{smtp.port} hung up or failed after "
                          f"connecting ({type(e).__name__}); check delivery.smtp.host, port "
                          "and security")
            return
        login = f", logged in as {smtp.username}" if smtp.username else ""
        yield True, f"delivery: SMTP {smtp.host}:{smtp.port} ({smtp.security}){login}"
    except ManageupError as e:
        yield False, f"delivery: {e}"
