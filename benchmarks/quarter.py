"""A quarter of weekly 1:1s as an active user lives it, through the command line with
`--now`: how long each digest is and how much of it is the same as the week before.

    .venv/bin/python -m benchmarks.quarter

Thirteen Tuesday 1:1s with Sam from 5 Jan 2027 (digests on Monday at 16:00, reviews on
Tuesday at 11:00). Sam moves one, cancels one before its digest, deletes the next from the
series (a 21-day gap) and cancels one after its digest went out. Every review answers a
goal question or two, notes advice or what was learned, closes what was done, adds what
came up, and rates how the relationship feels. The calendar is tests/system/quarter_sim's.

Per week it prints the words of the text part and the share of its lines (the meeting
block aside) that the previous digest had word for word.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from manageup.config import Config, parse_config
from tests.conftest import config_text
from tests.system.quarter_sim import Quarter, local, quarter, tuesday

WORDS_AT_MOST = 600
SAME_AT_MOST = 0.5

T0 = "2027-01-01T09:00"
SETUP = [  # item ids in the order added
    ("need", "Intro to the Finance VP"),  # 1
    ("owe", "Send the Q4 numbers", "--due", "2027-01-11"),  # 2
    ("goal", "Cut cloud spend 15%"),  # 3
    ("goal", "Hire two SREs"),  # 4
    ("goal", "Keep the Q2 launch date"),  # 5
    ("risk", "The vendor may slip the API by two weeks"),  # 6
    ("career", "Lead a cross-team project"),  # 7
    ("about", "Came from finance; likes the numbers first"),  # 8
    ("win", "Closed the audit findings", "--goal", "5"),  # 9
    ("goal", "Make the platform team a place people stay"),  # 10
    ("career", "Be promoted to staff engineer within a year"),  # 11
    ("topic", "The team offsite in April"),  # 12
    ("need", "A view on splitting the on-call rota", "--due", "2027-02-23"),  # 13
    ("owe", "Review the Q2 hiring plan", "--due", "2027-03-31"),  # 14
]

# The review after each held 1:1 (by week), as flags of `manageup review`; "@Text" names
# the item whose text starts so (ids depend on what review adds on its own).
REVIEWS: dict[int, list[str]] = {
    0: ["--answer", "@Cut cloud", "The board set it for the year", "--answer", "@Hire two",
        "Two engineers left in the autumn", "--advice", "Ask Lena for a monthly cost session",
        "--about", "Wants bad news in writing first", "--raised", "@Closed the audit",
        "--add", "win", "Moved the batch jobs to spot instances"],
    1: ["--done", "@Send the Q4", "--answer", "@Cut cloud", "Three teams run idle clusters",
        "--answer", "@Keep the Q2", "Sales promised the date to two customers",
        "--add", "owe", "Draft the SRE job ad"],
    2: ["--answer", "@Hire two", "Recruiting has no SRE pipeline", "--flagged", "@The vendor",
        "--answer", "@Make the platform", "Three of the eight left last year",
        "--add", "need", "Budget sign-off for the load tests", "--raised", "@Moved the batch"],
    3: ["--answer", "@Cut cloud", "About 40k a month", "--done", "@Intro to", "@Draft the SRE",
        "--add", "win", "Spot instances saved 6k in January"],
    4: ["--answer", "@Keep the Q2", "The load tests are the long pole", "--advice",
        "Present the cost work at the staff meeting", "--raised", "@Spot instances",
        "--add", "risk", "On-call pages doubled after the migration"],
    7: ["--answer", "@Hire two", "A referral bonus would help", "--done", "@Budget sign-off",
        "--add", "owe", "Send the on-call report", "--raised", "@The team off",
        "--answer", "@Make the platform", "Nobody sees a path to senior roles"],
    8: ["--answer", "@Cut cloud", "Shut down two idle clusters", "--flagged", "@On-call pages",
        "--add", "goal", "Move billing off the old cluster"],
    10: ["--answer", "@Keep the Q2", "Pair QA with the vendor", "--answer", "@Move billing",
         "The old cluster's licence ends in June"],
    11: ["--answer", "@Hire two", "Approve the referral bonus", "--answer", "@Move billing",
         "The data migration scripts", "--done", "@Send the on-call"],
}
# How the relationship felt, rated privately in each review (1-5), and what would help.
RATINGS: dict[int, list[str]] = {
    0: ["--rating", "3"], 1: ["--rating", "3"],
    2: ["--rating", "4", "--better", "More notice when plans change"],
    3: ["--rating", "4"], 4: ["--rating", "3"],
    7: ["--rating", "2", "--better", "Keep the 1:1s that are booked"],
    8: ["--rating", "3"], 10: ["--rating", "4"], 11: ["--rating", "4"],
}
for _week, _rating in RATINGS.items():
    REVIEWS[_week] = [*REVIEWS[_week], *_rating]

# Noted with `manageup add` right after a review, when it needs more than review takes.
ADDS: dict[int, list[list[str]]] = {
    7: [["win", "Two idle clusters shut down", "--goal", "@Cut cloud"]],
    10: [["win", "Billing's first service moved", "--goal", "@Move billing"]],
}


@dataclass(frozen=True)
class Week:
    number: int  # 1-13
    text: str  # the digest's text part; "" when no digest went out that week
    words: int
    same: float | None  # share of lines the previous digest had; None for the first


def play(q: Quarter, reviews: dict[int, list[str]] | None = None) -> None:
    """The quarter, from the first note to the last digest."""
    reviews = REVIEWS if reviews is None else reviews
    for kind, text, *rest in SETUP:
        q.mu("add", kind, text, *rest, now=local(T0))
    q.mu("edit", "2", "--goal", "3", now=local(T0))  # the numbers serve the cost goal
    q.change("2027-01-25T09:00+01:00", "moved", tuesday(3), to="2027-01-27T10:00")
    q.change("2027-02-05T09:00+01:00", "cancelled", tuesday(5))
    q.change("2027-02-12T09:00+01:00", "deleted", tuesday(6))
    q.change("2027-03-08T18:00+01:00", "cancelled", tuesday(9))
    for week in range(13):
        monday = tuesday(week, "16:00").replace("T", " ")
        day = monday[:10]
        q.send(local(_day_before(day) + "T16:00"))
        if week == 3:  # moved to Wednesday: its digest goes out on Tuesday
            q.send(local("2027-01-26T16:00"))
        if week == 9:  # cancelled after its digest went out
            q.send(local(_day_before(day) + "T20:00"))
        if week in reviews:
            after = "2027-01-28T11:00" if week == 3 else day + "T11:00"
            q.mu("review", *_ids(q, reviews[week], after), now=local(after))
            for add in ADDS.get(week, []) if reviews is REVIEWS else []:
                q.mu("add", *_ids(q, add, after), now=local(after))


def _day_before(day: str) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def _ids(q: Quarter, flags: list[str], now: str) -> list[str]:
    """"@Text" as the id of the item whose text starts so."""
    if not any(f.startswith("@") for f in flags):
        return flags
    items = q.items(now)
    out = []
    for f in flags:
        if f.startswith("@"):
            (found,) = [i["id"] for i in items if i["text"].startswith(f[1:])]
            f = str(found)
        out.append(f)
    return out


def meeting_block_aside(text: str) -> list[str]:
    """The digest's lines that carry content, the meeting block (when and where, which
    changes every week by nature) left out."""
    lines, skip = [], False
    for line in text.splitlines():
        if line.strip() == "1. The meeting":
            skip = True
        elif skip and re.match(r"\d\. ", line.strip()):
            skip = False
        if not skip and line.strip() and not set(line.strip()) <= {"="}:
            lines.append(line.strip())
    return lines


def same_share(text: str, before: str) -> float:
    lines = meeting_block_aside(text)
    seen = set(meeting_block_aside(before))
    return sum(line in seen for line in lines) / len(lines) if lines else 0.0


def weeks(q: Quarter) -> list[Week]:
    by_week: dict[int, str] = {}
    for text in q.digests():
        m = re.search(r"When: +\w+ (\d\d) (\w+)", text)
        if not m:
            continue
        from datetime import datetime

        when = datetime.strptime(f"{m.group(1)} {m.group(2)} 2027", "%d %B %Y")
        by_week[(when - datetime(2027, 1, 5)).days // 7 + 1] = text
    out, before = [], ""
    for n in range(1, 14):
        text = by_week.get(n, "")
        same = same_share(text, before) if text and before else None
        out.append(Week(n, text, len(text.split()), same))
        before = text or before
    return out


def played(folder: Path, reviews: dict[int, list[str]] | None = None) -> Quarter:
    """The quarter played through the command line, its store and mail in `folder` (the
    benchmark and the tests that read its digests share it); `reviews` in place of
    REVIEWS."""

    def make_config(cal: Path, extra: str = "") -> tuple[Path, Config]:
        path = folder / "config.toml"
        path.write_text(config_text(cal, folder, extra))
        path.chmod(0o600)
        return path, parse_config(path.read_text(), path)

    q = quarter(make_config, folder)
    play(q, reviews)
    return q


def run(folder: Path) -> list[Week]:
    os.environ["XDG_CACHE_HOME"] = str(folder / "cache")
    return weeks(played(folder))


def report(rows: list[Week]) -> str:
    lines = ["week  words  same as the digest before"]
    for w in rows:
        if not w.text:
            lines.append(f"{w.number:>4}      -  (no digest: the 1:1 did not take place)")
            continue
        same = "-" if w.same is None else f"{w.same:.0%}"
        lines.append(f"{w.number:>4}  {w.words:>5}  {same}")
    last = rows[-1]
    ok = last.words <= WORDS_AT_MOST and (last.same or 0) <= SAME_AT_MOST
    lines.append(f"week 13: {last.words} words (at most {WORDS_AT_MOST}), "
                 f"{(last.same or 0):.0%} the same (at most {SAME_AT_MOST:.0%}): "
                 + ("holds" if ok else "DOES NOT HOLD"))
    return "\n".join(lines)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="manageup-quarter-") as tmp:
        rows = run(Path(tmp))
    print(report(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
