"""The `review` handler: flags or a terminal in, manageup.review does the work."""

from __future__ import annotations

import sys

from manageup.cli.context import Context
from manageup.errors import UsageError
from manageup.textutil import for_terminal


def review(ctx: Context) -> int:
    from manageup import review as rv

    args = ctx.args
    now = ctx.now()
    store = ctx.store(readonly=args.list)  # listing creates no store on a fresh account
    try:
        if args.list:
            print(for_terminal("\n".join(rv.listing(store, now))))
            return 0
        rec = rv.pick(store, args.meeting, now)
        if rec is None:
            print(rv.NOTHING)
            return 0
        p = rv.plan(store, rec)
        flags = (args.done, args.drop, args.answer, args.advice, args.flagged, args.add,
                 args.about, args.raised, args.resolved, args.escalated,
                 args.rating is not None, args.better, args.checkin)
        if any(flags):
            summary = rv.apply_flags(
                store, p, now, done=args.done or (), drop=args.drop or (),
                answers=[tuple(a) for a in args.answer or ()], advice=args.advice or "",
                flagged=args.flagged or (), add=[tuple(a) for a in args.add or ()],
                about=args.about or "", raised=args.raised or (),
                resolved=args.resolved or (), escalated=args.escalated or (),
                rating=args.rating, better=args.better or "", checkin=args.checkin or "")
        else:
            if not sys.stdin.isatty():
                raise UsageError("review asks questions and needs a terminal; without one, "
                                 "use the flags (--done, --drop, --answer, ...; see --help)")
            try:
                summary = rv.interactive(store, p, now, terminal_ask,
                                         lambda line: print(for_terminal(line)))
            except (KeyboardInterrupt, EOFError):
                print("\nStopped; what you answered so far is saved.")
                return 130
    finally:
        store.close()
    print(for_terminal("\n".join(summary.changed)) if summary.changed else "Nothing changed.")
    return 0


def terminal_ask(prompt: str) -> str:
    """input() with GNU readline loaded: arrow keys move and recall earlier answers
    instead of landing in the text as escape codes."""
    import readline  # noqa: F401  (imported for its side effect on input())

    return input(prompt)
