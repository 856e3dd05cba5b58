"""Notebook display: derivations and verification results that show themselves as LaTeX in
Jupyter (``_repr_latex_``, rendered by MathJax).

    >>> from workbench.explain.notebook import Steps, Verification
    >>> Steps(problem)               # the steps, each with its rule and a check mark
    >>> Verification(report)         # verdict, gradient, hand gradient, diagnosis

Only SymPy expressions and fixed labels are printed as mathematics; text from users (a
diagnosis may quote it) goes inside ``\\text{}`` with MathJax's special characters removed.
"""

from __future__ import annotations

from workbench.explain.latex import math, rule_names
from workbench.explain.render_steps import gradient_lhs
from workbench.explain.steps import explain_steps
from workbench.tex import mathjax_text
from workbench.words import check_lang, word


def steps_latex(problem, lang: str = "fr") -> str:
    """The steps of every variable of ``problem`` as one displayed ``aligned`` block."""
    check_lang(lang)
    lines = []
    for sd in explain_steps(problem):
        names = sd.symbol_names
        for r, a in sd.definitions:
            lines.append(f"& {math(r, names)} = {math(a, names)} && \\text{{"
                         f"{mathjax_text(word('page.where', lang))}}}")
        for lhs, step in sd.equations():
            head = "" if lhs is None else math(lhs, names)
            mark = "\\checkmark" if step.status == "confirmed" else \
                f"\\text{{{mathjax_text(word('page.step-' + step.status, lang))}}}"
            lines.append(f"{head} &= {math(step.expr, names)} && "
                         f"{_mixed(rule_names(step.rules, lang))}\\ {mark}")
        if sd.result is not None:
            lines.append(f"{gradient_lhs(problem, sd.wrt)} &= "
                         f"\\boxed{{{math(sd.result, names)}}} &&")
    return "$$\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}$$"


def _mixed(names: str) -> str:
    """Rule names (our own table: text with ``$...$`` formulas) as math mode: MathJax's
    ``\\text`` holds no math, so text and formulas alternate."""
    parts = names.split("$")
    return "".join(f"\\text{{{mathjax_text(p)}}}" if i % 2 == 0 else p
                   for i, p in enumerate(parts) if p)


def report_latex(report, lang: str = "fr") -> str:
    """A verification :class:`~workbench.verify.report.Report` as displayed LaTeX."""
    check_lang(lang)
    verdict = word("page." + report.verdict, lang)
    color = {"match": "green", "mismatch": "red"}.get(report.verdict, "orange")
    lines = [f"\\text{{{mathjax_text(word('page.verdict', lang))}: }}\\color{{{color}}}"
             f"{{\\textbf{{{mathjax_text(verdict)}}}}}\\text{{ "
             f"({mathjax_text(word('page.level.' + report.level, lang))})}}",
             f"\\text{{{mathjax_text(report.how)}}}"]
    for name in report.wrt:
        lines.append(f"\\text{{d/d{mathjax_text(name)}: {mathjax_text(report.gradient[name])}}}")
        if report.hand and name in report.hand:
            lines.append(f"\\text{{{mathjax_text(word('page.hand-short', lang))}: "
                         f"{mathjax_text(report.hand[name])}}}")
    for d in report.diagnosis:
        lines.append(f"\\text{{{mathjax_text(d)}}}")
    return "$$\\begin{array}{l}\n" + " \\\\\n".join(lines) + "\n\\end{array}$$"


class Steps:
    """Shows the steps of a :class:`~workbench.problem.Problem` in Jupyter."""

    def __init__(self, problem, lang: str = "fr"):
        self.problem, self.lang = problem, check_lang(lang)

    def _repr_latex_(self) -> str:
        return steps_latex(self.problem, self.lang)


class Verification:
    """Shows a verification report (or a ``FileResult``'s report) in Jupyter."""

    def __init__(self, report, lang: str = "fr"):
        self.report = getattr(report, "report", None) or report
        self.lang = check_lang(lang)

    def _repr_latex_(self) -> str:
        return report_latex(self.report, self.lang)
