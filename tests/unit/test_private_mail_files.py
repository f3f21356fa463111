"""What holds the user's notes is private: archive files and Maildir messages 0600 in
folders created 0700, temporary files never at a name a planted symlink could redirect,
and a Maildir missing its tmp/new/cur folders still takes the mail."""

from __future__ import annotations

import os
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from manageup.cycle.digests import _archive
from manageup.deliver.maildir import MaildirTransport
from manageup.render import Rendered
from tests.conftest import at
from tests.mailcheck import checked_maildir

START = at("2026-11-26T10:00+01:00")


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the common default, under which files come out 0644
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def _mail() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = msg["To"] = "alex@example.com"
    msg["Subject"] = "Prep"
    msg["Date"] = "Wed, 25 Nov 2026 16:00:00 +0100"
    msg["Message-ID"] = "<" + "1" * 32 + "@manageup.invalid>"
    msg.set_content("what you think of your boss")
    return msg


def test_maildir_message_is_private(tmp_path: Path) -> None:
    box = tmp_path / "Mail" / "manageup"
    MaildirTransport(box).send(_mail())
    (new,) = (box / "new").iterdir()
    assert mode(new) == 0o600
    for folder in (tmp_path / "Mail", box, box / "tmp", box / "new", box / "cur"):
        assert mode(folder) == 0o700, folder
    assert len(checked_maildir(box)) == 1


def test_maildir_without_its_subfolders_still_delivers(tmp_path: Path) -> None:
    box = tmp_path / "Maildir"
    box.mkdir()  # what an older `doctor` left: the folder alone
    MaildirTransport(box).send(_mail())
    (box / "cur").rmdir()  # and a folder lost later
    MaildirTransport(box).send(_mail())
    assert len(checked_maildir(box)) == 2
    assert all((box / sub).is_dir() for sub in ("tmp", "new", "cur"))


def test_archive_is_private_and_ignores_a_planted_symlink(tmp_path: Path) -> None:
    folder = tmp_path / "notes" / "1on1"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    folder.mkdir(parents=True)
    planted = folder / "2026-11-26-1000-alex-sam-1-1.tmp"  # the name the archive used
    planted.symlink_to(victim)
    _archive(folder, START, "Alex / Sam 1:1", Rendered("Prep", "the digest", "<p>"))
    (md,) = folder.glob("*.md")
    assert md.read_text() == "# Prep\n\nthe digest"
    assert mode(md) == 0o600
    assert victim.read_text() == "keep me"
    fresh = tmp_path / "new-archive"
    _archive(fresh / "sub", START, "x", Rendered("Prep", "t", "h"))
    assert mode(fresh) == mode(fresh / "sub") == 0o700
    (md2,) = (fresh / "sub").iterdir()
    assert mode(md2) == 0o600
