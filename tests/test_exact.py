"""The exact side: high-precision values (derive/precise.py), exact equality
(derive/equality.py), landmarks and sampling (derive/landmarks.py, expr/sampling.py)."""

from __future__ import annotations

import random

import numpy as np
import pytest
import sympy

from workbench.derive import precise
from workbench.derive.equality import compare, compare_matrix, reduce_to_zero, scalar_draw
from workbench.derive.landmarks import find_landmarks, matrix_roles
from workbench.expr.parser import parse
from workbench.expr.sampling import (condition, draw_matrices, draw_scalars, in_domain,
                                     rational_matrix, typical_range)
from workbench.expr.spaces import Domain, Variable

X1, A1 = Variable.scalar("x"), Variable.scalar("a")
x, a = X1.symbol(), A1.symbol()


def value(text, **values):
    e = parse(text, [X1, A1])
    return precise.evaluate(e, {sympy.Symbol(k, real=True): sympy.sympify(v)
                                for k, v in values.items()})


# ------------------------------------------------------------------ precise values

def test_a_cancelling_sum_inside_a_log_is_evaluated_right():
    # SymPy's own evalf gives 632 here at 15 digits; the true value is -800 (to 1e-348)
    v = value("log(1 - sigmoid(x))", x=800)
    assert abs(float(v) + 800) < 1e-12 and v.settled


def test_exact_zeros_and_overflow_free_magnitudes():
    assert abs(value("2*x - 2", x=1).value) < 1e-25
    assert abs(value("sin(x)**2 + cos(x)**2 - 1", x=sympy.Rational(1, 3)).value) < 1e-25
    big = precise.evaluate(sympy.exp(x), {x: sympy.Integer(800)})
    assert precise.mpmath.log10(big.value) > 347


@pytest.mark.parametrize("text, at, error", [
    ("log(x)", -1, precise.Undefined),
    ("sqrt(x)", -4, precise.Undefined),
    ("x**(1/3)", -8, precise.Undefined),
    ("exp(exp(x))", 10**6, precise.OutOfReach),
])
def test_no_real_value_or_out_of_reach_is_said_so(text, at, error):
    with pytest.raises(error):
        value(text, x=at)


def test_two_values_differing_by_one_part_in_a_trillion_are_different():
    a_, b_ = value("x*(1 + 1/10**12)", x=3), value("x", x=3)
    assert precise.compare(a_, b_) == "different"
    assert precise.compare(b_, value("3*x/3", x=3)) == "equal"


def test_matrix_expressions_evaluate_and_differentiate_in_high_precision():
    X = Variable.matrix("X", 3, 3)
    rng = np.random.default_rng(0)
    values = {"X": precise.exact(rng.normal(size=(3, 3)) + 3 * np.eye(3))}
    grad = precise.evaluate(parse("inv(X).T", [X]), values)
    numeric = precise.derivative(parse("logdet(X)", [X]), values, "X")
    assert grad.is_matrix and precise.compare(grad, numeric) == "equal"
    wrong = precise.evaluate(parse("inv(X)", [X]), values)
    assert precise.compare(wrong, numeric) == "different"


def test_a_float_converts_exactly():
    assert precise.exact(0.1) == sympy.Rational(3602879701896397, 36028797018963968)
    assert precise.exact([[0.5, 2.0]]) == sympy.ImmutableMatrix([[sympy.Rational(1, 2), 2]])


# ------------------------------------------------------------------ equality

def eq(hand, f):
    true = sympy.diff(parse(f, [X1, A1]), x)
    return compare(parse(hand, [X1, A1]), true, scalar_draw([X1, A1]))


@pytest.mark.parametrize("hand, f, method", [
    ("2*x", "x**2", "symbolic"),
    ("-sigmoid(x)", "log(1 - sigmoid(x))", "symbolic"),
    ("sign(x)*Abs(x)*2", "x**2", "symbolic"),
    ("(1 + sign(x - 5))/2", "relu(x - 5)", ""),
    ("(1 + sign(x - 2*a))/2", "Max(x, 2*a)", "pieces"),
])
def test_equal_forms_are_proved(hand, f, method):
    r = eq(hand, f)
    assert r.status == "equal", r.reason
    if method == "pieces":
        assert "smooth pieces" in r.method


@pytest.mark.parametrize("hand, f, check", [
    ("0", "relu(x - 5)", lambda w: w > 5),
    ("-1", "Abs(x - 10)", lambda w: w > 10),
    ("2*x + x/10**12", "x**2", lambda w: True),
    ("x*2**(x - 1)", "2**x", lambda w: True),
])
def test_different_forms_get_an_exact_witness(hand, f, check):
    r = eq(hand, f)
    assert r.status == "different" and r.values is not None
    assert check(float(r.witness[x]))


def test_piece_splitting_keeps_the_signs_of_one_argument_consistent():
    # Heaviside(x - 2a) and sign(x - 2a) flip together: 2 pieces, both zero
    r = eq("(1 + sign(x - 2*a))/2", "Max(x, 2*a)")
    assert r.status == "equal" and "2 smooth pieces" in r.method


def test_identity_tests_prove_what_simplification_cannot():
    # a rational identity SymPy's expand cannot see without cancel is still proved
    zero, _ = reduce_to_zero(sympy.Integer(0))
    assert zero
    m = sympy.Matrix([[x, 1], [a, x]])
    r = compare_matrix(sympy.ImmutableMatrix(m.inv()), sympy.ImmutableMatrix(m.adjugate() / m.det()),
                       scalar_draw([X1, A1]))
    assert r.status == "equal" and ("Schwartz-Zippel" in r.method or "symbolic" in r.method)


# ------------------------------------------------------------------ landmarks and sampling

def test_landmarks_are_kinks_poles_edges_and_saturations():
    marks = {(m.variable, str(m.value), m.kind) for m in find_landmarks(
        [parse("relu(x - 5) + log(a) + 1/(x + 2) + sigmoid(3*x)", [X1, A1])], [X1, A1])}
    assert ("x", "5", "kink") in marks and ("x", "-2", "pole") in marks
    assert ("a", "0", "edge") in marks and ("x", "10", "saturation") in marks


def test_matrices_under_inv_det_and_logdet_get_their_roles():
    X, A, B = (Variable.matrix(n, "n", "n") for n in "XAB")
    roles = matrix_roles(parse("logdet(X) + Trace(inv(A)) + sum(B)", [X, A, B]), [X, A, B])
    assert roles == {"X": "positive-det", "A": "invertible", "B": "plain"}


def test_real_scalars_are_drawn_across_magnitudes_and_stay_in_their_domains():
    rng = np.random.default_rng(0)
    v = draw_scalars(Domain.parse("real"), (20000,), rng)
    mags = np.abs(v[v != 0])
    assert mags.max() > 1e8 and mags.min() < 1e-5 and (v < 0).any() and (v > 0).any()
    assert (np.abs(v) > 100).mean() > 0.2           # not a box around 0
    for word in ("positive", "negative", "nonzero", "[2, 3]"):
        d = Domain.parse(word)
        assert in_domain(d, draw_scalars(d, (5000,), rng)).all(), word
    assert typical_range(Domain.parse("real")) == (-4.0, 4.0)


def test_matrices_are_valid_for_their_role_even_from_zero_draws():
    rng = np.random.default_rng(1)
    for role in ("invertible", "positive-det"):
        m = draw_matrices(Domain(), role, 500, 4, 4, rng)
        assert np.linalg.cond(m).max() < 1e3
        if role == "positive-det":
            assert (np.linalg.det(m) > 0).all()
    zeros = np.zeros((3, 4, 4))                      # what Hypothesis shrinks towards
    assert (np.linalg.det(condition(zeros, "invertible")) > 0).all()
    assert (np.linalg.eigvalsh(condition(zeros, "spd")) > 0).all()
    exact = rational_matrix(Domain(), "invertible", 3, 3, random.Random(0))
    assert exact.det() != 0


def test_a_log_of_one_plus_a_vanishing_term_is_not_an_exact_zero():
    """log(1 + exp(-773)) rounds to log(1) = 0 at 30 or 90 digits; its value is 1.95e-336.
    More digits are taken, as for a cancelling sum; beyond reach, 0 carries the rounding of 1
    as its error, so that nothing compares it as exact."""
    import sympy

    from workbench.derive import precise
    x = sympy.Symbol("x", real=True)
    f = sympy.log(1 + sympy.exp(x))
    near = precise.evaluate(f, {x: precise.exact(-773.0)})
    assert 1.95 < float(near.value * 10**336) < 1.96 and near.settled
    far = precise.evaluate(f, {x: precise.exact(-5000.0)})
    assert float(far) == 0 and far.error > 0


@pytest.mark.parametrize("hand, f", [
    ("2*x + exp(-10**20)", "x**2"),
    ("sign(x)*(1 + exp(-exp(exp(10))))", "Abs(x)"),
])
def test_a_positive_difference_below_every_float_is_not_proved_zero(hand, f):
    """exp(-10**20) is evaluated as 0 (what float64 gives); an identity test that took that 0
    for an exact zero 'proved' these. SymPy knows the term is positive: a witness."""
    r = eq(hand, f)
    assert r.status == "different", (r.status, r.method, r.reason)
    assert r.gap is not None and r.gap.is_zero is False and "exp(" in str(r.gap)


def test_an_underflowed_exp_is_flagged_and_an_ordinary_value_is_not():
    assert value("exp(-10**20*x)", x=1).underflow
    assert not value("exp(-10*x)", x=1).underflow
    assert float(value("1 + exp(-10**20*x)", x=1)) == 1.0


def test_a_matrix_difference_that_cancels_reduces_to_zero():
    """expand() makes a ZeroMatrix of it, which is not == 0: reduce_to_zero said (False, 0)
    and the diagnosis called a right matrix gradient wrong."""
    from workbench.explain.diagnosis import diagnose
    from workbench.problem import Problem
    from workbench.verify.crosscheck import CheckSettings, cross_check
    ls = [Variable.matrix("X", "n", "p"), Variable.matrix("y", "n", 1),
          Variable.matrix("beta", "p", 1)]
    right, other = parse("-2*X.T@(y - X@beta)", ls), parse("2*X.T@(X@beta - y)", ls)
    zero, reduced = reduce_to_zero(right - other)
    assert zero and reduced.is_ZeroMatrix
    assert reduce_to_zero(sympy.ImmutableMatrix([[x - x, 0]]))[0]
    assert not reduce_to_zero(right + other)[0]
    p = Problem.from_text("(X@beta - y).T@(X@beta - y)", ls, ["beta", "y"])
    hand = {"beta": right, "y": parse("2*(X@beta - y)", ls)}      # d/dy: a sign slip
    report = cross_check(p, hand, CheckSettings(max_examples=20))
    assert report.verdict == "mismatch"
    beta, y = diagnose(p, hand, report).findings
    assert beta.right and not y.right and y.relation == "sign"
