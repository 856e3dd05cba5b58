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
from typing import TYPE_CHECKING, Mapping, Sequence

import sympy

from workbench.derive.gradient import Derivation, derive_gradient, tidy
from workbench.derive.limits import time_limit
from workbench.errors import ResourceLimit, UserError
from workbench.expr.parser import parse
from workbench.expr.printing import plain
from workbench.expr.spaces import Variable

if TYPE_CHECKING:   # the oracles load torch: imported where used, so a check that needs no
    import torch    # torch (a proof corroborated in high precision) never loads it

    from workbench.oracles.base import GradientOracle
    from workbench.oracles.symbolic import SymbolicOracle, ValueFunction

ORACLE_KINDS = ("symbolic", "autograd", "finite-difference", "checked")
GRADIENT_KINDS = ("symbolic", "autograd", "finite-difference")
EXACT_SECONDS = 2.0


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
        from workbench.oracles.symbolic import ValueFunction
        return ValueFunction(self.function, self.variables, self.extra_funcs)

    def hand_oracle(self, hand: Mapping[str, sympy.Basic]) -> SymbolicOracle:
        """An oracle answering with ``hand`` (closed forms per variable, e.g. a student's
        gradient) for the gradient, and this problem's function for the value."""
        from workbench.oracles.symbolic import SymbolicOracle
        d = self.derivation
        return SymbolicOracle(Derivation(d.function, d.variables, tuple(hand), dict(hand),
                                         {k: "hand" for k in hand}), self.extra_funcs)

    def gradients_at(self, point: Mapping[str, torch.Tensor], kinds=GRADIENT_KINDS,
                     hand: Mapping[str, sympy.Basic] | None = None, batched: bool = False
                     ) -> dict[str, dict[str, torch.Tensor] | None]:
        """The gradient at ``point`` by each oracle kind, and by the ``hand`` closed forms
        (key ``hand``) when given: ``{kind: {name: tensor}}``. A kind that cannot answer there
        (a hand gradient of the wrong shape, explicit sizes over budget) gives None."""
        from workbench.oracles.base import gradients_at
        oracles = {k: self.oracle(k) for k in kinds}
        if hand:
            oracles["hand"] = self.hand_oracle(hand)
        return gradients_at(oracles, point, batched=batched)

    def exact_gradient_at(self, values: Mapping[str, object]) -> dict[str, str | None]:
        """The closed-form gradient at a point, exactly (``log(2)``, a matrix as rows):
        ``values`` are numbers, exact SymPy numbers or matrices (SymPy's, or lists of rows);
        None per variable where there is no closed form, a value is missing, or SymPy needs
        more than :data:`EXACT_SECONDS`."""
        from workbench.derive.explicit import element_values, make_explicit
        from workbench.derive.point import sizes_of
        out: dict[str, str | None] = {name: None for name in self.wrt}
        try:
            exact = {v.name: _exact(values[v.name]) for v in self.variables}
            sizes = sizes_of(self.variables, exact)
        except (KeyError, UserError, ValueError, TypeError):
            return out
        subs = element_values(self.variables, exact)
        for name in self.wrt:
            g = self.gradient.get(name)
            if g is None:
                continue
            try:
                with time_limit(EXACT_SECONDS, "an exact value"):
                    value = make_explicit(g, self.variables, sizes).xreplace(subs)
                    value = value.applyfunc(lambda e: tidy(e, EXACT_SECONDS)) \
                        if isinstance(value, sympy.MatrixBase) else tidy(value, EXACT_SECONDS)
                    entries = list(value) if isinstance(value, sympy.MatrixBase) else [value]
                    if all(not e.free_symbols and e.is_finite is not False for e in entries):
                        out[name] = plain(value)
            except (ResourceLimit, RecursionError, ArithmeticError, ValueError, TypeError):
                continue
        return out

    def values_at(self, values: Mapping[str, object]) -> dict[str, dict]:
        """The gradient at a point by every oracle (``symbolic``, ``autograd``,
        ``finite_difference``: floats, or lists of rows for a matrix; None where one cannot
        answer) and exactly (``exact``: text, or None), by variable. ``values`` as
        :meth:`exact_gradient_at` takes them."""
        import torch
        point = {k: torch.tensor(_floats(v), dtype=torch.float64) for k, v in values.items()}
        grads = self.gradients_at(point)
        exact = self.exact_gradient_at(values)
        return {name: {**{kind.replace("-", "_"): (g[name].tolist() if g is not None else None)
                          for kind, g in grads.items()}, "exact": exact[name]}
                for name in self.wrt}

    def oracle(self, kind: str = "symbolic", reference: str = "autograd") -> GradientOracle:
        """A gradient oracle: ``symbolic``, ``autograd``, ``finite-difference`` or ``checked``
        (``symbolic`` checked against ``reference`` on every call)."""
        from workbench.oracles.autograd import AutogradOracle
        from workbench.oracles.checked import CheckedOracle
        from workbench.oracles.finite_diff import FiniteDifferenceOracle
        from workbench.oracles.symbolic import SymbolicOracle
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


def _exact(value):
    """An exact SymPy value: itself, a Rational for a number as written (``0.1`` is 1/10), a
    matrix for rows."""
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, (list, tuple)):
        return sympy.ImmutableMatrix([[_exact(x) for x in row] for row in value])
    if isinstance(value, bool):
        raise TypeError("a truth value is not a number")
    return sympy.Rational(str(value))


def _floats(value):
    """A float, or rows of floats, for an exact value (for torch)."""
    if isinstance(value, sympy.MatrixBase):
        return [[float(x) for x in row] for row in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_floats(x) for x in value]
    return float(value)
