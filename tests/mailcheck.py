"""One check for every mail the tests see: parsed back from its final bytes, each header
once, and no header manageup did not set (a calendar title must never become a Bcc:)."""

from __future__ import annotations

import mailbox
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

SET_BY_MANAGEUP = {"from", "to", "subject", "date", "message-id", "auto-submitted",
                   "references", "in-reply-to", "x-manageup-occurrence"}
MIME = {"mime-version", "content-type", "content-transfer-encoding"}
REQUIRED = {"from", "to", "subject", "date", "message-id"}
MSG_ID = re.compile(r"<[0-9a-f]{32}@manageup\.invalid>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]")


def _check_headers(msg: EmailMessage, allowed: set[str], where: str) -> None:
    names = [k.lower() for k in msg]
    for name in names:
        assert names.count(name) == 1, f"{where}: header {name} appears {names.count(name)}x"
        assert name in allowed, f"{where}: header {name!r} was not set by manageup"
    for name, value in msg.items():
        text = str(value)
        # Decoded once, a value holds no line break and no encoded word left to decode a
        # second time by a client that does.
        assert not _CONTROL.search(text), f"{where}: {name} carries a control character"
        assert "=?" not in text, f"{where}: {name} still holds an encoded word: {text!r}"


def checked_mail(raw: bytes | EmailMessage) -> EmailMessage:
    """Parse a mail back from its bytes (as SMTP, a Maildir or Gmail get them) and check it.
    Given a message object, checks both line-ending forms its transports produce."""
    if isinstance(raw, EmailMessage):
        checked_mail(raw.as_bytes(policy=raw.policy.clone(linesep="\r\n")))
        raw = raw.as_bytes()
    assert b"\r\n\r\n" in raw or b"\n\n" in raw, "no blank line after the head"
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    assert not msg.defects, f"defects in the head: {msg.defects}"
    _check_headers(msg, SET_BY_MANAGEUP | MIME, "mail")
    missing = REQUIRED - {k.lower() for k in msg}
    assert not missing, f"missing headers: {missing}"
    for name in ("message-id", "in-reply-to", "references"):
        for mid in str(msg.get(name, "")).split():
            assert MSG_ID.fullmatch(mid), f"{name}: {mid!r} is not a manageup Message-ID"
    for i, part in enumerate(msg.walk()):
        if i:
            _check_headers(part, MIME, f"part {i}")  # type: ignore[arg-type]
    return msg


def checked_maildir(path: Path) -> list[EmailMessage]:
    """Every message in a Maildir, each read from its file and checked."""
    box = mailbox.Maildir(path, create=False)
    return [checked_mail(box.get_bytes(key)) for key in sorted(box.keys())]
