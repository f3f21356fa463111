"""The passes over a feed's raw bytes answer as their plain versions do."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from manageup.sources.ics.lines import longest_line_over


def plain(raw: bytes, limit: int) -> int:
    longest = max(map(len, raw.split(b"\n")), default=0)
    return longest if longest > limit else 0


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 120), st.sampled_from([b"\n", b"\r\n"])),
                max_size=30), st.integers(1, 50))
def test_longest_line_over_matches_splitting(lines: list[tuple[int, bytes]],
                                             limit: int) -> None:
    raw = b"".join(b"x" * n + end for n, end in lines)
    for data in (raw, raw.rstrip(b"\r\n"), raw + b"y" * (limit + 1)):
        assert longest_line_over(data, limit) == plain(data, limit)
