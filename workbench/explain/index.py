"""The gallery's ``index.html``: one self-contained file (inline CSS, no script, no CDN) whose
every link and image is a relative path to a file in the gallery folder."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

TEXT = {
    "fr": {"title": "Galerie des dérivations", "intro": "Chaque page explique un gradient pas "
           "à pas et le vérifie (symbolique, autograd, différences finies).",
           "match": "correct", "mismatch": "incorrect", "error": "erreur",
           "expected": "erreur attendue", "steps": "étapes vérifiées",
           "steps-no": "étapes non toutes justifiées", "no-preview": "pas d'aperçu (pas de PDF)",
           "momentum": "Momentum", "cifar": "CIFAR-10", "none": "aucune figure pour l'instant",
           "figures": "Figures"},
    "en": {"title": "Derivation gallery", "intro": "Each page explains a gradient step by step "
           "and checks it (symbolic, autograd, finite differences).",
           "match": "match", "mismatch": "mismatch", "error": "error",
           "expected": "expected mismatch", "steps": "steps verified",
           "steps-no": "steps not all justified", "no-preview": "no preview (no PDF)",
           "momentum": "Momentum", "cifar": "CIFAR-10", "none": "no figure yet",
           "figures": "Figures"},
}

STYLE = """body{font-family:sans-serif;margin:2em;background:#fafafa;color:#222}
.grid{display:flex;flex-wrap:wrap;gap:1em}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6em;width:230px}
.card img{width:100%;border:1px solid #eee}
.card h2{font-size:.95em;margin:.3em 0}
.badge{display:inline-block;padding:.1em .5em;border-radius:4px;font-size:.8em;color:#fff}
.match{background:#2e7d32}.mismatch{background:#c62828}.error{background:#6d4c41}
.small{font-size:.8em;color:#555}
.figs img{max-width:480px;margin:.5em;border:1px solid #ddd}"""


def _url(path: str) -> str:
    return escape(quote(path), quote=True)


def _card(e, text: dict, pages: str) -> str:
    base = f"{pages}/{e.slug}"
    if e.preview:
        img = (f'<a href="{_url(base + ".pdf")}"><img src="{_url(base + "-preview.png")}" '
               f'alt="{escape(e.name, quote=True)}"></a>')
    else:
        img = f'<p class="small">{text["no-preview"]}</p>'
    verdict = e.verdict if e.verdict in ("match", "mismatch") else "error"
    badge = f'<span class="badge {verdict}">{text[verdict]}</span>'
    status = f' <span class="small">({text["expected"]})</span>' \
        if e.status == "expected mismatch" else ""
    steps = text["steps"] if e.steps_verified else text["steps-no"]
    links = [f'<a href="{_url(base + ".tex")}">.tex</a>'] if e.title else []
    if e.pdf:
        links.append(f'<a href="{_url(base + ".pdf")}">.pdf</a>')
    error = f'<p class="small">{escape(e.error.splitlines()[0])}</p>' if e.error else ""
    return (f'<div class="card">{img}<h2>{escape(e.title or e.name)}</h2>'
            f'<p>{badge}{status}</p><p class="small">{escape(e.name)} &middot; {steps}</p>'
            f'<p>{" &middot; ".join(links)}</p>{error}</div>')


def index_html(entries, figures: dict[str, list[str]], lang: str, pages: str) -> str:
    """The index page for ``entries`` (gallery entries) and ``figures`` (per folder, paths
    relative to the gallery folder)."""
    text = TEXT[lang]
    cards = "\n".join(_card(e, text, pages) for e in entries)
    sections = []
    for folder, paths in figures.items():
        imgs = "".join(f'<a href="{_url(p)}"><img src="{_url(p)}" alt="{escape(p, quote=True)}">'
                       f'</a>' for p in paths) or f'<p class="small">{text["none"]}</p>'
        sections.append(f'<h2>{text[folder]}</h2><div class="figs">{imgs}</div>')
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<title>{text["title"]}</title><style>{STYLE}</style></head>\n<body>'
            f'<h1>{text["title"]}</h1><p>{text["intro"]}</p>\n<div class="grid">\n{cards}\n'
            f'</div>\n<h1>{text["figures"]}</h1>\n' + "\n".join(sections) +
            "\n</body></html>\n")
