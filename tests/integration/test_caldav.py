"""The CalDAV source against a real Radicale server on loopback, htpasswd auth, with the
edge-case .ics fixtures uploaded as resources (one UID per resource, as CalDAV requires)."""

from __future__ import annotations

import contextlib
import json
import socketserver
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import icalendar
import pytest

from manageup import cli
from manageup.config import Calendar, Config
from manageup.detect import detect
from manageup.errors import SourceError
from manageup.sources.caldav import CaldavSource
from manageup.sources.ics import IcsSource
from manageup.store import Store
from tests.conftest import BERLIN, ICS, at, config_text, free_port

NOW = at("2026-11-03T08:00+01:00")
WINDOW = (NOW - timedelta(days=2), NOW + timedelta(days=40))
PASSWORD = "s3cret-dav"
# Feed-file faults no CalDAV server stores as a calendar object (several VCALENDARs or
# none, a file cut off or with junk between components, an event without UID), and a
# series every 7 minutes since 1990, which Radicale expands server-side past any timeout.
NOT_FOR_CALDAV = {"malformed_component.ics", "bare_vevent_feed.ics",
                  "concatenated_vcalendars.ics", "event_without_uid.ics",
                  "hourly_series_from_1990.ics", "junk_line_between_components.ics",
                  "unterminated_last_event.ics", "unterminated_only_event.ics",
                  # Radicale drops the escape character from a title: a different title.
                  "title_with_line_breaks_escapes_and_bidi.ics",
                  # Radicale's time-range query never matches an event ending before it
                  # starts; the .ics reader keeps it.
                  "dtend_before_dtstart.ics",
                  # Radicale refuses an object with a property given twice (400).
                  "organizer_given_twice.ics",
                  # Whole-file oddities a server never stores as such: it refuses or
                  # rewrites the object when it is uploaded.
                  "cr_only_line_endings.ics", "cr_only_but_last.ics",
                  "mixed_endings_head_cr.ics", "mixed_event_cr.ics", "vtimezone_bad_line.ics",
                  "whitespace_before_vcalendar.ics",
                  # One value icalendar refuses (a time zone rule, a to-do, an alarm):
                  # Radicale refuses the upload; the CalDAV source reads each object
                  # with the same parse_occurrences (tests/unit/test_ics.py).
                  "vtimezone_impossible_offset.ics", "vtodo_bad_date.ics",
                  "valarm_bad_trigger.ics",
                  # A time zone line icalendar refuses (RDATE;VALUE=DATE, a TZID given as
                  # a date): the upload's own icalendar split cannot read the file.
                  "vtimezone_rdate_value_date.ics", "vtimezone_tzid_value_date.ics",
                  # Two unrelated events under one UID: one CalDAV resource holds one
                  # UID, so a server cannot store them as one file (the .ics case).
                  "foreign_event_reuses_uid.ics",
                  # Blanks after a component's name: the upload's own icalendar split
                  # reads "VEVENT " as another component, and refuses its bad RRULE.
                  "component_name_with_blanks.ics"}
FIXTURES = sorted(p.name for p in ICS.glob("*.ics") if p.name not in NOT_FOR_CALDAV)


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class _Threading(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class Radicale:
    """Radicale in-process behind a WSGI layer that counts requests and injects faults."""

    sync = True  # answers sync-collection (RFC 6578)

    def __init__(self, folder: Path, *, login: bool = True) -> None:
        self.login = login
        self.app = self.make_app(folder)
        self.requests: list[tuple[str, str]] = []
        self.authorizations: list[str] = []  # each request's Authorization header
        self.addresses: list[str] = []  # calendar-user-address-set answered for /alex/
        self.refuse_sync = False  # a server without sync-collection (RFC 6578)
        # A hostile or broken server: (method, path prefix) -> (status, headers, body).
        self.faults: dict[tuple[str, str], tuple[str, list[tuple[str, str]], bytes]] = {}
        self.once = False  # each fault answers one request only
        self.httpd = make_server("127.0.0.1", free_port(), self, server_class=_Threading,
                                 handler_class=_Quiet)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def make_app(self, folder: Path) -> Any:
        import radicale
        import radicale.config

        login = self.login
        users = folder / "users"
        users.write_text(f"alex:{PASSWORD}\n")
        conf = radicale.config.load()
        auth = {"type": "htpasswd", "htpasswd_filename": str(users),
                "htpasswd_encryption": "plain"}
        rights = {"type": "owner_only"}
        if not login:
            # A local Radicale with `auth none`, and the rights file of Radicale's
            # documentation (radicale.org/v3.html, "Rights") that lets anyone read and write.
            (folder / "rights").write_text("[all]\nuser: .*\ncollection: .*\n"
                                           "permissions: RrWw\n")
            auth = {"type": "none"}
            rights = {"type": "from_file", "file": str(folder / "rights")}
        conf.update({"storage": {"filesystem_folder": str(folder / "collections")},
                     "auth": auth, "rights": rights}, "test", privileged=True)
        return radicale.Application(conf)

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> Any:
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        self.requests.append((method, path))
        self.authorizations.append(environ.get("HTTP_AUTHORIZATION", ""))
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size) if size else b""
        import io

        environ["wsgi.input"] = io.BytesIO(body)
        if self.addresses and method == "PROPFIND" and path == "/alex/" and \
                b"calendar-user-address-set" in body:
            hrefs = "".join(f"<D:href>{a}</D:href>" for a in self.addresses)
            xml = ('<?xml version="1.0"?><D:multistatus xmlns:D="DAV:" '
                   'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:response><D:href>/alex/</D:href>'
                   f'<D:propstat><D:prop><C:calendar-user-address-set>{hrefs}'
                   '</C:calendar-user-address-set></D:prop>'
                   '<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>'
                   '</D:multistatus>').encode()
            start("207 Multi-Status", [("Content-Type", "application/xml")])
            return [xml]
        for (m, marker), (status, headers, answer) in list(self.faults.items()):
            if m == method and path.startswith(marker):
                if self.once:
                    del self.faults[(m, marker)]
                start(status, headers)
                return [answer]
        if self.refuse_sync and method == "REPORT" and b"sync-collection" in body:
            xml = b'<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:supported-report/></D:error>'
            start("403 Forbidden", [("Content-Type", "application/xml")])
            return [xml]
        return self.app(environ, start)

    def client(self) -> Any:
        from caldav.davclient import DAVClient

        if not self.login:
            return DAVClient(self.url + "/")
        return DAVClient(self.url + "/", username="alex", password=PASSWORD, auth_type="basic")

    def make_calendar(self, name: str, files: list[Path]) -> str:
        if self.login:
            cal = self.client().principal().make_calendar(name=name, cal_id=name)
        else:  # no principal without a login: the calendar is made at its address
            client = self.client()
            client.mkcol(f"{self.url}/alex/", "")  # 405 once it exists; no harm
            client.mkcalendar(f"{self.url}/alex/{name}/", "")
            cal = client.calendar(url=f"{self.url}/alex/{name}/")
        for f in files:
            for resource in split(f.read_bytes()):
                cal.save_event(resource)
        return str(cal.url)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def split(data: bytes) -> list[str]:
    """One VCALENDAR per UID, each with the calendar's own properties and time zones."""
    cal = icalendar.Calendar.from_ical(data)
    zones = [c for c in cal.subcomponents if c.name == "VTIMEZONE"]
    by_uid: dict[str, list[Any]] = {}
    for c in cal.subcomponents:
        if c.name == "VEVENT":
            by_uid.setdefault(str(c.get("UID")), []).append(c)
    out = []
    for comps in by_uid.values():
        one = icalendar.Calendar()
        for k, v in cal.items():
            one.add(k, v)
        one.subcomponents = zones + comps
        out.append(one.to_ical().decode())
    return out


def merge(files: list[Path]) -> bytes:
    """The equivalent single .ics file: every event, each time zone once."""
    out = icalendar.Calendar()
    out.add("VERSION", "2.0")
    out.add("PRODID", "-//manageup tests//EN")
    zones: dict[str, Any] = {}
    for f in files:
        for c in icalendar.Calendar.from_ical(f.read_bytes()).subcomponents:
            if c.name == "VTIMEZONE":
                zones.setdefault(str(c.get("TZID")), c)
            else:
                out.add_component(c)
    out.subcomponents[:0] = list(zones.values())
    return bytes(out.to_ical())


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    server = Radicale(tmp_path_factory.mktemp("radicale"))
    yield server
    server.stop()


_counter = iter(range(10**6))


@pytest.fixture
def fresh(radicale: Radicale) -> Callable[[list[Path]], str]:
    """A new collection holding these files; returns its address."""
    return lambda files: radicale.make_calendar(f"cal{next(_counter)}", files)


def caldav_config(tmp_path: Path, url: str, **cal: Any) -> Config:
    _, config = _write(tmp_path, f'type = "caldav"\nname = "work"\nurl = "{url}"\n'
                                    'username = "alex"\n'
                          + "".join(f'{k} = "{v}"\n' for k, v in cal.items()))
    return config


def _write(tmp_path: Path, calendar_table: str, name: str = "config.toml") -> tuple[Path, Config]:
    from manageup.config import parse_config

    text = config_text("PLACEHOLDER", tmp_path).replace(
        'type = "ics"\npath = "PLACEHOLDER"\n', calendar_table)
    path = tmp_path / name
    path.write_text(text)
    path.chmod(0o600)
    return path, parse_config(text, path)


def source(config: Config, i: int = 0) -> CaldavSource:
    return CaldavSource(config.calendars[i], config, password=PASSWORD)



def poll(src: Any, start: Any, end: Any, zone: Any) -> Any:
    """One poll as the daemon makes it: the sync state read from and saved to the store."""
    store = Store.open(src.config.store.path)
    try:
        return src.fetch_synced(start, end, zone, store=store, now=start, readonly=False)
    finally:
        store.close()

def key(o: Any) -> tuple[Any, ...]:
    return (o.uid, o.key, o.start, o.end, o.title, o.status, o.all_day, o.cadence_days,
            tuple(a.email for a in o.attendees), o.organizer.email if o.organizer else "")


# -- equivalence with the .ics file --------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURES)
def test_same_occurrences_as_the_ics_file(name: str, fresh: Any, tmp_path: Path) -> None:
    config = caldav_config(tmp_path, fresh([ICS / name]))
    got = poll(source(config), *WINDOW, BERLIN)
    want = IcsSource(Calendar(type="ics", path=ICS / name)).fetch(*WINDOW, BERLIN)
    assert sorted(map(key, got.occurrences)) == sorted(map(key, want.occurrences))
    assert [(m.occurrence.key, m.reason) for m in detect(got.occurrences, config)] == \
        [(m.occurrence.key, m.reason) for m in detect(want.occurrences, config)]


def test_meetings_finds_the_same_1on1s_as_from_the_ics_file(
        fresh: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    files = [ICS / n for n in ("weekly_moved_cancelled_exdate.ics", "boss_alias_email.ics",
                               "declined_instance.ics", "personal_entry_names_boss.ics",
                               "team_meeting_with_boss.ics")]
    url = fresh(files)
    merged = tmp_path / "all.ics"
    merged.write_bytes(merge(files))
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "caldav").write_text(PASSWORD + "\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))  # the systemd credential path
    outputs = []
    for table in (f'type = "caldav"\nname = "work"\nurl = "{url}"\nusername = "alex"\n',
                  f'type = "ics"\nname = "work"\npath = "{merged}"\n'):
        path, _ = _write(tmp_path, table)
        assert cli.main(["--config", str(path), "meetings", "--json",
                         "--now", NOW.isoformat()]) == 0
        outputs.append(json.loads(capsys.readouterr().out))
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) >= 4


# -- incremental sync ----------------------------------------------------------------------


def test_quiet_poll_is_one_request(radicale: Radicale, fresh: Any, tmp_path: Path) -> None:
    config = caldav_config(tmp_path, fresh([ICS / "weekly_moved_cancelled_exdate.ics"]))
    first = poll(source(config), *WINDOW, BERLIN)
    radicale.requests.clear()
    src = source(config)  # a new process: the sync token comes from the store
    again = poll(src, WINDOW[0] + timedelta(minutes=5), WINDOW[1] + timedelta(minutes=5),
                      BERLIN)
    assert radicale.requests == [("REPORT", urlpath(config))]
    assert again.unchanged
    assert [o.key for o in again.occurrences] == [o.key for o in first.occurrences]
    radicale.requests.clear()
    poll(src, *WINDOW, BERLIN)
    assert len(radicale.requests) == 1


def urlpath(config: Config) -> str:
    from urllib.parse import urlsplit

    return urlsplit(config.calendars[0].url).path


def test_changed_added_and_deleted_resources(radicale: Radicale, fresh: Any,
                                             tmp_path: Path) -> None:
    url = fresh([ICS / "weekly_moved_cancelled_exdate.ics", ICS / "boss_alias_email.ics"])
    config = caldav_config(tmp_path, url)
    src = source(config)
    before = {o.uid for o in poll(src, *WINDOW, BERLIN).occurrences}
    assert {"weekly@example.com"} < before
    cal = radicale.client().calendar(url=url)
    alias_uid = next(u for u in before if u != "weekly@example.com")
    cal.get_event_by_uid(alias_uid).delete()
    weekly = cal.get_event_by_uid("weekly@example.com")
    weekly.data = weekly.data.replace("SUMMARY:Sam / Alex", "SUMMARY:1:1 renamed")
    weekly.save()
    for r in split((ICS / "team_meeting_with_boss.ics").read_bytes()):
        cal.save_event(r)
    radicale.requests.clear()
    after = poll(src, *WINDOW, BERLIN)
    methods = [m for m, _ in radicale.requests]
    assert methods == ["REPORT", "REPORT"]  # the sync, then one multiget of what changed
    uids = {o.uid for o in after.occurrences}
    assert alias_uid not in uids and "weekly@example.com" in uids and len(uids) == 2
    assert {o.title for o in after.occurrences if o.uid == "weekly@example.com"} == \
        {"1:1 renamed", "1:1 renamed (moved)"}
    stored = Store.open(config.store.path)
    try:
        state = stored.sync_state(src.key)
    finally:
        stored.close()
    assert state and state["token"] and len(state["events"]["resources"]) == 2


def test_expired_sync_token_reads_the_window_again(fresh: Any, tmp_path: Path) -> None:
    config = caldav_config(tmp_path, fresh([ICS / "weekly_moved_cancelled_exdate.ics"]))
    src = source(config)
    want = [o.key for o in poll(src, *WINDOW, BERLIN).occurrences]
    store = Store.open(config.store.path)
    state = store.sync_state(src.key)
    assert state
    store.save_sync_state(src.key, {**state, "token": state["token"] + "-forgotten"})
    store.close()
    assert [o.key for o in poll(source(config), *WINDOW, BERLIN).occurrences] == want


def test_server_without_sync_collection_uses_etags(radicale: Radicale, fresh: Any,
                                                   tmp_path: Path) -> None:
    url = fresh([ICS / "weekly_moved_cancelled_exdate.ics"])
    config = caldav_config(tmp_path, url)
    radicale.refuse_sync = True
    try:
        src = source(config)
        want = [o.key for o in poll(src, *WINDOW, BERLIN).occurrences]
        radicale.requests.clear()
        assert [o.key for o in poll(src, *WINDOW, BERLIN).occurrences] == want
        assert len(radicale.requests) <= 2  # ctag (Radicale has one), else the etag list
        cal = radicale.client().calendar(url=url)
        for r in split((ICS / "boss_alias_email.ics").read_bytes()):
            cal.save_event(r)
        assert len({o.uid for o in poll(src, *WINDOW, BERLIN).occurrences}) == 2
        store = Store.open(config.store.path)
        state = store.sync_state(src.key)
        store.close()
        assert state and state["events"]["mode"] == "ctag"
    finally:
        radicale.refuse_sync = False


def test_window_past_what_was_read_reads_again(radicale: Radicale, fresh: Any,
                                               tmp_path: Path) -> None:
    config = caldav_config(tmp_path, fresh([ICS / "weekly_moved_cancelled_exdate.ics"]))
    src = source(config)
    poll(src, *WINDOW, BERLIN)
    radicale.requests.clear()
    later = (WINDOW[0] + timedelta(days=45), WINDOW[1] + timedelta(days=45))
    poll(src, *later, BERLIN)
    assert ("REPORT", urlpath(config)) in radicale.requests and len(radicale.requests) > 1


# -- identity, principal and calendar by name ----------------------------------------------


def test_principal_and_calendar_by_display_name_and_user_addresses(
        radicale: Radicale, fresh: Any, tmp_path: Path) -> None:
    from manageup.history import history_of

    url = fresh([ICS / "weekly_moved_cancelled_exdate.ics"])
    name = url.rstrip("/").rsplit("/", 1)[1]
    config = caldav_config(tmp_path, radicale.url + "/alex/", calendar=name)
    # The same calendar where the user is invited under another address of theirs.
    other = replace(config, me=replace(config.me, email="alex.w@corp.example"))
    radicale.addresses = ["mailto:Alex@Example.com", "/alex/"]
    try:
        src = source(other)
        occs = poll(src, *WINDOW, BERLIN).occurrences
    finally:
        radicale.addresses = []
    assert occs, "found the collection by its display name"
    emails = {a.email for o in occs for a in o.attendees}
    assert "alex.w@corp.example" in emails and "alex@example.com" not in emails
    assert detect(occs, other)
    assert history_of(occs, other)


def test_unknown_calendar_name_lists_the_ones_there(radicale: Radicale, fresh: Any,
                                                    tmp_path: Path) -> None:
    fresh([])
    config = caldav_config(tmp_path, radicale.url + "/alex/", calendar="No such")
    with pytest.raises(SourceError, match=r"no calendar named 'No such'.*found: .*cal"):
        poll(source(config), *WINDOW, BERLIN)


# -- faults: one clear error for that calendar, the others keep working --------------------


def test_each_fault_is_one_clear_error_and_the_others_keep_working(
        radicale: Radicale, fresh: Any, tmp_path: Path) -> None:
    from manageup.cycle import gather

    good = fresh([ICS / "weekly_moved_cancelled_exdate.ics"])
    down = f"http://127.0.0.1:{free_port()}/alex/work/"
    tables = "".join(
        f'[[calendars]]\ntype = "caldav"\nname = "{n}"\nurl = "{u}"\nusername = "alex"\n\n'
        for n, u in (("good", good), ("missing", radicale.url + "/alex/nothing-here/"),
                     ("down", down), ("wrongpw", good)))
    _, config = _write(tmp_path, tables.removeprefix("[[calendars]]\n"))
    sources = [CaldavSource(c, config, password="wrong" if c.name == "wrongpw" else PASSWORD)
               for c in config.calendars]
    gathered = gather(sources, config, NOW)
    assert {o.uid for o in gathered.occurrences} == {"weekly@example.com"}
    assert len(gathered.failures) == 3
    by_name = {f.split(":")[0]: f for f in gathered.failures}
    assert "no calendar at" in by_name["missing"] and "check calendars.url" in by_name["missing"]
    assert "cannot reach 127.0.0.1" in by_name["down"]
    assert "refused the login of 'alex'" in by_name["wrongpw"]
    assert "manageup secret set caldav" in by_name["wrongpw"]
    for f in gathered.failures:
        assert "\n" not in f and "Traceback" not in f and PASSWORD not in f


def test_password_from_password_command(fresh: Any, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    config = caldav_config(tmp_path, fresh([ICS / "weekly_moved_cancelled_exdate.ics"]),
                           password_command=f"printf {PASSWORD}")
    import keyring

    monkeypatch.setattr(keyring, "get_password", lambda *a: None)
    occs = poll(CaldavSource(config.calendars[0], config), *WINDOW, BERLIN).occurrences
    assert occs


def test_config_needs_an_http_url(tmp_path: Path) -> None:
    from manageup.errors import ConfigError

    # No username is no authentication (issue 23): only the address is wrong here.
    with pytest.raises(ConfigError) as err:
        _write(tmp_path, 'type = "caldav"\nurl = "ftp://x"\n')
    text = str(err.value)
    assert "calendars[0].url:" in text and "calendars[0].username:" not in text
    with pytest.raises(ConfigError, match=r"calendars\[0\]\.url: no login in the address"):
        _write(tmp_path, 'type = "caldav"\nurl = "https://alex:pw@dav.example.com/alex/"\n'
                         'username = "alex"\n')


def test_doctor_says_signed_in_and_found_or_what_to_fix(
        radicale: Radicale, fresh: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from manageup.doctor import run_checks

    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "caldav").write_text(PASSWORD)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    url = fresh([ICS / "weekly_moved_cancelled_exdate.ics"])
    path, _ = _write(tmp_path, f'type = "caldav"\nname = "work"\nurl = "{url}"\n'
                               'username = "alex"\n')
    lines = [line for ok, line in run_checks(str(path), NOW) if line.startswith("caldav work")]
    assert lines[-1].startswith("caldav work: signed in as alex, calendar") and "found" in lines[-1]
    (creds / "caldav").write_text("wrong")
    checks = [(ok, line) for ok, line in run_checks(str(path), NOW)
              if line.startswith("caldav work")]
    assert checks[-1][0] is False and "manageup secret set caldav" in checks[-1][1]


def test_no_password_anywhere_is_one_error_naming_the_calendar(
        fresh: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        memory_keyring: Any) -> None:
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    config = caldav_config(tmp_path, fresh([]))
    with pytest.raises(SourceError, match=r"^work: no caldav password found") as e:
        poll(CaldavSource(config.calendars[0], config), *WINDOW, BERLIN)
    assert "manageup secret set caldav" in str(e.value)


def test_password_from_the_keyring_via_secret_set(
        fresh: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: Any,
        capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    url = fresh([ICS / "weekly_moved_cancelled_exdate.ics"])
    path, config = _write(tmp_path, f'type = "caldav"\nname = "work"\nurl = "{url}"\n'
                                    'username = "alex"\n')
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["--config", str(path), "secret", "set", "caldav"]) == 0
    assert memory_keyring.values[("manageup", "caldav")] == PASSWORD
    assert poll(CaldavSource(config.calendars[0], config), *WINDOW, BERLIN).occurrences


def test_a_read_only_fetch_saves_nothing(fresh: Any, tmp_path: Path) -> None:
    config = caldav_config(tmp_path, fresh([ICS / "weekly_moved_cancelled_exdate.ics"]))
    src = source(config)
    assert src.fetch(*WINDOW, BERLIN).occurrences  # preview, doctor, a dry run
    assert src.fetch(*WINDOW, BERLIN).unchanged  # the state is carried in memory instead
    store = Store.open(config.store.path)
    try:
        assert store.sync_state(src.key) is None
    finally:
        store.close()


def test_a_corrected_password_is_used_at_the_next_poll(
        fresh: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        memory_keyring: Any) -> None:
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    config = caldav_config(tmp_path, fresh([ICS / "weekly_moved_cancelled_exdate.ics"]))
    memory_keyring.values[("manageup", "caldav")] = "typo"
    src = CaldavSource(config.calendars[0], config)  # the daemon's, kept between cycles
    with pytest.raises(SourceError, match="refused the login"):
        poll(src, *WINDOW, BERLIN)
    memory_keyring.values[("manageup", "caldav")] = PASSWORD  # `manageup secret set caldav`
    assert poll(src, *WINDOW, BERLIN).occurrences


# -- a new user's addresses and passwords ------------------------------------------------------


@pytest.mark.parametrize("where", ["/alex/", "/"])
def test_a_principal_or_home_url_without_calendar_name_lists_the_calendars(
        radicale: Radicale, fresh: Any, tmp_path: Path, where: str) -> None:
    fresh([ICS / "weekly_moved_cancelled_exdate.ics"])
    config = caldav_config(tmp_path, radicale.url + where)
    with pytest.raises(SourceError, match=r"not a calendar.*calendars\.calendar") as e:
        poll(source(config), *WINDOW, BERLIN)
    assert "\n" not in str(e.value) and "'cal" in str(e.value)


def test_a_non_ascii_password_logs_in(radicale: Radicale, fresh: Any, tmp_path: Path) -> None:
    url = fresh([ICS / "weekly_moved_cancelled_exdate.ics"])
    users = Path(radicale.app.configuration.get("auth", "htpasswd_filename"))
    before = users.read_text()
    users.write_text("alex:Pässwörd-日本\n", encoding="utf-8")
    try:
        config = caldav_config(tmp_path, url)
        got = poll(CaldavSource(config.calendars[0], config, password="Pässwörd-日本"),
                   *WINDOW, BERLIN)
    finally:
        users.write_text(before)
    assert got.occurrences


# -- hostile servers ---------------------------------------------------------------------------


GARBAGE = [("207 Multi-Status", [("Content-Type", "application/xml")],
            b"<?xml version='1.0'?><D:multistatus xmlns:D='DAV:'><D:response><D:href>"),
           ("207 Multi-Status", [("Content-Type", "application/xml")], b"\x00\xff garbage"),
           ("207 Multi-Status", [("Content-Type", "text/html")],
            b"<html><body>Login to the captive portal</body></html>")]


@pytest.mark.parametrize("answer", GARBAGE, ids=["truncated", "binary", "html"])
def test_a_garbage_multistatus_is_one_clear_error_and_the_others_keep_working(
        radicale: Radicale, fresh: Any, tmp_path: Path, answer: Any) -> None:
    from manageup.cycle import gather

    good = fresh([ICS / "weekly_moved_cancelled_exdate.ics"])
    bad = fresh([ICS / "weekly_moved_cancelled_exdate.ics"])
    tables = "".join(
        f'[[calendars]]\ntype = "caldav"\nname = "{n}"\nurl = "{u}"\nusername = "alex"\n\n'
        for n, u in (("good", good), ("bad", bad)))
    _, config = _write(tmp_path, tables.removeprefix("[[calendars]]\n"))
    sources = [CaldavSource(c, config, password=PASSWORD) for c in config.calendars]
    radicale.faults[("REPORT", urlsplit_path(bad))] = answer
    try:
        gathered = gather(sources, config, NOW)
    finally:
        radicale.faults.clear()
    assert {o.calendar for o in gathered.occurrences} == {"good"}
    assert len(gathered.failures) == 1 and gathered.failures[0].startswith("bad:")
    assert "\n" not in gathered.failures[0] and "Traceback" not in gathered.failures[0]
    assert "cannot read" in gathered.failures[0]
    assert "check calendars.url" in gathered.failures[0]


def urlsplit_path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path


def test_an_external_entity_in_a_multistatus_reads_no_local_file(
        radicale: Radicale, fresh: Any, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-42")
    url = fresh([ICS / "weekly_moved_cancelled_exdate.ics"])
    config = caldav_config(tmp_path, url)
    xml = (f"<?xml version='1.0'?><!DOCTYPE m [<!ENTITY x SYSTEM 'file://{secret}'>]>"
           "<D:multistatus xmlns:D='DAV:'><D:response><D:href>/alex/&x;.ics</D:href>"
           "<D:propstat><D:prop><D:getetag>&x;</D:getetag></D:prop>"
           "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
           "<D:sync-token>&x;</D:sync-token></D:multistatus>").encode()
    radicale.faults[("REPORT", urlsplit_path(url))] = (
        "207 Multi-Status", [("Content-Type", "application/xml")], xml)
    try:
        with contextlib.suppress(SourceError):
            poll(source(config), *WINDOW, BERLIN)
    finally:
        radicale.faults.clear()
    assert b"TOPSECRET" not in config.store.path.read_bytes()


@pytest.mark.parametrize("status", ["403 Forbidden", "409 Conflict"])
def test_a_forgotten_sync_token_in_any_status_reads_the_window_again(
        radicale: Radicale, fresh: Any, tmp_path: Path, status: str) -> None:
    url = fresh([ICS / "weekly_moved_cancelled_exdate.ics"])
    config = caldav_config(tmp_path, url)
    src = source(config)
    want = [o.key for o in poll(src, *WINDOW, BERLIN).occurrences]
    xml = b'<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:valid-sync-token/></D:error>'
    radicale.faults[("REPORT", urlsplit_path(url))] = (
        status, [("Content-Type", "application/xml")], xml)
    radicale.once = True
    try:
        got = poll(src, *WINDOW, BERLIN)
        assert not radicale.faults  # the refusal was answered
    finally:
        radicale.faults.clear()
        radicale.once = False
    assert [o.key for o in got.occurrences] == want


def test_a_redirect_to_another_host_gets_no_password(
        radicale: Radicale, fresh: Any, tmp_path: Path) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str] = []

    class Other(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_PROPFIND(self) -> None:
            seen.append(self.headers.get("Authorization") or "")
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="x"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_REPORT = do_GET = do_PROPFIND

    other = ThreadingHTTPServer(("127.0.0.1", free_port()), Other)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    url = fresh([ICS / "weekly_moved_cancelled_exdate.ics"])
    config = caldav_config(tmp_path, url)
    target = f"http://localhost:{other.server_address[1]}/alex/"
    for method in ("PROPFIND", "REPORT"):
        radicale.faults[(method, "/")] = ("301 Moved Permanently", [("Location", target)], b"")
    try:
        with pytest.raises(SourceError) as e:
            poll(source(config), *WINDOW, BERLIN)
    finally:
        radicale.faults.clear()
        other.shutdown()
        other.server_close()
    assert seen and not any(PASSWORD in a or a.startswith("Basic") for a in seen)
    assert PASSWORD not in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("url", ["https://alex:pa/ss@dav.example.com/alex/",
                                 "https://alex:pa\\\\ss@dav.example.com/alex/",
                                 "https://alex:s3cret@dav.example.com:8443/alex/"])
def test_a_login_in_the_address_is_refused_even_with_odd_characters(
        tmp_path: Path, url: str) -> None:
    from manageup.errors import ConfigError

    with pytest.raises(ConfigError, match=r"calendars\[0\]\.url: no login in the address") \
            as err:
        _write(tmp_path, f'type = "caldav"\nurl = "{url}"\nusername = "alex"\n')
    assert "pa/ss" not in str(err.value) and "s3cret" not in str(err.value)
