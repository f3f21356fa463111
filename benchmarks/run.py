"""Big feeds, whole processes: the naive parse against manageup's `preview` and `run --once`.

    .venv/bin/python -m benchmarks.run            # 1k to 100k events, the override-heavy
                                                  # feed, then Graph and CalDAV (5,000 events)
    .venv/bin/python -m benchmarks.run 20000      # one size
    .venv/bin/python -m benchmarks.run overrides-20000   # the override-heavy feed of that size

Every path is a fresh process, measured whole (interpreter start-up and imports included):
wall time, CPU time (user + system) and peak RSS come from the kernel's accounting of that
child alone (wait4). The paths, for each feed size:

- naive: imports what it needs, parses the whole feed, expands it and detects;
- first preview: `manageup preview` with no caches at all (a fresh install's first run);
- preview: `manageup preview` on a feed manageup has not seen (templates already compiled);
- warm run --once: the second `manageup run --once` on the unchanged feed (the timer's way).

The short paths run REPEAT times on fresh cache folders and report the median. The daemon's
warm cycle (a second cycle in one process) and `manageup --help` are measured too. The
machine is shared, so compare the ratios of one run rather than absolute times.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A Monday morning: the next 1:1 (Thursday) is not due yet, so `run --once` reads, expands
# and detects, and composes nothing; `preview` composes and renders that Thursday's digest.
NOW = "2026-11-23T09:00:00+01:00"
SIZES = ["1000", "10000", "20000", "overrides-20000", "50000", "100000"]
REPEAT = 3
TARGETS = {"preview_speedup": 40.0, "warm_speedup": 100.0, "preview_peak_mb": 48.0,
           "help_ms": 100.0, "daemon_cpu_ms": 20.0,
           # an override-heavy feed's cold preview over an ordinary one's of its size (CPU)
           "override_cost_cpu": 3.0,
           # the timer's warm run in the units' view over the plain warm run (CPU)
           "service_warm_cpu": 1.2}

# The user and the boss every benchmark's config names (the other benchmarks add theirs).
PEOPLE = """
[me]
email = "alex@example.com"
timezone = "Europe/Berlin"
[boss]
email = "sam@example.com"
name = "Sam Rivera"
aliases = ["sam.rivera@old-domain.example"]
"""
# Where every benchmark's config keeps its store and delivers (a Maildir under the run's folder).
STATE = """[store]
path = "{state}/store.sqlite3"
[delivery]
method = "maildir"
maildir = "{state}/Maildir"
"""
CONFIG = PEOPLE + """[[calendars]]
type = "ics"
path = "{feed}"
max_bytes = 200000000
""" + STATE


@dataclass
class Measure:
    wall_ms: float
    cpu_ms: float
    peak_mb: float
    out: str
    err: str = ""


# Linux counts the spawning process's resident pages into a child's peak until it execs,
# so the child reports its own high-water mark (VmHWM of its own memory) as it exits.
PEAK = ("import atexit, runpy, sys\n"
        "def peak():\n"
        "    line = [x for x in open('/proc/self/status') if x.startswith('VmHWM')][0]\n"
        "    sys.stderr.write('\\nVmHWM ' + line.split()[1] + '\\n')\n"
        "atexit.register(peak)\n"
        "sys.argv = sys.argv[1:]\n"
        "runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n")


def python(module: str, *args: str) -> list[str]:
    """A fresh interpreter running `python -m module args`, reporting its own peak RSS."""
    return [sys.executable, "-c", PEAK, module, *args]


def spawn(args: list[str], env: dict[str, str]) -> Measure:
    """One whole process, accounted by the kernel on its own."""
    w = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=err,
                                env={**os.environ, "PYTHONPATH": str(ROOT / "daemon") + ":"
                                     + str(ROOT), **env})
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = (time.perf_counter() - w) * 1000
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, errors = out.read().decode(), err.read().decode()
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{errors}")
    peak = [line.split()[1] for line in errors.splitlines() if line.startswith("VmHWM ")]
    peak_kb = int(peak[-1]) if peak else usage.ru_maxrss
    return Measure(wall, (usage.ru_utime + usage.ru_stime) * 1000, peak_kb / 1024, text, errors)


def manageup(cfg: Path, cache: Path, *verb: str) -> Measure:
    return spawn(python("manageup", "--config", str(cfg), *verb, "--now", NOW),
                 {"XDG_CACHE_HOME": str(cache)})


def naive_child(cfg_path: Path) -> None:
    """The whole-parse process: read, parse and expand everything, detect."""
    from manageup.config import load_config
    from manageup.detect import detect
    from manageup.sources.ics import parse_occurrences

    cfg = load_config(cfg_path)
    now = datetime.fromisoformat(NOW).astimezone(cfg.zone)
    path = cfg.calendars[0].path
    assert path is not None
    occs = parse_occurrences(path.read_bytes(), now - timedelta(days=cfg.detect.history_days),
                             now + cfg.detect.lookahead, cfg.zone).occurrences
    print(json.dumps(sorted(_ids(m.occurrence) for m in detect(occs, cfg)
                            if m.occurrence.start > now)))


def _ids(occ: object) -> str:
    return f"{occ.uid}@{occ.start.isoformat()}"  # type: ignore[attr-defined]


def daemon_child(cfg_path: Path) -> None:
    """CPU of the daemon's second cycle: the feed unchanged, the process still running."""
    from manageup.config import load_config
    from manageup.cycle import make_sources, run_cycle
    from manageup.deliver import make_transport
    from manageup.store import Store

    cfg = load_config(cfg_path)
    now = datetime.fromisoformat(NOW).astimezone(cfg.zone)
    sources, transport = make_sources(cfg), make_transport(cfg)
    cpu = 0.0
    for i in range(2):
        c = time.process_time()
        store = Store.open(cfg.store.path)
        try:
            run_cycle(cfg, store, sources, transport, now + timedelta(minutes=5 * i))
        finally:
            store.close()
        cpu = (time.process_time() - c) * 1000
    print(json.dumps({"cpu_ms": cpu}))


def write_config(state: Path, feed: Path) -> Path:
    state.mkdir(parents=True, exist_ok=True)
    cfg = state / "config.toml"
    cfg.write_text(CONFIG.format(feed=feed, state=state))
    cfg.chmod(0o600)
    return cfg


def median(runs: list[Measure]) -> Measure:
    return Measure(statistics.median(r.wall_ms for r in runs),
                   statistics.median(r.cpu_ms for r in runs),
                   statistics.median(r.peak_mb for r in runs), runs[0].out)


def measure_size(n: str, feed: Path, tiny: Path, work: Path) -> dict[str, Measure]:
    naive_cfg = write_config(work / f"naive-{n}", feed)
    naive = spawn(python("benchmarks.run", "--naive", str(naive_cfg)), {})
    first, cold, warm = [], [], []
    same = True
    for r in range(REPEAT):
        state = work / f"{n}-{r}"
        cfg = write_config(state, feed)
        first.append(manageup(cfg, state / "cache-first", "preview"))
        # Templates compiled by an earlier preview of another feed; this feed is new.
        manageup(write_config(state / "tiny", tiny), state / "cache", "preview")
        cold.append(manageup(cfg, state / "cache", "preview"))
        manageup(cfg, state / "cache", "run", "--once")
        warm.append(manageup(cfg, state / "cache", "run", "--once"))
        found = json.loads(manageup(cfg, state / "cache", "meetings", "--json").out)
        same &= sorted(f"{m['uid']}@{m['start']}" for m in found) == json.loads(naive.out)
        same &= first[-1].out == cold[-1].out
    result = {"naive": naive, "first": median(first), "cold": median(cold),
              "warm": median(warm)}
    result["naive"].out = "yes" if same else "NO"
    return result


def daemon_cpu_ms(feed: Path, work: Path) -> float:
    cfg = write_config(work / "daemon", feed)
    m = spawn(python("benchmarks.run", "--daemon", str(cfg)),
              {"XDG_CACHE_HOME": str(work / "daemon" / "cache")})
    return float(json.loads(m.out)["cpu_ms"])


def help_ms(work: Path) -> tuple[float, float]:
    """Median wall and CPU milliseconds of `manageup --help`, the command `pip install .`
    installs (benchmarks.installed), not this checkout's editable one."""
    from benchmarks.installed import console_script

    # No PYTHONPATH: the installed copy runs, not the checkout's.
    env = {"XDG_CACHE_HOME": str(work), "PYTHONPATH": ""}
    cmd = [str(console_script(work)), "--help"]
    runs = [spawn(cmd, env) for _ in range(7)]
    return statistics.median(r.wall_ms for r in runs), statistics.median(r.cpu_ms for r in runs)


ROWS = (("naive", "naive (whole parse)"), ("first", "first preview (no caches)"),
        ("cold", "preview (new feed)"), ("warm", "warm run --once"),
        ("service cold", "timer run in the units' view, cold"),
        ("service warm", "timer run in the units' view, warm"))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--naive"]:
        naive_child(Path(argv[1]))
        return 0
    if argv[:1] == ["--daemon"]:
        daemon_child(Path(argv[1]))
        return 0
    sizes = argv or SIZES
    print(f"Load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    # As an installed copy runs: byte-compiled. A checkout run with PYTHONDONTWRITEBYTECODE
    # set (this machine sets it) would compile every module from source in every process.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "daemon" / "manageup")],
                   env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
                   check=True)
    folder = ROOT / "benchmarks" / "feeds"
    folder.mkdir(exist_ok=True)

    def make_feed(name: str, folder: Path) -> Path:
        # In a process of its own: the kernel counts this process's own peak memory into
        # each child's peak (it is the child's until exec), so this one must stay small.
        shape, n = name[:name.rfind("-") + 1], name[name.rfind("-") + 1:]
        out = subprocess.run([sys.executable, "-m", "benchmarks.generate", n, str(folder),
                              shape], cwd=ROOT, check=True, capture_output=True,
                             text=True).stdout
        return Path(out.strip())

    tiny = make_feed("50", folder)
    work = Path(tempfile.mkdtemp(prefix="mu-bench-"))
    print(f"Whole processes, median of {REPEAT} (naive: one run). × naive: the naive path's "
          "wall (CPU) time over this path's.\n")
    print("| events | MB | path | wall ms | CPU ms | peak RSS MB | × naive wall | × naive CPU "
          "| same 1:1s |")
    print("|---:|---:|:---|---:|---:|---:|---:|---:|:---:|")
    checks: dict[str, tuple[float, bool]] = {}
    cold_cpu: dict[str, float] = {}
    try:
        for n in sizes:
            path = make_feed(n, folder)
            res = measure_size(n, path, tiny, work)
            cold_cpu[n] = res["cold"].cpu_ms
            if n == "20000":
                from benchmarks.service import measure as in_units_view

                res.update(in_units_view(path, REPEAT))
            base, base_cpu = res["naive"].wall_ms, res["naive"].cpu_ms
            for key, label in ROWS:
                if key not in res:
                    continue
                m = res[key]
                print(f"| {n} | {path.stat().st_size / 1e6:.1f} | {label} | {m.wall_ms:.0f} | "
                      f"{m.cpu_ms:.0f} | {m.peak_mb:.0f} | {base / m.wall_ms:.0f}× | "
                      f"{base_cpu / m.cpu_ms:.0f}× | "
                      f"{res['naive'].out if key == 'naive' else ''} |", flush=True)
            if res["naive"].out != "yes":
                checks[f"same 1:1s at {n}"] = (0.0, False)
            if n == "20000":
                p, w = base / res["cold"].wall_ms, base / res["warm"].wall_ms
                checks["preview_speedup"] = (p, p >= TARGETS["preview_speedup"])
                checks["warm_speedup"] = (w, w >= TARGETS["warm_speedup"])
                # The machine may be shared: CPU time is what other processes cannot inflate.
                pc, wc = base_cpu / res["cold"].cpu_ms, base_cpu / res["warm"].cpu_ms
                checks["preview_speedup_cpu"] = (pc, pc >= TARGETS["preview_speedup"])
                checks["warm_speedup_cpu"] = (wc, wc >= TARGETS["warm_speedup"])
                peak = res["cold"].peak_mb
                checks["preview_peak_mb"] = (peak, peak <= TARGETS["preview_peak_mb"])
                cpu = daemon_cpu_ms(path, work)
                checks["daemon_cpu_ms"] = (cpu, cpu < TARGETS["daemon_cpu_ms"])
                sw = res["service warm"].cpu_ms / res["warm"].cpu_ms
                checks["service_warm_cpu"] = (sw, abs(sw - 1) <= TARGETS["service_warm_cpu"] - 1)
            if n.startswith("overrides-") and n.removeprefix("overrides-") in cold_cpu:
                o = res["cold"].cpu_ms / cold_cpu[n.removeprefix("overrides-")]
                checks["override_cost_cpu"] = (o, o <= TARGETS["override_cost_cpu"])
        h, h_cpu = help_ms(work)
        checks["help_ms"] = (h, h < TARGETS["help_ms"])
        checks["help_ms_cpu"] = (h_cpu, h_cpu < TARGETS["help_ms"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n`manageup --help`: {h:.0f} ms wall, {h_cpu:.0f} ms CPU (median of 7, "
          "installed from the wheel)")
    if not argv:  # the whole table: the remote calendars too, each its own benchmark
        for name in ("graph", "caldav"):
            print(flush=True)
            done = subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], cwd=ROOT)
            checks[f"{name}: same 1:1s, quiet poll one request"] = (0.0, done.returncode == 0)
    print(f"\nLoad average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("\nTargets (ratios on the 20k-event feed):")
    for name, (value, met) in checks.items():
        target = TARGETS.get(name.removesuffix("_cpu"))
        shown = f"{value:.1f}" + (f" (target {target:g})" if target else "") if value else ""
        print(f"- {name}{': ' + shown if shown else ''}: {'met' if met else 'MISSED'}")
    return 0 if all(met for _, met in checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
