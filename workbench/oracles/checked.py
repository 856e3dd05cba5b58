"""An oracle that runs two others and refuses to answer when they disagree."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from workbench.errors import GradientMismatch
from workbench.oracles.base import Evaluation, GradientOracle, Point
from workbench.oracles.finite_diff import FiniteDifferenceOracle
from workbench.oracles.tolerances import Tolerance, tolerance_for


@dataclass(frozen=True)
class Discrepancy:
    """The worst disagreement of one variable's gradient: where, both values, errors, tolerance."""

    variable: str
    index: tuple[int, ...]
    shape: tuple[int, ...]
    got: float
    expected: float
    abs_error: float
    rel_error: float
    tolerance: Tolerance
    n_bad: int
    n_total: int

    def describe(self, got_name: str = "got", expected_name: str = "expected") -> str:
        return (f"d/d{self.variable}{list(self.index)} (shape {self.shape}): {got_name} "
                f"{self.got:.10g}, {expected_name} {self.expected:.10g}, abs err "
                f"{self.abs_error:.3g}, rel err {self.rel_error:.3g} > rtol "
                f"{self.tolerance.rtol:g} (atol {self.tolerance.atol:g}); "
                f"{self.n_bad}/{self.n_total} elements off")


def compare_gradients(got: dict[str, torch.Tensor], expected: dict[str, torch.Tensor],
                      tol: Tolerance) -> list[Discrepancy]:
    """One :class:`Discrepancy` per variable whose gradients are not close elementwise."""
    out = []
    for name, e in expected.items():
        g = got[name]
        if g.shape != e.shape:
            raise GradientMismatch(f"d/d{name}: shape {tuple(g.shape)} != {tuple(e.shape)}",
                                   {"variable": name, "got_shape": tuple(g.shape),
                                    "expected_shape": tuple(e.shape)})
        ok = tol.close(g, e)
        if bool(ok.all()):
            continue
        excess = torch.where(ok, torch.zeros_like(g),
                             torch.nan_to_num((g - e).abs() - tol.allowed(g, e), nan=float("inf")))
        flat = int(torch.argmax(excess.reshape(-1)))
        index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), g.shape))
        gv, ev = float(g.reshape(-1)[flat]), float(e.reshape(-1)[flat])
        abs_err = abs(gv - ev)
        out.append(Discrepancy(name, index, tuple(g.shape), gv, ev, abs_err,
                               abs_err / max(abs(gv), abs(ev), 1e-300), tol,
                               int((~ok).sum()), ok.numel()))
    return out


class PeriodicallyChecked(GradientOracle):
    """Answers with ``primary``; on call 1 and every ``every`` calls after, runs
    :meth:`check` on the point (which raises :class:`GradientMismatch` when it fails)."""

    def __init__(self, primary: GradientOracle, every: int = 1):
        super().__init__(primary.wrt)
        self.primary = primary
        self.every = max(1, int(every))
        self.calls = 0
        self.checks = 0

    def value_and_grad(self, point: Point, *, batched: bool = False) -> Evaluation:
        result = self.primary.value_and_grad(point, batched=batched)
        self.calls += 1
        if (self.calls - 1) % self.every == 0:
            self.checks += 1
            self.check(point, result, batched)
        return result

    def check(self, point: Point, result: Evaluation, batched: bool) -> None:
        raise NotImplementedError


class CheckedOracle(PeriodicallyChecked):
    """Answers with ``primary`` after checking it against ``reference``.

    Raises :class:`GradientMismatch` naming the variable, the worst element, both values, the
    errors and the tolerance. ``every``: check one call in ``every`` (1 = always).
    """

    name = "checked"

    def __init__(self, primary: GradientOracle, reference: GradientOracle,
                 tolerance: Tolerance | None = None, every: int = 1):
        super().__init__(primary, every)
        if set(reference.wrt) != set(primary.wrt):
            raise ValueError(f"oracles differentiate different variables: {primary.wrt} vs "
                             f"{reference.wrt}")
        self.reference = reference
        self.tolerance = tolerance

    def check(self, point: Point, result: Evaluation, batched: bool) -> None:
        ref = self.reference.value_and_grad(point, batched=batched)
        dtype = next(iter(result.grad.values())).dtype
        kind = ("finite_difference" if isinstance(self.reference, FiniteDifferenceOracle)
                or isinstance(self.primary, FiniteDifferenceOracle) else "exact")
        tol = self.tolerance or tolerance_for(dtype, kind)
        bad = compare_gradients(result.grad, ref.grad, tol)
        if bad:
            lines = "; ".join(d.describe(self.primary.name, self.reference.name) for d in bad)
            raise GradientMismatch(f"{self.primary.name} and {self.reference.name} disagree: "
                                   f"{lines}", {"discrepancies": bad})
