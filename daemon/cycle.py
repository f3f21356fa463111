"""One cycle of the pipeline: sources → occurrences → 1:1s → due? → digest → delivery → ledger.

Every stage gets the clock and transports passed in. `--dry-run` is this same cycle with a
stdout transport and a read-only store.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from daemon.compose import compose
from daemon.config import Config
from daemon.deliver import Transport, build_message, message_id
from daemon.detect import detect, excluded_because, shape_reason
from daemon.errors import DeliveryError, ManageupError
from daemon.model import Digest, HistoryEntry, Match, Occurrence
from daemon.render import Rendered, render
from daemon.sources import Source, make_source
from daemon.store import Store
from daemon.timing import backoff, due_at

log = logging.getLogger(__name__)


@dataclass
class Gathered:
    occurrences: list[Occurrence] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # whole calendars that could not be read


@dataclass
class CycleReport:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    waiting: list[tuple[str, datetime]] = field(default_factory=list)  # (title, due at)
    gathered: Gathered = field(default_factory=Gathered)


def make_sources(config: Config) -> list[Source]:
    return [make_source(cal, config) for cal in config.calendars]


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
            log.error("%s", e)
            out.failures.append(str(e))
            continue
        out.occurrences.extend(result.occurrences)
        out.warnings.extend(result.warnings)
    out.occurrences.sort(key=lambda o: (o.start, o.uid))
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
                config: Config) -> tuple[Digest, Rendered]:
    digest = compose(store.snapshot(), match, history, now, config)
    return digest, render(digest, config.digest.templates_dir)


def run_cycle(config: Config, store: Store, sources: Sequence[Source], transport: Transport,
              now: datetime, dry_run: bool = False) -> CycleReport:
    report = CycleReport()
    gathered = gather(sources, config, now)
    report.gathered = gathered
    seen = history_of(gathered.occurrences, config)
    if not dry_run:
        # Future instances are kept only in memory: one removed later (EXDATE) must not
        # linger in the store as if it had been held.
        store.record_history([h for h in seen if h.start < now or h.status != "scheduled"],
                             now)
    history = merged_history(store.history(), seen)
    _mark_missed(store, now, report, dry_run)

    for match in upcoming(detect(gathered.occurrences, config), now):
        occ = match.occurrence
        try:
            _handle(config, store, transport, match, history, now, dry_run, report)
        except ManageupError as e:
            log.error("%s (%s): %s", occ.title, occ.start.isoformat(), e)
            report.failed.append(occ.key)
        except Exception:
            log.exception("unexpected error preparing %s; skipped this time", occ.key)
            report.failed.append(occ.key)
    return report


def _mark_missed(store: Store, now: datetime, report: CycleReport, dry_run: bool) -> None:
    for row in store.ledger():
        if row.state in ("pending", "failed") and datetime.fromisoformat(row.start) <= now:
            log.error("digest for %s was never delivered before the meeting started "
                      "(last error: %s)", row.key, row.last_error or "none")
            report.missed.append(row.key)
            if not dry_run:
                store.ledger_set(row.key, datetime.fromisoformat(row.start), "missed",
                                 row.message_id, datetime.fromisoformat(row.due_at), now,
                                 attempts=row.attempts, error=row.last_error)


def _handle(config: Config, store: Store, transport: Transport, match: Match,
            history: Sequence[HistoryEntry], now: datetime, dry_run: bool,
            report: CycleReport) -> None:
    occ = match.occurrence
    due = due_at(occ.start, config.digest.lead_time, config.digest.send_window, config.zone)
    row = store.ledger_get(occ.key, occ.start)
    if row and row.state in ("sent", "missed"):
        return
    if now < due:
        report.waiting.append((occ.title, due))
        return
    if row and row.state == "failed" and row.next_try and now < datetime.fromisoformat(
            row.next_try):
        return
    digest, rendered = make_digest(store, match, history, now, config)
    msg = build_message(rendered, digest, config, now)
    if dry_run:
        transport.send(msg)
        report.sent.append(occ.key)
        return
    attempts = (row.attempts if row else 0) + 1
    mid = message_id(occ.key, occ.start)
    # Pending goes to disk before the transport is touched: a crash after this point
    # leads to one resend with the same Message-ID, never to silence.
    store.ledger_set(occ.key, occ.start, "pending", mid, due, now, attempts=attempts)
    try:
        transport.send(msg)
    except DeliveryError as e:
        wait = backoff(attempts) if e.transient else timedelta(hours=1)
        store.ledger_set(occ.key, occ.start, "failed", mid, due, now, attempts=attempts,
                         next_try=now + wait, error=str(e))
        log.error("could not send the digest for %s: %s (%s)", occ.title, e,
                  f"retrying in {wait}" if e.transient else "fix this; next try in an hour")
        report.failed.append(occ.key)
        return
    store.ledger_set(occ.key, occ.start, "sent", mid, due, now, attempts=attempts)
    store.record_sent_digest(occ.key, digest.item_ids, digest.question_ids, now,
                             start=occ.start, title=occ.title, shown=digest.shown())
    log.info("sent the digest for %s at %s via %s", occ.title, occ.start.isoformat(),
             transport.name)
    report.sent.append(occ.key)
