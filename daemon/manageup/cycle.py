"""One cycle of the pipeline: sources → occurrences → 1:1s → due? → digest → delivery → ledger.

Every stage gets the clock and transports passed in. `--dry-run` is this same cycle with a
stdout transport and a read-only store.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from manageup.config import Config
from manageup.detect import detect, excluded_because, shape_reason
from manageup.errors import DeliveryError, ManageupError
from manageup.model import BossWeek, Digest, HistoryEntry, Match, Occurrence
from manageup.sources import Source, make_source
from manageup.store import LedgerRow, Store
from manageup.timing import backoff, due_at

if TYPE_CHECKING:  # composing and sending load Jinja, CSS inlining and mail: only when due
    from email.message import EmailMessage

    from manageup.deliver import Transport
    from manageup.render import Rendered

log = logging.getLogger(__name__)

NUDGE_WINDOW = timedelta(days=1)  # a review reminder later than this is no use
NOTICE_WINDOW = timedelta(days=7)  # keep retrying a sign-in notice this long


@dataclass
class Gathered:
    occurrences: list[Occurrence] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # whole calendars that could not be read
    auth_failed: bool = False  # a Google sign-in is dead: the user must sign in again


@dataclass
class CycleReport:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    waiting: list[tuple[str, datetime]] = field(default_factory=list)  # (title, due at)
    gathered: Gathered = field(default_factory=Gathered)


def make_sources(config: Config, readonly: bool = False) -> list[Source]:
    """readonly: a dry run, which must not even save Google's sync state."""
    sources = [make_source(cal, config) for cal in config.calendars]
    for s in sources:
        if hasattr(s, "readonly"):
            s.readonly = readonly
    return sources


def gather(sources: Sequence[Source], config: Config, now: datetime) -> Gathered:
    """Read every calendar over [now − history, now + lookahead]; one failing calendar does
    not stop the others."""
    start = now - timedelta(days=config.detect.history_days)
    end = now + config.detect.lookahead
    out = Gathered()
    for src in sources:
        try:
            result = src.fetch(start, end, config.zone)
        except ManageupError as e:
            out.failures.append(str(e))
            out.auth_failed |= type(e).__name__ == "GoogleAuthError"
            continue
        out.occurrences.extend(result.occurrences)
        out.warnings.extend(result.warnings)
    out.occurrences.sort(key=lambda o: (o.start, o.uid, o.key))
    return out


def history_of(occurrences: Sequence[Occurrence], config: Config) -> list[HistoryEntry]:
    entries = []
    for occ in occurrences:
        if not shape_reason(occ, config):
            continue
        status = excluded_because(occ, config) or ("moved" if occ.moved else "scheduled")
        entries.append(HistoryEntry(occ.key, occ.uid, occ.start, status,
                                    occ.organizer.email if occ.organizer else ""))
    return entries


def merged_history(stored: Sequence[HistoryEntry], seen: Sequence[HistoryEntry]) \
        -> list[HistoryEntry]:
    by_key = {h.key: h for h in stored}
    by_key.update({h.key: h for h in seen})
    return sorted(by_key.values(), key=lambda h: h.start)


def upcoming(matches: Sequence[Match], now: datetime) -> list[Match]:
    return [m for m in matches if m.occurrence.start > now]


def make_digest(store: Store, match: Match, history: Sequence[HistoryEntry], now: datetime,
                config: Config, boss_week: BossWeek | None = None) -> tuple[Digest, Rendered]:
    from manageup.compose import compose
    from manageup.render import render

    digest = compose(store.snapshot(), match, history, now, config, boss_week)
    return digest, render(digest, config.digest.templates_dir)


def run_cycle(config: Config, store: Store, sources: Sequence[Source], transport: Transport,
              now: datetime, dry_run: bool = False) -> CycleReport:
    report = CycleReport()
    gathered = gather(sources, config, now)
    report.gathered = gathered
    for failure in gathered.failures:
        log.error("%s", failure)
    seen = history_of(gathered.occurrences, config)
    if not dry_run:
        # Future instances are kept only in memory: one removed later (EXDATE) must not
        # linger in the store as if it had been held.
        store.record_history([h for h in seen if h.start < now or h.status != "scheduled"],
                             now)
    history = merged_history(store.history(), seen)
    _mark_missed(store, now, report, dry_run)
    if not dry_run:
        try:
            store.daily_backup(config.store.backup_folder, now.date(), config.store.backups)
        except (OSError, sqlite3.Error) as e:
            log.error("daily backup to %s failed: %s; check store.backup_dir",
                      config.store.backup_folder, e)

    if gathered.auth_failed and not dry_run:
        _notice_auth(config, store, transport, now)
    week = _BossWeek(sources, config, now)
    for match in upcoming(detect(gathered.occurrences, config), now):
        occ = match.occurrence
        try:
            _handle(config, store, transport, match, history, now, dry_run, report, week)
        except ManageupError as e:
            log.error("%s (%s): %s", occ.title, occ.start.isoformat(), e)
            report.failed.append(occ.key)
        except Exception:  # one bad event must never end the cycle
            log.exception("unexpected error preparing %s; skipped this time", occ.key)
            report.failed.append(occ.key)
    try:
        _nudges(config, store, transport, now, dry_run, report)
    except ManageupError as e:
        log.error("review reminder: %s", e)
    return report


def _mark_missed(store: Store, now: datetime, report: CycleReport, dry_run: bool) -> None:
    # A ledger row's start is its deadline: the meeting's start for a digest, and a later
    # time for a reminder or a notice (see NUDGE_WINDOW and NOTICE_WINDOW).
    for row in store.ledger():
        if row.state in ("pending", "failed") and datetime.fromisoformat(row.start) <= now:
            log.error("digest for %s was never delivered before the meeting started "
                      "(last error: %s)", row.key, row.last_error or "none")
            report.missed.append(row.key)
            if not dry_run:
                store.ledger_set(row.key, datetime.fromisoformat(row.start), "missed",
                                 row.message_id, datetime.fromisoformat(row.due_at), now,
                                 attempts=row.attempts, error=row.last_error)


class _BossWeek:
    """Asked of Google once per cycle, and only when a digest is actually composed."""

    def __init__(self, sources: Sequence[Source], config: Config, now: datetime) -> None:
        self.sources = [s for s in sources if hasattr(s, "boss_week")]
        self.config, self.now = config, now
        self.value: BossWeek | None = None
        self.asked = False

    def get(self) -> BossWeek | None:
        if not self.asked and self.sources:
            self.asked = True
            try:
                raw = self.sources[0].boss_week(self.now, self.config.zone)
            except ManageupError as e:
                log.warning("the boss's week is not available: %s", e)
                raw = None
            if raw:
                room = raw["room_on"]
                self.value = BossWeek(raw["booked_hours"],
                                      date.fromisoformat(room) if room else None)
        return self.value


def _notice_auth(config: Config, store: Store, transport: Transport, now: datetime) -> None:
    """One short mail when the Google sign-in dies, so no 1:1 passes in silence."""
    from manageup.google import AUTH_FLAG, REAUTH

    flag = store.flag(AUTH_FLAG)
    if flag is None or config.delivery.method == "gmail":
        return  # Gmail needs the same sign-in: the log and `doctor` must do
    key = "notice|google-auth"
    deadline = flag[1] + NOTICE_WINDOW
    row = store.ledger_get(key, deadline)
    if not _should_try(row, now):
        return
    from manageup.deliver import build_notice

    msg = build_notice(config, now, key, flag[1],
                       "manageup cannot read your Google calendar",
                       "Google refused manageup's stored sign-in (it was revoked, or it "
                       "expired: apps in Testing status lose it after 7 days). Until you "
                       f"sign in again no prep digest can be sent. To fix it, {REAUTH}")
    _send_once(store, transport, msg, key, deadline, now, row, now, "the Google sign-in notice")


def _handle(config: Config, store: Store, transport: Transport, match: Match,
            history: Sequence[HistoryEntry], now: datetime, dry_run: bool,
            report: CycleReport, week: _BossWeek | None = None) -> None:
    occ = match.occurrence
    due = due_at(occ.start, config.digest.lead_time, config.digest.send_window, config.zone)
    row = store.ledger_get(occ.key, occ.start)
    if now < due:
        if not row:
            report.waiting.append((occ.title, due))
        return
    if not _should_try(row, now):
        return
    digest, rendered = make_digest(store, match, history, now, config,
                                   week.get() if week else None)
    from manageup.deliver import build_message

    msg = build_message(rendered, digest, config, now)
    if dry_run:
        transport.send(msg)
        report.sent.append(occ.key)
        return
    if not _send_once(store, transport, msg, occ.key, occ.start, due, row, now, occ.title):
        report.failed.append(occ.key)
        return
    store.record_sent_digest(occ.key, digest.item_ids, digest.question_ids, now,
                             start=occ.start, title=occ.title, shown=digest.shown())
    if config.digest.archive_dir:
        _archive(config.digest.archive_dir, occ.start, occ.title, rendered)
    report.sent.append(occ.key)


def _should_try(row: LedgerRow | None, now: datetime) -> bool:
    if row is None or row.state == "pending":  # pending: a crash; resend, same Message-ID
        return True
    if row.state == "failed":
        return not row.next_try or now >= datetime.fromisoformat(row.next_try)
    return False  # sent or missed


def _send_once(store: Store, transport: Transport, msg: EmailMessage, key: str,
               start: datetime, due: datetime, row: LedgerRow | None, now: datetime,
               what: str) -> bool:
    attempts = (row.attempts if row else 0) + 1
    mid = str(msg["Message-ID"])
    # Pending goes to disk before the transport is touched: a crash after this point
    # leads to one resend with the same Message-ID, never to silence.
    store.ledger_set(key, start, "pending", mid, due, now, attempts=attempts)
    try:
        transport.send(msg)
    except DeliveryError as e:
        wait = backoff(attempts) if e.transient else timedelta(hours=1)
        store.ledger_set(key, start, "failed", mid, due, now, attempts=attempts,
                         next_try=now + wait, error=str(e))
        log.error("could not send the mail for %s: %s (%s)", what, e,
                  f"retrying in {wait}" if e.transient else "fix this; next try in an hour")
        return False
    store.ledger_set(key, start, "sent", mid, due, now, attempts=attempts)
    log.info("sent the mail for %s (%s) via %s", what, start.isoformat(), transport.name)
    return True


def _archive(folder: Path, start: datetime, title: str, rendered: Rendered) -> None:
    """The digest as Markdown beside the user's notes (the text part's underlined headings
    are Markdown headings already)."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "1-1"
    path = folder / f"{start:%Y-%m-%d-%H%M}-{slug}.md"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(f"# {rendered.subject}\n\n{rendered.text}", encoding="utf-8")
        tmp.replace(path)
    except OSError as e:
        log.error("could not archive the digest to %s: %s; check digest.archive_dir", path,
                  e.strerror)


def _nudges(config: Config, store: Store, transport: Transport, now: datetime,
            dry_run: bool, report: CycleReport) -> None:
    """A short reminder after a 1:1 to run `manageup review`; sent once, through the ledger."""
    after = config.review.nudge_after
    if after is None:
        return
    for rec in store.digests():
        if rec.reviewed_at:
            continue
        end = datetime.fromisoformat(rec.shown.get("end", rec.start.isoformat()))
        due = end + after
        deadline = due + NUDGE_WINDOW
        if not due <= now < deadline:
            continue  # not yet, or too stale to be useful
        key = f"nudge|{rec.key}"
        row = store.ledger_get(key, deadline)
        if not _should_try(row, now):
            continue
        from manageup.deliver import build_nudge
        from manageup.review import plan

        msg = build_nudge(plan(store, rec), config, now)
        if dry_run:
            transport.send(msg)
        elif _send_once(store, transport, msg, key, deadline, due, row, now,
                        f"review reminder for {rec.title}"):
            report.sent.append(key)
