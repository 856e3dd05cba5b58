"""An answer as written: one expression, or a chain of steps ``g1 = g2 = ... = gk`` (or one
step a line), perhaps after a left side that names the derivative (``\\nabla_\\beta f =``,
``\\frac{\\partial f}{\\partial x} =``, ``df/dx =``, ``f'(x) =``, ``grad =``).

Only the text is cut here, at the ``=`` outside brackets and at line ends; each step is read
by :func:`workbench.expr.parser.parse` as any expression. A step keeps its place in the answer
(line and column), so that a message about it points into what the student wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Container

from workbench.errors import ParseError

MAX_STEPS = 20
MAX_LINES = 40


@dataclass(frozen=True)
class Step:
    """One expression of an answer: ``text`` is its line with everything outside the step
    blanked (columns stay those of the line); ``line`` and ``col`` are 1-based."""

    text: str
    line: int
    col: int

    @property
    def source(self) -> str:
        """The step alone, as written."""
        return self.text.strip()


_LHS = [
    re.compile(r"\\nabla|\\partial|\bgrad\b|\bgradient\b"),
    re.compile(r"^\s*\\[dt]?frac\s*\{\s*(?:\\mathrm\s*\{\s*)?d\b"),
    re.compile(r"^\s*d\s*\w*\s*/\s*d\s*\w+\s*$"),
    re.compile(r"^\s*[A-Za-z]\w*\s*'+\s*(\(.*\))?\s*$"),
]


def is_left_side(text: str, names: Container[str] | None = None) -> bool:
    """Whether ``text`` names the derivative rather than computes it: a nabla, a partial, a
    ``d/dx``, ``f'(x)``, or one undeclared name (``g``) when the declared names are known."""
    if any(p.search(text) for p in _LHS):
        return True
    word = text.strip()
    return names is not None and bool(re.fullmatch(r"[A-Za-z]\w*", word)) and word not in names


def split_steps(answer: str, names: Container[str] | None = None) -> list[Step]:
    """The steps of ``answer``, in order: the text is cut at each ``=`` outside parentheses,
    brackets and braces and at each line end (a LaTeX line break ``\\\\`` and an alignment
    ``&`` outside a matrix count as space); a first piece naming the derivative is left
    out. Raises :class:`ParseError` for an empty answer or step, or too many of them."""
    if not isinstance(answer, str):
        raise ParseError(f"expected text, got {type(answer).__name__}")
    lines = answer.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if len(lines) > MAX_LINES:
        raise ParseError(f"answer of {len(lines)} lines; the limit is {MAX_LINES}")
    multiline = sum(bool(line.strip()) for line in lines) > 1
    steps: list[Step] = []
    last_line = max((i for i, line in enumerate(lines, 1) if line.strip()), default=0)
    for number, line in enumerate(lines, 1):
        line = _blank_alignment(line)
        pieces = _pieces(line)
        for k, (start, end) in enumerate(pieces):
            piece = line[start:end]
            if not piece.strip():
                if k == 0 or (k == len(pieces) - 1 and number < last_line):
                    continue              # a blank line, or '=' ending or starting a line
                raise ParseError("expected an expression after =", f"line {number}: col {start}"
                                 if multiline else f"col {start}")
            if not steps and k < len(pieces) - 1 and is_left_side(piece, names):
                continue
            lead = len(piece) - len(piece.lstrip())
            steps.append(Step(" " * start + piece, number, start + lead + 1))
    if not steps:
        raise ParseError("empty answer")
    if len(steps) > MAX_STEPS:
        raise ParseError(f"{len(steps)} steps; the limit is {MAX_STEPS}")
    return steps


def _pieces(line: str) -> list[tuple[int, int]]:
    """Spans of ``line`` between the ``=`` at bracket depth 0."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(line):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "=" and depth <= 0:
            out.append((start, i))
            start = i + 1
    out.append((start, len(line)))
    return out


def _blank_alignment(line: str) -> str:
    """``&`` and ``\\\\`` of an aligned derivation as spaces, outside matrix environments."""
    if "\\begin" in line:
        return line
    return line.replace("\\\\", "  ").replace("&", " ")


__all__ = ["MAX_STEPS", "Step", "is_left_side", "split_steps"]
