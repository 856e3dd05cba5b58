"""The result of checking a derivation: verdict, diagnosis, counterexample, numbers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Report:
    """``verdict``: ``match`` or ``mismatch`` (of the hand gradient, or of the engine's own
    oracles when there is no hand gradient). ``symbolic``: equal / different / undecided / None.
    """

    verdict: str
    function: str
    wrt: list[str]
    gradient: dict[str, str]
    method: dict[str, str]
    hand: dict[str, str] | None = None
    symbolic: str | None = None
    difference: dict[str, str] = field(default_factory=dict)
    diagnosis: list[str] = field(default_factory=list)
    counterexample: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    examples: int = 0
    points: int = 0
    skipped_points: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    dtype: str = "float64"

    @property
    def ok(self) -> bool:
        return self.verdict == "match"

    def _repr_latex_(self) -> str:
        from workbench.explain.notebook import report_latex
        return report_latex(self)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """One line: verdict and the first diagnosis."""
        head = self.verdict.upper()
        if self.verdict == "mismatch" and self.diagnosis:
            return f"{head}: {self.diagnosis[0]}"
        return f"{head} ({self.points} points, {self.examples} examples)"

    def to_text(self) -> str:
        lines = [f"function: {self.function}"]
        for name in self.wrt:
            lines.append(f"d/d{name} = {self.gradient[name]}   [{self.method[name]}]")
            if self.hand and name in self.hand:
                lines.append(f"  hand:   {self.hand[name]}")
        lines.append(f"verdict: {self.verdict}" +
                     (f" (symbolic: {self.symbolic})" if self.symbolic else ""))
        lines += [f"  diagnosis: {d}" for d in self.diagnosis]
        if self.counterexample and "point" not in self.counterexample:
            lines.append(f"  counterexample (exact): {self.counterexample.get('symbolic')}")
        elif self.counterexample:
            ce = self.counterexample
            lines.append(f"  counterexample (shrunk by Hypothesis): {ce['point']}"
                         + (f" at sizes {ce['sizes']}" if ce.get("sizes") else ""))
            for name, d in ce["gradients"].items():
                lines.append(f"    d/d{name}: hand {d['hand']}, true {d['true']}, abs err "
                             f"{d['abs_error']:.3g}, rel err {d['rel_error']:.3g} "
                             f"(rtol {d['rtol']:g}, atol {d['atol']:g})")
        lines += [f"  note: {n}" for n in self.notes]
        lines.append(f"checked {self.points} points in {self.examples} Hypothesis examples "
                     f"({self.skipped_points} skipped near singularities), {self.dtype}; "
                     + ", ".join(f"{k} {v:.2f}s" for k, v in self.seconds.items()))
        return "\n".join(lines)
