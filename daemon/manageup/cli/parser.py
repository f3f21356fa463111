"""The argparse parser, built from the verb table. Global options work before or after
the verb: each subparser repeats them under its own names, merged in `global_options`."""

from __future__ import annotations

import argparse

from manageup import __version__

TYPE_CHECKING = False  # `--help` loads no `typing`: these names serve annotations only
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from manageup.cli.table import Verb

START_HERE = """\
start here:
  manageup init                     write a config, asking for what it needs
  manageup meetings                 upcoming 1:1s with your boss, and why each matched
  manageup preview                  the next 1:1's digest, printed now
  manageup add owe "Send Q3 numbers" --due friday
"""
EPILOG = START_HERE + """
config: --config PATH, else $MANAGEUP_CONFIG, else ~/.config/manageup/config.toml
exit codes: 0 ok, 2 usage or config error, 3 another daemon runs on the store (run),
  1 anything else
"""


def _add_globals(p: argparse.ArgumentParser, after: bool) -> None:
    # After the verb, the values land under *_after and never overwrite those given before.
    suffix = "_after" if after else ""
    default: object = argparse.SUPPRESS if after else None
    p.add_argument("--config", dest="config" + suffix, metavar="PATH", default=default,
                   help="config file (default: $MANAGEUP_CONFIG or "
                        "~/.config/manageup/config.toml)")
    p.add_argument("-v", "--verbose", dest="verbose" + suffix, action="count",
                   default=default if after else 0, help="more log detail")
    p.add_argument("-q", "--quiet", dest="quiet" + suffix, action="count",
                   default=default if after else 0, help="less log detail")


def _examples(verb: Verb) -> str:
    title = "example" if len(verb.examples) == 1 else "examples"
    return f"{title}:\n" + "".join(f"  {e}\n" for e in verb.examples)


def build_parser(verbs: Sequence[Verb], lazy: bool = False) -> argparse.ArgumentParser:
    """The whole parser; `lazy`: each verb's own arguments are added only when argparse has
    picked that verb (main does so: every process then builds one verb's, not all)."""
    p = argparse.ArgumentParser(
        prog="manageup",
        description="Prep digests for your 1:1s with your boss: read your calendars, find "
                    "the 1:1s, and e-mail you what to raise before each one.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_globals(p, after=False)
    p.add_argument("--version", action="version", version=f"manageup {__version__}")
    # Not required: a bare `manageup` is someone asking where to start (main answers).
    sub = p.add_subparsers(dest="command", metavar="COMMAND", action=_VerbsAction)
    assert isinstance(sub, _VerbsAction)  # what `action` made (typeshed says the base)
    for verb in verbs:
        if lazy:
            sub.add_lazily(verb)
        else:
            _add_verb_args(_verb_parser(sub, verb, listed=True), verb)
    return p


def _verb_parser(sub: _VerbsAction, verb: Verb, listed: bool) -> argparse.ArgumentParser:
    """The verb's own parser; `listed`: also its line in `manageup --help`."""
    shown: dict[str, Any] = {"help": verb.help} if listed else {}
    sp = sub.add_parser(verb.name, **shown,
                        description=verb.description or verb.help[0].upper()
                        + verb.help[1:] + ".",
                        epilog=_examples(verb),
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    sp.set_defaults(verb=verb)
    return sp


def _add_verb_args(sp: argparse.ArgumentParser, verb: Verb) -> None:
    for a in verb.args:
        action = sp.add_argument(*a.flags, **a.options)
        if a.completions:
            words = a.completions
            action.completer = lambda words=words, **_: list(words)  # type: ignore[attr-defined]
        elif a.completer:
            action.completer = _computed(a.completer)  # type: ignore[attr-defined]
    _add_globals(sp, after=True)


def _computed(name: str) -> Any:
    def complete(**kwargs: Any) -> Any:
        module, _, function = name.partition(":")
        import importlib

        return getattr(importlib.import_module(f"manageup.cli.{module}"), function)(**kwargs)

    return complete


class _VerbsAction(argparse._SubParsersAction):
    """argparse's own subcommand action, building the chosen verb's parser only when
    argparse has picked it (build_parser's `lazy`): an ArgumentParser costs three gettext
    look-ups of its headings, each searching files for every language the user's locale
    names, and `--help` needs none of the verbs' parsers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending: dict[str, Verb] = {}

    def add_lazily(self, verb: Verb) -> None:
        """List `verb` in the help and accept its name (argparse checks a choice against
        the map's keys), its parser not yet built."""
        self._choices_actions.append(self._ChoicesPseudoAction(verb.name, (), verb.help))
        self._name_parser_map[verb.name] = _UNBUILT
        self.pending[verb.name] = verb

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        verb = self.pending.pop(values[0], None) if values else None
        if verb is not None:
            del self._name_parser_map[verb.name]  # add_parser refuses a name it has
            _add_verb_args(_verb_parser(self, verb, listed=False), verb)
        super().__call__(parser, namespace, values, option_string)


# The map's placeholder for a verb whose parser is not built: never initialised, never used.
_UNBUILT = argparse.ArgumentParser.__new__(argparse.ArgumentParser)


def start_here() -> str:
    """What a bare `manageup` prints: the first commands, and where the rest are."""
    return ("manageup: prep digests for your 1:1s with your boss.\n\n" + START_HERE
            + "\nevery command: manageup --help; one command's options: manageup COMMAND "
              "--help\n")


def global_options(args: argparse.Namespace) -> argparse.Namespace:
    """Merge the global options given after the verb into those given before it."""
    after = getattr(args, "config_after", None)
    if after is not None:
        args.config = after
    args.verbose += getattr(args, "verbose_after", 0)
    args.quiet += getattr(args, "quiet_after", 0)
    return args
