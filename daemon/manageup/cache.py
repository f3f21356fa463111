"""What one process computed that the next can reuse: compiled templates and a calendar's
selected occurrences, in the XDG cache folder (~/.cache/manageup), or under systemd the
one its unit's CacheDirectory= made writable ($CACHE_DIRECTORY).

A cache is only ever a shortcut. Files are private (0600 in a 0700 folder), written
atomically, and anything wrong with them (missing, corrupt, unwritable, a folder that is
not ours) means computing again, never an error.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)


def base_dir() -> Path:
    """Where the cache lives. Under the units' ProtectSystem=strict only the folder systemd
    names in $CACHE_DIRECTORY is writable; the XDG one may differ (XDG_CACHE_HOME set in
    the shell that ran `service install` but not in the user manager)."""
    given = os.environ.get("CACHE_DIRECTORY", "").split(":")[0]
    if os.path.isabs(given):
        return Path(given)
    import platformdirs

    return Path(platformdirs.user_cache_dir("manageup"))


def private_dir(*parts: str) -> Path | None:
    """<cache>/<parts>, created 0700; None when it cannot be made ours."""
    base = base_dir()
    path = base.joinpath(*parts)
    try:
        base.parent.mkdir(parents=True, exist_ok=True)
        # Every level that is manageup's own is made 0700, not only the last one.
        for level in [base, *(base.joinpath(*parts[:i + 1]) for i in range(len(parts)))]:
            level.mkdir(mode=0o700, exist_ok=True)
            st = level.lstat()
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
                log.debug("cache folder %s is not ours; caching off", level)
                return None
            if stat.S_IMODE(st.st_mode) != 0o700:
                level.chmod(0o700)
        return path
    except OSError as e:
        log.debug("no cache folder at %s (%s); caching off", path, e)
        return None


def code_stamp(names: Iterable[str]) -> list[tuple[str, int, int]]:
    """Each module's (name, size, mtime): a cache entry made by other code is not reused."""
    stamp = []
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
            origin = spec.origin if spec else None
            st = os.stat(origin) if origin else None
        except (ImportError, ValueError, OSError):
            st = None
        stamp.append((name, st.st_size, st.st_mtime_ns) if st else (name, 0, 0))
    return stamp


def write_atomic(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never half of one. mkstemp makes it 0600."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
