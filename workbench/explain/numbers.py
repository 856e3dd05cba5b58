"""The numbers a page shows, from the core's oracles: the verification table (hand, symbolic,
autograd, finite differences at a few points) and the data of the figure.

Points: the file's ``[[at]]`` points, the counterexample Hypothesis found (if any), then a few
seeded points drawn in the declared domains at the first probe sizes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from workbench.derive.explicit import probe_sizes
from workbench.derive.landmarks import matrix_roles
from workbench.oracles.base import gradients_at
from workbench.verify.crosscheck import fit_scalar
from workbench.verify.strategies import SamplingPlan, sample_points as plan_points
from workbench.tex import float_latex, math
from workbench.words import word

KINDS = ("hand", "symbolic", "autograd", "finite-difference")
SAMPLE_ROWS = 4
ERROR_POINTS = 256
SEED = 7


@dataclass
class Row:
    """One point and one variable: the gradient by each oracle (None where not available)."""

    point: str
    variable: str
    values: dict[str, torch.Tensor | None] = field(default_factory=dict)
    origin: str = "sample"

    def rel_error(self) -> float | None:
        """Largest entry of |hand - autograd| (or symbolic, without a hand gradient) over the
        largest entry of |autograd|."""
        other = self.values.get("hand")
        other = other if other is not None else self.values.get("symbolic")
        truth = self.values.get("autograd")
        if other is None or truth is None or other.shape != truth.shape:
            return None
        return float((other - truth).abs().max() / max(float(truth.abs().max()), 1e-12))


def oracles(problem, hand) -> dict:
    """The core's oracles for ``problem`` and, if given, for the ``hand`` gradient."""
    out = {k: problem.oracle(k) for k in ("symbolic", "autograd", "finite-difference")}
    if hand:
        out["hand"] = problem.hand_oracle({k: fit_scalar(problem, k, h)
                                           for k, h in hand.items()})
    return out


def evaluate(found: dict, point: dict, batched: bool = False) -> dict[str, dict]:
    """Gradients by each oracle at ``point`` (see :func:`workbench.oracles.base.gradients_at`)."""
    return gradients_at(found, point, batched=batched)


def sample_points(problem, count: int, seed: int = SEED) -> tuple[dict, dict]:
    """``count`` points (a batch) in the typical ranges of the declared domains, at the first
    probe sizes (matrices valid for the function: invertible under ``inv`` ...)."""
    sizes = probe_sizes(problem.derivation.dims)[0] if problem.derivation.dims else {}
    plan = SamplingPlan(problem.variables, matrix_roles(problem.function, problem.variables))
    return sizes, plan_points(plan, sizes, count, seed)


def describe(point: dict, variables, sizes: dict, index: int | None = None,
             lang: str = "en") -> str:
    """A point as short LaTeX text: each scalar typeset with the decimal mark of ``lang``
    (``$\\lambda = 0{,}5$; $x = -1{,}599$``), or the sizes for matrix problems (read off the
    matrices of an unbatched point when not given; "fixed sizes" in ``lang`` where the
    declaration fixes them all)."""
    parts = []
    for v in variables:
        if not v.is_matrix:
            value = point[v.name] if index is None else point[v.name][index]
            parts.append(f"${math(v.symbol())} = {float_latex(value, lang, 4)}$")
    if any(v.is_matrix for v in variables):
        sizes = sizes or (_sizes_of(point, variables) if index is None else {})
        parts += [f"${k} = {s}$" for k, s in sizes.items()] or [word("page.fixed-sizes", lang)]
    return ("; " if lang == "fr" else ", ").join(parts)


def _sizes_of(point: dict, variables) -> dict[str, int]:
    """Dimension names and sizes as the matrices of ``point`` give them."""
    out = {}
    for v in variables:
        if v.is_matrix and v.name in point:
            for dim, size in zip(v.shape, tuple(point[v.name].shape)[-2:]):
                if isinstance(dim, str):
                    out.setdefault(dim, int(size))
    return out


def table(df, report, found: dict, lang: str = "en") -> list[Row]:
    """The rows of the verification table (point texts in ``lang``)."""
    p = df.problem
    rows = []
    for at in df.at:
        point = {k: torch.tensor(v, dtype=torch.float64) for k, v in at.values.items()}
        rows += _rows(found, point, p, describe(point, p.variables, {}, lang=lang), "at")
    ce = report.counterexample if report else None
    if ce and "point" in ce:
        point = {k: torch.tensor(v, dtype=torch.float64) for k, v in ce["point"].items()}
        rows += _rows(found, point, p, describe(point, p.variables, ce.get("sizes") or {},
                                                lang=lang), "counterexample")
    sizes, batch = sample_points(p, SAMPLE_ROWS)
    grads = evaluate(found, batch, batched=True)
    for i in range(SAMPLE_ROWS):
        text = describe(batch, p.variables, sizes, i, lang)
        for name in p.wrt:
            values = {k: (g[name][i] if g is not None else None) for k, g in grads.items()}
            rows.append(Row(text, name, values))
    return rows


def _rows(found, point, problem, text, origin) -> list[Row]:
    grads = evaluate(found, point)
    return [Row(text, name, {k: (g[name] if g is not None else None) for k, g in grads.items()},
                origin) for name in problem.wrt]


def error_sample(problem, found: dict) -> dict[str, torch.Tensor]:
    """Relative errors against autograd over :data:`ERROR_POINTS` seeded points, per oracle
    (symbolic, hand, finite differences), points where autograd is not finite left out."""
    _, batch = sample_points(problem, ERROR_POINTS, seed=SEED + 1)
    grads = evaluate(found, batch, batched=True)
    truth = grads["autograd"]
    out = {}
    for kind in ("symbolic", "hand", "finite-difference"):
        g = grads.get(kind)
        if g is None or truth is None:
            continue
        errs = []
        for name in problem.wrt:
            if g[name].shape != truth[name].shape:
                break
            t, o = truth[name].reshape(ERROR_POINTS, -1), g[name].reshape(ERROR_POINTS, -1)
            scale = t.abs().amax(1).clamp_min(1e-12)
            errs.append((o - t).abs().amax(1) / scale)
        else:
            err = torch.stack(errs).amax(0)
            out[kind] = err[torch.isfinite(err)]
    return out
