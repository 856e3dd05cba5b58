"""Rich display in Jupyter, in one language: results made of blocks (headings, paragraphs whose
formulas are typeset, displayed formulas, lists, tables, the verdict, figures) rendered as HTML
(what Jupyter shows, MathJax typesetting the ``$...$``), Markdown and LaTeX (what nbconvert
puts in a PDF), and plain text for a terminal. Never a Python repr.

    >>> Steps(problem)                 # the steps, each with its rule and a check mark
    >>> Verification(report, problem, hand, lang="fr")

A paragraph is a list of segments ``(is_formula, content)``: formulas are LaTeX made by
:func:`workbench.tex.math` or :func:`workbench.tex.prose_segments` (never user text), words are
escaped for each medium (:func:`html.escape`, Markdown's specials, :func:`workbench.tex
.mathjax_text`).
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field

from workbench.explain.diagnosis import diagnose, lines
from workbench.explain.latex import rule_names
from workbench.explain.render_steps import gradient_lhs
from workbench.explain.steps import explain_steps
from workbench.tex import math, mathjax_text, prose_segments
from workbench.words import check_lang, word

COLORS = {"match": "#2e7d32", "mismatch": "#c62828", "undecided": "#ef6c00"}


@dataclass
class Block:
    """``kind``: heading, para, math (displayed LaTeX), list (of paragraphs), table
    (``content`` the head row, ``rows``; cells are paragraphs), verdict (``content``: the
    verdict, ``label`` its words, ``text`` its level), png or svg (``data``, ``text`` the
    alternative text)."""

    kind: str
    content: object = None
    rows: list = field(default_factory=list)
    text: str = ""
    data: bytes | str = b""
    label: str = ""


def para(*segments) -> Block:
    """A paragraph of segments ``(is_formula, content)``."""
    return Block("para", list(segments))


def prose(text: str) -> Block:
    """A paragraph of user text, its formulas typeset."""
    return Block("para", prose_segments(text))


# ---------------------------------------------------------------- one medium each


NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _html_segments(segments) -> str:
    """Formulas for MathJax, but a bare number as text (MathJax puts a number apart in a
    table cell, out of line with its column)."""
    return "".join(f"${html.escape(c)}$" if f and not NUMBER.fullmatch(c) else html.escape(c)
                   for f, c in segments)


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>#|$])", r"\\\1", text)


def _md_segments(segments) -> str:
    return "".join(f"${c}$" if f else _md_escape(c) for f, c in segments)


def _tex_segments(segments) -> str:
    return "".join(f"{{{c}}}" if f else f"\\text{{{mathjax_text(c)}}}" for f, c in segments)


def to_html(blocks: list[Block]) -> str:
    out = []
    for b in blocks:
        if b.kind == "heading":
            out.append(f"<h4>{_html_segments(b.content)}</h4>")
        elif b.kind == "para":
            out.append(f"<p>{_html_segments(b.content)}</p>")
        elif b.kind == "math":
            out.append(f"<p>$${html.escape(b.content)}$$</p>")
        elif b.kind == "list":
            out.append("<ul>" + "".join(f"<li>{_html_segments(s)}</li>" for s in b.content)
                       + "</ul>")
        elif b.kind == "table":
            head = "".join(f"<th>{_html_segments(c)}</th>" for c in b.content)
            body = "".join("<tr>" + "".join(f"<td>{_html_segments(c)}</td>" for c in row)
                           + "</tr>" for row in b.rows)
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif b.kind == "verdict":
            out.append(f'<p><b style="color:{COLORS.get(b.content, "#555")}">'
                       f'{html.escape(b.label)}</b> ({html.escape(b.text)})</p>')
        elif b.kind == "png":
            out.append(f'<img src="data:image/png;base64,{base64.b64encode(b.data).decode()}"'
                       f' alt="{html.escape(b.text, quote=True)}" style="max-width:100%">')
        elif b.kind == "svg":
            out.append(f'<div style="max-width:100%;overflow:auto">{_svg_body(b.data)}</div>')
    return "<div>\n" + "\n".join(out) + "\n</div>"


def _svg_body(svg: str) -> str:
    """An SVG document without its XML prologue and doctype, to sit inside HTML."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""


def to_markdown(blocks: list[Block]) -> str:
    out = []
    for b in blocks:
        if b.kind == "heading":
            out.append(f"#### {_md_segments(b.content)}")
        elif b.kind == "para":
            out.append(_md_segments(b.content))
        elif b.kind == "math":
            out.append(f"$${b.content}$$")
        elif b.kind == "list":
            out.append("\n".join(f"- {_md_segments(s)}" for s in b.content))
        elif b.kind == "table":
            out.append("| " + " | ".join(_md_segments(c) for c in b.content) + " |\n|" +
                       "---|" * len(b.content) + "\n" + "\n".join(
                           "| " + " | ".join(_md_segments(c) for c in row) + " |"
                           for row in b.rows))
        elif b.kind == "verdict":
            out.append(f"**{_md_escape(b.label)}** ({_md_escape(b.text)})")
        elif b.kind == "png":
            out.append(f"![{_md_escape(b.text)}](data:image/png;base64,"
                       f"{base64.b64encode(b.data).decode()})")
    return "\n\n".join(out)


def to_latex(blocks: list[Block]) -> str:
    """Displayed LaTeX that MathJax and TeX both read (figures are left out)."""
    rows = []
    for b in blocks:
        if b.kind in ("heading", "para"):
            rows.append(_tex_segments(b.content))
        elif b.kind == "math":
            rows.append(f"\\displaystyle {b.content}")
        elif b.kind == "list":
            rows += [r"\quad\bullet\ " + _tex_segments(s) for s in b.content]
        elif b.kind == "table":
            cells = [" & ".join(_tex_segments(c) for c in row) for row in [b.content, *b.rows]]
            rows.append(r"\begin{array}{" + "l" * len(b.content) + "}" + r" \\ ".join(cells)
                        + r"\end{array}")
        elif b.kind == "verdict":
            rows.append(rf"\textbf{{{mathjax_text(b.label)}}}"
                        rf"\text{{ ({mathjax_text(b.text)})}}")
    return "$$\\begin{array}{l}\n" + " \\\\\n".join(rows) + "\n\\end{array}$$"


def to_text(blocks: list[Block]) -> str:
    """Plain text for a terminal: words as they are, formulas as their LaTeX."""
    out = []
    for b in blocks:
        if b.kind in ("heading", "para"):
            out.append("".join(c for _, c in b.content))
        elif b.kind == "math":
            out.append("    " + b.content)
        elif b.kind == "list":
            out += ["  - " + "".join(c for _, c in s) for s in b.content]
        elif b.kind == "table":
            out += ["  ".join("".join(c for _, c in cell) for cell in row)
                    for row in [b.content, *b.rows]]
        elif b.kind == "verdict":
            out.append(f"{b.label} ({b.text})")
    return "\n".join(out)


class Shown:
    """A result that shows itself in Jupyter: subclasses give :meth:`blocks`."""

    lang = "en"

    def blocks(self) -> list[Block]:
        raise NotImplementedError

    def _repr_html_(self) -> str:
        return to_html(self.blocks())

    def _repr_markdown_(self) -> str:
        return to_markdown(self.blocks())

    def _repr_latex_(self) -> str:
        return to_latex(self.blocks())

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(to_text(self.blocks()))

    def __str__(self) -> str:
        return to_text(self.blocks())


# ---------------------------------------------------------------- derivations and verdicts


def verdict_block(report, lang: str) -> Block:
    """The verdict in its colour, with its level (``MISMATCH (confirmed in high
    precision)``)."""
    return Block("verdict", report.verdict, text=word(f"page.level.{report.level}", lang),
                 label=f"{word('page.verdict', lang)}: {word('page.' + report.verdict, lang)}")


def function_block(problem) -> Block:
    lhs = "f(" + ", ".join(math(v.symbol()) for v in problem.variables) + ")"
    return Block("math", f"{lhs} = {math(problem.function)}")


def steps_blocks(problem, lang: str) -> list[Block]:
    """The steps of every variable, each with its rule and a check mark, then the result."""
    out = []
    for sd in explain_steps(problem):
        names = sd.symbol_names
        rows = [f"{math(r, names)} &= {math(a, names)} && \\text{{"
                f"{mathjax_text(word('page.where', lang))}}}" for r, a in sd.definitions]
        for lhs, step in sd.equations():
            head = "" if lhs is None else math(lhs, names)
            mark = "\\checkmark" if step.status == "confirmed" else \
                f"\\text{{{mathjax_text(word('page.step-' + step.status, lang))}}}"
            rows.append(f"{head} &= {math(step.expr, names)} && "
                        f"{_mixed(rule_names(step.rules, lang))}\\ {mark}")
        if sd.result is not None:
            rows.append(f"{gradient_lhs(problem, sd.wrt)} &= \\boxed{{{math(sd.result, names)}}}"
                        f" &&")
        out.append(Block("math", "\\begin{aligned}\n" + " \\\\\n".join(rows) +
                         "\n\\end{aligned}"))
    return out


def _mixed(names: str) -> str:
    """Rule names (our own table: text with ``$...$`` formulas) as math mode: MathJax's
    ``\\text`` holds no math, so text and formulas alternate."""
    parts = names.split("$")
    return "".join(f"\\text{{{mathjax_text(p)}}}" if i % 2 == 0 else p
                   for i, p in enumerate(parts) if p)


def report_blocks(report, problem, hand: dict | None, lang: str) -> list[Block]:
    """A verification report: the hand gradient next to the derived one, the verdict and its
    level, the exact comparison, the diagnosis in words and formulas (with its counterexample)
    and the points checked."""
    out = []
    for name in problem.wrt:
        lhs = gradient_lhs(problem, name)
        if hand and name in hand:
            out.append(Block("math", f"{lhs} \\overset{{?}}{{=}} {math(hand[name])}"))
        g = problem.derivation.gradient.get(name)
        if g is not None and report.verdict != "mismatch":
            out.append(Block("math", f"{lhs} = {math(g)}"))
    out.append(verdict_block(report, lang))
    if report.symbolic:
        out.append(para((False, word(f"page.symbolic.{report.symbolic}", lang))))
    found = diagnose(problem, hand, report)
    if found is not None:
        lhs = {name: gradient_lhs(problem, name) for name in problem.wrt}
        symbols = {v.name: math(v.symbol()) for v in problem.variables}
        out.append(Block("list", lines(found, lhs, symbols, lang)))
    out.append(para((False, word("page.checked-points", lang, points=report.points,
                                 examples=report.examples, skipped=report.skipped_points,
                                 dtype=report.dtype))))
    return out


class Steps(Shown):
    """The steps of a :class:`~workbench.problem.Problem`, in Jupyter."""

    def __init__(self, problem, lang: str = "en"):
        self.problem, self.lang = problem, check_lang(lang)

    def blocks(self) -> list[Block]:
        return [function_block(self.problem), *steps_blocks(self.problem, self.lang)]


class Verification(Shown):
    """A verification :class:`~workbench.verify.report.Report` (or a ``FileResult``'s) of
    ``hand`` against ``problem``, in Jupyter."""

    def __init__(self, report, problem, hand: dict | None = None, lang: str = "en"):
        self.report = getattr(report, "report", None) or report
        self.problem, self.hand, self.lang = problem, hand, check_lang(lang)

    def blocks(self) -> list[Block]:
        return [function_block(self.problem),
                *report_blocks(self.report, self.problem, self.hand, self.lang)]
