"""Issue 24.5: the user and the boss are two people. An alias of one that is an address of
the other would make every meeting of the user one "with the boss" (or the boss's own 1:1s
the user's): refused at load, naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from manageup.config import parse_config
from manageup.errors import ConfigError
from tests.conftest import config_text


def problems(tmp: Path, old: str, new: str) -> list[str]:
    text = config_text(tmp / "work.ics", tmp)
    assert old in text
    with pytest.raises(ConfigError) as err:
        parse_config(text.replace(old, new, 1))
    assert err.value.exit_code == 2
    return list(err.value.problems)


def test_my_alias_that_is_the_boss_address_is_refused(tmp_path: Path) -> None:
    got = problems(tmp_path, 'name = "Alex"\n',
                   'name = "Alex"\naliases = ["alex@corp.example", " SAM@example.com"]\n')
    assert got == ["me.aliases[1]: is your boss's address (boss.email); remove it from "
                   "me.aliases"]


def test_my_alias_that_is_a_boss_alias_is_refused(tmp_path: Path) -> None:
    got = problems(tmp_path, 'name = "Alex"\n',
                   'name = "Alex"\naliases = ["Sam.Rivera@old-domain.example"]\n')
    assert got == ["me.aliases[0]: is also boss.aliases[0]; an address is yours or your "
                   "boss's: keep it in one of the two lists"]


def test_boss_alias_that_is_my_alias_or_address_is_refused(tmp_path: Path) -> None:
    got = problems(tmp_path, 'aliases = ["sam.rivera@old-domain.example"]',
                   'aliases = ["sam.rivera@old-domain.example", "Alex@Example.com"]')
    assert got == ["boss.aliases[1]: is your own address (me.email); set your boss's address"]


def test_one_address_in_both_alias_lists_is_named_once(tmp_path: Path) -> None:
    text = config_text(tmp_path / "work.ics", tmp_path).replace(
        'name = "Alex"\n', 'name = "Alex"\naliases = ["alex.chen@corp.example"]\n', 1).replace(
        'aliases = ["sam.rivera@old-domain.example"]',
        'aliases = ["sam.rivera@old-domain.example", "ALEX.CHEN@corp.example"]')
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    assert list(err.value.problems) == [
        "me.aliases[0]: is also boss.aliases[1]; an address is yours or your boss's: keep "
        "it in one of the two lists"]
