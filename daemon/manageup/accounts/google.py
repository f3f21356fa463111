"""Google sign-in, API calls with backoff, and the credentials kept in the keyring.

Gmail delivery itself lives in manageup.deliver.gmail; this module is only the plumbing.

Imported only when a Google calendar or Gmail delivery is configured, so `--help` stays fast.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from manageup.accounts import GOOGLE
from manageup.errors import (
    ApiError,
    DeliveryError,
    ManageupError,
    SecretError,
    SecretMissing,
    SecretUnavailable,
    SignInExpired,
    SourceError,
    SyncTokenExpired,
)

if TYPE_CHECKING:
    import httplib2
    from google.oauth2.credentials import Credentials
    from googleapiclient.discovery import Resource
    from googleapiclient.errors import HttpError
    from googleapiclient.http import HttpRequest

log = logging.getLogger(__name__)

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.readonly"
GMAIL_SCOPE = "https://www.googleapis.com/auth/gmail.send"
TOKEN_NAME = "google-token"  # keyring entry (service manageup): the authorized-user JSON
AUTH_FLAG = GOOGLE.flag  # store flag set while the refresh token is dead
REAUTH = GOOGLE.reauth
KEYRING_LIMIT = 2560  # bytes: Windows Credential Manager's limit, the smallest common one
RETRY_STATUS = {429, 500, 502, 503, 504}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"}
# Refusals of a refresh only the user can cure: the grant revoked or expired, the OAuth
# client deleted, or its secret reset (the token endpoint's `error`, RFC 6749 section 5.2).
DEAD = {"invalid_grant", "deleted_client", "invalid_client"}
# 403s that a later cycle may get past; googleapiclient retries only the rate limits at once.
LATER_REASONS = {*RATE_REASONS, "dailyLimitExceeded"}


# The name other modules import; the class lives in the one hierarchy in errors.py.
GoogleAuthError = SignInExpired


def scopes_for(gmail: bool) -> list[str]:
    return [CALENDAR_SCOPE, GMAIL_SCOPE] if gmail else [CALENDAR_SCOPE]


def load_credentials(scopes: list[str]) -> Credentials:
    """The stored sign-in as credentials; a Session also follows a later sign-in."""
    return read_sign_in(_stored_token(), scopes)


def _stored_token() -> str:
    """The sign-in from the keyring. Failing to read it says nothing about the sign-in
    itself (a keyring still locked at boot): a calendar error for this cycle only."""
    from manageup.accounts import secrets

    try:
        return secrets.lookup(TOKEN_NAME)
    except SecretMissing:
        raise SourceError(f"not signed in to Google; {REAUTH}") from None
    except SecretUnavailable:
        raise SourceError("cannot read the Google sign-in: the keyring is locked or has no "
                          "backend; tried again next cycle (unlock the keyring, or log in)") \
            from None


def read_sign_in(raw: str, scopes: list[str]) -> Credentials:
    """The kept sign-in as credentials. Whatever else the keyring holds under that name (a
    list, a number for the expiry, a null refresh token) is one message, not a traceback
    and not a refresh that can never work."""
    from google.oauth2.credentials import Credentials

    try:
        creds = Credentials.from_authorized_user_info(json.loads(raw), scopes)
    except (ValueError, KeyError, TypeError, AttributeError):
        creds = None
    if creds is None or not all(isinstance(v, str) and v for v in
                                (creds.refresh_token, creds.client_id, creds.client_secret)):
        raise SourceError(f"the stored Google sign-in is unreadable; {REAUTH}")
    return creds


class Session:
    """The signed-in account for one process: credentials read from the keyring and the API
    services built on them, kept between cycles. `transport` is the HTTP beneath the
    credentials (tests pass googleapiclient's HttpMockSequence)."""

    def __init__(self, scopes: list[str], transport: httplib2.Http | None = None) -> None:
        self.scopes = scopes
        self.transport = transport
        self._raw: str | None = None  # the stored sign-in the credentials were built from
        self._creds: Credentials | None = None
        self._services: dict[str, Resource] = {}

    def service(self, api: str, version: str) -> Resource:
        raw = _stored_token()
        if raw != self._raw:
            self._creds = read_sign_in(raw, self.scopes)
            self._services.clear()
            self._raw = raw
        if api not in self._services:
            from google_auth_httplib2 import AuthorizedHttp
            from googleapiclient.http import build_http

            http = AuthorizedHttp(self._creds, http=self.transport or build_http())
            self._services[api] = build(api, version, http=http)
        return self._services[api]

    def keep_refreshed(self) -> None:
        """Keep the access token Google handed out during the last calls, so the next
        process (a timer run) does not pay for a refresh of its own."""
        if self._creds is None or self._raw is None or not self._creds.token:
            return
        if json.loads(self._raw).get("token") == self._creds.token:
            return
        from manageup.accounts import secrets

        raw = pack(self._creds)
        try:
            secrets.store(TOKEN_NAME, raw)
        except SecretError as e:
            log.info("could not keep the refreshed Google token (%s); the next run "
                     "refreshes it again", e)
            return
        self._raw = raw

    def reset(self) -> None:
        """Forget the credentials and services: built again from the keyring on next use."""
        self._raw, self._creds = None, None
        self._services.clear()


class LiveService:
    """A delivery-side API service that follows the stored sign-in: every use asks the
    session, which rebuilds it after the user signed in again (the daemon lives for months;
    a service built once would keep the dead token)."""

    def __init__(self, session: Session, api: str, version: str) -> None:
        self.session, self.api, self.version = session, api, version

    def __getattr__(self, name: str) -> Any:
        try:
            service = self.session.service(self.api, self.version)
        except SourceError as e:
            raise DeliveryError(str(e), transient=True) from None
        return getattr(service, name)


def check(store_path: Path, env: Mapping[str, str], gmail: bool) -> tuple[bool, str]:
    """`manageup doctor`'s line on the sign-in, for the calendar or (`gmail`) delivery."""
    from manageup.accounts import dead, secrets
    from manageup.store import Store

    what = "delivery: Gmail" if gmail else "google"
    store = Store.open(store_path, readonly=True)
    try:
        gone = dead(store, GOOGLE)
    finally:
        store.close()
    if gone:
        return False, f"{what}: the {'Google ' if gmail else ''}sign-in {gone.says()}"
    try:
        token = secrets.lookup(TOKEN_NAME, env=env)
    except SecretUnavailable:  # says nothing about the sign-in itself
        return False, (f"{what}: cannot read the Google sign-in: the keyring is locked or has "
                       "no backend; unlock it (log in) and run doctor again")
    except ManageupError:
        return False, f"{what}: not signed in to Google; {REAUTH}"
    try:
        read_sign_in(token, scopes_for(gmail))
    except ManageupError:
        return False, f"{what}: the stored Google sign-in is unreadable; {REAUTH}"
    if not gmail:
        return True, "google: signed in"
    if GMAIL_SCOPE not in (json.loads(token).get("scopes") or []):
        return False, (f"{what}: the Google sign-in does not allow sending mail; sign in "
                       f"again now that delivery.method is gmail: {REAUTH}")
    return True, "delivery: Gmail, as signed in with `manageup auth google`"


def pack(creds: Credentials) -> str:
    """The sign-in as kept in the keyring, compact enough for the smallest common keyring:
    Windows Credential Manager takes 2,560 bytes, which keyring fills with UTF-16. Only
    what from_authorized_user_info reads is kept; an access token too long to fit is left
    out (the next run refreshes it: one more request)."""
    info: dict[str, Any] = {"refresh_token": creds.refresh_token, "client_id": creds.client_id,
                            "client_secret": creds.client_secret,
                            "scopes": " ".join(creds.scopes or [])}
    if creds.token and creds.expiry:
        with_access = {**info, "token": creds.token,
                       "expiry": creds.expiry.strftime("%Y-%m-%dT%H:%M:%SZ")}
        if _size(with_access) <= KEYRING_LIMIT:
            return json.dumps(with_access, separators=(",", ":"))
    if _size(info) > KEYRING_LIMIT:
        raise SecretError(f"the Google sign-in takes {_size(info)} bytes, over the "
                          f"{KEYRING_LIMIT} bytes some keyrings hold; use a shorter OAuth "
                          "client secret or a systemd credential (LoadCredential=google-token)")
    return json.dumps(info, separators=(",", ":"))


def _size(info: dict[str, Any]) -> int:
    return len(json.dumps(info, separators=(",", ":")).encode("utf-16-le"))


def build(api: str, version: str, *, http: httplib2.Http | None = None,
          credentials: Credentials | None = None) -> Resource:
    from googleapiclient.discovery import build as _build

    # static_discovery: the discovery documents ship inside the library; no network call.
    return _build(api, version, http=http, credentials=credentials, static_discovery=True,
                  cache_discovery=False)


def execute(request: HttpRequest, what: str, sleep: Callable[[float], None] = time.sleep,
            tries: int = 5) -> dict[str, Any]:
    """Run a request with googleapiclient's own retry (`num_retries`: 429, 5xx, rate-limit
    403s and dropped connections, with randomised exponential backoff); turn what is left
    into one ApiError (or SignInExpired, SyncTokenExpired) that says what to do."""
    import http.client

    import httplib2
    from google.auth.exceptions import RefreshError, TransportError
    from googleapiclient.errors import HttpError

    # The library takes its sleep from the request; set here so tests need not wait.
    request._sleep = sleep
    try:
        answer = request.execute(num_retries=tries - 1)
    except RefreshError as e:
        # google-auth passes the token endpoint's answer as the second argument.
        detail = e.args[1] if len(e.args) > 1 and isinstance(e.args[1], dict) else {}
        code = detail.get("error")
        if code in DEAD:
            raise SignInExpired(f"Google refused the stored sign-in ({code}: "
                                f"{GOOGLE.cause(code)}); {GOOGLE.fix(code)}",
                                account=GOOGLE.name, reason=code) from None
        first = " ".join(str(e.args[0] if e.args else e).split())[:300]
        raise ApiError(f"{what}: Google sign-in failed ({first}); tried again next cycle",
                       transient=True) from None
    except HttpError as e:
        status = int(e.resp.status)
        reason = _reason(e)
        if status == 410:
            raise SyncTokenExpired(f"{what}: Google no longer accepts the sync token "
                                   "(410); listing the calendar in full") from None
        transient = status in RETRY_STATUS or (status == 403 and reason in LATER_REASONS)
        raise ApiError(f"{what}: Google answered {status} {reason}; {_hint(status, reason)}",
                       transient=transient) from None
    except (TransportError, OSError, httplib2.HttpLib2Error, http.client.HTTPException) as e:
        # Refused or unresolved: nothing went out. Anything else (a timeout, a reset, a
        # broken answer) may have come after Google took the request.
        unsent = isinstance(e, (TransportError, ConnectionRefusedError,
                                httplib2.ServerNotFoundError))
        raise ApiError(f"{what}: cannot reach Google ({e.__class__.__name__}: "
                       f"{' '.join(str(e).split())[:200]})", transient=True,
                       maybe_sent=not unsent) from None
    if not isinstance(answer, dict):
        # googleapiclient hands back the text of a 200 that is not JSON: a proxy or a
        # Wi-Fi login page answered instead of Google.
        text = " ".join(str(answer).split())[:80]
        raise ApiError(f"{what}: the answer is not from Google's API ({text!r}); is a proxy "
                       "or a Wi-Fi login page in the way? tried again next cycle",
                       transient=True)
    return answer


def _hint(status: int, reason: str) -> str:
    if reason == "dailyLimitExceeded":
        return ("the project's daily quota of Google Calendar requests is spent; the next "
                "cycles try again, and it resets at midnight Pacific time (raise it in the "
                "Google Cloud console: APIs & Services, Quotas, if this recurs)")
    if reason in RATE_REASONS or status == 429:
        return "Google is limiting requests; manageup backs off and tries again next cycle"
    if reason in ("accessNotConfigured", "SERVICE_DISABLED"):
        return ("enable the Google Calendar API (and the Gmail API for Gmail delivery) for "
                "your project in the Google Cloud console: APIs & Services, Library")
    if reason in ("insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"):
        return f"the sign-in lacks a permission; sign in again and tick every box: {REAUTH}"
    if status == 401:
        return REAUTH
    if status >= 500:
        return "Google has a problem; tried again next cycle"
    return "check the calendar id"


def _reason(e: HttpError) -> str:
    try:
        err = json.loads(e.content.decode())["error"]
        errors = err.get("errors") or [{}]
        return str(errors[0].get("reason") or err.get("status") or err.get("message", ""))
    except (ValueError, KeyError, AttributeError, TypeError):
        return ""
