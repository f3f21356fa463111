"""`--dry-run` is the same cycle as the real one, over a scratch copy of the store with the
stdout transport (issue 22.2): on the same input it prints exactly what the real cycle
sends, and it writes nothing at all (no store, no backup, no archive)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from manageup.accounts import mark_dead
from manageup.cycle import cycle_with_store, make_sources
from manageup.deliver.stdout import StdoutTransport
from manageup.errors import SignInExpired
from manageup.sources import FetchResult
from manageup.store import Store
from tests.conftest import ICS, at

START = at("2026-11-04T06:00+01:00")


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_dry_run_prints_what_the_real_cycle_sends_and_writes_nothing(
        make_config, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    _p, cfg = make_config(ICS / "weekly_moved_cancelled_exdate.ics",
                          f'[digest]\nlead_time = "24h"\narchive_dir = "{archive}"\n'
                          '[review]\nnudge_after = "1h"\n')
    sources = make_sources(cfg)
    now, printed = START, ""
    while now < START + timedelta(days=10):
        before = files(tmp_path)
        dry, real = io.StringIO(), io.StringIO()
        dry_report = cycle_with_store(cfg, sources, StdoutTransport(dry), now, dry_run=True)
        assert files(tmp_path) == before, now  # not the store, a backup, nor the archive
        real_report = cycle_with_store(cfg, sources, StdoutTransport(real), now,
                                       dry_run=False)
        assert dry.getvalue() == real.getvalue(), now
        assert (dry_report.sent, dry_report.failed, dry_report.waiting) == \
            (real_report.sent, real_report.failed, real_report.waiting)
        printed += real.getvalue()
        now += timedelta(hours=5)
    # The 1:1s of 5 and 13 Nov (moved there from the 12th): a digest and a reminder each.
    assert printed.count("Subject: Prep: ") == 2
    assert printed.count("Subject: How did it go? ") == 2
    assert len(list(archive.iterdir())) == 2  # the real cycles' digests, kept as Markdown


def test_dry_run_shows_the_review_reminder_the_real_run_sends(make_config) -> None:
    _p, cfg = make_config(ICS / "weekly_moved_cancelled_exdate.ics",
                          '[digest]\nlead_time = "24h"\n[review]\nnudge_after = "1h"\n')
    sources = make_sources(cfg)
    cycle_with_store(cfg, sources, StdoutTransport(io.StringIO()),
                     at("2026-11-04T12:00+01:00"), dry_run=False)  # the digest of 5 Nov
    after = at("2026-11-05T12:00+01:00")
    dry, real = io.StringIO(), io.StringIO()
    report = cycle_with_store(cfg, sources, StdoutTransport(dry), after, dry_run=True)
    cycle_with_store(cfg, sources, StdoutTransport(real), after, dry_run=False)
    assert "Subject: How did it go? Sam / Alex, Thu 05 Nov" in dry.getvalue()
    assert dry.getvalue() == real.getvalue()
    assert [k for k in report.sent if k.startswith("nudge|")]


class DeadGoogle:
    """A calendar whose sign-in the provider refuses, as GoogleSource reports it."""

    label = "Work (Google)"

    def fetch(self, start: datetime, end: datetime, zone: ZoneInfo) -> FetchResult:
        raise SignInExpired("Google sign-in is invalid; run: manageup auth google",
                            account="google")


def test_dry_run_shows_the_sign_in_notice_the_real_run_sends(make_config) -> None:
    """The notices are the cycle's too: the dry run once skipped them."""
    _p, cfg = make_config()
    now = at("2026-11-04T12:00+01:00")
    store = Store.open(cfg.store.path)
    mark_dead(store, "google", "invalid_grant", now - timedelta(hours=1))
    store.close()
    dry, real = io.StringIO(), io.StringIO()
    cycle_with_store(cfg, [DeadGoogle()], StdoutTransport(dry), now, dry_run=True)
    assert "Subject: manageup cannot read your Google calendar" in dry.getvalue()
    cycle_with_store(cfg, [DeadGoogle()], StdoutTransport(real), now, dry_run=False)
    assert dry.getvalue() == real.getvalue()
