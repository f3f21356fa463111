"""A Microsoft 365 calendar of thousands of events read through Graph (issue 29.4, Graph).

    .venv/bin/python -m benchmarks.graph           # 5,000 events
    .venv/bin/python -m benchmarks.graph 20000     # another size

A loopback Graph over real TLS (trustme) answers as Graph does (shapes and their sources:
tests/fixtures/graph/PROVENANCE.md): calendarView/delta in pages of the odata.maxpagesize
the client asks (Graph's default of 10 when it asks none), plain occurrences bare, series
masters in the answer when the series began in the window and read by GET /me/events/{id}
otherwise, single events whole; the delta link of a calendar that did not change answers
an empty page. The window asked for holds every event: the worst case for a first poll.

Every path is a fresh process, measured whole as benchmarks.run measures them (wall, CPU,
its own peak RSS):
- first poll: manageup's first read, the sync state saved in a new store;
- quiet poll: the next process (the timer's next `run --once`) on the same store;
- naive, every poll: calendarView (not delta), every page each time, whole occurrences
  converted as they come, nothing kept between polls.
Sign-in is not measured: each process is handed an access token.
"""

from __future__ import annotations

import json
import shutil
import ssl
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from benchmarks.run import STATE, Measure, python, spawn

ME, USER, BOSS = "alex@example.com", "alex.chen@contoso.example", "sam@example.com"
NOW = datetime.fromisoformat("2026-11-23T09:00:00+01:00")
START, END = NOW - timedelta(days=180), NOW + timedelta(days=180)
CONFIG = """
[me]
email = "{me}"
timezone = "Europe/Berlin"
[boss]
email = "{boss}"
name = "Sam Rivera"
[[calendars]]
type = "microsoft"
name = "work"
client_id = "4a1aa1d5-c567-49d0-ad0b-cd957a47f842"
tenant = "contoso.example"
authority_url = "{base}"
graph_url = "{base}/v1.0"
max_bytes = 200000000
""" + STATE


def _when(dt: datetime) -> dict[str, str]:
    return {"dateTime": f"{dt.astimezone(UTC):%Y-%m-%dT%H:%M:%S}.0000000", "timeZone": "UTC"}


def _person(addr: str) -> dict[str, Any]:
    return {"type": "required", "status": {"response": "accepted",
                                           "time": "2026-01-01T00:00:00Z"},
            "emailAddress": {"name": addr.split("@")[0].title(), "address": addr}}


def calendar(n: int) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """n events in [START, END): about 60% instances of weekly series (the first with the
    boss alone, half of them begun before the window), the rest single meetings, one in 25
    with the boss alone. Whole events are the contract suite's (tests/source_scenario.py)
    with their names, times and people changed. Deterministic."""
    from tests.source_scenario import global_id, graph_master

    whole = graph_master()
    items: list[dict[str, Any]] = []
    masters: dict[str, dict[str, Any]] = {}
    weeks = (END - START).days // 7
    for s in range(max(1, int(n * 0.6) // weeks)):
        first = START + timedelta(days=s % 5, hours=8 + s % 9)
        ident = f"AAMkAGI2TGuLAAA=-series-{s}"
        people = [USER, BOSS] if s == 0 else [USER, BOSS, f"kim{s}@contoso.example"]
        masters[ident] = master = {
            **whole, "id": ident, "iCalUId": global_id(f"series-{s}@contoso.example"),
            "subject": "Sam / Alex 1:1" if s == 0 else f"Team sync {s}",
            "start": _when(first), "end": _when(first + timedelta(minutes=30)),
            "attendees": [_person(a) for a in people]}
        if s % 2:  # begun in the window: Graph sends the master in the answer
            items.append(master)
        for w in range(weeks):
            at = first + timedelta(weeks=w)
            items.append({"@odata.type": "#microsoft.graph.event",
                          "@odata.etag": f'W/"DwAAABYAAAB{s}-{w}"', "id": f"{ident}-{w}",
                          "seriesMasterId": ident, "type": "occurrence", "start": _when(at),
                          "end": _when(at + timedelta(minutes=30))})
    i = 0
    while len(items) < n:
        at = START + timedelta(hours=7 * i + 1)
        other = BOSS if i % 25 == 0 else f"lee{i % 40}@contoso.example"
        items.append({
            **whole, "id": f"AAMkAGI2TGuLAAA=-single-{i}", "type": "singleInstance",
            "iCalUId": global_id(f"single-{i}@contoso.example"), "subject": f"Meeting {i}",
            "recurrence": None, "start": _when(at), "end": _when(at + timedelta(minutes=45)),
            "organizer": {"emailAddress": {"name": "Organizer", "address": other}},
            "attendees": [_person(USER), _person(other)]})
        i += 1
    return items, masters


class FakeGraph:
    def __init__(self, n: int, ca: Any) -> None:
        items, self.masters = calendar(n)
        self.items = items
        self.whole = [self._whole(e) for e in items if e["type"] != "seriesMaster"]
        self.requests = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # kept alive, as Graph's connections are

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake.requests += 1
                fake.answer(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1").configure_cert(ctx)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.base = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def _whole(self, e: dict[str, Any]) -> dict[str, Any]:
        """What calendarView (not delta) sends for it: an occurrence whole."""
        if e["type"] != "occurrence":
            return e
        keep = {"recurrence", "webLink", "@odata.context"}
        return {**{k: v for k, v in self.masters[e["seriesMasterId"]].items() if k not in keep},
                **e, "originalStart": e["start"]["dateTime"][:19] + "Z"}

    def answer(self, h: BaseHTTPRequestHandler) -> None:
        url = urlsplit(h.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        prefer = h.headers.get("Prefer", "")
        size = int(prefer.split("odata.maxpagesize=")[1]) if "maxpagesize=" in prefer else 10
        if url.path.startswith("/v1.0/me/events/"):
            return self.send(h, self.masters[unquote(url.path.rsplit("/", 1)[1])])
        if url.path == "/v1.0/me/calendarView/delta":
            if query.get("$deltatoken") == "quiet":
                return self.send(h, {"value": [], "@odata.deltaLink": self.link("delta", "quiet")})
            return self.page(h, self.items, int(query.get("$skiptoken", 0)), size, "delta")
        if url.path == "/v1.0/me/calendarView":
            return self.page(h, self.whole, int(query.get("$skip", 0)), size, "view")
        h.send_error(404)

    def link(self, kind: str, token: str | int) -> str:
        if kind == "delta":
            return f"{self.base}/v1.0/me/calendarView/delta?$deltatoken={token}"
        if kind == "view":
            return (f"{self.base}/v1.0/me/calendarView?startDateTime=x&endDateTime=y"
                    f"&$skip={token}")
        return f"{self.base}/v1.0/me/calendarView/delta?$skiptoken={token}"

    def page(self, h: BaseHTTPRequestHandler, items: list[Any], at: int, size: int,
             kind: str) -> None:
        body: dict[str, Any] = {"value": items[at:at + size]}
        if at + size < len(items):
            body["@odata.nextLink"] = self.link("view" if kind == "view" else "skip", at + size)
        elif kind == "delta":
            body["@odata.deltaLink"] = self.link("delta", "quiet")
        self.send(h, body)

    def send(self, h: BaseHTTPRequestHandler, body: Any) -> None:
        data = json.dumps(body).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)


def child(mode: str, cfg_path: Path) -> None:
    """One poll in this process; prints what it read and how many requests it took."""
    from manageup.config import load_config
    from manageup.detect import detect
    from manageup.sources.graphevents import occurrences
    from manageup.sources.microsoft import MicrosoftSource
    from manageup.store import Store

    class Source(MicrosoftSource):
        def token(self, force: bool = False) -> tuple[str, str]:
            self.user = USER
            return "at-benchmark", USER

    cfg = load_config(cfg_path)
    src = Source(cfg.calendars[0], cfg)
    store = Store.open(cfg.store.path)
    t = time.perf_counter()
    try:
        if mode == "naive":
            url = f"{cfg.calendars[0].graph_url}/me/calendarView"
            params: dict[str, str] | None = {"startDateTime": f"{START:%Y-%m-%dT%H:%M:%S}",
                                             "endDateTime": f"{END:%Y-%m-%dT%H:%M:%S}"}
            items: list[Any] = []
            while url:
                page = src.get(url, params)
                items += page["value"]
                url, params = page.get("@odata.nextLink", ""), None
            got = occurrences({e["id"]: e for e in items}, START, END, cfg.zone, "work", ME, USER)
        else:
            got = src.fetch_synced(START, END, cfg.zone, store=store, now=NOW, readonly=False)
    finally:
        store.close()
    ms = (time.perf_counter() - t) * 1000
    found = sorted(f"{m.occurrence.key}" for m in detect(got.occurrences, cfg))
    print(json.dumps({"poll_ms": ms, "requests": src.calls, "occurrences": len(got.occurrences),
                      "found": found}))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        child(argv[1], Path(argv[2]))
        return 0
    import trustme

    n = int(argv[0]) if argv else 5000
    ca = trustme.CA()
    work = Path(tempfile.mkdtemp(prefix="mu-graph-bench-"))
    bundle = work / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    fake = FakeGraph(n, ca)
    env = {"REQUESTS_CA_BUNDLE": str(bundle)}
    try:
        cfg = work / "config.toml"
        cfg.write_text(CONFIG.format(me=ME, boss=BOSS, base=fake.base, state=work))
        cfg.chmod(0o600)
        runs: dict[str, tuple[Measure, dict[str, Any]]] = {}
        for label, mode in (("first poll", "delta"), ("quiet poll", "delta"),
                            ("naive, every poll", "naive")):
            m = spawn(python("benchmarks.graph", "--child", mode, str(cfg)), env)
            runs[label] = (m, json.loads(m.out))
    finally:
        fake.httpd.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    same = runs["first poll"][1]["found"] == runs["naive, every poll"][1]["found"]
    print(f"Graph calendar of {n} events (the loopback fake), one fresh process per path.\n")
    print("| path | requests | poll ms | process wall ms | CPU ms | peak RSS MB | occurrences |")
    print("|:---|---:|---:|---:|---:|---:|---:|")
    for label, (m, out) in runs.items():
        print(f"| {label} | {out['requests']} | {out['poll_ms']:.0f} | {m.wall_ms:.0f} | "
              f"{m.cpu_ms:.0f} | {m.peak_mb:.0f} | {out['occurrences']} |")
    print(f"\nSame 1:1s found by the first poll and the naive read: {'yes' if same else 'NO'} "
          f"({len(runs['first poll'][1]['found'])})")
    quiet = runs["quiet poll"][1]["requests"]
    print(f"Quiet poll requests: {quiet} (target 1): {'met' if quiet == 1 else 'MISSED'}")
    return 0 if same and quiet == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
