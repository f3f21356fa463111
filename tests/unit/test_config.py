from __future__ import annotations

import logging
from datetime import time, timedelta
from pathlib import Path

import pytest

from manageup.cli import main
from manageup.config import describe, find_config, load_config, parse_config, parse_duration
from manageup.errors import ConfigError
from tests.conftest import ROOT


def test_example_configs_load() -> None:
    cfg = load_config(ROOT / "config.example.toml")
    assert cfg.boss.email == "sam@example.com"
    assert cfg.digest.lead_time == timedelta(hours=18)
    assert cfg.delivery.smtp.security == "starttls"
    bundled = load_config(ROOT / "examples" / "config.toml")
    assert bundled.calendars[0].path == ROOT / "examples" / "calendar.ics"


def test_every_key_in_the_example_is_documented() -> None:
    text = (ROOT / "config.example.toml").read_text()
    for key, _default, doc in describe():
        leaf = key.split(".")[-1]
        assert leaf in text, f"{key} is not in config.example.toml"
        assert doc, f"{key} has no description"


def test_all_problems_reported_at_once_with_section_key() -> None:
    text = """
[me]
email = "a@example.com"
timezone = "Mars/Olympus"
[boss]
name = "Sam"
[detect]
max_attendees = "two"
lookahead = "soon"
[[calendars]]
type = "exchange-ews"
[digest]
send_window = "7-21"
[delivery]
method = "pigeon"
"""
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    problems = "\n".join(err.value.problems)
    for key in ("me.timezone", "boss.email", "detect.max_attendees", "detect.lookahead",
                "calendars[0].type", "digest.send_window", "delivery.method"):
        assert key + ":" in problems
    assert err.value.exit_code == 2


def test_unknown_keys_warn(caplog: pytest.LogCaptureFixture) -> None:
    text = (ROOT / "examples" / "config.toml").read_text().replace(
        "[digest]", "[digest]\nlead_tme = \"2h\"")
    with caplog.at_level(logging.WARNING):
        parse_config(text, ROOT / "examples" / "config.toml")
    assert "digest.lead_tme: unknown key" in caplog.text


def test_cross_checks() -> None:
    text = (ROOT / "examples" / "config.toml").read_text().replace(
        'path = "calendar.ics"', 'url = "file:///etc/passwd"')
    with pytest.raises(ConfigError, match=r"calendars\[0\]\.url: only http"):
        parse_config(text)
    smtp = (ROOT / "examples" / "config.toml").read_text().replace(
        'method = "maildir"', 'method = "smtp"')
    with pytest.raises(ConfigError, match=r"delivery\.smtp\.host"):
        parse_config(smtp)


def test_paths_expand_home_and_vars(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CALDIR", "/srv/cal")
    text = (ROOT / "examples" / "config.toml").read_text().replace(
        'path = "calendar.ics"', 'path = "$CALDIR/work.ics"').replace(
        'path = "state/manageup.sqlite3"', 'path = "~/notes.sqlite3"')
    cfg = parse_config(text)
    assert cfg.calendars[0].path == Path("/srv/cal/work.ics")
    assert cfg.store.path == tmp_path / "notes.sqlite3"


def test_store_defaults_to_xdg_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    text = (ROOT / "examples" / "config.toml").read_text().replace(
        '[store]\npath = "state/manageup.sqlite3"', "")
    cfg = parse_config(text)
    assert cfg.store.path == tmp_path / "data" / "manageup" / "manageup.sqlite3"


def test_find_config_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert find_config(None, {}) == tmp_path / "xdg" / "manageup" / "config.toml"
    assert find_config(None, {"MANAGEUP_CONFIG": "/x.toml"}) == Path("/x.toml")
    assert find_config("/y.toml", {"MANAGEUP_CONFIG": "/x.toml"}) == Path("/y.toml")


def test_durations_and_windows() -> None:
    assert parse_duration("1d12h") == timedelta(days=1, hours=12)
    assert parse_duration("90m") == timedelta(minutes=90)
    with pytest.raises(ValueError):
        parse_duration("12 hours")
    cfg = load_config(ROOT / "examples" / "config.toml")
    assert cfg.digest.send_window == (time(7), time(21))


def test_cli_reports_config_errors_with_exit_2(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "c.toml"
    bad.write_text("[me\nemail=")
    assert main(["--config", str(bad), "meetings"]) == 2
    err = capsys.readouterr().err
    assert "not valid TOML" in err and "Traceback" not in err
    assert main(["--config", str(tmp_path / "missing.toml"), "meetings"]) == 2
    assert "no config file" in capsys.readouterr().err


def test_env_var_selects_config(monkeypatch: pytest.MonkeyPatch, example: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MANAGEUP_CONFIG", str(example / "config.toml"))
    assert main(["meetings", "--now", "2026-11-25T17:00"]) == 0
    assert "Alex / Sam 1:1" in capsys.readouterr().out


def _with(section: str, line: str) -> str:
    """The bundled example config with `line` in [section] (the table added if new)."""
    key = line.split("=")[0].strip()
    text = "\n".join(k for k in (ROOT / "examples" / "config.toml").read_text().splitlines()
                     if k.split("=")[0].strip() != key) + "\n"
    if f"[{section}]\n" in text:
        return text.replace(f"[{section}]\n", f"[{section}]\n{line}\n", 1)
    return f"{text}\n[{section}]\n{line}\n"


@pytest.mark.parametrize("section,line,key,says", [
    # Issue 22: "25:30" once became a window ending at 01:30.
    ("digest", 'send_window = "07:00-25:30"', "digest.send_window", "07:00-21:00"),
    ("digest", 'send_window = "24:00-21:00"', "digest.send_window", "07:00-21:00"),
    ("digest", 'send_window = "07:00-21:60"', "digest.send_window", "07:00-21:00"),
    ("detect", 'lookahead = "0s"', "detect.lookahead", "from 1h to 3650d"),
    ("service", 'poll_interval = "5s"', "service.poll_interval", "from 30s to 1d"),
    ("service", 'poll_interval = "2d"', "service.poll_interval", "from 30s to 1d"),
    ("digest", 'lead_time = "3651d"', "digest.lead_time", "from 0s to 3650d"),
    ("detect", "max_attendees = 0", "detect.max_attendees", "from 1 to"),
    ("detect", "history_days = 0", "detect.history_days", "from 1 to 3650"),
    ("store", "backups = 0", "store.backups", "from 1 to"),
    ("delivery.smtp", "port = 0", "delivery.smtp.port", "from 1 to 65535"),
    ("delivery.smtp", "port = 70000", "delivery.smtp.port", "from 1 to 65535"),
    ("digest", "stuck_after = 0", "digest.stuck_after", "from 1 to"),
])
def test_out_of_range_values_are_refused_naming_the_key(section: str, line: str, key: str,
                                                       says: str) -> None:
    """Never coerced into something else: refused, naming the key and what it takes."""
    with pytest.raises(ConfigError) as err:
        parse_config(_with(section, line))
    (problem,) = err.value.problems
    assert problem.startswith(key + ": ") and says in problem, problem
    assert err.value.exit_code == 2


def test_calendar_sizes_are_refused_out_of_range() -> None:
    text = (ROOT / "examples" / "config.toml").read_text().replace(
        'path = "calendar.ics"', 'path = "calendar.ics"\nmax_bytes = 0')
    with pytest.raises(ConfigError, match=r"calendars\[0\]\.max_bytes: expected a whole "
                                          r"number from 1024 to"):
        parse_config(text)


@pytest.mark.parametrize("window,expected", [
    ("07:00-21:00", (time(7), time(21))),
    ("22:00-06:30", (time(22), time(6, 30))),  # overnight
    ("00:00-24:00", (time(0), time(23, 59))),  # 24:00 ends the day, as ISO 8601 allows
    (" 7:05 - 9:10 ", (time(7, 5), time(9, 10))),
])
def test_windows_in_range_are_read_as_written(window: str,
                                              expected: tuple[time, time]) -> None:
    cfg = parse_config(_with("digest", f'send_window = "{window}"'))
    assert cfg.digest.send_window == expected


def test_config_error_exits_2_naming_the_key(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(_with("digest", 'send_window = "07:00-25:30"').replace(
        'path = "calendar.ics"', f'path = "{ROOT / "examples" / "calendar.ics"}"'))
    assert main(["--config", str(cfg), "meetings"]) == 2
    err = capsys.readouterr().err
    assert "digest.send_window" in err and "25:30" in err and "Traceback" not in err
