"""The CLI end to end through main(argv), with the bundled example in a temp dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from manageup.cli import main
from tests.mailcheck import checked_maildir

NOW = "2026-11-25T17:00:00+01:00"


def run(example: Path, *args: str) -> int:
    return main(["--config", str(example / "config.toml"), *args])


def tree(path: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_meetings_json_contract(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(example, "meetings", "--now", NOW, "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["start"] for r in rows] == ["2026-11-26T10:00:00+01:00",
                                         "2026-12-03T10:00:00+01:00"]
    for r in rows:
        assert {"uid", "start", "end", "title", "reason"} <= set(r)
        assert r["uid"] == "weekly-1on1-sam-alex@example.com"
        assert "organizer" in r["reason"]
    assert rows[0]["digest_due"] == "2026-11-25T16:00:00+01:00"


def test_a_1on1_in_two_calendars_is_listed_once(example: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """The same meeting read from a shared calendar and the user's own is one 1:1."""
    config = example / "config.toml"
    table = '[[calendars]]\ntype = "ics"\nname = "work"\npath = "calendar.ics"\n'
    text = config.read_text()
    assert table in text
    config.write_text(text.replace(table, table.replace("work", "own") + "\n"
                                   + table.replace("work", "shared")))
    assert run(example, "meetings", "--now", NOW, "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["start"] for r in rows] == ["2026-11-26T10:00:00+01:00",
                                         "2026-12-03T10:00:00+01:00"]
    assert {r["calendar"] for r in rows} == {"own"}


def test_example_preview_has_all_seven_sections(example: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert run(example, "import", str(example / "notes.json")) == 0
    capsys.readouterr()
    html = example / "out.html"
    assert run(example, "preview", "--now", NOW, "--html", str(html)) == 0
    out = capsys.readouterr().out
    for needle in ("1. The meeting", "Join: https://meet.example.com/abc-defg-hij",
                   "Ask Sam to speak to Dana", "6 days late at the 1:1", "Cut cloud spend",  # Lead
                   "Ask next (what gets in the way)", "PREPARE: how it will not happen again",
                   "Lead a cross-team project", "10 of 12 expected 1:1s held",
                   "Deploy time down", "Conference budget"):
        assert needle in out, needle
    assert "<h2" in html.read_text() and "Sam Rivera" in html.read_text()


def test_dry_run_changes_nothing_on_disk(example: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert run(example, "import", str(example / "notes.json")) == 0
    before = tree(example)
    assert run(example, "run", "--once", "--dry-run", "--now", NOW) == 0
    out = capsys.readouterr().out
    assert "Subject: Prep: Alex / Sam 1:1, Thu 26 Nov 10:00" in out  # Sam named once
    assert tree(example) == before


def test_dry_run_without_a_store_creates_none(example: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert run(example, "run", "--once", "--dry-run", "--now", NOW) == 0
    assert not (example / "state").exists()
    assert "2. Open asks" in capsys.readouterr().out


def test_run_once_delivers_to_maildir_once(example: Path) -> None:
    assert run(example, "run", "--once", "--now", NOW) == 0
    assert run(example, "run", "--once", "--now", "2026-11-25T18:00:00+01:00") == 0
    box = checked_maildir(example / "state" / "Maildir")
    (msg,) = list(box)
    assert msg["Subject"].startswith("Prep: Alex / Sam 1:1")
    assert msg.get_content_type() == "multipart/alternative"


def test_add_list_done_probe_edit(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(example, "add", "owe", "Send numbers", "--due", "2026-12-01") == 0
    assert run(example, "add", "goal", "Cut spend", "--why", "Headcount") == 0
    assert run(example, "add", "risk", "Slip", "--action", "Moved QA") == 0
    assert run(example, "probe", "2", "blocker", "Legacy contracts") == 0
    assert run(example, "edit", "1", "--text", "Send Q4 numbers", "--no-due") == 0
    assert run(example, "done", "1") == 0
    capsys.readouterr()
    assert run(example, "list", "--all", "--json") == 0
    items = {i["id"]: i for i in json.loads(capsys.readouterr().out)}
    assert items[1]["status"] == "done" and items[1]["due"] is None
    assert items[1]["text"] == "Send Q4 numbers"
    assert items[2]["fields"] == {"why_it_matters": "Headcount",
                                  "what_gets_in_the_way": "Legacy contracts"}
    assert items[3]["fields"] == {"corrective_action": "Moved QA"}


@pytest.mark.parametrize("args,message", [
    (["add", "wish", "x"], "unknown kind 'wish'"),
    (["add", "owe", "x", "--due", "next week"], "--due 'next week'"),
    (["add", "need", "x", "--action", "y"], "--action does not apply to need items"),
    (["done", "99"], "no item with id 99"),
    (["probe", "1", "mood", "x"], "unknown probe 'mood'"),
    (["preview", "--now", "yesterday"], "--now 'yesterday'"),
])
def test_bad_input_one_line_exit_2_nothing_written(
        example: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert run(example, "add", "goal", "Existing") == 0
    before = tree(example)
    capsys.readouterr()
    assert run(example, *args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert tree(example) == before


def test_broken_calendar_is_a_clear_error(example: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    (example / "calendar.ics").write_text("<html>not a calendar</html>")
    assert run(example, "meetings", "--now", NOW) == 1
    assert "not an iCalendar file" in capsys.readouterr().err


def test_export_import_through_the_cli(example: Path, tmp_path: Path) -> None:
    assert run(example, "import", str(example / "notes.json")) == 0
    out = tmp_path / "export.json"
    assert run(example, "export", "--format", "json", "-o", str(out)) == 0
    data = json.loads(out.read_text())
    assert len(data["items"]) == 17


def test_help_explains(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for verb in ("run", "preview", "meetings", "add", "list", "done", "doctor", "export"):
        assert verb in out


def test_global_options_before_or_after_the_verb(example: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(example / "config.toml")
    assert main(["meetings", "--now", NOW, "--json", "--config", cfg, "-v"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert main(["-q", "--config", cfg, "meetings", "--now", NOW, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == after != []
    # Given twice, the one after the verb is the one used.
    assert main(["--config", str(example / "missing.toml"), "list", "--config", cfg]) == 0


def _verbs(capsys: pytest.CaptureFixture[str]) -> list[str]:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    block = out.split("COMMAND\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines() if line.startswith("    ")]


def test_every_verb_help_has_a_description_and_an_example(
        capsys: pytest.CaptureFixture[str]) -> None:
    verbs = _verbs(capsys)
    assert {"meetings", "preview", "run", "doctor", "add", "review"} <= set(verbs)
    for verb in verbs:
        with pytest.raises(SystemExit) as e:
            main([verb, "--help"])
        assert e.value.code == 0
        out = capsys.readouterr().out
        description = out.split("\n\n")[1]
        assert not description.startswith(("positional", "options")), verb
        examples = out.split("example", 1)[1]
        assert f"manageup {verb}" in examples, verb


def test_every_verb_names_a_handler_that_exists() -> None:
    from manageup.cli.verbs import VERBS

    for verb in VERBS:
        assert callable(verb.resolve()), verb.name


def _parsed(parser_args: list[str], lazy: bool, capsys: pytest.CaptureFixture[str]) \
        -> tuple[object, str, str]:
    from manageup.cli import build_parser

    try:
        result: object = vars(build_parser(lazy=lazy).parse_args(parser_args))
    except SystemExit as e:
        result = e.code
    out, err = capsys.readouterr()
    return result, out, err


def test_the_parser_that_adds_one_verbs_options_parses_as_the_whole_one(
        capsys: pytest.CaptureFixture[str]) -> None:
    import shlex

    from manageup.cli.verbs import VERBS

    commands = [shlex.split(e, comments=True)[1:] for v in VERBS for e in v.examples
                if e.startswith("manageup ")]
    commands += [[v.name, "--help"] for v in VERBS]
    commands += [["--help"], ["--config", "x.toml", "preview", "-v", "--config", "y.toml"],
                 ["--conf", "list", "meetings", "--json"], ["list", "--bogus"], ["nosuch"]]
    for argv in commands:
        assert _parsed(argv, True, capsys) == _parsed(argv, False, capsys), argv


def test_goal_must_be_an_open_goal(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--goal` naming a goal already done or dropped was taken, and nothing showed it: the
    digest lists open goals only, so the link went nowhere. Refused, saying how to reopen;
    and a message about an owe says "an owe"."""
    assert run(example, "add", "owe", "Send numbers") == 0
    assert run(example, "add", "goal", "Cut spend") == 0
    assert run(example, "drop", "2") == 0
    capsys.readouterr()
    assert run(example, "add", "win", "Shipped it", "--goal", "2") == 2
    err = capsys.readouterr().err
    assert "--goal 2: goal #2 is dropped" in err and "manageup reopen 2" in err
    assert run(example, "add", "win", "Shipped it", "--goal", "1") == 2
    assert "--goal 1: #1 is an owe, not a goal" in capsys.readouterr().err
    assert run(example, "reopen", "2") == 0
    assert run(example, "add", "win", "Shipped it", "--goal", "2") == 0
    assert run(example, "done", "2") == 0
    assert run(example, "edit", "3", "--goal", "2") == 2
    assert "--goal 2: goal #2 is done" in capsys.readouterr().err
