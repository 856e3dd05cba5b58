"""Each student's feedback page as PDF (``workbench grade --pdf``), with the TeX engine and the
safe compilation of the explanation pages (:mod:`workbench.explain.pdf`: pdflatex, no shell
escape, no file read or written outside a fresh folder, a timeout, ``SOURCE_DATE_EPOCH``).

A page holds what ``students/ID.html`` holds: the answer as written (verbatim) and as read
(typeset from the expression our parser built, so nothing of the student's text reaches TeX
unescaped), the verdict and score, the remark (diagnosis and first wrong step), the
counterexample and the variant, in the class's language. ``students/ID.tex`` is kept beside
the PDF; a PDF is compiled only when its ``.tex`` changed or the PDF is missing, so a resumed
or repeated class compiles nothing again. Pages compile ``jobs`` at a time (TeX runs in its
own process); each PDF is written atomically.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from workbench.atomic import write_if_changed
from workbench.errors import UserError
from workbench.explain.latex import document
from workbench.explain.pdf import CompileError, compile_pdf, have_tex
from workbench.expr.parser import parse
from workbench.grade.check import read_answer
from workbench.grade.output import TITLES
from workbench.grading_key import page_name
from workbench.tex import escape, math

TIMEOUT = 60
"""Seconds of TeX for one page."""

def _w(key: str, lang: str) -> str:
    return TITLES[key][lang]


@dataclass
class PdfOutcome:
    """What :func:`write_pdfs` did: PDFs ``compiled`` (the others were up to date), and the
    one-line ``failures`` (student id, TeX's first error)."""

    compiled: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)


def feedback_tex(g, derivation, lang: str) -> str:
    """``g``'s (a :class:`~workbench.grade.run.Graded`) feedback page as a LaTeX document;
    ``derivation``: the student's variant, whose variables read the answer."""
    body = [f"\\section*{{{_w('answer', lang)}}}"]
    for var, text in g.answer.items():
        label = f"$\\partial / \\partial {math(_symbol(derivation, var))}$: " \
            if len(g.answer) > 1 else ""
        body.append(f"{label}\\texttt{{{escape(text)}}}\n")
    typeset = _typeset(g, derivation)
    if typeset:
        body.append(f"{_w('read', lang)}:\n" + "\n".join(f"\\[ {t} \\]" for t in typeset))
    verdict = _w(g.verdict, lang) if g.verdict in TITLES else escape(g.verdict)
    body.append(f"\\section*{{{_w('verdict', lang)}}}\n\\textbf{{{verdict}}}"
                + (f" ({escape(g.level)})" if g.level else "")
                + f" \\quad {_w('score', lang)}: {g.score:g} / {g.max_score:g}\n")
    if g.feedback:
        body.append(f"{_w('remark', lang)}: {escape(g.feedback)}\n")
    if g.mistake:
        body.append(f"{_w('mistake', lang)}: \\texttt{{{escape(g.mistake)}}}\n")
    ce = (g.result or {}).get("counterexample")
    if ce and ce.get("point"):
        point = ", ".join(f"{escape(k)} = {escape(v)}" for k, v in ce["point"].items())
        body.append(f"{_w('at', lang)}: {point}; {_w('hand', lang)} {escape(ce.get('hand'))}, "
                    f"{_w('true', lang)} {escape(ce.get('true'))}\n")
    if g.variant:
        body.append(f"{_w('variant', lang)}: " + ", ".join(
            f"{escape(k)} = {escape(v)}" for k, v in sorted(g.variant.items())) + "\n")
    title = f"{_w('student', lang)} {escape(g.student)}"
    return document(title, "\n".join(body), lang, footer=_w("made", lang))


def _symbol(derivation, name: str):
    return next(v.symbol() for v in derivation.problem.variables if v.name == name)


def _typeset(g, derivation) -> list[str]:
    """Each step of the answer, typeset from what our parser read (none when unreadable)."""
    if g.verdict == "unreadable":
        return []
    reading = read_answer(g.answer, derivation)
    out = []
    for chain in reading.steps.values():
        steps = []
        for text, latex in chain:
            if latex is None:                      # a step whose matrices do not fit
                return []
            try:
                steps.append(math(parse(text, derivation.problem.variables, latex=latex)))
            except UserError:
                return []
        out.append(" = ".join(steps))
    return out


def write_pdfs(out: Path, graded: list, key, lang: str, jobs: int = 1) -> PdfOutcome:
    """``students/ID.tex`` and ``students/ID.pdf`` for every student of ``graded`` (nothing
    without a TeX engine: see :func:`workbench.explain.pdf.have_tex`)."""
    outcome = PdfOutcome()
    if not have_tex():
        return outcome
    todo = []
    for g in graded:
        tex = out / "students" / f"{page_name(g.student)}.tex"
        changed = write_if_changed(tex, feedback_tex(g, key.for_student(g.student), lang))
        if changed or not tex.with_suffix(".pdf").exists():
            todo.append((g.student, tex))
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        for student, error in pool.map(_compile, todo):
            if error is None:
                outcome.compiled += 1
            else:
                outcome.failures.append((student, error))
    return outcome


def _compile(item) -> tuple[str, str | None]:
    student, tex = item
    try:
        compile_pdf(tex, timeout=TIMEOUT)
        return student, None
    except CompileError as exc:
        tex.with_suffix(".pdf").unlink(missing_ok=True)       # an older PDF is not this page
        return student, str(exc)


__all__ = ["PdfOutcome", "feedback_tex", "write_pdfs"]
