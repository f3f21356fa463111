"""A new user's first hour with Microsoft 365: `manageup auth microsoft` when something is
wrong says so in one line with the documented exit code, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from manageup import cli
from manageup.config import Config
from tests.conftest import BERLIN, at
from tests.contract.test_microsoft import (  # noqa: F401  (fixtures)
    ca,
    fake,
    ms_table,
    signed_in,
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


def _proxy_page(fake: Any, endpoint: str, status: int) -> None:  # noqa: F811
    """A proxy or captive portal answers for one identity endpoint with its own page."""
    real = fake.handle

    def handle(h: Any, method: str, body: bytes) -> None:
        if h.path.split("?")[0].endswith(endpoint):
            return fake.send_raw(h, status, b"<html>\n<p>Please log in to the hotel Wi-Fi"
                                            b"</p>\n</html>", "text/html")
        return real(h, method, body)

    fake.handle = handle


@pytest.mark.parametrize("status", [200, 502])
@pytest.mark.parametrize("endpoint", ["/devicecode", "/token"])
def test_signing_in_behind_a_proxy_page_is_one_line(
        fake: Any, trusted: Path, memory_keyring: Any, tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str], endpoint: str, status: int) -> None:
    path, _ = write_config(tmp_path, ms_table(fake))
    _proxy_page(fake, endpoint, status)
    code, err = _auth(path, capsys)
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert "sign-in service" in err and "manageup auth microsoft" in err


@pytest.mark.parametrize("status", [200, 502])
@pytest.mark.parametrize("verb", ["meetings", "doctor"])
def test_a_refresh_answered_by_a_proxy_page_is_one_line(
        fake: Any, signed_in: Config, capsys: pytest.CaptureFixture[str],  # noqa: F811
        verb: str, status: int) -> None:
    _proxy_page(fake, "/token", status)
    fake.errors = [(401, {}, "invalid_grant")] * 2  # Graph refuses the access token
    code = cli.main(["--config", str(signed_in.source_path), verb])
    err = capsys.readouterr()
    assert code == 1 and "Traceback" not in err.err + err.out
    lines = [line for line in (err.err + err.out).splitlines() if "sign-in service" in line]
    # doctor names it under the calendar's read and under its sign-in check
    assert len(lines) == (2 if verb == "doctor" else 1), err
    assert not any("<html>" in line for line in lines)


def test_doctor_names_the_calendar_once_when_graph_refuses(
        fake: Any, signed_in: Config) -> None:  # noqa: F811
    from manageup.doctor import run_checks

    fake.errors = [(403, {}, "invalid_grant")] * 4  # the permission is missing
    lines = [line for ok, line in run_checks(str(signed_in.source_path), at(
        "2026-11-03T08:00+01:00")) if not ok]
    assert any(line.startswith("microsoft work: Graph answered 403") for line in lines), lines
    assert all("work: work" not in line for line in lines)


@pytest.mark.parametrize(("error", "description", "fix"), [
    # "Allow public client flows" left at No (README step 3).
    ("invalid_client", "AADSTS7000218: The request body must contain the following "
     "parameter: 'client_assertion' or 'client_secret'.", "allows public client flows"),
    ("expired_token", "AADSTS70020: The provided value for the input parameter "
     "'device_code' is not valid.", "run: manageup auth microsoft"),
    ("authorization_declined", "AADSTS70000: The user declined.",
     "run: manageup auth microsoft"),
])
def test_a_refused_sign_in_names_the_fix(
        fake: Any, trusted: Path, memory_keyring: Any, tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str], error: str, description: str, fix: str) -> None:
    path, _ = write_config(tmp_path, ms_table(fake))
    fake.token = lambda h, _form: fake.send(h, 400, {"error": error,
                                                     "error_description": description})
    code, err = _auth(path, capsys)
    assert code == 2 and err.count("\n") == 1 and description[:11] in err and fix in err


def test_a_redirect_with_an_endless_body_is_cut_off_at_max_bytes(
        fake: Any, signed_in: Config, tmp_path: Path) -> None:  # noqa: F811
    # A proxy in between answers with a redirect whose body has no end: requests reads a
    # redirect's body whole before following it, past any limit of ours.
    from manageup.errors import SourceError
    from tests.contract.test_microsoft import WINDOW, poll, source

    _, config = write_config(tmp_path, ms_table(fake) + "max_bytes = 1000000\n")

    def redirect(h: Any) -> None:
        h.send_response(302)
        h.send_header("Location", f"{fake.base}/v1.0/me/calendarView/delta?x=1")
        h.end_headers()
        for _ in range(600):  # 40 MB without a length; an endless one would never end
            h.wfile.write(b" " * 65536)

    fake.errors.append((302, {}, redirect))
    with pytest.raises(SourceError, match="over 1000000 bytes") as e:
        poll(source(config), *WINDOW, BERLIN)
    assert "\n" not in str(e.value)


def test_graph_behind_a_proxy_whose_certificate_is_not_trusted_says_so(
        fake: Any, signed_in: Config, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    from manageup.errors import SourceError
    from tests.contract.test_microsoft import WINDOW, poll, source

    src = source(signed_in)
    src.token()  # signed in before the proxy came
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    src._session = None  # a new process
    with pytest.raises(SourceError, match=r"certificate of 127\.0\.0\.1.*REQUESTS_CA_BUNDLE") as e:
        poll(src, *WINDOW, BERLIN)
    assert "\n" not in str(e.value)


def test_signing_in_without_a_usable_keyring_stops_before_the_code(
        fake: Any, trusted: Path, tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    # A headless machine over SSH, often without a keyring: finding out after the user
    # typed the code wastes the sign-in, and "use a systemd credential or
    # password_command" is no way to keep a Microsoft sign-in.
    import keyring
    from keyring.backends import fail

    path, _ = write_config(tmp_path, ms_table(fake))
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        code = cli.main(["--config", str(path), "auth", "microsoft"])
    finally:
        keyring.set_keyring(previous)
    out = capsys.readouterr()
    assert code == 1 and "F7QK-29LM" not in out.out
    assert out.err.count("\n") == 1 and "keyring" in out.err
    assert "password_command" not in out.err


def test_a_run_before_signing_in_sends_no_notice_and_says_to_sign_in(
        fake: Any, trusted: Path, memory_keyring: Any, tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    # The config written, the service started, `auth microsoft` not run yet: that is no
    # sign-in that "stopped working" (revoked, expired), and no mail says it was.
    path, _ = write_config(tmp_path, ms_table(fake))
    assert cli.main(["--config", str(path), "run", "--once"]) == 1
    assert not (tmp_path / "Maildir" / "new").exists() or \
        not list((tmp_path / "Maildir" / "new").iterdir())
    capsys.readouterr()
    assert cli.main(["--config", str(path), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  microsoft work: not signed in to Microsoft 365; run: manageup auth " \
           "microsoft" in out and "invalid_grant" not in out


def test_a_second_microsoft_calendar_is_a_config_error(
        fake: Any, tmp_path: Path) -> None:  # noqa: F811
    # One sign-in (one token cache, one `auth microsoft`, one dead-sign-in flag) and the
    # account's own calendar: a second table could never be signed in on its own, and
    # its refused refresh would stop the first one too.
    from manageup.errors import ConfigError

    second = ms_table(fake).replace('name = "work"', 'name = "client"').replace(
        "contoso.example", "fabrikam.example")
    with pytest.raises(ConfigError, match=r"calendars\[1\].*one Microsoft 365") as e:
        write_config(tmp_path, ms_table(fake) + "\n[[calendars]]\n" + second)
    assert e.value.exit_code == 2


def test_graph_error_text_reaches_the_terminal_without_control_characters(
        fake: Any, signed_in: Config, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    import json

    code = "Bad\x1b]0;owned\x07\nSecond line\x9b2J"  # a title change, a line, a C1 CSI
    fake.errors = [(400, {}, json.dumps({"error": {"code": code, "message": "x"}}).encode())]
    assert cli.main(["--config", str(signed_in.source_path), "meetings"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Graph answered 400 Bad" in err
    assert not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f for c in err.rstrip("\n"))


def test_sign_in_error_text_reaches_the_terminal_without_control_characters(
        fake: Any, trusted: Path, memory_keyring: Any, tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = write_config(tmp_path, ms_table(fake))
    fake.token = lambda h, _form: fake.send(h, 400, {
        "error": "access_denied", "error_description": "AADSTS1\x1b]0;owned\x07\x9b2J no"})
    code, err = _auth(path, capsys)
    assert code == 2 and "AADSTS1" in err
    assert not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f for c in err.rstrip("\n"))


def test_signing_in_to_a_tenant_that_does_not_exist_is_a_config_error(
        fake: Any, trusted: Path, memory_keyring: Any, tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = write_config(tmp_path, ms_table(fake).replace("contoso.example", "nope.example"))
    code, err = _auth(path, capsys)
    assert code == 2 and err.count("\n") == 1 and "calendars.tenant" in err
