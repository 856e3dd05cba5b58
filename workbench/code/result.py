"""The result of checking a gradient written as code: truthy exactly when it matches; shown as
text (``str``), in Jupyter (``_repr_markdown_``, ``_repr_html_``) and as JSON (``to_dict``).
Rendered from the :class:`~workbench.verify.verdict.Verdict` and its evidence."""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from workbench.verify.evidence import Evidence
from workbench.verify.verdict import Verdict, verdict_line


@dataclass
class CodeResult:
    """``verdict``: match, mismatch or undecided; ``level``: sampled, confirmed or undecided
    (code is never proved); ``how``: one sentence; ``diagnosis``: sentences per input;
    ``counterexample``: the smallest failing inputs (shrunk by Hypothesis) with both gradients;
    ``references``: what the code was compared with, best first; ``exit_code``: 0, 1, 3 or 4."""

    subject: str
    verdict: str
    level: str
    how: str
    wrt: list[str]
    inputs: list[str]
    references: list[str]
    reasons: list[str] = field(default_factory=list)
    diagnosis: list[str] = field(default_factory=list)
    counterexample: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    points: int = 0
    examples: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    sizes: list[dict[str, int]] = field(default_factory=list)
    time_s: float = 0.0
    exit_code: int = 0
    parts: list["CodeResult"] = field(default_factory=list)
    orders: list[dict[str, str]] = field(default_factory=list)
    """For an ``autograd.Function``: each order checked (first order, second order, jvp) with
    its verdict and level, in that order; the headline says them all."""
    owner: str = ""
    """The class whose orders ``orders`` lists."""

    @classmethod
    def build(cls, code, verdict: Verdict, evidence: Evidence, diagnosis, case, references,
              notes, seconds: float) -> "CodeResult":
        s = evidence.samples
        ce = None
        if verdict.outcome == "mismatch" and case is not None:
            ce = {"inputs": {k: v for k, v in _rounded(case.values).items()},
                  "cotangents": _rounded(case.directions or {}),
                  "sizes": {g: case.sizes[g] for g in code.plan.varying},
                  "drawn_by_hypothesis": case.drawn_by_hypothesis}
            if s.failure is not None:
                f = s.failure
                ce.update(variable=f.variable, got=f.got, true=f.true, abs_error=f.abs_error,
                          rel_error=f.rel_error)
        return cls(code.label, verdict.outcome, verdict.level, verdict.how, list(code.wrt),
                   [x.describe() for x in code.plan.slots], list(references),
                   list(verdict.reasons), list(diagnosis), ce, list(notes), s.agreeing,
                   s.examples, dict(s.skipped), list(s.sizes), round(seconds, 3),
                   verdict.exit_code)

    @staticmethod
    def combine(results: list["CodeResult"], notes=(), orders: list[str] | None = None,
                owner: str = "") -> "CodeResult":
        """One result for several checks of one piece of code (first order, second order,
        jvp; named by ``orders``): the first mismatch (else the first undecided, else the
        first), with the others as ``parts``."""
        rank = {"mismatch": 0, "undecided": 1, "match": 2}
        main = min(results, key=lambda r: rank[r.verdict])
        named = [{"order": name, "verdict": r.verdict, "level": r.level}
                 for name, r in zip(orders or [], results)] if len(results) > 1 else []
        return replace(main, parts=[r for r in results if r is not main],
                       notes=main.notes + list(notes), orders=named, owner=owner)

    def orders_line(self) -> str:
        """``first order: match; second order: mismatch confirmed`` (empty for one order)."""
        return "; ".join(f"{o['order']}: {o['verdict']}"
                         f"{' ' + o['level'] if o['verdict'] == 'mismatch' else ''}"
                         for o in self.orders)

    def __bool__(self) -> bool:
        return self.verdict == "match"

    @property
    def ok(self) -> bool:
        return bool(self)

    def verdict_line(self) -> str:
        return verdict_line(self.verdict, self.how, self.reasons)

    def summary(self) -> str:
        """One line: the first diagnosis of a mismatch, else the verdict."""
        if self.verdict == "mismatch" and self.diagnosis:
            where = f"{self.orders_line()}: " if self.orders else ""
            return f"gradient mismatch: {where}{self.diagnosis[0]}"
        return self.verdict_line()

    def lines(self) -> list[str]:
        out = [f"{self.subject}: {self.verdict_line()}"]
        if self.orders:
            out = [f"{self.owner}: {self.orders_line()}", f"  {out[0]}"]
        out += [f"  diagnosis: {d}" for d in self.diagnosis]
        ce = self.counterexample
        if ce:
            how = "shrunk by Hypothesis" if ce["drawn_by_hypothesis"] else "the example"
            sizes = f" (sizes {ce['sizes']})" if ce["sizes"] else ""
            out.append(f"  smallest counterexample ({how}){sizes}: {_inline(ce['inputs'])}")
            if ce["cotangents"]:
                out.append(f"    cotangent: {_inline(ce['cotangents'])}")
            if "variable" in ce:
                out.append(f"    d/d{ce['variable']}: code {_inline(ce['got'])}, reference "
                           f"{_inline(ce['true'])} (abs err {ce['abs_error']:.3g}, rel err "
                           f"{ce['rel_error']:.3g})")
        if self.verdict != "undecided":
            out += [f"  caveat: {r}" for r in self.reasons]
        out += [f"  note: {n}" for n in self.notes]
        out += [f"  also checked: {p.subject}: {p.verdict_line()}" for p in self.parts]
        skipped = ", ".join(f"{n} {why}" for why, n in self.skipped.items()) or "none"
        out.append(f"  inputs: {'; '.join(self.inputs)}")
        out.append(f"  references: {', '.join(self.references)}; {self.points} points agreed, "
                   f"skipped: {skipped}; {self.time_s:.2f} s")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return f"<CodeResult {self.summary()}>"

    def _repr_markdown_(self) -> str:
        head, *rest = self.lines()
        mark = {"match": "✅", "mismatch": "❌"}.get(self.verdict, "❔")
        return f"{mark} **{_md(head)}**\n\n" + "\n".join(f"- {_md(x.strip())}" for x in rest)

    def _repr_html_(self) -> str:
        head, *rest = self.lines()
        color = {"match": "#1a7f37", "mismatch": "#cf222e"}.get(self.verdict, "#9a6700")
        items = "".join(f"<li>{html.escape(x.strip())}</li>" for x in rest)
        return (f"<div><p style='color:{color}'><b>{html.escape(head)}</b></p>"
                f"<ul>{items}</ul></div>")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def _rounded(values) -> dict:
    import numpy as np
    return {k: np.asarray(v).round(12).tolist() for k, v in values.items()}


def _inline(v, limit: int = 160) -> str:
    text = str(v)
    return text if len(text) <= limit else text[:limit] + " ..."


def _md(text: str) -> str:
    return "".join("\\" + c if c in "\\`*_[]<>|#" else c for c in text)


__all__ = ["CodeResult"]
