"""Jinja environment for the digest: subject, text and HTML parts.

Calendar text reaches the templates only as values, never as template source, and the
HTML part is autoescaped. A user's `[digest] templates_dir` is searched first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import jinja2

from manageup.digestmodel import Digest
from manageup.errors import ConfigError
from manageup.templatecache import template_cache
from manageup.textutil import header_safe, wrap
from manageup.titles import name_in

TEMPLATES = ("subject.txt.j2", "digest.txt.j2", "digest.html.j2")


@dataclass(frozen=True)
class Rendered:
    """A digest as mail: subject, text and HTML."""

    subject: str
    text: str
    page: str  # the HTML part as the template wrote it, its CSS in a <style> block

    @cached_property
    def html(self) -> str:
        """The HTML part with its CSS inlined (many mail clients drop <style>), made when
        first asked for: a preview that only prints the text never loads the inliner."""
        return _inliner().inline(self.page)


def shipped_templates() -> Path:
    # Inside a wheel the templates sit in manageup/templates; in a source checkout they are
    # at the repository's top level, beside daemon/.
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent.parent / "templates"):
        if (candidate / "digest.txt.j2").is_file():
            return candidate
    raise FileNotFoundError(f"manageup's templates are missing next to {here}; reinstall")


def _when(value: datetime | date, fmt: str = "%a %d %b %H:%M") -> str:
    return value.strftime(fmt)


def _day(value: datetime | date, near: datetime | date, fmt: str = "%a %d %b") -> str:
    """A date as people write it, with its year when it lies more than half a year from
    `near` (the digest's own date): a report due next November would otherwise read as
    due this week, and advice from last year as advice from last month."""
    def day(v: datetime | date) -> date:
        return v.date() if isinstance(v, datetime) else v

    far = abs((day(value) - day(near)).days) > 182
    return value.strftime(fmt + (" %Y" if far else ""))


def _plural(n: int, word: str, many: str = "") -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _days(n: int | None) -> str:
    if n is None:
        return "never"
    return "today" if n == 0 else ("1 day" if n == 1 else f"{n} days")


def _ago(n: int | None) -> str:
    if n is None:
        return "never"
    return "today" if n == 0 else ("yesterday" if n == 1 else f"{n} days ago")


def _age(n: int) -> str:
    return "added today" if n == 0 else f"open {_days(n)}"


def _ref(item: Any) -> str:
    """An item named in passing: its text and number; a need, owe or risk says which."""
    kind = f"{item.kind} " if item.kind in ("need", "owe", "risk", "goal") else ""
    return f"{kind}{item.text} [#{item.id}]"


def _folded_of(goal: Any, digest: Digest) -> tuple[Any, tuple[tuple[str, str], ...]] | None:
    """A goal with the answers its digest folds away (those not shown in its entry)."""
    shown = set(digest.detail(goal))
    rows = tuple(a for a in goal.answered if a not in shown)
    return (goal, rows) if rows else None


def _sentence(text: str) -> str:
    # Not Jinja's capitalize: that lowercases the rest, names included.
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _names(title: str, person: str) -> bool:
    """Whether a title already names someone (full name, first name or the address's
    local part, as a whole word): "Alex / Sam 1:1" names Sam Rivera."""
    words = {person.strip(), person.strip().split(" ")[0], person.split("@")[0]}
    return name_in(title, (w for w in words if len(w) >= 2)) is not None


@cache
def environment(user_dir: Path | None = None) -> jinja2.Environment:
    paths = [str(user_dir)] if user_dir else []
    paths.append(str(shipped_templates()))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(paths),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"),
                                            default_for_string=True, default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(wrap=wrap, when=_when, day=_day, plural=_plural, days=_days, ago=_ago,
                       age=_age, sentence=_sentence, names=_names, ref=_ref)
    env.filters["folded_of"] = _folded_of
    env.tests["folds_in"] = lambda item, d: d.novelty.folds(item)
    env.bytecode_cache = template_cache(env)  # compiled once, not in every process
    return env


@cache
def _inliner() -> Any:
    import css_inline

    return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


def render(digest: Digest, user_dir: Path | None = None) -> Rendered:
    env = environment(user_dir)
    try:
        subject = env.get_template("subject.txt.j2").render(d=digest)
        text = env.get_template("digest.txt.j2").render(d=digest)
        html = env.get_template("digest.html.j2").render(d=digest)
    except jinja2.TemplateError as e:
        where = getattr(e, "filename", None) or getattr(e, "name", "") or "a template"
        raise ConfigError([f"digest.templates_dir: {where}: {e}; fix or remove that template"]) \
            from None
    return Rendered(subject=header_safe(subject, 250), text=text, page=html)
