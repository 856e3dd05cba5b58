"""A derivation shown as a chain of equalities: its steps, each with the rules it used and how
SymPy judged it. Made by :mod:`workbench.explain.steps` (scalar variables) and
:mod:`workbench.explain.matrix_steps` (matrix variables)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import sympy


@dataclass
class Step:
    """One equality of the chain: ``previous = expr``, by ``rules`` (names: the ``rule.`` keys
    of :mod:`workbench.words`). ``lhs`` starts a new equation (``dr = X dbeta``) instead
    of continuing the chain. ``status``: confirmed, wrong or unjustified; ``how`` says how it
    was checked."""

    rules: tuple[str, ...]
    expr: sympy.Basic
    lhs: sympy.Basic | None = None
    status: str = "unchecked"
    how: str = ""


@dataclass
class StepDerivation:
    """The steps for one variable: ``kind`` scalar or matrix; ``start`` is what the chain
    starts from (``d/dx f``, ``df``); ``result`` the closed form the steps end at, or None."""

    wrt: str
    kind: str
    start: sympy.Basic
    steps: list[Step] = field(default_factory=list)
    result: sympy.Basic | None = None
    definitions: list[tuple[sympy.Basic, sympy.Basic]] = field(default_factory=list)
    symbol_names: dict = field(default_factory=dict)
    ends_at_gradient: bool = False
    check: str = ""
    problem_note: str = ""

    @property
    def verified(self) -> bool:
        """Every step confirmed and the result equal to the derived gradient."""
        return self.ends_at_gradient and all(s.status == "confirmed" for s in self.steps)

    def equations(self) -> Iterator[tuple[sympy.Basic | None, Step]]:
        """Each step with the left-hand side it is written after: ``start`` or the step's own
        ``lhs``, None where it continues the equation of the step before."""
        current = None
        for step in self.steps:
            lhs = self.start if step.lhs is None else step.lhs
            yield (None if lhs is current else lhs), step
            current = lhs
