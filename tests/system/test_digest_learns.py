"""Issue 26: a digest that learns. The quarter of benchmarks/quarter.py (thirteen Tuesday
1:1s with Sam from 5 Jan 2027: W3 moved to Wednesday, W5 cancelled and W6 deleted, a
21-day gap, W9 cancelled after its digest went out; a review after every 1:1 held),
driven through the command line with `--now`; each test reads the digests it left.
Weeks are counted from 1 (5 Jan) to 13 (30 Mar).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.quarter import Week, play, weeks
from manageup.config import parse_config
from tests.conftest import config_text
from tests.system.quarter_sim import Quarter, quarter


@pytest.fixture(scope="module")
def q(tmp_path_factory: pytest.TempPathFactory) -> Quarter:
    tmp = tmp_path_factory.mktemp("learns")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp / "cache"))

        def make_config(cal: Path, extra: str = ""):
            path = tmp / "config.toml"
            path.write_text(config_text(cal, tmp, extra))
            path.chmod(0o600)
            return path, parse_config(path.read_text(), path)

        sim = quarter(make_config, tmp)
        play(sim)
        yield sim


@pytest.fixture(scope="module")
def by_week(q: Quarter) -> dict[int, Week]:
    return {w.number: w for w in weeks(q)}


def flat(text: str) -> str:
    return " ".join(text.split())


def block(text: str, title: str) -> str:
    """A titled block of the text part, up to the next heading, unwrapped."""
    if title not in text:
        return ""
    rest = text.split(title, 1)[1]
    lines = rest.splitlines()
    out = []
    for a, b in zip(lines[2:], [*lines[3:], ""], strict=True):  # past the title's underline
        if b.strip() and set(b.strip()) == {"="}:
            break
        out.append(a)
    return flat("\n".join(out))


def test_since_your_last_1on1(by_week: dict[int, Week]) -> None:
    """After the Lead: what Sam answered, advised and what was agreed and done at the last
    1:1; what the calendar did in between. The first digest has no last 1:1."""
    assert "Since your last 1:1" not in by_week[1].text
    w2 = block(by_week[2].text, "Since your last 1:1 (Tue 05 Jan)")
    assert "Sam Rivera answered on Cut cloud spend 15% (why it matters): The board set it " \
        "for the year" in w2
    assert "Sam Rivera advised: Ask Lena for a monthly cost session" in w2
    assert "You learned: Wants bad news in writing first" in w2
    assert "Raised: Closed the audit findings [#9]" in w2
    assert "New: Moved the batch jobs to spot instances" in w2
    text = by_week[2].text
    assert text.index("0. Lead with") < text.index("Since your last 1:1") \
        < text.index("1. The meeting")
    # Agreed at W2's review: the job ad it wrote down; done since: the Q4 numbers.
    w3 = block(by_week[3].text, "Since your last 1:1 (Tue 12 Jan)")
    assert "Agreed: you owe Draft the SRE job ad" in w3
    assert "Done: owe Send the Q4 numbers [#2]" in w3
    assert "Calendar" not in w3  # nothing happened in the calendar: left out
    # Weeks 6 and 7 did not take place: the cancellation, the deletion and the gap.
    w8 = block(by_week[8].text, "Since your last 1:1 (Tue 02 Feb)")
    assert "Calendar: Tue 09 Feb cancelled by Sam Rivera; Tue 16 Feb deleted; 21 days since " \
        "your last 1:1, on Tue 02 Feb." in w8
    assert "New: risk On-call pages doubled after the migration" in w8
    w11 = block(by_week[11].text, "Since your last 1:1 (Tue 02 Mar)")
    assert "Tue 09 Mar cancelled by Sam Rivera" in w11
    assert "Changed: risk On-call pages doubled after the migration" in w11 \
        and "flagged Tue 02 Mar" in w11
