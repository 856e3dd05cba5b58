"""A safe parser for our expression language: Python's ``ast`` under a whitelist.

Text is parsed to a syntax tree and never executed: each node kind has its own builder, and
anything not listed here (attribute access other than ``.T``, dunder names, lambdas, strings,
comparisons, keyword arguments ...) is refused with a :class:`ParseError` pointing at the column.
Limits on length, nesting depth, digits and exponents keep hostile text such as ``9**9**9**9``
from hanging SymPy. Nesting counts what a reader sees as nested (parentheses, calls, powers,
unary signs), not the depth of Python's tree, where ``x + x + ... + x`` is a left-leaning chain
as deep as it is long; such chains have their own, larger limit (:data:`MAX_CHAIN`), which
keeps every walk of the tree (here and in :mod:`workbench.trace`) far from Python's recursion
limit.

Language: numbers, declared variable names, dimension names, ``pi``, ``e``; ``+ - * / ** @``;
unary minus; parentheses; ``X.T``; ``X[i, j]`` with integer literals; calls to the functions of
:mod:`workbench.expr.functions`. Between two matrices ``*`` and ``@`` are the matrix product;
``**`` on a matrix is elementwise.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
from typing import Iterable, Mapping

import sympy

from workbench.errors import ParseError, ShapeError, UserError
from workbench.expr.functions import (FUNCTIONS, VARIADIC, as_scalar, hadamard_power, is_1x1,
                                      is_matrix)
from workbench.expr.spaces import Variable, dim_symbol, dimension_names
from workbench.expr.syntax import MAX_DEPTH, MAX_LENGTH, read_tree

MAX_DIGITS = 40
MAX_EXPONENT = 100
MAX_RESULT_DIGITS = 2000
_TOO_LONG = 10 ** MAX_RESULT_DIGITS
CONSTANTS = {"pi": sympy.pi, "e": sympy.E, "E": sympy.E}


def parse(text: str, variables: Iterable[Variable] | Mapping[str, Variable],
          latex: bool | None = None) -> sympy.Basic:
    """Parse ``text`` into a SymPy expression over ``variables``: our language, or LaTeX
    (``latex``: True, False, or None to tell by its backslashes and braces).

    Raises :class:`ParseError` (``where`` = ``col N``, 1-based) for anything outside the language
    or its limits, and :class:`ShapeError` for matrices that do not fit together.
    """
    table = dict(variables) if isinstance(variables, Mapping) else {v.name: v for v in variables}
    tree, offset = read_tree(text, {*table, *dimension_names(table.values())},
                             {name for name, v in table.items() if v.is_matrix}, latex)
    out = _Builder(table, offset, text.strip()).build(tree.body, 0)
    if out.has(sympy.I):          # sqrt(-1 - x**2) is I*sqrt(x**2 + 1) for SymPy: no real value
        shown = str(out) if len(str(out)) <= 60 else str(out)[:60] + " ..."
        raise ParseError(f"not real-valued: SymPy reads it as {shown}, complex for every real "
                         f"value of the variables", f"col {offset + 1}")
    if isinstance(out, sympy.MatrixBase) and out.shape == (1, 1):
        return out[0, 0]                  # a written-out 1x1 matrix is a scalar, as elsewhere
    return out


MAX_LITERAL_SIZE = 16
"""Rows and columns of a matrix literal, at most."""


class _Builder:
    def __init__(self, table: dict[str, Variable], offset: int, text: str = ""):
        self.text = text              # the stripped text (one line of ASCII): literals as written
        self.symbols = {name: v.symbol() for name, v in table.items()}
        for d in dimension_names(table.values()):
            self.symbols.setdefault(d, dim_symbol(d))
        self.offset = offset

    def fail(self, node: ast.AST, message: str, cls=ParseError) -> UserError:
        return cls(message, f"col {self.offset + getattr(node, 'col_offset', 0) + 1}")

    def build(self, node: ast.AST, depth: int):
        if depth > MAX_DEPTH:
            raise self.fail(node, f"expression nested deeper than {MAX_DEPTH}")
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise self.fail(node, f"{_describe(node)} is not allowed in an expression")
        try:
            out = method(node, depth + 1)
        except UserError as exc:
            if exc.where is None:
                raise self.fail(node, exc.message, type(exc)) from None
            raise
        except (TypeError, ValueError, AttributeError, sympy.SympifyError) as exc:
            raise self.fail(node, f"cannot build this expression: {exc}") from None
        self._guard(node, out)
        return out

    def _guard(self, node: ast.AST, out) -> None:
        """Refuse powers that SymPy merged past the exponent limit (``(x**100)**100`` is
        ``x**10000``, which the limit on literal exponents alone would let through), and
        numbers that SymPy's arithmetic grew past :data:`MAX_RESULT_DIGITS` (products of
        allowed powers: ``(9**40)**50*(9**40)**50*(9**40)**50`` has 5,700 digits, more than
        Python will even print)."""
        if is_matrix(out) or not isinstance(out, sympy.Expr):
            return
        if isinstance(out, sympy.Pow) and out.exp.is_Number and \
                abs(out.exp) > MAX_EXPONENT:
            raise self.fail(node, f"exponent {out.exp} is too large (limit {MAX_EXPONENT})")
        # new numbers appear where this node's evaluation put them: itself, its terms or
        # factors, and their coefficients (A*(A*x + y) is A**2*x + A*y)
        for part in (out, *out.args, *(a.as_coeff_Mul()[0] for a in out.args if a.is_Mul)):
            if part.is_Rational and max(abs(part.p), part.q) >= _TOO_LONG:
                raise self.fail(node, f"a constant here has more than {MAX_RESULT_DIGITS:,} "
                                      f"digits")

    def _Constant(self, node: ast.Constant, depth: int):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(node, f"constant {v!r} is not a number")
        if isinstance(v, int):
            if len(str(abs(v))) > MAX_DIGITS:
                raise self.fail(node, f"integer literal longer than {MAX_DIGITS} digits")
            return sympy.Integer(v)
        if v != v or v in (float("inf"), float("-inf")):
            raise self.fail(node, "number is not finite")
        try:
            return decimal_literal(v, self.text[node.col_offset:node.end_col_offset])
        except ValueError as exc:
            raise self.fail(node, str(exc)) from None

    def _Name(self, node: ast.Name, depth: int):
        name = node.id
        if name in self.symbols:
            return self.symbols[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name.startswith("_"):
            raise self.fail(node, f"name {name!r} is not allowed")
        if name in FUNCTIONS:
            raise self.fail(node, f"{name} is a function: call it, e.g. {name}(x)")
        known = ", ".join(sorted(self.symbols)) or "none"
        close = difflib.get_close_matches(name, list(self.symbols), n=1)
        raise self.fail(node, f"unknown name {name!r} (declared: {known})" +
                        (f"; did you mean {close[0]}?" if close else ""))

    def _UnaryOp(self, node: ast.UnaryOp, depth: int):
        operand = self.build(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        raise self.fail(node, f"operator {_OP_NAMES.get(type(node.op), '?')} is not allowed")

    def _BinOp(self, node: ast.BinOp, depth: int):
        op = type(node.op)
        if op not in _BINARY:
            raise self.fail(node, f"operator {_OP_NAMES.get(op, '?')} is not allowed")
        chained = _LEVEL.get(op) is not None and isinstance(node.left, ast.BinOp) and \
            _LEVEL.get(type(node.left.op)) == _LEVEL[op]
        left = self.build(node.left, depth - 1 if chained else depth)   # a + b + c: not nested
        right = self.build(node.right, depth)
        return getattr(self, _BINARY[op])(node, left, right)

    def add(self, node, a, b):
        if is_matrix(a) and is_matrix(b):
            if a.shape != b.shape:
                raise self.fail(node, f"cannot add shapes {a.shape} and {b.shape}", ShapeError)
            return a + b
        if is_matrix(a) or is_matrix(b):
            if is_1x1(a) or is_1x1(b):
                return as_scalar(a) + as_scalar(b)
            raise self.fail(node, "cannot add a scalar and a matrix", ShapeError)
        return a + b

    def sub(self, node, a, b):
        return self.add(node, a, -b)

    def mul(self, node, a, b):
        if is_matrix(a) and is_matrix(b):
            if a.shape[1] != b.shape[0]:
                if is_1x1(a) or is_1x1(b):
                    return as_scalar(a) * b if is_1x1(a) else a * as_scalar(b)
                raise self.fail(node, f"matrix product of shapes {a.shape} and {b.shape}: "
                                      f"inner dimensions {a.shape[1]} and {b.shape[0]} differ",
                                ShapeError)
        return a * b

    def matmul(self, node, a, b):
        if not (is_matrix(a) and is_matrix(b)):
            scalars = " and ".join(ast.unparse(side) for side, value in
                                   ((node.left, a), (node.right, b)) if not is_matrix(value))
            raise self.fail(node, f"@ is the matrix product, but {scalars} "
                                  f"{'is a scalar' if ' and ' not in scalars else 'are scalars'}"
                                  f" (declare a matrix with --matrix X=n,p, or shape = [\"n\", "
                                  f"\"p\"] in a file's [variables]; * multiplies scalars)",
                            ShapeError)
        return self.mul(node, a, b)

    def div(self, node, a, b):
        if is_matrix(b):
            if not is_1x1(b):
                raise self.fail(node, "cannot divide by a matrix (use inv(...))", ShapeError)
            b = as_scalar(b)
        if b == 0:
            raise self.fail(node, "division by zero")
        return a * (1 / b) if is_matrix(a) else a / b

    def pow(self, node, a, b):
        if is_matrix(b):
            b = as_scalar(b, "an exponent")
        if b.is_Number:
            if b.is_Integer and abs(int(b)) > MAX_EXPONENT or b.is_Rational and \
                    max(abs(b.p), abs(b.q)) > MAX_EXPONENT:
                raise self.fail(node, f"exponent {b} is too large (limit {MAX_EXPONENT})")
            if a.is_Number and a.is_Rational and b.is_Rational:
                digits = max(len(str(abs(a.p))), len(str(abs(a.q))))
                if digits * abs(b.p) > MAX_RESULT_DIGITS:
                    raise self.fail(node, "constant power too large to compute")
        if is_matrix(a):
            if getattr(node, "inverse", False):          # LaTeX's A^{-1}: the inverse
                return FUNCTIONS["inv"][1](a)
            return hadamard_power(a, b)
        if a == 0 and b.is_Number and b.is_negative:
            raise self.fail(node, "division by zero")
        return a ** b

    def _Attribute(self, node: ast.Attribute, depth: int):
        if node.attr != "T":
            raise self.fail(node, f"attribute access .{node.attr} is not allowed (only .T)")
        value = self.build(node.value, depth)
        if not is_matrix(value):
            raise self.fail(node, ".T needs a matrix", ShapeError)
        return value.T

    def _List(self, node: ast.List, depth: int):
        """A matrix literal, row by row: ``[[a, b], [c, d]]``; a column is ``[[a], [b]]``.
        Entries are scalar expressions (of variables too)."""
        rows = node.elts
        if not rows or not all(isinstance(r, ast.List) for r in rows):
            raise self.fail(node, "write a matrix as a list of rows, e.g. [[1, 0], [0, 1]] "
                                  "(a column: [[a], [b]])", ShapeError)
        widths = {len(r.elts) for r in rows}
        if len(widths) != 1 or 0 in widths:
            raise self.fail(node, "every row of a matrix literal needs the same number of "
                                  "entries (at least one)", ShapeError)
        if len(rows) > MAX_LITERAL_SIZE or max(widths) > MAX_LITERAL_SIZE:
            raise self.fail(node, f"a matrix literal has at most {MAX_LITERAL_SIZE} rows and "
                                  f"columns", ShapeError)
        entries = []
        for row in rows:
            out = []
            for e in row.elts:
                value = self.build(e, depth)
                if is_matrix(value) and not is_1x1(value):
                    raise self.fail(e, "the entries of a matrix literal are scalars", ShapeError)
                out.append(as_scalar(value))
            entries.append(out)
        return sympy.ImmutableMatrix(entries)

    def _Subscript(self, node: ast.Subscript, depth: int):
        value = self.build(node.value, depth)
        if not is_matrix(value):
            raise self.fail(node, "indexing needs a matrix", ShapeError)
        idx = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if len(idx) != 2 or not all(isinstance(i, ast.Constant) and type(i.value) is int
                                    for i in idx):
            raise self.fail(node, "index a matrix with two integers, e.g. X[0, 1]")
        i, j = (k.value for k in idx)
        for k, size in ((i, value.shape[0]), (j, value.shape[1])):
            if k < 0 or (size.is_Integer and k >= int(size)):
                raise self.fail(node, f"index {k} out of range for shape {value.shape}",
                                ShapeError)
        return value[i, j]

    def _Call(self, node: ast.Call, depth: int):
        if not isinstance(node.func, ast.Name):
            if isinstance(node.func, (ast.Constant, ast.BinOp, ast.UnaryOp)):  # 2(x), (a)(b)
                raise self.fail(node, "a product needs *: write 2*(x + 1), (a)*(b)")
            raise self.fail(node, "only calls of whitelisted functions by name are allowed")
        name = node.func.id
        if name in self.symbols:
            raise self.fail(node, f"{name} is a variable, not a function: for a product write "
                                  f"{name}*(...)")
        if name not in FUNCTIONS:
            raise self.fail(node, f"unknown function {name!r} (allowed: "
                                  f"{', '.join(sorted(FUNCTIONS))})")
        if node.keywords:
            raise self.fail(node, f"{name}() takes no keyword arguments")
        arity, builder = FUNCTIONS[name]
        n = len(node.args)
        ok = (n >= 1) if arity == VARIADIC else (n in arity if isinstance(arity, tuple)
                                                  else n == arity)
        if not ok or any(isinstance(a, ast.Starred) for a in node.args):
            want = "one or more" if arity == VARIADIC else (
                " or ".join(map(str, arity)) if isinstance(arity, tuple) else str(arity))
            raise self.fail(node, f"{name}() takes {want} argument(s), got {n}")
        args = [self.build(a, depth) for a in node.args]
        out = builder(*args)
        if any(isinstance(a, sympy.MatrixBase) for a in args) and \
                isinstance(out, (sympy.Trace, sympy.Determinant, sympy.MatrixExpr)) and \
                not isinstance(out, sympy.MatrixBase):
            out = out.doit()          # of a written-out matrix: written out too (16 x 16 at most)
        return out


_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.MatMult: "matmul", ast.Div: "div",
           ast.Pow: "pow"}
_LEVEL = {ast.Add: "sum", ast.Sub: "sum", ast.Mult: "product", ast.MatMult: "product",
          ast.Div: "product"}       # left-associative: a chain leans left in Python's tree
_OP_NAMES = {ast.BitXor: "^", ast.BitAnd: "&", ast.BitOr: "|", ast.FloorDiv: "//",
             ast.Mod: "%", ast.LShift: "<<", ast.RShift: ">>", ast.Invert: "~", ast.Not: "not"}


_DECIMAL = re.compile(r"(?P<whole>[0-9_]*)(?:\.(?P<frac>[0-9_]*))?(?:[eE](?P<exp>[+-]?[0-9_]+))?")


def decimal_literal(value: float, written: str | None = None) -> sympy.Rational:
    """The exact decimal a float literal stands for: ``0.044715`` is ``8943/200000``, the number
    the user wrote, not the binary float nearest to it, so that SymPy, high precision and torch
    (which rounds it once, to the same float64) all mean one number. ``written`` is the literal's
    text when known (digits past float64's 17 are kept); without it, ``repr(value)``, which is
    the written decimal for up to 15 significant digits. Raises ValueError past the limits on
    digits (:data:`MAX_DIGITS`) and size (:data:`MAX_RESULT_DIGITS`)."""
    match = _DECIMAL.fullmatch(written or "")
    if match is None:
        return sympy.Rational(repr(float(value)))
    digits = (match["whole"] + (match["frac"] or "")).replace("_", "")
    if len(digits.lstrip("0")) > MAX_DIGITS:
        raise ValueError(f"decimal literal with more than {MAX_DIGITS} digits")
    exponent = int((match["exp"] or "0").replace("_", "")) - len((match["frac"] or "").replace("_", ""))
    if abs(exponent) > MAX_RESULT_DIGITS:
        raise ValueError(f"decimal literal beyond 10**{MAX_RESULT_DIGITS} or its inverse")
    mantissa = int(digits or "0")
    return sympy.Integer(mantissa * 10 ** exponent) if exponent >= 0 else \
        sympy.Rational(mantissa, 10 ** -exponent)


def _describe(node: ast.AST) -> str:
    names = {"Lambda": "a lambda", "Compare": "a comparison", "BoolOp": "and/or",
             "IfExp": "a conditional expression", "JoinedStr": "an f-string",
             "NamedExpr": "assignment (:=)", "ListComp": "a comprehension",
             "GeneratorExp": "a generator", "Dict": "a dict", "List": "a list",
             "Tuple": "a tuple", "Set": "a set", "Await": "await", "Starred": "*args"}
    return names.get(type(node).__name__, f"syntax {type(node).__name__}")


_FLOAT_RULES = {
    sympy.exp: math.exp, sympy.log: math.log, sympy.sin: math.sin, sympy.cos: math.cos,
    sympy.tan: math.tan, sympy.asin: math.asin, sympy.acos: math.acos, sympy.atan: math.atan,
    sympy.sinh: math.sinh, sympy.cosh: math.cosh, sympy.tanh: math.tanh,
    sympy.Abs: abs, sympy.sign: lambda x: float((x > 0) - (x < 0)),
}


def _float_value(e, memo: dict) -> float | None:
    """``e`` (a constant) in float64, or None where this quick evaluation has no rule or the
    value is undefined; raises OverflowError when it is beyond float64's range."""
    if e in memo:
        return memo[e]
    value = None
    if e.is_Number or isinstance(e, sympy.NumberSymbol):
        value = float(e)                           # OverflowError for 10**400
        if math.isinf(value):
            raise OverflowError(str(e))
    else:
        args = [_float_value(a, memo) for a in e.args]
        if all(a is not None for a in args):
            try:
                if isinstance(e, sympy.Add):
                    value = math.fsum(args)
                elif isinstance(e, sympy.Mul):
                    value = math.prod(args)
                elif isinstance(e, sympy.Pow):
                    value = math.pow(*args)
                elif type(e) in _FLOAT_RULES:
                    value = _FLOAT_RULES[type(e)](*args)
            except (ValueError, ZeroDivisionError):
                value = None
            if value is not None and math.isinf(value):
                raise OverflowError(str(e))
    memo[e] = value
    return value


def constant_float(c) -> float:
    """A SymPy constant as a float64, without asking SymPy (``float(exp(exp(exp(100))))`` runs
    for hours): ``inf`` beyond float64's range, ``nan`` where it has no real value or no quick
    rule."""
    try:
        value = _float_value(sympy.sympify(c) if not isinstance(c, sympy.Basic) else c, {})
    except OverflowError:
        return math.inf if _sign_of(c) >= 0 else -math.inf
    return math.nan if value is None else value


def _sign_of(c) -> int:
    try:
        return -1 if c.could_extract_minus_sign() else 1
    except AttributeError:
        return 1


def overflowing_constant(expr) -> sympy.Expr | None:
    """The first constant in ``expr`` beyond float64's range (``exp(exp(100))``, ``10**400``),
    or None. Such a constant makes every float evaluation inf or nan, and asking SymPy for its
    value can take hours; callers say so instead."""
    memo: dict = {}
    for node in sympy.postorder_traversal(expr):
        if is_matrix(node) or not isinstance(node, sympy.Expr) or node.free_symbols:
            continue
        try:
            _float_value(node, memo)
        except OverflowError:
            return node
    return None


def free_names(text: str) -> list[str]:
    """Names an expression uses that are neither functions nor constants, in order of first
    use (for the command line, where undeclared names are scalar variables). The text is only
    parsed, never run; :func:`parse` still applies every check afterwards."""
    try:
        tree, _ = read_tree(text)
    except ParseError:
        return []
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and id(node) not in called and node.id not in CONSTANTS \
                and node.id not in FUNCTIONS and not node.id.startswith("_") \
                and node.id not in out:
            out.append(node.id)
    return out
