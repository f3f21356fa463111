"""A CalDAV calendar's login as people really set it up: a local Radicale with
`auth none` and no username, a password never sent in clear to another host, and a
CalDAV user's own export read back by `import` (issue 23, point 2)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from manageup import cli
from manageup.errors import ConfigError
from manageup.sources.caldav import CaldavSource
from manageup.store import Store
from tests.conftest import BERLIN, ICS
from tests.integration.test_caldav import (  # noqa: F401  (fixtures)
    NOW,
    WINDOW,
    Radicale,
    _write,
    caldav_config,
    fresh,
    poll,
    radicale,
)

WEEKLY = ICS / "weekly_moved_cancelled_exdate.ics"


@pytest.fixture(scope="module")
def open_radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    """Radicale with `[auth] type = none`, as a local install often runs."""
    server = Radicale(tmp_path_factory.mktemp("open"), login=False)
    yield server
    server.stop()


def test_no_username_reads_a_server_without_authentication(
        open_radicale: Radicale, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        memory_keyring: object) -> None:
    from manageup.doctor import run_checks

    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)  # no password anywhere
    url = open_radicale.make_calendar("nologin", [WEEKLY])
    path, config = _write(tmp_path, f'type = "caldav"\nname = "work"\nurl = "{url}"\n')
    got = poll(CaldavSource(config.calendars[0], config), *WINDOW, BERLIN)
    assert {o.uid for o in got.occurrences} == {"weekly@example.com"}
    assert not any(a.startswith("Basic") for a in open_radicale.authorizations)
    lines = [(ok, line) for ok, line in run_checks(str(path), NOW)
             if line.startswith("caldav work")]
    assert lines and all(ok for ok, _ in lines), lines
    # An empty username says the same as none at all.
    _, same = _write(tmp_path, f'type = "caldav"\nname = "work"\nurl = "{url}"\n'
                               'username = ""\n')
    assert poll(CaldavSource(same.calendars[0], same), *WINDOW, BERLIN).occurrences


def test_no_username_on_a_server_that_asks_for_a_login_says_to_set_one(
        fresh: object, tmp_path: Path) -> None:  # noqa: F811
    from manageup.errors import SourceError

    url = fresh([WEEKLY])  # type: ignore[operator]
    _, config = _write(tmp_path, f'type = "caldav"\nname = "work"\nurl = "{url}"\n')
    with pytest.raises(SourceError) as e:
        poll(CaldavSource(config.calendars[0], config), *WINDOW, BERLIN)
    assert "calendars.username" in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("host", ["dav.example.com", "192.168.1.10", "[2001:db8::1]"])
def test_a_password_over_plain_http_to_another_host_is_refused_at_load(
        tmp_path: Path, host: str) -> None:
    with pytest.raises(ConfigError, match=r"calendars\[0\]\.url: .*https://") as e:
        _write(tmp_path, f'type = "caldav"\nurl = "http://{host}/alex/work/"\n'
                         'username = "alex"\n')
    assert "password" in str(e.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:5232/alex/work/",
                                 "http://localhost:5232/alex/work/",
                                 "http://localhost.localdomain:5232/alex/work/",
                                 "http://[::1]:5232/alex/work/",
                                 "https://dav.example.com/alex/work/"])
def test_loopback_or_https_with_a_password_loads(tmp_path: Path, url: str) -> None:
    _, config = _write(tmp_path, f'type = "caldav"\nurl = "{url}"\nusername = "alex"\n')
    assert config.calendars[0].url == url


def test_plain_http_to_another_host_without_a_login_loads(tmp_path: Path) -> None:
    _, config = _write(tmp_path, 'type = "caldav"\nurl = "http://dav.lan/alex/work/"\n')
    assert not config.calendars[0].username


def test_a_caldav_users_own_export_imports_back(
        fresh: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    url = fresh([WEEKLY])  # type: ignore[operator]
    config = caldav_config(tmp_path, url)
    src = CaldavSource(config.calendars[0], config, password="s3cret-dav")
    poll(src, *WINDOW, BERLIN)  # the sync state a CalDAV user's store holds
    path = tmp_path / "config.toml"
    assert cli.main(["--config", str(path), "export", "--format", "json"]) == 0
    exported = capsys.readouterr().out
    assert any(r["calendar"].startswith("caldav:")
               for r in json.loads(exported)["sync_state"])
    dump = tmp_path / "export.json"
    dump.write_text(exported)
    config.store.path.unlink()
    assert cli.main(["--config", str(path), "import", str(dump)]) == 0, capsys.readouterr()
    store = Store.open(config.store.path)
    try:
        state = store.sync_state(src.key)
    finally:
        store.close()
    assert state and state["events"]["resources"]
    assert cli.main(["--config", str(path), "doctor"]) in (0, 1)
    assert "sync_state row" not in capsys.readouterr().out
