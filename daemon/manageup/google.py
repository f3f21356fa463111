"""Google sign-in, API calls with backoff, and the credentials kept in the keyring.

Gmail delivery itself lives in manageup.deliver.gmail; this module is only the plumbing.

Imported only when a Google calendar or Gmail delivery is configured, so `--help` stays fast.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from manageup.errors import SourceError, UsageError

log = logging.getLogger(__name__)

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.readonly"
GMAIL_SCOPE = "https://www.googleapis.com/auth/gmail.send"
TOKEN_NAME = "google-token"  # keyring entry (service manageup): the authorized-user JSON
AUTH_FLAG = "google-auth"  # store flag set while the refresh token is dead
REAUTH = "run: manageup auth google --client-secret FILE"
RETRY_STATUS = {429, 500, 502, 503, 504}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}


class GoogleAuthError(SourceError):
    """The refresh token is revoked or expired (invalid_grant): only the user can fix it."""


class Gone(Exception):
    """HTTP 410: the sync token is no longer valid; resync in full."""


def scopes_for(gmail: bool) -> list[str]:
    return [CALENDAR_SCOPE, GMAIL_SCOPE] if gmail else [CALENDAR_SCOPE]


def load_credentials(scopes: list[str]) -> Any:
    from google.oauth2.credentials import Credentials

    from manageup import secrets

    try:
        raw = secrets.lookup(TOKEN_NAME)
    except Exception:
        raise GoogleAuthError(f"not signed in to Google; {REAUTH}") from None
    try:
        return Credentials.from_authorized_user_info(json.loads(raw), scopes)
    except (ValueError, KeyError):
        raise GoogleAuthError(f"the stored Google sign-in is unreadable; {REAUTH}") from None


def sign_in(client_secret: Path, scopes: list[str], port: int, open_browser: bool) -> str:
    """The installed-app flow on a fixed local port. Returns the account's token JSON."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    if not client_secret.is_file():
        raise UsageError(f"no client secret file at {client_secret}; download it from the "
                         "Google Cloud console (OAuth client, type Desktop app)")
    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(client_secret), scopes)
    except ValueError as e:
        raise UsageError(f"{client_secret} is not an OAuth client file: {e}") from None
    creds = flow.run_local_server(
        host="localhost", port=port, open_browser=open_browser,
        authorization_prompt_message="Open this address in a browser to sign in:\n{url}\n",
        success_message="manageup is signed in. You can close this tab.")
    token: str = creds.to_json()
    return token


def build(api: str, version: str, *, http: Any = None, credentials: Any = None) -> Any:
    from googleapiclient.discovery import build as _build

    # static_discovery: the discovery documents ship inside the library; no network call.
    return _build(api, version, http=http, credentials=credentials, static_discovery=True,
                  cache_discovery=False)


def execute(request: Any, what: str, sleep: Callable[[float], None] = time.sleep,
            tries: int = 5) -> Any:
    """Run a request; back off on 429, 5xx and rate-limit 403s; never retry other 4xx."""
    from google.auth.exceptions import RefreshError, TransportError
    from googleapiclient.errors import HttpError

    for attempt in range(tries):
        try:
            return request.execute()
        except RefreshError as e:
            if "invalid_grant" in str(e):
                raise GoogleAuthError(
                    "Google refused the stored sign-in (invalid_grant: revoked, or expired "
                    f"after 7 days while the OAuth app is in Testing); {REAUTH}") from None
            raise SourceError(f"{what}: Google sign-in failed ({e}); {REAUTH}") from None
        except HttpError as e:
            status = int(e.resp.status)
            reason = _reason(e)
            if status == 410:
                raise Gone() from None
            retry = status in RETRY_STATUS or (status == 403 and reason in RATE_REASONS)
            if not retry or attempt == tries - 1:
                hint = REAUTH if status in (401, 403) else "check the calendar id"
                raise SourceError(f"{what}: Google answered {status} {reason}; {hint}") from None
        except (TransportError, OSError) as e:
            if attempt == tries - 1:
                raise SourceError(f"{what}: cannot reach Google ({e})") from None
        wait = 2.0 ** attempt
        log.info("%s: Google asked us to slow down; retrying in %.0fs", what, wait)
        sleep(wait)
    raise AssertionError("unreachable")


def _reason(e: Any) -> str:
    try:
        err = json.loads(e.content.decode())["error"]
        errors = err.get("errors") or [{}]
        return str(errors[0].get("reason") or err.get("status") or err.get("message", ""))
    except (ValueError, KeyError, AttributeError, TypeError):
        return ""

