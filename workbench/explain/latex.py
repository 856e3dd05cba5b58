"""LaTeX of the pages: the textbook printer, labels in French and English, the document.

User text is escaped by :func:`workbench.tex.escape`; mathematics is printed by
:class:`TextbookPrinter` from SymPy expressions only, never from user text.

French is the default language (the course is French); ``lang="en"`` gives English labels.
"""

from __future__ import annotations

import sympy
from sympy import HadamardPower, OneMatrix, Trace
from sympy.core.sorting import default_sort_key
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from workbench.errors import UserError
from workbench.tex import escape

LANGUAGES = ("fr", "en")
DEFAULT_LANG = "fr"


def check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise UserError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}",
                        "--lang")
    return lang


class TextbookPrinter(LatexPrinter):
    """SymPy's LaTeX printer with a textbook's habits: a sum starts with a positive term
    (``y - X beta``, not ``-X beta + y``), ``sum(M)`` and ``||x||`` for SymPy's encodings of
    them, ``exp(z)`` for an elementwise function, ``A^{-T}``."""

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


# Page labels: one entry per phrase, French and English side by side.
LABELS = {
    "statement": ("Énoncé", "Statement"),
    "function": ("Fonction", "Function"),
    "variables": ("Variables", "Variables"),
    "wrt": ("Dérivée par rapport à", "Differentiate with respect to"),
    "steps": ("Calcul pas à pas", "Step by step"),
    "result": ("Résultat", "Result"),
    "hand": ("Dérivation à la main", "Hand derivation"),
    "verdict": ("Verdict", "Verdict"),
    "diagnosis": ("Diagnostic", "Diagnosis"),
    "verification": ("Vérification numérique", "Numerical verification"),
    "figure": ("Figure", "Figure"),
    "trace": ("Graphe de calcul", "Computational graph"),
    "point": ("Point", "Point"),
    "hand-short": ("Main", "Hand"),
    "symbolic-status": ("comparaison symbolique :", "symbolic comparison:"),
    "symbolic": ("Symbolique", "Symbolic"),
    "autograd": ("Autograd", "Autograd"),
    "finite-difference": ("Diff. finies", "Finite diff."),
    "rel-error": ("Erreur rel.", "Rel. error"),
    "match": ("CORRECT", "MATCH"),
    "mismatch": ("INCORRECT", "MISMATCH"),
    "no-hand": ("Pas de dérivation à la main : le verdict porte sur le moteur lui-même "
                "(symbolique, autograd et différences finies concordent ou non).",
                "No hand derivation: the verdict is about the engine itself (symbolic, "
                "autograd and finite differences agree or not)."),
    "expected-mismatch": ("Erreur volontaire : le vérificateur devait la trouver.",
                          "A deliberate mistake: the checker had to find it."),
    "checked-points": ("{points} points vérifiés en {examples} exemples Hypothesis "
                       "({skipped} écartés près de singularités), {dtype}.",
                       "{points} points checked in {examples} Hypothesis examples "
                       "({skipped} skipped near singularities), {dtype}."),
    "counterexample": ("Contre-exemple (réduit par Hypothesis)",
                       "Counterexample (shrunk by Hypothesis)"),
    "step-confirmed": ("vérifié", "checked"),
    "step-wrong": ("FAUX", "WRONG"),
    "step-unjustified": ("non justifié", "unjustified"),
    "steps-verified": ("Chaque égalité est vérifiée par SymPy ; la dernière est le gradient "
                       "dérivé par le moteur.",
                       "SymPy checks every equality; the last one is the gradient the engine "
                       "derived."),
    "steps-not-verified": ("Attention : une étape n'est pas justifiée, ou le calcul "
                           "n'aboutit pas au gradient dérivé.",
                           "Warning: a step is not justified, or the steps do not end at the "
                           "derived gradient."),
    "matrix-check": ("Égalités matricielles vérifiées en arithmétique exacte, en {points} "
                     "points aléatoires pour chacune des tailles {how}.",
                     "Matrix equalities checked in exact arithmetic at {points} random points "
                     "for each of the sizes {how}."),
    "where": ("où", "where"),
    "engine-form": ("Forme donnée par le moteur", "The engine's form"),
    "explicit-only": ("Le moteur ne donne ce gradient qu'en tailles explicites ; la forme "
                      "close ci-dessus est vérifiée contre lui.",
                      "The engine gives this gradient at explicit sizes only; the closed form "
                      "above is checked against it."),
    "no-closed-form": ("Pas de forme close : gradient en tailles explicites seulement.",
                       "No closed form: gradient at explicit sizes only."),
    "figure-scalar": ("La fonction (trait plein) et sa dérivée (tirets).",
                      "The function (solid) and its derivative (dashed)."),
    "figure-errors": ("Erreur relative entre gradient symbolique et autograd sur les points "
                      "vérifiés.",
                      "Relative error between symbolic and autograd gradients over the checked "
                      "points."),
    "error": ("Erreur", "Error"),
    "notes": ("Remarques", "Notes"),
    "generated": ("Page produite par workbench explain.", "Page made by workbench explain."),
}

# Rules of the steps: names shown beside each equality.
RULES = {
    "sum": ("somme", "sum rule"),
    "constant-factor": ("facteur constant", "constant factor"),
    "power": ("puissance", "power rule"),
    "product": ("produit", "product rule"),
    "quotient": ("quotient", "quotient rule"),
    "chain": ("dérivée composée", "chain rule"),
    "exp": ("exponentielle", "exponential"),
    "exp-base": (r"exponentielle de base $a$ : $(a^u)' = a^u \ln a \, u'$",
                 r"exponential in base $a$: $(a^u)' = a^u \ln a \, u'$"),
    "log": (r"logarithme : $(\ln u)' = u'/u$", r"logarithm: $(\ln u)' = u'/u$"),
    "log-differentiation": (r"$u^v = e^{v \ln u}$", r"$u^v = e^{v \ln u}$"),
    "trig": ("trigonométrie", "trigonometry"),
    "inverse-trig": ("trigonométrie réciproque", "inverse trigonometry"),
    "hyperbolic": ("fonctions hyperboliques", "hyperbolic functions"),
    "abs": (r"$|u|' = \operatorname{sign}(u)\, u'$", r"$|u|' = \operatorname{sign}(u)\, u'$"),
    "function": ("dérivée de la fonction (SymPy)", "derivative of the function (SymPy)"),
    "simplify": ("simplification", "simplification"),
    "engine": ("résultat du moteur, sans règle détaillée", "the engine's result, no rule shown"),
    "transpose": (r"$\mathrm{d}(U^T) = (\mathrm{d}U)^T$", r"$\mathrm{d}(U^T) = (\mathrm{d}U)^T$"),
    "trace": (r"$\mathrm{d}\,\operatorname{tr} U = \operatorname{tr} \mathrm{d}U$",
              r"$\mathrm{d}\,\operatorname{tr} U = \operatorname{tr} \mathrm{d}U$"),
    "jacobi": (r"Jacobi : $\mathrm{d} \det A = \det A \operatorname{tr}(A^{-1}\mathrm{d}A)$",
               r"Jacobi: $\mathrm{d} \det A = \det A \operatorname{tr}(A^{-1}\mathrm{d}A)$"),
    "inverse": (r"$\mathrm{d}A^{-1} = -A^{-1}\mathrm{d}A\,A^{-1}$",
                r"$\mathrm{d}A^{-1} = -A^{-1}\mathrm{d}A\,A^{-1}$"),
    "hadamard-power": (r"$\mathrm{d}(U^{\circ k}) = k U^{\circ (k-1)} \circ \mathrm{d}U$",
                       r"$\mathrm{d}(U^{\circ k}) = k U^{\circ (k-1)} \circ \mathrm{d}U$"),
    "hadamard-product": ("produit de Hadamard", "Hadamard product"),
    "elementwise": (r"terme à terme : $\mathrm{d}f(U) = f'(U) \circ \mathrm{d}U$",
                    r"elementwise: $\mathrm{d}f(U) = f'(U) \circ \mathrm{d}U$"),
    "scalar-transpose": (r"un scalaire est sa transposée : $a^T \mathrm{d}x = "
                         r"(\mathrm{d}x)^T a$",
                         r"a scalar is its own transpose: $a^T \mathrm{d}x = "
                         r"(\mathrm{d}x)^T a$"),
    "trace-cyclic": (r"trace cyclique : $\operatorname{tr}(ABC) = \operatorname{tr}(CAB)$",
                     r"cyclic trace: $\operatorname{tr}(ABC) = \operatorname{tr}(CAB)$"),
    "collect": ("regroupement", "collecting terms"),
    "identification": (r"identification : $\mathrm{d}f = \operatorname{tr}(G^T \mathrm{d}X)"
                       r" \Rightarrow \nabla f = G$",
                       r"identification: $\mathrm{d}f = \operatorname{tr}(G^T \mathrm{d}X)"
                       r" \Rightarrow \nabla f = G$"),
    "substitution": ("on remplace la partie commune", "substituting the shared part back"),
    "factor": ("mise en facteur", "factoring"),
}


def label(key: str, lang: str, **fields) -> str:
    """The label ``key`` in ``lang`` (``fr`` or ``en``), with ``fields`` filled in."""
    text = LABELS[key][LANGUAGES.index(lang)]
    return text.format(**fields) if fields else text


def rule_names(rules, lang: str) -> str:
    """The names of ``rules``, joined by commas (already LaTeX)."""
    i = LANGUAGES.index(lang)
    return ", ".join(RULES[r][i] if r in RULES else escape(r) for r in rules)


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
    return head + body + "\n\\vfill\n{\\footnotesize " + label("generated", lang) + \
        "}\n\\end{document}\n"
