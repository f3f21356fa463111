"""The Google sign-in refused while a digest goes out through Gmail: the digest stays owed,
the user is told once what to do, Google is not asked again with the dead sign-in, and
the digest goes out at the first cycle after they sign in again. The sign-in and Gmail are
google-auth and googleapiclient over HttpMockSequence; the token endpoint's refusal is
tests/fixtures/google/invalid_grant.json (see its PROVENANCE.md)."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from googleapiclient.http import HttpMockSequence

from manageup.accounts import GOOGLE, mark_fine
from manageup.accounts import google as signin
from manageup.cli import main
from manageup.config import Config, load_config
from manageup.deliver.gmail import GmailTransport
from manageup.service import Daemon
from manageup.store import Store
from tests.conftest import at
from tests.contract.test_gmail_threading import FIRST, gmail_cycles
from tests.contract.test_google import body, status
from tests.contract.test_google_signin import token_json

REFUSED = (status(400), body("invalid_grant"))
HELD = ("the digest for Alex / Sam 1:1 (Thu 26 Nov 10:00) is held: the Google sign-in "
        f"stopped working; {GOOGLE.reauth}, and it goes out at the next cycle")


def _cycles(config: Config, transport: GmailTransport, start: str, end: str) -> None:
    gmail_cycles(config, transport, at(start), at(end), timedelta(minutes=5))


def _gmail_refused(example: Path, keyring) -> tuple[Path, HttpMockSequence, GmailTransport]:
    """The example's config sending through Gmail, with an expired access token whose
    refresh Google refuses (invalid_grant)."""
    cfg_path = example / "config.toml"
    cfg_path.write_text(cfg_path.read_text().replace(
        'method = "maildir"\nmaildir = "state/Maildir"\n', 'method = "gmail"\n'))
    keyring.values[("manageup", "google-token")] = token_json()  # access token expired
    http = HttpMockSequence([REFUSED])  # the refresh before the send is refused
    session = signin.Session(signin.scopes_for(gmail=True), http)
    transport = GmailTransport(signin.LiveService(session, "gmail", "v1"), sleep=lambda s: 0)
    return cfg_path, http, transport


def test_a_sign_in_refused_mid_send_holds_the_digest_until_signed_in_again(
        example: Path, memory_keyring, caplog, capsys) -> None:
    cfg_path, http, transport = _gmail_refused(example, memory_keyring)
    config = load_config(cfg_path)

    _cycles(config, transport, "2026-11-25T16:00+01:00", "2026-11-25T16:30+01:00")
    assert len(http.request_sequence) == 1  # the dead sign-in is not tried every cycle
    store = Store.open(config.store.path)
    (row,) = store.ledger()
    assert (row.state, row.attempts) == ("failed", 1)
    assert store.flag(GOOGLE.flag) == ("invalid_grant", at("2026-11-25T16:00+01:00"))
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [  # one message, naming the problem and the fix
        "could not send the mail for Alex / Sam 1:1: Google refused the stored sign-in "
        f"(invalid_grant: {GOOGLE.usual}); {GOOGLE.reauth} (it goes out at the first cycle "
        "after you sign in again)"]
    assert main(["--config", str(cfg_path), "doctor"]) == 1
    assert "delivery: Gmail: the Google sign-in stopped working on 25 Nov 16:00 " \
        "(invalid_grant" in capsys.readouterr().out

    # `manageup auth google` at 16:32: a new sign-in in the keyring, the flag cleared.
    memory_keyring.values[("manageup", "google-token")] = token_json(
        "ya29.two", "2099-01-01T00:00:00Z", refresh="1//two")
    mark_fine(store, GOOGLE, at("2026-11-25T16:32+01:00"))
    store.close()
    http._iterable.append(FIRST)
    _cycles(config, transport, "2026-11-25T16:35+01:00", "2026-11-25T16:40+01:00")
    assert len(http.request_sequence) == 2  # sent at 16:35, once
    (row,) = Store.open(config.store.path).ledger()
    assert (row.state, row.attempts) == ("sent", 2)


def test_each_run_once_while_the_digest_is_held_fails_and_says_what_to_do(
        example: Path, memory_keyring, monkeypatch, capsys) -> None:
    """On the systemd timer each `run --once` is the whole story: a digest held for a dead
    sign-in makes the run fail (the unit shows failed) and says what is held and the fix,
    every run, not only the one whose send was refused."""
    cfg_path, http, transport = _gmail_refused(example, memory_keyring)
    monkeypatch.setattr("manageup.deliver.make_transport", lambda config, dry_run=False:
                        transport)
    once = ["--config", str(cfg_path), "run", "--once", "--now"]
    assert main([*once, "2026-11-25T16:00:00+01:00"]) == 1  # the refused send
    capsys.readouterr()

    for when in ("2026-11-25T16:10:00+01:00", "2026-11-25T16:20:00+01:00"):
        assert main([*once, when]) == 1
        out, err = capsys.readouterr()
        assert [line.split(" ERROR ", 1)[1] for line in err.splitlines()
                if " ERROR " in line] == [HELD]
        assert out == "nothing sent; 1 digest held; the errors above say why.\n"
    assert len(http.request_sequence) == 1  # held, not tried: Google is not asked again

    memory_keyring.values[("manageup", "google-token")] = token_json(
        "ya29.two", "2099-01-01T00:00:00Z", refresh="1//two")
    store = Store.open(load_config(cfg_path).store.path)
    mark_fine(store, GOOGLE, at("2026-11-25T16:32+01:00"))  # `manageup auth google`
    store.close()
    http._iterable.append(FIRST)
    assert main([*once, "2026-11-25T16:40:00+01:00"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and " ERROR " not in err
    assert len(http.request_sequence) == 2


def test_the_daemon_says_once_that_a_digest_is_held_and_keeps_running(
        example: Path, memory_keyring, monkeypatch, capsys) -> None:
    """The daemon's log is read as a whole: the hold is said once, not every cycle, and a
    held digest is no reason for the daemon to stop."""
    cfg_path, http, transport = _gmail_refused(example, memory_keyring)
    monkeypatch.setattr("manageup.deliver.make_transport", lambda config, dry_run=False:
                        transport)
    ran: list[int] = []

    def four_cycles(daemon: Daemon) -> int:  # Daemon.run's loop, without its wait
        for _ in range(4):
            daemon.one_cycle()
            ran.append(daemon.cycles)
        return 0

    monkeypatch.setattr(Daemon, "run", four_cycles)
    assert main(["--config", str(cfg_path), "run", "--now", "2026-11-25T16:10:00+01:00"]) == 0
    assert ran == [1, 2, 3, 4]
    errors = [line.split(" ERROR ", 1)[1] for line in capsys.readouterr().err.splitlines()
              if " ERROR " in line]
    assert errors[0].startswith("could not send the mail for Alex / Sam 1:1: Google refused")
    assert errors[1:] == [HELD]  # the cycles after the refusal: said once
    assert len(http.request_sequence) == 1
