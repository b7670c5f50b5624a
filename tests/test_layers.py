"""The import graph of grader/ is a ladder: no circles, and no import up the layers, at any depth.

Every import statement counts, also one inside a function, and so do ``importlib.import_module``
and ``__import__`` with a literal name. The order, bottom first (README.md, "Layout"):
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Bottom first. A module may import modules of its own rung or of the rungs below; never above.
LADDER: list[tuple[str, ...]] = [
    ("grader",),  # the package's own __init__ (empty; matches itself only, not its modules)
    ("grader.errors", "grader.jsonl", "grader.atomic", "grader.records", "grader.settings", "grader.hub",
     "grader.integrity"),  # shared leaves
    ("grader.answers",),  # last \boxed{} vs reference
    ("grader.submission",),  # student files -> validated token ids
    ("grader.training",),  # validated ids -> checkpoint
    ("grader.evaluation",),  # checkpoint + problems -> predictions, scores
    ("grader.batch",),  # a class -> gradebook
    ("grader.report",),  # batch folder / evaluate run -> pages
    ("grader.tiny", "grader.demo", "grader.api"),  # compositions of the layers
    ("grader.commands",),  # argparse, one module per command
    ("grader.cli", "grader.__main__"),  # the entry point
]


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path, module: str) -> set[str]:
    """Every module name ``path`` imports, at any depth, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names.add(node.args[0].value)
    return names


def import_graph(root: Path, package: str = "grader") -> dict[str, set[str]]:
    """{module: the package's modules it imports} for every module under ``root/package``."""
    files = {module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        graph[module] = {name for name in imported_names(path, module) if name in files and name != module}
    return graph


def rung(module: str, ladder: list[tuple[str, ...]]) -> int:
    """The rung of the longest prefix of ``module`` named in the ladder."""
    best, found = -1, -1
    for index, prefixes in enumerate(ladder):
        for prefix in prefixes:
            below = "." in prefix and module.startswith(prefix + ".")  # "grader" names the package file only
            if (module == prefix or below) and len(prefix) > best:
                best, found = len(prefix), index
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def violations(graph: dict[str, set[str]], ladder: list[tuple[str, ...]]) -> list[str]:
    """Modules outside the ladder, and imports that climb it."""
    problems = [f"{m}: not on the ladder" for m in sorted(graph) if rung(m, ladder) < 0]
    for module in sorted(graph):
        for target in sorted(graph[module]):
            if rung(target, ladder) > rung(module, ladder) >= 0:
                problems.append(f"{module} imports {target}, a higher layer")
    return problems


def test_grader_imports_form_a_ladder():
    graph = import_graph(ROOT)
    assert len(graph) > 50  # the whole package was read
    assert cycles(graph) == []
    assert violations(graph, LADDER) == []


def test_the_checker_finds_circles_and_climbs_at_any_depth(tmp_path):
    """The same checker on a planted package: a circle through a function-level import, and a climb."""
    pkg = tmp_path / "grader"
    for sub in ("answers", "report"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "errors.py").write_text("")
    (pkg / "stray.py").write_text("")
    (pkg / "answers" / "a.py").write_text("def f():\n    from grader.report import page\n")  # climbs, inside a function
    (pkg / "report" / "page.py").write_text("from . import stats\n")
    (pkg / "report" / "stats.py").write_text("import importlib\nimportlib.import_module('grader.report.page')\n")
    graph = import_graph(tmp_path)
    assert cycles(graph) == [["grader.report.page", "grader.report.stats"]]
    assert violations(graph, LADDER) == [
        "grader.stray: not on the ladder",
        "grader.answers.a imports grader.report, a higher layer",
        "grader.answers.a imports grader.report.page, a higher layer",
    ]


@pytest.mark.parametrize("module, expected", [("grader.batch.stages", "grader.batch"), ("grader.records", "grader.errors")])
def test_every_rung_is_named_once(module, expected):
    assert rung(module, LADDER) == rung(expected, LADDER)
    names = [p for prefixes in LADDER for p in prefixes]
    assert len(names) == len(set(names))
