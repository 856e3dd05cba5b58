"""One answer checked: read (each step, ASCII or LaTeX), then each step compared with the
true gradient by the verification engine (:func:`workbench.verify.crosscheck.cross_check`),
its typed diagnosis mapped to a mistake code, under a time budget.

Reading happens in the parent process (fast, and it gives each answer the token by which equal
answers share one check); checking happens in a worker, from the step texts, and returns plain
data (JSON), so that a journal can keep it and any number of workers give the same files.

Mistake codes (stable, for spreadsheets): ``sign``, ``factor``, ``missing-1/n``,
``transpose`` (a transposed square matrix, or a gradient of the transposed shape: the
denominator layout), ``shape``, ``wrong-component``, ``part-of-domain``, ``tiny`` (an exact
difference below float resolution), ``wrong`` (none of these), and ``step-N`` for a chain
whose step N is the first that does not follow from the one before.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import sympy

from workbench.errors import ParseError, ResourceLimit, ShapeError, UserError
from workbench.expr.latex import is_latex
from workbench.expr.parser import parse
from workbench.expr.printing import plain
from workbench.expr.spaces import dimension_names
from workbench.expr.steps import split_steps
from workbench.grade.answers import MAX_ANSWER

SLIPS = ("sign", "factor", "missing-1/n", "transpose", "shape", "wrong-component",
         "part-of-domain", "tiny")
"""Mistakes of a right method: partial credit (``[grading] slip``)."""

CONSISTENT_SECONDS = 1.0


@dataclass
class Reading:
    """An answer read: per variable its steps (text, read as LaTeX?) or the one-line reason it
    cannot be read (``error``); ``shape_error``: it reads, but its matrices do not fit;
    ``token``: equal for answers that read to the same expressions."""

    steps: dict = field(default_factory=dict)
    error: str = ""
    shape_error: str = ""
    token: str = ""


def read_answer(texts: dict, derivation) -> Reading:
    """Read ``texts`` (by variable of ``wrt``) against ``derivation``'s variables."""
    variables = derivation.problem.variables
    names = {v.name for v in variables} | set(dimension_names(variables))
    out, parts = Reading(), []
    for var in derivation.problem.wrt:
        text = texts.get(var, "")
        label = f"d/d{var}: " if len(derivation.problem.wrt) > 1 else ""
        if len(text) > MAX_ANSWER:
            out.error = f"{label}answer of {len(text):,} characters; the limit is {MAX_ANSWER:,}"
            return out
        try:
            steps = split_steps(text, names)
        except ParseError as exc:
            out.error = f"{label}{exc}"
            return out
        multiline = len({s.line for s in steps}) > 1
        read = []
        for step in steps:
            try:
                expr, latex = _read_step(step.text, variables)
            except ShapeError as exc:
                out.shape_error = out.shape_error or f"{label}{_at(step, multiline)}{exc}"
                read.append((step.text, None))
                parts.append((var, "shape", str(exc)))
                continue
            except UserError as exc:
                out.error = f"{label}{_at(step, multiline)}{exc}"
                return out
            read.append((step.text, latex))
            parts.append((var, _canonical(expr)))
        out.steps[var] = read
    out.token = hashlib.sha256(repr(parts).encode()).hexdigest()[:20]
    return out


def _at(step, multiline: bool) -> str:
    return f"line {step.line}: " if multiline else ""


def _read_step(text: str, variables):
    """The step as our language or LaTeX; ASCII text that fails is read as LaTeX (``2x``,
    ``X'``) before its first error is given."""
    try:
        return parse(text, variables), is_latex(text)
    except ParseError as first:
        if is_latex(text):
            raise
        try:
            return parse(text, variables, latex=True), True
        except ShapeError:
            raise
        except UserError:
            raise first from None


def _canonical(expr) -> str:
    return re.sub(r"dummy_index=\d+", "", sympy.srepr(expr))


# ------------------------------------------------------------------ in a worker

def check_reading(derivation, steps: dict, grading) -> dict:
    """The verdict of an answer read (``steps`` of :class:`Reading`) as plain data: verdict,
    level, mistake, the step and what changed there, the counterexample, the correct
    gradient. Over ``grading.seconds``: undecided."""
    from workbench.derive.limits import time_limit
    try:
        with time_limit(grading.seconds, "grading one answer"):
            return _check(derivation, steps, grading)
    except ResourceLimit:
        return {"verdict": "undecided", "level": "undecided", "mistake": "",
                "reasons": [f"over the time budget of {grading.seconds:g} s"]}


def _check(derivation, steps: dict, grading) -> dict:
    problem = derivation.problem
    exprs = {var: [parse(text, problem.variables, latex=latex) for text, latex in chain]
             for var, chain in steps.items()}
    final = {var: chain[-1] for var, chain in exprs.items()}
    cache: dict = {}
    report, code, detail = _compare(problem, final, grading, cache)
    out = {"verdict": report.verdict, "level": report.level, "mistake": code, **detail,
           "reasons": list(report.reasons), "how": report.how,
           "correct": {k: v for k, v in report.gradient.items() if k in final},
           "counterexample": _counterexample(report.counterexample),
           "steps": max(len(c) for c in exprs.values())}
    chain = _first_wrong_step(problem, exprs, final, grading, cache, report)
    if chain is not None:
        out.update(chain)
    return out


def _compare(problem, hand: dict, grading, cache: dict):
    """The engine's report of ``hand`` against the true gradient, its mistake code and the
    facts behind it; equal hands are checked once."""
    from workbench.verify.crosscheck import CheckSettings, cross_check
    token = tuple(sorted((k, _canonical(v)) for k, v in hand.items()))
    if token not in cache:
        settings = CheckSettings(max_examples=grading.examples, seed=grading.seed,
                                 require_proof=grading.require_proof)
        report = cross_check(problem, hand, settings, {k: plain(v) for k, v in hand.items()})
        cache[token] = (report, *mistake_of(problem, hand, report))
    return cache[token]


def mistake_of(problem, hand: dict, report) -> tuple[str, dict]:
    """The mistake code of a mismatch and its facts (``variable``, ``factor``), from the
    typed diagnosis: the exact relation of hand and true gradient first (sign, factor,
    transpose, shape), else the kind of the numeric diagnosis (part of the domain ...)."""
    if report.verdict != "mismatch":
        return "", {}
    from workbench.explain.diagnosis import diagnose
    facts = diagnose(problem, hand, report)
    findings = facts.findings if facts else []
    wrong = [f for f in findings if not f.right]
    dims = {sympy.Symbol(d, integer=True, positive=True)
            for d in dimension_names(problem.variables)}
    for f in wrong:
        detail = {"variable": f.variable}
        if f.relation in ("sign", "transpose"):
            return f.relation, detail
        if f.relation == "shape":
            hand_shape, true_shape = f.shapes
            flipped = hand_shape is not None and true_shape is not None and \
                tuple(hand_shape) == tuple(true_shape)[::-1]
            return ("transpose" if flipped else "shape"), detail
        if f.relation == "factor":
            detail["factor"] = plain(f.factor)
            return ("missing-1/n" if f.factor in dims else "factor"), detail
    detail = {"variable": wrong[0].variable} if wrong else {}
    kinds = {getattr(s, "kind", "") for s in report.diagnosis}
    for kind in KIND_ORDER:
        if kind in kinds:
            return kind, detail
    return "wrong", detail


KIND_ORDER = ("part-of-domain", "tiny", "missing-1/n", "sign", "transpose", "factor",
              "wrong-component")
"""The numeric diagnosis's kinds, most telling first (a wrong part of the domain of one
variable is also a wrong component of the gradient)."""


def _first_wrong_step(problem, exprs, final, grading, cache, final_report) -> dict | None:
    """For a chain: the first step that does not follow from the one before (1-based
    ``step``), and what changed there (``step_mistake``), or the chain is consistent
    (``consistent``: every step equals the last)."""
    for var, chain in exprs.items():
        if len(chain) < 2:
            continue
        verdicts = []
        for i, e in enumerate(chain[:-1]):
            report, code, detail = _compare(problem, {**final, var: e}, grading, cache)
            verdicts.append((report.verdict, code, detail))
        verdicts.append((final_report.verdict, *_compare(problem, final, grading, cache)[1:]))
        first = next((i for i, (v, _, _) in enumerate(verdicts) if v == "mismatch"), None)
        if first is None:
            continue
        if first > 0:
            _, code, detail = verdicts[first]
            return {"step": first + 1, "step_variable": var, "step_mistake": code,
                    "step_factor": detail.get("factor", "")}
        changed = _first_change(chain, verdicts)
        if changed is None:
            return {"consistent": True}
        return {"step": changed + 1, "step_variable": var, "step_mistake": "",
                "step_factor": ""}
    return None


EXACT_RELATIONS = ("sign", "factor", "missing-1/n")
"""Relations the typed diagnosis proves exactly (hand = c x true): two steps in the same one,
with the same c, are equal."""


def _first_change(chain, verdicts) -> int | None:
    """The first step (0-based) not shown equal to the one before, or None: equal when
    their difference reduces to zero, or both are c x the true gradient with the same c."""
    from workbench.derive.equality import reduce_to_zero
    for i in range(1, len(chain)):
        (_, code_a, fact_a), (_, code_b, fact_b) = verdicts[i - 1], verdicts[i]
        if code_a == code_b and code_a in EXACT_RELATIONS and \
                fact_a.get("factor") == fact_b.get("factor"):
            continue
        try:
            zero, _ = reduce_to_zero(chain[i] - chain[i - 1], CONSISTENT_SECONDS)
        except (TypeError, ValueError, UserError, ResourceLimit):
            zero = False
        if not zero:
            return i
    return None


def _counterexample(ce: dict | None) -> dict | None:
    if not ce or "point" not in ce:
        return None
    keep = {k: ce[k] for k in ("variable", "point", "sizes") if k in ce}
    values = (ce.get("gradients") or {}).get(ce.get("variable"), {})
    keep["hand"], keep["true"] = values.get("hand"), values.get("true")
    return keep


def score(result: dict, grading) -> float:
    """Points for ``result``: all of them for a right answer whose steps all follow; else the
    larger share of a slip (a right method, one mistake of :data:`SLIPS`) and of the first
    steps right of a chain; nothing for an answer unread, undecided or otherwise wrong."""
    verdict, code = result.get("verdict"), result.get("mistake", "")
    step, steps = result.get("step"), result.get("steps", 1)
    if verdict == "match" and not step:
        return round(grading.points, 2)
    if verdict not in ("match", "mismatch"):
        return 0.0
    shares = [0.0]
    if code in SLIPS or (verdict == "match" and step):
        shares.append(grading.slip)
    if step:
        shares.append(grading.steps * (step - 1) / steps)
    return round(grading.points * max(shares), 2)


__all__ = ["Reading", "SLIPS", "check_reading", "mistake_of", "read_answer", "score"]
