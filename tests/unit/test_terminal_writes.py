"""Every write to a terminal goes through textutil.for_terminal (issue 28.1): read from the
code, so a new `print` of calendar or server text that bypasses it fails here before an
attacker finds it. Log lines are covered once, in the log formatter (test_log_lines)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "daemon" / "manageup"
RENDERERS = {"for_terminal", "for_terminal_json"}

# Values printed as they are, each because it is manageup's own text or the user's own
# setting, never a stranger's: add one only with the reason.
OWN_TEXT = {
    "ctx.args.name": "the secret's name, from a fixed list of choices",
    "argcomplete.shellcode(['manageup'], shell=ctx.args.shell)": "argcomplete's script",
    "len(misses)": "a count",
    "failed": "a count",
    "path": "a path the user gave",
    "p": "a unit file path manageup wrote",
    "folder": "the systemd user folder",
    "done.started": "unit names manageup wrote",
    "done.written[-1].name": "a unit name manageup wrote",
    "written": "the config path the user gave",
    "args.kind": "a kind from a fixed list of choices",
    "item_id": "an id",
    "item.id": "an id",
    "field.replace('_', ' ')": "a field name from a fixed list",
    "report.summary()": "counts and ids of an import",
    "rv.NOTHING": "a constant sentence",
    "text if ctx.args.format != 'markdown' else for_terminal(text)":
        "JSON already made by for_terminal_json; markdown through for_terminal",
    "_when(m.occurrence)": "a date manageup formats",
    "_when(n.occurrence)": "a date manageup formats",
    "mark": "ok / FAIL, painted",
    "start_here()": "manageup's own short help",
    "also": "a count of warnings",
    "verdict": "a count, or that all checks passed",
    "example": "the annotated example config shipped inside the package",
}


def _rendered(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant) or ast.unparse(node) in OWN_TEXT:
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id in RENDERERS:
            return True
        if node.func.id in ("paint", "fit"):  # colour or wrapping around text that must
            return _rendered(node.args[0])  # itself be rendered
    if isinstance(node, ast.JoinedStr):
        return all(_rendered(v.value) for v in node.values if isinstance(v, ast.FormattedValue))
    if isinstance(node, ast.Subscript):  # a part of rendered text (fit(...)[4:])
        return _rendered(node.value)
    if isinstance(node, ast.BinOp):
        return _rendered(node.left) and _rendered(node.right)
    if isinstance(node, ast.IfExp):
        return _rendered(node.body) and _rendered(node.orelse)
    return False


def _terminal_writes(tree: ast.AST) -> list[ast.Call]:
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        printed = isinstance(f, ast.Name) and f.id == "print"
        streamed = (isinstance(f, ast.Attribute) and f.attr == "write"
                    and isinstance(f.value, ast.Attribute)
                    and f.value.attr in ("stdout", "stderr", "stream"))
        if printed or streamed:
            calls.append(node)
    return calls


def _bypasses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    return [f"{path.relative_to(ROOT)}:{call.lineno}: {ast.unparse(arg)}"
            for call in _terminal_writes(tree) for arg in call.args if not _rendered(arg)]


def test_every_terminal_write_renders_through_for_terminal() -> None:
    found = [b for path in sorted(PACKAGE.rglob("*.py")) for b in _bypasses(path)]
    assert found == [], "\n".join(found)


def test_the_check_finds_a_write_that_bypasses_it(tmp_path: Path) -> None:
    """The check itself can fail: a title printed raw, or to a stream, is found."""
    bad = tmp_path / "bad.py"
    bad.write_text("print(f'{m.title}')\nself.stream.write(body)\n"
                   "print(for_terminal(m.title))\n")
    assert len(_bypasses_at(bad)) == 2


def _bypasses_at(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [ast.unparse(a) for c in _terminal_writes(tree) for a in c.args if not _rendered(a)]


def test_no_second_renderer() -> None:
    """One function renders: escaping written again elsewhere would drift from it."""
    others = [p.relative_to(ROOT) for p in PACKAGE.rglob("*.py")
              if "unicode_escape" in p.read_text() and p.name != "textutil.py"]
    assert others == []
