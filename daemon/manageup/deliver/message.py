"""The mails manageup sends, built as EmailMessage: digests, review reminders, notices.

Every header value that carries calendar or config text goes through the sanitising here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from manageup.config import Config
from manageup.digestmodel import Digest
from manageup.errors import ConfigError
from manageup.model import MSG_ID
from manageup.textutil import bidi_closed, header_safe, wrap

if TYPE_CHECKING:  # a cycle with nothing to send needs a transport, not Jinja
    from manageup.render import Rendered
    from manageup.review import Plan as ReviewPlan

DOMAIN = "manageup.invalid"


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def message_id(key: str, start: datetime) -> str:
    """Same occurrence and start, same id: a resend after a crash is recognisably the same mail."""
    return f"<{_hash(key, start.isoformat())}@{DOMAIN}>"


def header_text(text: str, limit: int = 250) -> str:
    """Untrusted text made safe for a header: no control characters or line breaks, and no
    RFC 2047 encoded word left in it. Python's email package decodes `=?utf-8?q?=0D=0A?=`
    in a value it is given into a real CR LF and writes that out raw (CPython
    CVE-2024-6923); so does a mail client reading it. A space after every `=` that starts
    one keeps the text readable and leaves nothing to decode. An override it opens is
    closed at its end, cut or not, so it cannot turn what a mail client shows after it."""
    clean = header_safe(text, len(text or ""))
    return bidi_closed(clean.replace("=?", "= ?")[:limit])


def _address(value: str, key: str) -> Address:
    """`Name <addr>` or `addr` from the config, as an Address the email package quotes
    itself, so a display name can never turn into a second address or a header."""
    value = " ".join((value or "").split())
    name, addr = "", value
    if value.endswith(">") and "<" in value:
        name, _, addr = value[:-1].rpartition("<")
    try:
        return Address(display_name=header_text(name.strip().strip('"'), 100),
                       addr_spec=header_safe(addr.strip()))
    except (ValueError, IndexError, HeaderParseError):
        raise ConfigError([f"{key}: {header_text(value, 80)!r} is not a mail address; "
                           "write it as name@example.com"]) from None


def _head(config: Config, subject: str, now: datetime, mid: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = _address(config.sender, "delivery.sender" if config.delivery.sender
                           else "me.email")
    msg["To"] = _address(config.recipient, "digest.to" if config.digest.to else "me.email")
    msg["Subject"] = header_text(subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = mid
    msg["Auto-Submitted"] = "auto-generated"
    return msg


def _thread(msg: EmailMessage, earlier: Sequence[str]) -> None:
    """Reply to the last mail of the thread; References keeps its first and that last one
    (RFC 5322 allows trimming the middle), all of them mails that were really sent.
    They come from the store: one that is not a plain msg-id (a hand edit) is left out."""
    earlier = [m for m in earlier if MSG_ID.fullmatch(m)]
    if earlier:
        msg["In-Reply-To"] = earlier[-1]
        msg["References"] = " ".join(dict.fromkeys([earlier[0], earlier[-1]]))


def build_message(rendered: Rendered, digest: Digest, config: Config, now: datetime,
                  earlier: Sequence[str] = ()) -> EmailMessage:
    """`earlier`: the Message-IDs of the series' digests already sent, oldest first
    (Store.sent_message_ids)."""
    msg = _head(config, _subject(rendered, digest, config), now,
                message_id(digest.meeting.key, digest.meeting.start))
    _thread(msg, earlier)
    msg["X-Manageup-Occurrence"] = _hash(digest.meeting.key)
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


def _template(config: Config, name: str, **values: Any) -> str:
    import jinja2

    from manageup.render import environment

    try:
        return environment(config.digest.templates_dir).get_template(name).render(**values)
    except jinja2.TemplateError as e:
        raise ConfigError([f"digest.templates_dir: {name}: {e}; fix or remove that "
                           "template"]) from None


def _subject(rendered: Rendered, digest: Digest, config: Config) -> str:
    """Gmail files a mail in a conversation only when its subject matches, so with Gmail
    delivery every digest of a series has the same subject (series_subject.txt.j2); the
    date is in the digest's first section. Elsewhere the subject names the date: clients
    that thread by References need no matching subject."""
    if config.delivery.method != "gmail":
        return rendered.subject
    return _template(config, "series_subject.txt.j2", d=digest)


def build_nudge(p: ReviewPlan, config: Config, now: datetime) -> EmailMessage:
    rec = p.digest
    text = _template(config, "nudge.txt.j2", p=p, boss=config.boss.name or config.boss.email)
    msg = _head(config, f"How did it go? {rec.title}, {rec.start:%a %d %b}", now,
                message_id(f"nudge|{rec.key}", rec.start))
    # A reply to its digest, whose Message-ID is fixed by the occurrence (message_id).
    _thread(msg, [message_id(rec.key, rec.start)])
    msg.set_content(text)
    return msg


def build_notice(config: Config, now: datetime, key: str, since: datetime, subject: str,
                 text: str) -> EmailMessage:
    msg = _head(config, subject, now, message_id(key, since))
    msg.set_content(wrap(text) + "\n")
    return msg
