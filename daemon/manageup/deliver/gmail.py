"""Delivery through the Gmail API (users.messages.send with the raw message).

Gmail files a sent mail into an existing conversation only when it is given that
conversation's threadId, the mail's References/In-Reply-To point into it, and the subjects
match; see message.py for the subject and threads.py for the threadId kept per series.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from manageup.accounts.google import GoogleAuthError, execute
from manageup.errors import ApiError, DeliveryError, DeliverySignInExpired, SourceError

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
            # One try: googleapiclient's retry resends a POST whose answer timed out, and
            # Gmail may have sent each of them. The ledger retries instead, with backoff,
            # and at most once more when the outcome is unknown (maybe_sent).
            sent = execute(request, "Gmail", self.sleep, tries=1)
        except GoogleAuthError as e:
            raise DeliverySignInExpired(str(e), account=e.account, reason=e.reason) from None
        except ApiError as e:
            raise DeliveryError(str(e).replace("check the calendar id", "check delivery"),
                                transient=e.transient, maybe_sent=e.maybe_sent) from None
        except SourceError as e:  # a sign-in that cannot be read or used: the user acts
            raise DeliveryError(str(e), transient=False) from None
        return str(sent.get("threadId") or "")
