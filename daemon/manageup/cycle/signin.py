"""One short mail for each sign-in that died, so no 1:1 passes in silence; through the
outbox like a digest: once, retried while the mail server is down."""

from __future__ import annotations

from manageup.accounts import DeadSignIn, dead_sign_ins
from manageup.cycle.backup import NOTICE_WINDOW
from manageup.cycle.context import Cycle
from manageup.cycle.outbox import Letter, Mail
from manageup.store import LedgerKind


def sign_in_notices(cycle: Cycle) -> None:
    for gone in dead_sign_ins(cycle.store):
        if gone.account.delivery != cycle.config.delivery.method:
            _notice(cycle, gone)
        # else the mail would need the same sign-in: the log and `doctor` must do


def _notice(cycle: Cycle, gone: DeadSignIn) -> None:
    account = gone.account
    key = f"notice|{account.flag}"
    provider = account.who.split()[0]

    def build() -> Mail:
        from manageup.deliver import build_notice

        return Mail(build_notice(
            cycle.config, cycle.now, key, gone.since,
            f"manageup cannot read your {account.who} calendar",
            f"{provider} refused manageup's stored sign-in ({account.cause(gone.reason)}). "
            "Until you sign in again no prep digest can be sent. To fix it, "
            f"{account.fix(gone.reason)}"))

    cycle.outbox.post(Letter(key, gone.since + NOTICE_WINDOW, cycle.now,
                             f"the {provider} sign-in notice", LedgerKind.NOTICE), build)
