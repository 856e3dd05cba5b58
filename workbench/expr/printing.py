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


def plain(expr) -> str:
    """``expr`` as plain text (see the module docstring)."""
    if expr is None:
        return "None"
    return _Plain().doprint(expr)


__all__ = ["plain"]
