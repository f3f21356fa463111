"""Handlers for the verbs that read the calendars: run, preview, meetings, doctor.
Each parses, calls a plain function of manageup.pipeline, and prints."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from pathlib import Path

from manageup.cli.context import Context
from manageup.cli.output import paint
from manageup.errors import ManageupError
from manageup.files import write_private

log = logging.getLogger("manageup")


def run(ctx: Context) -> int:
    from manageup import pipeline
    from manageup.cycle import CycleReport, make_sources
    from manageup.deliver import make_transport

    args, config = ctx.args, ctx.config
    sources = make_sources(config, readonly=args.dry_run)
    transport = make_transport(config, dry_run=args.dry_run)
    fixed_now = ctx.now() if args.now else None

    def cycle(now: datetime) -> CycleReport:
        report = pipeline.cycle_with_store(config, sources, transport, fixed_now or now,
                                           args.dry_run)
        for title, due in report.waiting:
            log.info("next: %s, digest due %s", title, due.strftime("%a %d %b %H:%M"))
        return report

    if args.once:
        report = cycle(ctx.now())
        if args.dry_run and not report.sent:
            print("Nothing is due at this time. `manageup preview` shows the next digest anyway.")
        if report.gathered.failures and not report.gathered.occurrences:
            return 1
        return 1 if report.failed else 0
    from manageup.service import Daemon

    return Daemon(cycle, config.service.poll_interval.total_seconds(),
                  clock=lambda: datetime.now(config.zone),
                  watchdog=config.service.watchdog).run()


def preview(ctx: Context) -> int:
    from manageup import pipeline

    config = ctx.config
    found = pipeline.upcoming_meetings(config, ctx.now())
    store = ctx.store(readonly=True)
    try:
        result = pipeline.next_digest(config, store, found)
    finally:
        store.close()
    if result is None:
        raise ManageupError(f"no 1:1 with {config.boss.name or config.boss.email} in "
                            f"the next {config.detect.lookahead.days} days; "
                            "`manageup meetings` shows what was found")
    _match, _digest, rendered = result
    print(f"Subject: {rendered.subject}\n")
    print(rendered.text, end="")
    if ctx.args.html:
        path = Path(ctx.args.html)
        write_private(path, rendered.html)
        print(f"\nHTML part written to {path}", file=sys.stderr)
        if ctx.args.open:
            import webbrowser

            webbrowser.open(path.resolve().as_uri())
    return 0


def meetings(ctx: Context) -> int:
    from manageup import pipeline

    config = ctx.config
    found = pipeline.upcoming_meetings(config, ctx.now())
    if ctx.args.json:
        rows = [pipeline.meeting_row(m, config) for m in found.matches]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not found.matches:
        print(f"No 1:1 with your boss in the next {config.detect.lookahead.days} days. "
              "Check boss.email, boss.aliases and detect.title_patterns.")
    for m in found.matches:
        o = m.occurrence
        print(f"{o.start:%a %d %b %H:%M}-{o.end:%H:%M}  {paint(o.title, 'bold')}")
        print(f"    why: {m.reason}")
    for w in found.gathered.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def doctor(ctx: Context) -> int:
    from manageup.doctor import run_checks

    failed = 0
    for ok, line in run_checks(ctx.config_arg, now=datetime.now().astimezone()):
        mark = paint("ok  ", "green") if ok else paint("FAIL", "red")
        print(f"{mark}  {line}")
        failed += not ok
    print(f"\n{'All checks passed.' if not failed else f'{failed} problem(s) found.'}")
    return 1 if failed else 0
