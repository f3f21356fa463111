"""CalDAV's helpers on their own (sources/davio.py): the one line each failure becomes,
naming the problem and the fix the user needs, and the properties a server may lack.
The loopback servers of tests/integration drive them too; these pin each branch, many of
which a real server reaches only in a fault that is hard to stage."""

from __future__ import annotations

from typing import Any

import pytest
from caldav.lib import error

from manageup.sources import davio

URL = "https://dav.example.com/cal/alex/work/"


def _auth(status: int) -> error.AuthorizationError:
    return error.AuthorizationError(URL, "Unauthorized", status=status)


@pytest.mark.parametrize("e, username, says", [
    (_auth(403), "alex", "dav.example.com refused access to the calendar (403); check "
     "calendars.url and that 'alex' may read that calendar"),
    (_auth(403), "", "dav.example.com refused access to the calendar (403); check "
     "calendars.url and that this account may read that calendar"),
    (_auth(401), "", "dav.example.com asks for a login; set calendars.username and run "
     "`manageup secret set caldav`"),
    (_auth(401), "alex", "dav.example.com refused the login of 'alex'; check "
     "calendars.username and run `manageup secret set caldav`"),
    (error.NotFoundError(URL, "Not Found"), "alex",
     f"no calendar at {URL}; check calendars.url"),
    (error.RateLimitError(URL, "Too Many Requests"), "alex",
     "dav.example.com asked to slow down; the next poll tries again"),
    (error.ReportError("500 Internal Server Error\nat line 2"), "alex",
     "dav.example.com answered ReportError at '500 Internal Server Error; check "
     "calendars.url"),  # its first line only
    (OSError("[SSL: CERTIFICATE_VERIFY_FAILED] Certificate Verify Failed: self-signed"),
     "alex", "the certificate of dav.example.com is not trusted; if the server has a "
     "certificate authority of its own, set REQUESTS_CA_BUNDLE to its certificate in "
     "manageup's environment"),
    (ConnectionRefusedError(111, "Connection refused"), "alex",
     "cannot reach dav.example.com (ConnectionRefusedError); check the address and your "
     "connection"),
    (ValueError("  \nnot XML: <html>\nmore"), "alex",
     "dav.example.com sent an answer manageup cannot read (ValueError: not XML: <html>); "
     "check calendars.url and that no proxy or login page sits in between"),
    (ValueError(""), "alex", "dav.example.com sent an answer manageup cannot read "
     "(ValueError: ValueError); check calendars.url and that no proxy or login page sits "
     "in between"),
])
def test_each_failure_is_one_line_naming_the_fix(e: Exception, username: str,
                                                 says: str) -> None:
    assert davio.explain(e, URL, username) == says


def test_a_long_reason_is_cut_to_200_characters() -> None:
    said = davio.explain(ValueError("x" * 500), URL, "alex")
    assert "(ValueError: " + "x" * 200 + ")" in said


def test_an_address_without_a_host_is_named_whole() -> None:
    assert davio.explain(error.NotFoundError(), "work", "") == \
        "no calendar at work; check calendars.url"
    assert davio.explain(error.RateLimitError(), "work", "").startswith("work asked")


def test_a_resource_is_keyed_by_its_unquoted_path() -> None:
    assert davio.key("https://dav.example.com/cal/alex%40example.com/a%20b.ics?x=1") == \
        "/cal/alex@example.com/a b.ics"


class _Principal:
    def __init__(self, found: Any) -> None:
        self.found = found

    def calendar_user_address_set(self) -> Any:
        if isinstance(self.found, Exception):
            raise self.found
        return self.found


def test_the_users_addresses_are_the_mailto_ones_once_each() -> None:
    found = [" MAILTO:Alex@Example.com ", "mailto:alex@example.com", "/principals/alex/",
             None, "urn:uuid:1", "mailto:alex.chen@example.com"]
    assert davio.addresses(_Principal(found)) == ["alex.chen@example.com", "alex@example.com"]
    assert davio.addresses(_Principal(None)) == []
    assert davio.addresses(_Principal(error.PropfindError("no such property"))) == []


class _Calendar:
    def __init__(self, value: Any) -> None:
        self.value = value
        self.asked: list[str] = []

    def get_property(self, prop: Any) -> Any:
        self.asked.append(prop.tag)
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


@pytest.mark.parametrize("read, tag", [
    (davio.ctag, "{http://calendarserver.org/ns/}getctag"),
    (davio.sync_token, "{DAV:}sync-token"),
])
def test_a_property_the_server_lacks_is_empty(read: Any, tag: str) -> None:
    calendar = _Calendar("http://radicale.org/ns/sync/abc")
    assert read(calendar) == "http://radicale.org/ns/sync/abc"
    assert calendar.asked == [tag]
    assert read(_Calendar(None)) == ""
    assert read(_Calendar(error.PropfindError("403"))) == ""


class _Props:
    def __init__(self, props: dict[str, dict[str, str]]) -> None:
        self.props = props

    def expand_simple_props(self, _props: Any) -> dict[str, dict[str, str]]:
        return self.props


class _Collection:
    """A calendar as the caldav library gives it, answering the etag PROPFIND."""

    def __init__(self, url: str, props: dict[str, dict[str, str]]) -> None:
        from caldav.lib.url import URL

        self.url = URL.objectify(url)
        self._props = props

    def _query_properties(self, _props: Any, depth: int) -> _Props:
        assert depth == 1
        return _Props(self._props)


def test_each_resources_etag_by_its_path_without_the_collection_itself() -> None:
    # A server without sync-collection is polled by these: a wrong or missing etag is an
    # edit never read again (a moved 1:1 shown at its old time), and the collection
    # taken for a resource is one more failed read every poll.
    base = "/cal/alex/TEAM-X/"
    calendar = _Collection(f"https://dav.example.com{base}", {
        base: {"{DAV:}getetag": '"collection"'},
        base.rstrip("/"): {"{DAV:}getetag": '"collection"'},  # listed without its slash
        f"{base}sam%40example.com-1on1.ics": {"{DAV:}getetag": '"1"'},
        f"https://dav.example.com{base}b.ics": {"{DAV:}getetag": '"2"'},
        f"{base}no-etag.ics": {},
    })
    assert davio.etags(calendar) == {f"{base}sam@example.com-1on1.ics": '"1"',
                                     f"{base}b.ics": '"2"'}


def test_series_a_server_will_not_list_are_read_from_the_members_it_did_not_send(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    base = "/cal/alex/work/"
    calendar = _Collection(f"https://dav.example.com{base}", {})
    monkeypatch.setattr(davio, "_series", lambda client, cal: (_ for _ in ()).throw(
        error.ReportError(reason="400 Bad Request")))
    monkeypatch.setattr(davio, "etags", lambda cal: {f"{base}known.ics": '"1"',
                                                     f"{base}weekly.ics": '"2"',
                                                     f"{base}once.ics": '"3"',
                                                     f"{base}gone.ics": '"4"'})
    asked: list[list[str]] = []  # each multiget's URLs

    def multiget(client: Any, cal: Any, urls: list[Any]) -> list[davio.Resource]:
        asked.append([str(u) for u in urls])
        return [davio.Resource(f"{base}weekly.ics", '"2"', "RRULE", 200),
                davio.Resource(f"{base}once.ics", '"3"', "ONCE", 200),
                davio.Resource(f"{base}gone.ics", "", None, 404)]

    monkeypatch.setattr(davio, "multiget", multiget)
    caplog.set_level("INFO", logger="manageup.sources.davio")
    found = davio.old_series(None, calendar, {f"{base}known.ics": {}},
                             lambda href, ics: ics == "RRULE")
    assert found == {f"{base}weekly.ics": {"etag": '"2"', "ics": "RRULE"}}
    assert asked == [[f"https://dav.example.com{base}{name}.ics"
                      for name in ("weekly", "once", "gone")]]
    assert caplog.messages == [
        "the query for recurring events failed (ReportError at 'None', reason 400 Bad "
        "Request); reading the other members",
        "1 recurring events found beyond the time-range query"]
    # Every member already read: no multiget at all (an empty one is refused by some).
    asked.clear()
    names = ("known", "weekly", "once", "gone")
    known: dict[str, Any] = {f"{base}{name}.ics": {} for name in names}
    assert davio.old_series(None, calendar, known, lambda href, ics: True) == {}
    assert asked == []
