"""Identification: the gradient read off a differential.

For ``df`` linear in ``dX``, find ``G`` with ``df = tr(G^T dX)``: each term is brought to a
trace ``tr(P dX Q) = tr(Q P dX)`` (cyclic), so ``G = (Q P)^T``; ``tr(P dX^T Q)`` gives
``G = Q P``; a Hadamard factor ``A o dX`` gives ``G = (Q P)^T o A``. A scalar is its own trace.
Anything else raises :class:`NoRule`: the step is then shown as the engine's, not invented.
"""

from __future__ import annotations

import sympy
from sympy import HadamardProduct, Identity, MatAdd, MatMul, OneMatrix, Trace, Transpose
from sympy.matrices.expressions.matexpr import MatrixElement

from workbench.expr.functions import is_matrix


class NoRule(Exception):
    """No identity covers this node: the step is shown as the engine's, not invented."""


def identify(expr, dV):
    """``G`` such that ``expr = tr(G^T dV)`` for an ``expr`` linear in ``dV``."""
    if not is_matrix(dV):
        G = sympy.diff(expr, dV)
        if G.has(dV) or G == 0:
            raise NoRule("the differential is not linear in the variable")
        return G
    if _entrywise(expr, dV):
        return _entry_gradient(expr, dV)
    pieces = [c * _coefficient(fs, dV) for c, fs in _terms(expr, dV)]
    if not pieces:
        raise NoRule("the differential does not involve the variable")
    return MatAdd(*pieces).doit(deep=False) if len(pieces) > 1 else pieces[0]


def _entrywise(expr, dV) -> bool:
    """True when ``expr`` holds ``dV`` only through its entries (``dw[0, 0]``), at fixed size."""
    if is_matrix(expr) or not all(isinstance(n, (int, sympy.Integer)) for n in dV.shape):
        return False
    entries = [a for a in expr.atoms(MatrixElement) if a.parent == dV]
    return bool(entries) and not expr.xreplace({a: 0 for a in entries}).has(dV)


def _entry_gradient(expr, dV):
    """``G[i, j]`` = the coefficient of ``dV[i, j]`` in a differential written entry by entry."""
    rows, cols = (int(n) for n in dV.shape)
    G = sympy.ImmutableMatrix(rows, cols, lambda i, j: sympy.diff(expr, dV[i, j]))
    if G.has(dV):
        raise NoRule("the differential is not linear in the variable")
    return G


def _terms(e, dV):
    """(scalar coefficient, matrix factors) with ``e = sum c tr(prod factors)``."""
    if not e.has(dV):
        return []
    if isinstance(e, Transpose):
        return _terms(e.arg, dV)
    if e == dV:
        return [(sympy.Integer(1), [e])]
    if isinstance(e, Trace) or (is_matrix(e) and e.shape == (1, 1)):
        out = []
        for c, mats in _products(e.arg if isinstance(e, Trace) else e, dV):
            if c.has(dV):
                raise NoRule("a trace of the differential multiplies another")
            out.append((c, mats))
        return out
    if isinstance(e, sympy.Add):
        return [t for a in e.args for t in _terms(a, dV)]
    if isinstance(e, sympy.Mul):
        c, rest = e.as_independent(dV, as_Add=False)
        if c == 1:
            raise NoRule("the differential is not linear")
        return [(c * c2, fs) for c2, fs in _terms(rest, dV)]
    raise NoRule(f"cannot read a gradient off {type(e).__name__}")


def _products(e, dV):
    """``e = sum c prod(mats)``, distributing only over the factors that hold ``dV``."""
    if isinstance(e, MatAdd):
        return [t for a in e.args for t in _products(a, dV)]
    if isinstance(e, Transpose):
        return [(c, [m.T for m in reversed(mats)]) for c, mats in _products(e.arg, dV)]
    if not isinstance(e, MatMul):
        return [(sympy.Integer(1), [e])]
    c, mats = e.as_coeff_matrices()
    for k, m in enumerate(mats):
        if m.has(dV) and isinstance(m, (MatAdd, MatMul, Transpose)) and m != dV.T:
            return [(c * c2, [*mats[:k], *inner, *mats[k + 1:]])
                    for c2, inner in _products(m, dV)]
    return [(c, list(mats))]


def _coefficient(factors, dV):
    """The gradient of ``tr(prod factors)`` where one factor holds ``dV`` linearly."""
    where = [k for k, f in enumerate(factors) if f.has(dV)]
    if len(where) != 1:
        raise NoRule("the differential is not linear")
    k = where[0]
    F = factors[k]
    rest = list(factors[k + 1:]) + list(factors[:k])     # tr(P F Q) = tr(Q P F)
    M = MatMul(*rest).doit() if rest else None
    if F == dV:
        return M.T if M is not None else Identity(dV.shape[0])
    if F == dV.T:
        return M if M is not None else Identity(dV.shape[0])
    if isinstance(F, HadamardProduct) and dV not in F.args:
        return _through_hadamard(F, M, dV)
    if isinstance(F, HadamardProduct) and dV in F.args:
        others = [a for a in F.args if a != dV]
        A = others[0] if len(others) == 1 else HadamardProduct(*others)
        W = M.T if M is not None else None
        if W is None or isinstance(W, OneMatrix) and W.shape == A.shape:
            return A
        return HadamardProduct(W, A)
    raise NoRule(f"cannot read a gradient off a {type(F).__name__}")


def _through_hadamard(F, M, dV):
    """The gradient of ``tr(M (A o B))`` with ``B`` linear in ``dV``: it is
    ``tr((M^T o A)^T B)``, read on through ``B``."""
    inner = [a for a in F.args if a.has(dV)]
    if len(inner) != 1:
        raise NoRule("the differential is not linear")
    B = inner[0]
    others = [a for a in F.args if a is not B]
    A = others[0] if len(others) == 1 else HadamardProduct(*others)
    if M is None:
        raise NoRule("a trace of a Hadamard product alone")
    W = M.T
    if not (isinstance(W, OneMatrix) and W.shape == A.shape):
        A = HadamardProduct(W, A)
    return identify(Trace(MatMul(A.T, B)), dV)


def identify_jacobian(expr, dv):
    """``J`` such that ``expr = J dv`` for a column ``expr`` linear in the column ``dv``
    (numerator layout): ``A dv`` gives ``A``, ``a o B`` gives ``diag(a) J_B``, a scalar
    ``s(dv) = g^T dv`` times a column ``c`` gives ``c g^T``."""
    if not (is_matrix(dv) and dv.shape[1] == 1):
        raise NoRule("a Jacobian is read off a column differential")
    pieces = _jacobian_terms(expr, dv)
    if not pieces:
        raise NoRule("the differential does not involve the variable")
    return MatAdd(*pieces).doit(deep=False) if len(pieces) > 1 else pieces[0]


def _jacobian_terms(e, dv) -> list:
    if not e.has(dv):
        return []
    if e == dv:
        return [Identity(dv.shape[0])]
    if isinstance(e, MatAdd):
        return [t for a in e.args for t in _jacobian_terms(a, dv)]
    if isinstance(e, MatMul):
        c, mats = e.as_coeff_matrices()
        holders = [k for k, m in enumerate(mats) if m.has(dv)]
        if c.has(dv):
            if holders:
                raise NoRule("the differential is not linear")
            g = identify(c, dv)
            return [MatMul(*mats, g.T).doit(deep=False)]
        if len(holders) != 1 or holders[0] != len(mats) - 1:
            raise NoRule("the differential is not of the form A dv")
        head = list(mats[:-1])
        return [MatMul(c, *head, J).doit(deep=False) if head or c != 1 else J
                for J in _jacobian_terms(mats[-1], dv)]
    if isinstance(e, HadamardProduct):
        holders = [a for a in e.args if a.has(dv)]
        if len(holders) != 1:
            raise NoRule("the differential is not linear")
        others = [a for a in e.args if a is not holders[0] and not isinstance(a, OneMatrix)]
        if not others:
            return _jacobian_terms(holders[0], dv)
        a = others[0] if len(others) == 1 else HadamardProduct(*others)
        return [MatMul(sympy.DiagMatrix(a), J).doit(deep=False)
                for J in _jacobian_terms(holders[0], dv)]
    raise NoRule(f"cannot read a Jacobian off {type(e).__name__}")
