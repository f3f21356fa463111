"""iCalendar feeds, read in one place: a file or URL as a source (source.py), with what it
keeps between cycles (state.py) and between processes (feedcache.py); the fast path that
cuts a feed down to what may involve the boss before parsing (precut.py chunk by chunk,
over plainchunk.py and anychunk.py, thin.py for a series' stale overrides (stale.py),
then prefilter.py exactly); and the full parse
(parse.py, recurrence.py). text.py reads lines and nesting as icalendar does, for all of
them; lines.py checks the raw bytes first.

Callers outside this package use only what this module exports."""

from manageup.sources.ics.lines import check_lines
from manageup.sources.ics.source import (
    EXPAND_MARGIN,
    REDUCE_MARGIN,
    IcsSource,
    parse_occurrences,
)

__all__ = ["EXPAND_MARGIN", "REDUCE_MARGIN", "IcsSource", "check_lines", "parse_occurrences"]
