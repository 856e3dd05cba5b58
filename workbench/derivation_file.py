"""Derivation files (TOML): a function, its variables, what to differentiate, an optional hand
gradient, points to evaluate at, title and prose. Read with the standard library's ``tomllib``
(data only) and our safe parser; errors name the file, line, column and key.

    title = "f(x) = 2^x"
    function = "2**x"
    wrt = ["x"]
    description = "The course asks for f'(0)."
    title_fr = "f(x) = 2^x"          # optional: title and description of French pages
    description_fr = "Le cours demande f'(0)."
    expect = "match"                 # or "mismatch": a deliberately wrong hand derivation

    [variables]
    x = "real"                       # or positive, negative, nonzero, "[a,b]"
    X = { shape = ["n", "p"] }       # matrices: symbolic or fixed dimensions (and a domain)

    [hand]
    x = "2**x*log(2)"

    [[at]]                           # evaluate the gradient here ...
    x = 0
    expect = { x = "log(2)" }        # ... and check it equals this (an expression)

A vector-valued function has a Jacobian (numerator layout: rows = outputs), given by hand in a
``[jacobian]`` table instead of ``[hand]``; a ``[hessian]`` table gives a hand Hessian of a
scalar function. Either is with respect to the one variable of ``wrt``; ``[[at]]`` points are
for gradients only.

    function = "softmax(z)"
    wrt = ["z"]
    [jacobian]
    z = "diag(softmax(z)) - softmax(z)@softmax(z).T"
"""

from __future__ import annotations

import math
import os
import re
import stat
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sympy

from workbench.errors import SchemaError, UserError
from workbench.expr.functions import is_1x1, is_matrix
from workbench.expr.parser import parse
from workbench.expr.spaces import Domain, Variable
from workbench.problem import Problem

TOP_KEYS = {"title", "function", "wrt", "description", "expect", "variables", "hand", "at",
            "tags", "title_fr", "description_fr", "jacobian", "hessian"}
KINDS = ("gradient", "jacobian", "hessian")
MAX_FILE_BYTES = 256 * 1024
MAX_FILES = 10_000
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


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
    title_fr: str = ""             # the French title and description, for French pages
    description_fr: str = ""
    kind: str = "gradient"         # or "jacobian" (a non-scalar function), "hessian"

    @property
    def name(self) -> str:
        return self.path.stem


class _Locator:
    """Find the line and column of a key (and of the text inside its string value)."""

    def __init__(self, path: Path, text: str):
        self.path, self.lines = path, text.splitlines()

    def line_of(self, key: str, section: str | None = None, nth: int = 0) -> int:
        """The line of ``key``: a ``key = ...`` line, else its ``nth`` ``[key]``/``[[key]]``
        header (0: the first); inside ``section``, from that section's ``nth`` header on."""
        start = 0
        if section:
            headers = self._headers(section)
            if headers:
                start = headers[min(nth, len(headers) - 1)]
        for i in range(start, len(self.lines)):
            if re.match(rf"^\s*\"?{re.escape(key)}\"?\s*=", self.lines[i]) or \
                    re.search(rf"[{{,]\s*{re.escape(key)}\s*=", self.lines[i]):
                return i + 1
        headers = [] if section else self._headers(key)
        return headers[min(nth, len(headers) - 1)] + 1 if headers else start + 1

    def _headers(self, name: str) -> list[int]:
        return [i for i, line in enumerate(self.lines)
                if re.match(rf"^\s*\[+\s*{re.escape(name)}\s*\]+", line)]

    def where_longest_number(self) -> str:
        """``file:line: key section.key`` of the longest run of digits (where tomllib met an
        integer beyond Python's digit limit, without saying where)."""
        length, line = max(((len(m.group()), i) for i, text in enumerate(self.lines)
                            for m in re.finditer(r"[0-9A-Fa-f_]+", text)), default=(0, 0))
        key = re.match(r"^\s*\"?([A-Za-z0-9_-]+)\"?\s*=", self.lines[line]) if length else None
        if key is None:
            return f"{self.path}:{line + 1}"
        header = next((re.sub(r"[\[\]\s]", "", self.lines[i]) for i in range(line, -1, -1)
                       if re.match(r"^\s*\[", self.lines[i])), None)
        return f"{self.path}:{line + 1}: key " + \
            (f"{header}.{key.group(1)}" if header else key.group(1))

    def where(self, key: str, section: str | None = None, nth: int = 0,
              label: str | None = None) -> str:
        label = label or (f"{section}.{key}" if section else key)
        return f"{self.path}:{self.line_of(key, section, nth)}: key {label}"

    def expr_error(self, exc: UserError, key: str, value: str, section: str | None,
                   nth: int = 0, label: str | None = None) -> UserError:
        line = self.line_of(key, section, nth)
        text = self.lines[line - 1] if line <= len(self.lines) else ""
        start = text.find(value)
        col_match = re.match(r"col (\d+)", exc.where or "")
        label = label or (f"{section}.{key}" if section else key)
        if start >= 0 and col_match:
            col = start + int(col_match.group(1))
            return type(exc)(exc.message, f"{self.path}:{line}:{col}: key {label}")
        return type(exc)(exc.message, f"{self.path}:{line}: key {label}")


def load(path: str | Path, extra_keys: frozenset[str] = frozenset()) -> DerivationFile:
    """Read and validate one derivation file; every error is a :class:`UserError`.
    ``extra_keys``: top-level tables a caller reads itself (``grading`` in a grading key)."""
    path = Path(path)
    data, text = read_toml(path)
    return from_data(path, {k: v for k, v in data.items() if k not in extra_keys}, text)


def from_data(path: Path, data: dict, text: str) -> DerivationFile:
    """A derivation from TOML ``data`` already read from ``text`` (errors located in it)."""
    return _build(path, data, _Locator(path, text))


def read_toml(path: Path) -> tuple[dict, str]:
    """The TOML data of ``path`` and its text; a :class:`SchemaError` naming the line."""
    raw = read_file(path)
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
    except ValueError:          # tomllib's int(): a literal beyond Python's digit limit
        raise SchemaError(f"integer literal longer than {sys.get_int_max_str_digits():,} "
                          f"digits; write a number within float64's range, such as 1e300",
                          _Locator(path, text).where_longest_number()) from None
    return data, text


def read_file(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path`` if it is a regular file (after following symbolic links) of at
    most ``limit`` bytes; :class:`SchemaError` otherwise. A FIFO, a device or a folder named
    ``*.toml`` is refused before it is read (it could block or never end), and at most
    ``limit + 1`` bytes are read whatever size the file claims."""
    path = Path(path)
    try:
        _regular(path, os.stat(path).st_mode)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) |
                     getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise SchemaError(f"cannot read: {exc.strerror}", str(path)) from None
    try:
        _regular(path, os.fstat(fd).st_mode)     # replaced since os.stat: checked again
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise SchemaError(f"cannot read: {exc.strerror}", str(path)) from None
    finally:
        os.close(fd)
    if size > limit:
        raise SchemaError(f"file larger than {limit:,} bytes, the limit for a derivation file",
                          str(path))
    return b"".join(chunks)


def _regular(path: Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = next((kind for test, kind in _KINDS if test(mode)), "something else")
        raise SchemaError(f"{kind}, not a regular file: a derivation file is a .toml text "
                          f"file", str(path))


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
    if len(set(wrt)) != len(wrt):
        raise SchemaError("wrt names a variable twice", loc.where("wrt"))
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
    kind = _kind(data, problem, wrt, loc)
    hand = hand_text = None
    section = "hand" if kind == "gradient" else kind
    if section in data:
        hand_text = _need(data, section, dict, loc)
        hand = {}
        for name, text in hand_text.items():
            if name not in wrt:
                raise SchemaError(f"hand {_WHAT[kind]} for {name!r}, which is not in wrt",
                                  loc.where(name, section))
            if not isinstance(text, str):
                raise SchemaError(f"a hand {_WHAT[kind]} is an expression in quotes",
                                  loc.where(name, section))
            hand[name] = _parse_at(text, variables, loc, name, section)
    points = data.get("at", [])
    if not isinstance(points, list):
        raise SchemaError(f"expected [[at]] tables (each one a point, such as x = 0), got "
                          f"{type(points).__name__}", loc.where("at"))
    if points and kind != "gradient":
        raise SchemaError(f"[[at]] points are for gradients; this file checks a {_WHAT[kind]}",
                          loc.where("at"))
    at = [_at_point(item, variables, wrt, loc, i) for i, item in enumerate(points)]
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise SchemaError('expected a list of words in quotes, such as tags = ["calculus"]',
                          loc.where("tags"))
    prose = {key: data.get(key, "") for key in ("description", "title_fr", "description_fr")}
    for key, text in prose.items():
        if not isinstance(text, str):
            raise SchemaError(f"expected text in quotes, got {type(text).__name__}",
                              loc.where(key))
    return DerivationFile(path, title, prose["description"], problem, hand, hand_text, expect,
                          at, tags, prose["title_fr"], prose["description_fr"], kind)


_WHAT = {"gradient": "gradient", "jacobian": "Jacobian", "hessian": "Hessian"}


def _kind(data: dict, problem: Problem, wrt: list[str], loc: _Locator) -> str:
    """``gradient``, ``jacobian`` (a function that is not scalar) or ``hessian``."""
    vector = is_matrix(problem.function) and not is_1x1(problem.function)
    kind = "hessian" if "hessian" in data else "jacobian" if vector else "gradient"
    if vector and "hessian" in data:
        raise SchemaError(f"a Hessian is of a scalar function; this one has shape "
                          f"{tuple(problem.function.shape)}", loc.where("hessian"))
    if "jacobian" in data and not vector:
        raise SchemaError("a Jacobian is of a vector- or matrix-valued function; this one is "
                          "scalar: give its gradient in [hand]", loc.where("jacobian"))
    if vector and "hand" in data:
        raise SchemaError("this function is not scalar: give its Jacobian in [jacobian] "
                          "(rows = outputs)", loc.where("hand"))
    if kind != "gradient" and len(wrt) != 1:
        raise SchemaError(f"a {_WHAT[kind]} is with respect to one variable", loc.where("wrt"))
    if kind == "hessian" and "hand" in data:
        raise SchemaError("a file checks one thing: its [hessian] or its gradient in [hand]",
                          loc.where("hand"))
    return kind


def _parse_at(text: str, variables, loc: _Locator, key: str, section: str | None,
              nth: int = 0, label: str | None = None):
    try:
        return parse(text, variables)
    except UserError as exc:
        raise loc.expr_error(exc, key, text, section, nth, label) from None


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


def _at_point(item: Any, variables: list[Variable], wrt: list[str], loc: _Locator,
              nth: int) -> AtPoint:
    if not isinstance(item, dict):
        raise SchemaError("each [[at]] entry is a table of values", loc.where("at", nth=nth))
    expect = item.get("expect", {})
    if not isinstance(expect, dict):
        raise SchemaError("expect is a table of expressions per variable",
                          loc.where("expect", "at", nth))
    table = {v.name: v for v in variables}
    values = {k: v for k, v in item.items() if k != "expect"}
    for k, v in values.items():
        if k not in table:
            raise SchemaError(f"value for {k!r}, which is not a declared variable",
                              loc.where(k, "at", nth))
        ok = _is_number(v) if not table[k].is_matrix else _is_matrix_value(v)
        if not ok:
            kind = "a matrix as a list of rows of equal length, each of finite numbers" \
                if table[k].is_matrix else "a number (finite, within float64's range)"
            raise SchemaError(f"{k} must be {kind}", loc.where(k, "at", nth))
    missing = [v.name for v in variables if v.name not in values]
    if missing:
        raise SchemaError(f"[[at]] gives no value for {', '.join(missing)}",
                          loc.where("at", nth=nth))
    _check_sizes(values, table, loc, nth)
    exp = {}
    for k, text in expect.items():
        where = loc.where("expect", "at", nth, f"at.expect.{k}")
        if k not in wrt or not isinstance(text, str):
            raise SchemaError("name a variable in wrt and give an expression in quotes", where)
        exp[k] = _parse_at(text, variables, loc, "expect", "at", nth, f"at.expect.{k}")
        want = table[k].symbol().shape if table[k].is_matrix else None
        got = exp[k].shape if is_matrix(exp[k]) and not is_1x1(exp[k]) else None
        if got != want:
            raise SchemaError(f"the expected value is {_shape_words(got)}; the gradient with "
                              f"respect to {k} is {_shape_words(table[k].shape)}", where)
    return AtPoint(values, exp, {k: str(v) for k, v in expect.items()})


def _check_sizes(values: dict[str, Any], table: dict[str, Variable], loc: _Locator,
                 nth: int) -> None:
    """Matrix values fit their declared shapes, and a dimension name (``n``) has one size
    across the point."""
    sizes: dict[str, int] = {}
    for k, v in values.items():
        var = table[k]
        if not var.is_matrix:
            continue
        got = (len(v), len(v[0]))
        try:
            Variable.matrix(k, *got)            # each size within the limits of a dimension
        except UserError as exc:
            raise SchemaError(exc.message, loc.where(k, "at", nth)) from None
        for d, size in zip(var.shape, got):
            known = d if isinstance(d, int) else sizes.setdefault(d, size)
            if known != size:
                source = "declared" if isinstance(d, int) else f"{d} = {known} from another value"
                raise SchemaError(f"{k} is {got[0]}x{got[1]}, but its shape is "
                                  f"{_shape_words(var.shape)} ({source})",
                                  loc.where(k, "at", nth))


def _shape_words(shape) -> str:
    return "a scalar" if shape is None else "x".join(map(str, shape))


def _is_number(v: Any) -> bool:
    """A TOML integer or float that float64 holds (``inf``, ``nan`` and integers beyond
    ~1.8e308 are not points anyone can evaluate at)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    return abs(v) <= sys.float_info.max if isinstance(v, int) else math.isfinite(v)


def _is_matrix_value(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(r, list) and r for r in v) and \
        len({len(r) for r in v}) == 1 and all(_is_number(x) for r in v for x in r)


def discover(paths: list[str | Path]) -> list[Path]:
    """Derivation files under ``paths`` (files, or folders searched for ``*.toml``). A folder
    with none is an error, not an empty list: a check of nothing must not pass."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = []
            for f in p.rglob("*.toml"):
                if not f.is_dir():
                    found.append(f)
                if len(found) > MAX_FILES:
                    raise UserError(f"more than {MAX_FILES:,} derivation files under this "
                                    f"folder; name a smaller one", str(p))
            found.sort()
            if not found:
                raise UserError("no derivation files (*.toml) in this folder", str(p))
            out.extend(found)
        elif p.exists() or p.is_symlink():
            out.append(p)
        else:
            raise UserError(f"no such file or folder: {p}")
    return out
