"""The user's own out-of-office time. A 1:1 inside it still gets its digest, and the
digest says first that the user will be away, so they cancel or move it in time
(issue 27.5).

An occurrence is the user's absence when it is the user's own (nobody else invited: no
attendee and no organizer but the user), not cancelled or declined, and either
1. its source marks it out of office. Those marks are
   - in an .ics from Outlook or Exchange, X-MICROSOFT-CDO-BUSYSTATUS or
     X-MICROSOFT-CDO-INTENDEDSTATUS "OOF", which [MS-OXCICAL] maps to the busy status
     "The user is Out of Office" (learn.microsoft.com/en-us/openspecs/
     exchange_server_protocols/ms-oxcical/cd68eae7-ed65-4dd3-8ea7-ad585c76c736);
   - Microsoft Graph's showAs "oof" (its freeBusyStatus values: free, tentative, busy,
     oof, workingElsewhere, unknown);
   - Google Calendar's eventType "outOfOffice"
     (developers.google.com/calendar/api/guides/event-types);
   or
2. it lasts all day (or 24 hours or more), is not shown as free (TRANSP:TRANSPARENT,
   Outlook's FREE, Google's "transparent"), and its title holds one of WORDS as a word,
   in ASCII letters of any case. Google's out-of-office entries reach an .ics export as
   plain all-day events titled "Out of office", and people title their own days off
   the same way.
The .ics fast path (sources/ics/prefilter.py, and the pre-cut before it) keeps every
event that holds one of WORDS anywhere between non-letters, or a value "OOF": looser
than this rule, so it never loses an absence the full parse finds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from functools import lru_cache

from manageup.config import Config
from manageup.detect import is_me, lost
from manageup.model import Occurrence

WORDS = ("out of office", "out of the office", "ooo", "vacation", "pto", "urlaub",
         "annual leave")
# As the pre-cut looks for them first, in text squeezed of blanks: the words, and a
# property value "OOF" (Outlook's mark).
FAST_WORDS = (*(w.replace(" ", "").encode() for w in WORDS), b":oof")
_TITLE = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in WORDS) + r")\b",
                    re.IGNORECASE | re.ASCII)
OOF, FREE, BUSY = "oof", "free", "busy"  # Occurrence.show_as, named as Graph names them


@lru_cache(maxsize=1)
def fast_pattern() -> re.Pattern[bytes]:
    """In lower-cased, unfolded text: any of WORDS between non-letters (an escaped
    line break "\\n" before one counts as none: the title reads a line break there), or
    a value "OOF" after its colon. Looser than the rule above, which reads only the
    title, and the Outlook status values, in ASCII."""
    words = b"|".join(re.escape(w.encode()) for w in WORDS)
    return re.compile(rb"(?:(?<![a-z0-9])|(?<=\\n))(?:" + words + rb")(?![a-z0-9])"
                      rb"|:[ \t]*oof")


def away_in(low: bytes) -> bool:
    """An unfolded, lower-cased event that may be the user's out-of-office time."""
    return fast_pattern().search(low) is not None


def is_away(occ: Occurrence, config: Config) -> bool:
    """The occurrence is the user's own time out of office (see the module's doc)."""
    mine = config.me_addresses
    if lost(occ, mine) or (occ.organizer is not None and not is_me(occ.organizer, mine)):
        return False
    if any(not p.is_resource and not is_me(p, mine) for p in occ.attendees):
        return False
    if occ.show_as == OOF:
        return True
    long = occ.all_day or occ.end - occ.start >= timedelta(hours=24)
    return long and occ.show_as != FREE and _TITLE.search(occ.title) is not None


def covering(meeting: Occurrence, occurrences: Iterable[Occurrence],
             config: Config) -> Occurrence | None:
    """The user's first absence that overlaps the meeting; None when they are in."""
    return next((o for o in occurrences if o.start < meeting.end and o.end > meeting.start
                 and o.key != meeting.key and is_away(o, config)), None)
