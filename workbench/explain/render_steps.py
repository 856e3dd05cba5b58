"""LaTeX for the steps and the result: one ``align*`` per variable, each equality with the
rules it used and a mark when SymPy did not confirm it."""

from __future__ import annotations

from workbench.explain.chain import StepDerivation
from workbench.explain.latex import rule_names
from workbench.explain.matrix_check import SEEDS
from workbench.tex import escape, math
from workbench.words import word


def gradient_lhs(problem, name: str) -> str:
    """``\\nabla_X f`` for a matrix variable, ``df/dx`` (or the partial) for a scalar."""
    v = {v.name: v for v in problem.variables}[name]
    if v.is_matrix:
        return f"\\nabla_{{{math(v.symbol())}}} f"
    d = "d" if len(problem.variables) == 1 else "\\partial "
    return f"\\frac{{{d}f}}{{{d}{math(v.symbol())}}}"


def _mark(status: str, lang: str) -> str:
    if status == "confirmed":
        return "\\checkmark"
    color = "red!70!black" if status == "wrong" else "orange!80!black"
    return f"\\textcolor{{{color}}}{{\\textbf{{{word('page.step-' + status, lang)}}}}}"


def render_steps(steps: list[StepDerivation], problem, lang: str) -> str:
    """The section "step by step" for every variable."""
    out = [f"\\section*{{{word('page.steps', lang)}}}"]
    for sd in steps:
        names = sd.symbol_names
        out.append(f"\\subsection*{{$\\displaystyle {gradient_lhs(problem, sd.wrt)}$}}")
        if sd.definitions:
            defs = ", ".join(f"${math(r, names)} = {math(a, names)}$" for r, a in sd.definitions)
            out.append(f"{word('page.where', lang).capitalize()} {defs}.")
        lines = []
        for lhs, step in sd.equations():
            head = "" if lhs is None else math(lhs, names)
            note = rule_names(step.rules, lang)
            lines.append(f"{head} &= {math(step.expr, names)} && \\text{{\\small {note}}}"
                         f"\\ {_mark(step.status, lang)}")
        if lines:
            out.append("\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}")
        if sd.kind == "matrix" and sd.check:
            out.append(word("page.matrix-check", lang, how=escape(sd.check), points=len(SEEDS)))
        out.append(word("page.steps-verified" if sd.verified else "page.steps-not-verified", lang))
    return "\n".join(out) + "\n"


def render_result(steps: list[StepDerivation], problem, lang: str) -> str:
    """The section "result": the closed form the steps end at, and the engine's own form when
    it is written differently."""
    out = [f"\\section*{{{word('page.result', lang)}}}"]
    d = problem.derivation
    for sd in steps:
        lhs = gradient_lhs(problem, sd.wrt)
        engine = d.gradient[sd.wrt]
        if sd.result is None:
            out.append(f"${lhs}$: {word('page.no-closed-form', lang)}\n")
            continue
        out.append(f"\\[ \\boxed{{{lhs} = {math(sd.result, sd.symbol_names)}}} \\]")
        if engine is None:
            out.append(word("page.explicit-only", lang) + "\n")
        elif engine != sd.result:
            out.append(f"{word('page.engine-form', lang)}: ${math(engine)}$.\n")
    return "\n".join(out) + "\n"
