"""Derivation files (TOML): a function, its variables, what to differentiate, an optional hand
gradient, points to evaluate at, title and prose. Read with the standard library's ``tomllib``
(data only) and our safe parser; errors name the file, line, column and key.

    title = "f(x) = 2^x"
    function = "2**x"
    wrt = ["x"]
    description = "The course asks for f'(0)."
    expect = "match"                 # or "mismatch": a deliberately wrong hand derivation

    [variables]
    x = "real"                       # or positive, negative, nonzero, "[a,b]"
    X = { shape = ["n", "p"] }       # matrices: symbolic or fixed dimensions (and a domain)

    [hand]
    x = "2**x*log(2)"

    [[at]]                           # evaluate the gradient here ...
    x = 0
    expect = { x = "log(2)" }        # ... and check it equals this (an expression)
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sympy

from workbench.errors import SchemaError, UserError
from workbench.expr.parser import parse
from workbench.expr.spaces import Domain, Variable
from workbench.problem import Problem

TOP_KEYS = {"title", "function", "wrt", "description", "expect", "variables", "hand", "at",
            "tags"}
MAX_FILE_BYTES = 256 * 1024


@dataclass
class AtPoint:
    """A point to evaluate at: values per variable, expected gradients (expressions)."""

    values: dict[str, Any]
    expect: dict[str, sympy.Basic] = field(default_factory=dict)
    expect_text: dict[str, str] = field(default_factory=dict)


@dataclass
class DerivationFile:
    path: Path
    title: str
    description: str
    problem: Problem
    hand: dict[str, sympy.Basic] | None
    hand_text: dict[str, str] | None
    expect: str
    at: list[AtPoint]
    tags: list[str]

    @property
    def name(self) -> str:
        return self.path.stem


class _Locator:
    """Find the line and column of a key (and of the text inside its string value)."""

    def __init__(self, path: Path, text: str):
        self.path, self.lines = path, text.splitlines()

    def line_of(self, key: str, section: str | None = None) -> int:
        start = 0
        if section:
            for i, line in enumerate(self.lines):
                if re.match(rf"^\s*\[+\s*{re.escape(section)}\s*\]+", line):
                    start = i
                    break
        for i in range(start, len(self.lines)):
            if re.match(rf"^\s*\"?{re.escape(key)}\"?\s*=", self.lines[i]) or \
                    re.search(rf"[{{,]\s*{re.escape(key)}\s*=", self.lines[i]):
                return i + 1
        return start + 1

    def where(self, key: str, section: str | None = None) -> str:
        label = f"{section}.{key}" if section else key
        return f"{self.path}:{self.line_of(key, section)}: key {label}"

    def expr_error(self, exc: UserError, key: str, value: str, section: str | None) -> UserError:
        line = self.line_of(key, section)
        text = self.lines[line - 1] if line <= len(self.lines) else ""
        start = text.find(value)
        col_match = re.match(r"col (\d+)", exc.where or "")
        label = f"{section}.{key}" if section else key
        if start >= 0 and col_match:
            col = start + int(col_match.group(1))
            return type(exc)(exc.message, f"{self.path}:{line}:{col}: key {label}")
        return type(exc)(exc.message, f"{self.path}:{line}: key {label}")


def load(path: str | Path) -> DerivationFile:
    """Read and validate one derivation file; every error is a :class:`UserError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SchemaError(f"cannot read: {exc.strerror}", str(path)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise SchemaError(f"file larger than {MAX_FILE_BYTES} bytes", str(path))
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise SchemaError("not UTF-8 text", str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{path}:{m.group(1)}:{m.group(2)}" if m else str(path)
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise SchemaError(f"TOML syntax: {msg}", where) from None
    loc = _Locator(path, text)
    return _build(path, data, loc)


def _need(data: dict, key: str, kind, loc: _Locator, section: str | None = None):
    if key not in data:
        where = f"{loc.path}:{loc.line_of(section) if section else 1}"
        raise SchemaError(f"missing key {key!r}" + (f" in [{section}]" if section else ""), where)
    value = data[key]
    if not isinstance(value, kind):
        want = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise SchemaError(f"expected {want}, got {type(value).__name__}", loc.where(key, section))
    return value


def _build(path: Path, data: dict, loc: _Locator) -> DerivationFile:
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise SchemaError(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(TOP_KEYS))})",
                          loc.where(unknown[0]))
    title = _need(data, "title", str, loc)
    function = _need(data, "function", str, loc)
    wrt = _need(data, "wrt", (list, str), loc)
    wrt = [w.strip() for w in wrt.split(",")] if isinstance(wrt, str) else wrt
    if not wrt or not all(isinstance(w, str) for w in wrt):
        raise SchemaError("wrt must list variable names", loc.where("wrt"))
    expect = data.get("expect", "match")
    if expect not in ("match", "mismatch"):
        raise SchemaError(f"expect must be 'match' or 'mismatch', got {expect!r}",
                          loc.where("expect"))
    variables = _variables(_need(data, "variables", dict, loc), loc)
    names = {v.name for v in variables}
    for w in wrt:
        if w not in names:
            raise SchemaError(f"wrt names {w!r}, which is not in [variables]", loc.where("wrt"))
    try:
        problem = Problem.from_text(function, variables, wrt)
    except UserError as exc:
        raise loc.expr_error(exc, "function", function, None) from None
    hand = hand_text = None
    if "hand" in data:
        hand_text = _need(data, "hand", dict, loc)
        hand = {}
        for name, text in hand_text.items():
            if name not in wrt:
                raise SchemaError(f"hand gradient for {name!r}, which is not in wrt",
                                  loc.where(name, "hand"))
            if not isinstance(text, str):
                raise SchemaError("a hand gradient is an expression in quotes",
                                  loc.where(name, "hand"))
            hand[name] = _parse_at(text, variables, loc, name, "hand")
    at = [_at_point(item, variables, wrt, loc) for item in data.get("at", [])]
    tags = data.get("tags", [])
    return DerivationFile(path, title, data.get("description", ""), problem, hand, hand_text,
                          expect, at, list(tags))


def _parse_at(text: str, variables, loc: _Locator, key: str, section: str | None):
    try:
        return parse(text, variables)
    except UserError as exc:
        raise loc.expr_error(exc, key, text, section) from None


def _variables(table: dict, loc: _Locator) -> list[Variable]:
    out = []
    for name, spec in table.items():
        where = loc.where(name, "variables")
        try:
            if isinstance(spec, str):
                out.append(Variable.scalar(name, Domain.parse(spec)))
                continue
            if not isinstance(spec, dict):
                raise SchemaError("a variable is a domain word or a table such as "
                                  "{ shape = [\"n\", 1] }")
            extra = set(spec) - {"shape", "domain"}
            if extra:
                raise SchemaError(f"unknown key {sorted(extra)[0]!r} (allowed: shape, domain)")
            domain = Domain.parse(str(spec.get("domain", "real")))
            shape = spec.get("shape")
            if shape is None:
                out.append(Variable.scalar(name, domain))
            elif isinstance(shape, list) and len(shape) == 2:
                out.append(Variable.matrix(name, shape[0], shape[1], domain))
            else:
                raise SchemaError("shape must be a list of two dimensions, e.g. [\"n\", 1]")
        except UserError as exc:
            raise SchemaError(exc.message, where) from None
    if not out:
        raise SchemaError("no variables declared", loc.where("variables"))
    return out


def _at_point(item: Any, variables: list[Variable], wrt: list[str], loc: _Locator) -> AtPoint:
    if not isinstance(item, dict):
        raise SchemaError("each [[at]] entry is a table of values", loc.where("at"))
    expect = item.get("expect", {})
    if not isinstance(expect, dict):
        raise SchemaError("expect is a table of expressions per variable",
                          loc.where("expect", "at"))
    table = {v.name: v for v in variables}
    values = {k: v for k, v in item.items() if k != "expect"}
    for k, v in values.items():
        if k not in table:
            raise SchemaError(f"value for {k!r}, which is not a declared variable",
                              loc.where(k, "at"))
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) if not table[k].is_matrix \
            else isinstance(v, list) and v and all(isinstance(r, list) for r in v)
        if not ok:
            kind = "a matrix as a list of rows" if table[k].is_matrix else "a number"
            raise SchemaError(f"{k} must be {kind}", loc.where(k, "at"))
    missing = [v.name for v in variables if v.name not in values]
    if missing:
        raise SchemaError(f"[[at]] gives no value for {', '.join(missing)}", loc.where("at"))
    exp = {}
    for k, text in expect.items():
        if k not in wrt or not isinstance(text, str):
            raise SchemaError(f"expect.{k}: name a variable in wrt and give an expression "
                              f"in quotes", loc.where(k, "at"))
        exp[k] = _parse_at(text, variables, loc, k, "at")
    return AtPoint(values, exp, {k: str(v) for k, v in expect.items()})


def discover(paths: list[str | Path]) -> list[Path]:
    """Derivation files under ``paths`` (files or folders, searched for ``*.toml``)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(p.rglob("*.toml")))
        elif p.exists():
            out.append(p)
        else:
            raise UserError(f"no such file or folder: {p}")
    return out
