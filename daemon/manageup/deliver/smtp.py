"""Delivery through an SMTP server: TLS always verified, every failure classified."""

from __future__ import annotations

import ipaddress
import smtplib
import socket
import ssl
from collections.abc import Callable
from email.message import EmailMessage

from manageup.config import Smtp
from manageup.errors import ConfigError, DeliveryError


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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

    def connect(self) -> smtplib.SMTP:
        cfg = self.cfg
        smtp: smtplib.SMTP
        try:
            if cfg.security == "ssl":
                smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout,
                                        context=self.context)
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
                if cfg.security == "starttls":
                    smtp.starttls(context=self.context)
            if cfg.username:
                smtp.login(cfg.username, self.password())
            return smtp
        except BaseException as e:
            raise _classify(e, cfg) from None

    def send(self, msg: EmailMessage) -> None:
        smtp = self.connect()
        try:
            smtp.send_message(msg)
        except Exception as e:  # every failure is classified below
            raise _classify(e, self.cfg) from None
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def _classify(e: BaseException, cfg: Smtp) -> BaseException:
    where = f"{cfg.host}:{cfg.port}"
    if isinstance(e, DeliveryError | ConfigError):
        return e
    if isinstance(e, smtplib.SMTPAuthenticationError):
        return DeliveryError(f"{where} refused the login ({e.smtp_code}); check "
                             "delivery.smtp.username and the stored password "
                             "(`manageup secret set smtp`)", transient=False)
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        return DeliveryError(f"{where} refused the recipient; check digest.to", transient=False)
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
    if isinstance(e, Exception):
        return DeliveryError(f"{where}: {e}", transient=True)
    return e
