"""Helpers for users' own tests: an assertion and Hypothesis strategies.

    from workbench.testing import assert_gradient
    assert_gradient("x**2", wrt="x", hand={"x": "2*x"})
"""

from __future__ import annotations

from typing import Mapping, Sequence

from workbench.expr.parser import free_names, parse
from workbench.expr.spaces import Variable
from workbench.problem import Problem
from workbench.verify.crosscheck import CheckSettings, cross_check
from workbench.verify.report import Report
from workbench.verify.strategies import cases, points

__all__ = ["assert_gradient", "cases", "points"]


def assert_gradient(function: str, wrt: Sequence[str] | str, hand: Mapping[str, str],
                    variables: Sequence[Variable] | None = None,
                    settings: CheckSettings | None = None) -> Report:
    """Raise ``AssertionError`` with the diagnosis unless ``hand`` is the gradient of
    ``function``. Undeclared names of ``function`` are real scalars (a name only a hand uses is
    a typo, refused by the parser). Returns the report when it matches."""
    declared = list(variables or [])
    names = {v.name for v in declared} | {d for v in declared for d in v.dim_names}
    for text in [function]:
        for n in free_names(text):
            if n not in names:
                declared.append(Variable.scalar(n))
                names.add(n)
    problem = Problem.from_text(function, declared, wrt)
    report = cross_check(problem, {k: parse(v, declared) for k, v in hand.items()}, settings)
    if not report.ok:
        raise AssertionError(report.to_text())
    return report
