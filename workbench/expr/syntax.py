"""The first stage of the parser, without SymPy: text to a Python syntax tree, within the
limits on length, characters and nesting (see :mod:`workbench.expr.parser`). A command checks its
expressions with it before any library is loaded, so that a syntax error answers at once."""

from __future__ import annotations

import ast
import keyword
import re
from typing import Container

from workbench.errors import ParseError
from workbench.expr import latex
from workbench.expr.steps import split_steps

MAX_LENGTH = 2000
MAX_DEPTH = 48
MAX_CHAIN = 200


def read_tree(text: str, names: Container[str] | None = None, matrices: Container[str] = (),
              latex_text: bool | None = None) -> tuple[ast.Expression, int]:
    """``(tree, offset)``: the syntax tree of ``text`` and the column offset of its first
    non-blank character. ``text`` is our language, ``^`` allowed for powers, or LaTeX
    (:mod:`workbench.expr.latex`), perhaps after a left side naming the derivative
    (``\\nabla_\\beta f = ...``). ``names``: the declared names when known (LaTeX splits runs
    of letters into them), ``matrices`` those that are matrices. ``latex_text``: read as LaTeX
    (True), as ASCII (False) or as its backslashes and braces say (None; ``2x`` is then ASCII,
    and refused). Raises :class:`ParseError` (``where`` = ``col N``)."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    for i, ch in enumerate(text):
        if not (ch.isascii() and (ch.isprintable() or ch in " \t")):
            hint = UNICODE_HINTS.get(ch, "")
            raise ParseError(f"character {ch!r} is not allowed" + (f": {hint}" if hint else ""),
                             f"col {i + 1}")
    as_latex = latex.is_latex(text) if latex_text is None else latex_text   # left side too
    if "=" in text:
        steps = split_steps(text, names)
        if len(steps) > 1:
            raise ParseError("a chain of steps (a = b = ...): give one expression here "
                             "(workbench grade checks a chain step by step)",
                             f"col {steps[1].col}")
        text = steps[0].text                         # without a left side d/dx =
    stripped = text.strip()
    if not stripped:
        raise ParseError("empty expression")
    offset = len(text) - len(text.lstrip())
    if as_latex:
        tree = latex.read_latex(stripped, names, offset, matrices)
        _check_height(tree)
        return tree, offset
    depth = 0
    for i, ch in enumerate(stripped):
        depth += ch in "([" and 1 or (-1 if ch in ")]" else 0)
        if depth > MAX_DEPTH:
            raise ParseError(f"nesting deeper than {MAX_DEPTH}", f"col {offset + i + 1}")
    source, cols = latex.carets_as_powers(stripped, names)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        typo = _typo(source)
        if typo is not None:
            message, col = typo
            raise ParseError(message, f"col {offset + cols[col] + 1}") from None
        if not exc.offset:
            raise ParseError("unexpected end of expression",
                             f"col {offset + len(stripped) + 1}") from None
        col = cols[min(exc.offset - 1, len(cols) - 1)]
        raise ParseError(f"syntax error: {exc.msg}", f"col {offset + col + 1}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ParseError("expression too deeply nested or malformed") from None
    latex.restore_columns(tree, cols)
    _check_height(tree)
    return tree, offset


def _check_height(tree: ast.Expression) -> None:
    height = _height(tree.body)
    if height > MAX_CHAIN:
        raise ParseError(f"expression nested deeper than {MAX_CHAIN} levels as Python reads it "
                         f"({height}: each + in x + x + ... is one more): group long sums and "
                         f"products in parentheses")


UNICODE_HINTS = {
    "\u00b2": "write x**2 for a square", "\u00b3": "write x**3 for a cube",
    "\u00b7": "write * for a product", "\u00d7": "write * for a product",
    "\u2212": "type - (this is a typographic minus)", "\u2013": "type - (this is a dash)",
    "\u00f7": "write / for a quotient", "\u221a": "write sqrt(x) for a square root",
    "\u03c0": "write pi", "\u03bb": "write lam (or another name in ASCII letters)",
    "\u03b1": "write alpha", "\u03b2": "write beta", "\u03c3": "write sigma",
    "\u03bc": "write mu", "\u2202": "write the function itself; --wrt names the variable",
}
"""Hints for characters that a formula copied from a page or a word processor brings."""

_NUMBER_THEN_NAME = re.compile(r"(?<![\w.])(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)([A-Za-z_]\w*)")
_TWO_WORDS = re.compile(r"([\w.)\]]+)[ \t]+([A-Za-z_(\d][\w.]*)")


def _typo(text: str) -> tuple[str, int] | None:
    """What a text with a syntax error probably meant, and the 0-based column, for the usual
    slips: a number written against a name (``3x``), two terms side by side (``x y``, ``sin
    x``), bars for an absolute value (``|x|``); None when no such slip is found."""
    for m in _NUMBER_THEN_NAME.finditer(text):
        number, name = m.groups()
        if not _is_literal(number + name):
            return (f"{number}{name}: write {number}*{name} for a product (a number and a "
                    f"name need * between them)", m.start())
    if "|" in text and re.search(r"\|[^|]+\|", text):
        return "|...| is not an absolute value here: write abs(x)", text.index("|")
    for m in _TWO_WORDS.finditer(text):
        left, right = m.groups()
        if keyword.iskeyword(left) or keyword.iskeyword(right):
            continue
        if re.fullmatch(r"[A-Za-z_]\w+", left):          # sin x; a one-letter name is x y
            return (f"{left} {right}: write {left}({right}) to call a function, {left}*{right} "
                    f"for a product", m.start())
        return (f"{left} {right}: write {left}*{right} for a product (terms side by side need "
                f"an operator between them)", m.start(2))
    return None


def _is_literal(text: str) -> bool:
    try:
        ast.literal_eval(text)            # a number literal only (1e5, 0x10, 1_000)
    except (SyntaxError, ValueError):
        return False
    return True


def _height(root: ast.AST) -> int:
    """The height of an expression's tree (its ``ast.expr`` nodes), without recursion."""
    height, stack = 0, [(root, 1)]
    while stack:
        node, level = stack.pop()
        height = max(height, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node)
                     if isinstance(child, ast.expr))
    return height


__all__ = ["MAX_CHAIN", "MAX_DEPTH", "MAX_LENGTH", "read_tree"]
