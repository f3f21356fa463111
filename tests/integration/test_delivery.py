"""Mail building and the SMTP, Maildir and stdout transports, against a real SMTP server."""

from __future__ import annotations

import ssl
from datetime import timedelta
from pathlib import Path

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword

from manageup.accounts import secrets
from manageup.config import Smtp
from manageup.cycle import make_digest
from manageup.deliver import SmtpTransport, build_message, make_transport
from manageup.detect import detect
from manageup.errors import ConfigError, DeliveryError, SecretError
from manageup.history import history_of
from manageup.model import Match, Occurrence, Person
from manageup.sources.ics import parse_occurrences
from manageup.store import Store
from tests.conftest import ICS, SmtpServer, at
from tests.mailcheck import checked_mail, checked_maildir

NOW = at("2026-12-02T17:00+01:00")


def _digest(make_config, tmp_path: Path, delivery: str = "", occ: Occurrence | None = None):
    _p, cfg = make_config(ICS / "weekly_moved_cancelled_exdate.ics", delivery=delivery)
    occs = parse_occurrences((ICS / "weekly_moved_cancelled_exdate.ics").read_bytes(),
                             NOW - timedelta(days=90), NOW + timedelta(days=14),
                             cfg.zone).occurrences
    matches = [m for m in detect(occs, cfg) if m.occurrence.start > NOW]
    match = Match(occ, "test") if occ else matches[0]
    store = Store.open(cfg.store.path)
    digest, rendered = make_digest(store, match, history_of(occs, cfg), NOW, cfg)
    return cfg, digest, rendered, matches


def test_message_over_smtp_has_both_parts_and_threading(make_config, tmp_path, smtp_server):
    cfg, digest, rendered, matches = _digest(make_config, tmp_path, smtp_server.delivery())
    make_transport(cfg).send(build_message(rendered, digest, cfg, NOW))
    (msg,) = smtp_server.handler.messages
    assert msg["To"] == "alex@example.com" and msg["From"] == "alex@example.com"
    assert msg["Date"] and msg["Auto-Submitted"] == "auto-generated"
    parts = [p.get_content_type() for p in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]  # text first, HTML last
    html = msg.get_body(("html",)).get_content()
    assert 'style="' in html  # CSS inlined
    # Same occurrence, same Message-ID; the next week's digest replies to this one.
    again = checked_mail(build_message(rendered, digest, cfg, NOW + timedelta(hours=1)))
    assert again["Message-ID"] == msg["Message-ID"]
    assert msg["In-Reply-To"] is None  # the first of its series
    _c, d2, r2, _m = _digest(make_config, tmp_path, smtp_server.delivery(),
                             occ=matches[1].occurrence)
    other = checked_mail(build_message(r2, d2, cfg, NOW, [msg["Message-ID"]]))
    assert other["Message-ID"] != msg["Message-ID"]
    assert other["References"] == other["In-Reply-To"] == msg["Message-ID"]


def test_hostile_summary_cannot_inject_headers(make_config, tmp_path, smtp_server):
    evil = Occurrence(
        uid="evil\r\nBcc: victim@example.org", start=NOW + timedelta(hours=3),
        end=NOW + timedelta(hours=4),
        title="1:1\r\nBcc: victim@example.org\r\nX-Evil: 1\x00\x1b[31m",
        organizer=Person("sam@example.com"))
    cfg, digest, rendered, _m = _digest(make_config, tmp_path, smtp_server.delivery(), evil)
    make_transport(cfg).send(build_message(rendered, digest, cfg, NOW))
    (raw,) = smtp_server.handler.raw
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in head and b"\nX-Evil" not in head
    assert b"\x00" not in head and b"\x1b" not in head
    (msg,) = smtp_server.handler.messages
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert "Bcc: victim@example.org" in msg["Subject"]  # kept as harmless text


def _tls_server(tmp_path: Path) -> tuple[SmtpServer, trustme.CA]:
    ca = trustme.CA()
    cert = ca.issue_cert("localhost")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    server = SmtpServer(tls_context=server_ctx, require_starttls=True)
    server.start()
    return server, ca


def test_starttls_is_verified(make_config, tmp_path):
    server, ca = _tls_server(tmp_path)
    try:
        cfg = Smtp(host="localhost", port=server.port, security="starttls", timeout=5)
        client_ctx = ssl.create_default_context()
        ca.configure_trust(client_ctx)
        _c, digest, rendered, _m = _digest(make_config, tmp_path)
        msg = build_message(rendered, digest, _c, NOW)
        SmtpTransport(cfg, lambda: "", context=client_ctx).send(msg)
        assert len(server.handler.raw) == 1
        # The default context does not trust this self-made CA: refused, not sent.
        with pytest.raises(DeliveryError, match="certificate") as err:
            SmtpTransport(cfg, lambda: "").send(msg)
        assert not err.value.transient
        assert len(server.handler.raw) == 1
    finally:
        server.stop()


def test_plain_smtp_only_for_loopback() -> None:
    with pytest.raises(ConfigError, match="only allowed for loopback"):
        SmtpTransport(Smtp(host="smtp.example.com", security="none"), lambda: "")
    SmtpTransport(Smtp(host="127.0.0.1", security="none"), lambda: "")
    SmtpTransport(Smtp(host="::1", security="none"), lambda: "")


def _auth_server() -> SmtpServer:
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret-pw"
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535

    server = SmtpServer(authenticator=check, auth_require_tls=False)
    server.start()
    return server


def test_password_from_systemd_credential(make_config, tmp_path, monkeypatch, caplog):
    server = _auth_server()
    try:
        creds = tmp_path / "creds"
        creds.mkdir()
        (creds / "smtp").write_text("s3cret-pw\n")
        monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
        cfg, digest, rendered, _m = _digest(
            make_config, tmp_path, server.delivery('username = "alex"'))
        make_transport(cfg).send(build_message(rendered, digest, cfg, NOW))
        assert len(server.handler.raw) == 1
        (creds / "smtp").write_text("wrong")
        with pytest.raises(DeliveryError, match="refused the login") as err:
            make_transport(cfg).send(build_message(rendered, digest, cfg, NOW))
        assert not err.value.transient
        assert "s3cret-pw" not in caplog.text and "wrong" not in str(err.value)
    finally:
        server.stop()


@pytest.mark.parametrize("reply,transient", [
    ("451 4.3.0 Try again later", True),
    ("421 4.3.2 Service shutting down", True),
    ("550 5.7.1 Rejected", False),
])
def test_server_replies_are_classified(make_config, tmp_path, smtp_server, reply, transient):
    cfg, digest, rendered, _m = _digest(make_config, tmp_path, smtp_server.delivery())
    smtp_server.handler.reply = reply
    with pytest.raises(DeliveryError) as err:
        make_transport(cfg).send(build_message(rendered, digest, cfg, NOW))
    assert err.value.transient is transient
    assert reply[:3] in str(err.value)


def test_server_down_is_transient(make_config, tmp_path):
    server = SmtpServer()  # never started: connection refused
    cfg, digest, rendered, _m = _digest(make_config, tmp_path, server.delivery())
    with pytest.raises(DeliveryError, match="is the server up") as err:
        make_transport(cfg).send(build_message(rendered, digest, cfg, NOW))
    assert err.value.transient


def test_maildir_delivery(make_config, tmp_path):
    cfg, digest, rendered, _m = _digest(make_config, tmp_path)
    make_transport(cfg).send(build_message(rendered, digest, cfg, NOW))
    (new,) = list((tmp_path / "Maildir" / "new").iterdir())
    assert b"Subject: Prep: Sam / Alex" in new.read_bytes()
    (msg,) = checked_maildir(tmp_path / "Maildir")
    assert msg["Subject"].startswith("Prep: Sam / Alex")
    assert list((tmp_path / "Maildir" / "tmp").iterdir()) == []


# --- secrets -------------------------------------------------------------------------------


def test_keyring_lookup_and_secret_set(memory_keyring, monkeypatch, example, capsys):
    import io

    from manageup.cli import main

    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("from-keyring\n"))
    assert main(["--config", str(example / "config.toml"), "secret", "set", "smtp"]) == 0
    assert memory_keyring.values[("manageup", "smtp")] == "from-keyring"
    assert secrets.lookup("smtp", env={}) == "from-keyring"
    assert "from-keyring" not in capsys.readouterr().out


def test_no_backend_says_what_was_tried(monkeypatch):
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with pytest.raises(SecretError) as err:
            secrets.lookup("smtp", env={})
    finally:
        keyring.set_keyring(previous)
    text = str(err.value)
    assert "systemd credential" in text and "LoadCredential=smtp" in text
    assert "keyring: no usable backend" in text
    assert "password_command: not set" in text


def test_password_command_is_last_resort(memory_keyring):
    assert secrets.lookup("smtp", "printf cmd-pw", env={}) == "cmd-pw"
    memory_keyring.values[("manageup", "smtp")] = "kr-pw"
    assert secrets.lookup("smtp", "printf cmd-pw", env={}) == "kr-pw"
