"""Files that hold the user's notes (archived digests, Maildir messages): created 0600, in
folders created 0700, never written through a symlink planted in their place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def private_dir(path: Path) -> None:
    """Create path and each missing parent 0700. Folders that already exist are left as
    they are: they may be the user's own, shared with other tools."""
    missing = []
    while not path.exists():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another process
            folder.mkdir(mode=0o700)


def write_private(path: Path, data: bytes) -> None:
    """Replace path atomically: the data goes to a fresh temporary file beside it (random
    name, created exclusively, 0600), then is renamed over path. A symlink at path is
    replaced, never followed."""
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
