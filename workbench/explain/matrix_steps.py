"""Matrix steps for the pages: the differential route of
:mod:`workbench.derive.differential`, each step recorded and checked.

Each differential is checked against SymPy's directional derivative ``d/dt f(X + t dX)`` at
``t = 0`` and the gradient against the derived one, both at explicit sizes on random exact
points (:mod:`workbench.explain.matrix_check`).
"""

from __future__ import annotations

import sympy

from workbench.derive.differential import NoRule, differential_symbol, route
from workbench.derive.gradient import tidy
from workbench.explain.chain import Step, StepDerivation
from workbench.explain.matrix_check import MatrixChecker
from workbench.tex import math


def matrix_steps(derivation, name: str) -> StepDerivation:
    """The differential route to the gradient of ``derivation.function`` w.r.t. ``name``."""
    table = {v.name: v for v in derivation.variables}
    V = table[name].symbol()
    dV = differential_symbol(V, name)
    f = derivation.function
    df, grad = sympy.Symbol("df"), sympy.Symbol(f"grad_{name}")
    out = StepDerivation(name, "matrix", df)
    out.symbol_names = {df: r"\mathrm{d}f", dV: r"\mathrm{d}" + math(V),
                        grad: r"\nabla_{" + math(V) + "} f"}
    checker = MatrixChecker(derivation, name, dV)

    def record(rules, expr, lhs=None, define=None):
        if define is not None:
            r, A, dr = define
            out.definitions.append((r, A))
            out.symbol_names[dr] = r"\mathrm{d}" + math(r)
            checker.define(r, A, dr)
        else:
            out.steps.append(Step(rules, expr, lhs=lhs))

    try:
        result = route(f, V, dV, grad, record, simplify=tidy)
    except NoRule as exc:
        out.problem_note = str(exc)
        result = None
    if result is None:
        engine = derivation.gradient[name]
        if engine is not None:
            out.steps.append(Step(("engine",), engine, lhs=grad))
            result = engine
    out.result = result
    for step in out.steps:
        step.status, step.how = checker.step(step)
    if result is not None:
        status, out.check = checker.gradient(result)
        out.ends_at_gradient = status == "confirmed"
    return out
