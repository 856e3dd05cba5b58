"""Write a page's files: ``SLUG.tex``, ``SLUG-figure.png`` and, with a TeX engine, ``SLUG.pdf``
(or, when TeX fails, ``SLUG.log``: TeX's log is kept there, never printed); or an exercise
sheet's, ``SLUG-sheet.tex`` and ``SLUG-sheet.pdf``.

A grading key (a derivation file with ``[grading]`` or ``[variants]``, :mod:`workbench.grading_key`)
is read as a derivation, its tables aside. With ``student``, the page or sheet is of that
student's variant (the values ``workbench grade`` draws for them) and its files end in
``-ID``; a key with ``[variants]`` has no page without a student (its parameters are names
without values), which is a :class:`UserError` saying so.

Files are written atomically and only when their bytes change, so rebuilding an unchanged page
rewrites nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from workbench.atomic import write_if_changed
from workbench.errors import UserError
from workbench.explain import page as pages
from workbench.explain.pdf import CompileError, compile_pdf, have_tex
from workbench.explain.sheet import render_sheet
from workbench.grading_key import load_key, page_name


@dataclass
class Written:
    """What :func:`write_page` produced for one derivation file."""

    name: str
    title: str
    slug: str
    verdict: str
    status: str
    steps_verified: bool
    tex: Path
    figure: Path | None
    pdf: Path | None = None
    changed: list[str] = field(default_factory=list)
    pdf_error: str | None = None
    pdf_warning: str | None = None
    tags: list[str] = field(default_factory=list)
    formula: str = ""


def derivation_of(path: str | Path, student: str | None = None):
    """(the derivation a page of ``path`` shows, whether its ``[hand]`` is a key's model
    answer): ``student``'s variant of a grading key, or the file itself."""
    key = load_key(path)
    if key.parameters and student is None:
        names = ", ".join(sorted(key.parameters))
        raise UserError(f"this key has [variants] ({names}), drawn per student: name one with "
                        f"--student ID", str(path))
    return key.for_student(student or ""), key.model_hand


def write_page(path: str | Path, out_dir: str | Path, lang: str = "fr", pdf: bool = True,
               examples: int = pages.DEFAULT_EXAMPLES, slug: str | None = None,
               student: str | None = None) -> Written:
    """Build the page of ``path`` into ``out_dir`` (files named ``slug``, by default from the
    file's name, ``-ID`` added for a ``student``); compile it when ``pdf`` and TeX exists. A
    TeX failure is one line in ``pdf_error`` (no PDF; the .tex stays and the log is in
    ``SLUG.log``); a PDF made without the computational graph, because the graph failed, is
    one line in ``pdf_warning``."""
    out_dir = Path(out_dir)
    page = pages.build(path, lang, examples, derivation_of(path, student)[0])
    if slug:
        page.slug = slug
    if student is not None:
        page.slug = f"{page.slug}-{page_name(student)}"
    tex = out_dir / f"{page.slug}.tex"
    figure = out_dir / page.figure_name
    w = Written(page.df.name, pages.title_of(page.df, lang), page.slug, page.verdict,
                page.result.status, page.steps_verified, tex, figure, tags=list(page.df.tags),
                formula=pages.result_formula(page))
    for target, data in ((figure, page.figure_png), (tex, pages.render(page))):
        if write_if_changed(target, data):
            w.changed.append(target.name)
    if pdf and have_tex():
        _make_pdf(w, page, tex, figure)
    return w


def write_sheet(path: str | Path, out_dir: str | Path, lang: str = "fr", pdf: bool = True,
                examples: int = pages.DEFAULT_EXAMPLES, student: str | None = None) -> Written:
    """The exercise sheet of ``path`` (:mod:`workbench.explain.sheet`) into ``out_dir`` as
    ``SLUG-sheet.tex`` (``SLUG-sheet-ID.tex`` for a ``student``, of their variant) and, when
    ``pdf`` and TeX exists, the ``.pdf``; a TeX failure is one line in ``pdf_error``, the log
    in the ``.log``. A key's model answer is not set as a derivation to judge."""
    derivation, model_hand = derivation_of(path, student)
    page = pages.build(path, lang, examples, derivation)
    suffix = "" if student is None else f"-{page_name(student)}"
    tex = Path(out_dir) / f"{page.slug}-sheet{suffix}.tex"
    w = Written(page.df.name, pages.title_of(page.df, lang), page.slug, page.verdict,
                page.result.status, page.steps_verified, tex, None)
    if write_if_changed(tex, render_sheet(page, student, judge_hand=not model_hand)):
        w.changed.append(tex.name)
    if pdf and have_tex():
        try:
            _compile(w, tex, None)
            tex.with_suffix(".log").unlink(missing_ok=True)
        except CompileError as exc:
            tex.with_suffix(".pdf").unlink(missing_ok=True)
            w.pdf_error = f"{exc} (TeX log: {tex.with_suffix('.log')})"
            write_if_changed(tex.with_suffix(".log"), exc.log)
    return w


def _make_pdf(w: Written, page: pages.Page, tex: Path, figure: Path) -> None:
    log = tex.with_suffix(".log")
    try:
        _compile(w, tex, figure)
        log.unlink(missing_ok=True)
        return
    except CompileError as exc:
        failure = exc
    if page.trace_tikz:          # the graph comes from workbench.trace: try the page without it
        page.trace_tikz = None
        if write_if_changed(tex, pages.render(page)):
            w.changed.append(tex.name)
        try:
            _compile(w, tex, figure)
            w.pdf_warning = f"computational graph left out: {failure} (TeX log: {log})"
        except CompileError as exc:
            failure = exc
    if w.pdf is None:
        tex.with_suffix(".pdf").unlink(missing_ok=True)     # an older PDF is not this page
        w.pdf_error = f"{failure} (TeX log: {log})"
    if write_if_changed(log, failure.log):
        w.changed.append(log.name)


def _compile(w: Written, tex: Path, figure: Path | None) -> None:
    if compile_pdf(tex, [figure] if figure else []):
        w.changed.append(tex.with_suffix(".pdf").name)
    w.pdf = tex.with_suffix(".pdf")
