"""Files holding the user's notes: 0600 in 0700 folders, temporary files created
exclusively, and a symlink at the export path followed to its target, never replaced."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

from manageup.cli import main
from manageup.store import Store
from tests.conftest import at

NOW = at("2026-11-20T09:00+01:00")


def mode(p: Path) -> int:
    return p.stat().st_mode & 0o777


def test_store_and_backups_are_private_in_private_folders(tmp_path: Path) -> None:
    db = tmp_path / "new" / "deeper" / "s.sqlite3"
    store = Store.open(db)
    store.add_item("need", "Private", NOW)
    made = store.daily_backup(tmp_path / "bk" / "daily", date(2026, 11, 20))
    assert made is not None
    assert (mode(db), mode(db.parent), mode(db.parent.parent)) == (0o600, 0o700, 0o700)
    assert (mode(made), mode(made.parent), mode(made.parent.parent)) == (0o600, 0o700, 0o700)


def _setup(make_config, tmp_path: Path) -> Path:
    cfg_path, _cfg = make_config()
    assert main(["--config", str(cfg_path), "add", "need", "Secret plan"]) == 0
    return cfg_path


def test_export_file_is_private_and_its_temp_file_cannot_be_planted(make_config,
                                                                   tmp_path: Path) -> None:
    cfg = _setup(make_config, tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch")
    out = tmp_path / "export.json"
    os.symlink(victim, tmp_path / "export.json.tmp")  # the name a predictable temp would use
    assert main(["--config", str(cfg), "export", "-o", str(out)]) == 0
    assert victim.read_text() == "do not touch"
    assert mode(out) == 0o600
    assert json.loads(out.read_text())["items"][0]["text"] == "Secret plan"


def test_export_onto_a_symlink_writes_its_target(make_config, tmp_path: Path) -> None:
    cfg = _setup(make_config, tmp_path)
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "notes.md"
    target.write_text("old")
    link = tmp_path / "notes.md"
    os.symlink(target, link)
    assert main(["--config", str(cfg), "export", "--format", "markdown", "-o", str(link)]) == 0
    assert link.is_symlink() and link.resolve() == target
    assert "Secret plan" in target.read_text() and mode(target) == 0o600


def test_a_symlink_planted_at_the_store_path_is_refused(make_config, tmp_path: Path,
                                                         capsys) -> None:
    """Someone who can write the state folder links the store name elsewhere: manageup
    must not create (0644, by SQLite) or write the notes at the link's target."""
    cfg, config = make_config()
    target = tmp_path / "elsewhere.sqlite3"
    config.store.path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, config.store.path)
    # A config problem (store.path names no store file): exit 2, as the README says.
    assert main(["--config", str(cfg), "add", "need", "Secret plan"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "symbolic link" in err and "store.path" in err
    assert not target.exists()


def test_a_folder_at_the_store_path_is_named_as_such(make_config, capsys) -> None:
    cfg, config = make_config()
    config.store.path.mkdir(parents=True)
    for argv in (["list"], ["export"], ["run", "--once"]):
        assert main(["--config", str(cfg), *argv]) == 2  # a config problem
        err = capsys.readouterr().err
        assert "is a folder" in err and "store.path" in err and "disk" not in err, err


def test_a_symlink_or_folder_at_the_lock_path_is_one_error_line(make_config, tmp_path: Path,
                                                                 capsys) -> None:
    cfg, config = make_config()
    assert main(["--config", str(cfg), "add", "need", "Secret plan"]) == 0
    lock = config.store.path.with_name(config.store.path.name + ".lock")
    target = tmp_path / "elsewhere"
    for plant in (lambda: os.symlink(target, lock), lock.mkdir):
        if lock.is_dir():
            lock.rmdir()
        else:
            lock.unlink(missing_ok=True)
        plant()
        capsys.readouterr()
        assert main(["--config", str(cfg), "run", "--once", "--now",
                     "2026-11-20T09:00+01:00"]) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err and str(lock) in err and "remove it" in err, err
        assert not target.exists()
