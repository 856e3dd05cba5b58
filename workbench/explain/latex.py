"""LaTeX of the pages: the textbook printer, the names of the rules and the document.

User text is escaped by :func:`workbench.tex.escape`; mathematics is printed by
:class:`TextbookPrinter` from SymPy expressions only, never from user text. The words, in
French or English, come from :mod:`workbench.words`.
"""

from __future__ import annotations

import re

import sympy
from sympy import HadamardPower, OneMatrix, Trace
from sympy.core.sorting import default_sort_key
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from workbench.tex import escape
from workbench.words import WORDS, word


# The control words SymPy writes for variable names (``beta`` -> \beta, ``xhat`` -> \hat{x},
# ``Xbm`` -> \boldsymbol{X} ...) that the page's packages define. Not \mathscr (``xscr``): it
# needs mathrsfs; a name printed with any other control word is set as \mathit{name}.
NAME_MACROS = frozenset("""
    alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa varkappa lambda
    mu nu xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega digamma
    Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
    aleph beth daleth ell eth gimel hbar hslash mho wp
    mathring ddddot dddot ddot dot check breve acute grave tilde hat bar vec
    boldsymbol mathcal mathfrak mathrm mathbf left right langle rangle
    """.split())


def name_latex(printed: str, name: str) -> str:
    """``printed`` (SymPy's LaTeX for the variable ``name``) if TeX can typeset it with the
    page's packages, else ``name`` in italics, letter for letter."""
    if set(re.findall(r"\\([A-Za-z]+)", printed)) <= NAME_MACROS:
        return printed
    return r"\mathit{" + name.replace("_", r"\_") + "}"


class TextbookPrinter(LatexPrinter):
    """SymPy's LaTeX printer with a textbook's habits: a sum starts with a positive term
    (``y - X beta``, not ``-X beta + y``), ``sum(M)`` and ``||x||`` for SymPy's encodings of
    them, ``exp(z)`` for an elementwise function, ``A^{-T}``; names only in control words the
    page defines (:func:`name_latex`)."""

    def _deal_with_super_sub(self, string: str, style: str = "plain") -> str:
        return name_latex(super()._deal_with_super_sub(string, style), string)

    def _as_ordered_terms(self, expr, order=None):
        terms = list(super()._as_ordered_terms(expr, order=order))
        if isinstance(expr, sympy.MatAdd):      # SymPy keeps them in construction order
            terms.sort(key=default_sort_key)
        return [t for t in terms if not t.could_extract_minus_sign()] + \
            [t for t in terms if t.could_extract_minus_sign()]

    def _print_Trace(self, expr):
        inner = _entry_sum(expr)
        if inner is not None:
            return r"\operatorname{sum}\left(%s\right)" % self._print(inner)
        if expr.arg.shape == (1, 1):
            return self._print(expr.arg)
        return super()._print_Trace(expr)

    def _print_Pow(self, expr):
        base, exp = expr.args
        if exp == sympy.Rational(1, 2) and isinstance(base, Trace):
            inner = _entry_sum(base)
            if isinstance(inner, HadamardPower) and inner.args[1] == 2:
                return r"\left\lVert %s \right\rVert" % self._print(inner.args[0])
        return super()._print_Pow(expr)

    def _print_ElementwiseApplyFunction(self, expr):
        t = expr.function.variables[0]
        hole = sympy.Symbol("HOLE")
        body = self._print(expr.function.expr.xreplace({t: hole}))
        return body.replace("HOLE", r"{%s}" % self._print(expr.expr))

    def _print_OneMatrix(self, expr):
        # SymPy prints it as a bare 1, which reads as a digit next to a coefficient ("21")
        return r"\mathbf{1}_{%s \times %s}" % (self._print(expr.shape[0]),
                                                 self._print(expr.shape[1]))

    def _print_Inverse(self, expr):
        if isinstance(expr.arg, sympy.Transpose):
            return r"%s^{-T}" % self.parenthesize(expr.arg.arg, PRECEDENCE["Pow"])
        return super()._print_MatPow(expr)

    def _print_Transpose(self, expr):
        if isinstance(expr.arg, sympy.Inverse):
            return r"%s^{-T}" % self.parenthesize(expr.arg.arg, PRECEDENCE["Pow"])
        return super()._print_Transpose(expr)


def _entry_sum(trace):
    """``M`` when ``trace`` is SymPy's encoding ``tr(1 M)`` of the sum of M's entries."""
    arg = trace.arg
    if isinstance(arg, sympy.MatMul):
        coeff, mats = arg.as_coeff_matrices()
        if coeff == 1 and len(mats) == 2 and isinstance(mats[0], OneMatrix):
            return mats[1]
    return None


def math(expr, names: dict | None = None) -> str:
    """LaTeX for a SymPy expression (``names``: LaTeX for some symbols, e.g. ``dX``)."""
    return TextbookPrinter({"symbol_names": names or {}, "ln_notation": True}).doprint(expr)


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
\author{}
\date{}
\begin{document}
\maketitle
"""


def document(title: str, body: str, lang: str) -> str:
    """A complete page: ``title`` (user text, escaped here) and ``body`` (LaTeX)."""
    babel = "french" if lang == "fr" else "english"
    head = PREAMBLE % {"babel": babel, "title": escape(title)}
    return head + body + "\n\\vfill\n{\\footnotesize " + word("page.generated", lang) + \
        "}\n\\end{document}\n"
