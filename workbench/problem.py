"""A differentiation problem: a function, its variables, what to differentiate; and the
gradient oracles for it. This is where text, SymPy and torch meet.

    >>> p = Problem.from_text("(X@beta - y).T@(X@beta - y)/n",
    ...     [Variable.matrix("X", "n", "p"), Variable.matrix("y", "n", 1),
    ...      Variable.matrix("beta", "p", 1)], wrt=["beta"])
    >>> p.gradient["beta"]
    (2/n)*X.T*(X*beta - y)
    >>> p.oracle("symbolic")({"X": X, "y": y, "beta": beta}).grad["beta"]   # (p, 1) tensor
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping, Sequence

import sympy

from workbench.derive.gradient import Derivation, derive_gradient
from workbench.errors import UserError
from workbench.expr.parser import parse
from workbench.expr.spaces import Variable
from workbench.oracles.autograd import AutogradOracle
from workbench.oracles.base import GradientOracle
from workbench.oracles.checked import CheckedOracle
from workbench.oracles.finite_diff import FiniteDifferenceOracle
from workbench.oracles.symbolic import SymbolicOracle, ValueFunction

ORACLE_KINDS = ("symbolic", "autograd", "finite-difference", "checked")


@dataclass
class Problem:
    """``function`` (scalar or 1x1) of ``variables``, differentiated with respect to ``wrt``."""

    function: sympy.Basic
    variables: tuple[Variable, ...]
    wrt: tuple[str, ...]
    text: str | None = None
    extra_funcs: Mapping | None = field(default=None, repr=False)

    @classmethod
    def from_text(cls, function: str, variables: Sequence[Variable],
                  wrt: Sequence[str] | str) -> "Problem":
        """Parse ``function`` with the safe parser; ``wrt`` is a list or ``"x,y"``."""
        names = [w.strip() for w in wrt.split(",")] if isinstance(wrt, str) else list(wrt)
        expr = parse(function, variables)
        declared = {v.name for v in variables}
        for w in names:
            if w not in declared:
                raise UserError(f"cannot differentiate with respect to {w!r}: not a declared "
                                f"variable (declared: {', '.join(sorted(declared))})")
        return cls(expr, tuple(variables), tuple(names), function)

    @cached_property
    def derivation(self) -> Derivation:
        return derive_gradient(self.function, self.variables, self.wrt)

    @property
    def gradient(self) -> dict[str, sympy.Basic | None]:
        """Closed-form gradient per variable (None where only explicit sizes work)."""
        return self.derivation.gradient

    @cached_property
    def value_function(self) -> ValueFunction:
        return ValueFunction(self.function, self.variables, self.extra_funcs)

    def oracle(self, kind: str = "symbolic", reference: str = "autograd") -> GradientOracle:
        """A gradient oracle: ``symbolic``, ``autograd``, ``finite-difference`` or ``checked``
        (``symbolic`` checked against ``reference`` on every call)."""
        if kind == "symbolic":
            return SymbolicOracle(self.derivation, self.extra_funcs)
        if kind == "autograd":
            return AutogradOracle(self.value_function, self.wrt)
        if kind == "finite-difference":
            return FiniteDifferenceOracle(self.value_function, self.wrt)
        if kind == "checked":
            if reference == "checked":
                raise UserError("a checked oracle needs another kind as reference")
            return CheckedOracle(self.oracle("symbolic"), self.oracle(reference))
        raise UserError(f"unknown oracle kind {kind!r}; expected one of "
                        f"{', '.join(ORACLE_KINDS)}")
