"""A 1:1 at a wall time that does not exist (02:30 on the night the clocks go forward) is
at the instant RFC 5545 3.3.5 says it names (the offset before the gap: 03:30 on the
clock), shown, listed and scheduled there, and never ends before it starts (issue 24.4)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from manageup.cli import main
from manageup.config import Calendar, parse_config
from manageup.cycle import make_sources, run_cycle
from manageup.deliver import make_transport
from manageup.sources.ics import IcsSource, parse_occurrences
from manageup.store import Store
from tests.conftest import BERLIN, ICS, config_text

GAP = ICS / "spring_forward_gap_berlin.ics"
MARCH = (datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 4, 10, tzinfo=UTC))
REAL_START = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 02:30 CET, which is 03:30 CEST


def in_gap(zone: ZoneInfo, full: bool = True) -> list[tuple[str, datetime, datetime, str]]:
    if full:
        occs = parse_occurrences(GAP.read_bytes(), *MARCH, zone).occurrences
    else:  # the source as the daemon runs it: the fast path first
        cfg = parse_config(config_text(GAP, Path("/nonexistent")))
        occs = IcsSource(Calendar(type="ics", path=GAP), cfg).fetch(*MARCH, zone).occurrences
    return [(o.uid, o.start, o.end, o.start.strftime("%H:%M")) for o in occs
            if o.start.astimezone(UTC).date() == REAL_START.date()]


@pytest.mark.parametrize("full", [True, False], ids=["full parse", "fast path"])
@pytest.mark.parametrize("zone", ["Europe/Berlin", "UTC", "America/New_York"])
def test_a_start_in_the_gap_is_the_instant_after_it(zone: str, full: bool) -> None:
    z = ZoneInfo(zone)
    found = in_gap(z, full)
    assert {uid for uid, *_ in found} == {"gap-one-off@example.com", "gap-weekly@example.com"}
    for _uid, start, end, shown in found:
        assert start.astimezone(UTC) == REAL_START
        # Shown as the clock shows that instant: 03:30 in Berlin, never 02:30.
        assert shown == REAL_START.astimezone(z).strftime("%H:%M")
        # Its written length (30 minutes), not its DTEND (03:00, before 03:30).
        assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(minutes=30)
        # Each time exists in its zone: it goes through UTC and back unchanged.
        for t in (start, end):
            assert t.astimezone(UTC).astimezone(z).isoformat() == t.isoformat()


def test_meetings_json_and_the_digest_are_at_the_real_instant(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg_path = tmp_path / "config.toml"
    cfg_path.write_text(config_text(GAP, tmp_path, '[digest]\nlead_time = "1h"\n'
                                    'send_window = "00:00-23:59"\n'))
    cfg_path.chmod(0o600)
    now = "2026-03-28T12:00:00+01:00"
    assert main(["--config", str(cfg_path), "meetings", "--now", now, "--json"]) == 0
    rows = [r for r in json.loads(capsys.readouterr().out) if r["start"].startswith("2026-03-29")]
    assert {r["uid"] for r in rows} == {"gap-one-off@example.com", "gap-weekly@example.com"}
    for r in rows:
        assert (r["start"], r["end"]) == ("2026-03-29T03:30:00+02:00",
                                          "2026-03-29T04:00:00+02:00")
        # An hour before 01:30 UTC: 00:30 UTC, 01:30 on the clock before the change (an
        # hour back on the clock from 03:30 is 02:30, which is the meeting itself).
        assert r["digest_due"] == "2026-03-29T01:30:00+01:00"
    # The real cycle: nothing a minute before that time, both digests at it.
    cfg = parse_config(cfg_path.read_text(), cfg_path)
    sources, transport = make_sources(cfg), make_transport(cfg)
    due = datetime(2026, 3, 29, 0, 30, tzinfo=UTC).astimezone(BERLIN)
    store = Store.open(cfg.store.path)
    try:
        run_cycle(cfg, store, sources, transport, due - timedelta(minutes=1))
        assert not [r for r in store.ledger() if r.state == "sent"]
        run_cycle(cfg, store, sources, transport, due)
        sent = [r for r in store.ledger() if r.state == "sent"]
        assert sorted(r.key.split("|")[0] for r in sent) == \
            ["gap-one-off@example.com", "gap-weekly@example.com"]
    finally:
        store.close()
