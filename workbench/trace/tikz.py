r"""A trace as TikZ: the graph with values, local partials (on the edges) and adjoints; and the
two routes on one picture, as in the course's figure.

Each function returns one ``tikzpicture`` environment (no TikZ library needed); a document
including it needs ``\usepackage{amsmath}`` and ``\usepackage{tikz}`` (:data:`PACKAGES`).
All text a user wrote is escaped for LaTeX; formulas come from our own forms and SymPy.
"""

from __future__ import annotations

import numpy as np
import sympy

from workbench.tex import escape as latex_escape, float_latex, math
from workbench.trace.core import Trace
from workbench.trace.graph import tex_name
from workbench.trace.report import exact_text
from workbench.trace.result import Number
from workbench.words import check_lang, word

PACKAGES = ("amsmath", "tikz")
MAX_FORMULA_CHARS = 300
_CM_PER_CHAR = 0.16


def tex_number(number: Number | None, lang: str = "en") -> str:
    """A number in math mode: exact where short (``\\frac{1}{2}``, ``\\ln{\\left(2 \\right)}``),
    else float64 in six significant digits with the decimal mark of ``lang``."""
    if number is None:
        return ""
    if exact_text(number) is not None:
        return sympy.latex(number.exact, ln_notation=True)
    f = number.float
    if isinstance(f, np.ndarray):
        rows = [" & ".join(float_latex(v, lang) for v in row) for row in f]
        return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"
    return float_latex(f, lang)


def graph_tikz(trace: Trace) -> str:
    """The graph: a box per node (definition and value), its adjoint (reverse mode) or
    tangents (forward mode) under it, and each edge labelled with the local partial."""
    return "\n".join([r"\begin{tikzpicture}", *_graph_lines(trace, "en"), r"\end{tikzpicture}"])


def trace_tikz(trace: Trace, lang: str = "en") -> str:
    """Both routes on one picture: the symbolic one (the function, the gradient's formula, its
    value at the point) above the graph, the automatic one (the inputs' adjoints) below it;
    headings in ``lang`` (``fr`` or ``en``)."""
    check_lang(lang)
    lines = [r"\begin{tikzpicture}", *_graph_lines(trace, lang)]
    lines.append(r"\path (current bounding box.north west) coordinate (top) "
                 r"(current bounding box.south west) coordinate (bottom);")
    lines.append(rf"\node[draw, align=left, anchor=south west, yshift=4mm] at (top) "
                 rf"{{{_symbolic_text(trace, lang)}}};")
    lines.append(rf"\node[draw, align=left, anchor=north west, yshift=-4mm] at (bottom) "
                 rf"{{{_automatic_text(trace, lang)}}};")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def tikz_document(trace: Trace, lang: str = "en") -> str:
    """A LaTeX document of :func:`trace_tikz` (scaled down to the page if wider)."""
    return "\n".join([
        r"\documentclass{article}",
        r"\usepackage[a4paper,landscape,margin=1cm]{geometry}",
        *(rf"\usepackage{{{p}}}" for p in ("graphicx", *PACKAGES)),
        r"\pagestyle{empty}",
        r"\begin{document}",
        r"\noindent\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%",
        trace_tikz(trace, lang) + "%",
        "}",
        r"\end{document}",
        ""])


def _dy(trace: Trace) -> float:
    tallest = max((r.value.float.shape[0] for r in trace.rows
                   if isinstance(r.value.float, np.ndarray)), default=1)
    return 2.2 + 0.45 * (tallest - 1)


def _columns(trace: Trace) -> dict[int, float]:
    """x of each column (cm), wide enough for the longest box in the column before it."""
    widths: dict[int, float] = {}
    for r in trace.rows:
        col = trace.graph.layers[r.node.index]
        chars = max(len(r.node.text) + len(r.node.name) + 3, len(exact_text(r.value) or "") + 2,
                    12)
        widths[col] = max(widths.get(col, 0.0), chars * _CM_PER_CHAR)
    xs, x = {}, 0.0
    for col in sorted(widths):
        xs[col] = x
        x += widths[col] + 1.4
    return xs


def _graph_lines(trace: Trace, lang: str) -> list[str]:
    graph = trace.graph
    xs, dy = _columns(trace), _dy(trace)
    lines = []
    for r in trace.rows:
        n = r.node
        col, row = graph.positions[n.index]
        name = tex_name(n.name)
        body = f"${name} = {tex_number(r.value, lang)}$" if n.is_input else \
            rf"${name} = {n.tex}$\\ $= {tex_number(r.value, lang)}$"
        style = "draw, align=center, fill=black!5" if n.is_input else \
            "draw, rounded corners, align=center"
        lines.append(rf"\node[{style}] (n{n.index}) at ({xs[col]:.2f}, {-dy * row:.2f}) {{{body}}};")
        below = _below(trace, r, lang)
        if below:
            lines.append(rf"\node[anchor=north, align=center, text=red!60!black] "
                         rf"at (n{n.index}.south) {{{below}}};")
    for r in trace.rows:
        for k in r.node.inputs:
            source = graph.nodes[k]
            p = r.partials[source.name]
            text = f"${p.rule_tex}$" if p.rule_tex else \
                rf"\texttt{{{latex_escape(p.rule)}}}" if p.rule else \
                f"${tex_number(p.number, lang)}$"
            skips = graph.layers[r.node.index] - graph.layers[k] > 1
            path = "to[bend left=30]" if skips else "--"      # around the columns between
            lines.append(rf"\draw[->] (n{k}) {path} node[midway, above, sloped, fill=white, "
                         rf"inner sep=1pt, font=\scriptsize] {{{text}}} (n{r.node.index});")
    return lines


def _below(trace: Trace, r, lang: str) -> str:
    """The adjoint (with its shares when several edges leave the node) or the tangents."""
    name = tex_name(r.node.name)
    if trace.mode == "forward":
        return r"\\ ".join(rf"$\dot{{{name}}}^{{({latex_escape(label)})}} = "
                           rf"{tex_number(t, lang)}$" for label, t in r.tangents.items())
    text = rf"$\overline{{{name}}} = {tex_number(r.adjoint, lang)}$"
    if len(r.contributions) > 1:
        text += r"\\ $= " + " + ".join(tex_number(c, lang) for _, c in r.contributions) + "$"
    return text


def _point_tex(trace: Trace, lang: str) -> str:
    separator = r";\ " if lang == "fr" else r",\ "     # French: the comma is the decimal mark
    return separator.join(f"{tex_name(k)} = {tex_number(v, lang)}" for k, v in trace.point.items())


def _d(name: str) -> str:
    return rf"\displaystyle\frac{{\partial f}}{{\partial {tex_name(name)}}}"


def _symbolic_text(trace: Trace, lang: str) -> str:
    _, typed = trace.graph.spelled_out()
    lines = [rf"\textbf{{{word('route.symbolic', lang)}}}", rf"$\displaystyle f = {typed}$"]
    route = trace.symbolic
    if route is None:
        lines.append(f"({word('route.unavailable', lang)}: "
                     + latex_escape("; ".join(trace.notes)) + ")")
        return r"\\ ".join(lines)
    for name in trace.wrt:
        formula = math(route.formula[name])
        if len(formula) > MAX_FORMULA_CHARS:
            formula = rf"\text{{{word('route.long', lang)}}}"
        lines.append(f"${_d(name)} = {formula}$")
    lines.append(f"{word('route.at', lang)} ${_point_tex(trace, lang)}$:")
    for name in trace.wrt:
        at = route.at[name]
        lines.append(f"${_d(name)} = {tex_number(at, lang)}$" if at is not None else
                     f"${_d(name)}$ {word('route.failed', lang)}")
    return r"\\ ".join(lines)


def _automatic_text(trace: Trace, lang: str) -> str:
    mode = word(f"route.{trace.mode}", lang)
    lines = [rf"\textbf{{{word('route.automatic', lang)}}} ({mode})"]
    for name in trace.wrt:
        lines.append(f"${_d(name)} = {tex_number(trace.gradient[name], lang)}$")
    if trace.agrees is not None:
        lines.append(word("route.agree", lang) if trace.agrees else
                     rf"\textbf{{{word('route.disagree', lang)}}}")
    return r"\\ ".join(lines)
