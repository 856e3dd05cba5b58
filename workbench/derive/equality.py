"""Is ``a = b``? Exact equality of two expressions, decided once for the whole workbench.

Three outcomes, never a guess:

- ``equal``, with how: SymPy reduces ``a - b`` to 0 (``symbolic``); or ``a - b`` is a rational
  function that vanishes at random rational points (``Schwartz-Zippel``: a nonzero one would
  vanish at a random point with probability at most degree / number of choices); or it is a
  composition of analytic functions that vanishes to 30 digits at random points (``identity
  test``: the zeros of a nonzero analytic function are isolated). Expressions with kinks
  (``Abs``, ``sign``, ``Max``, ``Min``, ``Heaviside``, ``Piecewise``) are split into their smooth
  pieces and each piece is decided so: equality then holds away from the kinks.
- ``different``, with a witness: an exact point where ``a`` and ``b`` differ, the values
  computed in adaptive precision (:mod:`workbench.derive.precise`). Candidates are the landmarks
  of the expressions (both sides of every kink, near poles, where arguments saturate) and random
  rational points drawn across magnitudes (:mod:`workbench.expr.sampling`).
- ``undecided``, with the reason (over budget, no point where both are defined, a piece whose
  branch was never reached).

Every SymPy call runs under a time limit. A witness is a fact; ``equal`` by identity testing is a
probabilistic proof, and the method says which.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import sympy

from workbench.derive import precise
from workbench.derive.limits import hard_to_simplify, time_limit, too_big
from workbench.errors import ResourceLimit
from workbench.expr.printing import plain

SYMBOLIC_SECONDS = 1.5
"""Budget for SymPy's simplification of one difference."""
POINTS = 8
"""Random points of an identity test (plus landmark points for witnesses)."""
MAX_PIECES = 16
SWITCHES = (sympy.Abs, sympy.sign, sympy.Heaviside, sympy.DiracDelta, sympy.Max, sympy.Min,
            sympy.Piecewise)

Draw = Callable[[random.Random], dict]
"""A function drawing one exact point: ``{symbol: Rational}`` for every free symbol."""


@dataclass
class Equality:
    """The answer to "is ``a = b``?" (see module docstring)."""

    status: str
    method: str = ""
    reason: str = ""
    difference: str | None = None
    witness: dict | None = None
    values: tuple | None = None
    gap: object = None              # hand - true at the witness, when the values alone hide it
    points: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return self.status == "equal"

    @property
    def different(self) -> bool:
        return self.status == "different"


def is_switch(node) -> bool:
    return isinstance(node, SWITCHES)


def has_switches(expr) -> bool:
    return any(is_switch(n) for n in sympy.preorder_traversal(expr))


def is_zero(expr) -> bool:
    """``expr`` is literally zero: the number 0, a ``ZeroMatrix`` (what ``expand`` makes of a
    matrix expression that cancels) or an explicit matrix of zeros."""
    if isinstance(expr, sympy.MatrixBase):
        return all(e == 0 for e in expr)
    return expr == 0 or bool(getattr(expr, "is_ZeroMatrix", False))


def reduce_to_zero(expr, seconds: float = SYMBOLIC_SECONDS):
    """``(True, 0)`` when SymPy reduces ``expr`` (a scalar or a matrix expression) to 0
    (expand, cancel, simplify, in that order, all within ``seconds``); else ``(False, the
    shortest form found)``. The zero returned is of ``expr``'s kind (0 or a ``ZeroMatrix``)."""
    best = expr
    if is_zero(expr):
        return True, expr
    if too_big(expr):
        return False, expr
    steps = (sympy.expand, lambda t: sympy.cancel(sympy.together(t)), sympy.simplify)
    if hard_to_simplify(expr):
        steps = steps[:2]
    try:
        with time_limit(seconds, "simplifying a difference"):
            for step in steps:
                e = step(best)
                if is_zero(e):
                    return True, e
                if sympy.count_ops(e) <= sympy.count_ops(best):
                    best = e
    except (ResourceLimit, RecursionError):
        pass
    except Exception:  # noqa: BLE001 - SymPy raises many kinds on exotic nodes
        pass
    return False, best


def compare(a, b, draw: Draw, landmark_points: Sequence[dict] = (), *, seed: int = 0,
            points: int = POINTS, symbolic_seconds: float = SYMBOLIC_SECONDS) -> Equality:
    """Decide ``a = b`` (SymPy scalars) on the domain that ``draw`` samples.

    ``landmark_points`` are exact points tried first for a witness (both sides of kinks ...).
    """
    t0 = time.perf_counter()
    out = _compare(a, b, draw, landmark_points, seed, points, symbolic_seconds)
    out.seconds = round(time.perf_counter() - t0, 3)
    return out


def _compare(a, b, draw, landmark_points, seed, points, symbolic_seconds) -> Equality:
    diff = a - b
    zero, simple = reduce_to_zero(diff, symbolic_seconds)
    if zero:
        return Equality("equal", "symbolic")
    shown = _short(simple)
    rng = random.Random(seed)
    candidates = list(landmark_points) + [draw(rng) for _ in range(points)]
    witness = _witness(a, b, candidates) or _witness(a, b, candidates, simple)
    if witness is not None:
        point, va, vb, n, gap = witness
        return Equality("different", "exact witness", difference=shown, witness=point,
                        values=(va, vb), gap=gap, points=n)
    if _all_undefined(a, b, candidates):
        return Equality("undecided", reason="neither side could be evaluated at any drawn point",
                        difference=shown)
    status, how = _prove_zero(simple, draw, seed, points, symbolic_seconds, reduced=True)
    if status != "zero":
        return Equality("undecided", reason=how, difference=shown, points=len(candidates))
    return Equality("equal", how, points=len(candidates))


def compare_matrix(a, b, draw: Draw, *, seed: int = 0, points: int = POINTS,
                   entry_seconds: float = 0.3) -> Equality:
    """Decide ``a = b`` for explicit matrices (or scalars) whose entries are expressions in
    element symbols (``X[0,1]``) that ``draw`` gives values to: a witness is looked for on the
    whole matrix, then every entry of ``a - b`` is proved zero (as for scalars)."""
    t0 = time.perf_counter()
    out = _compare_matrix(a, b, draw, seed, points, entry_seconds)
    out.seconds = round(time.perf_counter() - t0, 3)
    return out


def _compare_matrix(a, b, draw, seed, points, entry_seconds) -> Equality:
    rng = random.Random(seed)
    candidates = [draw(rng) for _ in range(points)]
    witness = _witness(a, b, candidates)
    if witness is not None:
        point, va, vb, n, _ = witness
        return Equality("different", "exact witness", witness=point, values=(va, vb), points=n)
    diff = a - b
    entries = list(diff) if isinstance(diff, sympy.MatrixBase) else [diff]
    methods = []
    for k, entry in enumerate(entries):
        status, how = _prove_zero(entry, draw, seed + 7 * k, points, entry_seconds)
        if status != "zero":
            where = f"entry {divmod(k, diff.shape[1])}" if isinstance(
                diff, sympy.MatrixBase) else "the value"
            return Equality("undecided", reason=f"{where}: {how}", difference=_short(entry),
                            points=len(candidates))
        methods.append(how)
    return Equality("equal", _summary(methods) + (" (entrywise)" if len(entries) > 1 else ""),
                    points=len(candidates))


def _prove_zero(diff, draw, seed, points, seconds, reduced: bool = False) -> tuple[str, str]:
    """("zero", how) when ``diff`` is identically zero (away from kinks), else ("unknown",
    why). Symbolic reduction first, then each smooth piece by an identity test."""
    if not reduced:
        zero, diff = reduce_to_zero(diff, seconds)
        if zero:
            return "zero", "symbolic"
    pieces = _pieces(diff)
    if pieces is None:
        return "unknown", f"more than {MAX_PIECES} smooth pieces"
    methods = []
    for k, piece in enumerate(pieces):
        already = piece == diff and reduced          # no kink: SymPy already tried it
        status, method = _piece_is_zero(piece, draw, random.Random(seed + 1 + k), points,
                                        0 if already else seconds / max(1, len(pieces)))
        if status != "zero":
            where = "" if len(pieces) == 1 else f" on one of its {len(pieces)} smooth pieces"
            return "unknown", (f"the difference is not zero{where} ({method}), yet no drawn "
                               f"point shows it")
        methods.append(method)
    how = _summary(methods)
    if len(pieces) > 1:
        how = f"{how}, on each of {len(pieces)} smooth pieces (away from kinks)"
    return "zero", how


def _witness(a, b, candidates, diff=None):
    """(point, value of a, value of b, points tried, gap) for the first candidate where ``a``
    and ``b`` are both defined and differ; None when there is none. Without ``diff`` their
    values must differ (to 30 digits of the larger); with ``diff`` (``a - b`` simplified) it is
    enough that ``diff`` is clearly nonzero there, measured against its own terms: ``exp(x) +
    Max(0, x - 700)`` and ``exp(x)`` agree to 300 digits at x = 701, yet differ by 1, the
    ``gap``."""
    for n, point in enumerate(candidates, 1):
        try:
            va = precise.evaluate(a, point)
            vb = precise.evaluate(b, point)
        except (precise.Undefined, precise.OutOfReach, precise.Unsupported, ResourceLimit,
                RecursionError):
            continue
        if diff is None:
            if precise.compare(va, vb) == "different":
                return point, va, vb, n, None
        elif _zero_at(diff, point) is False:
            try:
                gap = precise.evaluate(diff, point)
                return point, va, vb, n, diff.xreplace(point) if gap.underflow else gap
            except (precise.Undefined, precise.OutOfReach, precise.Unsupported, ResourceLimit,
                    RecursionError):
                continue
    return None


def _all_undefined(a, b, candidates) -> bool:
    for point in candidates:
        try:
            precise.evaluate(a, point)
            precise.evaluate(b, point)
            return False
        except (precise.Undefined, precise.OutOfReach, precise.Unsupported, ResourceLimit,
                RecursionError):
            continue
    return True


def _pieces(expr) -> list | None:
    """The smooth expressions ``expr`` is made of, one per consistent choice of sign for the
    arguments of its switches (``Abs(g)``, ``sign(g)``, ``Heaviside(g)``: the sign of g;
    ``Max(a, b)``, ``Min(a, b)``: the sign of a - b), innermost switches first. A choice that
    is empty for univariate linear arguments (x > 2 and x < 1) is dropped. None beyond
    :data:`MAX_PIECES`."""
    todo, done = [(expr, {})], []
    while todo:
        e, signs = todo.pop()
        node = _innermost_switch(e)
        if node is None:
            if _feasible(signs):
                done.append(e)
        elif isinstance(node, sympy.Piecewise):
            todo.extend((e.xreplace({node: value}), signs) for value, _ in node.args)
        elif isinstance(node, sympy.DiracDelta):
            todo.append((e.xreplace({node: sympy.Integer(0)}), signs))
        else:
            g, flip = _kink_argument(node)
            choices = [signs[g]] if g in signs else [1, -1]
            for s in choices:
                todo.append((e.xreplace({node: _branch(node, s * flip)}), {**signs, g: s}))
        if len(done) + len(todo) > MAX_PIECES:
            return None
    return done


def _innermost_switch(expr):
    for node in sympy.postorder_traversal(expr):
        if is_switch(node):
            return node
    return None


def _kink_argument(node):
    """(g, orientation): the canonical argument whose sign selects the branch, and +1/-1 for
    whether the node's own argument is g or -g."""
    if isinstance(node, (sympy.Max, sympy.Min)):
        a, b = node.args[0], (node.func(*node.args[1:]) if len(node.args) > 2 else node.args[1])
        raw = a - b
    else:
        raw = node.args[0]
    raw = sympy.expand(raw)
    if raw.could_extract_minus_sign():
        return -raw, -1
    return raw, 1


def _branch(node, sign: int):
    """The value of switch ``node`` where its own argument has ``sign``."""
    if isinstance(node, sympy.Abs):
        return sign * node.args[0]
    if isinstance(node, sympy.sign):
        return sympy.Integer(sign)
    if isinstance(node, sympy.Heaviside):
        return sympy.Integer(1 if sign > 0 else 0)
    a = node.args[0]
    b = node.func(*node.args[1:]) if len(node.args) > 2 else node.args[1]
    if isinstance(node, sympy.Max):
        return a if sign > 0 else b
    return b if sign > 0 else a                      # Min


def _feasible(signs: dict) -> bool:
    """False when the sign conditions are linear in one and the same symbol and leave no
    interval; True otherwise (then only a drawn point can tell)."""
    if not signs:
        return True
    symbols = set().union(*(g.free_symbols for g in signs))
    if len(symbols) != 1:
        return True
    x = next(iter(symbols))
    low, high = -sympy.oo, sympy.oo
    for g, s in signs.items():
        try:
            poly = sympy.Poly(g, x)
        except sympy.PolynomialError:
            return True
        if poly.degree() != 1:
            return True
        slope, intercept = poly.all_coeffs()
        root = -intercept / slope
        if (slope > 0) == (s > 0):
            low = sympy.Max(low, root)
        else:
            high = sympy.Min(high, root)
    return bool(low < high)


def _piece_is_zero(piece, draw, rng, points: int, seconds: float) -> tuple[str, str]:
    """("zero", method) or ("unknown", why) for a switch-free expression (``seconds`` of
    SymPy first; none when the caller already tried)."""
    zero, simple = reduce_to_zero(piece, seconds) if seconds > 0 else (False, piece)
    if zero:
        return "zero", "symbolic"
    symbols = sorted(simple.free_symbols, key=str)
    rational = _is_rational_function(simple, symbols)
    tested = 0
    for _ in range(points * 3):
        if tested >= points:
            break
        point = draw(rng)
        if rational:
            try:
                with time_limit(1.0, "exact evaluation"):
                    value = simple.xreplace(point)
            except ResourceLimit:
                return "unknown", "exact evaluation over budget"
            if not value.is_Rational:
                continue                    # a pole: draw again
            if value != 0:
                return "unknown", "nonzero at a random rational point"
        else:
            status = _zero_at(simple, point)
            if status is None:
                continue
            if status is False:
                return "unknown", "nonzero at a random point"
        tested += 1
    if tested < points:
        return "unknown", f"only {tested} of {points} random points were in the domain"
    if rational:
        return "zero", f"Schwartz-Zippel: zero at {tested} random rational points"
    return "zero", f"identity test: zero to {precise.DIGITS} digits at {tested} random points"


def _zero_at(expr, point) -> bool | None:
    """True/False: is ``expr`` 0 at ``point`` (to the precision of its terms)? None: unknown."""
    terms = expr.args if isinstance(expr, sympy.Add) else (expr,)
    try:
        values = [precise.evaluate(t, point) for t in terms]
    except (precise.Undefined, precise.OutOfReach, precise.Unsupported, ResourceLimit,
            RecursionError):
        return None
    total = sum(v.value for v in values)
    error = sum(v.error for v in values)
    scale = max(abs(v.value) for v in values)
    floor = precise.mpmath.mpf(10) ** (-(precise.DIGITS - 4)) * scale
    if abs(total) <= 10 * error + floor:
        if any(v.underflow for v in values):     # an exp below every float, taken as 0
            return False if _exactly_nonzero(expr, point) else None
        return True if all(v.settled for v in values) else None
    return False


def _exactly_nonzero(expr, point) -> bool:
    """SymPy's exact reasoning says ``expr`` is not 0 at ``point`` (``exp(-10**20)`` is
    positive, though no precision this module uses can tell it from 0)."""
    try:
        with time_limit(1.0, "exact sign"):
            return expr.xreplace(point).is_zero is False
    except (ResourceLimit, RecursionError, TypeError, ValueError):
        return False


def _is_rational_function(expr, symbols) -> bool:
    try:
        return bool(symbols) and expr.is_rational_function(*symbols) and not expr.has(
            sympy.Float)
    except Exception:  # noqa: BLE001
        return False


def _summary(methods: list[str]) -> str:
    for kind in ("identity test", "Schwartz-Zippel"):
        found = [m for m in methods if m.startswith(kind)]
        if found:
            return found[0]
    return "symbolic"


def _short(e, limit: int = 160) -> str:
    text = plain(e)
    return text if len(text) <= limit else text[:limit] + " ..."


def scalar_draw(variables: Sequence, extra: Mapping[sympy.Symbol, object] | None = None) -> Draw:
    """A :data:`Draw` for scalar variables (each in its domain), ``extra`` held fixed."""
    from workbench.expr.sampling import rational_scalar
    scalars = [v for v in variables if not v.is_matrix]

    def draw(rng: random.Random) -> dict:
        point = {v.symbol(): rational_scalar(v.domain, rng) for v in scalars}
        point.update(extra or {})
        return point
    return draw


__all__ = ["Draw", "Equality", "compare", "compare_matrix", "has_switches", "is_switch",
           "is_zero", "reduce_to_zero", "scalar_draw"]
