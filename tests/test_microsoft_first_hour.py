"""A new user's first hour with Microsoft 365: `manageup auth microsoft` when something is
wrong says so in one line with the documented exit code, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from manageup import cli
from tests.test_microsoft import (  # noqa: F401  (fixtures)
    ca,
    fake,
    ms_table,
    trusted,
    write_config,
)


def _auth(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """The exit code and stderr, less urllib3's own warning that it retried."""
    code = cli.main(["--config", str(path), "auth", "microsoft"])
    err = capsys.readouterr().err
    return code, "".join(line for line in err.splitlines(keepends=True)
                         if "WARNING: Retrying" not in line)


def test_signing_in_again_with_the_sign_in_service_down_is_one_line(
        fake: Any, trusted: Path, memory_keyring: Any, tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = write_config(tmp_path, ms_table(fake))
    assert _auth(path, capsys)[0] == 0  # the tenant's settings are now cached
    fake.stop()  # the network is down when the sign-in has to be done again
    code, err = _auth(path, capsys)
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert "cannot reach" in err and "manageup auth microsoft" in err


def test_the_connection_dropping_while_waiting_for_the_code_is_one_line(
        fake: Any, trusted: Path, memory_keyring: Any, tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = write_config(tmp_path, ms_table(fake))
    fake.token = lambda _h, _form: None  # the token endpoint hangs up without an answer
    code, err = _auth(path, capsys)
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert "cannot reach" in err and "manageup auth microsoft" in err
