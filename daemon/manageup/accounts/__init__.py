"""Sign-ins to providers and the secrets they need, apart from the calendars read with them.

`google.py` and `microsoft.py` hold each provider's sign-in (OAuth flows, tokens kept in the
keyring); `secrets.py` finds passwords. This module is what the rest of manageup needs to
know about a sign-in without naming its provider: whether it is dead, since when and why,
and what the user does about it. A dead sign-in is a flag in the store, set once when the
provider refuses it and cleared by signing in again; the cycle mails one notice about it,
sources stop calling the provider, and `doctor` says how to fix it.

Light on purpose (no provider library): the cycle and doctor import it at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from manageup.errors import SignInExpired


class FlagStore(Protocol):
    """The part of the store a sign-in's state lives in (the Store satisfies it)."""

    def flag(self, name: str) -> tuple[str, datetime] | None: ...

    def set_flag(self, name: str, value: str | None, now: datetime) -> None: ...


@dataclass(frozen=True)
class Account:
    """One provider's sign-in, as the rest of manageup speaks of it."""

    name: str  # as in `manageup auth NAME`; the store flag and the notice key derive from it
    who: str  # the provider as the user knows it, in messages
    reauth: str  # the command that signs in again
    # What the provider's refusal means, by its error code; any other code reads as `usual`.
    causes: dict[str, str] = field(default_factory=dict)
    usual: str = "it was revoked, or it expired"
    # What to do besides signing in again, by error code (a deleted OAuth client needs a
    # new one before any sign-in can work).
    fixes: dict[str, str] = field(default_factory=dict)
    delivery: str = ""  # the delivery.method that sends mail with this same sign-in

    @property
    def flag(self) -> str:
        return f"{self.name}-auth"

    def cause(self, reason: str) -> str:
        return self.causes.get(reason, self.usual)

    def fix(self, reason: str) -> str:
        return self.fixes.get(reason, self.reauth)


GOOGLE = Account(
    "google", "Google", "run: manageup auth google --client-secret FILE",
    causes={
        "invalid_grant": "it was revoked, or it expired: apps in Testing status lose it "
                         "after 7 days",
        "deleted_client": "the OAuth client it was made with was deleted in the Google "
                          "Cloud console",
        "invalid_client": "the OAuth client's secret was reset, or the client was disabled, "
                          "in the Google Cloud console",
    },
    usual="it was revoked, or it expired: apps in Testing status lose it after 7 days",
    fixes={
        "deleted_client": "create an OAuth client of type Desktop app in the Google Cloud "
                          "console (APIs & Services, Credentials), download its JSON, then "
                          "run: manageup auth google --client-secret FILE",
        "invalid_client": "download the OAuth client's JSON again from the Google Cloud "
                          "console (APIs & Services, Credentials), then run: manageup auth "
                          "google --client-secret FILE",
    },
    delivery="gmail")

MICROSOFT = Account(
    "microsoft", "Microsoft 365", "run: manageup auth microsoft",
    usual="it was revoked, it expired, or the app registration changed")

ACCOUNTS = (GOOGLE, MICROSOFT)


def named(name: str) -> Account:
    return next(a for a in ACCOUNTS if a.name == name)


@dataclass(frozen=True)
class DeadSignIn:
    account: Account
    reason: str  # the provider's error code
    since: datetime

    def says(self) -> str:
        """Since when, why, and what to do, for a line of doctor's: "the sign-in " and
        this."""
        return (f"stopped working on {self.since:%d %b %H:%M} ({self.reason}: "
                f"{self.account.cause(self.reason)}); {self.account.fix(self.reason)}")


def dead(store: FlagStore, account: Account) -> DeadSignIn | None:
    flag = store.flag(account.flag)
    return DeadSignIn(account, flag[0], flag[1]) if flag else None


def dead_sign_ins(store: FlagStore) -> list[DeadSignIn]:
    return [d for d in (dead(store, a) for a in ACCOUNTS) if d is not None]


def mark_dead(store: FlagStore, account: str, reason: str, now: datetime) -> None:
    """The provider refused the sign-in. The first refusal's reason and time are kept."""
    store.set_flag(named(account).flag, reason, now)


def mark_fine(store: FlagStore, account: Account, now: datetime) -> None:
    """The user signed in again."""
    store.set_flag(account.flag, None, now)


class Guard:
    """What a source that signs in does around each read: no call to the provider while
    the sign-in is dead (calling cannot help and only fills the provider's logs), the
    sign-in marked dead when the provider refuses it, and the source's old credentials
    forgotten once the user has signed in again."""

    def __init__(self, account: Account, forget: Callable[[], None]) -> None:
        self.account = account
        self.forget = forget
        self._was_dead = False  # the sign-in was dead at the last read

    @contextmanager
    def reading(self, store: FlagStore, now: datetime, readonly: bool) -> Iterator[None]:
        gone = dead(store, self.account)
        if self._was_dead and gone is None:
            self.forget()
        self._was_dead = gone is not None
        if gone is not None:
            raise SignInExpired(
                f"the {self.account.who} sign-in is invalid since {gone.since:%d %b %H:%M} "
                f"({gone.reason}); {self.account.fix(gone.reason)}",
                account=self.account.name, reason=gone.reason)
        try:
            yield
        except SignInExpired as e:
            if not readonly:  # a dry run, preview or doctor writes nothing
                mark_dead(store, e.account, e.reason, now)
            raise
