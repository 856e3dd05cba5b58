"""TeX out of the workbench: user text made safe to typeset (:func:`escape` for a LaTeX document,
:func:`mathjax_text` inside MathJax's ``\\text{}``), mathematics in textbook notation
(:func:`math`: ``\\ln``, ``X^\\top``, ``\\operatorname{tr}``; one printer for the pages, the
notebooks and ``workbench derive --latex``), and prose whose formulas are typeset
(:func:`prose_segments`: ``2^x`` in a title prints as :math:`2^{x}`).

Every piece of text that comes from a user (titles, descriptions, hand formulas as typed, notes
that may quote them) goes through one of these before it reaches TeX: ``\\input{../secrets}``
prints as those characters and runs nothing. Mathematics is printed from SymPy expressions, or
by :func:`prose_segments` from spans made only of letters, digits and ``+-*/^_()=|',.``, never
passed through from user text.
"""

from __future__ import annotations

import math as pymath
import re

import sympy
from sympy import HadamardPower, OneMatrix, Trace
from sympy.core.sorting import default_sort_key
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "^": r"\textasciicircum{}", "_": r"\_", "~": r"\textasciitilde{}", "%": r"\%",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", '"': "''",
    "\u2019": "'", "\u2018": "`", "\u201c": "``", "\u201d": "''", "\u2013": "--",
    "\u2014": "---", "\u2026": r"\dots{}", "\u00a0": " ",
}
_MATHJAX_DROPPED = set("\\{}$%#&^_~")


def escape(text: str) -> str:
    """``text`` as LaTeX that prints it literally. Latin-1 letters (accents) pass through;
    other characters that the page's fonts lack become ``?``; line breaks and control
    characters spaces."""
    out = []
    for ch in str(text):
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ord(ch) < 32 or 127 <= ord(ch) < 160:
            out.append(" ")
        elif ord(ch) > 255:
            out.append("?")
        else:
            out.append(ch)
    return re.sub(r"  +", " ", "".join(out))


def mathjax_text(text: str) -> str:
    """``text`` safe inside MathJax's ``\\text{}``, which shows escapes such as ``\\{`` as
    written: TeX's special characters are dropped instead."""
    return "".join(c for c in str(text) if c not in _MATHJAX_DROPPED)


# ---------------------------------------------------------------- mathematics from SymPy

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


GREEK_SHORT = {"lam": "lambda", "lmbda": "lambda", "lmbd": "lambda", "eps": "epsilon"}
"""Names of Greek letters as a variable is spelled when the letter's name is taken (``lambda``
is a Python keyword) or shortened: typeset as the letter (``lam`` -> \\lambda, ``eps_1`` ->
\\epsilon_{1}), as SymPy typesets ``beta``."""


def greek_name(name: str) -> str:
    """``name`` with a short Greek spelling of its letters spelled out (:data:`GREEK_SHORT`):
    ``lam2`` is ``lambda2``, which SymPy typesets \\lambda_{2}; any other name unchanged."""
    letters = re.match(r"[A-Za-z]+", name)
    if letters is None or letters.group() not in GREEK_SHORT:
        return name
    return GREEK_SHORT[letters.group()] + name[letters.end():]


def name_latex(printed: str, name: str) -> str:
    """``printed`` (SymPy's LaTeX for the variable ``name``) if TeX can typeset it with the
    page's packages, else ``name`` in italics, letter for letter."""
    if set(re.findall(r"\\([A-Za-z]+)", printed)) <= NAME_MACROS:
        return printed
    return r"\mathit{" + name.replace("_", r"\_") + "}"


class TextbookPrinter(LatexPrinter):
    """SymPy's LaTeX printer with a textbook's habits: ``\\ln``, ``X^\\top`` and
    ``A^{-\\top}``, a sum that starts with a positive term (``y - X beta``, not
    ``-X beta + y``), ``sum(M)`` and ``||x||`` for SymPy's encodings of them, ``exp(z)`` for an
    elementwise function; names only in control words the page defines (:func:`name_latex`)."""

    def __init__(self, settings: dict | None = None):
        super().__init__({"ln_notation": True, **(settings or {})})

    def _deal_with_super_sub(self, string: str, style: str = "plain") -> str:
        return name_latex(super()._deal_with_super_sub(greek_name(string), style), string)

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

    def _print_DiagMatrix(self, expr):
        return r"\operatorname{diag}\left(%s\right)" % self._print(expr.args[0])

    def _print_OneMatrix(self, expr):
        # SymPy prints it as a bare 1, which reads as a digit next to a coefficient ("21")
        return r"\mathbf{1}_{%s \times %s}" % (self._print(expr.shape[0]),
                                                 self._print(expr.shape[1]))

    def _print_Inverse(self, expr):
        if isinstance(expr.arg, sympy.Transpose):
            return r"%s^{-\top}" % self.parenthesize(expr.arg.arg, PRECEDENCE["Pow"])
        return super()._print_MatPow(expr)

    def _print_Transpose(self, expr):
        if isinstance(expr.arg, sympy.Inverse):
            return r"%s^{-\top}" % self.parenthesize(expr.arg.arg, PRECEDENCE["Pow"])
        printed = super()._print_Transpose(expr)
        return printed[:-len("^{T}")] + r"^{\top}" if printed.endswith("^{T}") else printed


def _entry_sum(trace):
    """``M`` when ``trace`` is SymPy's encoding ``tr(1 M)`` of the sum of M's entries."""
    arg = trace.arg
    if isinstance(arg, sympy.MatMul):
        coeff, mats = arg.as_coeff_matrices()
        if coeff == 1 and len(mats) == 2 and isinstance(mats[0], OneMatrix):
            return mats[1]
    return None


def decimal_mark(number: str, lang: str) -> str:
    """``number`` as Python writes it (``-1.599``) with the decimal mark of ``lang``, for math
    mode: ``-1{,}599`` in French (braces, or TeX spaces the comma as punctuation), unchanged in
    English."""
    return number.replace(".", "{,}") if lang == "fr" else number


def list_separator(lang: str) -> str:
    """What separates numbers in a list, in math mode: a semicolon in French, whose decimal
    mark is the comma; a comma in English."""
    return r";\ " if lang == "fr" else ", "


def float_latex(x: float, lang: str, digits: int = 6) -> str:
    """A float in math mode, ``digits`` significant digits with the decimal mark of ``lang``:
    ``-1{,}599``, ``2{,}5 \\times 10^{-7}``, ``\\infty``."""
    x = float(x) + 0.0                              # -0.0 prints as 0
    if not pymath.isfinite(x):
        return r"\infty" if x > 0 else r"-\infty" if x < 0 else r"\mathrm{NaN}"
    mantissa, _, exponent = f"{x:.{digits}g}".partition("e")
    mantissa = decimal_mark(mantissa, lang)
    return mantissa if not exponent else f"{mantissa} \\times 10^{{{int(exponent)}}}"


def math(expr, names: dict | None = None) -> str:
    """LaTeX for a SymPy expression in textbook notation (``names``: LaTeX for some symbols,
    e.g. ``dX``)."""
    return TextbookPrinter({"symbol_names": names or {}}).doprint(expr)


# ---------------------------------------------------------------- formulas inside prose

GREEK = frozenset("""alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi
    pi rho sigma tau upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi
    Omega""".split())
FUNCTIONS = {"ln": r"\ln", "log": r"\log", "exp": r"\exp", "sin": r"\sin", "cos": r"\cos",
             "tan": r"\tan", "sinh": r"\sinh", "cosh": r"\cosh", "tanh": r"\tanh",
             "det": r"\det", "max": r"\max", "min": r"\min", "tr": r"\operatorname{tr}",
             "sqrt": r"\operatorname{sqrt}", "sigmoid": r"\operatorname{sigmoid}",
             "softmax": r"\operatorname{softmax}", "softplus": r"\operatorname{softplus}",
             "sign": r"\operatorname{sign}", "relu": r"\operatorname{relu}"}
_FORMULA_TOKEN = re.compile(r"[A-Za-z0-9+\-*/^_()=|'.,]+")
_MARKS = re.compile(r"[\^=+/|(']")
_WORD = re.compile(r"[A-Za-z]+")
_ATOM = r"(?:\((?:[^()]|\([^()]*\))*\)|-?[A-Za-z0-9]+)"
_SCRIPT = re.compile(r"([\^_])(" + _ATOM + ")")
_TRAILING = ","
STOPWORDS = frozenset("""an as at be by do he if in is it me my no of on or so to up us we
    au ce de du en et il la le ne on ou sa se si un""".split())
"""Two-letter words of English and French prose: never a formula's variable."""


def _formula_word(word: str) -> bool:
    """A word that may sit in a formula: one or two letters (not an English or French word),
    a Greek letter or a function."""
    return (len(word) <= 2 and word not in STOPWORDS) or word in GREEK or word in FUNCTIONS


def _formula_token(token: str) -> bool:
    return token != "." and bool(_FORMULA_TOKEN.fullmatch(token)) and \
        all(_formula_word(w) for w in _WORD.findall(token))


def _words_latex(text: str) -> str:
    """Greek letters and function names as their control words; ``*`` as a thin space."""
    def one(m):
        w = m.group()
        return "\\" + w + " " if w in GREEK else FUNCTIONS[w] + " " if w in FUNCTIONS else w
    return _WORD.sub(one, text).replace("*", r"\,").replace(" )", ")").strip()


def formula_latex(span: str) -> str | None:
    """LaTeX for a formula written as plain text (``e^(-a x)``, ``||x||``, ``X^T``), or None
    when it would not typeset (a dangling ``^``, a double superscript)."""
    failed = []

    def script(m) -> str:
        mark, atom = m.group(1), m.group(2)
        if atom.startswith("("):
            atom = atom[1:-1]
        inner = {"T": r"\top", "-T": r"-\top"}.get(atom) or formula_latex(atom)
        if inner is None:
            failed.append(atom)
        return f"\x02{mark}{{{inner}}}\x03"

    text = _SCRIPT.sub(script, re.sub(r"\|\|(.+?)\|\|", "\x00\\1\x01", span))
    parts = re.split("(\x02.*?\x03)", text)
    if failed or any(re.search(r"[\^_]", p) for p in parts if not p.startswith("\x02")):
        return None                                   # a ^ or _ with nothing to carry
    out = "".join(p[1:-1] if p.startswith("\x02") else _words_latex(p) for p in parts)
    out = out.replace("\x00", r"\lVert ").replace("\x01", r"\rVert ")
    if re.search(r"\^\{[^{}]*\}\^|_\{[^{}]*\}_", out):
        return None                                   # a double script
    return out


def prose_segments(text: str) -> list[tuple[bool, str]]:
    """``text`` cut into ``(is_formula, content)``: formulas (runs of formula-like words with
    at least one of ``^ = + / | ( '``) as LaTeX, the rest as the text it is (still to be
    escaped for its medium). ``"f(x) = 2^x, and f'(0)"`` gives ``[(True, "f(x) = 2^{x}"),
    (False, ", and "), (True, "f'(0)")]``."""
    out: list[tuple[bool, str]] = []
    tokens = [t for t in re.split(r"( +|[.:;](?= |$))", str(text)) if t]
    i = 0
    while i < len(tokens):
        if tokens[i].startswith(" "):
            out.append((False, tokens[i]))
            i += 1
            continue
        j = i
        while j < len(tokens) and (tokens[j].startswith(" ") or _formula_token(tokens[j])):
            j += 1
        while j > i and tokens[j - 1].startswith(" "):
            j -= 1
        span = "".join(tokens[i:j])
        stripped = span.rstrip(_TRAILING)
        latex = formula_latex(stripped) if stripped and _MARKS.search(stripped) and \
            stripped.count("(") == stripped.count(")") else None
        if latex:
            out.append((True, latex))
            rest = span[len(stripped):]
            if rest:
                out.append((False, rest))
            i = j
        else:
            out.append((False, tokens[i]))
            i += 1
    return _merge(out)


def _merge(segments: list[tuple[bool, str]]) -> list[tuple[bool, str]]:
    merged: list[tuple[bool, str]] = []
    for is_formula, content in segments:
        if merged and not is_formula and not merged[-1][0]:
            merged[-1] = (False, merged[-1][1] + content)
        else:
            merged.append((is_formula, content))
    return merged


def prose_tex(text: str) -> str:
    """``text`` for a LaTeX document: its formulas typeset (:func:`prose_segments`), the rest
    escaped."""
    return "".join(f"${c}$" if is_formula else escape(c) for is_formula, c in
                   prose_segments(text))
