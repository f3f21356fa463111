"""`manageup service install|uninstall`: units that pass `systemd-analyze --user verify`,
with this installation's absolute path, the config's real folders, and systemctl called
as a user would (a recording stand-in for systemctl on PATH; no user manager here)."""

from __future__ import annotations

import shlex
import stat
import sys
from pathlib import Path

import pytest

from manageup.cli import main
from tests.system.units_env import INIT, home, settings, systemctl, unit_dir, verify

__all__ = ["home", "systemctl"]  # fixtures, used by name


def test_install_no_start_writes_units_that_verify(home: Path, systemctl: Path,
                                                   capsys) -> None:
    assert main(INIT) == 0
    assert main(["service", "install", "--no-start"]) == 0
    unit = unit_dir(home) / "manageup.service"
    s = settings(unit)
    exe = Path(sys.executable).parent / "manageup"
    config = home / ".config" / "manageup" / "config.toml"
    assert s["ExecStart"] == f"{exe} --config {config} run"
    data = home / ".local" / "share" / "manageup"
    assert s["ReadWritePaths"] == str(data)  # backups and Maildir are inside it
    assert (data / "Maildir" / "new").is_dir() and (data / "backups").is_dir()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    verify(home, "manageup.service")
    assert not systemctl.exists()  # --no-start: no systemctl at all
    assert "systemctl --user enable --now manageup.service" in capsys.readouterr().out
    assert main(["doctor"]) == 0
    assert "ok    service: manageup.service installed and matching" in capsys.readouterr().out


def test_install_lists_each_folder_optional_ones_with_a_dash(home: Path, systemctl: Path,
                                                             capsys) -> None:
    assert main(INIT) == 0
    config = home / ".config" / "manageup" / "config.toml"
    odd = home / "my notes" / "100%"
    config.write_text(config.read_text().replace(
        '[store]', f'[store]\nbackup_dir = "{odd / "backups"}"').replace(
        '[digest]', f'[digest]\narchive_dir = "{home / "archive"}"'))
    assert main(["service", "install", "--no-start"]) == 0
    rw = settings(unit_dir(home) / "manageup.service")["ReadWritePaths"]
    data = home / ".local" / "share" / "manageup"
    assert rw == (f'{data} "-{home}/my notes/100%%/backups" -{home}/archive')
    verify(home, "manageup.service")
    # The config moves the store: the installed unit no longer fits, and doctor says so.
    config.write_text(config.read_text().replace(str(odd / "backups"), str(home / "b")))
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  service: manageup.service lets the daemon write to" in out
    assert "run: manageup service install" in out


def test_install_starts_it_and_mentions_linger(home: Path, systemctl: Path, capsys) -> None:
    assert main(INIT) == 0
    assert main(["service", "install"]) == 0
    assert systemctl.read_text().splitlines() == ["--user daemon-reload",
                                                  "--user enable --now manageup.service"]
    assert "loginctl enable-linger" in capsys.readouterr().out


def test_timer_replaces_the_daemon_and_uninstall_removes_all(home: Path, systemctl: Path,
                                                             capsys) -> None:
    assert main(INIT) == 0
    assert main(["service", "install"]) == 0
    assert main(["service", "install", "--timer"]) == 0
    names = sorted(p.name for p in unit_dir(home).iterdir())
    assert names == ["manageup-once.service", "manageup.timer"]
    assert settings(unit_dir(home) / "manageup-once.service")["ExecStart"].endswith(" run --once")
    verify(home, "manageup-once.service", "manageup.timer")
    assert systemctl.read_text().splitlines()[2:] == [
        "--user disable --now manageup.service", "--user daemon-reload",
        "--user enable --now manageup.timer"]
    assert main(["service", "uninstall"]) == 0
    assert list(unit_dir(home).iterdir()) == []
    assert systemctl.read_text().splitlines()[-2:] == ["--user disable --now manageup.timer",
                                                       "--user daemon-reload"]


def test_systemctl_failure_is_one_clear_line(home: Path, systemctl: Path, capsys) -> None:
    assert main(INIT) == 0
    script = systemctl.parent / "bin" / "systemctl"
    script.write_text("#!/bin/sh\necho 'Failed to connect to bus: No medium found' >&2\n"
                      "exit 1\n")
    assert main(["service", "install"]) == 1
    err = capsys.readouterr().err
    assert "systemctl --user daemon-reload failed: Failed to connect to bus" in err
    assert "loginctl enable-linger" in err and "Traceback" not in err


def test_uninstall_without_a_user_manager_names_the_way_out(home: Path, systemctl: Path,
                                                            capsys) -> None:
    # No user session (su, a container): enable-linger is no help; --no-start is.
    assert main(INIT) == 0
    assert main(["service", "install", "--no-start"]) == 0
    script = systemctl.parent / "bin" / "systemctl"
    script.write_text("#!/bin/sh\necho 'Failed to connect to bus: No medium found' >&2\n"
                      "exit 1\n")
    capsys.readouterr()
    assert main(["service", "uninstall"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "`manageup service uninstall --no-start` removes the files" in err
    assert main(["service", "uninstall", "--no-start"]) == 0
    assert list(unit_dir(home).iterdir()) == []


def test_a_relative_xdg_config_home_is_ignored_as_systemd_does(
        home: Path, systemctl: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The XDG spec: relative paths are invalid and ignored; a unit written under the
    # current folder would be one systemd never reads.
    assert main(INIT) == 0
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CONFIG_HOME", "rel")
    assert main(["service", "install", "--no-start"]) == 0
    assert (unit_dir(home) / "manageup.service").is_file()
    assert list(work.iterdir()) == []


@pytest.mark.parametrize(("calendar", "private_tmp"), [
    ("/srv/calendars/work.ics", True),
    ("/tmp/work.ics", False),      # a download left in /tmp: PrivateTmp would hide it
    ("/var/tmp/cal/work.ics", False),
])
def test_private_tmp_only_when_nothing_the_config_names_is_in_tmp(
        calendar: str, private_tmp: bool) -> None:
    from manageup.config import parse_config
    from manageup.units import render
    from tests.conftest import config_text

    config = parse_config(config_text(calendar, Path("/srv/manageup")),
                          Path("/srv/manageup/config.toml"))
    for name in ("manageup.service", "manageup-once.service"):
        unit = settings_of(render(name, config, ["/usr/bin/manageup"]))
        assert unit["PrivateTmp"] == ("yes" if private_tmp else "no")


def settings_of(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines()
                if "=" in line and not line.startswith("#"))


def test_install_fails_when_a_file_is_where_the_maildir_goes(home: Path, systemctl: Path,
                                                             capsys) -> None:
    assert main(INIT) == 0
    maildir = home / ".local" / "share" / "manageup" / "Maildir"
    maildir.write_text("")
    assert main(["service", "install", "--no-start"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{maildir}: it is a file, not a folder" in err, err
    assert not (unit_dir(home) / "manageup.service").exists()


@pytest.mark.parametrize(("flags", "unit"), [([], "manageup.service"),
                                             (["--timer"], "manageup-once.service")])
def test_the_units_let_manageup_write_its_cache(home: Path, systemctl: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                flags: list[str], unit: str) -> None:
    # Issue 27.3: ProtectSystem=strict with only the data folder writable left the parse
    # cache read-only, so every timer run parsed the calendar afresh.
    from manageup import cache

    assert main(INIT) == 0
    assert main(["service", "install", "--no-start", *flags]) == 0
    verify(home, *(p.name for p in unit_dir(home).iterdir()))
    s = settings(unit_dir(home) / unit)
    assert s["ProtectSystem"] == "strict"
    writable = [Path(w.lstrip("-")) for w in shlex.split(s["ReadWritePaths"])]
    if "CacheDirectory" in s:  # what systemd does for a user unit: ~/.cache/NAME, named
        given = home / ".cache" / s["CacheDirectory"]
        writable.append(given)
        monkeypatch.setenv("CACHE_DIRECTORY", str(given))
        assert s["CacheDirectoryMode"] == "0700"  # calendar data: the user's only
    # The user manager does not see the shell's XDG_CACHE_HOME.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "shell-cache"))
    folder = cache.private_dir("feeds")
    assert folder is not None
    assert any(folder.is_relative_to(w) for w in writable), (folder, writable)
