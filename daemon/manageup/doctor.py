"""`manageup doctor`: every part checked, one line each, with what to do when it fails."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta

from manageup.errors import ManageupError

Check = tuple[bool, str]


def run_checks(config_arg: str | None, now: datetime) -> Iterator[Check]:
    from manageup.config import find_config, load_config

    path = find_config(config_arg)
    try:
        config = load_config(path)
    except ManageupError as e:
        yield False, f"config {path}: {e}"
        return
    yield True, f"config {path} loads"
    now = now.astimezone(config.zone)

    from manageup.detect import detect
    from manageup.sources import make_source

    for cal in config.calendars:
        try:
            src = make_source(cal, config)
            result = src.fetch(now - timedelta(days=1), now + config.detect.lookahead,
                               config.zone)
        except ManageupError as e:
            yield False, f"calendar {cal.label}: {e}"
            continue
        found = detect(result.occurrences, config)
        note = f"; {len(result.warnings)} event(s) skipped (run `manageup meetings`)" \
            if result.warnings else ""
        yield True, (f"calendar {cal.label}: readable, {len(found)} 1:1(s) with your boss "
                     f"ahead{note}")

    if any(c.type == "google" for c in config.calendars) or config.delivery.method == "gmail":
        yield _check_google(config)
    for cal in config.calendars:
        if cal.type == "caldav":
            from manageup.sources.caldav import doctor_checks

            yield from doctor_checks(cal, config)
        elif cal.type == "microsoft":
            from manageup.sources import microsoft

            yield from microsoft.doctor_checks(cal, config)
    yield _check_store(config)
    yield from _check_delivery(config)


def _check_google(config: object) -> Check:
    from manageup import google
    from manageup.store import Store

    store = Store.open(config.store.path, readonly=True)  # type: ignore[attr-defined]
    try:
        dead = store.flag(google.AUTH_FLAG)
    finally:
        store.close()
    if dead:
        return False, (f"google: the sign-in stopped working on {dead[1]:%d %b %H:%M} "
                       f"({dead[0]}: revoked, or 7-day expiry of an app in Testing); "
                       f"{google.REAUTH}")
    return True, "google: signed in"


def _check_store(config: object) -> Check:
    from manageup.store import Store

    path = config.store.path  # type: ignore[attr-defined]
    try:
        store = Store.open(path)
        store.conn.execute("BEGIN IMMEDIATE")
        store.conn.execute("ROLLBACK")
        ok = store.conn.execute("PRAGMA integrity_check").fetchone()[0]
        store.close()
    except ManageupError as e:
        return False, f"store: {e}"
    except Exception as e:
        return False, f"store {path}: {e}; check store.path is writable"
    if ok != "ok":
        return False, f"store {path}: integrity check says {ok}; restore a backup"
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        return False, f"store {path} is readable by others; run: chmod 600 {path}"
    return True, f"store {path} is writable"


def _check_delivery(config: object) -> Iterator[Check]:
    from manageup import secrets
    from manageup.deliver import SmtpTransport

    d = config.delivery  # type: ignore[attr-defined]
    if d.method == "stdout":
        yield True, "delivery: stdout (digests are printed, not mailed)"
    elif d.method == "maildir":
        try:
            d.maildir.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=d.maildir):
                pass
            yield True, f"delivery: Maildir {d.maildir} is writable"
        except OSError as e:
            yield False, f"delivery: cannot write to {d.maildir} ({e.strerror}); " \
                         "check delivery.maildir"
    elif d.method == "smtp":
        smtp = d.smtp
        if smtp.username:
            try:
                secrets.lookup("smtp", smtp.password_command, os.environ)
                yield True, "secret: smtp password found"
            except ManageupError as e:
                yield False, f"secret: {e}"
                return
        try:
            t = SmtpTransport(smtp, lambda: secrets.lookup("smtp", smtp.password_command))
            conn = t.connect()
            conn.noop()
            conn.quit()
            login = f", logged in as {smtp.username}" if smtp.username else ""
            yield True, f"delivery: SMTP {smtp.host}:{smtp.port} ({smtp.security}){login}"
        except ManageupError as e:
            yield False, f"delivery: {e}"
    else:
        yield False, f"delivery.method {d.method!r} is not available in this version"
