"""Command line: parses arguments, calls plain functions, prints. Errors are handled once."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from manageup import __version__
from manageup.errors import ManageupError, UsageError
from manageup.model import KINDS, PROBE_FIELDS, RISK_FIELDS

log = logging.getLogger("manageup")

# Friendly option names for kind-specific fields.
FIELD_OPTIONS = {
    "corrective_action": ("--action", "risk: what you did or will do about it"),
    "prevention_plan": ("--prevention", "risk: how it will not happen again"),
    "obstacles": ("--obstacles", "risk: what stood in the way"),
    "why_it_matters": ("--why", "goal: why it matters to the boss"),
    "what_gets_in_the_way": ("--blocker", "goal: what gets in the way"),
    "what_it_costs": ("--cost", "goal: what it costs while unsolved"),
    "how_i_can_help": ("--help-how", "goal: how your work can help"),
}

EPILOG = """\
examples:
  manageup meetings                 upcoming 1:1s with your boss, and why each matched
  manageup preview                  the next 1:1's digest, printed now
  manageup add owe "Send Q3 numbers" --due 2026-12-01
  manageup add risk "Launch slips a week" --action "Moved QA earlier"
  manageup run --once --dry-run     what a cycle would send right now, sending nothing
  manageup run                      the daemon (under systemd: see systemd/)

config: --config PATH, else $MANAGEUP_CONFIG, else ~/.config/manageup/config.toml
exit codes: 0 ok, 2 usage or config error, 1 anything else
"""


# --- logging ------------------------------------------------------------------------------


class _JournalFormatter(logging.Formatter):
    """Prefix <N> so journald records the right priority for each line."""

    LEVELS: ClassVar[dict[int, int]] = {
        logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3,
              logging.CRITICAL: 2}

    def format(self, record: logging.LogRecord) -> str:
        return f"<{self.LEVELS.get(record.levelno, 6)}>{super().format(record)}"


def setup_logging(verbosity: int, daemon: bool = False) -> None:
    level = logging.INFO if daemon else logging.WARNING
    level = max(logging.DEBUG, min(logging.ERROR, level - 10 * verbosity))
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(_JournalFormatter("%(message)s"))
    else:
        handler.setFormatter(logging.Formatter("manageup: %(levelname)s: %(message)s"
                                               if not daemon else
                                               "%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("googleapiclient", "mail.log", "keyring", "caldav", "msal"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


# --- parsing helpers ---------------------------------------------------------------------


def parse_now(text: str | None, zone: ZoneInfo) -> datetime:
    if not text:
        return datetime.now(zone)
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--now {text!r}: expected ISO-8601, e.g. 2026-11-23T09:00 or "
                         "2026-11-23T09:00+01:00") from None
    return dt.replace(tzinfo=zone) if dt.tzinfo is None else dt.astimezone(zone)


def parse_due(text: str, today: date) -> date:
    t = text.strip().lower()
    if t == "today":
        return today
    if t == "tomorrow":
        return today + timedelta(days=1)
    m = re.fullmatch(r"\+(\d+)d", t)
    if m:
        return today + timedelta(days=int(m.group(1)))
    try:
        return date.fromisoformat(t)
    except ValueError:
        raise UsageError(f"--due {text!r}: expected a date like 2026-12-01, today, "
                         "tomorrow or +3d") from None


# --- commands ------------------------------------------------------------------------------


class App:
    """What every command needs, loaded lazily so `--help` stays fast."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._config: Any = None

    @property
    def config(self) -> Any:
        if self._config is None:
            from manageup.config import find_config, load_config

            self._config = load_config(find_config(self.args.config))
        return self._config

    def now(self) -> datetime:
        return parse_now(getattr(self.args, "now", None), self.config.zone)

    def store(self, readonly: bool = False) -> Any:
        from manageup.store import Store

        return Store.open(self.config.store.path, readonly=readonly)


def cmd_run(app: App) -> int:
    from manageup.cycle import make_sources, run_cycle
    from manageup.deliver import make_transport

    args = app.args
    config = app.config
    sources = make_sources(config, readonly=args.dry_run)
    transport = make_transport(config, dry_run=args.dry_run)
    fixed_now = app.now() if args.now else None

    def cycle(now: datetime) -> Any:
        store = app.store(readonly=args.dry_run)
        try:
            report = run_cycle(config, store, sources, transport, fixed_now or now,
                               dry_run=args.dry_run)
        finally:
            store.close()
        for title, due in report.waiting:
            log.info("next: %s, digest due %s", title, due.strftime("%a %d %b %H:%M"))
        return report

    if args.once:
        report = cycle(app.now())
        if args.dry_run and not report.sent:
            print("Nothing is due at this time. `manageup preview` shows the next digest anyway.")
        if report.gathered.failures and not report.gathered.occurrences:
            return 1
        return 1 if report.failed else 0
    from manageup.service import Daemon

    return Daemon(cycle, config.service.poll_interval.total_seconds(),
                  clock=lambda: datetime.now(config.zone),
                  watchdog=config.service.watchdog).run()


def _next_match(app: App, now: datetime) -> tuple[Any, Any, Any]:
    from manageup.cycle import gather, history_of, make_sources, merged_history, upcoming
    from manageup.detect import detect

    config = app.config
    gathered = gather(make_sources(config, readonly=True), config, now)
    if gathered.failures and not gathered.occurrences:
        raise ManageupError("no calendar could be read:\n  " + "\n  ".join(gathered.failures))
    for failure in gathered.failures:
        log.warning("%s", failure)
    matches = upcoming(detect(gathered.occurrences, config), now)
    return matches, gathered, lambda stored: merged_history(
        stored, history_of(gathered.occurrences, config))


def cmd_preview(app: App) -> int:
    from manageup.cycle import make_digest

    now = app.now()
    matches, _g, history = _next_match(app, now)
    if not matches:
        raise ManageupError(f"no 1:1 with {app.config.boss.name or app.config.boss.email} in "
                            f"the next {app.config.detect.lookahead.days} days; "
                            "`manageup meetings` shows what was found")
    store = app.store(readonly=True)
    try:
        _digest, rendered = make_digest(store, matches[0], history(store.history()), now,
                                        app.config)
    finally:
        store.close()
    print(f"Subject: {rendered.subject}\n")
    print(rendered.text, end="")
    if app.args.html:
        path = Path(app.args.html)
        _write_file(path, rendered.html)
        print(f"\nHTML part written to {path}", file=sys.stderr)
        if app.args.open:
            import webbrowser

            webbrowser.open(path.resolve().as_uri())
    return 0


def _write_file(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as e:
        raise ManageupError(f"cannot write {path}: {e.strerror}") from None


def cmd_meetings(app: App) -> int:
    from manageup.timing import due_at

    now = app.now()
    config = app.config
    matches, gathered, _h = _next_match(app, now)
    rows = []
    for m in matches:
        o = m.occurrence
        rows.append({
            "uid": o.uid,
            "key": o.key,
            "start": o.start.isoformat(),
            "end": o.end.isoformat(),
            "title": o.title,
            "reason": m.reason,
            "recurrence_id": o.original_start.isoformat() if o.original_start else None,
            "location": o.location,
            "calendar": o.calendar,
            "digest_due": due_at(o.start, config.digest.lead_time, config.digest.send_window,
                                 config.zone).isoformat(),
        })
    if app.args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print(f"No 1:1 with your boss in the next {config.detect.lookahead.days} days. "
              "Check boss.email, boss.aliases and detect.title_patterns.")
    for m in matches:
        o = m.occurrence
        print(f"{o.start:%a %d %b %H:%M}-{o.end:%H:%M}  {o.title}")
        print(f"    why: {m.reason}")
    for w in gathered.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _field_values(args: argparse.Namespace) -> dict[str, str]:
    return {f: getattr(args, f) for f in FIELD_OPTIONS if getattr(args, f, None) is not None}


def cmd_add(app: App) -> int:
    args = app.args
    if args.kind not in KINDS:
        raise UsageError(f"unknown kind {args.kind!r}; use one of: {', '.join(KINDS)}")
    now = app.now()
    due = parse_due(args.due, now.date()) if args.due else None
    from manageup.store import check_item

    fields = _field_values(args)
    check_item(args.kind, args.text, fields)
    store = app.store()
    try:
        item_id = store.add_item(args.kind, args.text, now, due=due, fields=fields)
    finally:
        store.close()
    print(f"added {args.kind} #{item_id}")
    return 0


def _print_item(i: Any) -> None:
    due = f" due {i.due}" if i.due else ""
    status = "" if i.status == "open" else f" ({i.status})"
    print(f"#{i.id:<4} {i.kind:<6} {i.text}{due}{status}")
    for k, v in i.fields.items():
        print(f"{'':12}{k.replace('_', ' ')}: {v}")


def cmd_list(app: App) -> int:
    args = app.args
    if args.kind and args.kind not in KINDS:
        raise UsageError(f"unknown kind {args.kind!r}; use one of: {', '.join(KINDS)}")
    store = app.store(readonly=True)
    try:
        items = store.items(kind=args.kind, include_closed=args.all)
    finally:
        store.close()
    if args.json:
        print(json.dumps([_item_json(i) for i in items], indent=2, ensure_ascii=False))
        return 0
    if not items:
        print("Nothing recorded yet. Start with: manageup add need \"...\"")
    for i in items:
        _print_item(i)
    return 0


def _item_json(i: Any) -> dict[str, Any]:
    return {"id": i.id, "kind": i.kind, "text": i.text, "status": i.status,
            "created": i.created.isoformat(), "due": i.due.isoformat() if i.due else None,
            "fields": i.fields, "appearances": i.appearances}


def _status(status: str) -> Callable[[App], int]:
    def cmd(app: App) -> int:
        store = app.store()
        try:
            item = store.set_status(app.args.id, status, app.now())
        finally:
            store.close()
        print(f"#{item.id} {item.kind} is {status}: {item.text}")
        return 0

    return cmd


def cmd_probe(app: App) -> int:
    args = app.args
    field = args.field.replace("-", "_")
    aliases = {"why": "why_it_matters", "blocker": "what_gets_in_the_way",
               "cost": "what_it_costs", "help": "how_i_can_help"}
    field = aliases.get(field, field)
    if field not in PROBE_FIELDS:
        raise UsageError(f"unknown probe {args.field!r}; use one of: "
                         f"{', '.join(PROBE_FIELDS)} (or why, blocker, cost, help)")
    store = app.store()
    try:
        item = store.get_item(args.goal_id)
        if item.kind != "goal":
            raise UsageError(f"#{item.id} is a {item.kind}, not a goal")
        store.update_item(item.id, fields={field: args.text})
    finally:
        store.close()
    print(f"goal #{item.id}: recorded {field.replace('_', ' ')}")
    return 0


def cmd_edit(app: App) -> int:
    args = app.args
    now = app.now()
    fields = _field_values(args)
    if args.text is None and args.due is None and not args.no_due and not fields:
        raise UsageError("nothing to change; give --text, --due, --no-due or a field option")
    due = parse_due(args.due, now.date()) if args.due else None
    store = app.store()
    try:
        item = store.update_item(args.id, text=args.text, due=due, clear_due=args.no_due,
                                 fields=fields)
    finally:
        store.close()
    _print_item(item)
    return 0


def cmd_export(app: App) -> int:
    store = app.store(readonly=True)
    try:
        data = store.export()
    finally:
        store.close()
    if app.args.format == "markdown":
        from manageup.store import markdown

        text = markdown(data)
    else:
        text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if app.args.output:
        _write_file(Path(app.args.output), text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_import(app: App) -> int:
    path = Path(app.args.file)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"no file at {path}") from None
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read {path} as JSON: {e}") from None
    store = app.store()
    try:
        counts = store.import_(data)
    finally:
        store.close()
    print("imported " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    return 0


def cmd_doctor(app: App) -> int:
    from manageup.doctor import run_checks

    failed = 0
    for ok, line in run_checks(app.args.config, now=datetime.now().astimezone()):
        print(f"{'ok  ' if ok else 'FAIL'}  {line}")
        failed += not ok
    print(f"\n{'All checks passed.' if not failed else f'{failed} problem(s) found.'}")
    return 1 if failed else 0


def cmd_review(app: App) -> int:
    from manageup import review

    args = app.args
    now = app.now()
    store = app.store()
    try:
        if args.list:
            for d in store.digests():
                mark = "reviewed" if d.reviewed_at else "not reviewed"
                print(f"{d.id:>4}  {d.start:%a %d %b %H:%M}  {d.title}  ({mark})")
            return 0
        rec = review.pick(store, args.meeting, now)
        p = review.plan(store, rec)
        flags = (args.done, args.drop, args.answer, args.advice, args.flagged, args.add)
        if any(flags):
            summary = review.apply_flags(
                store, p, now, done=args.done or (), drop=args.drop or (),
                answers=[tuple(a) for a in args.answer or ()], advice=args.advice or "",
                flagged=args.flagged or (), add=[tuple(a) for a in args.add or ()])
        else:
            if not sys.stdin.isatty():
                raise UsageError("review asks questions and needs a terminal; without one, "
                                 "use the flags (--done, --drop, --answer, ...; see --help)")
            summary = review.Summary()
            try:
                summary = review.interactive(store, p, now, _ask, print)
            except (KeyboardInterrupt, EOFError):
                print("\nStopped; what you answered so far is saved.")
                return 130
    finally:
        store.close()
    print("\n".join(summary.changed) if summary.changed else "Nothing changed.")
    return 0


def _ask(prompt: str) -> str:
    return input(prompt)


def cmd_auth(app: App) -> int:
    from manageup import google, secrets

    config = app.config
    args = app.args
    if args.provider == "microsoft":
        return _auth_microsoft(app)
    path = Path(args.client_secret).expanduser() if args.client_secret else \
        config.google.client_secret
    if path is None:
        raise UsageError("which OAuth client? pass --client-secret FILE or set "
                         "google.client_secret")
    gmail = config.delivery.method == "gmail"
    # No display (an SSH session, a server): print the address instead of opening a browser.
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    token = google.sign_in(path, google.scopes_for(gmail), args.port or config.google.port,
                           open_browser=has_display and not args.no_browser)
    secrets.store(google.TOKEN_NAME, token)
    store = app.store()
    try:
        store.set_flag(google.AUTH_FLAG, None, datetime.now(config.zone))
    finally:
        store.close()
    print("Signed in to Google; the sign-in is kept in your keyring.")
    return 0


def _auth_microsoft(app: App) -> int:
    from manageup import microsoft

    config = app.config
    cal = next((c for c in config.calendars if c.type == "microsoft"), None)
    if cal is None:
        raise UsageError('no [[calendars]] table with type = "microsoft" and client_id; '
                         "add one first (see the README)")
    user = microsoft.sign_in(cal, lambda text: print(text, flush=True))
    store = app.store()
    try:
        store.set_flag(microsoft.AUTH_FLAG, None, datetime.now(config.zone))
    finally:
        store.close()
    print(f"Signed in to Microsoft 365 as {user or 'your account'}; the sign-in is kept in "
          "your keyring.")
    return 0


def cmd_secret(app: App) -> int:
    import getpass

    from manageup import secrets

    if not sys.stdin.isatty():
        value = sys.stdin.readline().rstrip("\r\n")
    else:
        value = getpass.getpass(f"{app.args.name} password: ")
    if not value:
        raise UsageError("empty secret; nothing stored")
    secrets.store(app.args.name, value)
    print(f"stored the {app.args.name} secret in the keyring (service manageup)")
    return 0


# --- parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="manageup",
        description="Prep digests for your 1:1s with your boss: read your calendars, find "
                    "the 1:1s, and e-mail you what to raise before each one.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", metavar="PATH", help="config file (default: $MANAGEUP_CONFIG "
                   "or ~/.config/manageup/config.toml)")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more log detail")
    p.add_argument("-q", "--quiet", action="count", default=0, help="less log detail")
    p.add_argument("--version", action="version", version=f"manageup {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def now_opt(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--now", metavar="T", help="act as of this ISO-8601 time "
                        "(default: the real clock)")

    r = sub.add_parser("run", help="run the daemon (or one cycle with --once)",
                       description="Read the calendars every poll interval and send each "
                       "digest when it is due. Stops cleanly on SIGTERM or Ctrl-C.")
    r.add_argument("--once", action="store_true", help="run one cycle and exit")
    r.add_argument("--dry-run", action="store_true",
                   help="print what would be sent; send and record nothing")
    now_opt(r)
    r.set_defaults(func=cmd_run)

    pv = sub.add_parser("preview", help="print the next 1:1's digest now",
                        description="Compose the digest for the next 1:1, whatever its send "
                        "time, and print it. Records nothing.")
    now_opt(pv)
    pv.add_argument("--html", metavar="FILE", help="also write the HTML part to FILE")
    pv.add_argument("--open", action="store_true", help="open the HTML file in a browser")
    pv.set_defaults(func=cmd_preview)

    m = sub.add_parser("meetings", help="list the upcoming 1:1s found and why",
                       description="List upcoming 1:1s with your boss, each with the reason "
                       "it matched.")
    now_opt(m)
    m.add_argument("--json", action="store_true", help="print JSON (uid, start, end, title, "
                   "reason, ...)")
    m.set_defaults(func=cmd_meetings)

    a = sub.add_parser("add", help="record a need, owe, goal, risk, career, win or topic",
                       description="Record an item for your next 1:1s. KIND is one of: "
                       + ", ".join(KINDS) + ".\n  need: what you need from your boss\n"
                       "  owe: what you promised your boss\n  goal: one of your boss's "
                       "goals\n  risk: something to flag before they hear it elsewhere\n"
                       "  career: one of your own career goals\n  win, topic: to share",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("kind", metavar="KIND")
    a.add_argument("text", metavar="TEXT")
    a.add_argument("--due", metavar="DATE", help="YYYY-MM-DD, today, tomorrow or +Nd")
    now_opt(a)
    for f in RISK_FIELDS + PROBE_FIELDS:
        opt, helptext = FIELD_OPTIONS[f]
        a.add_argument(opt, dest=f, metavar="TEXT", help=helptext)
    a.set_defaults(func=cmd_add)

    ls = sub.add_parser("list", help="list recorded items")
    ls.add_argument("--kind", metavar="KIND", help="only this kind")
    ls.add_argument("--all", action="store_true", help="include done and dropped items")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=cmd_list)

    for name, status, text in (("done", "done", "mark an item done"),
                               ("drop", "dropped", "drop an item without doing it"),
                               ("reopen", "open", "open a closed item again")):
        sp = sub.add_parser(name, help=text)
        sp.add_argument("id", type=int, metavar="ID")
        now_opt(sp)
        sp.set_defaults(func=_status(status))

    pr = sub.add_parser("probe", help="record the boss's answer about one of their goals",
                        description="FIELD is one of: why_it_matters, what_gets_in_the_way, "
                        "what_it_costs, how_i_can_help (or why, blocker, cost, help).")
    pr.add_argument("goal_id", type=int, metavar="GOAL_ID")
    pr.add_argument("field", metavar="FIELD")
    pr.add_argument("text", metavar="TEXT")
    pr.set_defaults(func=cmd_probe)

    e = sub.add_parser("edit", help="change an item's text, due date or fields")
    e.add_argument("id", type=int, metavar="ID")
    e.add_argument("--text", help="new text")
    e.add_argument("--due", metavar="DATE", help="new due date")
    e.add_argument("--no-due", action="store_true", help="remove the due date")
    now_opt(e)
    for f in RISK_FIELDS + PROBE_FIELDS:
        opt, helptext = FIELD_OPTIONS[f]
        e.add_argument(opt, dest=f, metavar="TEXT", help=helptext + " (empty clears it)")
    e.set_defaults(func=cmd_edit)

    ex = sub.add_parser("export", help="write the whole store as JSON")
    ex.add_argument("--format", choices=["json", "markdown"], default="json",
                    help="json (lossless, for import) or markdown (to read)")
    ex.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    ex.set_defaults(func=cmd_export)

    im = sub.add_parser("import", help="load an export into the store")
    im.add_argument("file", metavar="FILE")
    im.set_defaults(func=cmd_import)

    d = sub.add_parser("doctor", help="check config, calendars, store, mail and secrets",
                       description="Check each part and say what to fix. Sends no mail.")
    d.set_defaults(func=cmd_doctor)

    rv = sub.add_parser("review", help="after a 1:1: record what happened",
                        description="Walk through what the last 1:1's digest raised: each "
                        "ask done, open or dropped; the boss's answer to the suggested goal "
                        "question; career advice; risks flagged; anything new. Without a "
                        "terminal, use the flags.")
    rv.add_argument("--meeting", default="last", metavar="last|ID",
                    help="which 1:1 (default: the last one that started)")
    rv.add_argument("--list", action="store_true", help="list the digests sent, with ids")
    rv.add_argument("--done", type=int, nargs="+", metavar="ID", help="items done")
    rv.add_argument("--drop", type=int, nargs="+", metavar="ID", help="items dropped")
    rv.add_argument("--answer", nargs=2, action="append", metavar=("GOAL_ID", "TEXT"),
                    help="the boss's answer to that goal's suggested question")
    rv.add_argument("--advice", metavar="TEXT", help="the boss's career advice")
    rv.add_argument("--flagged", type=int, nargs="+", metavar="ID", help="risks you flagged")
    rv.add_argument("--add", nargs=2, action="append", metavar=("KIND", "TEXT"),
                    help="a new item")
    now_opt(rv)
    rv.set_defaults(func=cmd_review)

    au = sub.add_parser("auth", help="sign in to Google (calendar, and Gmail if used) or "
                        "Microsoft 365 (device code)",
                        description="Runs Google's sign-in for installed apps. Without a "
                        "browser on this machine, use --no-browser, open the printed address "
                        "elsewhere and forward the port: ssh -L 8765:localhost:8765 HOST")
    au.add_argument("provider", choices=["google", "microsoft"])
    au.add_argument("--client-secret", metavar="FILE", help="your OAuth client file "
                    "(default: google.client_secret)")
    au.add_argument("--port", type=int, help="local port to listen on (default 8765)")
    au.add_argument("--no-browser", action="store_true", help="print the address instead")
    au.set_defaults(func=cmd_auth)

    s = sub.add_parser("secret", help="store a password in the keyring")
    s.add_argument("action", choices=["set"])
    s.add_argument("name", choices=["smtp", "caldav"], help="which secret")
    s.set_defaults(func=cmd_secret)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose - args.quiet, daemon=args.command == "run")
    app = App(args)
    try:
        result: int = args.func(app)
        return result
    except ManageupError as e:
        print(f"manageup: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("manageup: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
