"""A quarter of weekly 1:1s driven through the command line with `--now`, over a calendar
that changes week by week as a boss's calendar does: an instance moved, cancelled by the
boss, deleted from the series (EXDATE), declined by the user, a one-off added.

Each change takes effect from a given instant: the calendar file is rewritten as of the
`--now` of every command, so a digest sent before a cancellation saw the 1:1 still on.
The iCalendar shapes follow RFC 5545 (3.8.5.1 EXDATE, 3.8.4.4 RECURRENCE-ID, 3.8.1.11
STATUS:CANCELLED, 3.2.12 PARTSTAT=DECLINED), as Google and Outlook write them.
"""

from __future__ import annotations

import contextlib
import io
import json
import mailbox
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

from manageup.cli import main
from tests.conftest import BERLIN, at

SERIES = "quarter-tue@example.com"
FIRST = "2027-01-05T10:00"  # a Tuesday; thirteen weekly instances to 30 Mar
ORG = "ORGANIZER;CN=Sam Rivera:mailto:sam@example.com"


def _ics_time(local: str) -> str:
    return datetime.fromisoformat(local).strftime("%Y%m%dT%H%M%S")


def _later(local_start: str) -> str:
    return (datetime.fromisoformat(local_start) + timedelta(minutes=30)).isoformat()


def _people(me: str = "ACCEPTED") -> str:
    return (f"{ORG}\nATTENDEE;CN=Sam Rivera;PARTSTAT=ACCEPTED:mailto:sam@example.com\n"
            f"ATTENDEE;CN=Alex Chen;PARTSTAT={me}:mailto:alex@example.com")


@dataclass
class Change:
    since: datetime
    kind: str  # moved | cancelled | deleted | declined | one-off
    slot: str  # the instance's planned local start (a one-off: its start)
    to: str = ""  # moved: the new local start
    text: str = ""  # one-off: its description


@dataclass
class Quarter:
    config: Path
    calendar: Path
    maildir: Path
    changes: list[Change] = field(default_factory=list)

    def change(self, since: str, kind: str, slot: str, to: str = "", text: str = "") -> None:
        self.changes.append(Change(at(since), kind, slot, to, text))

    def ics(self, now: datetime) -> str:
        live = [c for c in self.changes if c.since <= now]
        exdates = [c.slot for c in live if c.kind == "deleted"]
        out = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//manageup tests//EN",
               "BEGIN:VEVENT", f"UID:{SERIES}", "DTSTAMP:20270101T000000Z",
               f"DTSTART;TZID=Europe/Berlin:{_ics_time(FIRST)}",
               f"DTEND;TZID=Europe/Berlin:{_ics_time(_later(FIRST))}",
               "RRULE:FREQ=WEEKLY;COUNT=13", "SUMMARY:Alex / Sam 1:1", _people()]
        out += [f"EXDATE;TZID=Europe/Berlin:{_ics_time(s)}" for s in exdates]
        out.append("END:VEVENT")
        for c in live:
            if c.kind == "deleted":
                continue
            start = c.to or c.slot
            end = _later(start)
            out += ["BEGIN:VEVENT", f"UID:{SERIES if c.kind != 'one-off' else c.slot + '@x'}",
                    "DTSTAMP:20270101T000000Z"]
            if c.kind != "one-off":
                out.append(f"RECURRENCE-ID;TZID=Europe/Berlin:{_ics_time(c.slot)}")
            out += [f"DTSTART;TZID=Europe/Berlin:{_ics_time(start)}",
                    f"DTEND;TZID=Europe/Berlin:{_ics_time(end)}",
                    "SUMMARY:" + ("Sam / Alex: hiring plan" if c.kind == "one-off"
                                  else "Alex / Sam 1:1")]
            if c.kind == "cancelled":
                out.append("STATUS:CANCELLED")
            if c.text:
                out.append("DESCRIPTION:" + c.text.replace(",", "\\,").replace("\n", "\\n"))
            out.append(_people("DECLINED" if c.kind == "declined" else "ACCEPTED"))
            out.append("END:VEVENT")
        out.append("END:VCALENDAR")
        return "\r\n".join(out) + "\r\n"

    def mu(self, *args: str, now: str, code: int = 0) -> None:
        self.calendar.write_text(self.ics(at(now)))
        got = main(["--config", str(self.config), *args, "--now", now])
        assert got == code, (args, now, got)

    def items(self, now: str) -> list[dict[str, object]]:
        """Every item on record, as `manageup list --all --json` prints it."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["--config", str(self.config), "list", "--all", "--json"]) == 0, now
        items: list[dict[str, object]] = json.loads(out.getvalue())
        return items

    def send(self, now: str) -> None:
        """One cycle, as the daemon runs it at `now`."""
        self.mu("run", "--once", now=now)

    def mails(self) -> list[tuple[str, str]]:
        """(subject, text part) of every mail sent, oldest first."""
        box = mailbox.Maildir(self.maildir, create=False)
        msgs = sorted(box, key=lambda m: parsedate_to_datetime(m["Date"]))
        out = []
        for m in msgs:
            part = m.get_payload()[0] if m.is_multipart() else m
            while part.is_multipart():
                part = part.get_payload()[0]
            out.append((str(m["Subject"]), part.get_payload(decode=True).decode()))
        return out

    def digests(self) -> list[str]:
        return [text for subject, text in self.mails() if subject.startswith("Prep:")]


def quarter(make_config, tmp_path: Path, extra: str = "") -> Quarter:
    cal = tmp_path / "calendar.ics"
    q = Quarter(Path(), cal, tmp_path / "Maildir")
    cal.write_text(q.ics(at(FIRST + "+01:00")))
    path, _cfg = make_config(cal, extra)
    q.config = path
    return q


def tuesday(week: int, hour: str = "10:00") -> str:
    """The week's planned 1:1 (week 0 is 5 Jan), local time as written in the calendar."""
    day = datetime.fromisoformat(FIRST) + timedelta(weeks=week)
    return f"{day:%Y-%m-%d}T{hour}"


def local(text: str) -> str:
    """A local wall time in Berlin as an ISO instant with its offset."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN).isoformat()
