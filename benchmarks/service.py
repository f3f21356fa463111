"""The timer's run as the unit runs it: under the units' view of the file system (issue 29.2).

    .venv/bin/python -m benchmarks.service 20000

systemd/manageup-once.service says what the timer's run may write: ProtectSystem=strict
makes every mount read-only, ReadWritePaths= and CacheDirectory= (with $CACHE_DIRECTORY
naming it) are the writable exceptions, PrivateTmp= gives it an empty /tmp. The benchmark
builds that view in an unprivileged mount namespace (`unshare -rm`: no root, no systemd
needed), reading those keys from the unit file itself, and runs `manageup run --once` in
it twice: cold (no cache at all, a fresh install's first timer run) and warm (the next
one, the feed unchanged). A unit whose cache were read-only would parse again every time:
then warm costs what cold costs. The view is checked, not assumed: the run fails when the
checkout (where the feed and the code are) is writable inside it.

CPU is the process's own (its rusage, reported as it exits): the mount commands that build
the view are not counted; wall is the whole spawn, view included.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.run import CONFIG, NOW, ROOT, Measure, spawn

UNIT = ROOT / "systemd" / "manageup-once.service"

# Run by sh inside the namespace: the writable paths bound onto themselves (so they stay
# writable), an empty /tmp, every other mount read-only, then the command.
SANDBOX = r"""
set -e
IFS='
'
for w in $MU_WRITABLE; do mount --bind "$w" "$w"; done
mount -t tmpfs -o mode=1777 tmpfs /tmp
for m in $(awk '{print $2}' /proc/self/mounts); do
  case "$m" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|/tmp) continue;; esac
  keep=
  for w in $MU_WRITABLE; do [ "$m" = "$w" ] && keep=1; done
  [ -n "$keep" ] || mount -o remount,bind,ro "$m" 2>/dev/null || true
done
if touch "$MU_PROBE" 2>/dev/null; then echo "the checkout is writable" >&2; exit 9; fi
unset IFS
exec "$@"
"""

# The child reports its own CPU and peak as it exits (benchmarks.run.PEAK, plus rusage).
CHILD = ("import atexit, resource, runpy, sys\n"
         "def report():\n"
         "    line = [x for x in open('/proc/self/status') if x.startswith('VmHWM')][0]\n"
         "    r = resource.getrusage(resource.RUSAGE_SELF)\n"
         "    sys.stderr.write('\\nVmHWM ' + line.split()[1] + '\\nSELFCPU '\n"
         "                     + str((r.ru_utime + r.ru_stime) * 1000) + '\\n')\n"
         "atexit.register(report)\n"
         "sys.argv = sys.argv[1:]\n"
         "runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n")


def unit_paths(home: Path) -> tuple[list[Path], Path]:
    """The writable paths and the cache folder, as the unit declares them for this home."""
    writable: list[Path] = []
    cache = None
    for line in UNIT.read_text().splitlines():
        key, _eq, value = line.partition("=")
        if key == "ReadWritePaths":
            writable += [Path(v.lstrip("-").replace("%h", str(home))) for v in value.split()]
        elif key == "CacheDirectory":
            cache = home / ".cache" / value.strip()  # a user unit: under ~/.cache
    if cache is None:
        raise SystemExit(f"{UNIT} has no CacheDirectory=")
    return writable, cache


def timer_run(home: Path, cfg: Path) -> Measure:
    """One `manageup run --once` in the units' view; its own CPU, wall of the whole."""
    writable, cache = unit_paths(home)
    for w in [*writable, cache]:
        w.mkdir(parents=True, exist_ok=True)  # systemd creates them before the start
    cache.chmod(0o700)
    args = ["unshare", "-rm", "sh", "-c", SANDBOX, "sh", sys.executable, "-c", CHILD,
            "manageup", "--config", str(cfg), "run", "--once", "--now", NOW]
    m = spawn(args, {"HOME": str(home), "CACHE_DIRECTORY": str(cache),
                     "MU_WRITABLE": "\n".join(map(str, [*writable, cache])),
                     "MU_PROBE": str(ROOT / "benchmarks" / ".probe"),
                     "XDG_CACHE_HOME": "", "PYTHONDONTWRITEBYTECODE": "1"})
    own = [x.split()[1] for x in m.err.splitlines() if x.startswith("SELFCPU ")]
    return Measure(m.wall_ms, float(own[-1]) if own else m.cpu_ms, m.peak_mb, m.out)


def measure(feed: Path, repeat: int = 3) -> dict[str, Measure]:
    """Cold and warm timer runs in the units' view, each the median of `repeat` homes."""
    from benchmarks.run import median

    if shutil.which("unshare") is None:
        raise SystemExit("benchmarks.service needs unshare (util-linux)")
    cold, warm = [], []
    # Not under /tmp: the unit's /tmp is private, so the home must be elsewhere.
    base = Path(tempfile.mkdtemp(prefix="mu-service-", dir=ROOT / "benchmarks" / "feeds"))
    try:
        for r in range(repeat):
            home = base / f"home-{r}"
            data = home / ".local" / "share" / "manageup"
            cfg = home / ".config" / "manageup" / "config.toml"
            cfg.parent.mkdir(parents=True)
            cfg.write_text(CONFIG.format(feed=feed, state=data))
            cfg.chmod(0o600)
            cold.append(timer_run(home, cfg))
            warm.append(timer_run(home, cfg))
            if not any(unit_paths(home)[1].rglob("*")):
                raise SystemExit("the timer run wrote nothing to its CacheDirectory")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return {"service cold": median(cold), "service warm": median(warm)}


if __name__ == "__main__":
    from benchmarks.generate import feed as make

    folder = ROOT / "benchmarks" / "feeds"
    folder.mkdir(exist_ok=True)
    size = int(sys.argv[1]) if sys.argv[1:] else 20000
    for label, m in measure(make(size, folder)).items():
        print(f"{label}: wall {m.wall_ms:.0f} ms, CPU {m.cpu_ms:.0f} ms, peak {m.peak_mb:.0f} MB")
