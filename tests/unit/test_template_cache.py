"""Compiled templates are kept across processes and never outlive a change to the template."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from manageup.cycle import make_digest
from manageup.detect import detect
from manageup.history import history_of
from manageup.render import environment
from manageup.sources.ics import parse_occurrences
from manageup.store import Store
from tests.conftest import ICS, at

NOW = at("2026-12-02T17:00+01:00")
FEED = ICS / "weekly_moved_cancelled_exdate.ics"


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    environment.cache_clear()  # a new process: no Environment in memory yet
    yield home / "manageup"
    environment.cache_clear()


def _render(make_config, extra: str = ""):  # type: ignore[no-untyped-def]
    """What one fresh process renders."""
    environment.cache_clear()
    _p, cfg = make_config(FEED, extra)
    occs = parse_occurrences(FEED.read_bytes(), NOW - timedelta(days=90),
                             NOW + timedelta(days=14), cfg.zone).occurrences
    match = next(m for m in detect(occs, cfg) if m.occurrence.start > NOW)
    store = Store.open(cfg.store.path)
    try:
        return make_digest(store, match, history_of(occs, cfg), NOW, cfg)[1]
    finally:
        store.close()


def _compiled(home: Path) -> list[Path]:
    return sorted(p for p in home.glob("templates-*/*") if p.is_file())


def test_templates_are_compiled_once_into_a_private_cache(make_config, cache_home: Path) -> None:
    first = _render(make_config)
    files = _compiled(cache_home)
    assert len(files) == 3  # subject, text and HTML parts
    assert stat.S_IMODE(cache_home.stat().st_mode) == 0o700
    assert stat.S_IMODE(files[0].parent.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    before = {f: f.stat().st_mtime_ns for f in files}
    again = _render(make_config)
    assert again == first
    assert {f: f.stat().st_mtime_ns for f in _compiled(cache_home)} == before  # reused


def test_edited_user_template_same_size_same_mtime_is_compiled_again(
        make_config, cache_home: Path, tmp_path: Path) -> None:
    tdir = tmp_path / "tpl"
    tdir.mkdir()
    tpl = tdir / "subject.txt.j2"
    tpl.write_text("Mine: {{ d.meeting.title }}")
    extra = f'[digest]\ntemplates_dir = "{tdir}"'
    assert _render(make_config, extra).subject == "Mine: Sam / Alex"
    st = tpl.stat()
    tpl.write_text("Ours: {{ d.meeting.title }}")  # same size
    os.utime(tpl, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime
    assert _render(make_config, extra).subject == "Ours: Sam / Alex"


@pytest.mark.parametrize("garbage", [b"", b"j2", b"not a cache file at all" * 10])
def test_corrupt_compiled_template_is_ignored_and_rebuilt(make_config, cache_home: Path,
                                                          garbage: bytes) -> None:
    first = _render(make_config)
    for f in _compiled(cache_home):
        f.write_bytes(garbage if garbage != b"j2" else f.read_bytes()[:20])  # cut short
    assert _render(make_config) == first
    assert all(f.stat().st_size > 100 for f in _compiled(cache_home))  # written anew


def test_no_usable_cache_folder_still_renders(make_config, cache_home: Path) -> None:
    cache_home.parent.mkdir(parents=True)
    cache_home.write_text("a file where the folder should be")
    assert "Sam / Alex" in _render(make_config).subject
