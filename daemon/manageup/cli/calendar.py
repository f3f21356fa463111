"""Handlers for the verbs that read the calendars: run, preview, meetings, doctor.
Each parses, calls a plain function of manageup.cycle, and prints."""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from pathlib import Path

from manageup.cli.context import Context
from manageup.cli.output import fit, paint
from manageup.errors import ManageupError
from manageup.files import write_private
from manageup.model import Match, Occurrence
from manageup.textutil import for_terminal, for_terminal_json

log = logging.getLogger("manageup")


def run(ctx: Context) -> int:
    from manageup.cycle import CycleReport, cycle_with_store, make_sources
    from manageup.cycle.run import outcome
    from manageup.cycle.watch import NoneFoundWatch
    from manageup.deliver import make_transport

    args, config = ctx.args, ctx.config
    sources = make_sources(config)
    transport = make_transport(config, dry_run=args.dry_run)
    fixed_now = ctx.now() if args.now else None
    watch = NoneFoundWatch(remember=not args.dry_run)
    told: set[str] = set()  # held digests logged: by the daemon once each, not every cycle

    def cycle(now: datetime) -> CycleReport:
        report = cycle_with_store(config, sources, transport, fixed_now or now, args.dry_run)
        for key, said in report.stuck:
            if key not in told:
                log.error("%s", said)
                told.add(key)
        if not (report.skipped or report.held):  # it read nothing: it says so, no more
            watch.after(config, fixed_now or now, report.gathered)
        for title, due in report.waiting:
            log.info("next: %s, digest due %s", title, due.strftime("%a %d %b %H:%M"))
        return report

    if args.once:
        report = cycle(ctx.now())
        if report.gathered.failures and not report.gathered.occurrences:
            return 1  # each failure is logged; whether anything is due is unknown
        said = _summary(outcome(report), bool(report.skipped or report.held), args.dry_run,
                        bool(report.sent))
        if said:
            print(for_terminal(said))
        return 1 if report.failed or report.stuck else 0
    from manageup.service import Daemon, daemon_lock

    daemon = Daemon(cycle, config.service.poll_interval.total_seconds(),
                    clock=lambda: datetime.now(config.zone), watchdog=config.service.watchdog)
    if args.dry_run:  # writes nothing: beside a real daemon it does no harm
        return daemon.run()
    with daemon_lock(config.store.path):
        return daemon.run()


def preview(ctx: Context) -> int:
    from manageup.cycle import queries

    config = ctx.config
    found = queries.upcoming_meetings(config, ctx.now())
    store = ctx.store(readonly=True)
    try:
        result = queries.next_digest(config, store, found)
    finally:
        store.close()
    if result is None:
        raise ManageupError(f"no 1:1 with {config.boss.name or config.boss.email} in "
                            f"the next {config.detect.lookahead.days} days; "
                            "`manageup meetings` shows what was found")
    _match, _digest, rendered = result
    for w in found.gathered.warnings:
        print(f"warning: {for_terminal(w)}", file=sys.stderr)
    print(for_terminal(f"Subject: {rendered.subject}\n"))
    print(for_terminal(rendered.text), end="")
    path = Path(ctx.args.html) if ctx.args.html else None
    if path:
        write_private(path, rendered.html)
        print(f"\nHTML part written to {path}", file=sys.stderr)
    elif ctx.args.open:
        path = _temporary_html(rendered.html)
    if ctx.args.open and path:
        import webbrowser

        if not webbrowser.open(path.resolve().as_uri()):
            raise ManageupError(f"no browser could be started; open {path} yourself, or "
                                "set BROWSER to your browser's command")
    return 0


def _temporary_html(html: str) -> Path:
    """A private file for the browser; left in the temporary folder, since the browser
    reads it after this process has ended."""
    import tempfile

    fd, name = tempfile.mkstemp(prefix="manageup-preview-", suffix=".html")  # 0600
    with open(fd, "w", encoding="utf-8") as f:
        f.write(html)
    return Path(name)


def meetings(ctx: Context) -> int:
    from manageup import explain
    from manageup.cycle import queries

    config, args, now = ctx.config, ctx.args, ctx.now()
    everything = queries.read_everything(config, now) if args.explain else None
    found = queries.upcoming_meetings(config, now, everything)
    misses = explain.near_misses(found.gathered.occurrences, config, now) \
        if args.explain else []
    why = queries.why_none(config, now, found.gathered, complete=args.explain) \
        if not found.matches else None
    hints = explain.prep_hints(found.matches, config)
    if args.json:
        rows: list[dict[str, object]] = [queries.meeting_row(m, config)
                                         for m in found.matches]
        rows += [{**queries.meeting_row(Match(n.occurrence, ""), config), "reason": None,
                  "matched": False, "why_not": n.why_not} for n in misses]
        print(for_terminal_json(rows, indent=2))
        for line in [*(why.lines() if why else []), *hints]:
            print(for_terminal(line), file=sys.stderr)
        return 0
    for line in why.lines() if why else []:
        print(fit(for_terminal(line)))
    for m in found.matches:
        print(f"{_when(m.occurrence)}  {paint(for_terminal(m.occurrence.title), 'bold')}")
        print(fit(f"    why: {for_terminal(m.reason)}"))
    for line in hints:
        print(paint(fit(for_terminal(line)), "yellow"))
    if args.explain:
        print(fit(f"\nNear misses ({len(misses)}): events with your boss or a 1:1 title "
                  "that did not count" + (":" if misses else ".")))
    for n in misses:
        print(f"{_when(n.occurrence)}  {for_terminal(n.occurrence.title)}")
        print(paint(fit(f"    why not: {for_terminal(n.why_not)}"), "yellow"))
    for w in found.gathered.warnings:
        print(f"warning: {for_terminal(w)}", file=sys.stderr)
    return 0


def _when(o: Occurrence) -> str:
    if o.all_day:
        return f"{o.start:%a %d %b} (all day)".ljust(22)
    return f"{o.start:%a %d %b %H:%M}-{o.end:%H:%M}"


def doctor(ctx: Context) -> int:
    from manageup.doctor import run_checks
    from manageup.words import plural

    failed = warned = 0
    for ok, line in run_checks(ctx.config_arg, now=datetime.now().astimezone()):
        mark = paint("ok  ", "green") if ok else paint("warn", "yellow") if ok is None \
            else paint("FAIL", "red")
        print(mark + fit(f"....  {for_terminal(line)}", hang="      ")[4:])
        failed += ok is False
        warned += ok is None
    also = f" ({plural(warned, 'warning')})" if warned else ""
    verdict = f"{plural(failed, 'problem')} found" if failed else "All checks passed"
    print(f"\n{verdict}{also}.")
    return 1 if failed else 0


def _summary(result: tuple[bool, str], idle: bool, dry_run: bool, sent: bool) -> str:
    """The line `run --once` ends with, dry or not: what went wrong if anything did (the
    errors above say why), else for a dry run that nothing is due; a real run that went
    well says nothing (a timer's journal would fill with it). Kept here, not in the cycle,
    so the cycle itself never asks whether it is a dry run."""
    ok, said = result
    if idle:
        return "This cycle did nothing; the warning above says why."
    if not ok:
        return f"{'Dry run: ' if dry_run else ''}{said}; the errors above say why."
    if dry_run and not sent:
        return "Nothing is due at this time. `manageup preview` shows the next digest anyway."
    return ""
