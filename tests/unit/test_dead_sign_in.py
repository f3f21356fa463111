"""What doctor and the cycle say of a dead sign-in: the cause and the fix for the provider's
own error code. A deleted OAuth client cannot be signed in with again, so "run manageup
auth google" alone would send the user round in a circle."""

from __future__ import annotations

from pathlib import Path

import pytest

from manageup.accounts import GOOGLE, MICROSOFT, dead, dead_sign_ins, mark_dead, mark_fine
from manageup.store import Store
from tests.conftest import at

NOW = at("2026-11-25T16:00+01:00")


@pytest.mark.parametrize("code, cause, fix", [
    ("deleted_client", "the OAuth client it was made with was deleted in the Google Cloud "
     "console", "create an OAuth client of type Desktop app in the Google Cloud console"),
    ("invalid_client", "the OAuth client's secret was reset, or the client was disabled",
     "download the OAuth client's JSON again"),
    ("invalid_grant", "it was revoked, or it expired: apps in Testing status lose it after "
     "7 days",
     "run: manageup auth google --client-secret FILE"),
])
def test_a_dead_google_sign_in_says_the_cause_and_fix_of_its_code(
        tmp_path: Path, code: str, cause: str, fix: str) -> None:
    store = Store.open(tmp_path / "store.db")
    mark_dead(store, "google", code, NOW)
    mark_dead(store, "google", "invalid_grant", NOW.replace(hour=18))  # the first one stays
    said = dead(store, GOOGLE).says()  # type: ignore[union-attr]
    assert said.startswith(f"stopped working on 25 Nov 16:00 ({code}: {cause}")
    assert f"); {fix}" in said
    if code != "invalid_grant":  # signing in again cannot work before the client is mended
        assert "create" in fix or "download" in fix
    assert [d.account for d in dead_sign_ins(store)] == [GOOGLE]
    mark_fine(store, GOOGLE, NOW)
    assert dead_sign_ins(store) == []


def test_a_dead_microsoft_sign_in_says_its_usual_cause(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store.db")
    mark_dead(store, "microsoft", "AADSTS70000", NOW)
    assert dead(store, MICROSOFT).says() == (  # type: ignore[union-attr]
        "stopped working on 25 Nov 16:00 (AADSTS70000: it was revoked, it expired, or the "
        "app registration changed); run: manageup auth microsoft")
