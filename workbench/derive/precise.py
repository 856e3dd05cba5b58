"""Numbers that can be trusted: a SymPy expression evaluated at an exact point with mpmath, at
rising precision until two precisions agree.

float64 can lose every digit of a correct gradient (``log(1 - sigmoid(x))`` at x = 40 cancels
to 0; ``exp(x)`` at x = 800 overflows), and SymPy's own ``evalf`` can be wrong inside a
function of a cancelling sum (``log(1 - 1/(1 + exp(-800)))`` evaluates to 632 at 15 digits).
Here the whole tree is evaluated at ``d`` digits, then at ``2d``; the difference estimates the
error. Undefined results (``log`` of a negative number, ``1/0``, a complex value) and results
that do not settle are retried at higher precision before they are believed.

One table, :data:`RULES`, maps each SymPy node type to an mpmath function, as
``workbench/compile/rules.py`` does for torch; matrix expressions (products, inverses,
determinants, traces, elementwise functions) evaluate to mpmath matrices. Points are exact:
``Rational`` values, and matrices of them (a float64 converts exactly, see :func:`exact`), so a
verdict at a point means that point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

import mpmath
import sympy
from sympy.logic.boolalg import BooleanFalse, BooleanTrue
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.matexpr import MatrixElement

from workbench.derive.limits import time_limit
from workbench.errors import ResourceLimit

DIGITS = 30
"""Digits a precise value aims at: far beyond float64's 16, so a float disagreement that
survives is real, and a relative difference of 1e-12 is seen."""
MAX_DIGITS = 960
"""Precision doubles from :data:`DIGITS` up to this; beyond it a point is left undecided."""
SECONDS = 2.0
"""Time budget of one precise evaluation (all precisions together)."""
HUGE_ARGUMENT = 1e15
"""``exp`` of more than this (a number with 4e14 digits) is not evaluated: the point is out of
reach, not a verdict."""


class Undefined(ArithmeticError):
    """The expression has no real value at the point (``log(-1)``, ``1/0``, ``asin(2)``)."""


class OutOfReach(ArithmeticError):
    """The value exists but is not computable in the budget (``exp(exp(1e6))``)."""


class Unsupported(ArithmeticError):
    """No mpmath rule for a node of the expression."""


@dataclass(frozen=True)
class Precise:
    """``value`` (an mpf, or an mpmath matrix) with an estimated absolute ``error`` (the change
    from ``digits / 2`` to ``digits``, largest over entries); ``settled`` when that error is
    below ``10**-DIGITS`` of the value's scale. ``underflow``: some ``exp`` in it was of less
    than ``-HUGE_ARGUMENT`` and was taken as 0 (what float64 gives); the value is then right
    for comparing with floats, but it cannot show that an exact difference is 0."""

    value: mpmath.mpf
    error: mpmath.mpf
    digits: int
    settled: bool
    underflow: bool = False

    @property
    def is_matrix(self) -> bool:
        return _is_mat(self.value)

    def __float__(self) -> float:
        return float(self.value)

    def tolist(self):
        """Floats: a number, or a list of rows."""
        if self.is_matrix:
            return [[float(self.value[i, j]) for j in range(self.value.cols)]
                    for i in range(self.value.rows)]
        return float(self.value)

    def __str__(self) -> str:
        if self.is_matrix:
            return "[" + ", ".join("[" + ", ".join(mpmath.nstr(self.value[i, j], 12)
                                                   for j in range(self.value.cols)) + "]"
                                   for i in range(self.value.rows)) + "]"
        return mpmath.nstr(self.value, 17)


def exact(x):
    """A float (or int, or torch/numpy scalar) as the exact rational it stands for; a matrix
    (nested lists, an array or tensor of shape (r, c)) as an ImmutableMatrix of them."""
    if hasattr(x, "tolist"):
        x = x.tolist()
    if isinstance(x, list):
        return sympy.ImmutableMatrix([[exact(e) for e in row] for row in x])
    x = float(x) if not isinstance(x, (int, sympy.Rational)) else x
    if isinstance(x, float) and not math.isfinite(x):
        raise Undefined(f"{x} is not a finite number")
    return sympy.Rational(x)


def _is_mat(v) -> bool:
    return isinstance(v, mpmath.matrices.matrices._matrix)


# ---------------------------------------------------------------- evaluation at one precision

class _Cancelled(ArithmeticError):
    """A sum lost too many digits at this precision: evaluate again with more."""


class _Evaluator:
    """One pass over the tree at the context's precision.

    ``scale`` is the largest magnitude met anywhere (the error of a result near 0 is relative to
    it). A sum that keeps fewer than ``need`` significant digits raises :class:`_Cancelled`,
    except in the ``final`` pass, where its rounding error is added to ``loss`` instead.
    """

    def __init__(self, ctx, values: Mapping[sympy.Symbol, object], need: int, final: bool):
        self.ctx, self.values, self.need, self.final = ctx, values, need, final
        self.memo: dict[sympy.Basic, object] = {}
        self.scale = ctx.mpf(0)
        self.loss = ctx.mpf(0)
        self.underflow = False

    def __call__(self, node: sympy.Basic):
        hit = self.memo.get(node)
        if hit is not None:
            return hit
        value = self._eval(node)
        self.memo[node] = value
        size = _magnitude(value)
        if size > self.scale:
            self.scale = size
        return value

    def _eval(self, node: sympy.Basic):
        ctx = self.ctx
        if node.is_Symbol or isinstance(node, sympy.MatrixSymbol):
            key = node if node in self.values else getattr(node, "name", None)
            if key not in self.values:
                raise Unsupported(f"no value for {node}")
            return self.number(self.values[key])
        if node.is_Number or isinstance(node, sympy.NumberSymbol):
            return self.number(node)
        rule = _rule(node)
        if rule is None:
            raise Unsupported(f"no precise rule for {type(node).__name__}: {_short(node)}")
        return rule(self, node)

    def number(self, x):
        ctx = self.ctx
        if isinstance(x, ctx.mpf) or _is_mat(x):
            return x
        if isinstance(x, sympy.MatrixBase):
            return ctx.matrix([[self.number(e) for e in x.row(i)] for i in range(x.rows)])
        if isinstance(x, sympy.Rational):
            return ctx.mpf(int(x.p)) / int(x.q)
        if isinstance(x, sympy.Float):
            return ctx.mpf(x._mpf_)
        if x is sympy.pi:
            return +ctx.pi
        if x is sympy.E:
            return +ctx.e
        if isinstance(x, sympy.NumberSymbol):
            return ctx.mpf(x.evalf(ctx.dps + 5)._mpf_)
        if x in (sympy.oo, -sympy.oo, sympy.nan, sympy.zoo):
            raise Undefined(f"{x}")
        if isinstance(x, (int, float)):
            return ctx.mpf(x)
        raise Unsupported(f"no precise value for {x!r}")

    def size(self, dim) -> int:
        """A matrix dimension (an Integer, or a dimension symbol bound in ``values``)."""
        if dim.is_Integer:
            return int(dim)
        value = self.values.get(dim)
        if value is None:
            raise Unsupported(f"no size for dimension {dim}")
        return int(value)

    def real(self, z):
        """A real mpf from an mpmath result, else :class:`Undefined`."""
        if isinstance(z, self.ctx.mpc):
            if z.imag != 0:
                raise Undefined("complex value")
            z = z.real
        if not self.ctx.isfinite(z):
            raise Undefined("not finite")
        return z

    def args(self, node):
        return [self(a) for a in node.args]


def _fn(name: str, guard: Callable | None = None):
    """Rule applying the mpmath function ``name`` to the node's arguments (real results)."""
    def rule(ev: _Evaluator, node):
        xs = ev.args(node)
        if guard is not None:
            guard(ev, *xs)
        try:
            return ev.real(getattr(ev.ctx, name)(*xs))
        except (ValueError, ZeroDivisionError) as exc:
            raise Undefined(str(exc)) from None
    return rule


def _huge_exp(ev, x):
    if abs(x) > HUGE_ARGUMENT:
        if x < 0:
            return
        raise OutOfReach(f"exp of {mpmath.nstr(x, 3)}")


def _huge_trig(ev, x):
    if abs(x) > ev.ctx.mpf(10) ** 5000:
        raise OutOfReach("trigonometric function of an argument beyond 1e5000")


def _exp(ev, node):
    x = ev(node.args[0])
    if x < -HUGE_ARGUMENT:
        ev.underflow = True         # positive, yet below every float: what float64 gives
        return ev.ctx.mpf(0)
    _huge_exp(ev, x)
    return ev.ctx.exp(x)


def _add(ev, node):
    return _sum(ev, ev.args(node))


def _sum(ev, terms):
    """A sum that notices cancellation: when fewer than the digits asked for survive it, the
    evaluation is retried at a higher precision (or, at the last one, its error grows)."""
    total = ev.ctx.fsum(terms)
    biggest = max(abs(t) for t in terms)
    if biggest == 0:
        return total
    kept = ev.ctx.dps - (float(ev.ctx.log10(biggest / abs(total))) if total != 0 else ev.ctx.dps)
    if kept < ev.need + 5:
        if not ev.final:
            raise _Cancelled()
        ev.loss += biggest * ev.ctx.mpf(10) ** (-ev.ctx.dps)
    return total


def _mul(ev, node):
    out = ev.ctx.mpf(1)
    for t in ev.args(node):
        out *= t
    return out


def _pow(ev, node):
    b, e = node.args
    x = _scalar_of(ev, ev(b))
    return _power_value(ev, x, int(e) if e.is_Integer else _scalar_of(ev, ev(e)), e.is_Integer)


def _log(ev, node):
    xs = ev.args(node)
    if any(x <= 0 for x in xs):
        raise Undefined("log of a non-positive number")
    if xs[0] == 1 and isinstance(node.args[0], sympy.Add):
        # log(1 + exp(-773)): the sum rounded to exactly 1 and the log to exactly 0, where the
        # value is 1.8e-336. More digits, as for a cancelling sum; at the last precision the
        # answer is 0 within the rounding of 1.
        if not ev.final:
            raise _Cancelled()
        ev.loss += ev.ctx.mpf(10) ** (-ev.ctx.dps)
    out = ev.ctx.log(xs[0])
    return out / ev.ctx.log(xs[1]) if len(xs) > 1 else out


def _sign(ev, node):
    x = ev(node.args[0])
    return ev.ctx.mpf((x > 0) - (x < 0))


def _heaviside(ev, node):
    x = ev(node.args[0])
    if x == 0:
        if len(node.args) < 2:
            raise Undefined("Heaviside at 0")
        return ev(node.args[1])
    return ev.ctx.mpf(1 if x > 0 else 0)


def _dirac(ev, node):
    x = ev(node.args[0])
    if x == 0:
        raise Undefined("DiracDelta at 0")
    return ev.ctx.mpf(0)


def _piecewise(ev, node):
    for value, cond in node.args:
        if _truth(ev, cond):
            return ev(value)
    raise Undefined("no branch of a Piecewise holds")


def _truth(ev, cond) -> bool:
    if cond is sympy.true or isinstance(cond, BooleanTrue):
        return True
    if cond is sympy.false or isinstance(cond, BooleanFalse):
        return False
    op = _RELATIONS.get(type(cond))
    if op is not None:
        a, b = ev(cond.args[0]), ev(cond.args[1])
        return op(a, b)
    if isinstance(cond, sympy.And):
        return all(_truth(ev, c) for c in cond.args)
    if isinstance(cond, sympy.Or):
        return any(_truth(ev, c) for c in cond.args)
    if isinstance(cond, sympy.Not):
        return not _truth(ev, cond.args[0])
    raise Unsupported(f"no precise rule for the condition {_short(cond)}")


_RELATIONS = {
    sympy.StrictLessThan: lambda a, b: a < b,
    sympy.LessThan: lambda a, b: a <= b,
    sympy.StrictGreaterThan: lambda a, b: a > b,
    sympy.GreaterThan: lambda a, b: a >= b,
    sympy.Equality: lambda a, b: a == b,
    sympy.Unequality: lambda a, b: a != b,
}


def _atan2(ev, node):
    y, x = ev.args(node)
    return ev.ctx.atan2(y, x)


def _magnitude(v):
    if _is_mat(v):
        return max((abs(v[i, j]) for i in range(v.rows) for j in range(v.cols)), default=0)
    return abs(v)


def _scalar_of(ev, v):
    """A 1x1 matrix read as its entry."""
    if _is_mat(v) and v.rows == v.cols == 1:
        return v[0, 0]
    return v


def _entrywise(f: Callable, *ms):
    first = next(m for m in ms if _is_mat(m))
    out = first.copy()
    for i in range(first.rows):
        for j in range(first.cols):
            out[i, j] = f(*[m[i, j] if _is_mat(m) else m for m in ms])
    return out


def _matmul(ev, node):
    out = None
    scalar = ev.ctx.mpf(1)
    for a in node.args:
        v = ev(a)
        if _is_mat(v):
            out = v if out is None else out * v
        else:
            scalar *= v
    return out * scalar if out is not None else scalar


def _product_of(ev, a, b):
    """``a b`` with each entry's dot product summed by :func:`_sum` (cancellation noticed)."""
    if a.cols != b.rows:
        raise ValueError(f"matrix product of {a.rows}x{a.cols} and {b.rows}x{b.cols}")
    out = ev.ctx.matrix(a.rows, b.cols)
    for i in range(a.rows):
        for j in range(b.cols):
            out[i, j] = _sum(ev, [a[i, k] * b[k, j] for k in range(a.cols)])
    return out


def _matadd(ev, node):
    values = ev.args(node)
    mats = [v for v in values if _is_mat(v)]
    if not mats:
        return _sum(ev, values)
    out = mats[0].copy()
    for i in range(out.rows):
        for j in range(out.cols):
            out[i, j] = _sum(ev, [v[i, j] if _is_mat(v) else v for v in values])
    return out


def _inverse(ev, node):
    m = ev(node.args[0])
    try:
        return ev.ctx.inverse(m)
    except ZeroDivisionError:
        raise Undefined("singular matrix") from None


def _filled(fill: Callable):
    def rule(ev, node):
        rows, cols = (ev.size(d) for d in node.shape)
        return ev.ctx.matrix([[fill(i, j) for j in range(cols)] for i in range(rows)])
    return rule


def _element(ev, node):
    parent, i, j = node.args
    return ev(parent)[int(i), int(j)]


def _explicit(ev, node):
    return ev.ctx.matrix([[ev(e) for e in row] for row in node.tolist()])


def _applyfunc(ev, node):
    f = node.function
    m = ev(node.expr)
    (var,) = f.variables

    def at(x):
        inner = _Evaluator(ev.ctx, {**ev.values, var: x}, ev.need, ev.final)
        out = inner(f.expr)
        ev.loss += inner.loss
        return out
    return _entrywise(at, m)


def _hadamard_power(ev, node):
    m, k = node.args
    base, e = ev(m), ev(k)
    return _entrywise(lambda x: _power_value(ev, x, e, k.is_Integer), base)


def _power_value(ev, x, y, integer: bool):
    if integer:
        k = int(y)
        if x == 0 and k < 0:
            raise Undefined("division by zero")
        return x ** k
    if x == 0:
        if y > 0:
            return ev.ctx.mpf(0)
        raise Undefined("0 to a non-positive power")
    if x < 0:
        raise Undefined("a negative number to a fractional power")
    if y * ev.ctx.log(abs(x)) > HUGE_ARGUMENT:
        raise OutOfReach("power too large")
    return ev.real(ev.ctx.power(x, y))


RULES: dict[type, Callable] = {
    sympy.Add: _add,
    sympy.Mul: _mul,
    sympy.Pow: _pow,
    sympy.exp: _exp,
    sympy.log: _log,
    sympy.sin: _fn("sin", _huge_trig),
    sympy.cos: _fn("cos", _huge_trig),
    sympy.tan: _fn("tan", _huge_trig),
    sympy.asin: _fn("asin"),
    sympy.acos: _fn("acos"),
    sympy.atan: _fn("atan"),
    sympy.atan2: _atan2,
    sympy.sinh: _fn("sinh", _huge_exp),
    sympy.cosh: _fn("cosh", _huge_exp),
    sympy.tanh: _fn("tanh"),
    sympy.asinh: _fn("asinh"),
    sympy.acosh: _fn("acosh"),
    sympy.atanh: _fn("atanh"),
    sympy.erf: _fn("erf"),
    sympy.Abs: lambda ev, node: abs(ev(node.args[0])),
    sympy.sign: _sign,
    sympy.Heaviside: _heaviside,
    sympy.DiracDelta: _dirac,        # the derivative of a kink, zero away from it
    sympy.Max: lambda ev, node: max(ev.args(node)),
    sympy.Min: lambda ev, node: min(ev.args(node)),
    sympy.floor: _fn("floor"),
    sympy.ceiling: _fn("ceil"),
    sympy.re: lambda ev, node: ev(node.args[0]),          # inputs are real
    sympy.conjugate: lambda ev, node: ev(node.args[0]),
    sympy.Piecewise: _piecewise,
    sympy.KroneckerDelta: lambda ev, node: ev.ctx.mpf(ev(node.args[0]) == ev(node.args[1])),
    # matrices (values are mpmath matrices; scalars multiply entrywise)
    sympy.MatAdd: _matadd,
    sympy.MatMul: _matmul,
    sympy.HadamardProduct: lambda ev, node: _entrywise(lambda *xs: _product(ev, xs),
                                                       *ev.args(node)),
    sympy.HadamardPower: _hadamard_power,
    sympy.Transpose: lambda ev, node: ev(node.args[0]).T,
    sympy.Adjoint: lambda ev, node: ev(node.args[0]).T,               # real entries
    sympy.Inverse: _inverse,
    sympy.MatPow: lambda ev, node: ev(node.args[0]) ** int(node.args[1]),
    sympy.Determinant: lambda ev, node: ev.ctx.det(ev(node.args[0])),
    sympy.Trace: lambda ev, node: _trace(ev, ev(node.args[0])),
    sympy.DiagMatrix: lambda ev, node: _diag(ev, ev(node.args[0])),
    sympy.Identity: _filled(lambda i, j: int(i == j)),
    sympy.ZeroMatrix: _filled(lambda i, j: 0),
    sympy.OneMatrix: _filled(lambda i, j: 1),
    MatrixElement: _element,
    sympy.ImmutableDenseMatrix: _explicit,
    sympy.MutableDenseMatrix: _explicit,
    ElementwiseApplyFunction: _applyfunc,
}


def _product(ev, xs):
    out = ev.ctx.mpf(1)
    for x in xs:
        out *= x
    return out


def _diag(ev, v):
    entries = [v[i, j] for i in range(v.rows) for j in range(v.cols)]
    out = ev.ctx.zeros(len(entries))
    for k, x in enumerate(entries):
        out[k, k] = x
    return out


def _trace(ev, m):
    if not _is_mat(m):
        return m
    return ev.ctx.fsum(m[i, i] for i in range(m.rows))


def _rule(node):
    for cls in type(node).__mro__:
        rule = RULES.get(cls)
        if rule is not None:
            return rule
    return None


def _short(e, limit: int = 80) -> str:
    text = str(e)
    return text if len(text) <= limit else text[:limit] + " ..."


# ---------------------------------------------------------------- adaptive precision

_CTX = mpmath.MPContext()


def evaluate(expr: sympy.Basic, values: Mapping[sympy.Symbol, object] | None = None,
             digits: int = DIGITS, seconds: float = SECONDS) -> Precise:
    """``expr`` (a SymPy scalar) at ``values`` (symbol -> exact number), to about ``digits``
    digits: precision doubles until two evaluations agree.

    Raises :class:`Undefined` when there is no real value at the point (at every precision
    tried), :class:`OutOfReach` or :class:`ResourceLimit` when the budget runs out,
    :class:`Unsupported` for a node without a rule.
    """
    values = dict(values or {})
    with time_limit(seconds, "high-precision evaluation"):
        return _adaptive(expr, values, digits)


def _adaptive(expr, values, digits: int) -> Precise:
    ctx = _CTX
    previous, underflow = None, False
    trouble: ArithmeticError | None = None
    d = digits
    while d <= MAX_DIGITS:
        final = 2 * d > MAX_DIGITS
        ctx.dps = d + 10
        ev = _Evaluator(ctx, values, digits, final)
        try:
            value = ev(expr)
            value = value if _is_mat(value) else +value
        except (_Cancelled, Undefined, ValueError, ZeroDivisionError) as exc:
            # may be cancellation at this precision (log(1 - sigmoid(800)) is log(0) at 40
            # digits): believe it only at the highest precision
            trouble = exc if isinstance(exc, (Undefined, _Cancelled)) else Undefined(str(exc))
            previous = None
            d *= 2
            continue
        scale = max(_magnitude(value), ev.scale)
        floor = ctx.mpf(10) ** (-digits) * scale
        if previous is not None and _is_mat(previous) != _is_mat(value):
            raise Unsupported("a value that is a matrix at one precision only")
        if previous is not None:
            error = _magnitude(value - previous) + ev.loss
            if error <= floor:
                return Precise(value, error, d, True, ev.underflow)
        elif final:                       # first good value at the last precision
            return Precise(value, ev.loss + floor, d, ev.loss <= floor, ev.underflow)
        previous, trouble, underflow = value, None, ev.underflow
        d *= 2
    if isinstance(trouble, Undefined):
        raise trouble
    if previous is None:
        raise OutOfReach(f"no stable value up to {MAX_DIGITS} digits")
    return Precise(previous, _magnitude(previous) + ctx.mpf(10) ** (-digits), d // 2, False,
                   underflow)


def derivative(function: sympy.Basic, values: Mapping, name, digits: int = DIGITS,
               seconds: float = 4 * SECONDS, escalate: bool = False) -> Precise:
    """The gradient of the scalar ``function`` with respect to ``name`` (a scalar symbol, or
    the name of a matrix in ``values``) at the exact point ``values``, without differentiating
    symbolically: central differences with steps ``10**-digits`` and ``10**-(digits + 3)``
    relative to the entry (absolute at 0), each side evaluated to ``3 * digits`` digits; the two
    estimates must agree.

    The reference when no closed form is at hand, and a check of one that is. With
    ``escalate``, sides whose rounding swamps the difference are evaluated again up to 12x the
    digits (guards of closed forms, where sums of huge and tiny terms are common); without it
    up to 6x (a verdict's confirmation: near-singular points would make 12x slow).
    """
    factors = (3, 6, 12) if escalate else (3, 6)
    x = values[name]
    with time_limit(seconds, "a high-precision derivative"):
        if isinstance(x, sympy.MatrixBase):
            rows, cols = x.shape
            entries = [_partial(function, values, name, (i, j), digits, factors)
                       for i in range(rows) for j in range(cols)]
            ctx = _CTX
            ctx.dps = digits + 10
            value = ctx.matrix([[entries[i * cols + j].value for j in range(cols)]
                                for i in range(rows)])
            return Precise(value, max(e.error for e in entries), digits,
                           all(e.settled for e in entries))
        return _partial(function, values, name, None, digits, factors)


def _partial(function, values, name, index, digits: int, factors=(3,)) -> Precise:
    """One partial derivative by central differences: each side evaluated to ``3 * digits``
    digits, then 6x and 12x when rounding of ``f`` still swamps the difference (a tiny
    partial of a huge sum, ``exp(-33)`` beside ``exp(82)``)."""
    last = None
    for factor in factors:
        if factor * digits > MAX_DIGITS:
            break
        estimate, rounding_bound = _difference_quotient(function, values, name, index, digits,
                                                        factor)
        if estimate.settled:
            return estimate
        last = estimate
        if not rounding_bound:        # the two steps disagree: curvature, not rounding; more
            break                     # digits would not help
    raise OutOfReach("central differences did not settle (extreme curvature, or a point near "
                     "a singularity)" if last is not None else "precision budget exceeded")


def _difference_quotient(function, values, name, index, digits: int, factor: int
                         ) -> tuple[Precise, bool]:
    """The central difference at ``factor * digits`` working digits, and whether what keeps
    it from settling is the rounding of ``f`` (which more digits cure)."""
    ctx = _CTX
    work = factor * digits
    ctx.dps = work + 10
    x = values[name]
    x0 = x[index] if index is not None else x
    base = _Evaluator(ctx, {}, 0, True).number(x)
    estimates = []
    vanished = True
    for extra in (0, 3):
        size = abs(ctx.mpf(x0.p) / x0.q)
        h = ctx.mpf(10) ** (-(digits + extra)) * (size if size else 1)
        sides = []
        for sign in (1, -1):
            ctx.dps = work + 10
            if index is not None:
                moved_value = base.copy()
                moved_value[index] = base[index] + sign * h
            else:
                moved_value = base + sign * h
            sides.append(_adaptive(function, {**values, name: moved_value}, work))
        ctx.dps = work + 10
        plus, minus = (_scalar_of(None, side.value) for side in sides)
        if _is_mat(plus):
            raise Unsupported("the derivative of a matrix-valued function")
        vanished = vanished and plus == 0 and minus == 0
        estimates.append((plus - minus) / (2 * h))
        # what rounding of f at ``work`` digits leaves in the difference quotient
        rounding = (sides[0].error + sides[1].error + ctx.mpf(10) ** (-work) *
                    max(abs(plus), abs(minus))) / (2 * h)
    error = max(abs(estimates[0] - estimates[1]), rounding)
    scale = max(abs(estimates[1]), ctx.mpf(10) ** (-work))
    # f exactly 0 on every side bounds nothing: relu left of its kink is 0, but so is
    # log(1 + exp(-773)), whose 1.8e-336 vanishes beside the 1 at any working precision.
    if vanished:
        return Precise(estimates[1], error, digits, False), True
    return (Precise(estimates[1], error, digits, error <= ctx.mpf(10) ** (-digits) * scale),
            rounding >= abs(estimates[0] - estimates[1]))


def compare(a: Precise, b: Precise, digits: int = DIGITS) -> str:
    """``equal``, ``different`` or ``unknown``: are two precise values (numbers, or matrices of
    the same shape) the same, to the precision both were computed at?"""
    if a.is_matrix != b.is_matrix or (a.is_matrix and (a.value.rows, a.value.cols) !=
                                      (b.value.rows, b.value.cols)):
        return "different"
    gap = _magnitude(a.value - b.value)
    noise = 10 * (a.error + b.error)
    floor = mpmath.mpf(10) ** (-(digits - 4)) * max(_magnitude(a.value), _magnitude(b.value))
    if gap <= noise + floor:
        return "equal" if a.settled and b.settled or gap == 0 else "unknown"
    return "different" if gap > noise else "unknown"


__all__ = ["DIGITS", "Precise", "Undefined", "OutOfReach", "Unsupported", "RULES", "compare",
           "derivative", "evaluate", "exact"]
