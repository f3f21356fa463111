from __future__ import annotations

from manageup.config import parse_config
from manageup.detect import detect
from manageup.sources.ics import parse_occurrences
from tests.conftest import BERLIN, ICS, at

NOV = (at("2026-11-01T00:00+01:00"), at("2026-12-31T00:00+01:00"))


def found(make_config, name: str, extra: str = "", section: str = ""):
    _p, cfg = make_config(ICS / name, "" if section else extra)
    if section:  # a key in an existing table: write the config again with it added
        path = _p.parent / "config.toml"
        path.write_text(path.read_text().replace(f"[{section}]\n", f"[{section}]\n{extra}\n", 1))
        cfg = parse_config(path.read_text(), path)
    r = parse_occurrences((ICS / name).read_bytes(), *NOV, BERLIN)
    return detect(r.occurrences, cfg)


def test_boss_as_organizer_weekly_drops_cancelled(make_config) -> None:
    m = found(make_config, "weekly_moved_cancelled_exdate.ics")
    assert [x.occurrence.start.strftime("%d") for x in m] == ["05", "13", "03", "10"]
    assert m[0].reason == "boss (sam@example.com) is organizer, 2 people"


def test_declined_instance_is_not_prepped(make_config) -> None:
    m = found(make_config, "declined_instance.ics")
    assert [x.occurrence.start.strftime("%d") for x in m] == ["05", "19"]


def test_boss_as_attendee_mixed_case_room_not_counted(make_config) -> None:
    (m,) = found(make_config, "boss_as_attendee_room_not_counted.ics")
    assert m.reason == "boss (sam@example.com) is attendee, 2 people"


def test_alias_address(make_config) -> None:
    (m,) = found(make_config, "boss_alias_email.ics")
    assert "sam.rivera@old-domain.example" in m.reason


def test_team_meeting_and_all_day_are_not_1on1s(make_config) -> None:
    assert found(make_config, "team_meeting_with_boss.ics") == []
    assert found(make_config, "all_day_with_boss.ics") == []


def test_team_meeting_counts_when_max_attendees_allows(make_config) -> None:
    assert len(found(make_config, "team_meeting_with_boss.ics",
                     "[detect]\nmax_attendees = 4")) == 1


def test_title_names_boss_but_not_own_reports(make_config) -> None:
    m = found(make_config, "personal_entry_names_boss.ics")
    assert [x.occurrence.uid for x in m] == ["personal@example.com"]
    assert m[0].reason == "title has '1:1' and names the boss (Sam)"


def test_title_pattern_with_boss_present_and_many_people(make_config) -> None:
    m = found(make_config, "team_meeting_with_boss.ics",
              '[detect]\ntitle_patterns = ["team weekly"]')
    assert m and "attends" in m[0].reason


def test_outlook_and_google_feeds(make_config) -> None:
    assert len(found(make_config, "outlook_windows_tz.ics")) == 1
    assert len(found(make_config, "google_x_wr_timezone.ics")) == 2
    assert [x.occurrence.uid for x in found(make_config, "malformed_component.ics")] == \
        ["good@example.com"]


def test_boss_1on1_with_a_peer_is_not_the_users(make_config) -> None:
    """On the boss's shared calendar: "Sam / Priya" has the boss, two people and a 1:1
    title, but the user takes no part; "Sam / Alex" names the user under another address."""
    assert found(make_config, "boss_1on1_with_peer_shared_calendar.ics") == []
    m = found(make_config, "boss_1on1_with_peer_shared_calendar.ics",
              'aliases = ["alex.chen@corp.example"]', section="me")
    assert [x.occurrence.uid for x in m] == ["sam-alex-alias@example.com"]


def test_source_that_knows_the_user_marks_them(make_config) -> None:
    """Google says which attendee is the user (`self`) on the user's own calendar, whatever
    address they use there; on a calendar shared with them `self` is its owner."""
    from manageup.model import Occurrence, Person
    from manageup.sources.google import _person

    _p, cfg = make_config()
    answer = {"email": "alex.chen@gmail.example", "self": True, "responseStatus": "accepted"}
    me = _person(answer, own=True)
    assert me.is_me and not _person(answer, own=False).is_me
    occ = Occurrence("g1", at("2026-11-05T10:00+01:00"), at("2026-11-05T10:30+01:00"),
                     "Sam / Alex", organizer=Person("sam@example.com"), attendees=(me,))
    assert [m.occurrence.uid for m in detect([occ], cfg)] == ["g1"]
    declined = Occurrence("g2", occ.start, occ.end, "Sam / Alex",
                          organizer=Person("sam@example.com"),
                          attendees=(Person("alex.chen@gmail.example", partstat="DECLINED",
                                            is_me=True),))
    assert detect([declined], cfg) == []


def test_personal_entry_naming_the_boss_before_a_colon(make_config) -> None:
    # "Sam: 1:1" is a personal 1:1 entry; the rule that keeps "1:1" out of "21:15" must
    # not keep a name out of "Sam:".
    m = found(make_config, "personal_entry_name_then_colon.ics",
              '[detect]\ntitle_patterns = ["1:1"]')
    assert [x.occurrence.uid for x in m] == ["name-colon-1@example.com",
                                              "name-colon-2@example.com"]


def test_organizer_given_twice_still_counts(make_config) -> None:
    # A duplicated ORGANIZER line became the organizer "[vCalAddress(...), ...]": the 1:1
    # vanished without a warning. A UID given twice is named by its value, not a list.
    (m,) = found(make_config, "organizer_given_twice.ics")
    assert m.reason == "boss (sam@example.com) is organizer, 2 people"
    r = parse_occurrences((ICS / "organizer_given_twice.ics").read_bytes(), *NOV, BERLIN)
    assert r.warnings == [": skipped event two-uids@example.com: UID given more than once"]


def test_boss_under_address_and_alias_counts_once(make_config) -> None:
    """Issue 30: the boss listed under both addresses is one person; the 1:1 stays one."""
    (m,) = found(make_config, "boss_under_address_and_alias.ics")
    assert m.reason == "boss (sam.rivera@old-domain.example) is organizer, 2 people"


def test_status_cancelled_in_any_case_cancels(make_config) -> None:
    """Issue 30: "Cancelled" and "cancelled" cancel as "CANCELLED" does; history keeps
    each as a cancelled 1:1, and only the held one is prepped."""
    from manageup.history import history_of

    _p, cfg = make_config(ICS / "status_cancelled_any_case.ics")
    r = parse_occurrences((ICS / "status_cancelled_any_case.ics").read_bytes(), *NOV, BERLIN)
    assert [x.occurrence.uid for x in detect(r.occurrences, cfg)] == ["held@example.com"]
    assert [h.status for h in history_of(r.occurrences, cfg)] == \
        ["cancelled", "cancelled", "cancelled", "scheduled"]


def test_title_patterns_beside_punctuation_and_full_width(make_config) -> None:
    """Issue 24.1: a pattern counts wherever it stands between non-word characters ("1:1:
    plan", "Re:1on1"), full-width and no-break-space forms read as their plain ones (NFKC);
    a time ("21:15"), a longer number ("1:10") or a word holding it ("x1on1x") does not."""
    m = found(make_config, "titles_with_punctuation.ics")
    assert {x.occurrence.uid.split("@")[0]: x.reason for x in m} == {
        "roadmap": "title has 'one-on-one' and the boss (sam@example.com) attends",
        "plan": "title has '1:1' and the boss (sam@example.com) attends",
        "reply": "title has '1on1' and the boss (sam@example.com) attends",
        "slash": "title has '1:1' and names the boss (Sam)",
        "fullwidth": "title has '1:1' and names the boss (Sam)",
        "fullwidth-colon": "title has '1:1' and names the boss (Sam)",
        "nbsp": "title has 'one-on-one' and names the boss (Sam)",
    }


def test_title_patterns_written_full_width_in_the_config(make_config) -> None:
    m = found(make_config, "titles_with_punctuation.ics",
              '[detect]\ntitle_patterns = ["\uff11\uff1a\uff11"]')
    assert {x.occurrence.uid.split("@")[0] for x in m} == \
        {"plan", "slash", "fullwidth", "fullwidth-colon"}
