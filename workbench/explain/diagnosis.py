"""A mismatch told in words and formulas, for pages and notebooks, in one language.

Made from typed facts only: the hand and derived gradients as SymPy expressions (whether they
are equal, their exact difference, and how the hand one relates to the derived one when that is
a sign, a constant factor, a transpose or a shape), and the report's counterexample (a point
and both values there). The report's own diagnosis sentences are English text for terminals;
nothing here reads them back. The verdict is the report's; this module only shows it.

:func:`diagnose` gathers the facts; :func:`lines` renders them as segments ``(is_formula,
content)``, formulas in LaTeX and words as plain text, which each medium then escapes
(:func:`workbench.tex.escape` on a page, HTML or MathJax in a notebook).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy

from workbench.derive.equality import reduce_to_zero
from workbench.tex import float_latex, list_separator, math
from workbench.words import word

SECONDS = 1.0
"""SymPy time for each difference or ratio shown (beyond it, the formula is left out)."""

Segments = list[tuple[bool, str]]


@dataclass
class Finding:
    """What the hand gradient of ``variable`` is next to the derived one ``true``: ``right``
    (exactly equal), ``relation`` (``sign``, ``factor``, ``transpose``, ``shape`` or ``""``),
    ``factor`` (hand = factor x true), ``difference`` (hand - true, reduced) and the two
    ``shapes`` (hand, true) of a matrix variable."""

    variable: str
    hand: sympy.Basic
    true: sympy.Basic | None
    right: bool = False
    relation: str = ""
    factor: sympy.Basic | None = None
    difference: sympy.Basic | None = None
    shapes: tuple | None = None


@dataclass
class Counterexample:
    """A point where the hand gradient of ``variable`` is wrong: the point (numbers or rows),
    the sizes of its matrices, both gradient values there, and the digits that confirmed it."""

    variable: str
    point: dict[str, Any]
    sizes: dict[str, int] = field(default_factory=dict)
    hand: Any = None
    true: Any = None
    digits: int = 0


@dataclass
class Diagnosis:
    findings: list[Finding]
    counterexample: Counterexample | None


def diagnose(problem, hand: dict | None, report) -> Diagnosis | None:
    """The facts behind a mismatch of ``hand`` (SymPy, by variable) against ``problem``'s
    gradient, whose verdict is ``report``'s; None unless the report is a mismatch of a hand
    gradient."""
    if report is None or report.verdict != "mismatch" or not hand:
        return None
    findings = [_finding(problem, name, hand[name]) for name in problem.wrt if name in hand]
    return Diagnosis(findings, _counterexample(report.counterexample))


def _finding(problem, name: str, hand) -> Finding:
    true = problem.derivation.gradient.get(name)
    f = Finding(name, hand, true)
    if true is None:
        return f
    hand_shape, true_shape = getattr(hand, "shape", None), getattr(true, "shape", None)
    if hand_shape != true_shape:
        f.relation, f.shapes = "shape", (hand_shape, true_shape)
        return f
    zero, difference = reduce_to_zero(hand - true, SECONDS)
    f.right, f.difference = zero, None if zero else difference
    if not zero:
        _relate(f, {v.symbol() for v in problem.variables})
    return f


def _relate(f: Finding, symbols: set) -> None:
    """Fill ``relation`` and ``factor`` when hand = c x true (c free of the variables) or,
    for a square matrix, hand = true transposed."""
    if isinstance(f.true, sympy.MatrixExpr):
        if f.true.shape[0] == f.true.shape[1] and _terms(f.hand) == _terms(f.true.T):
            f.relation = "transpose"
            return
        factor = _matrix_factor(f.hand, f.true)
    else:
        _, factor = reduce_to_zero(f.hand / f.true, SECONDS) if f.true != 0 else (False, None)
    if factor is not None and factor != 1 and not (factor.free_symbols & symbols) and \
            not factor.has(sympy.nan, sympy.zoo, sympy.oo):
        f.relation, f.factor = ("sign", factor) if factor == -1 else ("factor", factor)


def _terms(expr) -> dict | None:
    """A matrix expression as {product of matrices: coefficient}, or None if SymPy fails."""
    try:
        out: dict = {}
        for term in sympy.MatAdd.make_args(sympy.expand(expr)):
            coeff, mats = term.as_coeff_mmul()
            out[mats] = sympy.nsimplify(out.get(mats, 0) + coeff)
        return out
    except Exception:  # noqa: BLE001 - SymPy's matrix algebra raises many kinds
        return None


def _matrix_factor(hand, true):
    """c with hand = c x true, term by term, or None."""
    a, b = _terms(hand), _terms(true)
    if not a or not b or set(a) != set(b) or any(b[k] == 0 for k in b):
        return None
    ratios = {sympy.simplify(a[k] / b[k]) for k in a}
    return ratios.pop() if len(ratios) == 1 else None


def _counterexample(ce: dict | None) -> Counterexample | None:
    """The report's counterexample, when it is a point with both values (an exact witness of a
    matrix identity names entries, not a point, and is left out)."""
    if not ce or "gradients" not in ce:
        return None
    values = ce["gradients"][ce["variable"]]
    return Counterexample(ce["variable"], dict(ce["point"]), dict(ce.get("sizes") or {}),
                          values.get("hand"), values.get("true"), ce.get("confirmed_digits", 0))


# ---------------------------------------------------------------- rendering


def number_latex(value, lang: str) -> str:
    """A float (6 significant digits, ``\\times 10^{k}`` for exponents, the decimal mark of
    ``lang``), or rows of them as a ``pmatrix``."""
    if isinstance(value, (list, tuple)):
        rows = [r if isinstance(r, (list, tuple)) else [r] for r in value]
        return r"\begin{pmatrix}" + r" \\ ".join(" & ".join(number_latex(x, lang) for x in r)
                                                 for r in rows) + r"\end{pmatrix}"
    if value is None:
        return "?"
    return float_latex(value, lang)


def point_latex(values: dict, symbols: dict, lang: str) -> str:
    """A point as mathematics, ``x = -1{,}5;\\ y = 2`` in French (the comma is the decimal
    mark there), ``x = -1.5, y = 2`` in English; ``symbols``: the LaTeX of each name."""
    return list_separator(lang).join(f"{symbols.get(k, k)} = {number_latex(v, lang)}"
                                     for k, v in values.items())


def _shape_latex(shape) -> str:
    return r"1 \times 1" if shape is None else r" \times ".join(math(d) for d in shape)


def lines(d: Diagnosis, lhs: dict[str, str], symbols: dict[str, str], lang: str) \
        -> list[Segments]:
    """The diagnosis as lines of segments. ``lhs``: the LaTeX of each gradient's name
    (``\\frac{df}{dx}``); ``symbols``: the LaTeX of each variable's name."""
    out: list[Segments] = []
    several = len(d.findings) > 1
    for f in d.findings:
        head = [(True, lhs[f.variable]), (False, " : " if lang == "fr" else ": ")]
        if f.right:
            if several:
                out.append(head + [(False, word("diag.right", lang))])
            continue
        out.append(head + _relation(f, lang))
        if f.difference is not None and f.relation not in ("sign", "factor"):
            out.append([(False, word("diag.difference", lang) + " "),
                        (True, rf"\text{{{word('diag.hand', lang)}}} - "
                               rf"\text{{{word('diag.true', lang)}}} = {math(f.difference)}")])
        if f.true is not None:
            out.append([(False, word("diag.correct", lang) + " "),
                        (True, f"{lhs[f.variable]} = {math(f.true)}")])
    ce = d.counterexample
    if ce is not None:
        point = point_latex(ce.point, symbols, lang)
        sizes = ", ".join(f"{k} = {v}" for k, v in ce.sizes.items())
        out.append([(False, word("diag.counterexample", lang, digits=ce.digits) + " "),
                    (True, point + (rf" \quad ({sizes})" if sizes else "")),
                    (False, ", " + word("diag.hand-gives", lang) + " "),
                    (True, number_latex(ce.hand, lang)),
                    (False, ", " + word("diag.true-gives", lang) + " "),
                    (True, number_latex(ce.true, lang)), (False, ".")])
    return out


def _relation(f: Finding, lang: str) -> Segments:
    if f.relation == "sign":
        return [(False, word("diag.sign", lang))]
    if f.relation == "transpose":
        return [(False, word("diag.transpose", lang))]
    if f.relation == "shape":
        hand, true = f.shapes
        out = [(False, word("diag.shape-hand", lang) + " "), (True, _shape_latex(hand)),
               (False, ", " + word("diag.shape-true", lang) + " "), (True, _shape_latex(true))]
        if hand and true and tuple(reversed(hand)) == tuple(true):
            out.append((False, " " + word("diag.shape-transposed", lang)))
        return out + [(False, ".")]
    if f.relation == "factor":
        c = f.factor
        out = [(False, word("diag.factor", lang) + " "),
               (True, rf"\text{{{word('diag.hand', lang)}}} = {math(c)} \times "
                      rf"\text{{{word('diag.true', lang)}}}")]
        if c.is_number and abs(float(c) - 1) < 1e-3:
            return out + [(False, ".")]
        missing = c.is_positive is not False and (not c.is_number or abs(float(c)) > 1)
        hint = sympy.simplify(1 / c) if missing else c
        key = "diag.factor-missing" if missing else "diag.factor-spurious"
        return out + [(False, " : " if lang == "fr" else ": "), (False, word(key, lang) + " "),
                      (True, math(hint)), (False, " ?" if lang == "fr" else "?")]
    return [(False, word("diag.wrong", lang))]
