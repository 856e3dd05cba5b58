"""LaTeX of the pages: the names of the rules and the document.

User text is typeset by :func:`workbench.tex.prose_tex` (formulas as mathematics, the rest
escaped); mathematics is printed by :func:`workbench.tex.math` from SymPy expressions only.
The words, in French or English, come from :mod:`workbench.words`.
"""

from __future__ import annotations

from workbench.tex import escape
from workbench.tex import math  # noqa: F401 - re-exported: the printer of the pages
from workbench.words import WORDS, word


def rule_names(rules, lang: str) -> str:
    """The names of ``rules``, joined by commas (already LaTeX)."""
    return ", ".join(word(f"rule.{r}", lang) if f"rule.{r}" in WORDS else escape(r)
                     for r in rules)


PREAMBLE = r"""\documentclass[11pt,a4paper]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{lmodern}
\usepackage[%(babel)s]{babel}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{graphicx}
\usepackage{booktabs}
\usepackage{xcolor}
\usepackage{tikz}
\usetikzlibrary{arrows.meta,positioning}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5em}
\allowdisplaybreaks
\title{%(title)s}
\begin{document}
{\centering\Large\bfseries %(title)s\par}
"""
"""The title is set in one line of large type, not by \\maketitle, whose empty author and date
left some 3 cm blank at the top of every page; ``\\title`` still names it in the source."""


def document(title: str, body: str, lang: str, footer: str | None = None) -> str:
    """A complete page: ``title`` and ``body``, both LaTeX (user text already typeset by
    :func:`workbench.tex.prose_tex`), and a ``footer`` (our words; by default "made by
    workbench explain")."""
    babel = "french" if lang == "fr" else "english"
    head = PREAMBLE % {"babel": babel, "title": title}
    footer = word("page.generated", lang) if footer is None else footer
    return head + body + "\n\\vfill\n{\\footnotesize " + footer + "}\n\\end{document}\n"
