"""An exercise sheet for one derivation file, to hand out: the statement and blanks to fill on
the first page (compute the gradient, evaluate it at the file's points, judge the hand
derivation as a student's), the solutions after a page break (the steps, the result, the values
at the points, the verdict and its diagnosis), all checked like the page (:mod:`.page`).

The first page leaves the file's title and description out: they often give the answer away
("Ridge regression: 2 X^T (X beta - y) + 2 lambda beta"); they open the solutions instead. The
sheet is titled by its function.
"""

from __future__ import annotations

from workbench.explain.diagnosis import number_latex, point_latex
from workbench.explain.latex import document
from workbench.explain.page import (Page, description_of, function_lhs, hand_section,
                                    statement_body, title_of)
from workbench.explain.render_steps import gradient_lhs, render_result, render_steps
from workbench.tex import escape, math, prose_tex
from workbench.words import word

BLANK_LINES = 5


def render_sheet(page: Page, student: str | None = None, judge_hand: bool = True) -> str:
    """The exercise sheet of ``page`` as a standalone LaTeX document; ``student``: the id it
    is made for (said under the title); ``judge_hand`` False leaves the file's hand derivation
    out (a grading key's ``[hand]`` is the model answer, not a derivation to judge)."""
    lang, df = page.lang, page.df
    p = df.problem
    items = []
    for name in p.wrt:
        items.append(f"\\item {word('sheet.compute', lang)} ${_symbol(p, name)}$.\n"
                     f"\\[ {gradient_lhs(p, name)} = \\underline{{\\hspace{{9cm}}}} \\]")
    for at in df.at:
        blanks = " \\qquad ".join(f"{gradient_lhs(p, name)} = \\underline{{\\hspace{{4cm}}}}"
                                  for name in p.wrt)
        items.append(f"\\item {word('sheet.evaluate', lang)} ${_point(p, at.values, lang)}$.\n"
                     f"\\[ {blanks} \\]")
    if df.hand and judge_hand:
        hand = " \\qquad ".join(f"{gradient_lhs(p, name)} \\overset{{?}}{{=}} {math(expr)}"
                                for name, expr in df.hand.items())
        lines = "".join("\\par\\vspace{1.2em}\\noindent\\rule{\\linewidth}{0.4pt}"
                        for _ in range(BLANK_LINES))
        items.append(f"\\item {word('sheet.student', lang)}\n\\[ {hand} \\]\n{lines}")
    statement = [word("sheet.for", lang, student=f"\\textbf{{{escape(student)}}}") + "\n"] \
        if student else []
    statement += [f"\\section*{{{word('page.statement', lang)}}}", statement_body(p, lang),
                 "\\begin{enumerate}", *items, "\\end{enumerate}"]
    solutions = ["\\newpage", f"\\section*{{{word('sheet.solutions', lang)}}}",
                 f"\\textbf{{{prose_tex(title_of(df, lang))}}}\n"]
    description = description_of(df, lang)
    if description:
        solutions.append(prose_tex(description) + "\n")
    solutions += [render_steps(page.steps, p, lang), render_result(page.steps, p, lang),
                  _values(page), hand_section(page) if judge_hand else ""]
    colon = " : " if lang == "fr" else ": "           # French sets a space before a colon
    title = f"{word('sheet.exercise', lang)}{colon}${function_lhs(p)} = {math(p.function)}$"
    return document(title, "\n".join(statement + solutions), lang,
                    footer=word("sheet.made", lang))


def _symbol(problem, name: str) -> str:
    return next(math(v.symbol()) for v in problem.variables if v.name == name)


def _point(problem, values: dict, lang: str) -> str:
    return point_latex(values, {v.name: math(v.symbol()) for v in problem.variables}, lang)


def _values(page: Page) -> str:
    """The gradient at each of the file's points: the exact value the file expects (checked
    by the workbench) and the float autograd gives."""
    df, rows = page.df, []
    p = df.problem
    checked = page.result.at
    for i, at in enumerate(df.at):
        for name in p.wrt:
            found = checked[i]["gradient"].get(name, {}) if i < len(checked) else {}
            value = found.get("autograd")
            shown = number_latex(value, page.lang) if value is not None else "?"
            if name in at.expect and found.get("ok"):
                exact, expr = math(at.expect[name]), at.expect[name]
                relation = "=" if expr.free_symbols else r"\approx"
                shown = exact if exact == shown else f"{exact} {relation} {shown}"
            at_point = _point(p, at.values, page.lang)
            rows.append(f"{word('sheet.answer-at', page.lang)} ${at_point}$ : "
                        f"\\[ {gradient_lhs(p, name)} = {shown} \\]")
    if not rows:
        return ""
    return f"\\section*{{{word('page.at', page.lang)}}}\n" + "\n".join(rows) + "\n"
