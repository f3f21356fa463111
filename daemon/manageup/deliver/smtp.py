"""Delivery through an SMTP server: TLS always verified, every failure classified."""

from __future__ import annotations

import base64
import contextlib
import hmac
import smtplib
import socket
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from manageup.config import Smtp
from manageup.configvalues import is_loopback
from manageup.errors import (
    ConfigError,
    DeliveryError,
    ManageupError,
    SecretError,
    SecretUnavailable,
)


class _Smtp(smtplib.SMTP):
    """smtplib with SASL responses in UTF-8. smtplib encodes them as ASCII (CPython
    gh-73936, open since 2017), so a password with "€" failed before reaching the server;
    RFC 4616 (PLAIN) and RFC 4954 (AUTH) say UTF-8. LOGIN servers take the same bytes.
    It also notes when the message itself went out (DATA), for SmtpTransport.send."""

    data_sent = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.data_sent = True
        return super().data(msg)

    # The stdlib method with its one `.encode("ascii")` changed; smtplib calls it from
    # login() for PLAIN and LOGIN, so the mechanism choice stays smtplib's.
    def auth(self, mechanism: str, authobject: Any, *,
             initial_response_ok: bool = True) -> tuple[int, bytes]:
        mechanism = mechanism.upper()
        initial = authobject() if initial_response_ok else None
        if initial is not None:
            code, resp = self.docmd("AUTH", f"{mechanism} {_b64(initial)}")
            self._auth_challenge_count = 1
        else:
            code, resp = self.docmd("AUTH", mechanism)
            self._auth_challenge_count = 0
        while code == 334:
            self._auth_challenge_count += 1
            code, resp = self.docmd(_b64(authobject(base64.decodebytes(resp))))
        if code in (235, 503):
            return code, resp
        raise smtplib.SMTPAuthenticationError(code, resp)

    def auth_cram_md5(self, challenge: Any = None) -> Any:  # stdlib returns None at first
        if challenge is None:
            return None
        digest = hmac.HMAC(self.password.encode(), challenge, "md5").hexdigest()
        return f"{self.user} {digest}"


class _SmtpSsl(_Smtp, smtplib.SMTP_SSL):
    pass


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode("ascii")


class SmtpTransport:
    name = "smtp"

    def __init__(self, cfg: Smtp, password: Callable[[], str],
                 context: ssl.SSLContext | None = None) -> None:
        if cfg.security == "none" and not is_loopback(cfg.host):
            raise ConfigError([f"delivery.smtp.security: 'none' sends your password in clear; "
                               f"it is only allowed for loopback hosts, not {cfg.host!r}. "
                               "Use starttls or ssl"])
        self.cfg = cfg
        self.password = password
        # Always verified: certificates and host names. No switch turns this off.
        self.context = context or ssl.create_default_context()

    def connect(self) -> _Smtp:
        """A connection, logged in; closed again on any failure."""
        cfg = self.cfg
        try:
            # Looked up first: a missing password costs no connection.
            password = self.password() if cfg.username else ""
        except SecretUnavailable as e:  # a keyring still locked at boot: try again soon
            raise DeliveryError(str(e), transient=True) from None
        except SecretError as e:
            raise DeliveryError(str(e), transient=False) from None
        smtp: _Smtp | None = None
        try:
            if cfg.security == "ssl":
                smtp = _SmtpSsl(cfg.host, cfg.port, timeout=cfg.timeout, context=self.context)
            else:
                smtp = _Smtp(cfg.host, cfg.port, timeout=cfg.timeout)
                if cfg.security == "starttls":
                    smtp.starttls(context=self.context)
            if cfg.username:
                smtp.login(cfg.username, password)
            return smtp
        except Exception as e:
            if smtp is not None:
                smtp.close()
            raise _classify(e, cfg) from None

    def send(self, msg: EmailMessage, thread: str = "") -> str:
        smtp = self.connect()
        try:
            smtp.send_message(msg)
        except Exception as e:  # every failure is classified below
            err = _classify(e, self.cfg)
            # No reply after the message went out: the server may have it (the ledger then
            # allows one more try). An SMTP reply, even an error, means it was not taken.
            if smtp.data_sent and isinstance(err, DeliveryError) \
                    and not isinstance(e, smtplib.SMTPResponseException):
                err.maybe_sent = True
            raise err from None
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
            smtp.close()  # quit closes too unless it failed; a second close is harmless
        return ""  # SMTP has no conversations; clients thread by References


def _refused(e: smtplib.SMTPRecipientsRefused, where: str) -> DeliveryError:
    """A 4xx at RCPT TO is "not now" (greylisting answers 450 to a first attempt, a full
    mailbox 452): tried again at the next cycles. A 5xx is a wrong address."""
    replies = list(e.recipients.values())
    if replies and all(400 <= code < 500 for code, _said in replies):
        code, said = replies[0]
        text = said.decode(errors="replace") if isinstance(said, bytes) else str(said)
        return DeliveryError(f"{where} deferred the recipient for now ({code} {text[:200]})",
                             transient=True)
    return DeliveryError(f"{where} refused the recipient; check digest.to", transient=False)


def _classify(e: Exception, cfg: Smtp) -> ManageupError:
    """One clear error per failure. No exception's own text where it could quote the
    password back (a UnicodeEncodeError names the character and its offset)."""
    where = f"{cfg.host}:{cfg.port}"
    if isinstance(e, DeliveryError | ConfigError):
        return e
    if isinstance(e, ManageupError):
        return DeliveryError(str(e), transient=False)
    if isinstance(e, smtplib.SMTPAuthenticationError) and b"5.7.139" in _said(e):
        # Microsoft 365 refuses any password while SMTP AUTH is off for the tenant or the
        # mailbox (the default for new tenants): no password would help.
        return DeliveryError(f"{where} refused the login (535 5.7.139): Microsoft 365 has "
                             "SMTP AUTH disabled for this tenant or mailbox; an administrator "
                             "can enable SMTP AUTH for the mailbox (Microsoft 365 admin "
                             "center: the user's Mail settings, Authenticated SMTP), or "
                             'deliver with delivery.method = "gmail" or "maildir"',
                             transient=False)
    if isinstance(e, smtplib.SMTPAuthenticationError):
        return DeliveryError(f"{where} refused the login ({e.smtp_code}); check "
                             "delivery.smtp.username and the stored password "
                             "(`manageup secret set smtp`)", transient=False)
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        return _refused(e, where)
    if isinstance(e, smtplib.SMTPResponseException):
        transient = 400 <= e.smtp_code < 500
        said = e.smtp_error.decode(errors="replace") if isinstance(e.smtp_error, bytes) \
            else str(e.smtp_error)
        return DeliveryError(f"{where} answered {e.smtp_code} {said[:200]}",
                             transient=transient)
    if isinstance(e, ssl.SSLCertVerificationError):
        return DeliveryError(f"{where}: TLS certificate not valid ({e.verify_message}); "
                             "check delivery.smtp.host matches the certificate", transient=False)
    if isinstance(e, ssl.SSLError):
        return DeliveryError(f"{where}: TLS failed ({e.reason}); check delivery.smtp.security "
                             "(ssl for port 465, starttls for 587)", transient=True)
    if isinstance(e, smtplib.SMTPNotSupportedError):
        return DeliveryError(f"{where} does not offer STARTTLS; use security = \"ssl\"",
                             transient=False)
    # smtplib reports a read timeout as a disconnect whose message says "timed out".
    if isinstance(e, socket.timeout | TimeoutError) or (
            isinstance(e, smtplib.SMTPServerDisconnected) and "timed out" in str(e)):
        return DeliveryError(f"{where} did not answer within {cfg.timeout:g}s", transient=True)
    if isinstance(e, smtplib.SMTPException | OSError):
        return DeliveryError(f"cannot reach {where} ({e}); is the server up?", transient=True)
    # Anything else is a bug or bad data, not a busy server: retried hourly, not hammered.
    return DeliveryError(f"{where}: sending failed ({type(e).__name__}); run with -v and "
                         "report it if it persists", transient=False)


def _said(e: smtplib.SMTPResponseException) -> bytes:
    return e.smtp_error if isinstance(e.smtp_error, bytes) else str(e.smtp_error).encode()
