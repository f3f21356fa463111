from __future__ import annotations

from pathlib import Path

from manageup.cli import main
from tests.conftest import SmtpServer


def test_doctor_all_ok_on_the_example(example: Path, capsys) -> None:
    assert main(["--config", str(example / "config.toml"), "doctor"]) == 0
    out = capsys.readouterr().out
    assert "ok    config" in out
    assert "calendar work:" in out and "1:1(s) with your boss" in out
    assert "ok    store" in out and "ok    delivery: Maildir" in out


def test_doctor_names_each_problem_and_the_fix(example: Path, capsys) -> None:
    (example / "calendar.ics").unlink()
    server = SmtpServer()  # not started
    cfg = example / "config.toml"
    cfg.write_text(cfg.read_text().replace(
        '[delivery]\nmethod = "maildir"\nmaildir = "state/Maildir"\n', server.delivery()))
    assert main(["--config", str(cfg), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  calendar work: work: no file at" in out and "calendars.path" in out
    assert "FAIL  delivery: cannot reach 127.0.0.1" in out
    assert "2 problem(s) found" in out


def test_doctor_checks_smtp_login_without_sending(example: Path, smtp_server, monkeypatch,
                                                  tmp_path, capsys) -> None:
    cfg = example / "config.toml"
    cfg.write_text(cfg.read_text().replace(
        '[delivery]\nmethod = "maildir"\nmaildir = "state/Maildir"\n',
        smtp_server.delivery('password_command = "printf pw"\nusername = ""')))
    assert main(["--config", str(cfg), "doctor"]) == 0
    assert "ok    delivery: SMTP 127.0.0.1" in capsys.readouterr().out
    assert smtp_server.handler.raw == []  # no mail sent


def test_doctor_reports_a_broken_config(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "c.toml"
    bad.write_text('[me]\nemail = "a@b.c"\ntimezone = "Nowhere/Land"\n')
    assert main(["--config", str(bad), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  config" in out and "me.timezone" in out and "boss" in out
