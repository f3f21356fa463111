"""Calendar text that tries to become a mail header, through every transport's final bytes.

RFC 2047 encoded words are the sneaky way in: Python 3.11.7's email package decodes
`=?utf-8?q?hi=0D=0ABcc:...?=` into a real CR LF and writes it out raw (CPython
CVE-2024-6923), so plain CR/LF stripping is not enough.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from googleapiclient.http import HttpMockSequence

from manageup.accounts.google import build
from manageup.config import Config, Smtp
from manageup.cycle import make_digest
from manageup.deliver import build_message, build_notice, build_nudge
from manageup.deliver.gmail import GmailTransport
from manageup.deliver.maildir import MaildirTransport
from manageup.deliver.smtp import SmtpTransport
from manageup.model import Match, Occurrence, Person
from manageup.review import plan
from manageup.store import Store
from tests.conftest import SmtpServer, at
from tests.mailcheck import checked_mail

NOW = at("2026-12-02T17:00+01:00")
GMAIL_SENT = (Path(__file__).parent.parent / "fixtures" / "google" / "gmail_sent.json").read_text()
OK = {"status": "200", "content-type": "application/json; charset=UTF-8"}

Q_WORD = "=?utf-8?q?hi=0D=0ABcc:_victim@evil.example?="
B_WORD = "=?utf-8?b?" + base64.b64encode(b"hi\r\nBcc: victim@evil.example").decode() + "?="
HOSTILE = [
    pytest.param(f"1:1 {Q_WORD}", id="q-word"),
    pytest.param(f"1:1{Q_WORD}", id="q-word-inside-a-word"),
    pytest.param(f"1:1 {B_WORD} tail", id="b-word"),
    pytest.param(f"1:1 =?UTF-8?Q?x=0ABcc:_a@evil.example?= {Q_WORD}", id="two-words"),
    pytest.param("1:1 =\r\n?utf-8?q?hi=0D=0ABcc:_victim@evil.example?=", id="split-by-crlf"),
]

Deliver = Callable[[EmailMessage], bytes]


@pytest.fixture(params=["smtp", "maildir", "gmail"])
def deliver(request, tmp_path: Path) -> Iterator[Deliver]:
    """Send through a real transport and return the bytes that arrived."""
    if request.param == "smtp":
        server = SmtpServer()
        server.start()
        transport = SmtpTransport(Smtp(host="127.0.0.1", port=server.port, security="none",
                                       timeout=10), lambda: "")

        def smtp(msg: EmailMessage) -> bytes:
            transport.send(msg)
            return server.handler.raw[-1]

        yield smtp
        server.stop()
    elif request.param == "maildir":
        box = tmp_path / "Maildir"

        def maildir(msg: EmailMessage) -> bytes:
            MaildirTransport(box).send(msg)
            (path,) = (box / "new").iterdir()
            data = path.read_bytes()
            path.unlink()
            return data

        yield maildir
    else:
        def gmail(msg: EmailMessage) -> bytes:
            http = HttpMockSequence([(OK, GMAIL_SENT)])
            GmailTransport(build("gmail", "v1", http=http), sleep=lambda s: None).send(msg)
            ((_uri, method, body, _headers),) = http.request_sequence
            assert method == "POST"
            return base64.urlsafe_b64decode(json.loads(body)["raw"])

        yield gmail


def _config(make_config, sender: str = "") -> Config:
    extra = f'[delivery]\nmethod = "maildir"\nmaildir = "/nonexistent"\nsender = "{sender}"\n'
    return make_config(delivery=extra)[1]


def _evil_digest(config: Config, title: str) -> EmailMessage:
    occ = Occurrence(uid=f"uid-{title}", start=NOW + timedelta(hours=3),
                     end=NOW + timedelta(hours=4), title=title,
                     organizer=Person("sam@example.com"))
    digest, rendered = make_digest(Store.memory(), Match(occ, "test"), [], NOW, config)
    return build_message(rendered, digest, config, NOW)


def _assert_clean(raw: bytes) -> EmailMessage:
    msg = checked_mail(raw)
    assert msg["Bcc"] is None
    head = raw.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc" not in head
    return msg


@pytest.mark.parametrize("title", HOSTILE)
def test_encoded_words_in_a_title_stay_text(make_config, deliver: Deliver, title: str) -> None:
    msg = _assert_clean(deliver(_evil_digest(_config(make_config), title)))
    assert "= ?utf-8?" in str(msg["Subject"]).lower()  # shown as harmless text


def test_review_reminder_subject(make_config, deliver: Deliver) -> None:
    config = _config(make_config)
    store = Store.memory()
    store.readonly = False  # an in-memory store for the test is safe to write
    start = NOW - timedelta(hours=3)
    store.record_sent_digest("uid", [], [], NOW - timedelta(days=1), start=start,
                             title=f"1:1 {Q_WORD}", shown={})
    (rec,) = store.digests()
    msg = _assert_clean(deliver(build_nudge(plan(store, rec), config, NOW)))
    assert str(msg["Subject"]).strip().startswith("How did it go? 1:1 = ?utf-8?q?hi")


def test_notice_subject(make_config, deliver: Deliver) -> None:
    msg = build_notice(_config(make_config), NOW, "notice|x", NOW, f"Notice {Q_WORD}", "text")
    _assert_clean(deliver(msg))


def test_display_name_in_configured_sender(make_config, deliver: Deliver) -> None:
    config = _config(make_config, sender=f"{Q_WORD} <alex@example.com>")
    msg = _assert_clean(deliver(_evil_digest(config, "1:1 Sam")))
    assert msg["From"].addresses[0].addr_spec == "alex@example.com"


@pytest.mark.parametrize("title", HOSTILE)
def test_series_subject_of_gmail_delivery(make_config, deliver: Deliver, title: str) -> None:
    config = make_config(delivery='[delivery]\nmethod = "gmail"\n')[1]
    msg = _assert_clean(deliver(_evil_digest(config, title)))
    assert str(msg["Subject"]).strip().startswith("Prep: 1:1")


def test_an_override_in_header_text_is_closed_even_when_cut() -> None:
    """A mail client shows what follows the subject (the sender, the date) on its line."""
    from manageup.deliver.message import header_text
    from manageup.textutil import bidi_closed

    for text in ("Prep: \u202eevil with Sam", "Prep: \u202e" + "x" * 300):
        got = header_text(text, 100)
        assert got.startswith("Prep: \u202e") and bidi_closed(got) == got
        assert len(got) <= 101
