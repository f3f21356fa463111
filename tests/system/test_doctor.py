from __future__ import annotations

import json
from pathlib import Path

import pytest

from manageup.accounts.google import CALENDAR_SCOPE, GMAIL_SCOPE
from manageup.cli import main
from tests.conftest import SmtpServer

MAILDIR = '[delivery]\nmethod = "maildir"\nmaildir = "state/Maildir"\n'


def tree(path: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() if p.is_file() else b"/" for p in sorted(path.rglob("*"))}


def test_doctor_all_ok_on_the_example(example: Path, capsys) -> None:
    assert main(["--config", str(example / "config.toml"), "doctor"]) == 0
    out = capsys.readouterr().out
    assert "ok    config" in out
    assert "calendar work:" in out and "1:1s with your boss" in out
    assert "ok    store" in out and "ok    delivery: Maildir" in out


def test_doctor_names_each_problem_and_the_fix(example: Path, capsys) -> None:
    (example / "calendar.ics").unlink()
    server = SmtpServer()  # not started
    cfg = example / "config.toml"
    cfg.write_text(cfg.read_text().replace(
        '[delivery]\nmethod = "maildir"\nmaildir = "state/Maildir"\n', server.delivery()))
    assert main(["--config", str(cfg), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  calendar work: no file at" in out and "calendars.path" in out
    assert "work: work" not in out  # each calendar named once
    assert "FAIL  delivery: cannot reach 127.0.0.1" in out
    assert "2 problems found" in out


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


def test_doctor_changes_nothing_on_disk_before_the_first_run(example: Path, capsys) -> None:
    before = tree(example)
    assert main(["--config", str(example / "config.toml"), "doctor"]) == 0
    assert tree(example) == before
    assert not (example / "state").exists()
    out = capsys.readouterr().out
    assert "created on the first run" in out


def test_doctor_checks_an_existing_store_read_only(example: Path, capsys) -> None:
    cfg = str(example / "config.toml")
    assert main(["--config", cfg, "add", "need", "Budget"]) == 0
    before = tree(example)
    assert main(["--config", cfg, "doctor"]) == 0
    assert tree(example) == before
    assert "is writable" in capsys.readouterr().out


def _gmail(example: Path) -> Path:
    cfg = example / "config.toml"
    cfg.write_text(cfg.read_text().replace(MAILDIR, '[delivery]\nmethod = "gmail"\n'))
    return cfg


def test_doctor_gmail_never_signed_in_fails_once(example: Path, memory_keyring, capsys) -> None:
    assert main(["--config", str(_gmail(example)), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  delivery: Gmail: not signed in to Google" in out
    assert "manageup auth google" in out
    assert "signed in" not in out.replace("not signed in", "")
    assert "not available" not in out
    assert "1 problem found" in out


@pytest.mark.parametrize("scopes,ok", [([CALENDAR_SCOPE, GMAIL_SCOPE], True),
                                       ([CALENDAR_SCOPE], False)])
def test_doctor_gmail_needs_the_send_permission(example: Path, memory_keyring, capsys,
                                                scopes: list[str], ok: bool) -> None:
    memory_keyring.set_password("manageup", "google-token", json.dumps({
        "refresh_token": "r", "client_id": "c", "client_secret": "s", "scopes": scopes}))
    assert main(["--config", str(_gmail(example)), "doctor"]) == (0 if ok else 1)
    out = capsys.readouterr().out
    if ok:
        assert "ok    delivery: Gmail, as signed in with `manageup auth google`" in out
    else:
        assert "FAIL  delivery: Gmail: the Google sign-in does not allow sending mail" in out


def test_doctor_fails_when_no_1on1_is_found(example: Path, capsys) -> None:
    cfg = example / "config.toml"
    cfg.write_text(cfg.read_text().replace('email = "sam@example.com"',
                                           'email = "sam@exmaple.com"'))
    assert main(["--config", str(cfg), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  1:1s: No 1:1 found: your boss's address" in out and "sam@exmaple.com" in out
    assert "  sam@example.com (Sam Rivera): " in out  # the likely right address


def test_doctor_fails_when_the_fast_read_keeps_nothing(tmp_path: Path, capsys) -> None:
    # Only a four-person team meeting with the boss: the fast read keeps no event at all,
    # which must still fail with the cause, not pass with "0 1:1(s) ahead".
    from tests.conftest import ICS, config_text

    cfg = tmp_path / "config.toml"
    cfg.write_text(config_text(ICS / "team_meeting_with_boss.ics", tmp_path))
    cfg.chmod(0o600)
    assert main(["--config", str(cfg), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  1:1s: No 1:1 found" in out and "All checks passed" not in out, out


@pytest.mark.parametrize(("text", "says"), [
    ("[me\nemail = ", "not valid TOML"),
    ("[me]\nemail = \"alex@example.com\"\ntimezone = \"Mars/Base\"\n", "me.timezone"),
])
def test_doctor_names_the_config_once(tmp_path: Path, capsys, text: str, says: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    cfg.chmod(0o600)
    assert main(["--config", str(cfg), "doctor"]) == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("FAIL"))
    assert says in out and line.count(str(cfg)) == 1, out


def test_doctor_reports_a_server_that_hangs_up_after_the_greeting(example: Path, capsys) -> None:
    """A server that greets and then drops the connection is one FAIL line, no traceback."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.sendall(b"220 hello\r\n")
            conn.recv(1024)  # EHLO
            conn.sendall(b"250 ok\r\n")
            conn.recv(1024)  # NOOP: hang up instead of answering

    threading.Thread(target=serve, daemon=True).start()
    cfg = example / "config.toml"
    cfg.write_text(cfg.read_text().replace(
        '[delivery]\nmethod = "maildir"\nmaildir = "state/Maildir"\n',
        f'[delivery]\nmethod = "smtp"\n[delivery.smtp]\nhost = "127.0.0.1"\nport = {port}\n'
        'security = "none"\nusername = ""\n'))
    try:
        assert main(["--config", str(cfg), "doctor"]) == 1
    finally:
        listener.close()
    out = capsys.readouterr().out
    assert "FAIL  delivery: SMTP 127.0.0.1:" in out
    assert "Traceback" not in out
