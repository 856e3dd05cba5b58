"""Write a page's files: ``SLUG.tex``, ``SLUG-figure.png`` and, with a TeX engine, ``SLUG.pdf``.

Files are written atomically and only when their bytes change, so rebuilding an unchanged page
rewrites nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from workbench.atomic import write_if_changed
from workbench.explain import page as pages
from workbench.explain.pdf import CompileError, compile_pdf, have_tex


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
    figure: Path
    pdf: Path | None = None
    changed: list[str] = field(default_factory=list)
    pdf_error: str | None = None


def write_page(path: str | Path, out_dir: str | Path, lang: str = "fr", pdf: bool = True,
               examples: int = pages.DEFAULT_EXAMPLES) -> Written:
    """Build the page of ``path`` into ``out_dir``; compile it when ``pdf`` and TeX exists
    (a TeX failure is recorded in ``pdf_error``, the .tex stays)."""
    out_dir = Path(out_dir)
    page = pages.build(path, lang, examples)
    tex = out_dir / f"{page.slug}.tex"
    figure = out_dir / page.figure_name
    w = Written(page.df.name, page.df.title, page.slug, page.verdict, page.result.status,
                page.steps_verified, tex, figure)
    for target, data in ((figure, page.figure_png), (tex, pages.render(page))):
        if write_if_changed(target, data):
            w.changed.append(target.name)
    if pdf and have_tex():
        try:
            _compile(w, tex, figure)
        except CompileError as exc:
            w.pdf_error = f"{exc}\n{exc.log}".strip()
            if page.trace_tikz:      # the graph comes from workbench.trace: page without it
                page.trace_tikz = None
                if write_if_changed(tex, pages.render(page)):
                    w.changed.append(tex.name)
                try:
                    _compile(w, tex, figure)
                    w.pdf_error = f"computational graph left out: {w.pdf_error}"
                except CompileError:
                    pass
    return w


def _compile(w: Written, tex: Path, figure: Path) -> None:
    if compile_pdf(tex, [figure]):
        w.changed.append(tex.with_suffix(".pdf").name)
    w.pdf = tex.with_suffix(".pdf")
