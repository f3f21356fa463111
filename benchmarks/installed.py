"""manageup as `pip install .` puts it into a virtualenv, for timing its start-up (issue 29.3).

The checkout's own environment runs manageup from an editable install: at every start its
`.pth` file imports setuptools' finder (pathlib, importlib.util, fnmatch, urllib.parse...),
start-up an installed copy never pays. So the benchmark builds the wheel, installs it
(byte-compiled, as pip does) into a virtualenv of its own and times that one's console
script. The dependencies are this environment's, named by a `.pth` file (no download);
their own `.pth` files are copied beside it, since an installed copy runs them at every
start too (urllib3-future's, for one). The editable install's are not.
"""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from benchmarks.run import ROOT


def _quiet(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")


def console_script(work: Path) -> Path:
    """The `manageup` command of a fresh virtualenv under `work` with the built wheel."""
    wheels, env_dir = work / "wheel", work / "installed"
    _quiet([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
            "--disable-pip-version-check", "-w", str(wheels), str(ROOT)])
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    _quiet([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
            "--no-deps", "--no-index", "--disable-pip-version-check",
            str(next(wheels.glob("manageup-*.whl")))])
    purelib = Path(sysconfig.get_path("purelib", vars={"base": str(env_dir),
                                                       "platbase": str(env_dir)}))
    ours = [Path(p) for p in site.getsitepackages() if Path(p).is_dir()]
    # Sorted first, so the dependencies are on the path when the copied files run.
    (purelib / "00-dependencies.pth").write_text("".join(f"{p}\n" for p in ours))
    for folder in ours:
        for pth in folder.glob("*.pth"):
            if not pth.name.startswith("__editable__"):
                shutil.copy(pth, purelib / pth.name)
    return env_dir / "bin" / "manageup"
