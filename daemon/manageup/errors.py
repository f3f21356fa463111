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
        super().__init__(f"config problem{'s' if len(problems) > 1 else ''}{where}:\n  "
                         + "\n  ".join(problems))


class SourceError(ManageupError):
    """A calendar could not be read at all (one bad event is only a warning)."""


class StoreError(ManageupError):
    pass


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
