"""What a secret lookup returns from each place, and what it says when none has it: the
password exactly as stored (a character less is a refused login), a keyring that cannot
be read now told apart from one with nothing in it (the first is retried soon), and a
message naming each place tried and the fix, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import keyring.errors
import pytest

from manageup.accounts import secrets
from manageup.errors import SecretError, SecretMissing, SecretUnavailable
from tests.conftest import CHILD_PYTHONPATH


def _credential(tmp_path: Path, data: bytes) -> dict[str, str]:
    (tmp_path / "smtp").write_bytes(data)
    return {"CREDENTIALS_DIRECTORY": str(tmp_path)}


@pytest.mark.parametrize("stored, password", [
    (b"ends in a space \n", "ends in a space "),
    (b"\tp\xc3\xa4ss\xc3\xa9X\r\n", "\tpässéX"),  # a tab first, an X last, CRLF
    (b"no line end", "no line end"),
])
def test_a_credential_is_taken_as_written_less_its_line_end(
        memory_keyring: Any, tmp_path: Path, stored: bytes, password: str) -> None:
    assert secrets.lookup("smtp", env=_credential(tmp_path, stored)) == password


def test_a_utf8_credential_is_read_as_utf8_under_an_ascii_locale(tmp_path: Path) -> None:
    # A service started without a UTF-8 locale (LANG unset, no C.UTF-8 coercion) reads
    # files as ASCII unless told otherwise; the credential file is UTF-8 all the same.
    env = _credential(tmp_path, "pässwörd\n".encode())
    assert secrets.lookup("smtp", env=env) == "pässwörd"  # here, in a UTF-8 locale
    code = ("import sys; from manageup.accounts import secrets; sys.stdout.buffer.write("
            f"secrets.lookup('smtp', env={{'CREDENTIALS_DIRECTORY': {str(tmp_path)!r}}})"
            ".encode('utf-8'))")
    ascii_env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0",
                 "PYTHONUTF8": "0", "PYTHONPATH": CHILD_PYTHONPATH}
    out = subprocess.run([sys.executable, "-c", code], env=ascii_env, capture_output=True,
                         timeout=60, check=False)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout.decode() == "pässwörd"


def test_nothing_anywhere_names_each_place_tried_and_its_fix(memory_keyring: Any,
                                                             tmp_path: Path) -> None:
    with pytest.raises(SecretMissing) as err:
        secrets.lookup("smtp", env={"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert str(err.value).splitlines() == [
        "no smtp password found. Tried:",
        f"  systemd credential {tmp_path / 'smtp'}: not there (add LoadCredential=smtp:... "
        "to the unit)",
        "  keyring: nothing stored; run `manageup secret set smtp`",
        "  password_command: not set in the config",
    ]


def test_a_credential_not_in_utf8_says_so(memory_keyring: Any, tmp_path: Path) -> None:
    with pytest.raises(SecretMissing, match=r"not UTF-8 text; save it as UTF-8"):
        secrets.lookup("smtp", env=_credential(tmp_path, b"p\xe4ss\n"))


def test_a_locked_keyring_is_unavailable_not_missing(
        memory_keyring: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def locked(service: str, name: str) -> str:
        raise keyring.errors.KeyringLocked("the collection is locked")

    monkeypatch.setattr(memory_keyring, "get_password", locked)
    with pytest.raises(SecretUnavailable) as err:
        secrets.lookup("smtp", env={})
    assert "\n  keyring: locked; unlock it, or use a systemd credential\n" in str(err.value)


def test_a_keyring_that_cannot_be_read_is_unavailable(
        memory_keyring: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(service: str, name: str) -> str:
        raise OSError("the keyring file is damaged")

    monkeypatch.setattr(memory_keyring, "get_password", broken)
    with pytest.raises(SecretUnavailable) as err:
        secrets.lookup("smtp", env={})
    assert ("\n  keyring: cannot be read (OSError); use a systemd credential or "
            "password_command on a headless machine\n") in str(err.value)


def test_no_keyring_installed_goes_on_to_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)  # `import keyring` fails
    assert secrets.lookup("smtp", "printf from-command", env={}) == "from-command"
    with pytest.raises(SecretMissing) as err:
        secrets.lookup("smtp", env={})
    assert "\n  keyring: not installed\n" in str(err.value)


@pytest.mark.parametrize("command, says", [
    # A failing command's output is no password, whatever it printed (an error message).
    ("sh -c 'echo not-the-password; exit 3'", "password_command: exited 3 with no password"),
    ("sh -c 'printf \"\\n  \\n\"'", "password_command: exited 0 with no password"),
    ("true", "password_command: exited 0 with no password"),
    ("/nonexistent/manageup-pass", "password_command: could not run (FileNotFoundError)"),
    ("printf '\\377\\n'", "password_command: printed text that is not UTF-8; make it print "
                          "the password as UTF-8"),
])
def test_a_command_without_a_password_says_why(memory_keyring: Any, command: str,
                                               says: str) -> None:
    with pytest.raises(SecretMissing) as err:
        secrets.lookup("smtp", command, env={})
    assert str(err.value).splitlines()[-1] == f"  {says}"


def test_a_command_that_hangs_is_given_up_on(
        memory_keyring: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "COMMAND_TIMEOUT", 0.5)
    started = time.monotonic()
    with pytest.raises(SecretMissing) as err:
        secrets.lookup("smtp", "sleep 30", env={})
    assert time.monotonic() - started < 15
    assert str(err.value).endswith("password_command: could not run (TimeoutExpired)")


def test_a_keyring_that_refuses_to_store_says_what_to_use_instead(
        memory_keyring: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(service: str, name: str, value: str) -> None:
        raise keyring.errors.PasswordSetError("no collection")

    monkeypatch.setattr(memory_keyring, "set_password", refuse)
    with pytest.raises(SecretError) as err:
        secrets.store("smtp", "pw")
    assert str(err.value) == ("could not store the smtp secret in the keyring "
                              "(PasswordSetError: no collection); use a systemd credential "
                              "or password_command instead")
