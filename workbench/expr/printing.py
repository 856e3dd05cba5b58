"""Plain text of an expression the way a user writes it: ``exp.(z)`` for an elementwise
function (not SymPy's ``Lambda(_d, exp(_d)).(z)``), ``sum(e)`` for ``tr(1 e)``, ``diag(v)``,
``X.T``, ``@`` for matrix products. The text is for reading; it is not parsed back."""

from __future__ import annotations

import sympy
from sympy.printing.str import StrPrinter


class _Plain(StrPrinter):
    def _print_ElementwiseApplyFunction(self, expr):
        lam = expr.function
        t, body = lam.variables[0], lam.expr
        arg = self._print(expr.expr)
        if isinstance(body, sympy.Function) and body.args == (t,):
            return f"{type(body).__name__}.({arg})"
        return f"(t -> {self._print(body.xreplace({t: sympy.Symbol('t')}))}).({arg})"

    def _print_Trace(self, expr):
        a = expr.arg
        if isinstance(a, sympy.MatMul):
            c, mats = a.as_coeff_matrices()
            if c == 1 and len(mats) == 2 and isinstance(mats[0], sympy.OneMatrix):
                return f"sum({self._print(mats[1])})"
        return f"tr({self._print(a)})"

    def _print_Derivative(self, expr):
        wrt = "".join(f"d{self._print(v)}" + (f"^{n}" if n > 1 else "")
                      for v, n in expr.variable_count)
        return f"d/{wrt} ({self._print(expr.expr)})"

    def _print_MatrixBase(self, expr):
        return "[" + ", ".join("[" + ", ".join(self._print(e) for e in expr.row(i)) + "]"
                               for i in range(expr.rows)) + "]"

    _print_ImmutableDenseMatrix = _print_MutableDenseMatrix = _print_MatrixBase

    def _print_DiagMatrix(self, expr):
        return f"diag({self._print(expr.args[0])})"

    def _print_MatMul(self, expr):
        c, mats = expr.as_coeff_matrices()
        text = "@".join(self.parenthesize(m, sympy.printing.precedence.PRECEDENCE["Mul"])
                        for m in mats)
        if c == 1:
            return text
        if c == -1:
            return "-" + text
        return f"{self.parenthesize(c, sympy.printing.precedence.PRECEDENCE['Mul'])}*{text}"

    def _print_Transpose(self, expr):
        return f"{self.parenthesize(expr.arg, sympy.printing.precedence.PRECEDENCE['Pow'])}.T"

    def _print_Identity(self, expr):
        return f"eye({self._print(expr.shape[0])})"

    def _print_OneMatrix(self, expr):
        return f"ones({self._print(expr.shape[0])}, {self._print(expr.shape[1])})"

    def _print_Rational(self, expr):
        return decimal_text(expr) or super()._print_Rational(expr)

    def _print_Mul(self, expr):
        c, rest = expr.as_coeff_Mul()
        shown = decimal_text(abs(c)) if c.is_Rational else None
        if shown is None:
            return super()._print_Mul(expr)
        text = self.parenthesize(rest, sympy.printing.precedence.PRECEDENCE["Mul"], strict=True)
        text = text[1:] if text.startswith("1/") else f"*{text}"      # 0.044715/x
        return f"{'-' if c < 0 else ''}{shown}{text}"


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
    """``expr`` as plain text (see the module docstring)."""
    if expr is None:
        return "None"
    return _Plain().doprint(expr)


__all__ = ["decimal_text", "plain"]
