"""The gallery's ``index.html``: one self-contained file (inline CSS, no script, no CDN) whose
every link and image is a relative path to a file in the gallery folder."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from workbench.words import word

STYLE = """body{font-family:sans-serif;margin:2em;background:#fafafa;color:#222}
.grid{display:flex;flex-wrap:wrap;gap:1em}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6em;width:230px}
.card img{width:100%;border:1px solid #eee}
.card h2{font-size:.95em;margin:.3em 0}
.badge{display:inline-block;padding:.1em .5em;border-radius:4px;font-size:.8em;color:#fff}
.match{background:#2e7d32}.mismatch{background:#c62828}.undecided{background:#ef6c00}
.error{background:#6d4c41}
.small{font-size:.8em;color:#555}
.figs img{max-width:480px;margin:.5em;border:1px solid #ddd}"""


def _url(path: str) -> str:
    return escape(quote(path), quote=True)


def _card(e, lang: str, pages: str) -> str:
    base = f"{pages}/{e.slug}"
    if e.preview:
        img = (f'<a href="{_url(base + ".pdf")}"><img src="{_url(base + "-preview.png")}" '
               f'alt="{escape(e.name, quote=True)}"></a>')
    else:
        img = f'<p class="small">{word("index.no-preview", lang)}</p>'
    verdict = e.verdict if e.verdict in ("match", "mismatch", "undecided") else "error"
    badge = f'<span class="badge {verdict}">{word("index." + verdict, lang)}</span>'
    status = f' <span class="small">({word("index.expected", lang)})</span>' \
        if e.status == "expected mismatch" else ""
    steps = word("index.steps", lang) if e.steps_verified else word("index.steps-no", lang)
    links = [f'<a href="{_url(base + ".tex")}">.tex</a>'] if e.title else []
    if e.pdf:
        links.append(f'<a href="{_url(base + ".pdf")}">.pdf</a>')
    note = e.error or e.warning
    error = f'<p class="small">{escape(note.splitlines()[0])}</p>' if note else ""
    return (f'<div class="card">{img}<h2>{escape(e.title or e.name)}</h2>'
            f'<p>{badge}{status}</p><p class="small">{escape(e.name)} &middot; {steps}</p>'
            f'<p>{" &middot; ".join(links)}</p>{error}</div>')


def index_html(entries, figures: dict[str, list[str]], lang: str, pages: str) -> str:
    """The index page for ``entries`` (gallery entries) and ``figures`` (per folder, paths
    relative to the gallery folder)."""
    cards = "\n".join(_card(e, lang, pages) for e in entries)
    none = f'<p class="small">{word("index.none", lang)}</p>'
    sections = []
    for folder, paths in figures.items():
        imgs = "".join(f'<a href="{_url(p)}"><img src="{_url(p)}" alt="{escape(p, quote=True)}">'
                       f'</a>' for p in paths) or none
        sections.append(f'<h2>{word("index." + folder, lang)}</h2><div class="figs">{imgs}</div>')
    title = word("index.title", lang)
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<title>{title}</title><style>{STYLE}</style></head>\n<body>'
            f'<h1>{title}</h1><p>{word("index.intro", lang)}</p>\n<div class="grid">\n{cards}\n'
            f'</div>\n<h1>{word("index.figures", lang)}</h1>\n' + "\n".join(sections) +
            "\n</body></html>\n")
