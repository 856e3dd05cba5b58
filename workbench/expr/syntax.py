"""The first stage of the parser, without SymPy: text to a Python syntax tree, within the
limits on length, characters and nesting (see :mod:`workbench.expr.parser`). A command checks its
expressions with it before any library is loaded, so that a syntax error answers at once."""

from __future__ import annotations

import ast

from workbench.errors import ParseError

MAX_LENGTH = 2000
MAX_DEPTH = 48
MAX_CHAIN = 200


def read_tree(text: str) -> tuple[ast.Expression, int]:
    """``(tree, offset)``: the syntax tree of ``text`` and the column offset of its first
    non-blank character. Raises :class:`ParseError` (``where`` = ``col N``)."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    for i, ch in enumerate(text):
        if not (ch.isascii() and (ch.isprintable() or ch in " \t")):
            raise ParseError(f"character {ch!r} is not allowed", f"col {i + 1}")
    stripped = text.strip()
    if not stripped:
        raise ParseError("empty expression")
    offset = len(text) - len(text.lstrip())
    depth = 0
    for i, ch in enumerate(stripped):
        depth += ch in "([" and 1 or (-1 if ch in ")]" else 0)
        if depth > MAX_DEPTH:
            raise ParseError(f"nesting deeper than {MAX_DEPTH}", f"col {offset + i + 1}")
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        if not exc.offset:
            raise ParseError("unexpected end of expression",
                             f"col {offset + len(stripped) + 1}") from None
        raise ParseError(f"syntax error: {exc.msg}", f"col {offset + exc.offset}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ParseError("expression too deeply nested or malformed") from None
    height = _height(tree.body)
    if height > MAX_CHAIN:
        raise ParseError(f"expression nested deeper than {MAX_CHAIN} levels as Python reads it "
                         f"({height}: each + in x + x + ... is one more): group long sums and "
                         f"products in parentheses")
    return tree, offset


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
