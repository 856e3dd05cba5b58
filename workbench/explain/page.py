"""An explanation page for one derivation file: statement, steps, result, the hand derivation
with its verdict and diagnosis, a verification table, a figure and, for files that name a
point, the computational graph.

:func:`build` runs the core (load, cross-check, oracles) and the steps; :func:`render` turns
the result into a standalone LaTeX document (no file is written here).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import floor, log10
from pathlib import Path

from workbench.derivation_file import DerivationFile, load
from workbench.errors import ResourceLimit, UserError
from workbench.explain import numbers
from workbench.explain.chain import StepDerivation
from workbench.explain.diagnosis import Diagnosis, diagnose, lines, number_latex
from workbench.explain.figure import figure
from workbench.explain import higher_page
from workbench.explain.latex import document
from workbench.explain.render_steps import gradient_lhs, render_result, render_steps
from workbench.explain.steps import explain_steps
from workbench.tex import decimal_mark, escape, float_latex, math, prose_tex
from workbench.trace import trace_derivation, trace_tikz
from workbench.verify.crosscheck import CheckSettings
from workbench.verify.runner import FileResult, check_file
from workbench.words import Note, check_lang, word

DEFAULT_EXAMPLES = 100


@dataclass
class Page:
    """Everything a page shows. ``slug`` names its files (``slug.tex``, ``slug-figure.png``)."""

    df: DerivationFile
    result: FileResult
    steps: list[StepDerivation]
    rows: list[numbers.Row]
    figure_kind: str
    figure_png: bytes
    trace_tikz: str | None = None
    lang: str = "fr"
    slug: str = ""
    diagnosis: Diagnosis | None = None
    figure_caption: str = ""

    def __post_init__(self):
        self.slug = self.slug or page_slug(self.df.name)

    @property
    def verdict(self) -> str:
        return self.result.report.verdict if self.result.report else "error"

    @property
    def steps_verified(self) -> bool:
        return all(s.verified for s in self.steps)

    @property
    def figure_name(self) -> str:
        return f"{self.slug}-figure.png"


def page_slug(name: str) -> str:
    """A file name safe in LaTeX and URLs: letters, digits, ``-`` and ``_``."""
    out = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in name)
    return out.strip("-") or "page"


def build(path: str | Path, lang: str = "fr", examples: int = DEFAULT_EXAMPLES,
          derivation: DerivationFile | None = None) -> Page:
    """Check the file with the core and gather what its page shows (``derivation``: the file
    already loaded, such as a student's variant of a grading key)."""
    check_lang(lang)
    df = derivation if derivation is not None else load(path)
    result = check_file(path, CheckSettings(max_examples=examples), df)
    if result.error:
        raise UserError(result.error)
    if df.kind != "gradient":                     # a Jacobian or a Hessian
        return Page(df, result, [], [], "matrix",
                    higher_page.figure_png(df, result.report, lang), None, lang)
    found = numbers.oracles(df.problem, df.hand)
    kind, png, caption = figure(df.problem, found, lang)
    return Page(df, result, explain_steps(df.problem), numbers.table(df, result.report, found,
                                                                      lang),
                kind, png, _trace(df, lang), lang,
                diagnosis=diagnose(df.problem, df.hand, result.report), figure_caption=caption)


def title_of(df: DerivationFile, lang: str) -> str:
    """The file's title in ``lang`` (the English one where it has no French one)."""
    return df.title_fr if lang == "fr" and df.title_fr else df.title


def description_of(df: DerivationFile, lang: str) -> str:
    return df.description_fr if lang == "fr" and df.title_fr else df.description


def _trace(df: DerivationFile, lang: str) -> str | None:
    """TikZ of the computational graph when the file names a point and it can be traced."""
    if not df.at:
        return None
    try:
        trace = trace_derivation(df)
        return trace_tikz(trace, lang) if trace else None
    except (UserError, ResourceLimit):
        return None


def render(page: Page) -> str:
    """The page as a standalone LaTeX document."""
    lang = page.lang
    if page.df.kind != "gradient":
        parts = [_statement(page), higher_page.result_section(page.df, page.result.report, lang),
                 _figure(page), _notes(page)]
        return document(prose_tex(title_of(page.df, lang)), "\n".join(parts), lang)
    parts = [_statement(page), render_steps(page.steps, page.df.problem, lang),
             render_result(page.steps, page.df.problem, lang), hand_section(page), _table(page),
             _figure(page)]
    if page.trace_tikz:
        parts.append(f"\\section*{{{word('page.trace', lang)}}}\n\\begin{{center}}\n"
                     f"{fit_page(page.trace_tikz)}\n\\end{{center}}\n")
    parts.append(_notes(page))
    return document(prose_tex(title_of(page.df, lang)), "\n".join(parts), lang)


def _notes(page: Page) -> str:
    """The engine's notes in the page's language (:class:`~workbench.words.Note`, the variable
    typeset); one it gave only in English is counted on a French page, with where to read it."""
    notes = page.result.report.notes if page.result.report else []
    lang = page.lang
    said = [note_latex(n, page.df.problem, lang) for n in notes
            if lang == "en" or isinstance(n, Note)]
    others = len(notes) - len(said)
    if others:
        said.append(escape(word("page.notes-elsewhere", lang, count=others)))
    if not said:
        return ""
    return (f"\\section*{{{word('page.notes', lang)}}}\n\\begin{{itemize}}\n"
            + "".join(f"\\item {t}\n" for t in dict.fromkeys(said)) + "\\end{itemize}\n")


_HOLE = "WBHOLE"


def _magnitude(x: float | None, lang: str) -> str:
    """An order of magnitude as mathematics: ``$20$``, ``$140$``, ``$0{,}25$`` in French,
    ``$9 \\times 10^{7}$``."""
    if x is None:
        return ""
    if x == 0 or 1e-3 <= abs(x) < 1e4:
        rounded = float(f"{x:.2g}")                   # 140, not 1.4e+02
        return f"${decimal_mark(f'{rounded:g}', lang)}$"
    e = floor(log10(abs(x)))
    m = round(x / 10 ** e)
    if m == 10:
        m, e = 1, e + 1
    return f"${m} \\times 10^{{{e}}}$"


def note_latex(note, problem, lang: str) -> str:
    """One note as LaTeX: a :class:`~workbench.words.Note` said in ``lang`` with its variable
    typeset; another (English) escaped."""
    if not isinstance(note, Note):
        return escape(note)
    name = note.fields.get("name")
    if name is None:
        return escape(note.say(lang))
    return escape(note.say(lang, name=_HOLE)).replace(_HOLE, f"${math(_symbol(problem, name))}$")


def result_formula(page: Page) -> str:
    """The gradient the page ends at, on one line (``\\frac{df}{dx} = 2^{x} \\ln 2``); the
    function where there is no closed form. A deliberately wrong derivation shows its hand
    gradient, with a ``?`` over the equals sign: the card asks for the mistake, it does not
    give the answer away."""
    p = page.df.problem
    if page.df.expect == "mismatch" and page.df.hand:
        return ",\\quad ".join(f"{gradient_lhs(p, name)} \\overset{{?}}{{=}} {math(h)}"
                                for name, h in page.df.hand.items())
    parts = [f"{gradient_lhs(p, sd.wrt)} = {math(sd.result, sd.symbol_names)}"
             for sd in page.steps if sd.result is not None]
    return ",\\quad ".join(parts) or f"{function_lhs(p)} = {math(p.function)}"


def function_lhs(problem) -> str:
    return "f(" + ", ".join(math(v.symbol()) for v in problem.variables) + ")"


def _statement(page: Page) -> str:
    out = [f"\\section*{{{word('page.statement', page.lang)}}}"]
    description = description_of(page.df, page.lang)
    if description:
        out.append(prose_tex(description) + "\n")
    return "\n".join(out + [statement_body(page.df.problem, page.lang)]) + "\n"


def statement_body(p, lang: str) -> str:
    """The function, where its variables live and what to differentiate with respect to."""
    items = "; ".join(f"${math(v.symbol())} \\in {space_latex(v, lang)}$"
                      + (f" ({word('page.spd', lang)})" if v.domain.kind == "spd" else "")
                      for v in p.variables)
    wrt = ", ".join(f"${math(_symbol(p, n))}$" for n in p.wrt)
    return (f"\\[ {function_lhs(p)} = {math(p.function)} \\]\n"
            f"{word('page.variables', lang)}: {items}.\\\\\n"   # babel spaces French colons
            f"{word('page.wrt', lang)}: {wrt}.")


def space_latex(v, lang: str) -> str:
    """Where a variable lives, as mathematics: ``\\mathbb{R}``, an interval (``]0, +\\infty[``
    in French, ``(0, \\infty)`` in English), ``\\mathbb{R}^{n \\times p}``."""
    d = v.domain
    if d.kind in ("real", "spd"):
        base = r"\mathbb{R}"
    elif d.kind == "nonzero":
        base = r"(\mathbb{R} \setminus \{0\})"
    else:
        low = r"-\infty" if d.low == float("-inf") else number_latex(d.low, lang)
        high = (r"+\infty" if lang == "fr" else r"\infty") if d.high == float("inf") else \
            number_latex(d.high, lang)
        base = rf"\left]{low}, {high}\right[" if lang == "fr" else rf"\left({low}, {high}\right)"
    if not v.is_matrix:
        return base
    rows, cols = (math(d) for d in v.symbol().shape)
    return f"{base}^{{{rows} \\times {cols}}}"


def _symbol(problem, name: str):
    return {v.name: v for v in problem.variables}[name].symbol()


def hand_section(page: Page) -> str:
    """The hand derivation, the verdict on it, its diagnosis, the points checked."""
    lang, df, rep = page.lang, page.df, page.result.report
    out = [f"\\section*{{{word('page.hand', lang)}}}"]
    if df.hand:
        for name, expr in df.hand.items():
            out.append(f"\\[ {gradient_lhs(df.problem, name)} \\overset{{?}}{{=}} {math(expr)} \\]")
    else:
        out.append(word("page.no-hand", lang) + "\n")
    out.append(verdict_latex(rep, lang) + "\n")
    if rep.symbolic:
        out.append(word(f"page.symbolic.{rep.symbolic}", lang) + "\n")
    if df.expect == "mismatch":
        out.append("\\emph{" + word("page.expected-mismatch", lang) + "}\n")
    if page.diagnosis is not None:
        out.append(f"{word('page.diagnosis', lang)}:\n\\begin{{itemize}}\n" + "".join(
            f"\\item {segments_tex(line)}\n" for line in diagnosis_lines(page))
            + "\\end{itemize}\n")
    out.append(word("page.checked-points", lang, points=rep.points, examples=rep.examples,
                    dtype=escape(rep.dtype)) + "\n")
    out.append(skipped_latex(rep, lang))
    return "\n".join(out)


def skipped_latex(rep, lang: str) -> str:
    """Each reason points were skipped for, with its count and, where measured, the scale of
    those points next to the compared ones' (central differences lose their digits at large
    entries); nothing when none was skipped. A reason the engine gave only in English is
    counted, not quoted, on a French page."""
    items, other = [], 0
    for reason, count in rep.skipped.items():
        if not count:
            continue
        if not isinstance(reason, Note) and lang != "en":
            other += count
            continue
        colon = " : " if lang == "fr" else ": "           # French sets a space before a colon
        text = f"{count}{colon}{reason.say(lang) if isinstance(reason, Note) else reason}"
        scale, compared = rep.skipped_scale.get(reason), rep.compared_scale
        if scale is not None and compared is not None:
            text += " ; " if lang == "fr" else "; "
            text += word("page.skipped-scale", lang, scale=_HOLE, compared=_HOLE + "2")
        items.append(escape(text).replace(_HOLE + "2", _magnitude(compared, lang))
                     .replace(_HOLE, _magnitude(scale, lang)))
    if other:
        items.append(escape(word("page.skipped-other", lang, count=other)))
    if not items:
        return ""
    return (word("page.skipped", lang) + "\n\\begin{itemize}\n"
            + "".join(f"\\item {t}\n" for t in items) + "\\end{itemize}\n")


def verdict_latex(rep, lang: str) -> str:
    """``Verdict : INCORRECT (confirmé en haute précision)``, in colour."""
    color = {"match": "green!50!black", "mismatch": "red!70!black"}.get(rep.verdict,
                                                                         "orange!80!black")
    level = f" ({word('page.level.' + rep.level, lang)})" if rep.level else ""
    return (f"{word('page.verdict', lang)}: \\textbf{{\\textcolor{{{color}}}"
            f"{{{word('page.' + rep.verdict, lang)}}}}}{level}")


def diagnosis_lines(page: Page) -> list:
    p = page.df.problem
    lhs = {name: gradient_lhs(p, name) for name in p.wrt}
    symbols = {v.name: math(v.symbol()) for v in p.variables}
    return lines(page.diagnosis, lhs, symbols, page.lang)


def segments_tex(segments) -> str:
    """Segments ``(is_formula, content)`` as LaTeX: formulas in ``$...$``, words escaped."""
    return "".join(f"${c}$" if is_formula else escape(c) for is_formula, c in segments)


def _cell(value, lang: str) -> str:
    if value is None:
        return "---"
    if value.dim() == 0:
        return f"${float_latex(value, lang)}$"
    return f"$\\lVert\\cdot\\rVert = {float_latex(value.norm(), lang)}$"


def _table(page: Page) -> str:
    lang = page.lang
    heads = [word(f"page.{k}", lang) if k else "" for k in
             ("point", "", "hand-short", "symbolic", "autograd", "finite-difference", "rel-error")]
    lines = [f"\\section*{{{word('page.verification', lang)}}}", "{\\small",
             "\\begin{tabular}{p{4.2cm}lrrrrr}", "\\toprule",
             " & ".join(heads) + " \\\\", "\\midrule"]
    for row in page.rows:
        err = row.rel_error()
        cells = [row.point + (" *" if row.origin != "sample" else ""),
                 f"${math(_symbol(page.df.problem, row.variable))}$"]
        cells += [_cell(row.values.get(k), lang) for k in numbers.KINDS]
        cells.append("---" if err is None else f"${float_latex(err, lang, 2)}$")
        lines.append(" & ".join(cells) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}", "}"]
    return "\n".join(lines) + "\n"


FIGURE_WIDTH = r"0.6\linewidth"
"""The figure's width on the page: at 0.8 (almost 8 cm tall) it went to a page of its own after
a one-line derivation."""


def fit_page(picture: str) -> str:
    """``picture`` (LaTeX) scaled down, never up, to the page's width and to 40% of its
    height: a small graph is not blown up to the page's width, nor a tall one past a page."""
    tall = r"\resizebox{!}{\ifdim\height>0.4\textheight 0.4\textheight\else\height\fi}"
    wide = r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}"
    return f"{wide}{{{tall}{{{picture}}}}}"


def _figure(page: Page) -> str:
    lang = page.lang
    caption = word("higher.figure", lang) if page.figure_kind == "matrix" else \
        escape(page.figure_caption)
    return (f"\\section*{{{word('page.figure', lang)}}}\n\\begin{{center}}\n"
            f"\\includegraphics[width={FIGURE_WIDTH}]{{{page.figure_name}}}\\\\\n"
            f"{{\\small {caption}}}\n\\end{{center}}\n")

