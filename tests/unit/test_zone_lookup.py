"""Whether a VTIMEZONE's TZID is a zone the system knows (then icalendar uses that zone, not
the feed's rules) is answered per name, as icalendar's own check answers it, without
listing every installed zone: zoneinfo.available_timezones() opens about 600 files, one
cold feed read's worth of CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zoneinfo

from icalendar.timezone.zoneinfo import ZONEINFO

from manageup.sources.ics.salvage import KnownZones
from tests.conftest import ICS

# Names a feed's TZID may carry that are not plain zone keys: Outlook's, a custom one, a
# folder of the zone tree, files of it that are not zones, paths, the one key the listing
# leaves out, and keys under the tree's linked folders (posix/ and right/ link to the zones
# on Debian's tzdata), which the listing does not walk into.
ODD_NAMES = ["W. Europe Standard Time", "Central Europe", "/Europe/CUSTOM", "Europe",
             "America/Argentina", "zone.tab", "tzdata.zi", "iso3166.tab", "", " ",
             "../zoneinfo/Europe/Berlin", "Europe/../Europe/Berlin", "Europe/Berlin ",
             "europe/berlin", "posixrules", "Etc/GMT+15", "Mars/Olympus_Mons", "UTC\x00",
             "posix/Europe/Vaduz", "right/UTC", "posix/UTC", "localtime"]


def test_every_installed_zone_is_known_and_nothing_else() -> None:
    ours, theirs = KnownZones(), ZONEINFO()
    for name in sorted(zoneinfo.available_timezones()) + ODD_NAMES:
        assert ours.knows_timezone_id(name) == theirs.knows_timezone_id(name), name


LISTED = """
import json, sys, zoneinfo
calls = []
listing = zoneinfo.available_timezones
zoneinfo.available_timezones = lambda: calls.append(1) or listing()
from manageup.sources.ics.parse import read_calendar
cal, _ = read_calendar(open(sys.argv[1], "rb").read())
event = next(c for c in cal.walk("VEVENT"))
print(json.dumps([len(calls), str(event["DTSTART"].dt.tzinfo),
                  type(event["DTSTART"].dt.tzinfo).__name__]))
"""


def test_a_feed_with_a_known_vtimezone_lists_no_zones() -> None:
    # iCloud's Europe/Berlin, its 1893 rule impossible: the system's zone is used instead.
    feed = ICS / "vtimezone_impossible_offset.ics"
    out = subprocess.run([sys.executable, "-c", LISTED, str(feed)], capture_output=True,
                         text=True, check=True, env=os.environ.copy()).stdout
    assert json.loads(out.strip().splitlines()[-1]) == [0, "Europe/Berlin", "ZoneInfo"]
