"""Command line: a table of verbs (verbs.py), print-only handlers over plain functions
(manageup.cycle.queries and friends). Errors are turned into one line and an exit code here,
once."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # `--help` loads no `typing`: these names serve annotations only
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

__all__ = ["build_parser", "main", "setup_logging"]


def build_parser(lazy: bool = False) -> argparse.ArgumentParser:
    from manageup.cli.parser import build_parser as build
    from manageup.cli.verbs import VERBS

    return build(VERBS, lazy)


def setup_logging(verbosity: int, daemon: bool = False) -> None:
    # Here as before; logging itself loads only once a verb is chosen, not for `--help`.
    from manageup.cli.output import setup_logging as setup

    setup(verbosity, daemon)


def one_shot() -> tuple[int, int, int]:
    """A process that runs once and exits allocates mostly what lives until it exits (modules,
    a feed's events): the collector's passes over them free next to nothing, and took
    90 passes and 12 ms of a cold preview's CPU. Reference counting still frees the rest;
    a pass runs only after 50,000 new container objects. At exit, what is still alive is
    frozen: the interpreter's last full pass would walk all of it (35-50 ms after a
    preview) only to free what the ending process gives back anyway. Returns the
    threshold it replaced: main puts it back once the verb is done, so a process that
    calls main (the tests) keeps its own collector."""
    import atexit
    import gc

    before = gc.get_threshold()
    gc.set_threshold(50_000, 20, 20)
    atexit.unregister(gc.freeze)  # once, however often main runs in one process (tests)
    atexit.register(gc.freeze)
    return before


def main(argv: Sequence[str] | None = None) -> int:
    from manageup.cli.parser import global_options, start_here

    completing = "_ARGCOMPLETE" in os.environ  # a shell asking for completions (argcomplete)
    parser = build_parser(lazy=not completing)  # completion looks at every verb's options
    if completing:
        import argcomplete

        argcomplete.autocomplete(parser)
    args = global_options(parser.parse_args(argv))
    if args.command is None:
        print(start_here(), end="")
        return 0
    once = not args.verb.daemon or getattr(args, "once", False)  # `run --once` too
    collector = one_shot() if once else None
    setup_logging(args.verbose - args.quiet, daemon=args.verb.daemon)
    # After parsing: `--help` needs none of it.
    from manageup.cli.context import Context
    from manageup.errors import ManageupError

    try:
        result: int = args.verb.resolve()(Context(args))
        return result
    except ManageupError as e:
        from manageup.cli.output import fit
        from manageup.textutil import for_terminal  # a feed's bytes, a server's reason

        print(fit(f"manageup: {for_terminal(str(e))}", "  ", sys.stderr), file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("manageup: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        if collector:
            import gc

            gc.set_threshold(*collector)
