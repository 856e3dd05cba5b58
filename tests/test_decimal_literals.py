"""Decimal literals as ML formulas write them (GELU's 0.044715, a 1e-5 epsilon, a 0.5 factor):
the literal is the decimal written, on every route, so a right hand matches and a wrong one is
a mismatch (exit 1), never "a bug in the workbench" (exit 3) from rounding the constant.

Routes: the scalar check without torch (30-digit arithmetic), the torch search in float64 and
float32, matrices of symbolic sizes, a derivation file, and the computational graph. Before
decimals were exact, the right GELU hand was exit 3 (the derived 3*0.044715 rounded once more
than the function's 0.044715, a gap of 1e-20 relative) and the wrong one exit 3 too."""

import functools
import json
import textwrap

import pytest

from workbench.cli import main
from workbench.expr import Variable, parse
from workbench.expr.printing import plain
from workbench.problem import Problem
from workbench.verify.crosscheck import CheckSettings, cross_check
from workbench.verify.runner import check_file

X = [Variable.scalar("x")]
INNER = "sqrt(2/pi)*(x + 0.044715*x**3)"
GELU = f"x*(1 + tanh({INNER}))/2"
GELU_RIGHT = f"(1 + tanh({INNER}))/2 + x*(1 - tanh({INNER})**2)*sqrt(2/pi)*(1 + 3*0.044715*x**2)/2"
GELU_WRONG = GELU_RIGHT.replace("3*0.044715", "0.044715")           # the 3 dropped

SCALAR_CASES = [                       # (function, right hand, wrong hand)
    (GELU, GELU_RIGHT, GELU_WRONG),
    ("x/sqrt(x**2 + 1e-5)", "1e-5/(x**2 + 1e-5)**1.5", "1/sqrt(x**2 + 1e-5)"),
    ("0.5*(x - 0.3)**2", "x - 0.3", "0.5*(x - 0.3)"),
    ("log(1 + 1e-5*exp(x))", "1e-5*exp(x)/(1 + 1e-5*exp(x))", "1e-5*exp(x)/(1 + exp(x))"),
]
ROUTES = {
    "no-torch": CheckSettings(max_examples=20, without_torch=True),
    "torch-float64": CheckSettings(max_examples=20),
    "torch-float32": CheckSettings(max_examples=20, dtype="float32"),
}


@functools.lru_cache(maxsize=None)
def problem(function, variables=tuple(X)):
    """One derivation per function for all routes and hands (GELU's takes SymPy 2 s)."""
    return Problem.from_text(function, list(variables), [variables[-1].name])


def check(function, hand, variables=X, settings=ROUTES["no-torch"]):
    p = problem(function, tuple(variables))
    return cross_check(p, {p.wrt[0]: parse(hand, variables)}, settings)


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("function, right, wrong", SCALAR_CASES,
                         ids=["gelu", "epsilon", "half", "scaled-softplus"])
def test_decimal_constants_right_and_wrong_hands_on_every_scalar_route(route, function, right,
                                                                        wrong):
    ok = check(function, right, settings=ROUTES[route])
    assert ok.verdict == "match" and ok.exit_code == 0, ok.to_text()
    bad = check(function, wrong, settings=ROUTES[route])
    assert bad.verdict == "mismatch" and bad.exit_code == 1, bad.to_text()


def test_decimal_constants_in_matrices():
    v = [Variable.matrix("X", "n", "p"), Variable.matrix("y", "n", 1),
         Variable.matrix("w", "p", 1)]
    f = "0.5*sum((X@w - y)**2)/n + 1e-5*sum(w**2)"
    ok = check(f, "X.T@(X@w - y)/n + 2e-5*w", v, CheckSettings(max_examples=20))
    assert ok.verdict == "match" and ok.exit_code == 0, ok.to_text()
    bad = check(f, "X.T@(X@w - y)/n + 1e-5*w", v, CheckSettings(max_examples=20))
    assert bad.verdict == "mismatch" and bad.exit_code == 1, bad.to_text()


@pytest.mark.parametrize("hand, status", [(GELU_RIGHT, "ok"), (GELU_WRONG, "expected mismatch")])
def test_decimal_constants_in_a_derivation_file(tmp_path, hand, status):
    expect = "match" if status == "ok" else "mismatch"
    path = tmp_path / "gelu.toml"
    path.write_text(textwrap.dedent(f'''
        title = "GELU, tanh approximation"
        function = "{GELU}"
        wrt = ["x"]
        expect = "{expect}"
        [variables]
        x = "real"
        [hand]
        x = "{hand}"
        '''))
    r = check_file(path, CheckSettings(max_examples=20))
    assert r.ok and r.status == status, r.to_dict()


def test_both_routes_of_the_graph_read_the_same_decimal(capsys):
    code = main(["trace", "0.5*x**2 + 0.044715*x**3", "--at", "x=0.3", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["agree"] and data["exact"], data
    assert data["gradient"]["x"]["exact"] == "6241461/20000000"          # 0.3 + 3*0.044715*0.09
    assert data["symbolic"]["x"]["value"]["exact"] == "6241461/20000000"


def test_the_printed_gradient_keeps_the_decimals_and_reads_back():
    p = problem(GELU, tuple(X))
    text = plain(p.derivation.gradient["x"])
    assert "0.134145*x**2" in text and "0.044715*x**3" in text, text
    assert parse(text, X) == p.derivation.gradient["x"]
