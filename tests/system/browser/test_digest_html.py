"""The example digest's HTML part in headless Chromium (Debian's /usr/bin/chromium).

Screenshots land in tests/output/ for a person to look at; the assertions go through the DOM.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from manageup.cli import main
from tests.conftest import ROOT

OUTPUT = ROOT / "tests" / "output"
NOW = "2026-11-25T17:00:00+01:00"
GMAIL_CLIP = 102 * 1024
HEADINGS = ["0. Lead with", "1. The meeting", "2. Open asks", "3. Sam Rivera's goals",
            "4. Risks to flag", "5. Career", "6. The relationship", "7. Wins and talking points"]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(exe).exists(), "Chromium is needed: scripts/test installs Debian's chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=FLAGS)
        yield b
        b.close()


def _html(example: Path, tmp_path: Path, notes: bool = True) -> Path:
    if notes:
        assert main(["--config", str(example / "config.toml"), "import",
                     str(example / "notes.json")]) == 0
    out = tmp_path / "digest.html"
    assert main(["--config", str(example / "config.toml"), "preview", "--now", NOW,
                 "--html", str(out)]) == 0
    return out


@pytest.mark.parametrize("width", [375, 1024])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_example_digest_in_chromium(browser: Browser, example: Path, tmp_path: Path,
                                    width: int, scheme: str) -> None:
    html = _html(example, tmp_path)
    assert html.stat().st_size < GMAIL_CLIP
    text = html.read_text()
    assert "<script" not in text and "<link" not in text and "@import" not in text
    assert "@media (prefers-color-scheme: dark)" in text  # kept as an at-rule
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    # Any request beyond the file itself would be an external asset: none is allowed.
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(html.as_uri())
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"digest-{width}-{scheme}.png"), full_page=True)
    assert requests == [html.as_uri()]

    for heading in HEADINGS:
        h = page.locator("h2", has_text=heading)
        assert h.count() == 1 and h.is_visible(), heading
    # Nothing wider than the viewport: no sideways scrolling on a phone.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    button = page.locator("a.button")
    assert button.get_attribute("href") == "https://meet.example.com/abc-defg-hij"
    assert button.bounding_box()["height"] >= 30  # a tap target, not a bare link
    # The overdue commitment and the unprepared risk stand out in red.
    overdue = page.locator("li.overdue", has_text="Send the Q4 reliability numbers").first
    border = overdue.evaluate("e => getComputedStyle(e).borderLeftColor")
    assert border == "rgb(179, 38, 30)"
    assert page.locator("li.prep", has_text="payments migration").count() == 1
    bg = page.evaluate("getComputedStyle(document.querySelector('table.card')).backgroundColor")
    assert bg == ("rgb(27, 32, 38)" if scheme == "dark" else "rgb(255, 255, 255)")
    page.close()


LIGHT = {"tell": "rgb(179, 38, 30)", "held": "rgb(46, 125, 50)",
         "moved": "rgb(178, 106, 0)", "cancelled": "rgb(179, 38, 30)"}
DARK = {"tell": "rgb(255, 138, 128)", "held": "rgb(129, 201, 149)",
        "moved": "rgb(253, 214, 99)", "cancelled": "rgb(242, 139, 130)"}


@pytest.mark.parametrize("width", [375, 1024])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_lead_with_and_the_strip(browser: Browser, example: Path, tmp_path: Path,
                                 width: int, scheme: str) -> None:
    html = _html(example, tmp_path)
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page.goto(html.as_uri())
    OUTPUT.mkdir(exist_ok=True)
    colours = DARK if scheme == "dark" else LIGHT

    # Lead with comes first, right under the header, with three points in order.
    lead = page.locator("h2#s0")
    assert lead.inner_text() == "0. Lead with"
    assert lead.bounding_box()["y"] < page.locator("h2#s1").bounding_box()["y"]
    points = page.locator("li.lead-point")
    assert points.count() == 3
    texts = points.all_inner_texts()
    assert texts[0].startswith("Say it first: Send the Q4 reliability numbers")
    assert texts[1].startswith("Ask for: Sam's view on splitting the on-call rota")
    assert texts[2].startswith("Ask: ")
    assert all(points.nth(i).is_visible() for i in range(3))
    # Numbered 1, 2, 3: each point stays a list item whatever other styles it meets.
    displays = points.evaluate_all("es => es.map(e => getComputedStyle(e).display)")
    assert displays == ["list-item"] * 3
    tell = points.first.evaluate("e => getComputedStyle(e).color")
    assert tell == colours["tell"]
    block = page.locator("td.section", has=lead)
    block.screenshot(path=str(OUTPUT / f"lead-{width}-{scheme}.png"))

    # The strip: one cell per past 1:1, oldest first, each a readable tap-size square
    # inside the viewport; its colour says held, moved or cancelled.
    cells = page.locator("td.strip-cell")
    letters = "".join(cells.all_inner_texts())
    assert letters == "HHHHHMHHCHH"
    for i in range(cells.count()):
        box = cells.nth(i).bounding_box()
        assert box["width"] >= 20 and box["height"] >= 20
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
    state = {"H": "held", "M": "moved", "C": "cancelled"}
    for i, letter in enumerate(letters):
        bg = cells.nth(i).evaluate("e => getComputedStyle(e).backgroundColor")
        assert bg == colours[state[letter]], (i, letter, bg)
    assert cells.nth(8).get_attribute("title") == "Thu 05 Nov: cancelled by Sam Rivera"
    assert page.locator("table.strip img").count() == 0
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.locator("table.strip").screenshot(path=str(OUTPUT / f"strip-{width}-{scheme}.png"))
    page.locator("td.section", has=page.locator("h2#s6")).screenshot(
        path=str(OUTPUT / f"relationship-{width}-{scheme}.png"))
    page.close()


def test_empty_sections_collapse_to_one_line(browser: Browser, example: Path,
                                             tmp_path: Path) -> None:
    html = _html(example, tmp_path, notes=False)
    page = browser.new_page(viewport={"width": 375, "height": 900})
    page.goto(html.as_uri())
    assert page.locator("h2").count() == 8  # Lead with: the first question to ask
    assert page.locator("p.empty", has_text="No wins or topics noted.").is_visible()
    assert page.locator("p.empty", has_text="Nothing to flag.").is_visible()
    page.close()


def test_preview_open_uses_the_default_browser(example: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    opened = tmp_path / "opened.txt"
    fake = tmp_path / "fake-browser"
    fake.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("BROWSER", str(fake))
    monkeypatch.setitem(os.environ, "DISPLAY", "")
    out = tmp_path / "d.html"
    assert main(["--config", str(example / "config.toml"), "preview", "--now", NOW,
                 "--html", str(out), "--open"]) == 0
    assert opened.read_text().strip() == out.resolve().as_uri()
