"""HTTP answers read whole, but never larger than a calendar's max_bytes nor slower than
its timeout in all: a server that sends without end, or a byte at a time, is one clear
error for that calendar instead of all memory or a cycle that never ends.

requests' own timeout is per socket read, and it reads a whole body into memory before
anyone can look at its size; so the body is streamed here, a read at a time (read1 returns
what has arrived, so a dripping answer reaches the deadline check), and inflated no
further than the limit (download.whole_body, as for .ics feeds).
"""

from __future__ import annotations

import time
from typing import Any

from manageup.errors import SourceError
from manageup.sources.download import whole_body

CHUNK = 64 * 1024
ENCODINGS = "gzip, deflate"  # what whole_body can inflate within the limit


def read_whole(r: Any, label: str, deadline: float, max_bytes: int, timeout: float) -> bytes:
    """The body of a response asked for with stream=True, decoded; closes it."""
    try:
        parts, size = [], 0
        read = getattr(r.raw, "read1", None) or r.raw.read
        while chunk := read(CHUNK, decode_content=False):
            parts.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                raise SourceError(f"{label}: the server's answer is over {max_bytes} bytes; "
                                  "raise calendars.max_bytes if the calendar is really "
                                  "that big")
            if time.monotonic() > deadline:
                raise SourceError(f"{label}: the server's answer did not arrive within "
                                  f"{timeout:g} s; the next poll tries again, or raise "
                                  "calendars.timeout")
        return whole_body(b"".join(parts), r.headers, label, max_bytes)
    finally:
        r.close()


def keep(r: Any, data: bytes) -> Any:
    """The response, its body already read: `content`, `text` and `json()` answer from
    what requests keeps a read body in."""
    r._content, r._content_consumed = data, True
    return r


class BoundedSession:
    """The library's HTTP session, each answer read whole but no larger than max_bytes
    and no slower than `timeout` seconds in all."""

    def __init__(self, session: Any, label: str, timeout: float, max_bytes: int) -> None:
        self._session = session
        self.label, self.timeout, self.max_bytes = label, timeout, max_bytes
        self.challenge = ""  # the WWW-Authenticate of the last 401
        self._deadline = 0.0  # of the request under way

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = dict(kwargs.get("headers") or {})
        headers["Accept-Encoding"] = ENCODINGS
        # Each answer is read here as it arrives, before the library reads a redirect's
        # body whole to follow it (the hook sees every hop).
        hooks = dict(kwargs.get("hooks") or {})
        hooks["response"] = [*_listed(hooks.get("response")), self._read]
        kwargs.update(headers=headers, stream=True, hooks=hooks)
        self._bound_challenges(kwargs.get("auth"))
        self._deadline = time.monotonic() + self.timeout
        r = self._session.request(method, url, **kwargs)
        if r.status_code == 401:  # which schemes the server asks for, should it refuse ours
            self.challenge = str(r.headers.get("WWW-Authenticate") or "")
        return self._read(r)

    def _read(self, r: Any, **_kwargs: Any) -> Any:
        if r._content_consumed:
            return r
        return keep(r, read_whole(r, self.label, self._deadline, self.max_bytes, self.timeout))

    def _bound_challenges(self, auth: Any) -> None:
        """Digest's handler reads a 401's body whole itself (without end, were it endless)
        before answering the challenge: the body is read here first, within the limits."""
        inner = getattr(auth, "handle_401", None)
        if inner is None or getattr(auth, "bounded", False):
            return

        def handle_401(r: Any, **kwargs: Any) -> Any:
            return inner(self._read(r), **kwargs)

        auth.handle_401, auth.bounded = handle_401, True

    def close(self) -> None:
        self._session.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


def _listed(hooks: Any) -> list[Any]:
    return [] if hooks is None else [hooks] if callable(hooks) else list(hooks)
