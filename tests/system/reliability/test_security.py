"""Secrets stay out of logs and files; files are private; CSS inlining never fetches."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from manageup.cli import main
from manageup.config import load_config
from manageup.cycle import make_sources, run_cycle
from manageup.deliver import make_transport
from manageup.store import Store
from tests.conftest import SmtpServer, at, serve_http

SECRET = "correct-horse-battery-staple-4711"


def test_secret_never_in_logs_store_or_export(example: Path, tmp_path: Path, monkeypatch,
                                              caplog, capsys) -> None:
    accepted = {"pw": SECRET}

    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == \
            accepted["pw"]
        return AuthResult(success=ok, handled=False)

    server = SmtpServer(authenticator=check, auth_require_tls=False)
    server.start()
    try:
        creds = tmp_path / "creds"
        creds.mkdir()
        (creds / "smtp").write_text(SECRET)
        monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
        cfg_path = example / "config.toml"
        cfg_path.write_text(cfg_path.read_text().replace(
            '[delivery]\nmethod = "maildir"\nmaildir = "state/Maildir"\n',
            server.delivery('username = "alex"')))
        cfg = load_config(cfg_path)
        caplog.set_level(logging.DEBUG)
        logging.getLogger("mail.log").setLevel(logging.DEBUG)  # aiosmtpd's own, too
        accepted["pw"] = "something-else"  # first a refused login...
        sources, transport = make_sources(cfg), make_transport(cfg)
        for minutes in (0, 70):
            store = Store.open(cfg.store.path)
            run_cycle(cfg, store, sources, transport,
                      at("2026-11-25T16:00+01:00") + timedelta(minutes=minutes))
            store.close()
            accepted["pw"] = SECRET  # ...then a good one
        assert len(server.handler.raw) == 1
        assert main(["--config", str(cfg_path), "-vv", "doctor"]) == 0
        assert main(["--config", str(cfg_path), "export", "--format", "json"]) == 0
        out = capsys.readouterr()
        for text in (caplog.text, out.out, out.err):
            assert SECRET not in text
        for f in (example / "state").rglob("*"):
            if f.is_file():
                assert SECRET.encode() not in f.read_bytes(), f
        assert SECRET not in cfg_path.read_text()
    finally:
        server.stop()


def test_files_are_private_and_a_readable_config_is_warned(example: Path, caplog) -> None:
    cfg = example / "config.toml"
    cfg.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        load_config(cfg)
    assert "readable by other users; run: chmod 600" in caplog.text
    assert main(["--config", str(cfg), "run", "--once", "--now",
                 "2026-11-25T16:00:00+01:00"]) == 0
    state = example / "state"
    assert (state / "manageup.sqlite3").stat().st_mode & 0o777 == 0o600
    (backup,) = (state / "backups").iterdir()
    assert backup.stat().st_mode & 0o777 == 0o600


class Counter(BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 - shared by the test server

    def do_GET(self) -> None:
        Counter.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"h2 { color: red }")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def css_server() -> Iterator[str]:
    Counter.hits = []
    with serve_http(Counter) as url:
        yield url


def test_css_inlining_never_fetches(example: Path, tmp_path: Path, css_server: str) -> None:
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    shipped = (Path(__file__).resolve().parents[3] / "templates" / "digest.html.j2").read_text()
    (tpl / "digest.html.j2").write_text(shipped.replace(
        "<style>", f'<link rel="stylesheet" href="{css_server}/link.css">\n'
                   f'<style>@import url("{css_server}/import.css");\n'))
    cfg = example / "config.toml"
    cfg.write_text(cfg.read_text().replace("[digest]", f'[digest]\ntemplates_dir = "{tpl}"'))
    out = tmp_path / "d.html"
    assert main(["--config", str(cfg), "preview", "--now", "2026-11-25T17:00:00+01:00",
                 "--html", str(out)]) == 0
    assert Counter.hits == []
    assert "color: red" not in out.read_text()
