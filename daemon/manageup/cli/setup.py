"""Handler for `init`: flags or questions in, manageup.init checks and writes."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from manageup.cli.context import Context
from manageup.errors import ManageupError, UsageError
from manageup.textutil import bidi_closed, for_terminal
from manageup.words import plural

if TYPE_CHECKING:
    from manageup.explain import Partner
    from manageup.init import Answers
    from manageup.model import Occurrence

Ask = Callable[[str], str]


def _input(prompt: str) -> str:
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    try:
        return input(prompt)
    except EOFError:
        raise UsageError("no answer; run init again, or give the flags (see --help)") \
            from None


def _ask_valid(ask: Ask, field: str, question: str, default: str = "",
               partners: list[Partner] | None = None, me: str = "") -> str:
    from manageup import init as setup

    while True:
        raw = ask(f"{question}{f' [{default}]' if default else ''}: ").strip() or default
        if partners and raw.isdigit() and 1 <= int(raw) <= len(partners):
            raw = partners[int(raw) - 1].email
        if not raw:
            print("  an answer is needed here (Ctrl-C stops)")
            continue
        try:
            value = setup.check(field, raw, me)
        except UsageError as e:
            print(f"  {for_terminal(str(e))}")
            continue
        if field == "timezone":  # "berlin" in, Europe/Berlin out: say which
            print(for_terminal(f"  Time zone: {value}"))
        return value


def _print_partners(partners: list[Partner]) -> None:
    if not partners:
        print("No recurring two-person meetings found in the calendar.")
        return
    print("People you meet most in recurring two-person meetings:")
    for i, p in enumerate(partners, 1):
        name = f" ({bidi_closed(p.name)})" if p.name else ""
        print(for_terminal(f"  {i}. {p.email}{name}: {plural(p.count, 'meeting')}, "
                           f"e.g. {p.title!r}"))


def _suggest_beside(path: Path, me: str | None, calendar: str | None) -> int:
    """--suggest-boss with a config already there: read with it, write nothing."""
    from manageup import init as setup
    from manageup.config import load_config

    config = load_config(path)
    me = setup.check("me", me) if me else config.me.email
    calendar = setup.check("calendar", calendar) if calendar else ""
    _print_partners(setup.suggest_from(config, me, calendar, datetime.now(config.zone)))
    if me == config.me.email:
        print(for_terminal(f"Your config ({path}) names {config.boss.email} as your boss; "
                           "change boss.email there."))
    return 0


class _Calendar:
    """The calendar init was given, read at most once: for the suggestion of the boss and
    for the boss's name. Unreadable (offline, behind a VPN), it is only no help."""

    def __init__(self) -> None:
        self.occurrences: list[Occurrence] | None = None
        self.error: ManageupError | None = None

    def read(self, spec: str, zone_name: str) -> list[Occurrence]:
        from manageup import init as setup

        if self.occurrences is None and self.error is None:
            zone = ZoneInfo(zone_name or "UTC")
            try:
                self.occurrences = setup.read_calendar(spec, zone, datetime.now(zone))
            except ManageupError as e:
                self.error = e
        if self.error is not None:
            raise self.error
        return self.occurrences or []

    def boss_name(self, a: Answers) -> str:
        from manageup import init as setup

        try:
            return setup.boss_name(self.read(a.calendar, a.timezone), a.boss)
        except ManageupError:
            return ""


def init(ctx: Context) -> int:
    from manageup import init as setup
    from manageup.config import find_config

    args = ctx.args
    path = find_config(ctx.config_arg)
    if path.exists() and not args.force:
        if args.suggest_boss:
            return _suggest_beside(path, args.me, args.calendar)
        raise UsageError(f"{path} already exists; `manageup doctor` checks it, and --force "
                         "replaces it")
    terminal = sys.stdin.isatty()
    a = setup.Answers(name=args.name or "", boss_name=args.boss_name or "")
    for field in ("me", "boss", "calendar", "timezone"):
        if getattr(args, field):
            a = setup.with_value(a, field, setup.check(field, getattr(args, field), a.me))
    default_zone = a.timezone or setup.local_timezone()
    if not terminal and not default_zone and a.calendar:
        default_zone = setup.calendar_zone(a.calendar)
        if default_zone:
            print(for_terminal(f"Time zone: {default_zone}, the one your calendar uses "
                               "(--timezone sets another)."))
    if not terminal:
        a = setup.with_value(a, "timezone", default_zone)
    calendar = _Calendar()
    partners: list[Partner] | None = None
    if args.suggest_boss or (terminal and not a.boss):
        for field, _flag, question in setup.REQUIRED[:2]:
            if not getattr(a, field):
                if not terminal:
                    raise UsageError(f"--suggest-boss needs --me and --calendar; missing "
                                     f"--{field}")
                a = setup.with_value(a, field, _ask_valid(_input, field, question))
        try:
            partners = setup.suggest_boss(calendar.read(a.calendar, default_zone), a.me)
        except ManageupError as e:
            if args.suggest_boss:
                raise
            # Unasked for, the suggestion is a help: offline or behind a VPN, init goes on.
            print(for_terminal(f"(cannot suggest your boss: {e})"))
        else:
            _print_partners(partners)
        if not terminal and not a.boss:
            return 0  # proposals only; run again with --boss
    if terminal:
        a = _ask_missing(a, default_zone, partners or [], calendar)
    elif setup.missing(a):
        raise UsageError("missing " + ", ".join(r[1] for r in setup.missing(a))
                         + "; on a terminal, init asks for it")
    elif not a.boss_name:
        a = setup.with_value(a, "boss_name", calendar.boss_name(a))
    written = setup.write(path, a, datetime.now(ZoneInfo(a.timezone)), args.force)
    print(f"Wrote {written} (only you can read it).")
    _print_summary(a, args.boss_name)
    return 0


def _print_summary(a: Answers, given_name: str | None) -> None:
    from manageup.config import data_dir

    if a.boss_name and not given_name:
        print(for_terminal(f"Your boss: {bidi_closed(a.boss_name)} <{a.boss}>, the name "
                           "from your calendar (--boss-name sets another)."))
    elif not a.boss_name:
        print(for_terminal(f"Your boss: {a.boss}; no name found in your calendar: set "
                           "boss.name, or run init again with --boss-name, so digests greet "
                           "them by name."))
    print(for_terminal(f"Digests go to the Maildir {data_dir() / 'Maildir'} (any mail client "
                       "reads it); set [delivery] in the config for smtp or gmail.\nNext:\n"
                       "  manageup meetings          the 1:1s it finds, and why\n"
                       "  manageup doctor            checks everything\n"
                       "  manageup service install   runs it in the background"))


def _ask_missing(a: Answers, default_zone: str, partners: list[Partner],
                 calendar: _Calendar) -> Answers:
    from manageup import init as setup

    for field, _flag, question in setup.REQUIRED:
        if getattr(a, field):
            continue
        default = ""
        if field == "timezone":  # the calendar's own zone first: this machine may be UTC
            default = setup.calendar_zone(a.calendar) or default_zone
        if field == "boss" and partners:
            question += " (or a number above)"
        a = setup.with_value(a, field, _ask_valid(_input, field, question, default,
                                                  partners if field == "boss" else None,
                                                  a.me))
    if not a.name:
        a = setup.with_value(a, "name", _input("Your first name (optional): ").strip())
    if not a.boss_name:
        known = calendar.boss_name(a)
        hint = f" [{known}]" if known else " (optional)"
        a = setup.with_value(a, "boss_name", _input(f"Your boss's name{hint}: ").strip()
                             or known)
    return a


def config(ctx: Context) -> int:
    """`config --example`: the annotated example shipped inside the package; without it,
    which config file manageup reads."""
    if ctx.args.example:
        from importlib.resources import files

        example = files("manageup").joinpath("config.example.toml").read_text("utf-8")
        print(example, end="")
        return 0
    from manageup.config import find_config

    path = find_config(ctx.config_arg)
    state = "" if path.exists() else " (not there yet: `manageup init` writes it)"
    print(for_terminal(f"{path}{state}\nEvery key, with its default and meaning: "
                       "manageup config --example"))
    return 0
