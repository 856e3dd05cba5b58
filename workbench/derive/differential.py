"""Matrix differentials: the textbook route to a gradient (Magnus and Neudecker).

Write the differential ``df`` with the rules ``d(UV) = dU V + U dV``, ``d(U^T) = (dU)^T``,
``d tr U = tr dU``, ``d log det A = tr(A^-1 dA)``, ``d A^-1 = -A^-1 dA A^-1``, elementwise and
Hadamard rules ...; bring it to the form ``df = tr(G^T dX)`` and read off the gradient ``G``
(:mod:`workbench.derive.identify`). When ``f`` depends on ``X`` only through a sum such as
``r = y - X beta``, the chain goes through ``r``: first ``df`` in ``dr``, then ``dr`` in
``d beta``.

:func:`route` gives the gradient (and, to a recorder, every intermediate step: the pages show
them); :mod:`workbench.derive.gradient` uses it where SymPy's matrix calculus fails, and
guards its result like any other closed form.
"""

from __future__ import annotations

from typing import Callable

import sympy
from sympy import (Determinant, HadamardPower, HadamardProduct, Inverse, MatAdd, MatMul,
                   MatrixSymbol, Trace, Transpose, ZeroMatrix)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.matexpr import MatrixElement

from workbench.derive.identify import NoRule, identify
from workbench.derive.limits import time_limit
from workbench.errors import ResourceLimit
from workbench.expr.functions import is_matrix

Record = Callable[..., None]
"""``record(rules, expr, lhs=None, define=None)``: one step of the route (``define=(r, A, dr)``
when a shared part ``r`` stands for ``A``)."""


class Differential:
    """``d(expr)`` for the variables in ``wrt`` (``{X: dX}``), recording the rules used."""

    def __init__(self, wrt: dict):
        self.wrt, self.rules = wrt, []

    def __call__(self, e):
        if not any(e.has(v) for v in self.wrt):
            return ZeroMatrix(*e.shape) if is_matrix(e) else sympy.Integer(0)
        if e in self.wrt:
            return self.wrt[e]
        if isinstance(e, MatrixElement):
            if e.parent in self.wrt:
                return self.wrt[e.parent][e.i, e.j]
            raise NoRule("an entry of a matrix expression")
        if isinstance(e, MatAdd):
            return self._sum(e.args)
        if isinstance(e, MatMul):
            coeff, mats = e.as_coeff_matrices()
            terms = [self(coeff) * MatMul(*mats)] if coeff.has(*self.wrt) else []
            self._use("product")
            for i, m in enumerate(mats):
                dm = self(m)
                if not _is_zero(dm):
                    terms.append(coeff * MatMul(*mats[:i], dm, *mats[i + 1:]))
            return _add(terms)
        if isinstance(e, Transpose):
            self._use("transpose")
            return self(e.arg).T
        if isinstance(e, Trace):
            self._use("trace")
            return Trace(self(e.arg))
        if isinstance(e, Determinant):
            self._use("jacobi")
            return e * Trace(Inverse(e.arg) * self(e.arg))
        if isinstance(e, Inverse):
            self._use("inverse")
            return -e * self(e.arg) * e
        if isinstance(e, HadamardPower):
            self._use("hadamard-power")
            base, k = e.args
            lower = base if k - 1 == 1 else HadamardPower(base, k - 1)
            return k * HadamardProduct(lower, self(base))
        if isinstance(e, HadamardProduct):
            self._use("hadamard-product")
            return _add([HadamardProduct(*e.args[:i], self(a), *e.args[i + 1:])
                         for i, a in enumerate(e.args) if a.has(*self.wrt)])
        if isinstance(e, ElementwiseApplyFunction):
            self._use("elementwise")
            t = e.function.variables[0]
            prime = sympy.Lambda(t, sympy.diff(e.function.expr, t))
            return HadamardProduct(ElementwiseApplyFunction(prime, e.expr), self(e.expr))
        if is_matrix(e):
            raise NoRule(f"no differential rule for {type(e).__name__}")
        return self._scalar(e)

    def _use(self, rule: str) -> None:
        if rule not in self.rules:
            self.rules.append(rule)

    def _sum(self, args):
        self._use("sum")
        return _add([self(a) for a in args])

    def _scalar(self, e):
        """A scalar: the chain rule over its matrix-valued parts (traces, determinants) and
        scalar variables, each replaced by a placeholder ``u`` and differentiated by SymPy."""
        parts = _parts(e, self.wrt)
        holders = {p: sympy.Dummy("u", real=True) for p in parts}
        h = e.xreplace(holders)
        if isinstance(e, (sympy.Add)):
            self._use("sum")
        elif len(parts) != 1 or h != holders[parts[0]]:
            self._use("chain")
        back = {u: p for p, u in holders.items()}
        terms = [sympy.diff(h, u).xreplace(back) * self(p) for p, u in holders.items()]
        return sympy.Add(*terms)


def _parts(e, wrt) -> list:
    """The maximal matrix-valued subexpressions (and wrt symbols) of a scalar ``e``."""
    if e in wrt or isinstance(e, (Trace, Determinant, MatrixElement)) or is_matrix(e):
        return [e]
    out = []
    for a in e.args:
        if any(a.has(v) for v in wrt):
            out += [p for p in _parts(a, wrt) if p not in out]
    return out


def _is_zero(e) -> bool:
    return isinstance(e, ZeroMatrix) or e == 0


def _add(terms):
    terms = [t for t in terms if not _is_zero(t)]
    if not terms:
        return sympy.Integer(0)
    if is_matrix(terms[0]):
        return MatAdd(*terms).doit(deep=False)
    return sympy.Add(*terms)


def shared_part(f, V):
    """A sum through which alone ``f`` depends on ``V`` (``y - X beta``), or a scalar trace
    used more than once (``x^T w``); None when there is none."""
    for node in sympy.preorder_traversal(f):
        if node is f or not node.has(V):
            continue
        if isinstance(node, MatAdd) and node.shape != (1, 1):
            A = node.T if node.shape[0] == 1 else node
            if not f.xreplace({A: _R, A.T: _R.T}).has(V):
                return A
        if isinstance(node, Trace) and _count(f, node) > 1 and \
                not f.xreplace({node: _S}).has(V):
            return node
    return None


_R = MatrixSymbol("_r", 1, 1)
_S = sympy.Symbol("_s")


def _count(f, node) -> int:
    return sum(1 for n in sympy.preorder_traversal(f) if n == node)


def factor_common(G):
    """``A x + B x`` as ``(A + B) x`` (and on the left), the way a textbook writes it."""
    if not isinstance(G, MatAdd):
        return G
    terms = [t.as_coeff_matrices() if isinstance(t, MatMul) else (1, [t]) for t in G.args]
    if any(len(m) < 2 for _, m in terms):
        return G
    if all(m[-1] == terms[0][1][-1] for _, m in terms):
        return MatMul(_add([c * MatMul(*m[:-1]) for c, m in terms]), terms[0][1][-1])
    if all(m[0] == terms[0][1][0] for _, m in terms):
        return MatMul(terms[0][1][0], _add([c * MatMul(*m[1:]) for c, m in terms]))
    return G


def differential_symbol(V, name: str):
    """``dX`` for a matrix ``X``, ``dx`` for a scalar."""
    if is_matrix(V):
        return MatrixSymbol(f"d{name}", *V.shape)
    return sympy.Symbol(f"d{name}", real=True)


def route(f, V, dV, grad=None, record: Record | None = None, simplify=None):
    """The gradient of ``f`` with respect to ``V`` read off its differential in ``dV``.
    Raises :class:`NoRule` where no rule covers a node. ``record`` receives each step;
    ``simplify`` tidies a scalar gradient through a shared part."""
    record = record or (lambda *args, **kw: None)
    A = shared_part(f, V)
    if A is None:
        d = Differential({V: dV})
        raw = d(f)
        record(tuple(d.rules), raw)
        G = identify(raw, dV)
        record(_reading_rules(dV), as_trace_form(G, dV))
        record(("identification",), G, lhs=grad)
        return _factored(G, grad, record)
    r, dr = _shared_symbols(A)
    g = f.xreplace({A: r, A.T: r.T}) if is_matrix(A) else f.xreplace({A: r})
    record(None, None, define=(r, A, dr))
    d = Differential({r: dr})
    raw = d(g)
    record(tuple(d.rules), raw)
    G_r = identify(raw, dr)
    if not is_matrix(G_r) and simplify is not None:
        G_r = simplify(G_r)
    record(_reading_rules(dr), as_trace_form(G_r, dr))
    inner = Differential({V: dV})
    dA = inner(A)
    record(tuple(inner.rules), dA, lhs=dr)
    chained = chain_form(G_r, dA, dr)
    record(("chain",), chained)
    G = identify(chained, dV)
    record(("identification",), G, lhs=grad)
    G_sub = G.xreplace({r: A, r.T: A.T}) if is_matrix(A) else G.xreplace({r: A})
    if G_sub != G:
        record(("substitution",), G_sub, lhs=grad)
    return _factored(G_sub, grad, record)


def _factored(G, grad, record: Record):
    F = factor_common(G)
    if F != G:
        record(("factor",), F, lhs=grad)
    return F


def _shared_symbols(A):
    if is_matrix(A):
        return MatrixSymbol("r", *A.shape), MatrixSymbol("dr", *A.shape)
    return sympy.Symbol("s", real=True), sympy.Symbol("ds", real=True)


def _reading_rules(dV) -> tuple[str, ...]:
    if not is_matrix(dV):
        return ("collect",)
    return ("scalar-transpose",) if dV.shape[1] == 1 else ("trace-cyclic",)


def as_trace_form(G, dV):
    """``G^T dV`` for a column (a 1x1 matrix), ``tr(G^T dV)`` otherwise, ``G dV`` scalar."""
    if is_matrix(dV) and G.shape != dV.shape:
        raise NoRule("the gradient read off has the wrong shape")
    return chain_form(G, dV, dV)


def chain_form(G_r, dA, dr):
    """The differential read through ``r`` (gradient ``G_r``), written in ``dA`` instead of
    ``dr``: ``G_r^T dA``, traced unless ``dr`` is a column; ``G_r dA`` for a scalar ``dr``."""
    if not is_matrix(dr):
        return G_r * dA
    form = MatMul(G_r.T, dA).doit(deep=False)
    return form if dr.shape[1] == 1 else Trace(form)


def attempt(work: Callable[[], object], seconds: float) -> tuple[object, str | None]:
    """``(work(), None)`` within ``seconds``, or ``(None, why the differential route failed)``:
    no rule, over budget, or an exception of SymPy's."""
    try:
        with time_limit(seconds, "matrix differentials"):
            return work(), None
    except NoRule as exc:
        return None, f"found no rule ({exc})"
    except ResourceLimit:
        return None, "timed out"
    except Exception as exc:  # noqa: BLE001 - SymPy raises many kinds on exotic nodes
        return None, f"raised {type(exc).__name__}"


__all__ = ["Differential", "NoRule", "attempt", "chain_form", "differential_symbol", "factor_common",
           "route", "shared_part"]
