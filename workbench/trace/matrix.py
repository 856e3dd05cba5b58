"""Matrix operations of the graph, each beside its vector-Jacobian and Jacobian-vector product.

For a node ``Y = op(A, B, ...)`` with adjoint ``G`` (the gradient of the output with respect to
``Y``, same shape as ``Y``), ``vjp[k]`` gives operand k's share of its own adjoint, and
``jvp[k]`` the tangent of ``Y`` caused by a tangent ``T`` of operand k. ``rule[k]`` writes the
VJP with ``{g}`` for the adjoint and ``{0}, {1}`` for the operands, as the trace table shows it;
``rule_tex[k]`` writes it as mathematics for the pictures and pages (``|A|``: A's number of
entries, ``E_ij``: the matrix with a single 1 at (i, j)).
The rules work in both number systems (:mod:`workbench.trace.numbers`) at small fixed shapes.

Entrywise operations on matrices (``X@beta - y``, ``r**2``, ``exp(z)``) are the elementwise
rules of :mod:`workbench.trace.ops` applied entry by entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from workbench.trace.ops import ATOM, PRODUCT, Form, call


@dataclass(frozen=True)
class MatrixOp:
    text: Form
    tex: Form
    shape: Callable      # operand shapes -> result shape (None: a scalar)
    value: Callable      # (m, *operands) -> result
    vjp: tuple[Callable, ...]   # per operand: (m, g, y, *operands) -> cotangent
    jvp: tuple[Callable, ...]   # per operand: (m, t, y, *operands) -> tangent of the result
    rule: tuple[str, ...]
    rule_tex: tuple[str, ...]   # the same VJPs as mathematics, for pictures and pages


def _size(m, a):
    rows, cols = m.shape(a)
    return m.const(rows * cols)


MATRIX_OPS: dict[str, MatrixOp] = {
    "matmul": MatrixOp(
        Form("{0} @ {1}", PRODUCT, (PRODUCT, PRODUCT + 1)),
        Form(r"{0}\,{1}", PRODUCT, (PRODUCT, PRODUCT + 1)),
        lambda a, b: (a[0], b[1]), lambda m, a, b: a @ b,
        (lambda m, g, y, a, b: g @ b.T, lambda m, g, y, a, b: a.T @ g),
        (lambda m, t, y, a, b: t @ b, lambda m, t, y, a, b: a @ t),
        ("{g} @ {1}.T", "{0}.T @ {g}"),
        (r"{g}\,{1}^{{\top}}", r"{0}^{{\top}}{g}")),
    "transpose": MatrixOp(
        Form("{0}.T", ATOM, (ATOM,)), Form(r"{0}^{{\top}}", ATOM, (ATOM,)),
        lambda a: (a[1], a[0]), lambda m, a: a.T,
        (lambda m, g, y, a: g.T,), (lambda m, t, y, a: t.T,), ("{g}.T",),
        (r"{g}^{{\top}}",)),
    "sum": MatrixOp(
        *call("sum"), lambda a: None, lambda m, a: m.sum(a),
        (lambda m, g, y, a: m.build(m.shape(a), lambda _: g),),
        (lambda m, t, y, a: m.sum(t),), ("{g}*ones",), (r"{g}\,\mathbf{{1}}",)),
    "mean": MatrixOp(
        *call("mean"), lambda a: None, lambda m, a: m.mean_of(a),
        (lambda m, g, y, a: m.build(m.shape(a), lambda _: g / _size(m, a)),),
        (lambda m, t, y, a: m.mean_of(t),), ("{g}*ones/size",),
        (r"\frac{{{g}}}{{|{0}|}}\,\mathbf{{1}}",)),
    "trace": MatrixOp(
        *call("tr", r"\operatorname{tr}"), lambda a: None, lambda m, a: m.trace(a),
        (lambda m, g, y, a: g * m.eye(m.shape(a)[0]),),
        (lambda m, t, y, a: m.trace(t),), ("{g}*I",), (r"{g}\,I",)),
    "det": MatrixOp(
        *call("det", r"\det"), lambda a: None, lambda m, a: m.det(a),
        (lambda m, g, y, a: g * y * m.inv(a).T,),
        (lambda m, t, y, a: y * m.trace(m.inv(a) @ t),), ("{g}*det({0})*inv({0}).T",),
        (r"{g}\,\det({0})\,{0}^{{-\top}}",)),
    "logdet": MatrixOp(
        *call("logdet", r"\log\det"), lambda a: None, lambda m, a: m.log(m.det(a)),
        (lambda m, g, y, a: g * m.inv(a).T,),
        (lambda m, t, y, a: m.trace(m.inv(a) @ t),), ("{g}*inv({0}).T",), (r"{g}\,{0}^{{-\top}}",)),
    "inv": MatrixOp(
        Form("inv({0})"), Form("{0}^{{-1}}", ATOM, (ATOM,)), lambda a: a, lambda m, a: m.inv(a),
        (lambda m, g, y, a: -(y.T @ g @ y.T),),
        (lambda m, t, y, a: -(y @ t @ y),), ("-inv({0}).T @ {g} @ inv({0}).T",),
        (r"-{0}^{{-\top}}{g}\,{0}^{{-\top}}",)),
    "dot": MatrixOp(
        *call("dot"), lambda a, b: None, lambda m, a, b: m.trace(a.T @ b),
        (lambda m, g, y, a, b: g * b, lambda m, g, y, a, b: g * a),
        (lambda m, t, y, a, b: m.trace(t.T @ b), lambda m, t, y, a, b: m.trace(a.T @ t)),
        ("{g}*{1}", "{g}*{0}"), (r"{g}\,{1}", r"{g}\,{0}")),
    "norm": MatrixOp(
        Form("norm({0})"), Form(r"\lVert {0}\rVert", ATOM, (0,)), lambda a: None,
        lambda m, a: m.sqrt(m.trace(a.T @ a)),
        (lambda m, g, y, a: (g / y) * a,),
        (lambda m, t, y, a: m.trace(a.T @ t) / y,), ("{g}*{0}/norm({0})",),
        (r"{g}\,{0}/\lVert {0}\rVert",)),
    "entry": MatrixOp(
        Form("{0}[{1}, {2}]", ATOM, (ATOM,)), Form("{0}_{{{1}{2}}}", ATOM, (ATOM,)),
        lambda a, i, j: None, lambda m, a, i, j: m.entry(a, (int(i), int(j))),
        (lambda m, g, y, a, i, j: m.onehot(m.shape(a), (int(i), int(j)), g),),
        (lambda m, t, y, a, i, j: m.entry(t, (int(i), int(j))),), ("{g} at [{1}, {2}]",),
        (r"{g}\,E_{{{1}{2}}}",)),
}

# The functions of workbench.expr.functions that act on whole matrices.
MATRIX_FUNCTIONS = {"Trace": "trace", "tr": "trace", "trace": "trace", "Det": "det",
                    "det": "det", "logdet": "logdet", "inv": "inv", "Inverse": "inv",
                    "sum": "sum", "mean": "mean", "norm": "norm", "dot": "dot"}
