"""Where a secret is looked for, in order: the systemd credential, then the keyring, then
password_command. Each place holds a different value, so a lookup that asked them in
another order (or stopped at the wrong one) returns the wrong password."""

from __future__ import annotations

from pathlib import Path

from manageup.accounts import secrets


def test_the_systemd_credential_comes_first_then_the_keyring_then_the_command(
        memory_keyring, tmp_path: Path) -> None:
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "smtp").write_text("from-systemd\n")
    memory_keyring.values[("manageup", "smtp")] = "from-keyring"
    env = {"CREDENTIALS_DIRECTORY": str(creds)}
    command = "printf from-command"
    assert secrets.lookup("smtp", command, env=env) == "from-systemd"
    (creds / "smtp").unlink()  # the unit no longer loads it
    assert secrets.lookup("smtp", command, env=env) == "from-keyring"
    del memory_keyring.values[("manageup", "smtp")]
    assert secrets.lookup("smtp", command, env=env) == "from-command"


def test_a_credential_for_another_name_is_not_taken(memory_keyring, tmp_path: Path) -> None:
    (tmp_path / "caldav").write_text("not-this-one")
    memory_keyring.values[("manageup", "smtp")] = "from-keyring"
    assert secrets.lookup("smtp", env={"CREDENTIALS_DIRECTORY": str(tmp_path)}) == \
        "from-keyring"
