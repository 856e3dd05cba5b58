"""Step-by-step derivations: the rules applied one by one, each step checked by SymPy.

A derivation is a chain of equalities. For a scalar variable it starts at ``d/dx f`` and each
step applies one rule to the first derivative still unevaluated (sum, constant factor, power,
product, quotient, chain, exponential or logarithm in any base, trig, hyperbolic ...); a last
step, if needed, simplifies to the engine's gradient. Matrix variables go through
:mod:`workbench.explain.matrix_steps` (differentials and identification).

Every step is checked (:mod:`workbench.explain.check`): an equality SymPy confirms is
``confirmed``; one it refutes is ``wrong``; one it cannot settle in time is ``unjustified``.
A derivation is ``verified`` when every step is confirmed and its last expression equals the
derived gradient. The derivatives of functions and powers are the facts of
:mod:`workbench.derive.facts` (:data:`~workbench.derive.facts.SYMPY_FACTS` by SymPy function).
"""

from __future__ import annotations

import sympy

from workbench.derive.facts import FACTS, SYMPY, SYMPY_FACTS
from workbench.explain.chain import Step, StepDerivation
from workbench.explain.check import Checker, random_points
from workbench.explain.matrix_steps import matrix_steps

MAX_STEPS = 40


def explain_steps(problem) -> list[StepDerivation]:
    """The steps for each variable of ``problem.wrt`` (a :class:`workbench.problem.Problem`)."""
    d = problem.derivation
    table = {v.name: v for v in problem.variables}
    out = []
    for name in problem.wrt:
        if d.uses_matrices or table[name].is_matrix:
            out.append(matrix_steps(d, name))
        else:
            out.append(scalar_steps(problem.function, table[name], problem.variables,
                                    d.gradient[name]))
    return out


def scalar_steps(function, variable, variables, gradient) -> StepDerivation:
    """Rules applied one at a time to ``d/dx function``, then the simplification to
    ``gradient`` (the engine's derivative); every step checked."""
    x = variable.symbol()
    start = sympy.Derivative(function, x)
    out = StepDerivation(variable.name, "scalar", start)
    current = start
    while len(out.steps) < MAX_STEPS:
        node = _first_derivative(current)
        if node is None:
            break
        rules, replacement = apply_rule(node.expr, x)
        current = current.xreplace({node: replacement})
        out.steps.append(Step(rules, current))
    checker = Checker(random_points(variables))
    status, out.check = checker.equal(current.doit(), gradient)
    out.ends_at_gradient = status == "confirmed"
    if _first_derivative(current) is not None:
        out.steps.append(Step(("engine",), gradient))
    elif current != gradient:
        out.steps.append(Step(("simplify",), gradient))
    out.result = out.steps[-1].expr if out.steps else gradient
    previous = start
    for step in out.steps:
        step.status, step.how = checker.equal(previous.doit(), step.expr.doit())
        previous = step.expr
    return out


def _first_derivative(expr):
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Derivative):
            return node
    return None


def d(u, x):
    """``d/dx u`` left unevaluated, except the trivial cases 0 and 1."""
    if not u.has(x):
        return sympy.Integer(0)
    if u == x:
        return sympy.Integer(1)
    return sympy.Derivative(u, x)


def _chain(rule: str, u, x) -> tuple[str, ...]:
    return (rule,) if u == x else (rule, "chain")


def apply_rule(u, x) -> tuple[tuple[str, ...], sympy.Basic]:
    """The rule for ``d/dx u`` (``u`` depends on ``x``): its names and the expression it gives,
    with the derivatives of the parts left unevaluated."""
    if u.is_Add:
        return ("sum",), sympy.Add(*[d(a, x) for a in u.args])
    if u.is_Mul:
        const, rest = u.as_independent(x, as_Add=False)
        if const != 1:
            return ("constant-factor",), const * d(rest, x)
        den = [a.base ** -a.exp for a in u.args if a.is_Pow and a.exp.is_number
               and a.exp.is_negative]
        if den:
            v = sympy.Mul(*den)
            w = sympy.Mul(*[a for a in u.args if not (a.is_Pow and a.exp.is_number
                                                     and a.exp.is_negative)])
            return ("quotient",), (d(w, x) * v - w * d(v, x)) / v ** 2
        first, second = u.args[0], sympy.Mul(*u.args[1:])
        return ("product",), d(first, x) * second + first * d(second, x)
    if u.is_Pow:
        base, exp = u.args
        if not exp.has(x):
            fact, inner, k = FACTS["power"], base, 0
        elif not base.has(x):
            fact, inner, k = FACTS["exponential"], exp, 1
        else:
            return ("log-differentiation",), d(sympy.exp(exp * sympy.log(base)), x)
        return _chain(fact.rule, inner, x), fact.partials(SYMPY, u, base, exp)[k] * d(inner, x)
    if isinstance(u, sympy.Function) and type(u) in SYMPY_FACTS and len(u.args) == 1:
        fact = SYMPY_FACTS[type(u)]
        inner = u.args[0]
        return _chain(fact.rule, inner, x), fact.partials(SYMPY, u, inner)[0] * d(inner, x)
    if isinstance(u, (sympy.Function, sympy.Min, sympy.Max)):
        terms = [u.fdiff(i + 1) * d(a, x) for i, a in enumerate(u.args) if a.has(x)]
        return ("function", "chain"), sympy.Add(*terms)
    return ("engine",), sympy.diff(u, x)
