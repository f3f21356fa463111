"""Building the digest mail and handing it to a transport: SMTP, Maildir or stdout."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import mailbox
import smtplib
import socket
import ssl
import sys
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from manageup.config import Config, Smtp
from manageup.errors import ConfigError, DeliveryError
from manageup.model import Digest
from manageup.textutil import header_safe

if TYPE_CHECKING:  # a cycle with nothing due needs a transport, not Jinja
    from manageup.render import Rendered
    from manageup.review import Plan as ReviewPlan

log = logging.getLogger(__name__)
DOMAIN = "manageup.invalid"


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def message_id(key: str, start: datetime) -> str:
    """Same occurrence and start, same id: a resend after a crash is recognisably the same mail."""
    return f"<{_hash(key, start.isoformat())}@{DOMAIN}>"


def series_id(uid: str) -> str:
    return f"<series-{_hash(uid)}@{DOMAIN}>"


def build_message(rendered: Rendered, digest: Digest, config: Config,
                  now: datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = header_safe(config.sender)
    msg["To"] = header_safe(config.recipient)
    msg["Subject"] = header_safe(rendered.subject, 250)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(digest.meeting.key, digest.meeting.start)
    # Every digest of one series points at the same root, so mail clients thread them.
    msg["References"] = series_id(digest.meeting.series)
    msg["In-Reply-To"] = series_id(digest.meeting.series)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Manageup-Occurrence"] = _hash(digest.meeting.key)
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


def build_nudge(p: ReviewPlan, config: Config, now: datetime) -> EmailMessage:
    from manageup.render import environment

    rec = p.digest
    text = environment(config.digest.templates_dir).get_template("nudge.txt.j2").render(
        p=p, boss=config.boss.name or config.boss.email)
    msg = EmailMessage()
    msg["From"] = header_safe(config.sender)
    msg["To"] = header_safe(config.recipient)
    msg["Subject"] = header_safe(f"How did it go? {rec.title}, {rec.start:%a %d %b}", 250)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(f"nudge|{rec.key}", rec.start)
    msg["References"] = series_id(rec.key.split("|")[0])
    msg["In-Reply-To"] = message_id(rec.key, rec.start)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    return msg


def build_notice(config: Config, now: datetime, key: str, since: datetime, subject: str,
                 text: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = header_safe(config.sender)
    msg["To"] = header_safe(config.recipient)
    msg["Subject"] = header_safe(subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(key, since)
    msg["Auto-Submitted"] = "auto-generated"
    from manageup.textutil import wrap

    msg.set_content(wrap(text) + "\n")
    return msg


class Transport(Protocol):
    name: str

    def send(self, msg: EmailMessage) -> None: ...


class StdoutTransport:
    name = "stdout"

    def __init__(self, stream: TextIO | None = None, html: bool = False) -> None:
        self.stream = stream or sys.stdout
        self.html = html

    def send(self, msg: EmailMessage) -> None:
        body = msg.get_body(("plain",))
        text = body.get_content() if body else ""
        self.stream.write(f"Subject: {msg['Subject']}\nTo: {msg['To']}\n"
                          f"Message-ID: {msg['Message-ID']}\n\n{text}\n")
        self.stream.flush()


class MaildirTransport:
    name = "maildir"

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, msg: EmailMessage) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # mailbox.Maildir writes to tmp/ and renames into new/: never half a message.
            box = mailbox.Maildir(self.path, create=True)
            box.add(msg)
        except OSError as e:
            raise DeliveryError(f"cannot write to Maildir {self.path}: {e.strerror}; "
                                "check delivery.maildir", transient=False) from None


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


def make_transport(config: Config, dry_run: bool = False) -> Transport:
    """The transport for delivery.method; Google's libraries load only for gmail."""
    method = "stdout" if dry_run else config.delivery.method
    if method == "stdout":
        return StdoutTransport()
    if method == "maildir":
        return MaildirTransport(config.delivery.maildir)
    if method == "smtp":
        from manageup import secrets

        smtp = config.delivery.smtp
        return SmtpTransport(smtp, lambda: secrets.lookup("smtp", smtp.password_command))
    from manageup import google

    creds = google.load_credentials(google.scopes_for(gmail=True))
    return google.GmailTransport(google.build("gmail", "v1", credentials=creds))
