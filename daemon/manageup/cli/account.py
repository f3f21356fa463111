"""Handlers for sign-ins and secrets: auth, secret."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

from manageup.cli.context import Context
from manageup.errors import UsageError
from manageup.textutil import bidi_closed, for_terminal


def auth(ctx: Context) -> int:
    from manageup.accounts import GOOGLE, google, googleflow, mark_fine, secrets

    config, args = ctx.config, ctx.args
    if args.provider == "microsoft":
        return _auth_microsoft(ctx)
    path = Path(args.client_secret).expanduser() if args.client_secret else \
        config.google.client_secret
    if path is None:
        raise UsageError("which OAuth client? pass --client-secret FILE or set "
                         "google.client_secret")
    gmail = config.delivery.method == "gmail"
    # No display (an SSH session, a server): print the address instead of opening a browser.
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    token = googleflow.sign_in(path, google.scopes_for(gmail), args.port or config.google.port,
                           open_browser=has_display and not args.no_browser)
    secrets.store(google.TOKEN_NAME, token)
    store = ctx.store()
    try:
        mark_fine(store, GOOGLE, datetime.now(config.zone))
    finally:
        store.close()
    print("Signed in to Google; the sign-in is kept in your keyring.")
    return 0


def _auth_microsoft(ctx: Context) -> int:
    from manageup.accounts import MICROSOFT, mark_fine, microsoft

    config = ctx.config
    cal = next((c for c in config.calendars if c.type == "microsoft"), None)
    if cal is None:
        raise UsageError('no [[calendars]] table with type = "microsoft" and client_id; '
                         "add one first (see the README)")
    user = microsoft.sign_in(cal, lambda text: print(for_terminal(text), flush=True))
    store = ctx.store()
    try:
        mark_fine(store, MICROSOFT, datetime.now(config.zone))
    finally:
        store.close()
    print(f"Signed in to Microsoft 365 as {for_terminal(bidi_closed(user or 'your account'))}; "
          "the sign-in is kept in your keyring.")
    return 0


def secret(ctx: Context) -> int:
    import getpass

    from manageup.accounts import secrets

    if not sys.stdin.isatty():
        value = sys.stdin.readline().rstrip("\r\n")
    else:
        value = getpass.getpass(f"{ctx.args.name} password: ")
    if not value:
        raise UsageError("empty secret; nothing stored")
    secrets.store(ctx.args.name, value)
    print(f"stored the {ctx.args.name} secret in the keyring (service manageup)")
    return 0


def completion(ctx: Context) -> int:
    import argcomplete

    print(argcomplete.shellcode(["manageup"], shell=ctx.args.shell), end="")
    return 0
