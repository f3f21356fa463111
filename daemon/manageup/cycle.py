"""One cycle of the pipeline: sources → occurrences → 1:1s → due? → digest → delivery → ledger.

Every stage gets the clock and transports passed in. `--dry-run` is this same cycle with a
stdout transport and a read-only store.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from manageup.config import Config
from manageup.detect import detect
from manageup.errors import ManageupError, SignInExpired
from manageup.files import private_dir, replace_private
from manageup.history import history_of, merged_history, to_record  # also imported from here
from manageup.model import BossWeek, HistoryEntry, Match, Occurrence
from manageup.notices import notice_dead_sign_ins, upkeep
from manageup.sending import send_once, should_try
from manageup.sources import SeesBossWeek, Source, StateStore, fetch_into, make_source
from manageup.store import (
    DigestRecord,
    LedgerKind,
    SentDigest,
    Store,
)
from manageup.timing import due_at

if TYPE_CHECKING:  # composing and sending load Jinja, CSS inlining and mail: only when due

    from manageup.deliver import Transport
    from manageup.digestmodel import Digest
    from manageup.render import Rendered

log = logging.getLogger(__name__)

# The daemon wakes this much before a due time and counts it as due: with lead_time "0m"
# the due time is the start, and a cycle after it would find the 1:1 begun.
DUE_SLACK = timedelta(seconds=5)
NUDGE_WINDOW = timedelta(days=1)  # a review reminder later than this is no use


@dataclass
class Gathered:
    occurrences: list[Occurrence] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Those of calendars read anew this time: the daemon's log says each once, not on
    # every quiet poll (nor on every timer run reusing a cached feed).
    fresh: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # whole calendars that could not be read
    auth_failed: bool = False  # a Google sign-in is dead: the user must sign in again


@dataclass
class CycleReport:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    waiting: list[tuple[str, datetime]] = field(default_factory=list)  # (title, due at)
    gathered: Gathered = field(default_factory=Gathered)
    skipped: bool = False  # another cycle held the store's lock


def make_sources(config: Config, readonly: bool = False) -> list[Source]:
    """The configured calendars. `readonly` is accepted for older callers only: whether a
    source may write its sync state is now passed to `gather` on every cycle."""
    return [make_source(cal, config) for cal in config.calendars]


def gather(sources: Sequence[Source], config: Config, now: datetime,
           store: StateStore | None = None, *, readonly: bool = True) -> Gathered:
    """Read every calendar over [now − history, now + lookahead]; one failing calendar does
    not stop the others. A source that keeps sync state gets `store`; it writes it only
    when not `readonly` (a dry run, a preview)."""
    start = now - timedelta(days=config.detect.history_days)
    end = now + config.detect.lookahead
    out = Gathered()
    for src in sources:
        try:
            result = fetch_into(src, start, end, config.zone, store=store, now=now,
                                readonly=readonly)
        except ManageupError as e:
            out.failures.append(str(e))
            out.auth_failed |= isinstance(e, SignInExpired)
            continue
        except Exception as e:  # a bug reading one calendar must not cost the others
            out.failures.append(f"{src.label}: could not be read this time "
                                f"({type(e).__name__}: {e}); run with -v for the details")
            log.debug("reading %s failed", src.label, exc_info=True)
            continue
        out.occurrences.extend(result.occurrences)
        out.warnings.extend(result.warnings)
        if not result.unchanged:
            out.fresh.extend(result.warnings)
    out.occurrences.sort(key=lambda o: (o.start, o.uid, o.key))
    return out


def upcoming(matches: Sequence[Match], now: datetime) -> list[Match]:
    """The 1:1s after `now`, each once: the same meeting read from two calendars (a shared
    one and the user's own) has one key, and the first calendar's copy stands for it."""
    seen: set[str] = set()
    out = []
    for m in matches:
        if m.occurrence.start > now and m.occurrence.key not in seen:
            seen.add(m.occurrence.key)
            out.append(m)
    return out


def make_digest(store: Store, match: Match, history: Sequence[HistoryEntry], now: datetime,
                config: Config, boss_week: BossWeek | None = None) -> tuple[Digest, Rendered]:
    from manageup.compose import compose
    from manageup.render import render

    digest = compose(store.snapshot(), match, history, now, config, boss_week)
    return digest, render(digest, config.digest.templates_dir)


def run_cycle(config: Config, store: Store, sources: Sequence[Source], transport: Transport,
              now: datetime, dry_run: bool = False) -> CycleReport:
    """One cycle, while no other cycle runs on this store (daemon, timer or `run --once`):
    two at once would both find a digest due and both send it."""
    with store.cycle_lock() as mine:
        if not mine:
            log.warning("another manageup cycle is running on %s; this one is skipped",
                        store.path)
            return CycleReport(skipped=True)
        return _run_cycle(config, store, sources, transport, now, dry_run)


def _run_cycle(config: Config, store: Store, sources: Sequence[Source], transport: Transport,
               now: datetime, dry_run: bool = False) -> CycleReport:
    report = CycleReport()
    gathered = gather(sources, config, now, store, readonly=dry_run)
    report.gathered = gathered
    for failure in gathered.failures:
        log.error("%s", failure)
    for warning in gathered.fresh:
        log.warning("%s", warning)
    seen = history_of(gathered.occurrences, config)
    if not dry_run:
        store.record_history(to_record(seen, now), now)
    history = merged_history(store.history(), seen)
    _mark_missed(store, now, report, dry_run)
    if not dry_run:
        upkeep(config, store, transport, now)

    if gathered.auth_failed and not dry_run:
        notice_dead_sign_ins(config, store, transport, now)
    week = _BossWeek(sources, config, now)
    for match in upcoming(detect(gathered.occurrences, config), now):
        occ = match.occurrence
        try:
            _handle(config, store, transport, match, history, now, dry_run, report, week)
        except ManageupError as e:
            log.error("%s (%s): %s", occ.title, occ.start.isoformat(), e)
            report.failed.append(occ.key)
        except BrokenPipeError:
            raise  # stdout closed (`| head`): no event's fault; the CLI ends quietly
        except Exception as e:  # one bad event must never end the cycle
            log.error("unexpected error preparing %s (%s: %s); skipped this time, run with "
                      "-v for the details", occ.key, type(e).__name__, e)
            log.debug("preparing %s failed", occ.key, exc_info=True)
            report.failed.append(occ.key)
    try:
        _nudges(config, store, transport, now, dry_run, report, history)
    except ManageupError as e:
        log.error("review reminder: %s", e)
    return report


def _mark_missed(store: Store, now: datetime, report: CycleReport, dry_run: bool) -> None:
    # A ledger row's start is its deadline: the meeting's start for a digest, and a later
    # time for a reminder or a notice (see NUDGE_WINDOW and NOTICE_WINDOW).
    for row in store.ledger():
        if row.open and row.start <= now:
            log.error("digest for %s was never delivered before the meeting started "
                      "(last error: %s)", row.key, row.last_error or "none")
            report.missed.append(row.key)
            if not dry_run:
                store.mark_missed(row, now)


class _BossWeek:
    """Asked of Google once per cycle, and only when a digest is actually composed."""

    def __init__(self, sources: Sequence[Source], config: Config, now: datetime) -> None:
        self.sources = [s for s in sources if isinstance(s, SeesBossWeek)]
        self.config, self.now = config, now
        self.value: BossWeek | None = None
        self.asked = False

    def get(self) -> BossWeek | None:
        if not self.asked and self.sources:
            self.asked = True
            try:
                self.value = self.sources[0].boss_week(self.now, self.config.zone)
            except ManageupError as e:
                log.warning("the boss's week is not available: %s", e)
        return self.value


def _handle(config: Config, store: Store, transport: Transport, match: Match,
            history: Sequence[HistoryEntry], now: datetime, dry_run: bool,
            report: CycleReport, week: _BossWeek | None = None) -> None:
    occ = match.occurrence
    due = due_at(occ.start, config.digest.lead_time, config.digest.send_window, config.zone)
    row = store.ledger_get(occ.key, occ.start)
    if now < due - DUE_SLACK:
        if not row:
            report.waiting.append((occ.title, due))
        return
    if not should_try(row, now):
        return
    digest, rendered = make_digest(store, match, history, now, config,
                                   week.get() if week else None)
    from manageup.deliver import build_message
    from manageup.deliver.threads import SeriesThread

    msg = build_message(rendered, digest, config, now,
                        store.sent_message_ids(occ.uid, occ.start))
    if dry_run:
        transport.send(msg)
        report.sent.append(occ.key)
        return
    threaded = SeriesThread(transport, store, occ.uid, now)  # Gmail: the series' threadId
    record = SentDigest(occ.key, digest.item_ids, digest.question_ids, occ.start, occ.title,
                        digest.shown())
    if not send_once(store, threaded, msg, occ.key, occ.start, due, row, now, occ.title,
                      record=record):
        report.failed.append(occ.key)
        return
    if config.digest.archive_dir:
        _archive(config.digest.archive_dir, occ.start, occ.title, rendered)
    report.sent.append(occ.key)


def _archive(folder: Path, start: datetime, title: str, rendered: Rendered) -> None:
    """The digest as Markdown beside the user's notes (the text part's underlined headings
    are Markdown headings already)."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "1-1"
    path = folder / f"{start:%Y-%m-%d-%H%M}-{slug}.md"
    try:
        private_dir(folder)
        replace_private(path, f"# {rendered.subject}\n\n{rendered.text}".encode())
    except OSError as e:
        log.error("could not archive the digest to %s: %s; check digest.archive_dir", path,
                  e.strerror)


def _shown_end(rec: DigestRecord) -> datetime:
    """The 1:1's end as its digest recorded it; `shown` is free JSON (an import may hold
    anything), so an end that is not a time with an offset counts as the start."""
    try:
        end = datetime.fromisoformat(rec.shown.get("end", rec.start.isoformat()))
    except (TypeError, ValueError, AttributeError):
        return rec.start
    return end if end.tzinfo is not None else rec.start


def _nudges(config: Config, store: Store, transport: Transport, now: datetime,
            dry_run: bool, report: CycleReport, history: Sequence[HistoryEntry] = ()) -> None:
    """A short reminder after a 1:1 to run `manageup review`; sent once, through the ledger,
    after the meeting's end as the calendar has it now (it may have moved since)."""
    after = config.review.nudge_after
    if after is None:
        return
    latest: dict[str, DigestRecord] = {}
    for rec in store.digests():  # a moved 1:1 has a digest per time: the last one counts
        if rec.key not in latest or rec.sent_at >= latest[rec.key].sent_at:
            latest[rec.key] = rec
    now_at = {h.key: h for h in history}
    for rec in latest.values():
        if rec.reviewed_at:
            continue
        end = _shown_end(rec)
        seen = now_at.get(rec.key)
        try:
            if seen is not None and seen.start != rec.start:
                if seen.status in ("cancelled", "declined"):
                    continue
                end = seen.start + (end - rec.start)  # moved after its digest went out
            due = end + after
            deadline = due + NUDGE_WINDOW
        except OverflowError:
            continue  # an end near year 9999 (an odd import): no reminder is due
        if not due <= now < deadline:
            continue  # not yet, or too stale to be useful
        key = f"nudge|{rec.key}"
        row = store.ledger_get(key, deadline)
        if not should_try(row, now):
            continue
        from manageup.deliver import build_nudge
        from manageup.review import plan

        msg = build_nudge(plan(store, rec), config, now)
        if dry_run:
            transport.send(msg)
        elif send_once(store, transport, msg, key, deadline, due, row, now,
                        f"review reminder for {rec.title}", kind=LedgerKind.NUDGE):
            report.sent.append(key)
