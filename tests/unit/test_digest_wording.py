"""What the digest tells the user to do and how it words its numbers, tried as a user would
read them: every command it names runs, and no line contradicts the one beside it."""

from __future__ import annotations

import re
import shlex
from datetime import timedelta

import pytest

from manageup.cli import build_parser
from manageup.compose import compose
from manageup.detect import detect
from manageup.history import history_of
from manageup.render import render
from manageup.sources.ics import parse_occurrences
from manageup.store import Store
from tests.conftest import ICS, at

NOW = at("2026-12-02T17:00+01:00")


def _setup(make_config, calendar=ICS / "weekly_moved_cancelled_exdate.ics", now=NOW):
    _p, cfg = make_config(calendar)
    occs = parse_occurrences(calendar.read_bytes(), now - timedelta(days=90),
                             now + timedelta(days=14), cfg.zone).occurrences
    match = next(m for m in detect(occs, cfg) if m.occurrence.start > now)
    return cfg, Store.open(cfg.store.path), match, history_of(occs, cfg)


def _commands(html: str) -> list[str]:
    return [c for c in re.findall(r"<code>(.*?)</code>", html) if c.startswith("manageup ")]


def test_every_command_the_digest_names_is_one_manageup_accepts(make_config) -> None:
    cfg, store, match, history = _setup(make_config)
    t = NOW - timedelta(days=10)
    for n in range(7):  # more than the digest shows of each: it points to the rest
        store.add_item("win", f"Win {n}", t + timedelta(hours=n))
        store.add_item("topic", f"Topic {n}", t + timedelta(hours=n))
        store.add_item("about", f"About {n}", t + timedelta(hours=n))
    rendered = render(compose(store.snapshot(), match, history, NOW, cfg))
    text = " ".join(rendered.text.split())
    named = _commands(rendered.html.replace("&#34;", '"').replace("&quot;", '"'))
    named += re.findall(r"manageup list[^)]*", text)
    assert any("win" in c for c in named) and any("about" in c for c in named)
    parser = build_parser()
    for command in named:
        try:
            parser.parse_args(shlex.split(command)[1:])
        except SystemExit:
            pytest.fail(f"the digest tells the user to run {command!r}, which manageup "
                        "rejects")


def test_a_packed_week_with_one_thing_to_lead_with_does_not_say_two(make_config) -> None:
    from manageup.model import BossWeek

    cfg, store, match, history = _setup(make_config)  # a new user: one question to lead with
    d = compose(store.snapshot(), match, history, NOW, cfg, BossWeek(31.5, None))
    assert d.packed and len(d.lead) == 1
    rendered = render(d)
    lead = rendered.text.split("0. Lead with")[1].split("1. The meeting")[0]
    assert "these two" not in lead and "week is packed" in lead
    assert "these two" not in rendered.html


def test_dates_a_year_away_carry_their_year(make_config) -> None:
    from datetime import date

    cfg, store, match, history = _setup(make_config)
    # Due next November: without the year it would read as due this week.
    store.add_item("owe", "Annual platform report", NOW - timedelta(days=2),
                   due=date(2027, 11, 30))
    store.add_item("need", "Sign-off on the rota", NOW - timedelta(days=2),
                   due=date(2026, 12, 9))
    store.add_note("Broaden into operations", NOW - timedelta(days=380), None,
                   "career-next-step")  # a question that asks for advice
    rendered = render(compose(store.snapshot(), match, history, NOW, cfg))
    text = " ".join(rendered.text.split())
    assert "due Tue 30 Nov 2027" in text
    assert "due Wed 09 Dec;" in text  # this year's dates stay short
    assert "On 17 Nov 2025 Sam Rivera advised" in text
    assert "due Tue 30 Nov 2027" in rendered.html
    assert "On 17 Nov 2025 Sam Rivera advised" in rendered.html


RLO, PDF = "\u202e", "\u202c"  # right-to-left override, and the mark that ends it


def test_a_right_to_left_override_in_calendar_or_item_text_stays_inside_it(make_config) -> None:
    """An unterminated override in an event's title would show the rest of the subject line
    backwards: "Prep: Sam / Alex <RLO>evil, Thu 03 Dec 10:00" reads "00:01 ceD 30 uhT ,live".
    Each untrusted text is closed where it ends, so manageup's own words and dates read
    as written."""
    cfg, store, match, history = _setup(make_config,
                                        ICS / "title_with_unterminated_rtl_override.ics")
    store.add_item("owe", f"Send {RLO}numbers", NOW - timedelta(days=2))
    rendered = render(compose(store.snapshot(), match, history, NOW, cfg))
    assert f"Sam / Alex {RLO}evil{PDF}, Thu 03 Dec 10:00" in rendered.subject
    assert f"Room {RLO}4.12{PDF}" in rendered.text
    assert f"Send {RLO}numbers{PDF} [#1;" in rendered.text
    assert f"Send {RLO}numbers{PDF}" in rendered.html


def test_a_new_user_is_not_told_career_has_gone_quiet(make_config) -> None:
    """Day one, nothing recorded: "career has not come up" is no news yet, and the first
    question worth the time is what the boss's goals are (DESIGN, section 3)."""
    cfg, store, match, history = _setup(make_config)
    d = compose(store.snapshot(), match, history, NOW, cfg)
    assert not d.career.stale
    (q,) = d.lead
    assert q.text == f"Ask: {d.learn_goals[0].text}" and q.detail == "no goal of theirs on record"
    assert "Career has not come up" not in render(d).text

    # Used for longer than digest.career_stale_days without career coming up: now it is.
    store.add_item("need", "Budget sign-off", NOW - timedelta(days=50))
    d = compose(store.snapshot(), match, history, NOW, cfg)
    assert d.career.stale and d.career.days_since is None
    assert "Career has not come up yet." in render(d).text


def test_a_boss_who_cancels_every_1on1(make_config) -> None:
    cfg, store, match, history = _setup(make_config, ICS / "boss_cancels_every_instance.ics")
    d = compose(store.snapshot(), match, history, NOW, cfg)
    r = d.relationship
    assert (r.held, r.expected, r.cancelled) == (0, 4, 4)
    assert "".join(c.letter for c in r.strip) == "CCCC"
    text = " ".join(render(d).text.split())
    assert "0 of 4 expected 1:1s held in the last 90 days; 4 cancelled by Sam Rivera." in text
    assert "None of the last 4 took place: 4 cancelled by Sam Rivera." in text
    assert "4 of the last 4" not in text
    assert "No 1:1 held yet; 4 cancelled." in text  # not "no earlier 1:1 on record"


def test_no_history_yet_is_said_once(make_config) -> None:
    now = at("2026-11-01T12:00+01:00")  # before the series' first 1:1 on 5 Nov
    cfg, store, match, history = _setup(make_config, now=now)
    rendered = render(compose(store.snapshot(), match, history, now, cfg))
    six = rendered.text.split("6. The relationship")[1].split("7. Wins")[0]
    assert " ".join(six.split()).count("in the last 90 days") == 1, six
    assert "0 1:1s" not in rendered.text and "0 1:1s" not in rendered.html
    assert "0 cancelled, 0 moved" not in rendered.html


def test_a_win_kept_for_a_later_1on1_is_not_called_a_topic(make_config) -> None:
    from datetime import date

    cfg, store, match, history = _setup(make_config)
    store.add_item("win", "Launch numbers", NOW - timedelta(days=1), due=date(2026, 12, 20))
    rendered = render(compose(store.snapshot(), match, history, NOW, cfg))
    assert "1 win or topic is kept for a later 1:1." in rendered.text
    assert "1 win or topic kept for a later 1:1." in rendered.html
    assert "1 topic" not in rendered.text + rendered.html


def test_a_boss_who_never_held_one_is_asked_to_rebook(make_config) -> None:
    """Issue 26.3's rebook nudge after a cancellation came only after a 1:1 had been held:
    a new user whose boss called off every 1:1 so far got none, though the relationship
    section says none took place. The slot called off last (in the two weeks before) is
    asked back, as after a held one."""
    cfg, store, match, history = _setup(make_config, ICS / "boss_cancels_every_instance.ics")
    d = compose(store.snapshot(), match, history, NOW, cfg)
    assert d.since is None  # nothing held: no recap
    assert any(p.text == "Ask to rebook the 1:1 Sam Rivera called off (Thu 26 Nov)"
               for p in d.lead), d.lead
    assert "Ask to rebook the 1:1 Sam Rivera called off (Thu 26 Nov)" in \
        " ".join(render(d).text.split("1. The meeting")[0].split())
