"""Scalar verdicts without torch: ``workbench verify`` of a scalar formula never loads torch.

Proofs (:mod:`workbench.verify.corroborate`): the corroboration still catches a wrong derivative
or a wrong "proof" planted behind it (every class of mistake, 1e-7 relative included), it
compares where float64 overflows, and it hands over to autograd where it cannot say enough.

Mismatches (:mod:`workbench.verify.precise_search`): every class of planted mistake is confirmed,
shrunk to a simple point and diagnosed, mistakes far below float tolerance included; a wrong
derivative behind the search is a bug of ours."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.derive.equality import Equality
from workbench.expr import Variable, parse
from workbench.problem import Problem
from workbench.verify import corroborate, crosscheck
from workbench.verify.confirm import PreciseReference
from workbench.verify.crosscheck import CheckSettings, cross_check
from workbench.verify.evidence import ExactEvidence
from workbench.verify.strategies import SamplingPlan

ROOT = Path(__file__).resolve().parents[1]
AUTO = CheckSettings(max_examples=20, without_torch=True)
X = [Variable.scalar("x")]


def check(function, hand, variables=X, settings=AUTO):
    p = Problem.from_text(function, variables, [v.name for v in variables][:len(hand)])
    return cross_check(p, {k: parse(v, variables) for k, v in hand.items()}, settings)


def samples_of(function, variables=X, hand=None):
    p = Problem.from_text(function, variables, [v.name for v in variables])
    plan = SamplingPlan.build(p.derivation.variables, relations=False)
    return corroborate.precisely(p, hand, plan, PreciseReference(p.derivation, hand))


def verify_in_a_fresh_process(hand):
    """The verify command's JSON report and exit code, and whether torch was loaded."""
    code = ("import sys\nfrom workbench.cli import main\n"
            f"rc = main(['verify', 'x*exp(x)', '--wrt', 'x', '--hand', {hand!r}, '--json'])\n"
            "print('torch loaded' if 'torch' in sys.modules else 'no torch', rc)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    *report, last = done.stdout.strip().splitlines()
    torch, rc = last.rsplit(" ", 1)
    return json.loads("\n".join(report)), int(rc), torch


def test_verify_of_a_scalar_proof_answers_without_loading_torch():
    data, rc, torch = verify_in_a_fresh_process("(1 + x)*exp(x)")
    assert torch == "no torch" and rc == 0
    assert data["verdict"] == "match" and data["level"] == "proved"
    assert data["reference"] == "high-precision differences"
    assert data["points"] >= corroborate.MIN_POINTS
    assert "agrees with high-precision differences on" in data["how"]


@pytest.mark.parametrize("wrong", [
    "-(1 + x)*exp(x)",                 # sign
    "2*(1 + x)*exp(x)",                # factor
    "x*exp(x)",                        # a term missing
    "(1 + x)*exp(x) + 1/10**12",       # far below float tolerance near 0
    "(1 + 1/10**7)*(1 + x)*exp(x)",    # 1e-7 relative
])
def test_a_wrong_derivative_behind_a_proof_is_a_bug_of_ours(wrong):
    """The hand is the derived gradient, so the exact side proves them equal; only the
    corroboration can see that both are not the function's derivative."""
    p = Problem.from_text("x*exp(x)", X, ["x"])
    bad = parse(wrong, X)
    p.derivation.gradient["x"] = bad
    r = cross_check(p, {"x": bad}, AUTO)
    assert r.verdict == "undecided" and r.exit_code == 3, r.to_text()
    assert "high-precision differences disagree" in r.how
    assert r.counterexample["kind"] == "engine"


def test_a_wrong_proof_is_overruled_by_the_corroboration(monkeypatch):
    """An exact side that wrongly says "equal" (planted) does not make a wrong hand a match."""
    def planted(d, hand, *args):
        return {k: ExactEvidence(k, Equality("equal", method="planted")) for k in hand}
    monkeypatch.setattr(crosscheck, "exact_evidence", planted)
    r = check("x*exp(x)", {"x": "(1 + x)*exp(x) + exp(x)/10**9"})
    assert r.verdict == "mismatch" and r.exit_code == 1, r.to_text()
    assert r.counterexample["kind"] == "hand"
    assert "digit arithmetic" in r.how and "hand" in r.how


def test_points_beyond_float64_are_compared():
    """exp(x) overflows float64 above 709.8; the corroboration compares there all the same."""
    s = samples_of("exp(x)")
    assert s.points >= corroborate.MIN_POINTS and s.ranges["x"].high > 1e3
    assert s.reference == "high-precision differences"


def test_kinks_are_skipped_not_compared():
    r = check("Abs(x)", {"x": "sign(x)"})
    assert r.verdict == "match" and r.reference == "high-precision differences", r.to_text()
    assert r.skipped.get("at a kink", 0) >= 1


def test_undefined_points_are_skipped_and_named():
    s = samples_of("log(x)")
    assert s.skipped.get("not defined there", 0) > 10
    assert s.points >= corroborate.MIN_POINTS


def test_several_variables():
    v = [Variable.scalar("x"), Variable.scalar("y", "positive")]
    r = check("x*log(y) + y**2", {"x": "log(y)", "y": "x/y + 2*y"}, v)
    assert r.verdict == "match" and r.level == "proved"
    assert r.reference == "high-precision differences" and set(r.ranges) == {"x", "y"}


def test_hands_over_to_autograd_when_it_cannot_say_enough():
    """Nowhere defined on the reals: too few points, so autograd corroborates (and says so),
    and the proof carries the caveat that nothing could be compared."""
    assert samples_of("asin(2 + x**2)") is None
    r = check("asin(2 + x**2)", {"x": "2*x/sqrt(1 - (2 + x**2)**2)"})
    assert r.reference == "autograd" and r.level == "proved"
    assert any("no point could be compared" in c for c in r.reasons), r.to_text()


@pytest.mark.parametrize("settings", [CheckSettings(max_examples=20),
                                      CheckSettings(max_examples=20, without_torch=True,
                                                    dtype="float32")])
def test_autograd_unless_asked_for_and_applicable(settings):
    r = check("x*exp(x)", {"x": "(1 + x)*exp(x)"}, settings=settings)
    assert r.verdict == "match" and r.reference == "autograd" and r.points > 1000


def test_matrices_are_corroborated_by_autograd():
    v = [Variable.matrix("w", "n", 1)]
    r = check("w.T@w", {"w": "2*w"}, v)
    assert r.verdict == "match" and r.reference == "autograd"


def test_the_verify_command_takes_autograd_on_request(capsys):
    from workbench.cli import main
    code = main(["verify", "x*exp(x)", "--wrt", "x", "--hand", "(1 + x)*exp(x)", "--json",
                 "--examples", "20", "--autograd"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["reference"] == "autograd" and data["dtype"] == "float64"


# ---------------------------------------------------------------- mismatches without torch


def test_verify_of_a_wrong_scalar_hand_answers_without_loading_torch():
    data, rc, torch = verify_in_a_fresh_process("x*exp(x)")
    assert torch == "no torch" and rc == 1 and data["verdict"] == "mismatch"
    assert data["counterexample"]["point"] == {"x": 0.0}
    assert data["counterexample"]["drawn_by_hypothesis"]
    assert any("hand - true = -exp(x)" in d for d in data["diagnosis"])


@pytest.mark.parametrize("function, hand, words", [
    ("exp(-x)", "exp(-x)", "sign error"),
    ("x**3", "6*x**2", "constant factor: hand = 2 x true gradient"),
    ("x**2", "2*x*(1 + 1/10**7)", "constant factor: hand = 1.0000001 x true gradient"),
    ("Abs(x)", "1", "wrong only on part of the domain: where x < 0"),
    ("x*exp(x)", "x*exp(x)", "hand - true = -exp(x)"),
    ("log(1 + exp(x))", "1/(1 + exp(-x)) + 1/10**9", "hand - true = 1e-9"),
    ("exp(x)", "exp(x)*(1 + 1/10**12)", "constant factor: hand = 1.000000000001 x"),
    ("x**2", "2*x + 1e-300", "hand - true = 1e-300"),
])
def test_every_class_of_mistake_is_confirmed_shrunk_and_diagnosed(function, hand, words):
    r = check(function, {"x": hand})
    assert r.verdict == "mismatch" and r.exit_code == 1, r.to_text()
    assert r.reference == "the derived closed form", r.to_text()
    assert r.counterexample["kind"] == "hand" and abs(r.counterexample["point"]["x"]) <= 1
    assert any(words in d for d in r.diagnosis), r.diagnosis


def test_an_additive_error_is_not_called_a_factor():
    r = check("log(1 + exp(x))", {"x": "1/(1 + exp(-x)) + 1/10**9"})
    assert not any("factor" in d for d in r.diagnosis), r.diagnosis


def test_the_wrong_component_is_named():
    v = [Variable.scalar("x"), Variable.scalar("y")]
    r = check("x*y**2", {"x": "y**2", "y": "x*y"}, v)
    assert r.verdict == "mismatch" and r.reference == "the derived closed form"
    assert any("wrong component: d/dy wrong; d/dx right" in d for d in r.diagnosis)
    assert any("missing factor 2" in d for d in r.diagnosis)


def test_a_wrong_derivative_behind_a_mismatch_is_a_bug_of_ours():
    """The derived gradient planted wrong (2(1 + x)e^x) and a hand that differs from it: the
    counterexample is checked against high-precision differences, which contradict the
    derived gradient, not the hand."""
    p = Problem.from_text("x*exp(x)", X, ["x"])
    p.derivation.gradient["x"] = parse("2*(1 + x)*exp(x)", X)
    r = cross_check(p, {"x": parse("(1 + x)*exp(x)", X)}, AUTO)
    assert r.exit_code == 3 and r.counterexample["kind"] == "engine", r.to_text()
    # the report names what contradicted the derived gradient, and both values (not "None")
    assert "the derived gradient and high-precision differences disagree" in r.how, r.how
    values = r.counterexample["gradients"]["x"]
    assert values["hand"] == pytest.approx(2.0) and values["true"] == pytest.approx(1.0)


def test_float_tolerance_does_not_make_a_part_of_the_domain_right():
    """In torch, x*e^x for (1 + x)*e^x passes float64's absolute tolerance where e^x is tiny:
    the diagnosis asks high precision before it says "right where x < ...", and says wrong
    everywhere instead."""
    r = check("x*exp(x)", {"x": "x*exp(x)"}, settings=CheckSettings(max_examples=20))
    assert r.reference == "autograd"
    assert not any("part of the domain" in d for d in r.diagnosis), r.diagnosis
    assert any("wrong everywhere, though" in d for d in r.diagnosis), r.diagnosis


@pytest.mark.parametrize("seconds", [0.0, 0.01])
def test_a_search_over_its_time_budget_still_ends_in_the_exact_mismatch(monkeypatch, seconds):
    """Out of time before any point (or while shrinking): the verdict is the exact witness's or
    the best point found so far, never an internal error of Hypothesis replaying a point."""
    from workbench.verify import precise_search
    monkeypatch.setattr(precise_search, "SECONDS", seconds)
    r = check("2**x", {"x": "x*2**(x - 1)"})
    assert r.verdict == "mismatch" and r.exit_code == 1, r.to_text()
    assert r.counterexample is not None


def test_a_function_absorbed_by_rounding_is_not_a_bug_of_ours():
    """log(1 + exp(x)) at x = -773 is 1.8e-336, which vanishes beside the 1 at any working
    precision: its differences are 0 at both steps, which must not count as a settled 0 (the
    derived exp(x)/(exp(x) + 1) would then look wrong, exit 3). Found by the property test."""
    r = check("log(exp(x) + 1)", {"x": "exp(x)/(exp(x) + 1)"})
    assert r.verdict == "match" and r.exit_code == 0, r.to_text()
    assert r.reference == "high-precision differences"


@pytest.mark.parametrize("settings", [AUTO, CheckSettings(max_examples=20)],
                         ids=["no-torch", "torch"])
def test_a_difference_hidden_beside_a_huge_value_is_an_exact_mismatch(settings):
    """exp(x) + Max(0, x - 700) for exp(x): wrong for x > 700, by far less than float64 (or
    30 digits) can see beside e^700. The difference itself, evaluated at a point past the kink,
    is the witness. It was "match (agrees on 252,607 samples)" with a caveat."""
    r = check("exp(x)", {"x": "exp(x) + Max(0, x - 700)"}, settings=settings)
    assert r.verdict == "mismatch" and r.exit_code == 1, r.to_text()
    assert "hand - true = " in r.how and r.counterexample["kind"] == "exact"
    assert r.counterexample["point"]["x"] > 700 and r.counterexample["difference"]


def test_more_examples_compare_more_points(monkeypatch):
    monkeypatch.setattr(corroborate, "SECONDS", 60.0)      # no clock in this test
    few = check("x*exp(x)", {"x": "(1 + x)*exp(x)"})
    many = check("x*exp(x)", {"x": "(1 + x)*exp(x)"},
                 settings=CheckSettings(max_examples=600, without_torch=True))
    assert few.points <= corroborate.POINTS < 2 * corroborate.POINTS < many.points
