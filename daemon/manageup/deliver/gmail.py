"""Delivery through the Gmail API (users.messages.send with the raw message).

Gmail files a sent mail into an existing conversation only when it is given that
conversation's threadId, the mail's References/In-Reply-To point into it, and the subjects
match; see message.py for the subject and threads.py for the threadId kept per series.
"""

from __future__ import annotations

import base64
import logging
import re
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from manageup.errors import DeliveryError, SourceError
from manageup.google import RATE_REASONS, RETRY_STATUS, GoogleAuthError, execute

log = logging.getLogger(__name__)


class GmailTransport:
    name = "gmail"

    def __init__(self, service: Any, sleep: Callable[[float], None] = time.sleep) -> None:
        self.service = service
        self.sleep = sleep

    def send(self, msg: EmailMessage, thread: str = "") -> str:
        """Send into `thread` when given; returns the threadId Gmail filed the mail in."""
        raw = base64.urlsafe_b64encode(msg.as_bytes()).decode()
        if thread:
            try:
                return self._send({"raw": raw, "threadId": thread})
            except DeliveryError as e:
                if e.transient:
                    raise
                # A conversation the user deleted is refused (404); the digest matters more
                # than its thread, so it goes out on its own and starts a new one.
                log.warning("Gmail refused to file the mail in conversation %s (%s); "
                            "sending it on its own", thread, e)
        return self._send({"raw": raw})

    def _send(self, body: dict[str, str]) -> str:
        request = self.service.users().messages().send(userId="me", body=body)
        try:
            sent = execute(request, "Gmail", self.sleep, tries=3)
        except GoogleAuthError as e:
            raise DeliveryError(str(e), transient=False) from None
        except SourceError as e:
            raise DeliveryError(str(e).replace("check the calendar id", "check delivery"),
                                transient=_transient(e)) from None
        return str(sent.get("threadId") or "") if isinstance(sent, dict) else ""


_ANSWERED = re.compile(r"Google answered (\d{3}) (\w*)")


def _transient(e: SourceError) -> bool:
    """googleapiclient has already retried; what is left is worth another try later unless
    Google refused the request itself (a 4xx other than a rate limit), or could not be
    reached, or a token refresh failed without invalid_grant."""
    answered = _ANSWERED.search(str(e))
    if answered is None:
        return True
    status, reason = int(answered[1]), answered[2]
    return status in RETRY_STATUS or (status == 403 and reason in RATE_REASONS)
