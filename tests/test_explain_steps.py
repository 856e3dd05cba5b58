"""Step-by-step derivations: every bundled derivation ends at the derived gradient with every
step confirmed, and a wrong step is caught."""

from dataclasses import replace
from pathlib import Path

import pytest
import sympy

from workbench.derivation_file import discover, load
from workbench.expr.spaces import Variable
from workbench.explain import steps as steps_module
from workbench.explain.chain import Step
from workbench.explain.check import Checker, random_points
from workbench.tex import math
from workbench.explain.matrix_check import MatrixChecker
from workbench.explain.steps import explain_steps, scalar_steps
from workbench.problem import Problem

ROOT = Path(__file__).resolve().parents[1]
# scalar functions (a Jacobian file's function is a vector: tests/test_higher.py checks those)
BUNDLED = [p for p in discover([ROOT / "derivations"]) if not p.stem.startswith("jacobian_")]


def _steps(name):
    return explain_steps(load(ROOT / "derivations" / f"{name}.toml").problem)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_bundled_derivation_ends_at_the_derived_gradient(path):
    for sd in explain_steps(load(path).problem):
        assert sd.steps, f"{path.stem}: no step for {sd.wrt}"
        bad = [(s.rules, s.status, s.how) for s in sd.steps if s.status != "confirmed"]
        assert not bad, f"{path.stem} d/d{sd.wrt}: {bad}"
        assert sd.ends_at_gradient, f"{path.stem} d/d{sd.wrt}: {sd.check}"
        assert sd.verified


def test_exponential_in_base_two_is_one_rule_with_ln2():
    (sd,) = _steps("course_02_exp2")
    assert [s.rules for s in sd.steps] == [("exp-base",)]
    x = sympy.Symbol("x", real=True)
    assert sd.result == 2 ** x * sympy.log(2)
    assert math(sd.result) == r"2^{x} \ln{\left(2 \right)}"


def test_scalar_rules_are_applied_one_at_a_time():
    rules = [s.rules for s in _steps("calc_chain_rule")[0].steps]
    assert rules == [("exp", "chain"), ("trig", "chain"), ("power",)]
    assert ("quotient",) in [s.rules for s in _steps("calc_quotient_rule")[0].steps]
    assert ("product",) in [s.rules for s in _steps("calc_product_rule")[0].steps]
    assert ("hyperbolic",) in [s.rules for s in _steps("calc_cosh")[0].steps]
    assert ("constant-factor",) in [s.rules for s in _steps("calc_log_base2")[0].steps]


def test_least_squares_goes_through_r_and_ends_in_the_textbook_form():
    (sd,) = _steps("course_03_least_squares_sum")
    (r, definition), = sd.definitions
    assert math(definition) == r"y - X \beta"
    rules = [rule for s in sd.steps for rule in s.rules]
    assert {"product", "transpose", "chain", "identification", "substitution"} <= set(rules)
    assert math(sd.result) == r"- 2 X^{\top} \left(y - X \beta\right)"


@pytest.mark.parametrize("name, closed", [
    ("linalg_linear_form", "a"),
    ("linalg_quadratic_form", r"\left(A + A^{\top}\right) x"),
    ("linalg_trace_ax", r"A^{\top}"),
    ("linalg_logdet", r"A^{-\top}"),
    ("ml_linear_layer", r"\left(W x + b\right) x^{\top}"),
])
def test_matrix_identities_give_the_closed_forms(name, closed):
    assert math(_steps(name)[0].result) == closed


def test_where_sympy_fails_the_engine_and_the_steps_take_the_same_route():
    (sd,) = _steps("ml_ridge_trace")
    problem = load(ROOT / "derivations" / "ml_ridge_trace.toml").problem
    assert problem.derivation.method["beta"] == "differentials"   # SymPy's zero refused
    assert sd.result is not None and sd.verified     # the steps: the same closed form, checked


def test_a_wrong_rule_is_caught(monkeypatch):
    """sin' = -cos instead of cos: the step is refuted and the derivation not verified."""
    wrong = dict(steps_module.SYMPY_FACTS)
    wrong[sympy.sin] = replace(wrong[sympy.sin], partials=lambda m, y, u: (-m.cos(u),))
    monkeypatch.setattr(steps_module, "SYMPY_FACTS", wrong)
    (sd,) = _steps("calc_chain_rule")
    statuses = {s.rules: s.status for s in sd.steps}
    assert statuses[("trig", "chain")] == "wrong"
    assert not sd.ends_at_gradient and not sd.verified


def test_a_derivative_off_by_one_part_in_ten_million_is_refuted():
    x = Variable.scalar("x")
    checker = Checker(random_points([x]))
    s = x.symbol()
    assert checker.equal(2 * s, 2 * s)[0] == "confirmed"
    assert checker.equal(2 * s, 2 * s * (1 + sympy.Rational(1, 10**7)))[0] == "wrong"
    assert checker.equal(sympy.Heaviside(s) * sympy.Max(0, s), sympy.Max(0, s))[0] == \
        "confirmed"


def test_an_equality_that_cannot_be_settled_is_unjustified_not_assumed():
    q, r = sympy.symbols("q r")
    assert Checker([]).equal(q, r)[0] == "unjustified"


def test_a_tampered_matrix_step_is_caught():
    problem = load(ROOT / "derivations" / "linalg_quadratic_form.toml").problem
    (sd,) = explain_steps(problem)
    checker = MatrixChecker(problem.derivation, "x", sympy.MatrixSymbol("dx", *sd.result.shape))
    first = sd.steps[0]
    assert checker.step(first)[0] == "confirmed"
    assert checker.step(Step(first.rules, 2 * first.expr))[0] == "wrong"
    A, x = (v.symbol() for v in problem.variables)
    assert checker.gradient(2 * A * x)[0] == "wrong"        # the symmetric-A slip
    assert checker.gradient(sd.result)[0] == "confirmed"


def test_scalar_steps_of_a_multivariate_function_are_partial_derivatives():
    problem = Problem.from_text("x**2*y + sin(x*y)", [Variable.scalar("x"),
                                                      Variable.scalar("y")], "x,y")
    out = explain_steps(problem)
    assert [sd.wrt for sd in out] == ["x", "y"]
    assert r"\partial" in math(out[0].start)
    assert all(sd.verified for sd in out)


def test_steps_are_bounded_and_fall_back_to_the_engine():
    problem = Problem.from_text("x**x", [Variable.scalar("x", "positive")], "x")
    sd = scalar_steps(problem.function, problem.variables[0], problem.variables,
                      problem.gradient["x"])
    assert sd.verified
    assert len(sd.steps) <= steps_module.MAX_STEPS + 1


def test_a_function_of_entries_gets_checked_steps_not_an_internal_error(tmp_path):
    """``w[0, 0]`` of a fixed-size vector: the differential is read entry by entry."""
    f = tmp_path / "rosenbrock.toml"
    f.write_text('title = "t"\nfunction = "(1 - w[0, 0])**2 + 100*(w[1, 0] - w[0, 0]**2)**2"\n'
                 'wrt = ["w"]\n[variables]\nw = { shape = [2, 1] }\n')
    (sd,) = explain_steps(load(f).problem)
    assert sd.verified and sd.result.shape == (2, 1)
