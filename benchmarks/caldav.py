"""A CalDAV collection of thousands of events on Radicale (issue 29.4, CalDAV).

    .venv/bin/python -m benchmarks.caldav          # 5,000 events
    .venv/bin/python -m benchmarks.caldav 20000    # another size

The benchmark starts Radicale in this process on 127.0.0.1 with an htpasswd login, as
tests/integration/test_caldav.py does (its Radicale class, which also counts requests),
and seeds the collection by writing Radicale's storage folder directly: one resource per
UID of benchmarks.generate's feed (the boss's series with its overrides, other series,
single meetings), each with the feed's time zones, as a CalDAV client would upload them.
Radicale reads the collection once before any path is measured, so its own first-read
cache costs no path.

Every path is a fresh process, measured whole as benchmarks.run measures them (wall, CPU,
its own peak RSS; CPU is the child's alone); requests, and the time Radicale took to
answer them (server ms, part of poll ms), are counted by the server:
- first poll: manageup's first read (the sync token, the time-range query, the expansion
  here), its state saved in a new store;
- quiet poll: the next process (the timer's next `run --once`) on the same store;
- naive, every poll: the caldav library's own way, `calendar.search(start=, end=,
  event=True, expand=True)`, each expanded instance read as it comes, nothing kept.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.run import NOW, PEOPLE, STATE, Measure, python, spawn

CONFIG = PEOPLE + """[[calendars]]
type = "caldav"
name = "work"
url = "{url}"
username = "alex"
timeout = {wait}
max_bytes = 200000000
""" + STATE
# Radicale in one thread of a shared machine answers thousands of resources slowly: no
# path should fail for a timeout meant for a slow network.
WAIT = 600
UID = re.compile(rb"\r\nUID:([^\r\n]+)")


def resources(feed: bytes) -> dict[str, bytes]:
    """The feed as a CalDAV server holds it: one VCALENDAR per UID, each with the feed's
    time zones (the feed's own header and VTIMEZONEs, its VEVENTs grouped by UID)."""
    head, _, rest = feed.partition(b"BEGIN:VEVENT\r\n")
    rest = b"BEGIN:VEVENT\r\n" + rest.removesuffix(b"END:VCALENDAR\r\n")
    by_uid: dict[str, list[bytes]] = {}
    for block in rest.split(b"END:VEVENT\r\n")[:-1]:
        uid = UID.search(block)
        assert uid is not None, block[:200]
        by_uid.setdefault(uid.group(1).decode(), []).append(block + b"END:VEVENT\r\n")
    return {uid: head + b"".join(blocks) + b"END:VCALENDAR\r\n"
            for uid, blocks in by_uid.items()}


def seed(collections: Path, n: int) -> int:
    """Radicale's file-system storage, written directly: a calendar collection is a folder
    with a .Radicale.props naming it a VCALENDAR, each resource one file named by its href.
    Returns the number of resources."""
    from benchmarks.generate import generate

    folder = collections / "collection-root" / "alex" / "bench"
    folder.mkdir(parents=True)
    (folder / ".Radicale.props").write_text(json.dumps({"tag": "VCALENDAR",
                                                        "D:displayname": "bench"}))
    objects = resources(generate(n).encode())
    for i, data in enumerate(objects.values()):
        (folder / f"event-{i}.ics").write_bytes(data)
    return len(objects)


def window(cfg: Any) -> tuple[datetime, datetime]:
    """The cycle's window (cycle.gather): history behind, the lookahead ahead."""
    now = datetime.fromisoformat(NOW).astimezone(cfg.zone)
    return now - timedelta(days=cfg.detect.history_days), now + cfg.detect.lookahead


def child(mode: str, cfg_path: Path, password: str) -> None:
    """One poll in this process; prints the 1:1s it found and how long the poll took."""
    from manageup.config import load_config
    from manageup.detect import detect

    cfg = load_config(cfg_path)
    start, end = window(cfg)
    t = time.perf_counter()
    if mode == "naive":
        occurrences = naive(cfg, password, start, end)
    else:
        from manageup.sources.caldav import CaldavSource
        from manageup.store import Store

        src = CaldavSource(cfg.calendars[0], cfg, password=password)
        store = Store.open(cfg.store.path)
        try:
            occurrences = src.fetch_synced(start, end, cfg.zone, store=store,
                                           now=start, readonly=False).occurrences
        finally:
            store.close()
    ms = (time.perf_counter() - t) * 1000
    found = sorted(f"{m.occurrence.uid}@{m.occurrence.start.isoformat()}"
                   for m in detect(occurrences, cfg))
    print(json.dumps({"poll_ms": ms, "occurrences": len(occurrences), "found": found}))


def naive(cfg: Any, password: str, start: datetime, end: datetime) -> list[Any]:
    """The caldav library's documented way: a time-range search expanded by the library,
    one calendar object per instance, each read with the same ics reader manageup uses."""
    from caldav.davclient import DAVClient

    from manageup.sources.ics import EXPAND_MARGIN, parse_occurrences

    cal = cfg.calendars[0]
    client = DAVClient(cal.url, username=cal.username, password=password, timeout=WAIT)
    calendar = client.calendar(url=cal.url)
    out: list[Any] = []
    for obj in calendar.search(start=start, end=end, event=True, expand=True):
        got = parse_occurrences(obj.data.encode(), start - EXPAND_MARGIN, end + EXPAND_MARGIN,
                                cfg.zone).occurrences
        out += [o for o in got if o.end > start and o.start < end]
    return out


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        child(argv[1], Path(argv[2]), argv[3])
        return 0
    from caldav.davclient import DAVClient

    from tests.integration.test_caldav import PASSWORD, Radicale

    n = int(argv[0]) if argv else 5000
    work = Path(tempfile.mkdtemp(prefix="mu-caldav-bench-"))
    server = Radicale(work)
    # Radicale fsyncs each item's cache entry as it first reads it: on a shared disk that
    # measures the disk, not the protocol (a server's own cache is warm in use anyway).
    server.app._storage._filesystem_fsync = False
    server.app = Timed(server.app)
    try:
        count = seed(work / "collections", n)
        url = f"{server.url}/alex/bench/"
        cfg = work / "config.toml"
        cfg.write_text(CONFIG.format(url=url, state=work, wait=WAIT))
        cfg.chmod(0o600)
        # Radicale's first read of a collection parses and caches every item: done once
        # here, so no path pays for the server's cold start.
        warm = DAVClient(url, username="alex", password=PASSWORD, timeout=WAIT)
        warm.calendar(url=url).search(event=True)
        runs: dict[str, tuple[Measure, dict[str, Any], int]] = {}
        for label, mode in (("first poll", "sync"), ("quiet poll", "sync"),
                            ("naive, every poll", "naive")):
            server.requests.clear()
            server.app.ms, server.app.each = 0.0, []
            m = spawn(python("benchmarks.caldav", "--child", mode, str(cfg), PASSWORD), {})
            each = ", ".join(f"{method} {ms:.0f}" for method, _size, ms in server.app.each)
            runs[label] = (m, {**json.loads(m.out), "server_ms": server.app.ms, "each": each},
                           len(server.requests))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return report(n, count, runs)


class Timed:
    """The server's own time answering (Radicale runs in this process, not the child's)."""

    def __init__(self, app: Any) -> None:
        self.app, self.ms = app, 0.0
        self.each: list[tuple[str, int, float]] = []  # method, request size, ms

    def __call__(self, environ: dict[str, Any], start: Any) -> Any:
        t = time.perf_counter()
        body = list(self.app(environ, start))
        ms = (time.perf_counter() - t) * 1000
        self.ms += ms
        self.each.append((environ["REQUEST_METHOD"], int(environ.get("CONTENT_LENGTH") or 0),
                          ms))
        return body


def report(n: int, count: int, runs: dict[str, tuple[Measure, dict[str, Any], int]]) -> int:
    same = runs["first poll"][1]["found"] == runs["naive, every poll"][1]["found"] == \
        runs["quiet poll"][1]["found"]
    print(f"CalDAV collection of {n} events in {count} resources (Radicale on loopback), "
          "one fresh process per path.\n")
    print("| path | requests | poll ms | server ms | process wall ms | CPU ms | peak RSS MB "
          "| occurrences |")
    print("|:---|---:|---:|---:|---:|---:|---:|---:|")
    for label, (m, out, requests) in runs.items():
        print(f"| {label} | {requests} | {out['poll_ms']:.0f} | {out['server_ms']:.0f} | "
              f"{m.wall_ms:.0f} | "
              f"{m.cpu_ms:.0f} | {m.peak_mb:.0f} | {out['occurrences']} |")
    print(f"\nSame 1:1s found by the first poll, the quiet poll and the naive read: "
          f"{'yes' if same else 'NO'} ({len(runs['first poll'][1]['found'])})")
    print("Radicale's time per request (ms), in order:")
    for label, (_m, out, _requests) in runs.items():
        print(f"- {label}: {out['each']}")
    quiet = runs["quiet poll"][2]
    print(f"Quiet poll requests: {quiet} (target 1): {'met' if quiet == 1 else 'MISSED'}")
    return 0 if same and quiet == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
