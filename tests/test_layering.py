"""Imports follow the flow (STYLE.md): text -> expression -> derivative -> torch -> oracles ->
verification -> pages, training and commands. No module imports from a higher layer, at module
level or inside a function, and no two packages of one layer import each other (directly or
through others of that layer). A small ``ast`` walk, no third-party tool;
``../shared/tools/layering.py`` draws the same picture for a reader.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "workbench"

# The layer of each top-level module or package of workbench/. A module not listed here is layer
# 0: it may import only from layer 0 until it is given its place in this table.
LAYERS = {
    "errors": 0, "atomic": 0, "progress": 0, "devices": 0,
    "expr": 1,
    "derive": 2,
    "compile": 3,
    "oracles": 4,
    "problem": 5, "derivation_file": 5, "grading_key": 5,
    "verify": 6, "optim": 6, "backprop": 6,
    "explain": 7, "trace": 7, "momentum": 7, "cifar": 7, "code": 7, "grade": 7,
    "cli": 8, "testing": 8, "pytest_plugin": 8, "__main__": 8, "api": 8,
}

# Known imports against the flow: (file under workbench/, module it imports). Empty: keep it so.
ALLOWED: set[tuple[str, str]] = set()


def imports(package: Path):
    """(file relative to ``package``, line, importing unit, imported unit, module) for every
    import of ``package``'s own modules; a unit is a top-level module or package."""
    name = package.name
    units = {p.stem for p in package.iterdir()
             if p.suffix == ".py" or (p / "__init__.py").is_file()}
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package)
        if rel.parts == ("__init__.py",):
            continue  # the public face may re-export anything; a subpackage's __init__.py
            # is checked: importing the subpackage runs it
        src = rel.parts[0].removesuffix(".py")
        here = [name, *rel.parts[:-1]]  # the package this file is in
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(here[:len(here) - node.level + 1] if node.level else [])
                module = ".".join(p for p in (base, node.module) if p)
                # `from workbench import cli` imports the unit cli; `from workbench.expr import
                # parse` the unit expr
                modules = [f"{module}.{a.name}" for a in node.names] if module == name \
                    else [module]
            else:
                continue
            for module in modules:
                parts = module.split(".")
                if parts[0] == name and len(parts) > 1 and parts[1] in units and parts[1] != src:
                    yield rel.as_posix(), node.lineno, src, parts[1], module


def violations(package: Path, layers: dict[str, int] = LAYERS,
               allowed: set[tuple[str, str]] = ALLOWED) -> list[str]:
    """One line per import from a higher layer and per cycle between packages of one layer,
    each naming file:line."""
    out, same_layer = [], {}
    for rel, line, src, dst, module in imports(package):
        if (rel, module) in allowed:
            continue
        a, b = layers.get(src, 0), layers.get(dst, 0)
        if b > a:
            out.append(f"{package.name}/{rel}:{line}: {src} (layer {a}) imports {module} "
                       f"(layer {b})")
        elif a == b:
            same_layer.setdefault(src, {}).setdefault(dst, f"{package.name}/{rel}:{line}")
    seen = set()
    for src, targets in sorted(same_layer.items()):
        for dst, where in sorted(targets.items()):
            path = _path(same_layer, dst, src)
            if path and frozenset(path) not in seen:  # each cycle reported once
                seen.add(frozenset(path))
                out.append(f"{where}: cycle between packages of layer {layers.get(src, 0)}: "
                           f"{' -> '.join([src, *path])}")
    return out


def _path(graph: dict[str, dict[str, str]], start: str, goal: str) -> list[str] | None:
    """The units from ``start`` to ``goal`` along ``graph``'s edges, or None."""
    todo, came = [start], {start: None}
    while todo:
        node = todo.pop(0)
        if node == goal:
            path = []
            while node is not None:
                path.append(node)
                node = came[node]
            return path[::-1]
        for nxt in graph.get(node, {}):
            if nxt not in came:
                came[nxt] = node
                todo.append(nxt)
    return None


def test_workbench_imports_follow_the_flow():
    bad = violations(PACKAGE)
    assert not bad, "imports against the flow:\n" + "\n".join(bad)


def test_allowed_exceptions_still_exist():
    """An allow-list entry whose import is gone must be removed from ALLOWED."""
    found = {(rel, module) for rel, _, _, _, module in imports(PACKAGE)}
    assert ALLOWED <= found, f"remove from ALLOWED: {sorted(ALLOWED - found)}"


def write_package(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "wb" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root / "wb"


def test_planted_back_references_and_cycles_are_reported(tmp_path):
    package = write_package(tmp_path, {
        "__init__.py": "from wb.cli import main\n",  # the public face: not checked
        "errors.py": "",
        "expr/__init__.py": "",
        "expr/parser.py": """\
            from wb.errors import ParseError

            def parse(text):
                from wb.verify.report import Report
                return Report()
            """,
        "verify/__init__.py": "",
        "verify/report.py": "from ..expr import parser\nclass Report: pass\n",
        "explain/__init__.py": "",
        "explain/page.py": "import wb.trace.core\n",
        "trace/__init__.py": "",
        "trace/core.py": "from wb import explain\n",
        "cli.py": "from wb.verify.report import Report\nfrom wb import explain\n",
        "newcomer.py": "from wb.expr import parser\n",
    })
    bad = violations(package)
    assert bad == [
        "wb/expr/parser.py:4: expr (layer 1) imports wb.verify.report (layer 6)",
        "wb/newcomer.py:1: newcomer (layer 0) imports wb.expr (layer 1)",
        "wb/explain/page.py:1: cycle between packages of layer 7: explain -> trace -> explain",
    ]
    assert violations(package, allowed={("expr/parser.py", "wb.verify.report"),
                                        ("newcomer.py", "wb.expr")}) == bad[2:]
