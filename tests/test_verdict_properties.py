"""Properties of the verdict on random expressions from a grammar: a correct hand derivative,
in whatever equivalent form, is never called a mismatch; a slightly wrong one is never called a
match; neither crashes. Each with torch's search and without torch (high precision alone, as
``workbench verify`` of scalars does)."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from workbench.expr.spaces import Variable
from workbench.problem import Problem
from workbench.verify.crosscheck import CheckSettings, cross_check

X, Y = Variable.scalar("x"), Variable.scalar("y")
x, y = X.symbol(), Y.symbol()

UNARY = [sympy.exp, sympy.sin, sympy.cos, sympy.tanh, sympy.atan, sympy.Abs,
         lambda a: 1 / (1 + sympy.exp(-a)),                  # sigmoid
         lambda a: sympy.log(1 + sympy.exp(a)),              # softplus
         lambda a: (a + sympy.Abs(a)) / 2,                   # relu
         lambda a: sympy.log(1 + a**2),
         lambda a: a**2, lambda a: a**3]
BINARY = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b,
          lambda a, b: a / (1 + b**2), sympy.Max]

leaves = st.sampled_from([x, y, sympy.Integer(2), sympy.Rational(-1, 3), 5 * x - 7, x - 40])
expressions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(UNARY), inner).map(lambda t: t[0](t[1])),
        st.tuples(st.sampled_from(BINARY), inner, inner).map(lambda t: t[0](t[1], t[2]))),
    max_leaves=5).filter(lambda e: e.has(x))

FORMS = [lambda e: e,
         lambda e: sympy.expand(e),
         lambda e: e.rewrite(sympy.exp),
         lambda e: sympy.together(e)]

QUICK = {False: CheckSettings(max_examples=10),
         True: CheckSettings(max_examples=10, without_torch=True)}
ENGINES = pytest.mark.parametrize("without_torch", [False, True], ids=["torch", "no-torch"])
PROPERTY = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.nested_given])


def _check(f, hand, without_torch):
    problem = Problem(f, (X, Y), ("x",), str(f))
    return cross_check(problem, {"x": hand}, QUICK[without_torch])


@ENGINES
@PROPERTY
@given(expressions, st.sampled_from(FORMS))
def test_a_correct_hand_in_any_equivalent_form_is_never_a_mismatch(without_torch, f, form):
    hand = form(sympy.diff(f, x))
    assume(not hand.has(sympy.I))          # rewrite(exp) of atan goes through complex logs
    report = _check(f, hand, without_torch)
    assert report.verdict != "mismatch", report.to_text()
    assert report.exit_code in (0, 4)


@ENGINES
@PROPERTY
@given(expressions, st.sampled_from([sympy.Rational(1, 10**6), sympy.Rational(1, 10**9)]))
def test_a_slightly_wrong_hand_is_never_a_match(without_torch, f, eps):
    hand = sympy.diff(f, x) + eps * (1 + x**2)
    report = _check(f, hand, without_torch)
    assert report.verdict != "match", report.to_text()
    assert report.exit_code in (1, 4)
