"""The gallery's ``index.html``: one self-contained file (inline CSS, no script, no CDN) whose
every link and image is a relative path to a file in the gallery folder.

The course comes first, then one chapter per subject (:data:`CHAPTERS`); a derivation goes to
a chapter by the start of its file name, else by its tags (:func:`chapter_of`). Each card shows
the title, the verdict, the result typeset and the page's figure; the momentum and CIFAR
chapters show the figures of those analyses.
"""

from __future__ import annotations

from html import escape
from pathlib import PurePosixPath
from urllib.parse import quote

from workbench.words import word

CHAPTERS = ("course", "scalar", "matrix", "jacobian", "momentum", "cifar", "backprop", "wrong")
"""The chapters in reading order; ``index.chapter.NAME`` is each one's title and
``index.about.NAME`` its one-line introduction."""
BY_PREFIX = {"course_": "course", "jacobian_": "jacobian", "hessian_": "jacobian",
             "momentum_": "momentum", "cifar_": "cifar", "backprop_": "backprop",
             "wrong_": "wrong"}
"""A file named so goes to this chapter."""
BY_TAG = ("course", "jacobian", "momentum", "cifar", "backprop", "wrong", "matrix")
"""Otherwise the first of these that is one of its tags; else ``scalar``."""
FIGURE_CHAPTERS = ("momentum", "cifar")

STYLE = """body{font-family:sans-serif;margin:2em;background:#fafafa;color:#222;max-width:1400px}
nav a{margin-right:1em}
.grid{display:flex;flex-wrap:wrap;gap:1em}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.7em;width:400px}
.card h3{font-size:1em;margin:.2em 0 .4em}
.card .figure{width:100%;border:1px solid #eee}
.formula{display:block;max-width:100%;max-height:70px;margin:.5em 0}
.preview{height:60px;border:1px solid #ccc;vertical-align:middle}
.badge{display:inline-block;padding:.1em .5em;border-radius:4px;font-size:.85em;color:#fff}
.match{background:#2e7d32}.mismatch{background:#c62828}.undecided{background:#ef6c00}
.error{background:#6d4c41}
.small{font-size:.8em;color:#555}
.figs img{max-width:100%;margin:.5em 0;border:1px solid #ddd}"""


def chapter_of(name: str, tags) -> str:
    """The chapter of the derivation ``name`` (its path under the derivations folder, without
    ``.toml``) with ``tags``: by the start of its file name, else by tag, else ``scalar``."""
    stem = PurePosixPath(name).name
    for prefix, chapter in BY_PREFIX.items():
        if stem.startswith(prefix):
            return chapter
    return next((t for t in BY_TAG if t in tags), "scalar")


def _url(path: str) -> str:
    return escape(quote(path), quote=True)


def _card(e, lang: str, pages: str) -> str:
    base = f"{pages}/{e.slug}"
    verdict = e.verdict if e.verdict in ("match", "mismatch", "undecided") else "error"
    badge = f'<span class="badge {verdict}">{word("index." + verdict, lang)}</span>'
    status = f' <span class="small">({word("index.expected", lang)})</span>' \
        if e.status == "expected mismatch" else ""
    steps = word("index.steps", lang) if e.steps_verified else word("index.steps-no", lang)
    formula = (f'<img class="formula" src="{_url(base + "-formula.png")}" '
               f'alt="{escape(e.formula, quote=True)}">' if e.formula_png else "")
    figure = (f'<img class="figure" src="{_url(base + "-figure.png")}" '
              f'alt="{escape(word("index.figure-of", lang, name=e.name), quote=True)}">'
              if e.figure else "")
    links = []
    if e.pdf:
        thumb = (f'<img class="preview" src="{_url(base + "-preview.png")}" alt="PDF">'
                 if e.preview else "")
        links.append(f'<a href="{_url(base + ".pdf")}">{thumb} {word("index.pdf", lang)}</a>')
    else:
        links.append(f'<span class="small">{word("index.no-preview", lang)}</span>')
    if e.title:
        links.append(f'<a href="{_url(base + ".tex")}">.tex</a>')
    note = e.error or e.warning
    error = f'<p class="small">{escape(note.splitlines()[0])}</p>' if note else ""
    return (f'<div class="card" id="{_url(e.slug)}"><h3>{escape(e.title or e.name)}</h3>'
            f'<p>{badge}{status}</p>{formula}{figure}'
            f'<p class="small">{escape(e.name)} &middot; {steps}</p>'
            f'<p>{" &middot; ".join(links)}</p>{error}</div>')


def _figures(paths: list[str], chapter: str, lang: str) -> str:
    if not paths:
        return f'<p class="small">{word("index.none." + chapter, lang)}</p>'
    return "".join(f'<a href="{_url(p)}"><img src="{_url(p)}" alt="{escape(p, quote=True)}">'
                   f'</a>' for p in paths)


def index_html(entries, figures: dict[str, list[str]], lang: str, pages: str) -> str:
    """The index page for ``entries`` (gallery entries, shown in their order within each
    chapter) and ``figures`` (``momentum`` and ``cifar``: paths relative to the gallery
    folder). A chapter with neither entries nor figures is left out, except the momentum and
    CIFAR chapters, which say how to make their figures."""
    chapters: dict[str, list] = {c: [] for c in CHAPTERS}
    for e in entries:
        chapters[chapter_of(e.name, e.tags)].append(e)
    sections, toc = [], []
    for chapter, members in chapters.items():
        if not members and chapter not in FIGURE_CHAPTERS:
            continue
        title = word("index.chapter." + chapter, lang)
        toc.append(f'<a href="#{chapter}">{title}</a>')
        body = [f'<h2 id="{chapter}">{title}</h2>',
                f'<p>{word("index.about." + chapter, lang)}</p>']
        if chapter in FIGURE_CHAPTERS:
            body.append(f'<div class="figs">{_figures(figures.get(chapter, []), chapter, lang)}'
                        f'</div>')
        if members:
            body.append('<div class="grid">\n' + "\n".join(_card(e, lang, pages)
                                                          for e in members) + "\n</div>")
        sections.append("\n".join(body))
    title = word("index.title", lang)
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<title>{title}</title><style>{STYLE}</style></head>\n<body>'
            f'<h1>{title}</h1><p>{word("index.intro", lang)}</p>\n'
            f'<nav>{"".join(toc)}</nav>\n' + "\n".join(sections) + "\n</body></html>\n")
