"""SMTP login with UTF-8 credentials, errors that name no part of the secret, and a
connection closed on every way out; against aiosmtpd on loopback."""

from __future__ import annotations

import gc
import hmac
import json
import ssl
import warnings
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword

from manageup.config import Smtp
from manageup.deliver.smtp import SmtpTransport
from manageup.errors import DeliveryError, SecretError, SecretUnavailable
from tests.conftest import Recorder, SmtpServer

USER = "alex.müller@example.com"
PASSWORD = "s3cret€pässwort"


def _mail() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = msg["To"] = "alex@example.com"
    msg["Subject"] = "Prep"
    msg["Date"] = "Wed, 25 Nov 2026 16:00:00 +0100"
    msg["Message-ID"] = "<" + "0" * 32 + "@manageup.invalid>"
    msg.set_content("text")
    return msg


def _server(**kwargs) -> SmtpServer:
    logins: list[tuple[str, bytes, bytes]] = []

    def check(server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        logins.append((mechanism, auth_data.login, auth_data.password))
        ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)

    server = SmtpServer(authenticator=check, auth_require_tls=False, **kwargs)
    server.logins = logins  # type: ignore[attr-defined]
    return server


@pytest.fixture
def auth_server() -> Iterator[SmtpServer]:
    server = _server()
    server.start()
    yield server
    server.stop()


def _transport(server: SmtpServer, password: Callable[[], str] = lambda: PASSWORD,
               **kw) -> SmtpTransport:
    cfg = Smtp(host="127.0.0.1", port=server.port, security=kw.pop("security", "none"),
               username=USER, timeout=10)
    return SmtpTransport(cfg, password, **kw)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_utf8_credentials_log_in(mechanism: str) -> None:
    other = {"PLAIN": "LOGIN", "LOGIN": "PLAIN"}[mechanism]
    server = _server(auth_exclude_mechanism=[other])
    server.start()
    try:
        _transport(server).send(_mail())
        assert [m for m, _u, _p in server.logins] == [mechanism]  # type: ignore[attr-defined]
        assert len(server.handler.raw) == 1
    finally:
        server.stop()


def _no_unclosed_socket(action: Callable[[], object]) -> None:
    """Run action; a socket it left open shows as a ResourceWarning once collected."""
    gc.collect()  # sockets other tests left behind are not this action's
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        action()
        gc.collect()
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == []


def test_refused_utf8_password_is_permanent_and_names_no_secret(auth_server, caplog) -> None:
    def send() -> None:
        with pytest.raises(DeliveryError) as err:
            _transport(auth_server, lambda: "wrong€" + PASSWORD[::-1]).send(_mail())
        assert not err.value.transient and "refused the login" in str(err.value)
        text = str(err.value) + caplog.text
        assert "€" not in text and "position" not in text and "wrong" not in text

    _no_unclosed_socket(send)


def test_missing_password_opens_no_connection_and_is_not_retried_fast(auth_server) -> None:
    def missing() -> str:
        raise SecretError("no smtp password found. Tried: keyring")

    def send() -> None:
        with pytest.raises(DeliveryError, match="no smtp password found") as err:
            _transport(auth_server, missing).send(_mail())
        assert not err.value.transient

    _no_unclosed_socket(send)
    assert auth_server.logins == []  # type: ignore[attr-defined]


def test_a_locked_keyring_is_tried_again_soon(auth_server) -> None:
    def locked() -> str:
        raise SecretUnavailable("the keyring is locked; unlock it or use a credential")

    with pytest.raises(DeliveryError, match="keyring is locked") as err:
        _transport(auth_server, locked).send(_mail())
    assert err.value.transient  # unlike a password never stored
    assert auth_server.logins == []  # type: ignore[attr-defined]


def test_failed_starttls_closes_the_connection() -> None:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_ctx)
    server = SmtpServer(tls_context=server_ctx, require_starttls=True)
    server.start()
    try:
        def send() -> None:
            # The default context does not trust this CA: the handshake fails.
            with pytest.raises(DeliveryError, match="certificate"):
                _transport(server, security="starttls").send(_mail())

        _no_unclosed_socket(send)
    finally:
        server.stop()


def test_refused_data_closes_the_connection(auth_server) -> None:
    auth_server.handler.reply = "554 5.6.0 Rejected"

    def send() -> None:
        with pytest.raises(DeliveryError, match="554"):
            _transport(auth_server).send(_mail())

    _no_unclosed_socket(send)


class CramMd5Recorder(Recorder):
    """aiosmtpd has no CRAM-MD5; a handler method auth_CRAM__MD5 adds it (__ is -)."""

    async def auth_CRAM__MD5(self, server, args) -> AuthResult:
        challenge = b"<1896.697170952@manageup.test>"
        answer = await server.challenge_auth(challenge)
        user, _, digest = answer.rpartition(b" ")
        good = hmac.HMAC(PASSWORD.encode(), challenge, "md5").hexdigest().encode()
        return AuthResult(success=user == USER.encode() and digest == good, handled=False)


def test_utf8_credentials_with_cram_md5() -> None:
    server = SmtpServer(auth_require_tls=False, auth_exclude_mechanism=["PLAIN", "LOGIN"])
    server.handler = CramMd5Recorder()
    server.start()
    try:
        _transport(server).send(_mail())  # smtplib prefers CRAM-MD5 when offered
        assert len(server.handler.raw) == 1
        with pytest.raises(DeliveryError, match="refused the login"):
            _transport(server, lambda: "other€").send(_mail())
    finally:
        server.stop()


def test_utf8_password_through_the_cycle(example, tmp_path, monkeypatch, caplog) -> None:
    """A refused "€" password: one clear permanent failure in the ledger, nothing of the
    secret in the log, ledger or export; the right one then delivers."""
    from manageup.config import load_config
    from manageup.cycle import make_sources, run_cycle
    from manageup.deliver import make_transport
    from manageup.store import Store
    from tests.conftest import at

    server = _server()
    server.start()
    try:
        creds = tmp_path / "creds"
        creds.mkdir()
        (creds / "smtp").write_text("falsch€" + PASSWORD)
        monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
        cfg_path = example / "config.toml"
        cfg_path.write_text(cfg_path.read_text().replace(
            '[delivery]\nmethod = "maildir"\nmaildir = "state/Maildir"\n',
            server.delivery(f'username = "{USER}"')))
        cfg = load_config(cfg_path)
        sources, transport = make_sources(cfg), make_transport(cfg)
        now = at("2026-11-25T16:00+01:00")
        store = Store.open(cfg.store.path)
        run_cycle(cfg, store, sources, transport, now)
        (row,) = store.ledger()
        assert row.state == "failed" and "refused the login" in row.last_error
        assert row.next_try == now + timedelta(hours=1)  # not hammered
        exported = json.dumps(store.export(), ensure_ascii=False)
        for text in (exported, caplog.text):
            assert "€" not in text and "falsch" not in text and "position" not in text
        (creds / "smtp").write_text(PASSWORD)
        run_cycle(cfg, store, sources, transport, now + timedelta(hours=1))
        assert [r.state for r in store.ledger()] == ["sent"]
        assert len(server.handler.raw) == 1
    finally:
        server.stop()


# Microsoft 365's reply when SMTP AUTH is off for the tenant or the mailbox, as Microsoft
# Learn quotes it ("Enable or disable SMTP AUTH in Exchange Online", and "Fix issues with
# printers, scanners, and LOB applications that send email using Microsoft 365": 5.7.139).
SMTP_AUTH_DISABLED = ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is "
                      "disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for "
                      "more information. [SN4PR0601CA0002.namprd06.prod.outlook.com]")


def test_smtp_auth_disabled_at_microsoft_says_so_not_the_password() -> None:
    def refuse(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=False, handled=False, message=SMTP_AUTH_DISABLED)

    server = SmtpServer(authenticator=refuse, auth_require_tls=False)
    server.start()
    try:
        with pytest.raises(DeliveryError) as err:
            _transport(server).send(_mail())
    finally:
        server.stop()
    said = str(err.value)
    assert not err.value.transient  # the same answer until someone changes a setting
    assert "SMTP AUTH" in said and "disabled" in said
    assert "enable SMTP AUTH for the mailbox" in said
    assert "gmail" in said and "maildir" in said  # the other ways to deliver
    assert "stored password" not in said and "secret set" not in said
    assert "\n" not in said


def test_each_run_once_while_a_refused_login_waits_fails_and_says_why(
        example, tmp_path, monkeypatch, capsys) -> None:
    """A refused SMTP login is retried hourly (not hammered); the timer's runs in between
    leave the digest unsent, so each of them exits 1 and says what waits and the fix, not
    only the run that was refused."""
    from manageup.cli import main

    server = _server()
    server.start()
    try:
        creds = tmp_path / "creds"
        creds.mkdir()
        (creds / "smtp").write_text("wrong")
        monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
        cfg_path = example / "config.toml"
        cfg_path.write_text(cfg_path.read_text().replace(
            '[delivery]\nmethod = "maildir"\nmaildir = "state/Maildir"\n',
            server.delivery(f'username = "{USER}"')))
        once = ["--config", str(cfg_path), "run", "--once", "--now"]
        assert main([*once, "2026-11-25T16:00:00+01:00"]) == 1
        capsys.readouterr()
        tried = len(server.logins)  # type: ignore[attr-defined]  # smtplib tries each mechanism
        assert tried > 0
        assert main([*once, "2026-11-25T16:10:00+01:00"]) == 1
        out, err = capsys.readouterr()
        assert [line.split(" ERROR ", 1)[1] for line in err.splitlines()
                if " ERROR " in line] == [
            "the digest for Alex / Sam 1:1 (Thu 26 Nov 10:00) is not sent: "
            f"127.0.0.1:{server.port} refused the login (535); check delivery.smtp.username "
            "and the stored password (`manageup secret set smtp`); next try at 17:00"]
        assert out == "nothing sent; 1 digest held; the errors above say why.\n"
        assert len(server.logins) == tried  # type: ignore[attr-defined]  # not hammered
        (creds / "smtp").write_text(PASSWORD)
        assert main([*once, "2026-11-25T17:00:00+01:00"]) == 0
        assert len(server.handler.raw) == 1
    finally:
        server.stop()
