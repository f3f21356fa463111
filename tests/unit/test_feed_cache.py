"""A fresh process reuses the previous one's occurrences only when nothing they depend on
changed, and then gives the same answers as a full parse of the whole feed."""

from __future__ import annotations

import os
import pickle
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from benchmarks.generate import generate, overrides
from manageup.config import Config, parse_config
from manageup.detect import detect
from manageup.history import history_of
from manageup.sources import FetchResult
from manageup.sources.ics import EXPAND_MARGIN, IcsSource, parse_occurrences
from tests.conftest import ICS, ROOT, at, config_text, serve_http

NOW = at("2026-11-25T16:00+01:00")
FIXTURE = ICS / "weekly_moved_cancelled_exdate.ics"


def config(feed: Path | str, tmp: Path, replace: tuple[str, str] = ("", ""),
           extra: str = "") -> Config:
    text = config_text(feed, tmp, extra)
    if replace[0]:
        text = text.replace(*replace)
    if str(feed).startswith("http"):
        text = text.replace(f'path = "{feed}"', f'url = "{feed}"')
    return parse_config(text)


def window(cfg: Config, now: datetime = NOW) -> tuple[datetime, datetime]:
    return now - timedelta(days=cfg.detect.history_days), now + cfg.detect.lookahead


def fetch(cfg: Config, now: datetime = NOW) -> FetchResult:
    """What one fresh process's first cycle reads."""
    return IcsSource(cfg.calendars[0], cfg).fetch(*window(cfg, now), cfg.zone)


Answers = tuple[list[tuple[str, str, str]], list[tuple[str, str]]]


def answers(occurrences: list, cfg: Config) -> Answers:  # type: ignore[type-arg]
    matches = [(m.occurrence.key, m.occurrence.start.isoformat(), m.reason)
               for m in detect(occurrences, cfg)]
    return matches, [(h.key, h.status) for h in history_of(occurrences, cfg)]


def full_parse(data: bytes, cfg: Config, now: datetime = NOW) -> Answers:
    """The whole feed parsed as the source parses its cut: over the window with the
    source's margin, then filtered to the window (a dense series' instance cap counts
    from the start of what is expanded)."""
    start, end = window(cfg, now)
    occs = parse_occurrences(data, start - EXPAND_MARGIN, end + EXPAND_MARGIN,
                             cfg.zone).occurrences
    return answers([o for o in occs if o.end > start and o.start < end], cfg)


def entries() -> list[Path]:
    return sorted(Path(os.environ["XDG_CACHE_HOME"], "manageup", "feeds").glob("*"))


def _same_occurrences(a: FetchResult, b: FetchResult) -> None:
    assert a.occurrences == b.occurrences
    for x, y in zip(a.occurrences, b.occurrences, strict=True):
        assert repr(x) == repr(y)  # same zone objects, same fields, not merely equal instants


FILES = [*sorted(ICS.glob("*.ics")), ROOT / "examples" / "calendar.ics"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_fixture_same_answers_cold_and_warm(path: Path, tmp_path: Path) -> None:
    feed = tmp_path / "feed.ics"
    shutil.copy(path, feed)
    cfg = config(feed, tmp_path)
    try:
        cold = fetch(cfg)
    except Exception as e:  # a feed manageup refuses is refused warm too
        with pytest.raises(type(e)):
            fetch(cfg)
        return
    warm = fetch(cfg)
    assert warm.unchanged  # nothing parsed: the previous process's occurrences
    _same_occurrences(cold, warm)
    assert warm.warnings == cold.warnings
    assert answers(warm.occurrences, cfg) == full_parse(feed.read_bytes(), cfg)


def test_generated_feed_same_answers_cold_and_warm(tmp_path: Path) -> None:
    feed = tmp_path / "big.ics"
    feed.write_text(generate(3000, seed=11), encoding="utf-8")
    cfg = config(feed, tmp_path)
    cold, warm = fetch(cfg), fetch(cfg)
    assert not cold.unchanged and warm.unchanged
    _same_occurrences(cold, warm)
    assert answers(warm.occurrences, cfg) == full_parse(feed.read_bytes(), cfg)
    assert answers(warm.occurrences, cfg)[0]  # the feed does hold 1:1s with the boss


def test_override_heavy_feed_same_answers_cold_and_warm(tmp_path: Path) -> None:
    """The boss's daily series and thousands of its moved and cancelled instances (issue
    29.1's shape): the cut-down read finds what the full parse finds."""
    feed = tmp_path / "overrides.ics"
    feed.write_text(overrides(3000, seed=3), encoding="utf-8")
    cfg = config(feed, tmp_path)
    cold, warm = fetch(cfg), fetch(cfg)
    assert not cold.unchanged and warm.unchanged
    _same_occurrences(cold, warm)
    assert answers(warm.occurrences, cfg) == full_parse(feed.read_bytes(), cfg)
    matches = answers(warm.occurrences, cfg)[0]
    assert len({key for key, _start, _reason in matches}) > 50  # the moved instances too


@pytest.mark.parametrize(("old", "new"), [
    ("SUMMARY:Sam / Alex", "SUMMARY:Sam / Alec"),  # what the digest shows
    ("mailto:sam@example.com", "mailto:tom@example.com"),  # whether it is a 1:1 at all
])
def test_feed_edited_with_same_size_and_mtime_is_read_again(tmp_path: Path, old: str,
                                                             new: str) -> None:
    feed = tmp_path / "feed.ics"
    shutil.copy(FIXTURE, feed)
    cfg = config(feed, tmp_path)
    before = fetch(cfg)
    st = feed.stat()
    data = feed.read_bytes().replace(old.encode(), new.encode())
    assert len(data) == st.st_size and data != FIXTURE.read_bytes()
    feed.write_bytes(data)
    os.utime(feed, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (feed.stat().st_size, feed.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    after = fetch(cfg)
    assert not after.unchanged
    assert answers(after.occurrences, cfg) == full_parse(data, cfg)
    assert after.occurrences != before.occurrences
    full = parse_occurrences(data, *window(cfg), cfg.zone,
                             calendar=cfg.calendars[0].label).occurrences
    assert [m.occurrence for m in detect(after.occurrences, cfg)] == [
        m.occurrence for m in detect(full, cfg)]


def test_touched_but_unchanged_feed_is_reused(tmp_path: Path) -> None:
    feed = tmp_path / "feed.ics"
    shutil.copy(FIXTURE, feed)
    cfg = config(feed, tmp_path)
    cold = fetch(cfg)
    os.utime(feed, ns=(1, 1))  # a new mtime, the same bytes (a copy, a sync tool)
    warm = fetch(cfg)
    assert warm.unchanged
    _same_occurrences(cold, warm)


CHANGES = {
    "boss address": (('email = "sam@example.com"', 'email = "nobody@example.com"'), ""),
    "boss alias": (('aliases = ["sam.rivera@old-domain.example"]',
                    'aliases = ["sam.rivera@old-domain.example", "sam2@example.com"]'), ""),
    "boss name": (('name = "Sam Rivera"', 'name = "Alex"'), ""),
    "title patterns": (("", ""), '[detect]\ntitle_patterns = ["Alex"]'),
    "max attendees": (("", ""), "[detect]\nmax_attendees = 1"),
    "my address": (('email = "alex@example.com"', 'email = "someone@example.com"'), ""),
    "time zone": (('timezone = "Europe/Berlin"', 'timezone = "Pacific/Auckland"'), ""),
    "lookahead": (("", ""), '[detect]\nlookahead = "90d"'),
    "history": (("", ""), "[detect]\nhistory_days = 400"),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_config_change_that_affects_detection_is_a_miss(tmp_path: Path, change: str) -> None:
    feed = tmp_path / "feed.ics"
    feed.write_bytes(FIXTURE.read_bytes() + b"")
    fetch(config(feed, tmp_path))
    replace, extra = CHANGES[change]
    cfg = config(feed, tmp_path, replace, extra)
    result = fetch(cfg)
    assert not result.unchanged
    assert answers(result.occurrences, cfg) == full_parse(feed.read_bytes(), cfg)
    assert fetch(cfg).unchanged  # and the new answers are kept in turn


@pytest.mark.parametrize("content", [
    b"", b"garbage\x00\xff" * 100, pickle.dumps([1, 2, 3]), pickle.dumps({"fp": "x"}),
    "truncated",
])
def test_corrupt_entry_is_ignored_and_rebuilt(tmp_path: Path, content: bytes | str) -> None:
    feed = tmp_path / "feed.ics"
    shutil.copy(FIXTURE, feed)
    cfg = config(feed, tmp_path)
    cold = fetch(cfg)
    [entry] = entries()
    good = entry.read_bytes()
    entry.write_bytes(good[: len(good) // 2] if content == "truncated" else content)
    again = fetch(cfg)
    _same_occurrences(cold, again)
    assert entry.read_bytes() != content and fetch(cfg).unchanged  # rebuilt


def test_entries_are_private(tmp_path: Path) -> None:
    feed = tmp_path / "feed.ics"
    shutil.copy(FIXTURE, feed)
    fetch(config(feed, tmp_path))
    [entry] = entries()
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(entry.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(entry.parent.parent.stat().st_mode) == 0o700
    assert [p.name for p in entry.parent.iterdir()] == [entry.name]  # no temporary left


def test_no_cache_folder_still_reads(tmp_path: Path) -> None:
    Path(os.environ["XDG_CACHE_HOME"]).mkdir(parents=True, exist_ok=True)
    Path(os.environ["XDG_CACHE_HOME"], "manageup").write_text("not a folder")
    feed = tmp_path / "feed.ics"
    shutil.copy(FIXTURE, feed)
    cfg = config(feed, tmp_path)
    assert answers(fetch(cfg).occurrences, cfg) == full_parse(feed.read_bytes(), cfg)


def test_restored_source_sees_later_edits_in_the_same_process(tmp_path: Path) -> None:
    """The daemon started from a cache entry: its next cycles still notice a change."""
    feed = tmp_path / "feed.ics"
    shutil.copy(FIXTURE, feed)
    cfg = config(feed, tmp_path)
    fetch(cfg)
    src = IcsSource(cfg.calendars[0], cfg)
    assert src.fetch(*window(cfg), cfg.zone).unchanged
    data = feed.read_bytes().replace(b"mailto:sam@example.com", b"mailto:sam@elsewhere.example")
    feed.write_bytes(data)
    later = src.fetch(*window(cfg), cfg.zone)
    assert answers(later.occurrences, cfg) == full_parse(data, cfg)
    # A week on, past the range the cached expansion covers.
    week = src.fetch(*window(cfg, NOW + timedelta(days=7)), cfg.zone)
    assert answers(week.occurrences, cfg) == full_parse(data, cfg, NOW + timedelta(days=7))


class Feed(BaseHTTPRequestHandler):
    body = FIXTURE.read_bytes()
    etag: str | None = '"v1"'
    seen: list[str | None] = []  # noqa: RUF012 - shared with the test

    def do_GET(self) -> None:
        Feed.seen.append(self.headers.get("If-None-Match"))
        if Feed.etag and self.headers.get("If-None-Match") == Feed.etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        if Feed.etag:
            self.send_header("ETag", Feed.etag)
        self.end_headers()
        self.wfile.write(Feed.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Feed.body, Feed.etag, Feed.seen = FIXTURE.read_bytes(), '"v1"', []
    with serve_http(Feed) as url:
        yield f"{url}/work.ics"


def test_url_feed_reused_on_304(server: str, tmp_path: Path) -> None:
    cfg = config(server, tmp_path)
    cold, warm = fetch(cfg), fetch(cfg)
    assert Feed.seen == [None, '"v1"']
    assert warm.unchanged
    _same_occurrences(cold, warm)


def test_url_feed_without_validators_reused_by_content_hash(server: str, tmp_path: Path) -> None:
    Feed.etag = None
    cfg = config(server, tmp_path)
    cold, warm = fetch(cfg), fetch(cfg)
    assert warm.unchanged
    _same_occurrences(cold, warm)
    Feed.body = FIXTURE.read_bytes().replace(b"mailto:sam@example.com", b"mailto:tom@example.com")
    changed = fetch(cfg)
    assert not changed.unchanged
    assert answers(changed.occurrences, cfg) == full_parse(Feed.body, cfg)


def test_fingerprint_is_the_same_in_every_process(tmp_path: Path) -> None:
    """A set's order differs between processes (hash randomisation); an entry keyed on it
    would never be found again."""
    cfg_path = tmp_path / "config.toml"
    cfg_path.write_text(config_text(FIXTURE, tmp_path))
    code = ("import sys; from manageup.config import parse_config; "
            "from manageup.sources.ics import IcsSource; "
            "from manageup.sources.ics.feedcache import fingerprint; "
            "c = parse_config(open(sys.argv[1]).read()); "
            "print(fingerprint(c.calendars[0], c))")
    prints = {subprocess.run([sys.executable, "-c", code, str(cfg_path)], check=True,
                             capture_output=True, text=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}).stdout
              for seed in ("1", "2", "3")}
    assert len(prints) == 1
