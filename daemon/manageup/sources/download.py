"""One http(s) feed fetched whole or not at all, within one deadline.

urllib's timeout applies to each socket operation: a server dripping a byte at a time
never trips it. The download runs in a worker thread the caller waits for until the
deadline; an abandoned worker stops at its next read and its bytes are thrown away. A
body is accepted only when it arrived whole (Content-Length met, gzip stream ended), and
only then are its validators (ETag, Last-Modified) kept for the next conditional GET.
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from manageup.errors import SourceError

CHUNK = 64 * 1024


@dataclass
class _Box:
    """What the worker hands back; `abandoned` is set when the caller stops waiting."""

    data: bytes = b""
    headers: Message | None = None
    error: BaseException | None = None
    abandoned: threading.Event = field(default_factory=threading.Event)


def download(opener: urllib.request.OpenerDirector, url: str, label: str, timeout: float,
             max_bytes: int, validators: dict[str, str]) -> bytes | None:
    """The feed's bytes, or None on a 304 to a conditional GET. Updates `validators` only
    after the body arrived whole."""
    req = urllib.request.Request(url, headers={"User-Agent": "manageup",
                                               "Accept-Encoding": "gzip"})
    conditional = bool(validators)
    if "etag" in validators:
        req.add_header("If-None-Match", validators["etag"])
    if "last-modified" in validators:
        req.add_header("If-Modified-Since", validators["last-modified"])
    box = _Box()
    deadline = time.monotonic() + timeout
    worker = threading.Thread(target=_fetch, args=(opener, req, timeout, max_bytes, box),
                              name=f"fetch {label}", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    if worker.is_alive():
        box.abandoned.set()
        raise SourceError(f"{label}: the feed did not arrive within {timeout:g} s; check the "
                          "server, or raise calendars.timeout")
    if box.error is not None:
        _failed(box.error, label, conditional)  # raises, except for a fitting 304
        return None
    assert box.headers is not None
    data = whole_body(box.data, box.headers, label, max_bytes)
    validators.clear()
    for h in ("etag", "last-modified"):
        if box.headers.get(h):
            validators[h] = box.headers[h]
    return data


def _fetch(opener: urllib.request.OpenerDirector, req: urllib.request.Request,
           timeout: float, max_bytes: int, box: _Box) -> None:
    try:
        with opener.open(req, timeout=timeout) as resp:
            box.headers = resp.headers
            parts, size = [], 0
            while not box.abandoned.is_set():
                chunk = resp.read1(CHUNK)
                if not chunk:
                    break
                parts.append(chunk)
                size += len(chunk)
                if size > max_bytes:  # compressed or not, more than we would ever keep
                    break
            box.data = b"".join(parts)
    except BaseException as e:  # handed to the caller, who turns it into one message
        box.error = e


def _failed(error: BaseException, label: str, conditional: bool) -> None:
    """Turn what the worker raised into one message; a 304 to a conditional GET is the
    only thing that is not an error."""
    if isinstance(error, SourceError):
        raise error
    if isinstance(error, urllib.error.HTTPError):
        if error.code == 304:
            if conditional:
                return
            raise SourceError(f"{label}: the server answered 304 Not Modified to a request "
                              "for the whole feed; check calendars.url") from None
        if error.code == 401:  # a feed's address needs no login; a CalDAV server's does
            raise SourceError(f"{label}: the server answered 401 {error.reason} (it wants a "
                              "login); use the calendar's secret .ics address in "
                              'calendars.url, or for a CalDAV server type = "caldav" (see '
                              "the README)") from None
        raise SourceError(f"{label}: the server answered {error.code} {error.reason}; "
                          "check calendars.url") from None
    if isinstance(error, http.client.HTTPException | ValueError):
        raise SourceError(f"{label}: the server sent a broken answer "
                          f"({type(error).__name__}); check calendars.url") from None
    if isinstance(error, urllib.error.URLError | OSError):
        reason = getattr(error, "reason", error)
        raise SourceError(f"{label}: cannot fetch the feed ({reason}); check the address "
                          "and your connection") from None
    raise SourceError(f"{label}: the feed could not be fetched ({type(error).__name__}: "
                      f"{error})") from None


def whole_body(raw: bytes, headers: Any, label: str, max_bytes: int) -> bytes:
    too_big = SourceError(f"{label}: feed is over {max_bytes} bytes; raise "
                          "calendars.max_bytes if it is really that big")
    if len(raw) > max_bytes:
        raise too_big
    length = headers.get("Content-Length", "")
    if length.isdigit() and "chunked" not in headers.get("Transfer-Encoding", "").lower() \
            and len(raw) != int(length):
        raise SourceError(f"{label}: the feed arrived cut short ({len(raw)} of {length} "
                          "bytes); it is read again next time")
    encoding = headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise SourceError(f"{label}: the server sent the feed encoded as {encoding!r}, "
                          "which manageup does not read")
    # A few KB can inflate to gigabytes: inflate at most one byte past the limit.
    inflate = zlib.decompressobj(zlib.MAX_WBITS | (16 if "gzip" in encoding else 0))
    try:
        data = inflate.decompress(raw, max_bytes + 1)
    except zlib.error as e:
        raise SourceError(f"{label}: the server sent a broken {encoding} feed ({e})") from None
    if len(data) > max_bytes or inflate.unconsumed_tail:
        raise too_big
    if not inflate.eof:
        raise SourceError(f"{label}: the feed arrived cut short (its {encoding} stream "
                          "ends early); it is read again next time")
    return data
