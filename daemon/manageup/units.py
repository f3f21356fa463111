"""`manageup service install|uninstall`: the shipped systemd user units, written with this
installation's absolute command and the config's real paths, then started.

The units run with ProtectSystem=strict, so every folder the daemon writes to must be in
ReadWritePaths, and a folder listed there must exist when the service starts, or systemd
refuses to start it. So install creates the folders, and lists the optional ones with a
leading `-` (ignored when missing, e.g. an archive folder removed later).
"""

from __future__ import annotations

import mailbox
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from manageup.config import Config
from manageup.errors import ManageupError
from manageup.files import private_dir

LONG_RUNNING = ("manageup.service",)
TIMER = ("manageup-once.service", "manageup.timer")
HEADER = ("# Written by `manageup service install` for {config}.\n"
          "# Run it again after changing paths in the config; `manageup doctor` checks.\n")

Systemctl = Callable[[Sequence[str]], None]


def unit_dir(env: Mapping[str, str] = os.environ) -> Path:
    base = env.get("XDG_CONFIG_HOME", "")
    if not os.path.isabs(base):  # relative is invalid (XDG spec); systemd ignores it too
        base = str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "systemd" / "user"


def shipped(name: str) -> str:
    # Inside a wheel the units sit in manageup/systemd; in a source checkout in the
    # repository's systemd/ folder, beside daemon/.
    here = Path(__file__).resolve().parent
    for folder in (here / "systemd", here.parent.parent / "systemd"):
        if (folder / name).is_file():
            return (folder / name).read_text(encoding="utf-8")
    raise ManageupError(f"the systemd unit {name} is missing next to {here}; reinstall "
                        "manageup")


def this_command() -> list[str]:
    """This installation's `manageup`, absolute: the script beside this Python (a venv,
    pipx), else this Python running the module."""
    script = Path(sys.executable).parent / "manageup"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "manageup"]


def _word(text: str) -> str:
    """One word of a unit file setting: % doubled (a specifier otherwise), quoted when it
    holds a space, a quote or a backslash."""
    text = text.replace("%", "%%")
    if re.search(r'[\s"\'\\]', text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def exec_start(argv: Sequence[str]) -> str:
    # $ starts a variable in ExecStart; $$ is a literal dollar sign.
    return " ".join(_word(a).replace("$", "$$") for a in argv)


def write_paths(config: Config) -> list[str]:
    """The folders the daemon writes to; optional ones start with `-`."""
    store = config.store.path.parent
    wanted: list[tuple[Path, bool]] = [(store, False), (config.store.backup_folder, True)]
    if config.delivery.method == "maildir":
        wanted.append((config.delivery.maildir, True))
    if config.digest.archive_dir:
        wanted.append((config.digest.archive_dir, True))
    out: list[str] = []
    seen: list[Path] = []
    for path, optional in wanted:
        path = path.absolute()
        if any(path == s or path.is_relative_to(s) for s in seen):
            continue  # already writable as part of a folder above it
        seen.append(path)
        out.append(_word(("-" if optional else "") + str(path)))
    return out


_PRIVATE_TMP = (Path("/tmp"), Path("/var/tmp"))


def _in_tmp(config: Config) -> bool:
    """Whether the config names anything in /tmp or /var/tmp, which PrivateTmp=yes would
    replace with empty folders: the service would find no calendar, or not start."""
    paths = [config.source_path, config.store.path, config.store.backup_folder,
             config.digest.templates_dir, config.digest.archive_dir,
             *(c.path for c in config.calendars)]
    if config.delivery.method == "maildir":
        paths.append(config.delivery.maildir)
    return any(p.absolute().is_relative_to(t) for p in paths if p for t in _PRIVATE_TMP)


def render(name: str, config: Config, command: Sequence[str]) -> str:
    """The shipped unit with ExecStart and ReadWritePaths set for this config."""
    config_path = (config.source_path or Path("config.toml")).absolute()
    lines = [HEADER.format(config=config_path)]
    for line in shipped(name).splitlines():
        if line.startswith("#") and not lines[1:]:
            continue  # the shipped file's own how-to-install comment
        if line.startswith("ExecStart="):
            verb = line.split("manageup", 1)[1].split()
            line = "ExecStart=" + exec_start([*command, "--config", str(config_path), *verb])
        elif line.startswith("ReadWritePaths="):
            line = "ReadWritePaths=" + " ".join(write_paths(config))
        elif line == "PrivateTmp=yes" and _in_tmp(config):
            # systemd has no comments at a line's end: the why goes on its own line.
            lines.append("# The config names files in /tmp or /var/tmp: no private /tmp.")
            line = "PrivateTmp=no"
        lines.append(line)
    return "\n".join(lines) + "\n"


class NoUserManager(ManageupError):
    """No user systemd to talk to: no systemctl, or no user manager on the bus."""


# What systemctl --user says when no user manager can be reached (su, a container, an
# SSH session of a user without lingering after their last login ended).
_NO_MANAGER = ("failed to connect to bus", "no medium found", "xdg_runtime_dir",
               "not been booted with systemd")


def run_systemctl(args: Sequence[str]) -> None:
    try:
        done = subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True,
                              timeout=120, check=False)
    except FileNotFoundError:
        raise NoUserManager("systemctl is not available here") from None
    except subprocess.TimeoutExpired:
        raise ManageupError(f"systemctl --user {' '.join(args)} did not finish in 120s") \
            from None
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        last = said[-1] if said else str(done.returncode)
        failed = f"systemctl --user {' '.join(args)} failed: {last}"
        if any(m in last.lower() for m in _NO_MANAGER):
            raise NoUserManager(failed)
        raise ManageupError(f"{failed}; is a user session running? (over SSH: loginctl "
                            "enable-linger $USER, then log in again)")


@dataclass
class Installed:
    written: list[Path]
    removed: list[Path]
    started: str  # the unit enabled and started, "" with --no-start or on failure
    failure: ManageupError | None = None  # what failed after the files were written
    cron: str = ""  # the crontab line written


def _create_folders(config: Config) -> None:
    folders = [config.store.path.parent, config.store.backup_folder]
    if config.digest.archive_dir:
        folders.append(config.digest.archive_dir)
    for folder in folders:
        private_dir(folder)
    if config.delivery.method == "maildir":
        private_dir(config.delivery.maildir.parent)
        mailbox.Maildir(config.delivery.maildir, create=True)  # with tmp/, new/ and cur/
        folders.append(config.delivery.maildir)
    for folder in folders:  # both leave whatever already exists there alone
        if not folder.is_dir():
            raise ManageupError(f"cannot create the folder {folder}: it is a file, not a "
                                "folder; move that file away and run this again")


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _remove_units(paths: Sequence[Path], stop: bool,
                  systemctl: Systemctl) -> ManageupError | None:
    """Stop, disable and delete units; the files go even when systemd cannot be asked
    (no mix of kinds is ever left behind). Returns what systemctl said when it failed."""
    failure: ManageupError | None = None
    if paths and stop:
        try:
            systemctl(["disable", "--now", *_enablable(paths)])
        except ManageupError as e:
            failure = e
    for p in paths:
        p.unlink()
    return failure


def install(config: Config, folder: Path, timer: bool, start: bool,
            command: Sequence[str] | None = None,
            systemctl: Systemctl = run_systemctl, cron: bool = False) -> Installed:
    """Write one kind (daemon, timer or cron entry) and remove the others. A failure of
    systemctl after the files are written is returned, not raised: the caller says what
    was written before saying what failed."""
    from manageup import crontab

    command = list(command or this_command())
    names: tuple[str, ...] = () if cron else TIMER if timer else LONG_RUNNING
    others = [n for n in (*LONG_RUNNING, *TIMER) if n not in names]
    try:
        _create_folders(config)
        folder.mkdir(parents=True, exist_ok=True)
        units = {name: render(name, config, command) for name in names}
        for name, text in units.items():
            _write(folder / name, text)
    except OSError as e:
        raise ManageupError(f"cannot write {e.filename}: {e.strerror}") from None
    # One kind at a time: the daemon, the timer or cron (the cycle lock would cope, but
    # twice the work and two places to look for logs is no use to anyone).
    removed = [folder / n for n in others if (folder / n).exists()]
    failure = _remove_units(removed, start, systemctl)
    if cron:
        if failure is not None and not isinstance(failure, NoUserManager):
            raise failure  # systemd runs, and may still run the units just removed
        line = crontab.install(command, (config.source_path or Path("config.toml")).absolute())
        return Installed([], removed, "", None, line)
    crontab.remove()
    written = [folder / n for n in names]
    if not start or failure is not None:
        return Installed(written, removed, "", failure)
    try:
        systemctl(["daemon-reload"])
        systemctl(["enable", "--now", names[-1]])
    except ManageupError as e:
        return Installed(written, removed, "", e)
    return Installed(written, removed, names[-1])


def _enablable(paths: Sequence[Path]) -> list[str]:
    """The units that were enabled: manageup-once.service is started by the timer only."""
    return [p.name for p in paths if p.name in ("manageup.service", "manageup.timer")]


def uninstall(folder: Path, stop: bool, systemctl: Systemctl = run_systemctl) -> list[Path]:
    """Remove the units (and a cron entry); what was removed."""
    from manageup import crontab

    present = [folder / n for n in (*LONG_RUNNING, *TIMER) if (folder / n).exists()]
    if present and stop:
        try:
            systemctl(["disable", "--now", *_enablable(present)])
        except NoUserManager as e:
            # Without a user manager nothing runs to stop: removing the files is the fix.
            raise ManageupError(f"{e}; with no user session running, `manageup service "
                                "uninstall --no-start` removes the files") from None
    for p in present:
        p.unlink()
    if present and stop:
        systemctl(["daemon-reload"])
    if crontab.remove():
        present.append(Path("crontab"))
    return present


def check(config: Config, folder: Path) -> tuple[bool, str]:
    """Whether the installed units still match what install would write for this config:
    the same config file and the same folders writable."""
    present = [n for n in (*LONG_RUNNING, *TIMER) if (folder / n).exists()]
    if not present:
        return True, "service: not installed yet (manageup service install)"
    config_path = (config.source_path or Path("config.toml")).absolute()
    want = {"ReadWritePaths": " ".join(write_paths(config))}
    for name in present:
        text = (folder / name).read_text(encoding="utf-8", errors="replace")
        got = dict(_settings(text))
        fix = "; run: manageup service install" + (" --timer" if name in TIMER else "")
        if "ReadWritePaths" in got and got["ReadWritePaths"] != want["ReadWritePaths"]:
            return False, (f"service: {name} lets the daemon write to "
                           f"{got['ReadWritePaths']}, but the config needs "
                           f"{want['ReadWritePaths']}{fix}")
        if "ExecStart" not in got:
            continue
        argv = [a.replace("%%", "%") for a in shlex.split(got["ExecStart"])]
        if "--config" not in argv or argv[argv.index("--config") + 1:][:1] != [str(config_path)]:
            return False, f"service: {name} runs with another config than {config_path}{fix}"
        if not os.access(argv[0], os.X_OK):
            return False, f"service: {name} runs {argv[0]}, which is not there any more{fix}"
    return True, f"service: {', '.join(present)} installed and matching the config"


def _settings(text: str) -> list[tuple[str, str]]:
    return [(k.strip(), v.strip()) for k, _, v in
            (line.partition("=") for line in text.splitlines())
            if k.strip() in ("ExecStart", "ReadWritePaths")]
