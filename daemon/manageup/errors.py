"""One error hierarchy; the CLI turns any of these into one message and an exit code."""

from __future__ import annotations


class ManageupError(Exception):
    """A problem the user can act on. The message says what is wrong and how to fix it."""

    exit_code = 1


class UsageError(ManageupError):
    exit_code = 2


class ConfigError(ManageupError):
    exit_code = 2

    def __init__(self, problems: list[str], path: str = "") -> None:
        self.problems = problems
        self.path = path
        where = f" in {path}" if path else ""
        if len(problems) == 1:  # one line, as every other error
            super().__init__(f"config problem{where}: {problems[0]}")
        else:
            super().__init__(f"config problems{where}:\n  " + "\n  ".join(problems))


class SourceError(ManageupError):
    """A calendar could not be read at all (one bad event is only a warning)."""


class StoreError(ManageupError):
    pass


class StorePathError(ConfigError, StoreError):
    """store.path names something that is not a store file (a folder, a pipe, a device,
    a link): a problem in the config, exit 2, still a StoreError to those that catch one."""

    def __init__(self, problem: str) -> None:
        super().__init__([problem])


class AlreadyRunning(ManageupError):
    """Another daemon runs on this store. A code of its own, so that the unit can tell
    systemd not to restart into it (RestartPreventExitStatus=3)."""

    exit_code = 3


class SecretError(ManageupError):
    pass


class DeliveryError(ManageupError):
    """Sending failed. ``transient`` errors are retried; permanent ones are not hammered.
    ``maybe_sent``: the server may have taken the message (the connection dropped after
    DATA), so it is retried at most once more."""

    def __init__(self, message: str, *, transient: bool, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
        self.maybe_sent = maybe_sent


class ApiError(SourceError):
    """A provider's API call failed. ``transient``: trying later may work (a rate limit, a
    5xx, a dropped connection). ``maybe_sent``: the request went out and no answer came
    back, so a send may have taken effect (a Gmail send is then retried at most once)."""

    def __init__(self, message: str, *, transient: bool, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
        self.maybe_sent = maybe_sent


class SignInExpired(SourceError):
    """A sign-in only the user can renew: the provider refused a token refresh (revoked,
    expired, or its OAuth client deleted). Calling again cannot help until they sign in.
    ``account`` names the sign-in (manageup.accounts), ``reason`` the provider's error code,
    kept in the store so `doctor` and the notice mail can say how to fix it."""

    def __init__(self, message: str, *, account: str, reason: str = "invalid_grant") -> None:
        super().__init__(message)
        self.account = account
        self.reason = reason


class DeliverySignInExpired(DeliveryError):
    """Sending needs a sign-in the provider refused (Gmail: invalid_grant); only the user
    can renew it. The cycle records it like a dead calendar sign-in, so `doctor` says so."""

    def __init__(self, message: str, *, account: str, reason: str = "invalid_grant") -> None:
        super().__init__(message, transient=False)
        self.account = account
        self.reason = reason


class SyncTokenExpired(SourceError):
    """The provider no longer accepts the saved sync token (Google: HTTP 410); the source
    lists the window in full again. Escapes a source only when that fails too."""


class SecretMissing(SecretError):
    """Nothing is stored under that name: the user has not set it (or signed in) yet."""


class SecretUnavailable(SecretError):
    """The place secrets live cannot be read right now (a locked keyring at boot, no
    keyring backend): worth retrying later, and no reason to think a sign-in is dead."""
