"""Heavy libraries load only where they are used: `--help` and a timer cycle that reuses the
previous process's occurrences and has nothing to send load none of them."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ICS, config_text

HEAVY = {"icalendar", "recurring_ical_events", "jinja2", "css_inline", "googleapiclient",
         "google_auth_oauthlib", "keyring"}
PROBE = f"""
import json, sys
from manageup.cli import main
code = main(sys.argv[1:])
print(json.dumps([code, sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})]))
"""


def loaded(*argv: str) -> tuple[int, list[str]]:
    out = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True,
                         check=True, env=os.environ.copy()).stdout
    code, modules = json.loads(out.strip().splitlines()[-1])
    return code, sorted({m.split(".")[0] for m in modules})


def test_help_loads_no_heavy_library() -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "manageup", "--help"],
                          capture_output=True, text=True, check=True, env=os.environ.copy())
    assert "usage:" in proc.stdout
    modules = {line.rsplit("|", 1)[-1].strip().split(".")[0]
               for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "manageup" in modules and not modules & HEAVY


def test_warm_timer_cycle_with_nothing_due_loads_no_heavy_library(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(config_text(ICS / "weekly_moved_cancelled_exdate.ics", tmp_path))
    cfg.chmod(0o600)
    args = ("--config", str(cfg), "-q", "run", "--once", "--now", "2026-11-23T09:00+01:00")
    code, first = loaded(*args)
    assert code == 0 and "icalendar" in first  # the first process parses
    code, second = loaded(*args)
    assert code == 0 and second == []


# What a verb that only reads an .ics feed never needs: mail transports, other providers,
# other verbs' modules, the store's import rules, and click (x_wr_timezone's command line,
# which a calendar without X-WR-TIMEZONE never reaches).
NOT_FOR_READING = {
    "smtplib", "ssl", "mailbox", "click", "googleapiclient", "msal", "caldav",
    "manageup.deliver", "manageup.accounts.google", "manageup.accounts.googleflow",
    "manageup.accounts.microsoft", "manageup.accounts.secrets",
    "manageup.review", "manageup.service", "manageup.store.validate", "manageup.cli.items",
    "manageup.cli.setup", "manageup.cli.review", "manageup.cli.service", "manageup.cli.account",
    "manageup.sources.google", "manageup.sources.caldav", "manageup.sources.microsoft",
    "manageup.sources.download",
}
MODULES = """
import json, sys
from manageup.cli import main
code = main(sys.argv[1:])
print(json.dumps([code, sorted(sys.modules)]))
"""


def modules_after(*argv: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", MODULES, *argv], capture_output=True,
                         text=True, check=True, env=os.environ.copy()).stdout
    code, modules = json.loads(out.strip().splitlines()[-1])
    assert code == 0
    return set(modules)


def ics_only(tmp_path: Path) -> tuple[str, ...]:
    cfg = tmp_path / "config.toml"
    cfg.write_text(config_text(ICS / "weekly_moved_cancelled_exdate.ics", tmp_path))
    cfg.chmod(0o600)
    return "--config", str(cfg), "-q"


NOW = ("--now", "2026-11-23T09:00+01:00")


# What a verb that only asks (meetings, preview) never needs: the cycle that sends (its
# outbox, its run, the sign-ins it marks dead), nor importlib.resources to find a file that
# lies beside the module reading it.
NOT_FOR_ASKING = {"manageup.cycle.context", "manageup.cycle.outbox", "manageup.cycle.run",
                  "manageup.cycle.reminders", "manageup.cycle.signin", "manageup.accounts",
                  "importlib.resources"}


def test_preview_of_an_ics_feed_loads_no_delivery_nor_other_verbs(tmp_path: Path) -> None:
    loaded = modules_after(*ics_only(tmp_path), "preview", *NOW)
    assert {"icalendar", "jinja2", "manageup.render"} <= loaded  # it did parse and render
    # nor explain.py's diagnosis of why none is found: it found one
    assert sorted(loaded & (NOT_FOR_READING | NOT_FOR_ASKING | {"manageup.explain"})) == []


def test_preview_inlines_css_only_for_the_html_part(tmp_path: Path) -> None:
    assert "css_inline" not in modules_after(*ics_only(tmp_path), "preview", *NOW)
    page = tmp_path / "digest.html"
    assert "css_inline" in modules_after(*ics_only(tmp_path), "preview", "--html", str(page),
                                         *NOW)
    assert 'style="' in page.read_text()  # the CSS went into the elements


def test_meetings_of_an_ics_feed_loads_no_rendering(tmp_path: Path) -> None:
    loaded = modules_after(*ics_only(tmp_path), "meetings", "--json", *NOW)
    assert "icalendar" in loaded
    not_needed = NOT_FOR_READING | NOT_FOR_ASKING | {"jinja2", "css_inline", "manageup.compose",
                                    "manageup.render", "manageup.digestmodel", "email.utils"}
    assert sorted(loaded & not_needed) == []


def test_first_timer_cycle_with_nothing_due_loads_no_mail_library(tmp_path: Path) -> None:
    loaded = modules_after(*ics_only(tmp_path), "run", "--once", *NOW)
    assert "icalendar" in loaded
    not_needed = (NOT_FOR_READING - {"manageup.deliver"}) | {
        "jinja2", "css_inline", "email.headerregistry", "manageup.deliver.message",
        "manageup.deliver.smtp", "manageup.digestmodel"}
    assert sorted(loaded & not_needed) == []


def test_help_loads_no_command_module() -> None:
    # argparse ends the process on --help: the modules are listed as it exits.
    proc = subprocess.run([sys.executable, "-c",
                           "import atexit, json, sys\n"
                           "atexit.register(lambda: print(json.dumps(sorted(sys.modules))))\n"
                           "from manageup.cli import main\nmain(['--help'])\n"],
                          capture_output=True, text=True, env=os.environ.copy())
    loaded = set(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert "manageup.cli.parser" in loaded and "dataclasses" not in loaded
    assert sorted(m for m in loaded if m.startswith("manageup.") and m not in {
        "manageup.cli", "manageup.cli.output", "manageup.cli.parser", "manageup.cli.table",
        "manageup.cli.verbs", "manageup.errors", "manageup.kinds"}) == []



# Beyond argparse and the verb table, `--help` needs nothing: no `typing` (the table's
# classes are plain), no errors, logging or any module a verb's run needs.
NOT_FOR_HELP = {"typing", "collections.abc", "dataclasses", "inspect", "logging", "json",
                "datetime", "pathlib", "tomllib", "zoneinfo", "sqlite3", "importlib.util",
                "manageup.errors", "manageup.cli.output", "manageup.cli.context"}


def test_help_loads_nothing_past_argparse_and_the_verb_table() -> None:
    # Only what `--help` itself imports: the interpreter's start-up (site and the .pth
    # files of this environment) has loaded its own set before.
    proc = subprocess.run([sys.executable, "-c",
                           "import atexit, json, sys\n"
                           "before = set(sys.modules)\n"
                           "atexit.register(lambda: print(json.dumps(sorted(\n"
                           "    set(sys.modules) - before))))\n"
                           "from manageup.cli import main\nmain(['--help'])\n"],
                          capture_output=True, text=True, env=os.environ.copy())
    assert "usage: manageup" in proc.stdout
    loaded = set(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert {"argparse", "manageup.cli.verbs"} <= loaded
    assert sorted(loaded & NOT_FOR_HELP) == []


PARSERS = """
import argparse, atexit, sys
built = []
init = argparse.ArgumentParser.__init__
def counted(self, *args, **kwargs):
    built.append(kwargs.get("prog"))
    init(self, *args, **kwargs)
argparse.ArgumentParser.__init__ = counted
atexit.register(lambda: print(built))
from manageup.cli import main
main(sys.argv[1:])
"""


def test_help_builds_no_verbs_parser_and_a_verb_only_its_own() -> None:
    # Each argparse parser costs three gettext look-ups for its headings (files searched
    # for every language in $LANGUAGE, $LANG...): `--help` lists the verbs without them.
    def built(*argv: str) -> list[str]:
        out = subprocess.run([sys.executable, "-c", PARSERS, *argv], capture_output=True,
                             text=True, env=os.environ.copy()).stdout
        return ast.literal_eval(out.strip().splitlines()[-1])

    assert built("--help") == ["manageup"]
    assert built("preview", "--help") == ["manageup", "manageup preview"]

QUERY = """
import json, sys
from datetime import datetime
from zoneinfo import ZoneInfo
import icalendar
from manageup.sources.ics.recurrence import _query
ny = ZoneInfo("America/New_York")
before = "click" in sys.modules
cal = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
found = _query(cal).between(datetime(2026, 10, 1, tzinfo=ny), datetime(2026, 12, 1, tzinfo=ny))
print(json.dumps([before, [e["DTSTART"].dt.astimezone(ny).strftime("%d %H:%M") for e in found],
                  "click" in sys.modules]))
"""


def queried_alone(name: str) -> tuple[bool, list[str], bool]:
    out = subprocess.run([sys.executable, "-c", QUERY, str(ICS / name)], capture_output=True,
                         text=True, check=True, env=os.environ.copy()).stdout
    before, starts, after = json.loads(out.strip().splitlines()[-1])
    return before, starts, after


def test_x_wr_timezone_loads_only_for_a_calendar_that_has_it() -> None:
    assert queried_alone("weekly_moved_cancelled_exdate.ics")[::2] == (False, False)
    # Written in UTC, meant in New York: the wall clock stays at 10:00 across the change
    # to winter time (1 November), which only x_wr_timezone's conversion gives.
    assert queried_alone("google_x_wr_timezone_across_dst.ics") == \
        (False, ["29 10:00", "05 10:00"], True)


def test_warm_timer_cycle_loads_no_feed_reading_nor_digest_code(tmp_path: Path) -> None:
    args = (*ics_only(tmp_path), "run", "--once", *NOW)
    modules_after(*args)  # the first process parses and leaves its result for the next
    loaded = modules_after(*args)
    assert sorted(loaded & {"manageup.sources.ics.prefilter", "manageup.sources.ics.precut",
                            "manageup.sources.ics.parse", "manageup.digestmodel",
                            "manageup.compose", "manageup.render", "email.utils",
                            "socket"}) == []
    assert "manageup.model" in loaded  # the occurrences themselves
