"""The shape of a verb in the table: name, one-line help, arguments, handler, example."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from manageup.cli.context import Context

Handler = Callable[["Context"], int]


# NamedTuples, not dataclasses: `--help` then never loads dataclasses (and inspect).
class Arg(NamedTuple):
    """One argparse argument: its flags (or positional name) and add_argument options."""

    flags: tuple[str, ...]
    options: dict[str, Any]
    # What tab completion offers, where argparse `choices` would not do: it would replace
    # the verb's own error message (naming the kinds and the fix) with argparse's.
    completions: tuple[str, ...] = ()
    # Or "module:function" under manageup.cli that computes them (argcomplete's completer
    # protocol), imported only when a shell asks.
    completer: str = ""


def arg(*flags: str, completions: tuple[str, ...] = (), completer: str = "",
        **options: Any) -> Arg:
    return Arg(flags, options, completions, completer)


class Verb(NamedTuple):
    name: str
    help: str  # one line, shown in `manageup --help`
    # "module:function" under manageup.cli, imported only when this verb runs: `--help`
    # and every other verb load none of the command modules they do not use.
    handler: str
    examples: tuple[str, ...]  # shown under the verb's --help, each a working command
    description: str = ""  # the verb's --help text; the one-line help when empty
    args: tuple[Arg, ...] = ()
    daemon: bool = False  # logs at INFO with timestamps, as a service does

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
