"""The shape of a verb in the table: name, one-line help, arguments, handler, example."""

from __future__ import annotations

import argparse
import importlib

# `--help` loads no `typing` (nor `collections.abc`): the names below serve annotations
# only, which are strings here (mypy reads any `TYPE_CHECKING` as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from manageup.cli.context import Context

    Handler = Callable[[Context], int]


# Plain classes, not dataclasses nor NamedTuples: `--help` then builds no class from
# generated source (dataclasses' exec, namedtuple's) and loads neither module.
class Arg:
    """One argparse argument: its flags (or positional name) and add_argument options."""

    __slots__ = ("completer", "completions", "flags", "options")

    def __init__(self, flags: tuple[str, ...], options: dict[str, Any],
                 completions: tuple[str, ...] = (), completer: str = "") -> None:
        self.flags = flags
        self.options = options
        # What tab completion offers, where argparse `choices` would not do: it would
        # replace the verb's own error message (naming the kinds and the fix) with argparse's.
        self.completions = completions
        # Or "module:function" under manageup.cli that computes them (argcomplete's
        # completer protocol), imported only when a shell asks.
        self.completer = completer


def arg(*flags: str, completions: tuple[str, ...] = (), completer: str = "",
        **options: Any) -> Arg:
    return Arg(flags, options, completions, completer)


class Verb:
    """One verb: what `--help` lists, its arguments, and the handler that runs it."""

    __slots__ = ("args", "daemon", "description", "examples", "handler", "help", "name")

    def __init__(self, name: str, help: str, handler: str, examples: tuple[str, ...],
                 description: str = "", args: tuple[Arg, ...] = (),
                 daemon: bool = False) -> None:
        self.name = name
        self.help = help  # one line, shown in `manageup --help`
        # "module:function" under manageup.cli, imported only when this verb runs: `--help`
        # and every other verb load none of the command modules they do not use.
        self.handler = handler
        self.examples = examples  # shown under the verb's --help, each a working command
        self.description = description  # the verb's --help text; the one-line help when empty
        self.args = args
        self.daemon = daemon  # logs at INFO with timestamps, as a service does

    def resolve(self) -> Handler:
        module, _, name = self.handler.partition(":")
        found: Handler = getattr(importlib.import_module(f"manageup.cli.{module}"), name)
        return found


NOW = arg("--now", metavar="T", help="act as of this ISO-8601 time (default: the real clock)")


class DueOfLastAdd(argparse.Action):
    """`review --add owe "Send the deck" --due friday`: a --due dates the --add before it.
    It joins that item's text as `--due DATE`, the form review's `new:` line takes, so
    both are read by one parser, the one `add --due` uses."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: str | Sequence[Any] | None, option_string: str | None = None) -> None:
        adds = getattr(namespace, "add", None)
        if not adds:
            parser.error(f"--due goes after the --add KIND TEXT it dates, e.g. --add owe "
                         f'"Send the deck" --due {values}')
        kind, text = adds[-1]
        if "--due" in text.split():
            parser.error(f"{text!r} has a --due already; give one date per --add")
        adds[-1] = [kind, f"{text} --due {values}"]
