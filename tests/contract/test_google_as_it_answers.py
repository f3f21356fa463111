"""Google as it really answers (issue 23.3): a deleted or reset OAuth client, `self` on a
shared calendar, attendees left out of an event, the daily quota spent; and (issue 30.1)
the sync token dropped when the window slides past it. The bodies are in
tests/fixtures/google, each named with its source in PROVENANCE.md there."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from googleapiclient.http import HttpMockSequence

from manageup.cli import main
from manageup.cycle import run_cycle
from manageup.deliver import make_transport
from manageup.detect import detect
from manageup.errors import SourceError
from manageup.sources.google import GoogleSource
from manageup.store import Store
from tests.contract.test_google import FULL, NOW, OK, WINDOW, body, google_config, status, synced
from tests.contract.test_google_signin import keyring_source, token_json
from tests.mailcheck import checked_maildir

# --- a refresh refused because the OAuth client is gone or changed ---------------------------


@pytest.mark.parametrize("code,fix", [
    ("deleted_client", "create an OAuth client of type Desktop app"),
    ("invalid_client", "download the OAuth client's JSON again"),
])
def test_a_deleted_or_reset_client_is_a_dead_sign_in(tmp_path, memory_keyring, capsys,
                                                      code: str, fix: str) -> None:
    cfg = google_config(tmp_path)
    memory_keyring.values[("manageup", "google-token")] = token_json()
    answers = [(status(401), body(code))]  # the token endpoint's answer to the refresh
    src = keyring_source(cfg, answers)
    store = Store.open(cfg.store.path)
    report = run_cycle(cfg, store, [src], make_transport(cfg), NOW)
    assert report.gathered.auth_failed
    assert store.flag("google-auth") == (code, NOW)
    # Later cycles: no call to Google (the mock has no answers left), no second mail.
    for hours in (1, 2):
        report = run_cycle(cfg, store, [src], make_transport(cfg), NOW + timedelta(hours=hours))
        assert code in report.gathered.failures[0]
    assert answers == []
    (notice,) = checked_maildir(cfg.delivery.maildir)
    text = " ".join(notice.get_payload(decode=True).decode().split())
    assert notice["Subject"] == "manageup cannot read your Google calendar"
    assert fix in text and "manageup auth google" in text
    store.close()
    assert main(["--config", str(cfg.source_path), "doctor"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert f"FAIL google: the sign-in stopped working on 25 Nov 16:00 ({code}:" in out
    assert fix in out


# --- who is the user: `self` marks the calendar the copy sits on -----------------------------


def test_on_the_bosses_shared_calendar_her_1on1s_with_peers_are_not_mine(tmp_path) -> None:
    cfg = google_config(tmp_path, "sam@example.com")
    src = GoogleSource(cfg.calendars[0], cfg, sleep=lambda s: None,
                       http=HttpMockSequence([(OK, body("shared_boss_calendar"))]))
    found = detect(synced(src, cfg).occurrences, cfg)
    # Sam / Pat is on the boss's calendar with `self` on Sam: not the user's meeting.
    assert [m.occurrence.title for m in found] == ["Sam / Alex 1:1"]


def test_on_my_own_calendar_self_is_me_under_an_address_not_configured(tmp_path) -> None:
    # The signed-in account's primary calendar: `self` is the user, as alex.chen@.
    cfg = google_config(tmp_path)
    src = GoogleSource(cfg.calendars[0], cfg, sleep=lambda s: None,
                       http=HttpMockSequence([(OK, body("own_calendar_sparse"))]))
    found = detect(synced(src, cfg).occurrences, cfg)
    assert "Sam / Alex 1:1" in [m.occurrence.title for m in found]


# --- attendees left out ------------------------------------------------------------------------


def test_attendees_omitted_is_not_a_1on1_by_size(tmp_path) -> None:
    cfg = google_config(tmp_path)
    src = GoogleSource(cfg.calendars[0], cfg, sleep=lambda s: None,
                       http=HttpMockSequence([(OK, body("own_calendar_sparse"))]))
    occurrences = synced(src, cfg).occurrences
    planning = next(o for o in occurrences if o.title == "Quarterly planning")
    assert len(planning.attendees) == 1  # the list Google sent: the user only
    # Only the user and the boss are listed, but the rest were left out.
    assert [m.occurrence.title for m in detect(occurrences, cfg)] == ["Sam / Alex 1:1"]


# --- the daily quota ---------------------------------------------------------------------------


def test_the_daily_quota_spent_says_so(tmp_path) -> None:
    cfg = google_config(tmp_path)
    sleeps: list[float] = []
    src = GoogleSource(cfg.calendars[0], cfg, sleep=sleeps.append,
                       http=HttpMockSequence([(status(403), body("daily_limit"))] * 5))
    with pytest.raises(SourceError) as err:
        synced(src, cfg)
    said = str(err.value)
    assert "403 dailyLimitExceeded" in said and "daily" in said.split(";", 1)[1]
    assert "quota" in said and "calendar id" not in said
    assert sleeps == []  # retrying within the cycle cannot help until the quota resets


# --- the window slides past the range the sync token was listed for ----------------------------


def _asked(http: HttpMockSequence) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(uri).query) for uri, *_ in http.request_sequence]


def test_a_window_sliding_past_the_token_lists_again(tmp_path) -> None:
    cfg = google_config(tmp_path)
    http = HttpMockSequence([*FULL, (OK, body("unchanged")), *FULL])
    src = GoogleSource(cfg.calendars[0], cfg, http=http, sleep=lambda s: None)
    synced(src, cfg)  # lists WINDOW and 30 days beyond its end
    week = timedelta(days=7)
    synced(src, cfg, (WINDOW[0] + week, WINDOW[1] + week), NOW + week)  # inside: the token
    moved = timedelta(days=31)
    later = (WINDOW[0] + moved, WINDOW[1] + moved)
    synced(src, cfg, later, NOW + moved)  # past the listed range: listed again
    asked = _asked(http)
    assert len(asked) == 7
    first, steady, again = asked[0], asked[3], asked[4]
    assert "syncToken" not in first and first["timeMin"] == [WINDOW[0].isoformat()]
    assert steady["syncToken"] == ["sync-1"] and "timeMin" not in steady
    assert "syncToken" not in again
    assert again["timeMin"] == [later[0].isoformat()]
    assert again["timeMax"] == [(later[1] + timedelta(days=30)).isoformat()]
    state = Store.open(cfg.store.path).sync_state("google:primary")
    assert state and state["synced_from"] == later[0].isoformat()


def test_a_window_reaching_back_before_the_token_lists_again(tmp_path) -> None:
    """A window that starts before the range the token was listed from (a clock put back,
    a longer history asked for) is listed again: an incremental sync would only bring
    changes, never the older events nobody listed (attack30)."""
    cfg = google_config(tmp_path)
    http = HttpMockSequence([*FULL, *FULL])
    src = GoogleSource(cfg.calendars[0], cfg, http=http, sleep=lambda s: None)
    synced(src, cfg)
    back = timedelta(days=3)
    earlier = (WINDOW[0] - back, WINDOW[1] - back)
    synced(src, cfg, earlier, NOW - back)
    asked = _asked(http)
    again = asked[len(FULL)]
    assert "syncToken" not in again
    assert again["timeMin"] == [earlier[0].isoformat()]
    state = Store.open(cfg.store.path).sync_state("google:primary")
    assert state and state["synced_from"] == earlier[0].isoformat()
