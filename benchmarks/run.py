"""Big feeds: the naive path against manageup's cold and warm cycles, side by side.

    .venv/bin/python -m benchmarks.run            # 1k, 10k, 20k and 50k events
    .venv/bin/python -m benchmarks.run 20000      # one size

Each measurement runs in a fresh process, so peak RSS is that path's own. Wall and CPU
time cover the work only, not interpreter start-up and imports (which both paths pay).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A Monday morning: the next 1:1 (Thursday) is not due yet, so a cycle does what the naive
# path does (read, expand, detect) plus the ledger, and composes nothing.
NOW = "2026-11-23T09:00:00+01:00"
SIZES = [1000, 10000, 20000, 50000]
TARGETS = {"speedup": 20.0, "cold_rss_mb": 100.0, "warm_cpu_ms": 20.0, "help_ms": 150.0,
           "daemon_rss_mb": 80.0}

CONFIG = """
[me]
email = "alex@example.com"
timezone = "Europe/Berlin"
[boss]
email = "sam@example.com"
name = "Sam Rivera"
aliases = ["sam.rivera@old-domain.example"]
[[calendars]]
type = "ics"
path = "{feed}"
max_bytes = 200000000
[store]
path = "{state}/store.sqlite3"
[delivery]
method = "maildir"
maildir = "{state}/Maildir"
"""


def rss_now_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(mode: str, feed: Path, state: Path) -> dict[str, object]:
    """Runs inside the measuring process."""
    from manageup.config import load_config
    from manageup.cycle import make_sources, run_cycle
    from manageup.deliver import make_transport
    from manageup.detect import detect
    from manageup.sources.ics import parse_occurrences
    from manageup.store import Store

    cfg_path = state / "config.toml"
    cfg_path.write_text(CONFIG.format(feed=feed, state=state))
    cfg_path.chmod(0o600)
    cfg = load_config(cfg_path)
    now = datetime.fromisoformat(NOW).astimezone(cfg.zone)
    out: dict[str, object] = {}

    def timed(fn):  # type: ignore[no-untyped-def]
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        out["wall_ms"] = (time.perf_counter() - w) * 1000
        out["cpu_ms"] = (time.process_time() - c) * 1000
        return result

    if mode == "naive":
        def naive():  # type: ignore[no-untyped-def]
            data = feed.read_bytes()
            occs = parse_occurrences(data, now - timedelta(days=cfg.detect.history_days),
                                     now + cfg.detect.lookahead, cfg.zone).occurrences
            return detect(occs, cfg)
        matches = timed(naive)
    else:
        sources, transport = make_sources(cfg), make_transport(cfg)

        def cycle(at: datetime):  # type: ignore[no-untyped-def]
            store = Store.open(cfg.store.path)
            try:
                report = run_cycle(cfg, store, sources, transport, at)
            finally:
                store.close()
            return report

        if mode == "warm":
            cycle(now)  # the cold one, not measured
            report = timed(lambda: cycle(now + timedelta(minutes=5)))
        else:
            report = timed(lambda: cycle(now))
        out["rss_after_cycle_mb"] = rss_now_mb()
        from manageup.detect import detect as d

        matches = d(report.gathered.occurrences, cfg)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["matches"] = sorted(f"{m.occurrence.key}@{m.occurrence.start.isoformat()}"
                            for m in matches)
    return out


def measure(mode: str, feed: Path) -> dict[str, object]:
    state = Path(tempfile.mkdtemp(prefix="mu-bench-"))
    try:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.run", "--child", mode,
                               str(feed), str(state)], cwd=ROOT, capture_output=True,
                              text=True, check=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(state, ignore_errors=True)


def help_ms() -> float:
    runs = []
    for _ in range(7):
        w = time.perf_counter()
        subprocess.run([sys.executable, "-m", "manageup", "--help"], cwd=ROOT, check=True,
                       capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        runs.append((time.perf_counter() - w) * 1000)
    return statistics.median(runs)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        print(json.dumps(child(argv[1], Path(argv[2]), Path(argv[3]))))
        return 0
    sizes = [int(a) for a in argv] or SIZES
    from benchmarks.generate import feed as make_feed

    folder = ROOT / "benchmarks" / "feeds"
    folder.mkdir(exist_ok=True)
    print("| events | MB | naive wall ms | cold wall ms | speed-up | naive peak MB | "
          "cold peak MB | warm CPU ms | RSS after cycle MB | same 1:1s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
    ok = True
    for n in sizes:
        path = make_feed(n, folder)
        naive, cold, warm = (measure(m, path) for m in ("naive", "cold", "warm"))
        speedup = float(naive["wall_ms"]) / float(cold["wall_ms"])  # type: ignore[arg-type]
        same = naive["matches"] == cold["matches"] == warm["matches"]
        print(f"| {n} | {path.stat().st_size / 1e6:.1f} | {naive['wall_ms']:.0f} | "
              f"{cold['wall_ms']:.0f} | {speedup:.0f}x | {naive['peak_rss_mb']:.0f} | "
              f"{cold['peak_rss_mb']:.0f} | {warm['cpu_ms']:.1f} | "
              f"{cold['rss_after_cycle_mb']:.0f} | {'yes' if same else 'NO'} |", flush=True)
        ok &= same
        if n == 20000:
            checks = {
                "speedup": (speedup, speedup >= TARGETS["speedup"]),
                "cold_rss_mb": (cold["peak_rss_mb"],
                                float(cold["peak_rss_mb"]) < TARGETS["cold_rss_mb"]),  # type: ignore[arg-type]
                "warm_cpu_ms": (warm["cpu_ms"],
                                float(warm["cpu_ms"]) < TARGETS["warm_cpu_ms"]),  # type: ignore[arg-type]
                "daemon_rss_mb": (cold["rss_after_cycle_mb"],
                                  float(cold["rss_after_cycle_mb"]) < TARGETS["daemon_rss_mb"]),  # type: ignore[arg-type]
            }
    h = help_ms()
    print(f"\n`manageup --help`: {h:.0f} ms (median of 7; target < {TARGETS['help_ms']:.0f} ms)")
    if 20000 in sizes:
        print("\nTargets on the 20k-event feed:")
        for name, (value, met) in checks.items():
            print(f"- {name}: {float(value):.1f} (target {TARGETS[name]:g}): "  # type: ignore[arg-type]
                  f"{'met' if met else 'MISSED'}")
            ok &= met
    ok &= h < TARGETS["help_ms"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
