"""The result of a precision check (:func:`workbench.code.check_precision`): truthy exactly
when the backward is as accurate as its dtype allows; shown as text and JSON, rendered from
the :class:`~workbench.code.accuracy.PrecisionVerdict`."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class PrecisionResult:
    """``verdict``: match, mismatch or undecided; ``level``: sampled, confirmed or
    undecided; ``how``: one sentence (the worst error in ulp-equivalents and its allowance);
    ``diagnosis``: the unstable step named; ``counterexample``: the point (rounded to the
    dtype) with both errors; ``exit_code``: 0, 1 or 4."""

    subject: str
    dtype: str
    device: str
    verdict: str
    level: str
    how: str
    reference: str
    truth: str
    reasons: list[str] = field(default_factory=list)
    diagnosis: list[str] = field(default_factory=list)
    counterexample: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    points: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    worst: dict[str, Any] | None = None
    time_s: float = 0.0
    exit_code: int = 0

    def __bool__(self) -> bool:
        return self.verdict == "match"

    @property
    def ok(self) -> bool:
        return bool(self)

    def verdict_line(self) -> str:
        word = {"match": "accurate", "mismatch": "precision mismatch confirmed"}.get(
            self.verdict, "undecided")
        because = f", because {'; '.join(self.reasons)}" if self.verdict == "undecided" \
            and self.reasons else ""
        return f"{word} in {self.dtype} on {self.device}: {self.how}{because}"

    def summary(self) -> str:
        if self.verdict == "mismatch" and self.diagnosis:
            return f"precision mismatch in {self.dtype}: {self.diagnosis[0]}"
        return self.verdict_line()

    def lines(self) -> list[str]:
        out = [f"{self.subject}: {self.verdict_line()}"]
        out += [f"  diagnosis: {d}" for d in self.diagnosis]
        ce = self.counterexample
        if ce:
            out.append(f"  point ({self.dtype}): {_inline(ce['inputs'])}")
            if ce.get("cotangents"):
                out.append(f"    cotangent: {_inline(ce['cotangents'])}")
        if self.verdict != "undecided":
            out += [f"  skipped: {r}" for r in self.reasons]
        out += [f"  note: {n}" for n in self.notes]
        out.append(f"  truth: {self.truth}; reference in {self.dtype}: "
                   f"{self.reference or 'none (not torch code: the error model alone)'}; "
                   f"{self.points} points compared; {self.time_s:.2f} s")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return f"<PrecisionResult {self.summary()}>"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str)


def _inline(v, limit: int = 160) -> str:
    text = str(v)
    return text if len(text) <= limit else text[:limit] + " ..."


__all__ = ["PrecisionResult"]
