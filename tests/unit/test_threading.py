"""Digests of one series form one thread: each replies to the previous digest that was
actually sent, and References holds the series' first digest and that previous one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from manageup.config import load_config
from manageup.store import Store
from tests.conftest import SmtpServer, at, run_cycles

SERIES = "weekly-1on1-sam-alex@example.com"


def test_each_digest_replies_to_the_last_one_sent(example: Path,
                                                 smtp_server: SmtpServer) -> None:
    cfg_path = example / "config.toml"
    cfg_path.write_text(cfg_path.read_text().replace(
        '[delivery]\nmethod = "maildir"\nmaildir = "state/Maildir"\n', smtp_server.delivery()))
    cfg = load_config(cfg_path)

    def refuse() -> None:
        smtp_server.handler.reply = "550 5.7.1 Rejected"

    def accept() -> None:
        smtp_server.handler.reply = None

    # The 3 Dec digest is refused until its 1:1 has started: it is never sent.
    events = {at("2026-12-02T12:00+01:00"): [refuse], at("2026-12-03T12:00+01:00"): [accept]}
    run_cycles(cfg, at("2026-11-25T12:00+01:00"), at("2026-12-17T12:00+01:00"),
               timedelta(hours=2), events)
    digests = [m for m in smtp_server.handler.messages if m["Subject"].startswith("Prep:")]
    assert [m["Subject"].split(", ", 1)[1][:10] for m in digests] == \
        ["Thu 26 Nov", "Thu 10 Dec", "Thu 17 Dec"]
    first, second, third = (str(m["Message-ID"]) for m in digests)
    assert digests[0]["In-Reply-To"] is None and digests[0]["References"] is None
    assert digests[1]["In-Reply-To"] == first and digests[1]["References"] == first
    assert digests[2]["In-Reply-To"] == second
    assert digests[2]["References"] == f"{first} {second}"
    # The Message-IDs referred to are those the ledger recorded as sent: real mails.
    store = Store.open(cfg.store.path)
    sent = {r.message_id for r in store.ledger() if r.state == "sent"}
    assert {first, second, third} <= sent
    assert store.sent_message_ids(SERIES, at("2026-12-17T10:00+01:00")) == [first, second]


def test_the_ledger_read_keeps_to_its_series(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.sqlite3")
    t = at("2026-11-26T10:00+01:00")
    rows = [("a_%", t, "sent", "<1>"), ("a_%|" + t.isoformat(), t, "sent", "<2>"),
            ("aX%|" + t.isoformat(), t, "sent", "<like-wildcard>"),
            ("A_%|" + t.isoformat(), t, "sent", "<other-case>"),
            ("a_%|" + (t + timedelta(weeks=1)).isoformat(), t + timedelta(weeks=1), "failed",
             "<not-sent>"),
            ("nudge|a_%|" + t.isoformat(), t + timedelta(hours=2), "sent", "<nudge>"),
            ("a_%|" + (t - timedelta(weeks=1)).isoformat(), t - timedelta(weeks=1), "sent",
             "<0>")]
    for key, start, state, mid in rows:
        store.ledger_set(key, start, state, mid, start, t)
    assert store.sent_message_ids("a_%", t + timedelta(days=1)) == ["<0>", "<1>", "<2>"]
    assert store.sent_message_ids("a_%", t) == ["<0>"]
