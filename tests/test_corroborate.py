"""Proofs corroborated without torch (:mod:`workbench.verify.corroborate`): ``workbench verify``
of a scalar formula never loads torch, the corroboration still catches a wrong derivative or a
wrong "proof" planted behind it (every class of mistake, 1e-7 relative included), it compares
where float64 overflows, and it hands over to autograd where it cannot say enough."""

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
AUTO = CheckSettings(max_examples=20, corroborate="auto")
X = [Variable.scalar("x")]


def check(function, hand, variables=X, settings=AUTO):
    p = Problem.from_text(function, variables, [v.name for v in variables][:len(hand)])
    return cross_check(p, {k: parse(v, variables) for k, v in hand.items()}, settings)


def samples_of(function, variables=X, hand=None):
    p = Problem.from_text(function, variables, [v.name for v in variables])
    plan = SamplingPlan.build(p.derivation.variables, relations=False)
    return corroborate.precisely(p, hand, plan, PreciseReference(p.derivation, hand))


def test_verify_of_a_scalar_proof_answers_without_loading_torch():
    code = ("import sys\nfrom workbench.cli import main\n"
            "rc = main(['verify', 'x*exp(x)', '--wrt', 'x', '--hand', '(1 + x)*exp(x)', "
            "'--json'])\nprint('torch loaded' if 'torch' in sys.modules else 'no torch', rc)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    *report, last = done.stdout.strip().splitlines()
    assert last == "no torch 0"
    data = json.loads("\n".join(report))
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
                                      CheckSettings(max_examples=20, corroborate="auto",
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
