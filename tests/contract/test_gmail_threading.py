"""Gmail delivery keeps a series in one conversation: the same subject for every digest of
the series, References/In-Reply-To, and the threadId of the series' first digest. Through
googleapiclient's HttpMockSequence with answers shaped like Gmail's."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from googleapiclient.http import HttpMockSequence

from manageup.accounts.google import build
from manageup.config import Config, load_config
from manageup.cycle import make_sources, run_cycle
from manageup.deliver.gmail import GmailTransport
from manageup.errors import DeliveryError
from manageup.store import Store
from tests.conftest import at
from tests.mailcheck import checked_mail

G = Path(__file__).parent.parent / "fixtures" / "google"
OK = {"status": "200", "content-type": "application/json; charset=UTF-8"}
FIRST = (OK, (G / "gmail_sent.json").read_text())  # opens thread 18c2f0a1b2c3d4e5
IN_THREAD = (OK, (G / "gmail_sent_in_thread.json").read_text())
NEW_THREAD = (OK, (G / "gmail_sent_new_thread.json").read_text())  # 18c7e3a5b9d1c2f4
GONE = ({**OK, "status": "404"}, (G / "gmail_thread_notfound.json").read_text())
BUSY = ({**OK, "status": "503"}, (G / "gmail_unavailable.json").read_text())


@pytest.fixture
def gmail_config(example: Path) -> Config:
    cfg = example / "config.toml"
    cfg.write_text(cfg.read_text().replace(
        'method = "maildir"\nmaildir = "state/Maildir"\n', 'method = "gmail"\n'))
    return load_config(cfg)


def _sent(http: HttpMockSequence) -> list[tuple[EmailMessage, str | None]]:
    """Each messages.send request: the mail as Gmail got it, and the threadId passed."""
    out = []
    for uri, method, body, _headers in http.request_sequence:
        assert method == "POST" and uri.endswith("/gmail/v1/users/me/messages/send?alt=json")
        sent = json.loads(body)
        out.append((checked_mail(base64.urlsafe_b64decode(sent["raw"])), sent.get("threadId")))
    return out


def _weeks(config: Config, http: HttpMockSequence, start: datetime, end: datetime) -> None:
    transport = GmailTransport(build("gmail", "v1", http=http), sleep=lambda s: None)
    gmail_cycles(config, transport, start, end, timedelta(hours=3))


def gmail_cycles(config: Config, transport: GmailTransport, start: datetime, end: datetime,
                 step: timedelta) -> None:
    """Cycles as the daemon runs them, each with the store opened afresh, sending with
    `transport` (run_cycles makes its own from the config)."""
    sources, now = make_sources(config), start
    while now < end:
        store = Store.open(config.store.path)
        try:
            run_cycle(config, store, sources, transport, now)
        finally:
            store.close()
        now += step


def test_a_series_is_one_gmail_conversation(gmail_config: Config) -> None:
    http = HttpMockSequence([FIRST, IN_THREAD, IN_THREAD])
    _weeks(gmail_config, http, at("2026-11-25T12:00+01:00"), at("2026-12-10T12:00+01:00"))
    sent = _sent(http)
    assert [thread for _m, thread in sent] == [None, "18c2f0a1b2c3d4e5", "18c2f0a1b2c3d4e5"]
    subjects = {str(m["Subject"]) for m, _t in sent}
    assert subjects == {"Prep: Alex / Sam 1:1"}  # Gmail threads only matching subjects
    ids = [str(m["Message-ID"]) for m, _t in sent]
    assert [m["In-Reply-To"] for m, _t in sent] == [None, ids[0], ids[1]]
    assert sent[2][0]["References"] == f"{ids[0]} {ids[1]}"
    # The date the subject no longer carries is in the first lines of the digest.
    assert "When: Thursday 26 November, 10:00" in sent[0][0].get_body(("plain",)).get_content()


def test_a_deleted_conversation_is_replaced(gmail_config: Config) -> None:
    http = HttpMockSequence([FIRST, GONE, NEW_THREAD, NEW_THREAD])
    _weeks(gmail_config, http, at("2026-11-25T12:00+01:00"), at("2026-12-10T12:00+01:00"))
    threads = [thread for _m, thread in _sent(http)]
    # Refused thread: the digest goes out on its own and its thread becomes the series'.
    assert threads == [None, "18c2f0a1b2c3d4e5", None, "18c7e3a5b9d1c2f4"]
    store = Store.open(gmail_config.store.path)
    assert [r.state for r in store.ledger()] == ["sent", "sent", "sent"]


def test_a_busy_gmail_is_retried_in_the_thread_not_outside_it() -> None:
    # One request: the ledger retries a send, with backoff (googleapiclient's own retry
    # would resend a POST whose answer timed out; see deliver/gmail.py).
    http = HttpMockSequence([BUSY, BUSY, BUSY])
    msg = EmailMessage()
    msg["Subject"] = "Prep"
    msg.set_content("x")
    with pytest.raises(DeliveryError) as err:
        GmailTransport(build("gmail", "v1", http=http), sleep=lambda s: None).send(
            msg, "18c2f0a1b2c3d4e5")
    assert err.value.transient
    assert [json.loads(b)["threadId"] for _u, _m, b, _h in http.request_sequence] == \
        ["18c2f0a1b2c3d4e5"]


def test_a_broken_series_subject_template_names_the_key(gmail_config: Config,
                                                        tmp_path: Path) -> None:
    from dataclasses import replace

    from manageup.cycle import make_digest
    from manageup.deliver import build_message
    from manageup.detect import detect
    from manageup.errors import ConfigError

    (tmp_path / "series_subject.txt.j2").write_text("Prep: {{ d.meeting.title ")
    config = replace(gmail_config, digest=replace(gmail_config.digest, templates_dir=tmp_path))
    (src,) = make_sources(config)
    now = at("2026-11-25T16:00+01:00")
    occs = src.fetch(now - timedelta(days=1), now + timedelta(days=7), config.zone).occurrences
    digest, rendered = make_digest(Store.memory(), detect(occs, config)[0], [], now, config)
    with pytest.raises(ConfigError, match=r"digest.templates_dir: series_subject.txt.j2"):
        build_message(rendered, digest, config, now)


@pytest.mark.parametrize("fixture,status,transient", [
    ("ratelimit_403", 403, True),  # Gmail's per-user sending limit: later, not never
    ("gmail_unavailable", 503, True),
    ("insufficient_permissions", 403, False),  # only signing in again helps
    ("gmail_thread_notfound", 404, False),
])
def test_gmail_failures_left_after_the_library_retried(fixture: str, status: int,
                                                       transient: bool) -> None:
    answer = ({**OK, "status": str(status)}, (G / f"{fixture}.json").read_text())
    http = HttpMockSequence([answer] * 3)
    msg = EmailMessage()
    msg["Subject"] = "Prep"
    msg.set_content("x")
    with pytest.raises(DeliveryError) as err:
        GmailTransport(build("gmail", "v1", http=http), sleep=lambda s: None).send(msg)
    assert err.value.transient is transient
    assert "calendar" not in str(err.value)


class _Conversations:
    """Files mails as Gmail does: in the thread passed only when the subject matches that
    thread's, else in a new one (developers.google.com/gmail/api/guides/threads: "The
    Subject headers must match")."""

    def __init__(self) -> None:
        self.name = "gmail"
        self.subjects: dict[str, str] = {}
        self.calls: list[tuple[str, str]] = []

    def send(self, msg: EmailMessage, thread: str = "") -> str:
        subject = str(msg["Subject"])
        self.calls.append((subject, thread))
        if thread and self.subjects.get(thread) == subject:
            return thread
        new = f"t{len(self.subjects) + 1}"
        self.subjects[new] = subject
        return new


def test_a_retitled_instance_leaves_the_series_conversation_alone(tmp_path: Path) -> None:
    """An instance retitled "(moved)" opens a conversation of its own; the next digest of
    the series is passed the series' thread again, not the moved one's (attack30)."""
    from manageup.deliver.threads import SeriesThread

    store, gmail = Store.open(tmp_path / "s.sqlite3"), _Conversations()
    for subject in ("Prep: Alex / Sam 1:1", "Prep: Alex / Sam 1:1 (moved)",
                    "Prep: Alex / Sam 1:1"):
        msg = EmailMessage()
        msg["Subject"] = subject
        msg.set_content("x")
        SeriesThread(gmail, store, "series-uid", at("2026-11-25T12:00+01:00")).send(msg)
    assert gmail.calls == [("Prep: Alex / Sam 1:1", ""), ("Prep: Alex / Sam 1:1 (moved)", ""),
                           ("Prep: Alex / Sam 1:1", "t1")]
