"""Delivery through the Gmail API (users.messages.send with the raw message)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from manageup.errors import DeliveryError, SourceError
from manageup.google import RETRY_STATUS, GoogleAuthError, execute


class GmailTransport:
    name = "gmail"

    def __init__(self, service: Any, sleep: Callable[[float], None] = time.sleep) -> None:
        self.service = service
        self.sleep = sleep

    def send(self, msg: EmailMessage) -> Any:
        raw = base64.urlsafe_b64encode(msg.as_bytes()).decode()
        request = self.service.users().messages().send(userId="me", body={"raw": raw})
        try:
            return execute(request, "Gmail", self.sleep, tries=3)
        except GoogleAuthError as e:
            raise DeliveryError(str(e), transient=False) from None
        except SourceError as e:
            transient = "cannot reach" in str(e) or any(
                f" {s} " in str(e) for s in RETRY_STATUS)
            raise DeliveryError(str(e).replace("check the calendar id", "check delivery"),
                                transient=transient) from None
