"""Run derivation files: cross-check each, evaluate at its points, compare with expectations."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from workbench.compile import compile_expr
from workbench.derivation_file import AtPoint, DerivationFile, load
from workbench.errors import ResourceLimit, UserError
from workbench.oracles.tolerances import tolerance_for
from workbench.verify.crosscheck import CheckSettings, cross_check
from workbench.verify.report import Report


@dataclass
class FileResult:
    """Outcome of one file: ``ok`` when the verdict is the expected one and every point agrees."""

    path: str
    name: str
    title: str = ""
    expect: str = "match"
    report: Report | None = None
    at: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    undecided: str | None = None
    bug: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.report is not None and \
            self.report.verdict == self.expect and all(a["ok"] is True for a in self.at)

    @property
    def status(self) -> str:
        """``ok``, ``expected mismatch``, ``FAIL`` (a verdict that is not the expected one),
        ``undecided``, ``bug`` (the workbench's own oracles disagree) or ``error`` (bad file)."""
        if self.error:
            return "error"
        if self.bug or (self.report is not None and self.report.exit_code == 3):
            return "bug"
        if self.undecided:
            return "undecided"
        if self.ok:
            return "expected mismatch" if self.expect == "mismatch" else "ok"
        points_ok = all(a["ok"] is not False for a in self.at)
        if self.report is not None and points_ok and (
                self.report.verdict == "undecided" or self.report.verdict == self.expect):
            return "undecided"                 # a verdict or a point that cannot be decided
        return "FAIL"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "name": self.name, "title": self.title, "ok": self.ok,
                "status": self.status, "expect": self.expect, "error": self.error,
                "undecided": self.undecided, "bug": self.bug,
                "time_s": round(self.seconds, 3), "at": self.at,
                "report": self.report.to_dict() if self.report else None}


def check_file(path: str | Path, settings: CheckSettings | None = None,
               derivation: DerivationFile | None = None) -> FileResult:
    """Load, cross-check and evaluate one derivation file (``derivation``: the file already
    loaded, e.g. a student's variant of a grading key); errors land in ``error``."""
    t0 = time.perf_counter()
    result = FileResult(str(path), Path(path).stem)
    try:
        df = derivation if derivation is not None else load(path)
        result.title, result.expect = df.title, df.expect
        if df.kind == "gradient":
            result.report = cross_check(df.problem, df.hand, settings, df.hand_text)
        else:
            result.report = check_higher_file(df, settings)
        result.at = [evaluate_at(df, a) for a in df.at]
    except UserError as exc:
        result.error = str(exc)
    except ResourceLimit as exc:
        result.undecided = f"{path}: {exc}"
    except (ArithmeticError, NotImplementedError, TypeError, ValueError, AttributeError,
            RecursionError, RuntimeError) as exc:  # ours or SymPy's: say so, go on
        result.bug = f"{path}: internal error while checking ({type(exc).__name__}: " \
                     f"{str(exc).splitlines()[0] if str(exc) else ''}); please report it"
    result.seconds = time.perf_counter() - t0
    return result


def check_higher_file(df: DerivationFile, settings: CheckSettings | None = None):
    """The :class:`~workbench.verify.higher.HigherReport` of a Jacobian or Hessian file."""
    from workbench.verify.higher import check_higher
    (name,) = df.problem.wrt
    hand = df.hand[name] if df.hand else None
    text = df.hand_text[name] if df.hand_text else None
    return check_higher(df.kind, df.problem.function, df.problem.variables, name, hand,
                        settings, text, df.problem.text)


def _tensor(value) -> torch.Tensor:
    return torch.tensor(value, dtype=torch.float64)


def evaluate_at(df: DerivationFile, at: AtPoint) -> dict[str, Any]:
    """Gradient at one point by every oracle, the exact symbolic value where SymPy gives one
    in its budget, and the file's expected value."""
    p = df.problem
    point = {k: _tensor(v) for k, v in at.values.items()}
    grads = p.gradients_at(point)
    exact = p.exact_gradient_at(at.values)
    exact_tol = tolerance_for(torch.float64, "exact")
    fd_tol = tolerance_for(torch.float64, "finite_difference")
    out: dict[str, Any] = {"point": dict(at.values), "gradient": {}, "ok": True}
    for name in p.wrt:
        entry = {kind.replace("-", "_"): (g[name].tolist() if g is not None else None)
                 for kind, g in grads.items()}
        entry["exact"] = exact[name]
        if grads["autograd"] is None or not bool(torch.isfinite(grads["autograd"][name]).all()):
            entry["ok"] = None             # float64 cannot say: neither right nor wrong
            entry["note"] = "not finite in float64 at this point"
            out["ok"] = None if out["ok"] is not False else False
            out["gradient"][name] = entry
            continue
        agree = grads["symbolic"] is not None and \
            bool(exact_tol.close(grads["symbolic"][name], grads["autograd"][name]).all())
        fd = grads["finite-difference"]
        if fd is None or not bool(fd_tol.close(fd[name], grads["autograd"][name]).all()):
            # central differences break down at huge points and kinks: a note, not a verdict
            entry["note"] = "finite differences disagree here (a kink, or a point too large " \
                            "for their step)"
        if name in at.expect:
            want = compile_expr(at.expect[name], p.variables)(point)
            got = grads["autograd"][name]
            want = want.reshape(got.shape) if want.numel() == got.numel() else want
            entry["expected"] = at.expect_text[name]
            entry["expected_value"] = want.tolist()
            agree &= want.shape == got.shape and bool(exact_tol.close(want, got).all())
        entry["ok"] = agree
        if not agree:
            out["ok"] = False
        out["gradient"][name] = entry
    return out
