"""Microsoft 365 sign-in with msal's device-code flow; the token cache lives in the keyring.

The device-code flow needs no browser on this machine (a headless workstation, SSH): the
user opens the printed address anywhere and types the code. Imported only when a
microsoft calendar is configured; msal itself is imported inside the functions.
"""

from __future__ import annotations

import io
import json
import logging
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from manageup.accounts import MICROSOFT
from manageup.errors import SecretError, SignInExpired, SourceError, UsageError

if TYPE_CHECKING:
    from manageup.config import Calendar

log = logging.getLogger(__name__)

SCOPES = ["Calendars.Read"]  # delegated; msal adds openid, profile and offline_access
TOKEN_NAME = "microsoft-token"  # keyring entry (service manageup): msal's serialized cache
AUTH_FLAG = MICROSOFT.flag  # store flag set while the refresh token is dead
REAUTH = MICROSOFT.reauth
# Answers of the token endpoint that only a new sign-in cures.
DEAD = {"invalid_grant", "interaction_required", "invalid_client", "unauthorized_client"}

# What to do when the device-code sign-in itself is refused, by the token endpoint's error.
SIGN_IN_FIX = {
    "invalid_client": "check calendars.client_id and that the app registration allows "
                      "public client flows (Authentication, Advanced settings), then "
                      f"{REAUTH}",
    "unauthorized_client": "check calendars.client_id and calendars.tenant, then " + REAUTH,
    "invalid_scope": "give the app registration the delegated Calendars.Read permission, "
                     f"then {REAUTH}",
}


class TenantNotFound(SourceError):
    """calendars.tenant names no tenant: a config error where one is reported alone."""

    exit_code = 2


class MicrosoftAuthError(SignInExpired):
    """The sign-in is gone (revoked, expired, never done): only the user can fix it."""

    def __init__(self, message: str, reason: str = "invalid_grant") -> None:
        super().__init__(message, account=MICROSOFT.name, reason=reason)


# -- the token cache in the keyring ----------------------------------------------------------


def load_cache() -> Any:
    """msal's cache from the keyring. A locked or missing keyring is not a dead sign-in:
    it says so, and no notice mail goes out for it."""
    import keyring
    import keyring.errors
    import msal

    try:
        raw = keyring.get_password("manageup", TOKEN_NAME)
    except keyring.errors.KeyringLocked:
        raise SourceError("Microsoft 365: the keyring is locked; unlock it (log in to the "
                          "desktop session) and the next poll reads the calendar") from None
    except (keyring.errors.KeyringError, RuntimeError) as e:
        raise SourceError(f"Microsoft 365: no usable keyring ({e.__class__.__name__}) to "
                          "read the sign-in from") from None
    if raw is None:  # never signed in (as Google's): no sign-in died, no notice mail
        raise SourceError(f"not signed in to Microsoft 365; {REAUTH}")
    cache = msal.SerializableTokenCache()
    try:
        if not _cache_shape(json.loads(raw)):
            raise ValueError("not msal's cache")
        cache.deserialize(raw)
    except ValueError:
        raise MicrosoftAuthError(f"the stored Microsoft sign-in is unreadable; {REAUTH}") \
            from None
    return cache


def _cache_shape(state: Any) -> bool:
    """msal trusts its own file: any other JSON there (an edited or truncated keyring entry)
    fails deep inside msal with an AttributeError. Its shape is {kind: {key: record}}."""
    return isinstance(state, dict) and all(
        isinstance(v, dict) and all(isinstance(r, dict) for r in v.values())
        for v in state.values())


def save_cache(cache: Any) -> None:
    """Write the cache back when msal changed it (a refreshed token)."""
    if not cache.has_state_changed:
        return
    from manageup.accounts import secrets

    try:
        secrets.store(TOKEN_NAME, cache.serialize())
    except SecretError as e:  # the old refresh token still works; say so and go on
        log.warning("could not save the refreshed Microsoft sign-in: %s", e)
    else:
        cache.has_state_changed = False


# -- msal's HTTP cache in the XDG cache folder ----------------------------------------------

HTTP_CACHE = "msal-http.pickle"


def http_cache_path() -> Path | None:
    from manageup.cache import private_dir

    folder = private_dir("microsoft")
    return folder / HTTP_CACHE if folder is not None else None


class _MsalOnly(pickle.Unpickler):
    """The file holds msal's cached responses and nothing else: any other class in it
    (a file someone else wrote) refuses to load instead of running code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("msal.throttled_http_client", "NormalizedResponse"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not msal's")


def load_http_cache() -> tuple[dict[str, Any], bytes]:
    """msal's cached tenant settings from the last process, so a quiet poll of a new
    process is one request; a missing or corrupt file is an empty cache. Returns the
    cache and the bytes it came from, to write it back only when it changed."""
    path = http_cache_path()
    if path is None:
        return {}, b""
    try:
        raw = path.read_bytes()
        cache = _MsalOnly(io.BytesIO(raw)).load()
    except FileNotFoundError:
        return {}, b""
    except Exception as e:  # whatever is wrong with a cache, the next request re-asks
        log.debug("ignoring msal's HTTP cache at %s (%s)", path, e.__class__.__name__)
        return {}, b""
    return (cache, raw) if isinstance(cache, dict) else ({}, b"")


def save_http_cache(cache: dict[str, Any], loaded: bytes) -> None:
    path = http_cache_path()
    if path is None:
        return
    from manageup.cache import write_atomic

    try:
        data = pickle.dumps(cache, protocol=pickle.HIGHEST_PROTOCOL)
        if data != loaded:
            write_atomic(path, data)
    except (OSError, pickle.PicklingError) as e:  # only a shortcut: the next run re-asks
        log.debug("could not save msal's HTTP cache at %s (%s)", path, e)


# -- msal --------------------------------------------------------------------------------------


def make_app(cal: Calendar, cache: Any, session: Any = None,
             http_cache: dict[str, Any] | None = None) -> Any:
    import msal

    try:
        return msal.PublicClientApplication(
            cal.client_id, authority=f"{cal.authority_url.rstrip('/')}/{cal.tenant}",
            token_cache=cache, http_client=session, timeout=cal.timeout,
            # Entra ID knows its own hosts; asking it about them costs a request a process.
            instance_discovery=False, http_cache=http_cache)
    except ValueError as e:
        raise TenantNotFound(f"Microsoft 365: tenant {cal.tenant!r} not found at "
                          f"{cal.authority_url} ({_short(e)}); check calendars.tenant") from None
    except OSError as e:
        raise SourceError(f"Microsoft 365: cannot reach {cal.authority_url} "
                          f"({e.__class__.__name__})") from None
    except msal.exceptions.MsalError as e:  # a 5xx (msal's own raise_for_status)
        raise _unreadable(e, "the next poll tries again") from None


def access_token(app: Any, force: bool = False) -> tuple[str, str]:
    """(access token, the account's user name), from the cache or by refreshing."""
    import msal
    accounts = app.get_accounts()
    if not accounts:
        raise SourceError(f"not signed in to Microsoft 365; {REAUTH}")
    try:
        result = app.acquire_token_silent_with_error(SCOPES, accounts[0], force_refresh=force)
    except OSError as e:  # requests' connection errors are OSErrors
        raise SourceError(f"Microsoft 365: cannot reach the sign-in service "
                          f"({e.__class__.__name__}); the next poll tries again") from None
    except (ValueError, msal.exceptions.MsalError) as e:
        raise _unreadable(e, "the next poll tries again") from None
    if not result:
        raise MicrosoftAuthError(f"the Microsoft sign-in has no usable token; {REAUTH}")
    if "access_token" not in result:
        error = str(result.get("error", ""))
        if error in DEAD:
            raise MicrosoftAuthError(
                f"Microsoft refused the stored sign-in ({error}: revoked, expired, or the "
                f"app registration changed); {REAUTH}", reason=error)
        raise SourceError(f"Microsoft 365: sign-in service answered {error or 'an error'}; "
                          "the next poll tries again")
    return str(result["access_token"]), str(accounts[0].get("username") or "")


def sign_in(cal: Calendar, say: Callable[[str], None], session: Any = None) -> str:
    """The device-code flow: print the code, wait for the user. Returns the account name."""
    import msal

    from manageup.accounts import secrets

    _keyring_usable()
    cache = msal.SerializableTokenCache()
    http_cache, loaded = load_http_cache()
    try:
        app = make_app(cal, cache, session, http_cache)
    finally:
        save_http_cache(http_cache, loaded)
    try:
        flow = app.initiate_device_flow(scopes=SCOPES)
    except OSError as e:  # the tenant's settings came from the cache: the first request
        raise _unreachable(cal, e) from None
    except (ValueError, msal.exceptions.MsalError) as e:
        raise _unreadable(e, REAUTH + " once it works") from None
    if "user_code" not in flow:
        raise UsageError(f"Microsoft did not start the sign-in: "
                         f"{_short(flow.get('error_description') or flow.get('error'))}; check "
                         "calendars.client_id, calendars.tenant and that the app registration "
                         "allows public client flows")
    say(flow["message"])
    try:
        result = app.acquire_token_by_device_flow(flow)
    except OSError as e:  # requests' connection errors are OSErrors
        raise _unreachable(cal, e) from None
    except (ValueError, msal.exceptions.MsalError) as e:
        raise _unreadable(e, REAUTH + " once it works") from None
    if "access_token" not in result:
        raise UsageError(f"Microsoft sign-in failed: "
                         f"{_short(result.get('error_description') or result.get('error'))}; "
                         f"{SIGN_IN_FIX.get(str(result.get('error')), REAUTH + ' again')}")
    secrets.store(TOKEN_NAME, cache.serialize())
    account = app.get_accounts()
    return str(account[0].get("username") or "") if account else ""


def _keyring_usable() -> None:
    """The sign-in is kept in the keyring only: without a usable one, say so before the
    user types a code for nothing."""
    import keyring
    import keyring.errors

    try:
        keyring.get_password("manageup", TOKEN_NAME)
    except keyring.errors.KeyringLocked:
        raise SecretError(f"Microsoft 365: the keyring is locked; unlock it, then {REAUTH}") \
            from None
    except Exception as e:  # backends raise their own errors (no backend, D-Bus, ...)
        raise SecretError(f"Microsoft 365: the sign-in is kept in the keyring, and none is "
                          f"usable here ({e.__class__.__name__}); set one up (e.g. "
                          f"gnome-keyring, or the keyrings.alt package), then {REAUTH}") \
            from None


def _unreachable(cal: Calendar, e: OSError) -> SourceError:
    return SourceError(f"Microsoft 365: cannot reach the sign-in service at "
                       f"{cal.authority_url} ({e.__class__.__name__}); check your "
                       f"connection, then {REAUTH}")


def _unreadable(e: Exception, then: str) -> SourceError:
    """An answer that is no token endpoint's: a proxy's or captive portal's page (msal
    fails to parse it) or a server error (msal raises on a 5xx)."""
    what = _short(e) if not isinstance(e, ValueError) else "a page that is not JSON"
    return SourceError(f"Microsoft 365: the sign-in service answered {what} "
                       f"({e.__class__.__name__}); check for a proxy in between; {then}")


class _NoTraceback(logging.Filter):
    """msal logs a token answer it cannot parse, whole and with a traceback, then raises;
    the error is reported above in one line, so the log keeps it for -v only."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.exc_info is None or logging.getLogger().isEnabledFor(logging.DEBUG)


logging.getLogger("msal.oauth2cli.oauth2").addFilter(_NoTraceback())


def _short(text: Any) -> str:
    """The first line of the service's words, as it may be shown on a terminal."""
    from manageup.textutil import header_safe

    first = str(text or "").strip().splitlines()
    return header_safe(first[0], 200) if first else "no reason given"
