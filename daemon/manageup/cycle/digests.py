"""The prep digest of each 1:1 that is due: composed, rendered and sent through the
outbox, then kept as Markdown in the archive folder when one is set."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from manageup.config import Config
from manageup.detect import stranger
from manageup.errors import ManageupError
from manageup.files import private_dir, replace_private
from manageup.model import BossWeek, HistoryEntry, Match, Occurrence
from manageup.sources import SeesBossWeek
from manageup.store import SentDigest, Store
from manageup.timing import due_at

if TYPE_CHECKING:  # composing and sending load Jinja, CSS inlining and mail: only when due
    from manageup.cycle.context import Cycle
    from manageup.cycle.outbox import Letter, Mail
    from manageup.digestmodel import Digest
    from manageup.render import Rendered

log = logging.getLogger("manageup.cycle")  # part of the cycle, and logged as it

# The daemon wakes this much before a due time and counts it as due: with lead_time "0m"
# the due time is the start, and a cycle after it would find the 1:1 begun.
DUE_SLACK = timedelta(seconds=5)
STRANGER_GAP = timedelta(days=1)


def make_digest(store: Store, match: Match, history: Sequence[HistoryEntry], now: datetime,
                config: Config, boss_week: BossWeek | None = None,
                calendar: Sequence[Occurrence] = ()) -> tuple[Digest, Rendered]:
    """`calendar`: every occurrence read, for the user's out-of-office days."""
    from manageup.compose import compose
    from manageup.render import render

    digest = compose(store.snapshot(), match, history, now, config, boss_week, calendar)
    return digest, render(digest, config.digest.templates_dir)


class BossWeekOnce:
    """Asked of Google once per cycle, and only when a digest is actually composed."""

    def __init__(self, cycle: Cycle) -> None:
        self.sources = [s for s in cycle.sources if isinstance(s, SeesBossWeek)]
        self.config, self.now = cycle.config, cycle.now
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


def send_digest(cycle: Cycle, match: Match, history: Sequence[HistoryEntry],
                week: BossWeekOnce) -> None:
    """The 1:1's digest when it is due and owed; the report says what became of it."""
    # Here, not above: `preview` makes a digest (make_digest) and sends none.
    from manageup.cycle.outbox import Letter, Mail

    config, now, report, occ = cycle.config, cycle.now, cycle.report, match.occurrence
    due = due_at(occ.start, config.digest.lead_time, config.digest.send_window, config.zone)
    letter = Letter(occ.key, occ.start, due, occ.title, series=occ.uid)
    if now < due - DUE_SLACK:
        if cycle.outbox.row(letter) is None:
            report.waiting.append((occ.title, due))
        return
    if _too_soon(cycle, match, letter):
        return

    def build() -> Mail:
        from manageup.deliver import build_message

        digest, rendered = make_digest(cycle.store, match, history, now, config, week.get(),
                                       cycle.report.gathered.occurrences)
        msg = build_message(rendered, digest, config, now,
                            cycle.store.sent_message_ids(occ.uid, occ.start))
        record = SentDigest(occ.key, digest.item_ids, digest.question_ids, occ.start,
                            occ.title, digest.shown())
        folder = cycle.archive
        keep = (lambda: _archive(folder, occ.start, occ.title, rendered)) if folder else None
        return Mail(msg, record, keep)

    sent = cycle.outbox.post(letter, build)
    if sent is not None:
        (report.sent if sent else report.failed).append(occ.key)
    elif said := cycle.outbox.held(letter):
        report.stuck.append((occ.key, said))


def _too_soon(cycle: Cycle, match: Match, letter: Letter) -> bool:
    """A stranger's unanswered invitation (detect.stranger) gets at most one digest a day:
    each move makes a new due digest, and they can move it before every poll."""
    if cycle.outbox.row(letter) is not None or not stranger(match.occurrence, cycle.config):
        return False
    last = cycle.store.last_sent(letter.key)
    if last is None or cycle.now - last >= STRANGER_GAP:
        return False
    log.info("%s moved again; its organiser is not your boss and you have not answered, so "
             "no new digest before %s", letter.what, (last + STRANGER_GAP).isoformat())
    return True


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
