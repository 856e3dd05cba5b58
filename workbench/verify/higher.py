"""Checking a hand Jacobian or Hessian: reduced to checking a gradient, then the same verdict.

A Jacobian ``J`` of ``f`` with respect to ``x`` (numerator layout) is right exactly when, for
every cotangent ``u`` of the shape of ``f``, ``Jᵀu = ∇ₓ(uᵀf)``: so the hand Jacobian ``H``
is checked as the hand gradient ``Hᵀu`` of the scalar ``tr(uᵀf)``, with ``u`` one more variable
that is sampled (and kept symbolic by a proof). A Hessian is the Jacobian of the gradient:
the hand ``H`` is checked as the gradient ``Hᵀv`` of ``vᵀ∇f``, ``∇f`` the derived (guarded)
closed form. Every verdict level, the diagnosis (sign, factor, part of the domain) and the
counterexample therefore come from :mod:`workbench.verify.crosscheck` unchanged.

Around that: the shape (a Jacobian of shape n x m for an m x n one is "transposed:
denominator layout"; a square one is also tried transposed), the symmetry of a hand Hessian,
definiteness (proved positive semidefinite for ``c AᵀA``-like forms, eigenvalue range at sample
points otherwise), and the derived closed form against ``torch.autograd.functional`` at a few
points (a disagreement there is a bug of ours, exit 3).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import sympy
import torch

from workbench.compile import compile_expr
from workbench.derive.explicit import probe_sizes
from workbench.derive.gradient import tidy
from workbench.derive.higher import HigherDerivative, higher_derivative
from workbench.derive.landmarks import matrix_roles
from workbench.errors import ResourceLimit, ShapeError, UserError
from workbench.expr.functions import as_scalar, is_matrix
from workbench.expr.printing import plain
from workbench.expr.sampling import rational_point
from workbench.expr.spaces import Variable
from workbench.oracles.higher import autograd_hessian, autograd_jacobian
from workbench.problem import Problem
from workbench.verify.crosscheck import CheckSettings, cross_check
from workbench.verify.report import Report, summary_line

TORCH_POINTS = 4
"""Points where the derived closed form is compared with ``torch.autograd.functional``."""
WHAT = {"jacobian": "Jacobian", "hessian": "Hessian"}


@dataclass
class HigherReport:
    """The verdict on a Jacobian or Hessian (``report``: the reduced gradient check)."""

    kind: str
    function: str
    wrt: str
    layout: str
    shape: str
    derived: str | None
    method: str
    hand: str | None = None
    verdict: str = "match"
    level: str = ""
    how: str = ""
    diagnosis: list[str] = field(default_factory=list)
    symmetry: str | None = None
    definiteness: str | None = None
    torch: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    exit_code: int = 0
    report: Report | None = None
    closed: Any = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.verdict == "match"

    @property
    def points(self) -> int:
        return self.report.points if self.report is not None else 0

    @property
    def examples(self) -> int:
        return self.report.examples if self.report is not None else 0

    def verdict_line(self) -> str:
        if self.report is None:
            return f"{self.verdict}: {self.how}"
        return self.report.verdict_line() if not self.how else (
            f"mismatch confirmed: {self.how}" if self.verdict == "mismatch" else
            f"{self.verdict} ({self.how})")

    def summary(self) -> str:
        return summary_line(self.verdict, self.diagnosis, self.verdict_line(), str(self.level))

    def to_text(self) -> str:
        what = WHAT[self.kind]
        lines = [f"function: {self.function}",
                 f"{what} wrt {self.wrt} ({self.layout}; shape {self.shape}) = "
                 f"{self.derived or '(explicit sizes only: see notes)'}   [{self.method}]"]
        if self.hand is not None:
            lines.append(f"  hand:   {self.hand}")
            lines.append(f"verdict: {self.verdict_line()}")
            lines += [f"  diagnosis: {d}" for d in self.diagnosis]
            if self.report is not None:
                body = self.report.to_text().splitlines()
                lines += ["  " + line for line in body
                          if line.lstrip().startswith(("counterexample", "at ", "caveat", "checked",
                                                       "your", "correct", "difference"))]
        if self.symmetry:
            lines.append(f"symmetry: {self.symmetry}")
        if self.definiteness:
            lines.append(f"definiteness: {self.definiteness}")
        if self.torch:
            lines.append(f"torch: {self.torch}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        closed, self.closed = self.closed, None
        try:
            out = asdict(self)
        finally:
            self.closed = closed
        del out["closed"]
        out["report"] = self.report.to_dict() if self.report is not None else None
        return out

    def _repr_markdown_(self) -> str:
        return "```\n" + self.to_text() + "\n```"


def check_higher(kind: str, problem_function, variables: Sequence[Variable], name: str,
                 hand=None, settings: CheckSettings | None = None, hand_text: str | None = None,
                 function_text: str | None = None) -> HigherReport:
    """Derive the ``kind`` (``jacobian`` or ``hessian``) of ``problem_function`` with respect to
    ``name`` and, when ``hand`` is given, check it (see the module docstring)."""
    settings = settings or CheckSettings()
    d = higher_derivative(kind, problem_function, variables, name)
    entrywise = d.shape is None and (d.variable.is_matrix or is_matrix(d.function))
    r = HigherReport(kind, function_text or str(problem_function), name, _layout(d),
                     "entrywise, vec order" if entrywise else _shape_text(d.shape), plain(d.closed) if d.closed is not None else None,
                     d.method, hand_text if hand is not None else None, notes=list(d.notes),
                     closed=d.closed)
    if d.closed is None:
        r.notes.append(_explicit_note(d))
    r.torch, bug = _against_torch(d, r.facts)
    if d.kind == "hessian":
        r.definiteness = _definiteness(d, r.facts)
    if hand is None:
        r.verdict, r.level = ("undecided", "undecided") if bug else ("match", "derived")
        r.exit_code = 3 if bug else 0
        return r
    hand = _fit(hand, d)
    if kind == "hessian":
        r.symmetry = _symmetry(hand, d)
        if r.symmetry:
            r.facts["symmetric"] = "NOT symmetric" not in r.symmetry
    _verdict(r, d, hand, settings, hand_text or str(hand))
    if bug and r.exit_code == 0:
        r.exit_code = 3
    return r


def _explicit_note(d: HigherDerivative, limit: int = 400) -> str:
    """The derivative entrywise at the first probe sizes (or why it could not be given)."""
    sizes = probe_sizes(d.dims)[0] if d.dims else {}
    try:
        text = plain(d.explicit(sizes))
    except (ResourceLimit, UserError, ShapeError, ValueError, TypeError) as exc:
        return f"no entrywise form either ({type(exc).__name__})"
    where = ", ".join(f"{k}={v}" for k, v in sizes.items()) or "the declared sizes"
    return f"entrywise at {where}: " + (text if len(text) <= limit else text[:limit] + " ...")


def _layout(d: HigherDerivative) -> str:
    if d.kind == "hessian":
        return "Hessian: row i, column j is d2f/dx_i dx_j"
    return "numerator layout: rows = outputs, columns = entries of the variable"


def _shape_text(shape) -> str:
    return "scalar" if shape is None else f"{shape[0]} x {shape[1]}"


def _fit(hand, d: HigherDerivative):
    """The hand result with a 1x1 matrix read as a scalar where a scalar is expected."""
    if d.shape is None and is_matrix(hand) and hand.shape == (1, 1):
        return as_scalar(hand)
    return hand


def _shape_of(e):
    return tuple(e.shape) if is_matrix(e) else None


def _verdict(r: HigherReport, d: HigherDerivative, hand, settings, text: str) -> None:
    if d.shape is None and d.variable.is_matrix:
        r.verdict, r.level, r.exit_code = "undecided", "undecided", 4
        r.how = f"a hand {WHAT[d.kind]} of this shape is not checked (see notes)"
        return
    if d.kind == "hessian" and d.inner is None:
        r.verdict, r.level, r.exit_code = "undecided", "undecided", 4
        r.how = ("the gradient has no closed form at symbolic sizes, so a hand Hessian "
                 "cannot be reduced to a gradient check")
        return
    got, want = _shape_of(hand), (tuple(d.shape) if d.shape is not None else None)
    transposed = want is not None and got == (want[1], want[0]) and want[0] != want[1]
    if got != want and not transposed:
        r.verdict, r.level, r.exit_code = "mismatch", "confirmed", 1
        r.how = (f"your {WHAT[d.kind]} has shape {_shape_text(got)}, the {WHAT[d.kind]} has "
                 f"shape {_shape_text(want)}")
        r.diagnosis = [r.how + f" ({r.layout})"]
        return
    candidate = hand.T if transposed else hand
    report = _reduced(d, candidate, settings, text)
    if transposed:
        r.report = report
        r.verdict, r.level, r.exit_code = "mismatch", "confirmed", 1
        r.how = f"transposed: denominator layout (shape {_shape_text(got)})"
        fixed = ("and its transpose is right" if report.ok else
                 "and its transpose is still not right")
        r.diagnosis = [f"transposed: denominator layout: your Jacobian has one row per entry "
                       f"of {d.name}; in numerator layout (rows = outputs) it is "
                       f"{_shape_text(want)}, {fixed}"]
        r.diagnosis += [_reworded(x, d) for x in report.diagnosis if not report.ok]
        return
    r.report = report
    r.verdict, r.level, r.exit_code = report.verdict, report.level, report.exit_code
    r.diagnosis = [_reworded(x, d) for x in report.diagnosis]
    if report.verdict == "mismatch" and r.symmetry and "NOT symmetric" in r.symmetry:
        r.diagnosis.insert(0, r.symmetry)
    if report.verdict == "mismatch" and d.kind == "jacobian" and want and want[0] == want[1] \
            and not hand.T == hand:
        if _reduced(d, hand.T, settings, text).ok:
            r.diagnosis.insert(0, "transposed: denominator layout: your Jacobian transposed is "
                                  "right (the Jacobian has rows = outputs)")
    if report.verdict == "mismatch":
        r.diagnosis = [x for x in r.diagnosis if not x.startswith(("correct gradient",
                                                                   "wrong component"))]
        entries = _wrong_entries(hand, d)
        if entries:
            r.diagnosis.insert(min(1, len(r.diagnosis)), entries)
        if d.closed is not None:
            r.diagnosis.append(f"correct {WHAT[d.kind]}: {plain(d.closed)}")


def _reworded(line: str, d: HigherDerivative) -> str:
    """A diagnosis of the reduced gradient check (which names the true value by the kind),
    without its d/d prefix: the Jacobian or Hessian is the one subject."""
    prefix = f"d/d{d.name}: "
    return line[len(prefix):] if line.startswith(prefix) else line


def _wrong_entries(hand, d: HigherDerivative, limit: int = 8) -> str | None:
    """``wrong entries: [1, 0], [0, 1] of 2 x 2`` from the hand and derived matrices at a
    sample point (None when there is no closed form, or every entry is wrong)."""
    if d.closed is None or not is_matrix(hand) or not is_matrix(d.closed):
        return None
    for point, _ in _points(d):
        h, c = _value(hand, d, point), _value(d.closed, d, point)
        if h is None or c is None or h.shape != c.shape:
            return None
        if not (torch.isfinite(h).all() and torch.isfinite(c).all()):
            continue
        bad = ((h - c).abs() > 1e-9 * (1 + c.abs())).nonzero().tolist()
        if not bad or len(bad) == h.numel():
            return None
        shown = ", ".join(f"[{i}, {j}]" for i, j in bad[:limit])
        more = f" and {len(bad) - limit} more" if len(bad) > limit else ""
        return (f"wrong entries: {shown}{more} of {h.shape[0]} x {h.shape[1]} (the others "
                f"agree at a sample point)")
    return None


def _cotangent_name(variables, base: str) -> str:
    taken = {v.name for v in variables} | {str(s) for v in variables for s in v.dim_names}
    for k in range(100):
        name = base if k == 0 else f"{base}{k}"
        if name not in taken:
            return name
    raise UserError("too many variables")


def _dim(s):
    return int(s) if isinstance(s, int) or s.is_Integer else str(s)


def _reduced(d: HigherDerivative, hand, settings, text: str) -> Report:
    """The gradient check that decides the hand ``d``: see the module docstring."""
    x = d.variable
    inner, base = d.inner, ("u" if d.kind == "jacobian" else "v")
    variables = d.variables
    if is_matrix(inner):
        u = Variable.matrix(_cotangent_name(variables, base), *map(_dim, inner.shape))
        variables = (*variables, u)
        U = u.symbol()
        g = sympy.Trace(U.T * inner) if inner.shape != (1, 1) else as_scalar(inner)
        grad = (hand.T * U) if x.is_matrix else as_scalar(U.T * hand)
        shown = f"{base}ᵀ·({text})" if not x.is_matrix else f"({text})ᵀ·{u.name}"
    else:
        g, grad, shown = inner, hand, text
    problem = Problem(g, tuple(variables), (d.name,), plain(g))
    report = cross_check(problem, {d.name: grad}, settings, {d.name: shown}, WHAT[d.kind])
    return report


def _symmetry(hand, d: HigherDerivative) -> str | None:
    if not is_matrix(hand):
        return None
    if (hand.T - hand).doit() == sympy.ZeroMatrix(*hand.shape) or hand.T == hand:
        return "your Hessian is symmetric (proved: it equals its transpose)"
    worst, n = 0.0, 0
    for point, sizes in _points(d):
        h = _value(hand, d, point)
        if h is None:
            return None
        if not torch.isfinite(h).all():
            continue
        worst, n = max(worst, float((h - h.T).abs().max())), n + 1
        if n == TORCH_POINTS:
            break
    if worst > 1e-9:
        return (f"your Hessian is NOT symmetric (|H - Hᵀ| up to {worst:.3g} at sample points); "
                f"the Hessian of a twice continuously differentiable function is")
    return f"your Hessian is symmetric at {n} sample points"


def _points(d: HigherDerivative):
    """Float64 points (with their sizes) at the probe sizes, in the variables' domains, drawn
    across magnitudes: callers take the first :data:`TORCH_POINTS` where values are finite."""
    rng = random.Random(1)
    roles = matrix_roles(d.function, d.variables)
    sizes_list = probe_sizes(d.dims) if d.dims else ({},)
    for k in range(8 * TORCH_POINTS):
        sizes = sizes_list[k % len(sizes_list)]
        p = rational_point(d.variables, sizes, roles, rng)
        out = {}
        for v in d.variables:
            value = p.values[v.name]
            if v.is_matrix:
                out[v.name] = torch.tensor([[float(value[i, j]) for j in range(value.shape[1])]
                                            for i in range(value.shape[0])],
                                           dtype=torch.float64)
            else:
                out[v.name] = torch.tensor(float(value), dtype=torch.float64)
        yield out, sizes


def _value(expr, d: HigherDerivative, point) -> torch.Tensor | None:
    try:
        return compile_expr(expr, d.variables)(point)
    except (UserError, ShapeError, RuntimeError, ValueError, TypeError):
        return None


def _against_torch(d: HigherDerivative, facts: dict) -> tuple[str, bool]:
    """The derived closed form against ``torch.autograd.functional`` at a few points: (what
    was found, whether it is a disagreement, which would be a bug of ours)."""
    if d.closed is None:
        return "", False
    fn = compile_expr(d.function, d.variables)
    closed = compile_expr(d.closed, d.variables)
    worst, n = 0.0, 0
    name = "hessian" if d.kind == "hessian" else "jacobian"
    for point, _ in _points(d):
        try:
            ref = (autograd_hessian if d.kind == "hessian" else autograd_jacobian)(
                fn, point, d.name)
            got = closed(point)
        except RuntimeError:
            continue
        if not (torch.isfinite(ref).all() and torch.isfinite(got).all()):
            continue
        got = got.reshape(ref.shape)
        scale = max(1.0, float(ref.abs().max()))
        worst = max(worst, float((got - ref).abs().max()) / scale)
        n += 1
        if n == TORCH_POINTS:
            break
    if n == 0:
        return f"torch.autograd.functional.{name} could not be compared (no finite point)", False
    facts["torch_points"], facts["torch_difference"] = n, worst
    if worst > 1e-8:
        return (f"torch.autograd.functional.{name} DISAGREES with the derived closed form "
                f"(relative difference {worst:.3g}): a bug of ours"), True
    return (f"torch.autograd.functional.{name} agrees with the derived closed form at {n} "
            f"points (largest relative difference {worst:.1e})"), False


def _definiteness(d: HigherDerivative, facts: dict) -> str | None:
    if d.closed is None:
        return None
    if d.shape is None:
        return None
    proof = psd_proof(d.closed)
    if proof:
        facts["psd"] = "proved"
        return f"positive semidefinite (proved: {proof})"
    closed = compile_expr(d.closed, d.variables)
    lo, hi = float("inf"), float("-inf")
    n = 0
    for point, _ in _points(d):
        h = closed(point)
        if not torch.isfinite(h).all():
            continue
        e = torch.linalg.eigvalsh((h + h.T) / 2)
        lo, hi, n = min(lo, float(e.min())), max(hi, float(e.max())), n + 1
        if n == TORCH_POINTS:
            break
    if n == 0:
        return None
    facts["eigenvalues"] = [lo, hi]
    kind = ("positive definite there" if lo > 0 else "positive semidefinite there" if lo > -1e-12
            else "negative semidefinite there" if hi < 1e-12 else "indefinite")
    return f"eigenvalues in [{lo:.3g}, {hi:.3g}] at {n} sample points: {kind}"


def psd_proof(H) -> str | None:
    """Why ``H`` is positive semidefinite, when it is a sum of nonnegative multiples of ``AᵀA``,
    ``AᵀDA`` (``D`` diagonal with nonnegative entries) or the identity; None otherwise."""
    terms = H.args if isinstance(H, sympy.MatAdd) else (H,)
    kinds = []
    for t in terms:
        c, mats = t.as_coeff_matrices() if isinstance(t, sympy.MatMul) else \
            (sympy.Integer(1), [t])
        if c.is_nonnegative is not True:
            return None
        mats = list(mats)
        if len(mats) == 1 and isinstance(mats[0], sympy.Identity):
            kinds.append("I")
            continue
        if len(mats) == 1 and isinstance(mats[0], sympy.DiagMatrix) and \
                _nonnegative_entries(mats[0]):
            kinds.append("D")
            continue
        half = len(mats) // 2
        left, right = mats[:half], mats[len(mats) - half:]
        middle = mats[half:len(mats) - half]
        if not left or [m.T for m in reversed(left)] != right:
            return None
        if middle and not (len(middle) == 1 and isinstance(middle[0], sympy.DiagMatrix)
                           and _nonnegative_entries(middle[0])):
            return None
        kinds.append("AᵀDA" if middle else "AᵀA")
    return "a sum of nonnegative multiples of " + ", ".join(dict.fromkeys(kinds))


def _nonnegative_entries(D) -> bool:
    """True when the diagonal is an elementwise function SymPy proves nonnegative (after a
    bounded simplification: ``e^t/(e^t+1) - e^2t/(e^t+1)^2`` is ``e^t/(e^t+1)^2``)."""
    fn = getattr(D.args[0], "function", None)
    if fn is None:
        return False
    t = sympy.Symbol("t", real=True)
    body = fn.expr.xreplace({fn.variables[0]: t})
    return body.is_nonnegative is True or tidy(body).is_nonnegative is True


__all__ = ["HigherReport", "check_higher", "psd_proof"]
