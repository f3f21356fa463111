"""The built wheel, installed beside python-daemon, as a user would get it.

Installing manageup once put a top-level `daemon` module in site-packages, which shadowed
python-daemon (and was broken by it). The import package is `manageup` under daemon/.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fresh_calendar import write_calendar

# python-daemon 3.1.2 and lockfile 0.12.2 from PyPI, vendored: no download at test time.
WHEELS = ROOT / "tests" / "fixtures" / "wheels"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True)
    return next(out.glob("manageup-*.whl"))


def test_wheel_ships_one_package_with_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"manageup"}
    assert "manageup/templates/digest.html.j2" in names
    assert "manageup/questions.toml" in names
    # `manageup config --example` prints it: a pipx install has no repository beside it
    example = zipfile.ZipFile(wheel).read("manageup/config.example.toml")
    assert example == (ROOT / "config.example.toml").read_bytes()
    # every module of every subpackage is listed in pyproject's packages
    source = ROOT / "daemon"
    modules = {p.relative_to(source).as_posix() for p in source.rglob("*.py")}
    assert modules <= set(names), sorted(modules - set(names))
    for unit in ("manageup.service", "manageup-once.service", "manageup.timer"):
        assert f"manageup/systemd/{unit}" in names  # for `manageup service install`


def test_installs_beside_python_daemon(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    # The test environment's site-packages supply manageup's own dependencies (no second
    # download of them); the venv's own site-packages come first, so the wheel is what runs.
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    where = "import sysconfig; print(sysconfig.get_path('purelib'))"
    purelib = subprocess.run([str(py), "-c", where],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "test-deps.pth").write_text("\n".join(deps) + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "--no-deps", "--no-index", "--find-links", str(WHEELS), str(wheel),
                    "python-daemon", "lockfile"],
                   check=True, capture_output=True)
    both = subprocess.run([str(py), "-c", "import daemon, manageup; "
                           "print(daemon.__file__); print(manageup.__file__); "
                           "from daemon import DaemonContext"],
                          capture_output=True, text=True)
    assert both.returncode == 0, both.stderr
    daemon_file, manageup_file = both.stdout.split()
    assert Path(manageup_file).is_relative_to(purelib)
    assert Path(daemon_file).is_relative_to(purelib)
    helped = subprocess.run([str(env_dir / "bin" / "manageup"), "--help"],
                            capture_output=True, text=True)
    assert helped.returncode == 0, helped.stderr
    assert "usage: manageup" in helped.stdout
    as_module = subprocess.run([str(py), "-m", "manageup", "--version"],
                               capture_output=True, text=True)
    assert as_module.returncode == 0, as_module.stderr
    _init_and_install_from_the_wheel(env_dir / "bin" / "manageup", tmp_path)


def _init_and_install_from_the_wheel(manageup: Path, tmp_path: Path) -> None:
    """The units `service install` writes come from inside the installed wheel."""
    home = tmp_path / "home"
    write_calendar(home / "work.ics")
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MANAGEUP"))}
    env.update(HOME=str(home), XDG_RUNTIME_DIR=str(runtime))
    for args in (["init", "--me", "alex@example.com", "--boss", "sam@example.com",
                  "--calendar", "~/work.ics", "--timezone", "Europe/Berlin"],
                 ["service", "install", "--no-start"]):
        done = subprocess.run([str(manageup), *args], env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    shown = subprocess.run([str(manageup), "config", "--example"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert shown.stdout == (ROOT / "config.example.toml").read_text(), shown.stderr
    unit = home / ".config" / "systemd" / "user" / "manageup.service"
    assert f"ExecStart={manageup} --config " in unit.read_text()
    verified = subprocess.run(["systemd-analyze", "--user", "verify", str(unit)], env=env,
                              capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0 and "manageup" not in verified.stdout + verified.stderr, \
        verified.stdout + verified.stderr


def test_the_benchmark_times_the_command_an_install_gives(tmp_path: Path) -> None:
    # benchmarks.run's `--help` row: the wheel installed, not this checkout's editable
    # install, whose .pth loads setuptools' finder at every start.
    from benchmarks.installed import console_script

    script = console_script(tmp_path)
    probe = ("import sys; import manageup; print(manageup.__file__); "
             "print(any(m.startswith('__editable__') for m in sys.modules))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([str(script.parent / "python"), "-c", probe], capture_output=True,
                         text=True, check=True, env=env).stdout.split()
    assert Path(out[0]).is_relative_to(tmp_path) and out[1] == "False"
    helped = subprocess.run([str(script), "--help"], capture_output=True, text=True,
                            check=True, env=env).stdout
    checkout = subprocess.run([sys.executable, "-m", "manageup", "--help"],
                              capture_output=True, text=True, check=True, env=env).stdout
    assert helped == checkout and "usage: manageup" in helped
