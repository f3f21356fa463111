"""A calendar around today's date, for commands that read the real clock (doctor, init,
the README walkthrough): weekly 1:1s with Sam, every other week with Dana, a team
meeting with Sam in it, a one-off with Bob.

`outlook=True` writes it as Outlook and Exchange export it: names as the directory's
"Last, First" in quoted CNs, MAILTO in capitals, and local times in a Windows zone
("W. Europe Standard Time") defined by its own VTIMEZONE. The shape follows the Exchange
2010 export quoted in https://github.com/insanum/gcalcli/pull/35 (ORGANIZER;CN="Hansen,
Sune":MAILTO:..., TZID:Romance Standard Time with STANDARD/DAYLIGHT rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

WINDOWS_ZONE = "W. Europe Standard Time"  # Europe/Berlin in Windows' names
_VTIMEZONE = f"""BEGIN:VTIMEZONE
TZID:{WINDOWS_ZONE}
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE"""


def _when(name: str, at: datetime, outlook: bool) -> str:
    if not outlook:
        return f"{name}:{at:%Y%m%dT%H%M%SZ}"
    local = at.astimezone(ZoneInfo("Europe/Berlin"))
    return f"{name};TZID={WINDOWS_ZONE}:{local:%Y%m%dT%H%M%S}"


def _who(prop: str, email: str, name: str, outlook: bool) -> str:
    if not outlook:
        return f"{prop};CN={name}:mailto:{email}"
    first, _, last = name.partition(" ")
    cn = f'"{last}, {first}"' if last else name
    return f"{prop};CN={cn}:MAILTO:{email}"


def _event(uid: str, start: datetime, title: str, people: list[tuple[str, str]],
           rule: str = "", outlook: bool = False) -> str:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z",
             _when("DTSTART", start, outlook),
             _when("DTEND", start + timedelta(minutes=30), outlook), f"SUMMARY:{title}"]
    if rule:
        lines.append(f"RRULE:{rule}")
    organizer = people[0]
    lines.append(_who("ORGANIZER", organizer[0], organizer[1], outlook))
    lines += [_who("ATTENDEE;PARTSTAT=ACCEPTED", email, name, outlook) for email, name in people]
    return "\n".join([*lines, "END:VEVENT"])


def write_calendar(path: Path, today: datetime | None = None, outlook: bool = False) -> Path:
    today = (today or datetime.now(UTC)).replace(hour=9, minute=0, second=0, microsecond=0)
    first = today - timedelta(weeks=6) + timedelta(days=2)
    me = ("alex@example.com", "Alex Chen")
    events = [
        _event("sam-weekly", first, "Alex / Sam 1:1", [("sam@example.com", "Sam Rivera"), me],
               "FREQ=WEEKLY", outlook),
        _event("dana-biweekly", first + timedelta(hours=3), "Alex <> Dana",
               [me, ("dana@example.com", "Dana Park")], "FREQ=WEEKLY;INTERVAL=2", outlook),
        _event("team", first + timedelta(days=1), "Team sync",
               [("sam@example.com", "Sam Rivera"), me, ("a@example.com", "A"),
                ("b@example.com", "B")], "FREQ=WEEKLY", outlook),
        _event("bob-once", today + timedelta(days=1), "Coffee", [me, ("bob@example.com", "Bob")],
               outlook=outlook),
    ]
    head = ["BEGIN:VCALENDAR", "VERSION:2.0"]
    head += ["PRODID:Microsoft Exchange Server 2010", "METHOD:PUBLISH", _VTIMEZONE] if outlook \
        else ["PRODID:-//manageup tests//EN"]
    text = "\n".join([*head, *events, "END:VCALENDAR", ""])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace("\n", "\r\n"))
    return path


def fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *unset: str) -> Path:
    """An empty home folder as a new user's, with no XDG or manageup setting pointing
    elsewhere (and any other variable named in `unset` removed)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "MANAGEUP_CONFIG", *unset):
        monkeypatch.delenv(var, raising=False)
    return home
