"""Getting a Google sign-in: the installed-app flow on a local port (`manageup auth google`).

What is got is kept in the keyring and used by google.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from manageup.accounts.google import pack
from manageup.errors import UsageError

if TYPE_CHECKING:
    from google_auth_oauthlib.flow import InstalledAppFlow
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error


def sign_in(client_secret: Path, scopes: list[str], port: int, open_browser: bool,
            timeout: float = 300) -> str:
    """The installed-app flow on a local port. Returns the sign-in to keep in the keyring."""
    import errno

    from google_auth_oauthlib.flow import WSGITimeoutError
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error
    from requests import RequestException

    flow = _flow(client_secret, scopes)
    try:
        # prompt=consent: Google sends a refresh token only with a consent, and a repeat
        # sign-in would otherwise skip it.
        creds = flow.run_local_server(
            host="localhost", port=port, open_browser=open_browser, timeout_seconds=timeout,
            authorization_prompt_message="Open this address in a browser to sign in:\n{url}\n",
            success_message="manageup is signed in. You can close this tab.",
            access_type="offline", prompt="consent")
    except RequestException as e:  # an OSError too: caught before the local port's errors
        raise UsageError(f"cannot reach Google's token endpoint ({e.__class__.__name__}); "
                         "check the network and run the command again") from None
    except OSError as e:
        if e.errno != errno.EADDRINUSE:
            raise UsageError(f"cannot listen on localhost:{port} ({e.strerror}); "
                             "pass --port with another port") from None
        raise UsageError(f"port {port} is in use on this machine; pass --port with a free one "
                         "(and forward that one over SSH)") from None
    except WSGITimeoutError:
        raise UsageError(f"no answer from the browser within {timeout:.0f} seconds; run the "
                         "command again and finish the sign-in in time") from None
    except Warning as w:  # oauthlib raises its "Scope has changed" warning
        raise UsageError(_partial(scopes, _scope_list(getattr(w, "new_scope", None)))) \
            from None
    except OAuth2Error as e:  # the browser came back with an error, or the exchange failed
        raise UsageError(_refused(e)) from None
    granted = _scope_list(creds.granted_scopes) or scopes
    if set(scopes) - set(granted):  # OAUTHLIB_RELAX_TOKEN_SCOPE silences the warning
        raise UsageError(_partial(scopes, granted))
    if not creds.refresh_token:
        raise UsageError("Google sent no refresh token, so the sign-in would stop working "
                         "within the hour; remove manageup's access at "
                         "https://myaccount.google.com/permissions and run the command again")
    return pack(creds)


def _flow(client_secret: Path, scopes: list[str]) -> InstalledAppFlow:
    """The flow for a Desktop-app OAuth client file, checked before any browser opens: a
    Web-application client would only end in Google's redirect_uri_mismatch page."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    if not client_secret.is_file():
        raise UsageError(f"no client secret file at {client_secret}; download it from the "
                         "Google Cloud console (OAuth client, type Desktop app)")
    try:
        info = json.loads(client_secret.read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"cannot read {client_secret} ({e.strerror})") from None
    except ValueError as e:
        raise UsageError(f"{client_secret} is not an OAuth client file: {e}") from None
    if isinstance(info, dict) and "web" in info and "installed" not in info:
        raise UsageError(f"{client_secret} is for a Web application client; manageup signs in "
                         "as a desktop program: create an OAuth client of type Desktop app "
                         "in the Google Cloud console and download its JSON")
    if not isinstance(info, dict) or not isinstance(info.get("installed"), dict):
        raise UsageError(f"{client_secret} is not an OAuth client file: it has no "
                         '"installed" client; download the JSON of a Desktop app client')
    try:
        return InstalledAppFlow.from_client_config(info, scopes)
    except (ValueError, KeyError, TypeError) as e:
        raise UsageError(f"{client_secret} is not an OAuth client file: {e}") from None


def _refused(e: OAuth2Error) -> str:
    what = " ".join(f"{e.error}: {e.description or ''}".split()).rstrip(":")
    hint = "run the command again"
    if e.error == "access_denied":
        hint = ("sign in again and choose Allow; if Google said the app is not verified or "
                "you lack access, add your address under Audience, Test users in the Google "
                "Cloud console")
    elif e.error in ("invalid_client", "unauthorized_client"):
        hint = ("the client file no longer matches the console's client; download it again "
                "(OAuth client of type Desktop app)")
    elif e.error == "mismatching_state":
        hint = "another page answered the sign-in's local port; run the command again"
    return f"Google refused the sign-in ({what}); {hint}"


def _scope_list(scopes: str | list[str] | None) -> list[str]:
    return scopes.split() if isinstance(scopes, str) else list(scopes or [])


def _partial(asked: list[str], granted: list[str]) -> str:
    missing = ", ".join(s.rsplit("/", 1)[-1] for s in asked if s not in granted)
    return (f"Google granted only part of the access manageup asked for (missing: {missing}); "
            "run the command again and tick every box on the consent screen")
