"""Handlers for the verbs over recorded items: add, list, done/drop/reopen, probe, edit,
export, import."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from manageup.cli.context import Context
from manageup.cli.output import fit
from manageup.cli.values import parse_due
from manageup.errors import ManageupError, UsageError
from manageup.files import write_private
from manageup.kinds import FIELD_OPTIONS, KIND_FIELDS, KINDS, PROBE_FIELDS
from manageup.model import Item
from manageup.textutil import bidi_closed, for_terminal, for_terminal_json

PROBE_ALIASES = {"why": "why_it_matters", "blocker": "what_gets_in_the_way",
                 "cost": "what_it_costs", "help": "how_i_can_help"}


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")


def _field_values(args: argparse.Namespace) -> dict[str, str]:
    return {f: getattr(args, f) for f in FIELD_OPTIONS if getattr(args, f, None) is not None}


def _check_fields(kind: str, fields: dict[str, str]) -> None:
    """Named by the options the user typed, not by the fields they are stored under."""
    allowed = KIND_FIELDS.get(kind, ())
    for f in fields:
        if f not in allowed:
            takes = ", ".join(FIELD_OPTIONS[a][0] for a in allowed if a in FIELD_OPTIONS) \
                or "no extra options"
            raise UsageError(f"{FIELD_OPTIONS[f][0]} does not apply to {kind} items; "
                             f"they take {takes}")
    if fields.get("question"):
        from manageup.asking import person_ids

        ids = sorted(person_ids())
        if fields["question"] not in ids:
            raise UsageError(f"--answers {fields['question']!r}: no such get-to-know "
                             f"question; use one of: {', '.join(ids)}")


def _check_goal(store: Any, fields: dict[str, str]) -> None:
    """--goal names one of the boss's goals on record, by its number."""
    if "goal" not in fields:
        return
    try:
        goal = store.get_item(int(fields["goal"]))
    except ValueError:
        raise UsageError(f"--goal {fields['goal']!r}: give the goal's number, as "
                         "`manageup list --kind goal` shows it") from None
    if goal.kind != "goal":
        article = "an" if goal.kind[0] in "aeiou" else "a"
        raise UsageError(f"--goal {goal.id}: #{goal.id} is {article} {goal.kind}, not a goal; "
                         "see `manageup list --kind goal`")
    if goal.status != "open":  # the digest shows open goals only: the link would go nowhere
        raise UsageError(f"--goal {goal.id}: goal #{goal.id} is {goal.status}; reopen it "
                         f"first (manageup reopen {goal.id}) or leave --goal out")
    fields["goal"] = str(goal.id)


def add(ctx: Context) -> int:
    args = ctx.args
    _check_kind(args.kind)
    now = ctx.now()
    due = parse_due(args.due, now.date()) if args.due else None
    from manageup.model import check_item

    fields = _field_values(args)
    _check_fields(args.kind, fields)
    check_item(args.kind, args.text, fields)
    store = ctx.store()
    try:
        _check_goal(store, fields)
        item_id = store.add_item(args.kind, args.text, now, due=due, fields=fields)
    finally:
        store.close()
    print(f"added {args.kind} #{item_id}")
    return 0


def _print_item(i: Item) -> None:
    due = f" due {i.due}" if i.due else ""
    status = "" if i.status == "open" else f" ({i.status})"
    print(fit(for_terminal(f"#{i.id:<4} {i.kind:<6} {bidi_closed(i.text)}{due}{status}"),
              " " * 13))
    for k, v in i.fields.items():
        print(fit(for_terminal(f"{'':13}{k.replace('_', ' ')}: {v}")))


def _item_json(i: Item) -> dict[str, Any]:
    return {"id": i.id, "kind": i.kind, "text": i.text, "status": i.status,
            "created": i.created.isoformat(), "due": i.due.isoformat() if i.due else None,
            "fields": i.fields, "appearances": i.appearances}


def list_(ctx: Context) -> int:
    args = ctx.args
    _check_kind(args.kind)
    store = ctx.store(readonly=True)
    try:
        items = store.items(kind=args.kind, include_closed=args.all)
    finally:
        store.close()
    if args.json:
        print(for_terminal_json([_item_json(i) for i in items], indent=2))
        return 0
    if not items:
        print("Nothing recorded yet. Start with: manageup add need \"...\"")
    for i in items:
        _print_item(i)
    return 0


def set_status(status: str) -> Callable[[Context], int]:
    def handler(ctx: Context) -> int:
        store = ctx.store()
        try:
            item = store.set_status(ctx.args.id, status, ctx.now())
        finally:
            store.close()
        print(for_terminal(f"#{item.id} {item.kind} is {status}: {item.text}"))
        return 0

    return handler


done, drop, reopen = set_status("done"), set_status("dropped"), set_status("open")


def probe(ctx: Context) -> int:
    args = ctx.args
    field = args.field.replace("-", "_")
    field = PROBE_ALIASES.get(field, field)
    if field not in PROBE_FIELDS:
        raise UsageError(f"unknown probe {args.field!r}; use one of: "
                         f"{', '.join(PROBE_FIELDS)} (or why, blocker, cost, help)")
    store = ctx.store()
    try:
        item = store.get_item(args.goal_id)
        if item.kind != "goal":
            raise UsageError(f"#{item.id} is a {item.kind}, not a goal")
        store.update_item(item.id, fields={field: args.text})
    finally:
        store.close()
    print(f"goal #{item.id}: recorded {field.replace('_', ' ')}")
    return 0


def edit(ctx: Context) -> int:
    args = ctx.args
    now = ctx.now()
    fields = _field_values(args)
    if args.text is None and args.due is None and not args.no_due and not fields:
        raise UsageError("nothing to change; give --text, --due, --no-due or a field option")
    due = parse_due(args.due, now.date()) if args.due else None
    store = ctx.store()
    try:
        _check_fields(store.get_item(args.id).kind, fields)
        if fields.get("goal"):  # empty clears it
            _check_goal(store, fields)
        item = store.update_item(args.id, text=args.text, due=due, clear_due=args.no_due,
                                 fields=fields)
    finally:
        store.close()
    _print_item(item)
    return 0


def export(ctx: Context) -> int:
    store = ctx.store(readonly=True)
    try:
        data = store.export()
    finally:
        store.close()
    if ctx.args.format == "markdown":
        from manageup.store import markdown

        text = markdown(data)
    else:
        text = for_terminal_json(data, indent=2, sort_keys=True) + "\n"
    if ctx.args.output:
        write_private(Path(ctx.args.output), text)
    else:  # the markdown shows item texts as written, which an import may have brought
        sys.stdout.write(text if ctx.args.format != "markdown" else for_terminal(text))
    return 0


def import_(ctx: Context) -> int:
    path = Path(ctx.args.file)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"no file at {path}") from None
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read {path} as JSON: {e}") from None
    except RecursionError:
        raise UsageError(f"cannot read {path}: its JSON is nested too deeply to be a "
                         "manageup export") from None
    store = ctx.store()
    try:
        report = store.import_(data)
    finally:
        store.close()
    print(report.summary())
    return 0


def item_ids(prefix: str = "", parsed_args: argparse.Namespace | None = None,
             kind: str | None = None, **_: Any) -> dict[str, str]:
    """Tab completion (argcomplete): the open items' ids, each with its kind and text (zsh
    and fish show it). Nothing when the config or the store cannot be read: a shell is
    no place for an error."""
    given = getattr(parsed_args, "config_after", None) or getattr(parsed_args, "config", None)
    try:
        from manageup.config import find_config, load_config
        from manageup.store import Store

        store = Store.open(load_config(find_config(given)).store.path, readonly=True)
        try:
            items = store.items(kind)
        finally:
            store.close()
    except (ManageupError, OSError):
        return {}
    return {str(i.id): for_terminal(f"{i.kind}: {i.text}", one_line=True) for i in items
            if str(i.id).startswith(prefix)}


def goal_ids(prefix: str = "", parsed_args: argparse.Namespace | None = None,
             **_: Any) -> dict[str, str]:
    return item_ids(prefix, parsed_args, kind="goal")
