"""Files that hold the user's notes (store, backups, export, archive, Maildir messages):
created 0600, in folders created 0700, through a temporary file with a random name created
exclusively beside the target, so no planted symlink can redirect the write. And files
read that must be files: a named pipe or a device there is said, not waited on."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import tempfile
from pathlib import Path

from manageup.errors import ManageupError


def private_dir(folder: Path) -> None:
    """Create folder and each missing parent 0700. Folders that already exist are left as
    they are: they may be the user's own, shared with other tools."""
    missing = []
    p = folder
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another process
            d.mkdir(mode=0o700)


def replace_private(path: Path, data: bytes) -> None:
    """Replace path atomically (fsync, then rename). A symlink at path is replaced, never
    followed: in manageup's own folders a link is something planted. Raises OSError."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    done = False
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        done = True
    finally:
        if not done:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def write_private(path: Path, text: str) -> None:
    """Write a file the user named (e.g. `export -o`). A symlink there is the user's
    choice: its target is written and the link stays. Errors become one clear message."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if not target.parent.is_dir() and target != path:
        raise ManageupError(f"cannot write {path}: it links to {target}, whose folder does "
                            "not exist")
    try:
        if target.exists() and not target.is_file():
            # A device or a pipe (/dev/stdout): nothing to replace, write into it. Never
            # rename over it: as root that would replace /dev/full with a plain file.
            with open(target, "w", encoding="utf-8") as out:
                out.write(text)
            return
        private_dir(target.parent)
        replace_private(target, text.encode("utf-8"))
    except OSError as e:
        hint = "; free some space" if e.errno == errno.ENOSPC else ""
        raise ManageupError(f"cannot write {path}: {e.strerror}{hint}") from None


def not_a_file(mode: int) -> str:
    """What a path with this st_mode is when it is not a regular file, for a message
    ("is a folder"); "" for a regular file."""
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "is a folder"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device"
    if stat.S_ISSOCK(mode):
        return "is a socket"
    return "is not a regular file"


class NotAFile(OSError):
    """The path is there but is not a regular file; str() says what it is instead."""


def open_file(path: Path) -> io.BufferedReader:
    """`path` (or what a link there points to) opened for reading, when it is a regular
    file; else NotAFile. Opened without waiting (a named pipe with no writer holds an
    open forever) and checked on the open file, so nothing swapped in after a check is
    read (/dev/zero never ends)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    what = not_a_file(os.fstat(fd).st_mode)
    if what:
        os.close(fd)
        raise NotAFile(what)
    return open(fd, "rb")
