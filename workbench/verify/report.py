"""The result of checking a derivation: verdict with its level, diagnosis, counterexample,
numbers. Rendered from the :class:`~workbench.verify.verdict.Verdict` and the evidence, never
parsed back."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

from workbench.derive.explicit import probe_sizes
from workbench.expr.functions import is_matrix
from workbench.expr.printing import plain
from workbench.verify.evidence import Evidence, PointCheck
from workbench.verify.verdict import Verdict, verdict_line


@dataclass
class Report:
    """``verdict``: ``match``, ``mismatch`` or ``undecided`` (of the hand gradient, or of the
    derived one when there is no hand gradient); ``level``: ``proved``, ``sampled``,
    ``confirmed`` or ``undecided``; ``how``: how it was reached, in one sentence; ``reasons``:
    why it is undecided (or caveats). ``symbolic``: the exact comparison overall (equal /
    different / undecided / None without a hand gradient). ``exit_code``: 0 match, 1 mismatch,
    3 a bug of ours, 4 undecided."""

    verdict: str
    function: str
    wrt: list[str]
    gradient: dict[str, str]
    method: dict[str, str]
    hand: dict[str, str] | None = None
    level: str = ""
    how: str = ""
    reasons: list[str] = field(default_factory=list)
    symbolic: str | None = None
    difference: dict[str, str] = field(default_factory=dict)
    diagnosis: list[str] = field(default_factory=list)
    counterexample: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    examples: int = 0
    points: int = 0
    rescued_points: int = 0
    skipped_points: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    skipped_scale: dict[str, float] = field(default_factory=dict)   # reason -> median |entry|
    compared_scale: float | None = None                              # the same, compared points
    ranges: dict[str, str] = field(default_factory=dict)
    time_s: dict[str, float] = field(default_factory=dict)
    dtype: str = "float64"
    reference: str = "autograd"
    exit_code: int = 0

    @property
    def ok(self) -> bool:
        return self.verdict == "match"

    def set_verdict(self, verdict: Verdict, evidence: Evidence) -> None:
        """Fill the verdict fields from ``verdict`` and the ``evidence`` behind it."""
        self.verdict, self.level, self.how = verdict.outcome, verdict.level, verdict.how
        self.reasons, self.exit_code = list(verdict.reasons), verdict.exit_code
        if evidence.has_hand:
            statuses = {x.equality.status for x in evidence.exact.values()}
            self.symbolic = ("different" if evidence.shapes or "different" in statuses else
                             "equal" if statuses == {"equal"} and
                             len(evidence.exact) == len(evidence.wrt) else "undecided")
            self.difference = {k: x.equality.difference for k, x in evidence.exact.items()
                               if x.equality.difference}
        if evidence.shapes:
            self.diagnosis += [x.sentence() for x in evidence.shapes]
        s = evidence.samples
        if s is not None:
            self.examples, self.points, self.rescued_points = s.examples, s.agreeing, s.rescued
            self.skipped = dict(s.skipped)
            self.skipped_points = sum(s.skipped.values())
            self.skipped_scale = {k: v for k in s.skipped
                                  if (v := s.median_scale(k)) is not None}
            self.compared_scale = s.median_scale()
            self.ranges = {k: r.text() for k, r in s.ranges.items()}
            self.dtype, self.reference = s.dtype, s.reference
        if verdict.outcome == "mismatch":
            self.counterexample = _counterexample(evidence)
        if s is not None and s.engine is not None:
            self.counterexample = _point_counterexample(s.engine)

    def finish_diagnosis(self) -> None:
        """Close a mismatch's diagnosis with the correct gradient."""
        if self.verdict == "mismatch" and self.hand:
            self.diagnosis.append("correct gradient: " + "; ".join(
                f"d/d{k} = {self.gradient[k]}" for k in self.hand))

    def _repr_latex_(self) -> str:
        lines = [rf"\text{{{_mathjax_text(self.verdict_line())}}}"]
        lines += [rf"\text{{{_mathjax_text(d)}}}" for d in self.diagnosis]
        return "$$\\begin{array}{l}\n" + " \\\\\n".join(lines) + "\n\\end{array}$$"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def verdict_line(self) -> str:
        """``match (proved: ...)``, ``match (agrees on ...)``, ``mismatch confirmed: ...``,
        ``undecided: ...``."""
        return verdict_line(self.verdict, self.how, self.reasons)

    def summary(self) -> str:
        """One line: verdict and the first diagnosis."""
        return summary_line(self.verdict, self.diagnosis, self.how,
                            f"{self.level}; {self.points} points, {self.examples} examples")

    def to_text(self) -> str:
        lines = [f"function: {self.function}"]
        for name in self.wrt:
            lines.append(f"d/d{name} = {self.gradient[name]}   [{self.method[name]}]")
            if self.hand and name in self.hand:
                lines.append(f"  hand:   {self.hand[name]}")
        lines.append(f"verdict: {self.verdict_line()}")
        if self.verdict != "undecided":
            lines += [f"  caveat: {r}" for r in self.reasons]
        lines += [f"  diagnosis: {d}" for d in self.diagnosis]
        lines += _counterexample_lines(self.counterexample)
        lines += [f"  note: {n}" for n in self.notes]
        skipped = ", ".join(f"{n:,} {why}" for why, n in self.skipped.items()) or "none"
        ranges = "; ".join(f"{k} in {r}" for k, r in self.ranges.items())
        if self.reference == "autograd":
            rescued = f" ({self.rescued_points} in high precision)" if self.rescued_points \
                else ""
            how = f"in {self.examples} batches{rescued}, {self.dtype}"
        else:
            how = f"against {self.reference} ({self.dtype}, without torch)"
        found = (self.counterexample or {}).get("kind") in ("hand", "engine")
        points = f"{self.points:,} point{'' if self.points == 1 else 's'}"
        counted = f"{points} agreed before the counterexample," if found else f"checked {points}"
        lines.append(f"{counted} {how}" + (f"; {ranges}" if ranges else "")
                     + f"; skipped: {skipped}; "
                     + ", ".join(f"{k} {v:.2f}s" for k, v in self.time_s.items()))
        return "\n".join(lines)


def _counterexample(e: Evidence) -> dict[str, Any] | None:
    if e.samples is not None and e.samples.failure is not None:
        return _point_counterexample(e.samples.failure)
    for x in e.exact.values():
        eq = x.equality
        if eq.different and eq.witness is not None:
            point = {str(k): _plain(v) for k, v in eq.witness.items()}
            return {"kind": "exact", "variable": x.variable, "scope": x.scope,
                    "point": {k: v for k, v in point.items() if "[" not in k},
                    "exact_point": {str(k): _exact_text(v) for k, v in eq.witness.items()},
                    "hand": str(eq.values[0]), "true": str(eq.values[1]),
                    "difference": None if eq.gap is None else str(eq.gap),
                    "confirmed_digits": eq.values[0].digits}
    return None


def _point_counterexample(p: PointCheck) -> dict[str, Any]:
    return {"kind": p.kind, "variable": p.variable, "sizes": p.sizes, "point": p.point,
            "gradients": {p.variable: {"hand": p.got, "true": p.true,
                                       "precise_hand": p.precise_got,
                                       "precise_true": p.precise_true,
                                       "abs_error": p.abs_error, "rel_error": p.rel_error}},
            "confirmed_digits": p.digits, "drawn_by_hypothesis": p.drawn_by_hypothesis}


def _exact_text(v) -> str:
    """An exact value as a reader wants it: ``5/2`` stays, ``1000001/200000`` is ``5.000005``."""
    if is_matrix(v) or isinstance(v, list):
        rows = v.tolist() if hasattr(v, "tolist") else v
        return "[" + ", ".join("[" + ", ".join(_exact_text(x) for x in row) + "]"
                               for row in rows) + "]"
    q = getattr(v, "q", 1)
    if q <= 1000:
        return str(v)
    return f"{float(v):.15g}"


def _plain(v):
    """A JSON-friendly float (or list of rows) for an exact value."""
    if is_matrix(v) or isinstance(v, list):
        rows = v.tolist() if hasattr(v, "tolist") else v
        return [[float(x) for x in row] for row in rows]
    try:
        return float(v)
    except (TypeError, ValueError):
        return str(v)


def _counterexample_lines(ce: dict | None) -> list[str]:
    if not ce:
        return []
    if ce["kind"] == "exact":
        where = ", ".join(f"{k}={v}" for k, v in ce["exact_point"].items())
        scope = f" {ce['scope']}" if ce.get("scope") else ""
        gap = f", hand - true = {ce['difference']}" if ce.get("difference") else ""
        return [f"  counterexample (exact{scope}): {where}",
                f"    d/d{ce['variable']}: hand {ce['hand']}, true {ce['true']}{gap} "
                f"({ce['confirmed_digits']} digits)"]
    sizes = f" at sizes {ce['sizes']}" if ce.get("sizes") else ""
    how = "shrunk by Hypothesis" if ce.get("drawn_by_hypothesis") else "from the seeded bulk"
    lines = [f"  counterexample ({how}, confirmed to {ce['confirmed_digits']} digits): "
             f"{ce['point']}{sizes}"]
    for name, d in ce["gradients"].items():
        lines.append(f"    d/d{name}: hand {d['precise_hand'] or d['hand']}, true "
                     f"{d['precise_true'] or d['true']}, abs err {d['abs_error']:.3g}, rel err "
                     f"{d['rel_error']:.3g}")
    return lines


def format_sizes(sizes) -> str:
    """``n=3, p=2`` (or ``fixed sizes``)."""
    return ", ".join(f"{k}={v}" for k, v in sizes.items()) or "fixed sizes"


def _mathjax_text(s: str) -> str:
    """Text safe inside MathJax's ``\\text{}``: braces, backslashes, dollars dropped."""
    return "".join(c for c in str(s) if c not in "\\{}$%#&^_~")


def explicit_text(d, name: str, limit: int = 240) -> str:
    """The explicit-size gradient, as text (shortened), when it was already derived at the
    first probe sizes; deriving it only to show it can take SymPy seconds."""
    sizes = probe_sizes(d.dims)[0] if d.dims else {}
    cached = d.cached_explicit(sizes)
    if cached is None:
        return "(no closed form; derived elementwise at each size checked)"
    g = cached[name]
    text = plain(g)
    text = text if len(text) <= limit else text[:limit] + " ..."
    return f"(no closed form; at {format_sizes(sizes)}: {text})"


def summary_line(verdict: str, diagnosis: Sequence[str], why: str, detail: str) -> str:
    """A report's one line: ``MISMATCH: <first diagnosis>``, ``UNDECIDED: <why>``, else
    ``MATCH (<detail>)``."""
    if verdict == "mismatch" and diagnosis:
        return f"MISMATCH: {diagnosis[0]}"
    if verdict == "undecided":
        return f"UNDECIDED: {why}"
    return f"MATCH ({detail})"
