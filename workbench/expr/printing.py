"""Plain text of an expression in our own language, the one :func:`~workbench.expr.parser.parse`
reads: what the workbench prints as a formula (``derive``, the correct gradient of ``verify``,
``--json``) parses back to the same expression. Printer and parser are one language, tested as
a round trip (``tests/test_printing.py``).

SymPy's own string printer writes forms our language reads otherwise or not at all; each is
translated here, as one rule per node:

- ``Inverse(X)`` (SymPy: ``X**(-1)``, elementwise for us) is ``inv(X)``; a matrix power ``X**2``
  is ``X@X``;
- an elementwise function ``Lambda(_t, exp(_t)).(z)`` is ``exp(z)`` (our functions apply entry by
  entry to a matrix); another body is written with the entrywise operations of the language:
  ``1 - tanh(t)**2`` of ``z`` (``k x 1``) is ``ones(k, 1) - tanh(z)**2``, a product of two
  entrywise factors ``hadamard(a, b)``;
- ``HadamardPower(x, 2)`` is ``x**2``, ``HadamardProduct`` is ``hadamard(a, b)``;
- ``Trace(1 x)`` is ``sum(x)``, ``DiagMatrix(v)`` is ``diag(v)``, ``Identity(p)`` is ``eye(p)``,
  matrix products use ``@``, ``Determinant`` is ``det``;
- ``Heaviside(u)`` (SymPy's, 1/2 at 0) is ``(sign(u) + 1)/2``, the same function everywhere;
- a long decimal fraction (``8943/200000``, what the literal ``0.044715`` is exactly) is the
  decimal again, ``0.044715`` (:func:`decimal_text`).
"""

from __future__ import annotations

import sympy
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter

from workbench.expr.functions import FUNCTIONS


class _NoForm(ValueError):
    """A node the language cannot write (the printer falls back to SymPy's text for it)."""


def _known_bodies(t):
    """Bodies of elementwise functions the language names: ``(body of t, name)``, as our
    parser builds them (``workbench.expr.functions``) and as SymPy rewrites them."""
    return [(1 / (1 + sympy.exp(-t)), "sigmoid"), (sympy.exp(t) / (sympy.exp(t) + 1), "sigmoid"),
            (sympy.log(1 + sympy.exp(t)), "softplus"), ((t + sympy.Abs(t)) / 2, "relu")]


def _call(name: str, *parts):
    """A printer method writing ``name(part, ...)``, each part a function of the node."""
    def method(self, expr):
        return f"{name}({', '.join(self._print(part(expr)) for part in parts)})"
    return method


class _Plain(StrPrinter):
    def parenthesize(self, item, level, strict=False):
        # the precedence of what is written: a Heaviside is a quotient, (sign(u) + 1)/2, and an
        # elementwise function may be written as a sum (ones(k, 1) - tanh(z)**2)
        prec = PRECEDENCE["Mul"] if isinstance(item, sympy.Heaviside) else \
            precedence(_written(item)) if isinstance(item, ElementwiseApplyFunction) else \
            precedence(item)
        if prec < level or (not strict and prec <= level):
            return f"({self._print(item)})"
        return self._print(item)

    def _print_ElementwiseApplyFunction(self, expr):
        name = _name_of(expr)
        if name is not None:
            return f"{name}({self._print(expr.expr)})"
        try:
            return self._print(_entrywise(expr.function.expr, expr.function.variables[0],
                                          expr.expr))
        except _NoForm:
            return super()._print_ElementwiseApplyFunction(expr)

    def _print_Trace(self, expr):
        a = expr.arg
        if isinstance(a, sympy.MatMul):
            c, mats = a.as_coeff_matrices()
            if len(mats) == 2 and isinstance(mats[0], sympy.OneMatrix):
                if c != 1:                 # tr(c*ones(1, k)@x) is c*sum(x)
                    return self._print(c * sympy.Trace(sympy.MatMul(*mats)))
                return f"sum({self._print(mats[1])})"
        return f"tr({self._print(a)})"

    # nodes the language writes as a call: name(parts of the node, printed)
    _print_Determinant = _call("det", lambda e: e.arg)
    _print_Inverse = _call("inv", lambda e: e.arg)
    _print_DiagMatrix = _call("diag", lambda e: e.args[0])
    _print_Identity = _call("eye", lambda e: e.shape[0])
    _print_OneMatrix = _call("ones", lambda e: e.shape[0], lambda e: e.shape[1])
    _print_ZeroMatrix = _call("zeros", lambda e: e.shape[0], lambda e: e.shape[1])

    def _print_MatPow(self, expr):
        base, k = expr.base, expr.exp
        if not (k.is_Integer and k != 0):
            return super()._print_MatPow(expr)
        one = self._print(base) if k > 0 else f"inv({self._print(base)})"
        if abs(int(k)) == 1:
            return one
        one = one if k < 0 else self.parenthesize(base, PRECEDENCE["Mul"])
        return "@".join([one] * abs(int(k)))

    def _print_HadamardPower(self, expr):
        base, k = expr.base, expr.exp
        if k == sympy.S.Half:
            return f"sqrt({self._print(base)})"
        shown = self._print(k)
        if not (k.is_Integer and k >= 0):
            shown = f"({shown})"
        return f"{self.parenthesize(base, PRECEDENCE['Pow'])}**{shown}"

    def _print_HadamardProduct(self, expr):
        first, *rest = expr.args
        if not rest:
            return self._print(first)
        return f"hadamard({self._print(first)}, {self._print(sympy.HadamardProduct(*rest))})"

    def _print_Heaviside(self, expr):
        arg, *h0 = expr.args
        if h0 and h0[0] != sympy.S.Half:
            return super()._print_Heaviside(expr)
        return f"(sign({self._print(arg)}) + 1)/2"

    def _print_Derivative(self, expr):
        wrt = "".join(f"d{self._print(v)}" + (f"^{n}" if n > 1 else "")
                      for v, n in expr.variable_count)
        return f"d/{wrt} ({self._print(expr.expr)})"

    def _print_MatrixBase(self, expr):
        return "[" + ", ".join("[" + ", ".join(self._print(e) for e in expr.row(i)) + "]"
                               for i in range(expr.rows)) + "]"

    _print_ImmutableDenseMatrix = _print_MutableDenseMatrix = _print_MatrixBase

    def _print_MatMul(self, expr):
        c, mats = expr.as_coeff_matrices()
        text = "@".join(self.parenthesize(m, PRECEDENCE["Mul"]) for m in mats)
        if c == 1:
            return text
        if c == -1:
            return "-" + text
        return f"{self.parenthesize(c, PRECEDENCE['Mul'])}*{text}"

    def _print_Transpose(self, expr):
        return f"{self.parenthesize(expr.arg, PRECEDENCE['Pow'])}.T"

    def _print_Rational(self, expr):
        return decimal_text(expr) or super()._print_Rational(expr)

    def _print_Mul(self, expr):
        c, rest = expr.as_coeff_Mul()
        shown = decimal_text(abs(c)) if c.is_Rational else None
        if shown is None:
            return super()._print_Mul(expr)
        text = self.parenthesize(rest, PRECEDENCE["Mul"], strict=True)
        text = text[1:] if text.startswith("1/") else f"*{text}"      # 0.044715/x
        return f"{'-' if c < 0 else ''}{shown}{text}"


def _name_of(expr) -> str | None:
    """The language's name of an elementwise function (``exp``, ``sigmoid``), or None."""
    t, body = expr.function.variables[0], expr.function.expr
    if isinstance(body, sympy.Function) and body.args == (t,) and \
            type(body).__name__ in FUNCTIONS:
        return type(body).__name__
    return next((name for form, name in _known_bodies(t) if body == form), None)


def _written(expr):
    """What the printer writes for an elementwise function: itself when the language names
    it, else its entrywise form (for the precedence of the text)."""
    if _name_of(expr) is not None:
        return expr
    try:
        return _entrywise(expr.function.expr, expr.function.variables[0], expr.expr)
    except _NoForm:
        return expr


def _entrywise(body, t, arg):
    """``body`` (a scalar expression of ``t``) applied to each entry of the matrix ``arg``,
    as a matrix expression built from the language's entrywise operations (the printer then
    writes it): functions of one argument, ``**`` on a matrix, ``hadamard`` for a product of
    two entrywise factors and ``c*ones(r, c)`` for a constant term."""
    if body == t:
        return arg
    for form, _ in _known_bodies(t):
        for k in (1, 2, 3):                    # sigmoid(t)**2 is exp(2*t)/(exp(t) + 1)**2
            if body == form ** k:
                named = ElementwiseApplyFunction(sympy.Lambda(t, form), arg)
                return named if k == 1 else sympy.HadamardPower(named, k)
    if not body.has(t):
        return body * sympy.OneMatrix(*arg.shape)
    if isinstance(body, sympy.Add):
        terms = [_entrywise(a, t, arg) if a.has(t) else a * sympy.OneMatrix(*arg.shape)
                 for a in body.args]
        return sympy.MatAdd(*terms)
    if isinstance(body, sympy.Mul):
        scalar = sympy.Mul(*[a for a in body.args if not a.has(t)])
        if scalar != 1:
            return scalar * _entrywise(body / scalar, t, arg)
        parts = [_entrywise(a, t, arg) for a in body.args]
        return sympy.HadamardProduct(*parts)
    if isinstance(body, sympy.Pow):
        base, k = body.args
        if not k.has(t):
            return sympy.HadamardPower(_entrywise(base, t, arg), k)
        return _entrywise(sympy.exp(k * sympy.log(base)), t, arg)   # 2**t is exp(t*log(2))
    if isinstance(body, sympy.Heaviside):
        return _entrywise((sympy.sign(body.args[0]) + 1) / 2, t, arg)
    if isinstance(body, sympy.Function) and len(body.args) == 1 and \
            type(body).__name__ in FUNCTIONS:
        d = sympy.Dummy("t", real=True)
        return ElementwiseApplyFunction(sympy.Lambda(d, type(body)(d)),
                                        _entrywise(body.args[0], t, arg))
    raise _NoForm(f"{type(body).__name__} has no entrywise form in the language")


DECIMAL_DENOMINATOR = 1000
"""A fraction whose denominator divides a power of ten and is at least this is written as a
decimal when that is shorter (``8943/200000`` as ``0.044715``, ``7/10000`` as ``0.0007``; below
1e-4 or from 1e16 in scientific notation, ``1/10**300`` as ``1e-300``); smaller ones stay
fractions (``3/10``, ``1/8``)."""


def decimal_text(r) -> str | None:
    """The exact decimal of the rational ``r`` (``0.044715``, ``1e-5``), as the parser reads
    it back (:func:`~workbench.expr.parser.decimal_literal`), or None where the fraction is the
    better text (see :data:`DECIMAL_DENOMINATOR`)."""
    if not isinstance(r, sympy.Rational) or r.q < DECIMAL_DENOMINATOR:
        return None
    q, twos, fives = int(r.q), 0, 0
    while q % 2 == 0:
        q, twos = q // 2, twos + 1
    while q % 5 == 0:
        q, fives = q // 5, fives + 1
    if q != 1:
        return None
    k = max(twos, fives)                        # r = m / 10**k, m not a multiple of 10
    m = int(r.p) * 10 ** k // int(r.q)
    sign, digits = ("-" if m < 0 else ""), str(abs(m))
    positional = (("0." + "0" * (k - len(digits)) + digits) if len(digits) <= k
                  else f"{digits[:-k]}.{digits[-k:]}")
    mantissa = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "")
    scientific = f"{mantissa}e{len(digits) - 1 - k}"
    text = sign + (positional if -4 <= len(digits) - 1 - k < 16 else scientific)
    return text if len(text) < len(f"{r.p}/{r.q}") else None


def plain(expr) -> str:
    """``expr`` as text of our language (see the module docstring)."""
    if expr is None:
        return "None"
    return _Plain().doprint(expr)


__all__ = ["decimal_text", "plain"]
