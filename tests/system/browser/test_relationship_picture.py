"""The relationship's last six months in the HTML part (issue 26.7), in headless Chromium,
over the quarter of benchmarks/quarter.py (week 13, 30 Mar 2027): Jan to Mar have 1:1s
and ratings; Oct to Dec nothing. Screenshots land in tests/output/ to be looked at."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from benchmarks.quarter import played
from tests.system.browser.test_digest_html import OUTPUT, browser  # noqa: F401 (fixture)
from tests.system.test_digest_learns import html_part

LIGHT = {"good": "rgb(46, 125, 50)", "some": "rgb(178, 106, 0)", "poor": "rgb(179, 38, 30)",
         "none": "rgb(138, 150, 163)"}
DARK = {"good": "rgb(129, 201, 149)", "some": "rgb(253, 214, 99)",
        "poor": "rgb(242, 139, 130)", "none": "rgb(91, 103, 118)"}


@pytest.fixture(scope="module")
def week13(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("picture")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp / "cache"))
        q = played(tmp)
        out = tmp / "week13.html"
        out.write_text(html_part(q, "Tuesday 30 March"))
        return out


@pytest.mark.parametrize("width", [375, 1024])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_six_months_drawn_in_coloured_cells(browser: Browser, week13: Path,  # noqa: F811
                                            width: int, scheme: str) -> None:
    html = week13.read_text()
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page.goto(week13.as_uri())
    colours = DARK if scheme == "dark" else LIGHT
    names = page.locator("table.months td.month-name").all_inner_texts()
    assert names == ["Oct", "Nov", "Dec", "Jan", "Feb", "Mar"]
    rows = page.locator("table.months tr")
    held = rows.nth(1).locator("td.month").all_inner_texts()
    felt = rows.nth(2).locator("td.month").all_inner_texts()
    # Jan: 4 planned, all held (one moved); Feb: 4 planned, 2 held (W6, W7 lost);
    # Mar to the 29th: 4 planned, 3 held (W10 cancelled). Ratings by the month given.
    assert held == ["–", "–", "–", "4/4", "2/4", "3/4"]
    assert felt == ["–", "–", "–", "3.5", "2.5", "3.7"]
    expect = ["none"] * 3 + ["good", "some", "good"], ["none"] * 3 + ["some", "poor", "some"]
    for row, want in zip((1, 2), expect, strict=True):
        cells = rows.nth(row).locator("td.month")
        for i, state in enumerate(want):
            bg = cells.nth(i).evaluate("e => getComputedStyle(e).backgroundColor")
            assert bg == colours[state], (row, i, bg)
            box = cells.nth(i).bounding_box()
            assert box["height"] >= 20 and box["x"] + box["width"] <= width
    # The colours are in the cells' own style attribute: what survives a mail client that
    # drops <style> (the part is inlined by css-inline).
    assert 'title="Jan: 4 of 4 held" style="' in html
    assert "background:#2e7d32;" in html.split('title="Jan: 4 of 4 held" style="', 1)[1] \
        .split('"', 1)[0].replace(" ", "")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    OUTPUT.mkdir(exist_ok=True)
    page.locator("td.section", has=page.locator("h2#s6")).screenshot(
        path=str(OUTPUT / f"months-{width}-{scheme}.png"))
    page.close()
