"""Secrets from systemd credentials, the keyring, or a password_command; never the config."""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path

from manageup.errors import SecretError, SecretMissing, SecretUnavailable

log = logging.getLogger(__name__)
SERVICE = "manageup"
# Seconds a password_command may take: one waiting on a prompt nobody answers (a pinentry
# with no terminal) would hold the cycle, and every digest after it, for good.
COMMAND_TIMEOUT = 30


def lookup(name: str, password_command: str = "",
           env: Mapping[str, str] = os.environ) -> str:
    """The secret called `name` (e.g. "smtp"), from the first source that has it."""
    tried: list[str] = []
    unreadable = False  # a keyring that may hold it could not be read (locked, no backend)
    cred_dir = env.get("CREDENTIALS_DIRECTORY")
    if cred_dir:
        path = Path(cred_dir) / name
        try:
            return path.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError:
            tried.append(f"systemd credential {path}: not there (add LoadCredential={name}:... "
                         "to the unit)")
        except UnicodeDecodeError:
            tried.append(f"systemd credential {path}: not UTF-8 text; save it as UTF-8")
    else:
        tried.append(f"systemd credential: not running under systemd with LoadCredential={name}")
    try:
        import keyring
        import keyring.errors

        try:
            value = keyring.get_password(SERVICE, name)
        except keyring.errors.KeyringLocked:
            tried.append("keyring: locked; unlock it, or use a systemd credential")
            value, unreadable = None, True
        except Exception as e:  # backends raise their own errors (D-Bus,
            # secretstorage, a file keyring's OSError, a wrong master password): all mean
            # the keyring cannot be read now, none that nothing is stored.
            what = "no usable backend" if isinstance(e, (
                keyring.errors.NoKeyringError, keyring.errors.InitError)) else "cannot be read"
            tried.append(f"keyring: {what} ({e.__class__.__name__}); use a systemd "
                         "credential or password_command on a headless machine")
            value, unreadable = None, True
        else:
            if value is None:
                tried.append(f"keyring: nothing stored; run `manageup secret set {name}`")
        if value:
            return value
    except ImportError:
        tried.append("keyring: not installed")
    if password_command:
        try:
            out = subprocess.run(shlex.split(password_command), capture_output=True,
                                 timeout=COMMAND_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            tried.append(f"password_command: could not run ({e.__class__.__name__})")
        else:
            # Its first line as printed: spaces at either end may be part of a password.
            first = next((line for line in out.stdout.splitlines() if line.strip()), b"")
            try:
                text = first.decode("utf-8")
            except UnicodeDecodeError:
                tried.append("password_command: printed text that is not UTF-8; make it "
                             "print the password as UTF-8")
            else:
                if out.returncode == 0 and text.strip():
                    return text
                tried.append(f"password_command: exited {out.returncode} with no password")
    else:
        tried.append("password_command: not set in the config")
    error = SecretUnavailable if unreadable else SecretMissing
    raise error(f"no {name} password found. Tried:\n  " + "\n  ".join(tried))


def store(name: str, value: str) -> None:
    import keyring

    try:
        keyring.set_password(SERVICE, name, value)
    except Exception as e:  # as in lookup: backends raise their own errors
        raise SecretError(f"could not store the {name} secret in the keyring "
                          f"({e.__class__.__name__}: {e}); use a systemd credential or "
                          "password_command instead") from None
