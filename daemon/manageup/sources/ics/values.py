"""The feed's unfolded text made to say what it means before icalendar reads it, where
icalendar would read a value wrongly and silently: an all-day date written with a TZID,
a time zone named with blanks around its TZID, and a component named with blanks around
its name. Each fix runs only when a search of the lowercased text finds its case."""

from __future__ import annotations

import re

# A date-valued property written with a TZID as well ("DTSTART;VALUE=DATE;TZID=X:20261105",
# the parameters in any order, the value quoted or not): icalendar reads it as midnight in
# that zone; RFC 5545 3.3.4 says a DATE has no zone.
_DATE_WITH_TZID = re.compile(
    rb"^((?:dtstart|dtend|due|recurrence-id|rdate|exdate)(?:;[^:\r\n]*)?)"
    rb":([0-9]{8}(?:,[0-9]{8})*)(\r?)$", re.I | re.M)
_VALUE_DATE = re.compile(rb';[ \t]*value[ \t]*=[ \t]*"?date"?[ \t]*(?:;|$)', re.I)
_TZID_PARAM = re.compile(rb';[ \t]*tzid[ \t]*=(?:"[^"\r\n]*"|[^;:\r\n]*)', re.I)
_SEEN_DATE = re.compile(rb'value[ \t]*=[ \t]*"?date"?[ \t]*[;:]')

# Blanks around a TZID: icalendar strips them from an unquoted parameter ("TZID= Office")
# but keeps them in a quoted one and in the VTIMEZONE's own TZID ("TZID: Office"), so the
# event finds no zone and is read as floating time, hours off. The name is the same
# without them, on both sides.
_BLANK_AFTER_TZID = (b";tzid ", b";tzid\t", b";tzid= ", b";tzid=\t", b';tzid="')
_BLANK_BEFORE = (b" :", b" ;", b"\t:", b"\t;")
_SEEN_TRAILING_BLANK = re.compile(rb";tzid=[^;:\"\r\n]*[ \t][;:]")
_SEEN_BLANK_ZONE = re.compile(rb"\ntzid[ \t]*:(?:[ \t]|[^\r\n]*[ \t]\r?\n)")
_TZID_PARAM_BLANKS = re.compile(
    rb';[ \t]*tzid[ \t]*=[ \t]*(?:"[ \t]*([^"\r\n]*?)[ \t]*"|([^";:\r\n]*?)[ \t]*)(?=[;:])', re.I)
_TZID_PROP_BLANKS = re.compile(rb"^tzid[ \t]*:[ \t]*([^\r\n]*?)[ \t]*(\r?)$", re.I | re.M)

# Blanks around a component's name ("BEGIN:VEVENT ", "END:VEVENT\t", "BEGIN: VEVENT"):
# icalendar reads "VEVENT " as another component, so the event is never read as one (and
# a bad value in it, which an event would only note, refuses the whole feed).
_BLANK_NAMED = (b"begin: ", b"begin:\t", b"end: ", b"end:\t", b"begin ", b"end ",
                b"begin\t", b"end\t")
_BLANK_ENDED = (b" \r\n", b"\t\r\n", b" \n", b"\t\n")
_COMPONENT_BLANKS = re.compile(rb"^(begin|end)[ \t]*:[ \t]*([^\r\n]*?)[ \t]*(\r?)$",
                               re.I | re.M)


def as_meant(text: bytes) -> bytes:
    """`text` (unfolded) with dates that carry a TZID made plain dates, and the blanks
    around every TZID and every component's name taken away."""
    low = text.lower()
    if _SEEN_DATE.search(low):
        text = _DATE_WITH_TZID.sub(_date_without_zone, text)
    if _blank_around_a_tzid(low):
        text = _TZID_PARAM_BLANKS.sub(_param_trimmed, text)
        text = _TZID_PROP_BLANKS.sub(lambda m: b"TZID:" + m[1] + m[2], text)
    if any(s in low for s in _BLANK_NAMED) or any(s in low for s in _BLANK_ENDED):
        text = _COMPONENT_BLANKS.sub(lambda m: m[1] + b":" + m[2] + m[3], text)
    return text


def _blank_around_a_tzid(low: bytes) -> bool:
    """Searched with bytes.find first: a regex over every ";tzid" of a big feed (there is
    one per timed event) costs tens of milliseconds; these cost one."""
    if any(s in low for s in _BLANK_AFTER_TZID) or _SEEN_BLANK_ZONE.search(low):
        return True
    return any(s in low for s in _BLANK_BEFORE) and bool(_SEEN_TRAILING_BLANK.search(low))


def _date_without_zone(m: re.Match[bytes]) -> bytes:
    params = m.group(1)
    if not _VALUE_DATE.search(params) or not _TZID_PARAM.search(params):
        return m.group(0)
    return _TZID_PARAM.sub(b"", params) + b":" + m.group(2) + m.group(3)


def _param_trimmed(m: re.Match[bytes]) -> bytes:
    return b";TZID=" + (b'"' + m[1] + b'"' if m[1] is not None else m[2])
