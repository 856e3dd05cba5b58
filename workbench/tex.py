"""User text made safe to typeset: in a LaTeX document (:func:`escape`) and inside MathJax's
``\\text{}`` (:func:`mathjax_text`).

Every piece of text that comes from a user (titles, descriptions, hand formulas as typed, notes
that may quote them) goes through one of these before it reaches TeX: ``\\input{../secrets}``
prints as those characters and runs nothing. Mathematics is printed from SymPy expressions
only, never from user text.
"""

from __future__ import annotations

import re

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
