"""A calendar around today's date, for commands that read the real clock (doctor, init,
the README walkthrough): weekly 1:1s with Sam, every other week with Dana, a team
meeting with Sam in it, a one-off with Bob."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path


def _event(uid: str, start: datetime, title: str, people: list[tuple[str, str]],
           rule: str = "") -> str:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z",
             f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
             f"DTEND:{start + timedelta(minutes=30):%Y%m%dT%H%M%SZ}", f"SUMMARY:{title}"]
    if rule:
        lines.append(f"RRULE:{rule}")
    organizer = people[0]
    lines.append(f"ORGANIZER;CN={organizer[1]}:mailto:{organizer[0]}")
    lines += [f"ATTENDEE;CN={name};PARTSTAT=ACCEPTED:mailto:{email}" for email, name in people]
    return "\n".join([*lines, "END:VEVENT"])


def write_calendar(path: Path, today: datetime | None = None) -> Path:
    today = (today or datetime.now(UTC)).replace(hour=9, minute=0, second=0, microsecond=0)
    first = today - timedelta(weeks=6) + timedelta(days=2)
    me = ("alex@example.com", "Alex Chen")
    events = [
        _event("sam-weekly", first, "Alex / Sam 1:1", [("sam@example.com", "Sam Rivera"), me],
               "FREQ=WEEKLY"),
        _event("dana-biweekly", first + timedelta(hours=3), "Alex <> Dana",
               [me, ("dana@example.com", "Dana Park")], "FREQ=WEEKLY;INTERVAL=2"),
        _event("team", first + timedelta(days=1), "Team sync",
               [("sam@example.com", "Sam Rivera"), me, ("a@example.com", "A"),
                ("b@example.com", "B")], "FREQ=WEEKLY"),
        _event("bob-once", today + timedelta(days=1), "Coffee", [me, ("bob@example.com", "Bob")]),
    ]
    text = "\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//manageup tests//EN",
                      *events, "END:VCALENDAR", ""])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace("\n", "\r\n"))
    return path
