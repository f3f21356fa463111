"""A quarter of weekly 1:1s (issue 16.7): thirteen planned, two moved and two cancelled by
the boss; reviews after each that answer probes, record advice and what was learned about
the boss, close asks and raise wins. The digests along the way must follow that state."""

from __future__ import annotations

import mailbox
import re
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

from manageup.cli import main
from manageup.config import Config
from manageup.cycle import make_sources, run_cycle
from manageup.deliver import make_transport
from manageup.store import Store
from tests.conftest import ICS, at, without_since

CALENDAR = ICS / "quarter_weekly_two_moves_two_cancelled_by_boss.ics"
HELD = ["2026-09-03T10:00", "2026-09-10T10:00", "2026-09-18T14:00", "2026-09-24T10:00",
        "2026-10-08T10:00", "2026-10-15T10:00", "2026-10-21T16:00", "2026-10-29T10:00",
        "2026-11-12T10:00", "2026-11-19T10:00", "2026-11-26T10:00"]


def _digests(cfg: Config) -> list[str]:
    box = mailbox.Maildir(cfg.delivery.maildir, create=False)
    msgs = sorted(box, key=lambda m: parsedate_to_datetime(m["Date"]))
    return [m.get_payload()[0].get_payload(decode=True).decode() for m in msgs]


def _lead(text: str) -> str:
    return text.split("1. The meeting")[0].split("0. Lead with")[1] \
        if "0. Lead with" in text else ""


def _section(text: str, title: str, following: str) -> str:
    return text.split(title)[1].split(following)[0]


def test_a_quarter_of_weekly_1on1s(make_config, tmp_path: Path) -> None:
    path, cfg = make_config(CALENDAR)
    sources, transport = make_sources(cfg), make_transport(cfg)

    def mu(*args: str, now: str) -> None:
        assert main(["--config", str(path), *args, "--now", now]) == 0

    t0 = "2026-09-01T09:00+02:00"
    mu("add", "need", "Intro to the Finance VP", now=t0)  # 1
    mu("add", "owe", "Send the Q3 numbers", "--due", "2026-09-10", now=t0)  # 2
    mu("add", "goal", "Cut cloud spend 15%", now=t0)  # 3
    mu("add", "risk", "Vendor slip", now=t0)  # 4
    mu("add", "career", "Lead a cross-team project", now=t0)  # 5
    reviews = {
        0: ["--flagged", "4", "--answer", "3", "The CFO tied headcount to it",
            "--advice", "Take the cross-team project",
            "--about", "Came from finance; wants bad news early, in person",
            "--add", "win", "Shipped v2"],  # about #6, win #7
        1: ["--answer", "3", "Two teams run idle clusters", "--raised", "7", "--done", "2"],
        2: ["--answer", "3", "About 40k a month", "--about", "Runs marathons; values candour"],
        3: ["--answer", "3", "Own the cluster clean-up", "--done", "1"],
    }
    for n, start in enumerate(HELD):
        when = at(start + "+02:00" if start < "2026-10-25" else start + "+01:00")
        store = Store.open(cfg.store.path)
        try:
            run_cycle(cfg, store, sources, transport, when - timedelta(hours=3))
        finally:
            store.close()
        if n in reviews:
            mu("review", *reviews[n], now=(when + timedelta(hours=1)).isoformat())

    texts = _digests(cfg)
    assert len(texts) == 11  # the two the boss cancelled got none
    probed = [int(m.group(1)) for t in texts for m in [re.search(r"(\d) of 4 probed", t)] if m]
    assert probed[:5] == [0, 1, 2, 3, 4] and set(probed[5:]) == {4}
    d1, d2, d3, d4, d5 = texts[:5]
    last = texts[-1]

    # The first: the unflagged risk leads, then the first goal question.
    lead1 = _lead(d1)
    assert "1. Before Sam Rivera hears it elsewhere: Vendor slip" in lead1
    assert "2. Ask: " in lead1 and "Cut cloud spend" in lead1 and "3. " not in lead1
    assert "Nothing on record yet about Sam Rivera" in d1

    # After the first review: flagged (not closed), advice and the profile remembered.
    assert "Vendor slip [#4, flagged 03 Sep; follow up]" in d2
    assert "Before Sam Rivera hears it elsewhere" not in _lead(d2)
    assert "On 03 Sep Sam Rivera advised: Take the cross-team project" in d2
    assert "Came from finance" in _section(d2, "6. The relationship", "7. Wins")
    assert "Win: Shipped v2" in d2 and "carried through 1 1:1]" in d2

    # Asks carried, then resolved; wins raised are gone.
    assert "Shipped v2" not in without_since(d3)
    assert "Send the Q3 numbers" not in without_since(d3)
    # Stuck: the Lead says what to do, the line points to it (issue 25.8).
    assert "Ask again or escalate: Intro to the Finance VP" in _lead(d4)
    assert "Intro to the Finance VP [#1; see Lead 1; open 23 days; carried through 3 1:1s]" \
        in " ".join(d4.split())
    assert "Ask again or escalate: Intro to the Finance VP" in _lead(d4)
    assert "Intro to the Finance VP" not in without_since(d5)
    profile = _section(d4, "What you know about Sam Rivera:", "Get to know them")
    assert "Came from finance" in profile and "Runs marathons" in profile

    # Every probe answered: no next goal question, the lead asks about career instead.
    assert "Ask next" not in d5 and "Own the cluster clean-up" in d5
    assert "For your own career." in _lead(d5)

    # The last: advice still there, and the strip of the last twelve is right.
    assert "On 03 Sep Sam Rivera advised: Take the cross-team project" in last
    assert "Last 12, oldest first: H H M H C H H M H C H H" in last
    assert "10 of 12 expected 1:1s held in the last 90 days; 2 cancelled by Sam Rivera, " \
        "2 moved by Sam Rivera." in " ".join(last.split())
    assert "Last 1:1: 7 days ago." in last
