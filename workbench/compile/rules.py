"""SymPy → torch: one rule per SymPy node type, all in the table :data:`RULES`.

A rule takes a SymPy node and the :class:`~workbench.compile.compiler.Compiler` and returns a
closure ``env -> Tensor`` (``env`` is the :class:`~workbench.compile.compiler.Env` of one call).
Most rules are :func:`elementwise` or :func:`on_args` of a torch function.

Layout of the values closures return (and ``extra_funcs`` receive): a matrix is
``(..., r, c)``; a scalar is ``(..., 1, 1)``, or 0-d for a constant; ``...`` is ``(B,)`` when
batched and empty otherwise. So scalars broadcast against matrices over the batch without any
unsqueezing, and a 1x1 matrix already *is* a scalar. Constants are tensors made in the input's
dtype and device, never Python numbers handed to torch (``torch.log(2)`` fails, SymPy issue
28457, and a float64 constant would silently promote a float32 input).
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Callable

import sympy
import torch
from sympy.logic.boolalg import BooleanFalse, BooleanTrue
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.matexpr import MatrixElement

from workbench.errors import ShapeError, UnsupportedExpression
from workbench.expr.functions import is_matrix

if TYPE_CHECKING:
    from workbench.compile.compiler import Compiler, Env

Closure = Callable[["Env"], torch.Tensor]
Rule = Callable[[sympy.Basic, "Compiler"], Closure]


def elementwise(f: Callable[..., torch.Tensor]) -> Rule:
    """Rule applying ``f`` to the values of the node's arguments, each a scalar or 1x1 matrix
    (inside an elementwise Lambda a "scalar" is the whole matrix, so ``f`` must broadcast)."""
    def rule(node, c):
        args = [c.scalar(a) for a in node.args]
        return lambda env: f(*[a(env) for a in args])
    return rule


def on_args(f: Callable[..., torch.Tensor]) -> Rule:
    """Rule applying ``f`` to the values of the node's arguments, matrices or scalars."""
    def rule(node, c):
        args = [c.compile(a) for a in node.args]
        return lambda env: f(*[a(env) for a in args])
    return rule


def on_first(f: Callable[[torch.Tensor], torch.Tensor]) -> Rule:
    """Rule applying ``f`` to the first argument only (``Inverse(A)`` has args ``(A, -1)``)."""
    def rule(node, c):
        arg = c.compile(node.args[0])
        return lambda env: f(arg(env))
    return rule


def fold(op: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> Callable[..., torch.Tensor]:
    """A variadic function from a binary one: ``Add``, ``Max`` and friends take any number."""
    return lambda *xs: functools.reduce(op, xs)


def _number(node, c):
    try:
        value = float(node)  # SymPy rounds to 53 bits; then made in the input dtype
    except OverflowError:    # 10**400: beyond float64, as torch would make it
        value = math.inf if node > 0 else -math.inf
    if math.isnan(value) or node in (sympy.zoo, sympy.oo, -sympy.oo):
        raise UnsupportedExpression(f"no torch rule for {type(node).__name__}: {node} "
                                    f"(not a finite real number)")
    return lambda env: env.const(value)


def _log(x, *base):
    # SymPy rewrites log(x, b) as log(x)/log(b); a two-argument log survives only evaluate=False.
    return torch.log(x) / torch.log(base[0]) if base else torch.log(x)


def _heaviside(x, at_zero):
    # torch.heaviside has no derivative; where() has (zero), which autograd oracles need.
    return torch.where(x > 0, torch.ones_like(x), torch.where(x < 0, torch.zeros_like(x), at_zero))


def _piecewise(node, c):
    """From the last branch backwards, ``where(cond, value, later branches)``; where no condition
    holds the value is nan, as in SymPy."""
    pairs = [(c.compile(value), c.compile(cond)) for value, cond in node.args]

    def run(env):
        out = env.const(math.nan)
        for value, cond in reversed(pairs):
            out = torch.where(cond(env), value(env), out)
        return out
    return run


def _matmul(node, c):
    """Matrix factors multiply in order (broadcasting over the batch); scalar factors such as the
    2 and 1/n of ``2/n*X.T*y`` multiply elementwise."""
    matrices = [c.compile(a) for a in node.args if is_matrix(a)]
    scalars = [c.compile(a) for a in node.args if not is_matrix(a)]

    def run(env):
        out = functools.reduce(torch.matmul, [m(env) for m in matrices])
        for s in scalars:
            out = out * s(env)
        return out
    return run


def _matpow(node, c):
    base, exponent = node.args
    if not exponent.is_Integer:
        raise UnsupportedExpression(f"no torch rule for MatPow with exponent {exponent}: {node}")
    k = int(exponent)
    m = c.compile(base)
    if k < 0:                                   # X**-2 = inv(X)**2, NaN where X is singular
        return lambda env: torch.linalg.matrix_power(_inverse(m(env)), -k)
    return lambda env: torch.linalg.matrix_power(m(env), k)


def _filled(make: Callable[..., torch.Tensor]) -> Rule:
    """Rule for a constant matrix of the node's shape, the sizes read at call time."""
    def rule(node, c):
        rows, cols = node.shape
        return lambda env: make(env.size(rows), env.size(cols), dtype=env.dtype, device=env.device)
    return rule


def _element(node, c):
    parent, i, j = node.args
    if not (i.is_Integer and j.is_Integer):
        raise UnsupportedExpression(f"no torch rule for MatrixElement with symbolic index: {node}")
    i, j = int(i), int(j)
    m = c.compile(parent)

    def run(env):
        x = m(env)
        if i >= x.shape[-2] or j >= x.shape[-1]:
            raise ShapeError(f"{node} is outside a matrix of shape {tuple(x.shape[-2:])}")
        return x[..., i:i + 1, j:j + 1]
    return run


def _explicit(node, c):
    """Stack the entries, each ``(..., 1, 1)`` or 0-d, into ``(..., r, c)``."""
    rows = [[c.scalar(e) for e in row] for row in node.tolist()]

    def run(env):
        cells = [[_cell(e(env)) for e in row] for row in rows]
        batch = torch.broadcast_shapes(*(x.shape for row in cells for x in row))
        return torch.cat([torch.cat([x.expand(batch) for x in row], -1) for row in cells], -2)
    return run


def _cell(x):
    return x if x.dim() >= 2 else x.reshape(1, 1)


def _applyfunc(node, c):
    """The Lambda's body compiled with its variable bound to the whole matrix: every scalar rule
    is elementwise, and scalars ``(..., 1, 1)`` broadcast against it."""
    f = node.function
    if not isinstance(f, sympy.Lambda) or len(f.variables) != 1:
        raise UnsupportedExpression(f"no torch rule for applying {f} elementwise: {node}")
    var = f.variables[0]
    body = c.binding(var).compile(f.expr)
    m = c.compile(node.expr)

    def run(env):
        x = m(env)
        out = body(env.bind(var, x))
        return out.expand(torch.broadcast_shapes(out.shape, x.shape))  # a constant body, as 1
    return run


def _inverse(m):
    """NaN where a draw is singular, rather than an exception: a singular point is skipped
    like any other point where the function is not defined."""
    inv, info = torch.linalg.inv_ex(m)
    return torch.where((info == 0)[..., None, None], inv, torch.full_like(inv, math.nan))


def _diag(v):
    """A column or row vector ``(..., n, 1)``/``(..., 1, n)`` as ``(..., n, n)``."""
    return torch.diag_embed(v.reshape(*v.shape[:-2], -1))


def _trace(m):
    return m.diagonal(dim1=-2, dim2=-1).sum(-1)[..., None, None]


def _transpose(m):
    # Always transpose: a printer that treats a square X.T as X is wrong unless X is symmetric.
    return m.transpose(-2, -1)


RULES: dict[type, Rule] = {
    # numbers; nan and oo raise, zoo and I have no rule. Rational p/q is float(p/q), never p//q.
    sympy.Number: _number,
    sympy.NumberSymbol: _number,  # pi, E, ...
    BooleanTrue: lambda node, c: lambda env: env.const(True),
    BooleanFalse: lambda node, c: lambda env: env.const(False),
    # leaves: variables, dimension symbols (n of ``/n``), bound Lambda variables, element symbols
    sympy.Symbol: lambda node, c: c.symbol(node),
    sympy.MatrixSymbol: lambda node, c: c.matrix_symbol(node),
    # scalar arithmetic and functions
    sympy.Add: elementwise(fold(torch.add)),
    sympy.Mul: elementwise(fold(torch.mul)),
    sympy.Pow: elementwise(torch.pow),  # sqrt(x) is Pow(x, 1/2); x**(1/3) is nan for x < 0
    sympy.exp: elementwise(torch.exp),
    sympy.log: elementwise(_log),
    sympy.sin: elementwise(torch.sin),
    sympy.cos: elementwise(torch.cos),
    sympy.tan: elementwise(torch.tan),
    sympy.asin: elementwise(torch.asin),
    sympy.acos: elementwise(torch.acos),
    sympy.atan: elementwise(torch.atan),
    sympy.atan2: elementwise(torch.atan2),  # atan2(y, x), same order in both
    sympy.sinh: elementwise(torch.sinh),
    sympy.cosh: elementwise(torch.cosh),
    sympy.tanh: elementwise(torch.tanh),
    sympy.asinh: elementwise(torch.asinh),
    sympy.acosh: elementwise(torch.acosh),
    sympy.atanh: elementwise(torch.atanh),
    sympy.erf: elementwise(torch.erf),
    sympy.Abs: elementwise(torch.abs),
    sympy.sign: elementwise(torch.sign),
    sympy.floor: elementwise(torch.floor),
    sympy.ceiling: elementwise(torch.ceil),
    sympy.Max: elementwise(fold(torch.maximum)),  # Max(1.0, x): the 1.0 is a tensor already
    sympy.Min: elementwise(fold(torch.minimum)),
    sympy.Heaviside: elementwise(_heaviside),  # args (x, value at 0)
    # d/dx of Abs, sign, Heaviside, Max, Min away from their kinks: zero wherever it is finite.
    sympy.DiracDelta: elementwise(lambda x, *order: torch.zeros_like(x)),
    sympy.KroneckerDelta: elementwise(lambda i, j, *rng: (i == j).to(i.dtype)),
    # inputs are real: SymPy keeps re/conjugate only when it cannot prove that
    sympy.re: elementwise(lambda x: x),
    sympy.conjugate: elementwise(lambda x: x),
    # conditions
    sympy.Piecewise: _piecewise,
    sympy.StrictLessThan: elementwise(torch.lt),
    sympy.LessThan: elementwise(torch.le),
    sympy.StrictGreaterThan: elementwise(torch.gt),
    sympy.GreaterThan: elementwise(torch.ge),
    sympy.Equality: elementwise(torch.eq),
    sympy.Unequality: elementwise(torch.ne),
    sympy.And: elementwise(fold(torch.logical_and)),
    sympy.Or: elementwise(fold(torch.logical_or)),
    sympy.Not: elementwise(torch.logical_not),
    # matrices
    sympy.MatAdd: on_args(fold(torch.add)),
    sympy.MatMul: _matmul,
    sympy.HadamardProduct: on_args(fold(torch.mul)),
    sympy.HadamardPower: on_args(torch.pow),
    sympy.Transpose: on_first(_transpose),
    sympy.Adjoint: on_first(_transpose),  # real entries
    sympy.Inverse: on_first(_inverse),
    sympy.MatPow: _matpow,
    sympy.Determinant: on_first(lambda m: torch.linalg.det(m)[..., None, None]),
    sympy.Trace: on_first(_trace),
    sympy.DiagMatrix: on_first(_diag),
    sympy.Identity: _filled(torch.eye),
    sympy.ZeroMatrix: _filled(torch.zeros),
    sympy.OneMatrix: _filled(torch.ones),
    MatrixElement: _element,  # X[i, j] with integer i, j
    sympy.ImmutableDenseMatrix: _explicit,
    sympy.ImmutableSparseMatrix: _explicit,
    ElementwiseApplyFunction: _applyfunc,
}
