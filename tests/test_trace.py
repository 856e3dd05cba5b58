"""Forward and backward passes: the course's numbers exactly, summed adjoints at fan-out,
forward mode = reverse mode, every local partial = SymPy's derivative, and for the bundled
derivations trace adjoints = symbolic gradient = autograd."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import sympy
import torch

from workbench.derivation_file import load
from workbench.derive.explicit import probe_sizes
from workbench.errors import UserError
from workbench.expr import Variable
from workbench.problem import Problem
from workbench.trace import trace_derivation, trace_expression
from workbench.trace import ops as ops_module
from workbench.trace.core import exact_value
from workbench.trace.symbolic import evaluate_at
from workbench.trace.numbers import EXACT, FLOAT
from workbench.expr.sampling import typical_range

# scalar functions (a Jacobian file's function is a vector: tests/test_higher.py checks those)
DERIVATIONS = sorted(p for p in (Path(__file__).parent.parent / "derivations").glob("*.toml")
                     if not p.stem.startswith("jacobian_"))
COURSE = "-log(1/(1 + exp(-a*x)))"
TOL = 1e-12


def close(a, b, tol=TOL):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.all(np.abs(a - b) <= tol * np.maximum(1, np.abs(b)))


def autograd(text, variables, wrt, point):
    problem = Problem.from_text(text, variables, list(wrt))
    tensors = {k: torch.tensor(np.asarray(v, dtype=float), dtype=torch.float64)
               for k, v in point.items()}
    return {k: g.numpy() for k, g in problem.oracle("autograd")(tensors).grad.items()}


def test_course_example_gives_the_courses_numbers_exactly():
    t = trace_expression(COURSE, {"x": 0, "a": 3})
    chain = [r for r in t.rows if not r.node.is_input]
    assert [r.value.exact for r in chain] == [0, 1, sympy.Rational(1, 2), sympy.log(2)]
    partials = [r.partials[next(iter(r.partials)) if len(r.partials) == 1 else "x"]
                for r in chain]
    assert [p.number.exact for p in partials] == [3, -1, sympy.Rational(-1, 4), -2]
    assert [p.number.float for p in partials] == [3.0, -1.0, -0.25, -2.0]
    assert t.gradient["x"].exact == sympy.Rational(-3, 2) and t.gradient["x"].float == -1.5
    assert t.symbolic.at["x"].exact == sympy.Rational(-3, 2) and t.agrees and t.exact


def test_shared_subexpression_sums_adjoints():
    t = trace_expression("x*exp(x)", {"x": 0.5}, nodes="elementary")
    x = t.row("x")
    assert [name for name, _ in x.contributions] == ["v2", "v1"]      # two outgoing edges
    shares = [c.exact for _, c in x.contributions]
    assert sympy.simplify(sum(shares) - x.adjoint.exact) == 0
    half = sympy.Rational(1, 2)
    assert sympy.simplify(x.adjoint.exact - (sympy.exp(half) + half * sympy.exp(half))) == 0
    assert close(x.adjoint.float, 1.5 * np.exp(0.5))


@pytest.mark.parametrize("text, point", [
    (COURSE, {"x": 0, "a": 3}),
    ("x*exp(x)", {"x": 0.5}),
    ("(1 - x)**2 + 100*(y - x**2)**2", {"x": -0.3, "y": 0.7}),
    ("x**2*y + sin(x*y) / Max(x, y, 1/10)", {"x": 0.4, "y": 1.2}),
    ("log(sigma) + (x - mu)**2/(2*sigma**2)", {"x": 1, "mu": 0.25, "sigma": 1.5}),
    ("x**y + log(x, 3)*atan(y) - relu(y - x)*abs(x)", {"x": 1.7, "y": 0.6}),
])
@pytest.mark.parametrize("nodes", ["grouped", "elementary"])
def test_forward_mode_equals_reverse_mode(text, point, nodes):
    rev = trace_expression(text, point, nodes=nodes, symbolic=False)
    fwd = trace_expression(text, point, nodes=nodes, mode="forward", symbolic=False)
    for name in rev.wrt:
        assert close(fwd.gradient[name].float, rev.gradient[name].float)
        if rev.exact and fwd.exact:
            assert sympy.simplify(fwd.gradient[name].exact - rev.gradient[name].exact) == 0


_SMOOTH = [name for name, op in ops_module.OPS.items()
           if name not in ("relu", "abs", "sign", "max", "min")]


@pytest.mark.parametrize("name", _SMOOTH)
def test_every_local_partial_is_sympys_derivative_of_the_value(name):
    op = ops_module.OPS[name]
    arity = op.value.__code__.co_argcount - 1
    xs = sympy.symbols(f"x0:{arity}", positive=True)
    y = op.value(EXACT, *xs)
    constant = {"power": 1, "exponential": 0}.get(name)    # that operand is never a node
    for k, (x, p) in enumerate(zip(xs, op.partials(EXACT, y, *xs))):
        if k != constant:
            assert sympy.simplify(p - sympy.diff(y, x)) == 0, (name, x)


def test_kinks_follow_torchs_conventions():
    t = trace_expression("relu(x) + abs(x) + max(x, 0)", {"x": 0}, symbolic=False)
    tx = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (torch.relu(tx) + torch.abs(tx) + torch.maximum(tx, torch.zeros_like(tx))).backward()
    assert t.gradient["x"].float == float(tx.grad)


def test_a_slightly_wrong_rule_is_caught(monkeypatch):
    good = ops_module.OPS["exp"]
    wrong = ops_module.Elementwise(good.text, good.tex, replace(
        good.fact, partials=lambda m, y, x: (y * m.const(1.0000001),)))
    monkeypatch.setitem(ops_module.OPS, "exp", wrong)
    t = trace_expression("x*exp(x)", {"x": 0.5})
    assert t.agrees is False


def _with_point(path):
    return [p for p in DERIVATIONS if load(p).at]


@pytest.mark.parametrize("path", _with_point(DERIVATIONS), ids=lambda p: p.stem)
def test_bundled_derivations_at_their_point_trace_equals_symbolic_equals_autograd(path):
    d = load(path)
    t = trace_derivation(d)
    point = d.at[0].values
    exact = {k: exact_value(v) for k, v in point.items()}
    sizes = {dim: np.shape(point[v.name])[k] for v in d.problem.variables
             for k, dim in enumerate(v.shape or ()) if isinstance(dim, str)}
    tensors = {k: torch.tensor(np.asarray(v, dtype=float), dtype=torch.float64)
               for k, v in point.items()}
    symbolic = d.problem.oracle("symbolic")(tensors).grad
    auto = d.problem.oracle("autograd")(tensors).grad
    assert t.agrees
    for name in d.problem.wrt:
        mine = t.gradient[name].float
        assert close(mine, symbolic[name].numpy()) and close(mine, auto[name].numpy()), name
        if name in d.at[0].expect:
            want = evaluate_at(d.at[0].expect[name], np.shape(point[name]) or None,
                               d.problem.variables, exact, sizes)
            assert close(mine, want.float), name


def _point_in_domain(variables, sizes, rng):
    out = {}
    for k, v in enumerate(variables):
        dom = v.domain
        if v.is_matrix:
            shape = v.concrete_shape(sizes)
            if dom.kind == "spd":
                m = rng.uniform(-1, 1, shape)
                out[v.name] = m @ m.T + shape[0] * np.eye(shape[0])
            else:
                low, high = (0.1, 1.0) if dom.kind == "nonzero" else (max(dom.low, -1),
                                                                      min(dom.high, 1))
                out[v.name] = rng.uniform(low, high, shape)
        else:
            low, high = typical_range(dom)
            low, high = low + 0.05, high - 0.05
            out[v.name] = float(low + (0.37 + 0.11 * k) % 1 * (high - low))
    return out


@pytest.mark.parametrize("path", DERIVATIONS, ids=lambda p: p.stem)
def test_every_bundled_function_traces_to_autograds_gradient(path):
    d = load(path)
    variables, wrt = d.problem.variables, d.problem.wrt
    dims = sorted({dim for v in variables for dim in v.dim_names})
    sizes = probe_sizes(tuple(dims))[0] if dims else {}
    point = _point_in_domain(variables, sizes, np.random.default_rng(7))
    want = autograd(d.problem.text, variables, wrt, point)
    for nodes in ("grouped", "elementary"):
        t = trace_expression(d.problem.text, point, variables=variables, wrt=wrt, nodes=nodes,
                             symbolic=False)
        for name in wrt:
            assert close(t.gradient[name].float, want[name]), (nodes, name)


X = [[1, 2], [3, 4], [5, 6]]
Y = [[1], [2], [3]]
ZERO = [[0], [0]]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_least_squares_at_beta_zero_is_minus_two_xt_y(mode):
    t = trace_expression("sum((X@beta - y)**2)", {"X": X, "y": Y, "beta": ZERO},
                         wrt=["beta"], mode=mode)
    assert [r.node.text for r in t.rows if not r.node.is_input] == \
        ["X @ beta", "v1 - y", "v2**2", "sum(v3)"]
    expected = -2 * np.array(X).T @ np.array(Y)
    assert t.gradient["beta"].exact == sympy.ImmutableMatrix(expected.tolist())
    assert close(t.gradient["beta"].float, expected) and t.agrees
    if mode == "reverse":
        assert t.row("v1").partials["beta"].rule == "X.T @ g"
        assert t.row("v1").adjoint.exact == sympy.ImmutableMatrix([[-2], [-4], [-6]])


@pytest.mark.parametrize("text", [
    "det(A) + trace(A@A.T)/3", "logdet(A@A.T + B)", "inv(A)[0, 1] + mean(B)",
    "dot(A, B) + norm(A)", "sum(hadamard(A, B)*exp(A))", "sum(A**2)*tr(B)",
])
def test_matrix_operations_match_autograd(text):
    rng = np.random.default_rng(3)
    a = rng.uniform(-1, 1, (2, 2)) + 2 * np.eye(2)
    b = np.array([[2.0, 0.5], [0.5, 1.0]])
    variables = [Variable.matrix("A", 2, 2), Variable.matrix("B", 2, 2)]
    want = autograd(text, variables, ["A", "B"], {"A": a, "B": b})
    for mode in ("reverse", "forward"):
        t = trace_expression(text, {"A": a, "B": b}, variables=variables, mode=mode,
                             symbolic=False)
        assert close(t.gradient["A"].float, want["A"]) and \
            close(t.gradient["B"].float, want["B"]), mode


def test_exact_values_are_dropped_with_a_note_when_they_grow():
    t = trace_expression("sin(sin(sin(sin(sin(sin(x))))))*exp(x)", {"x": 0.7}, symbolic=False)
    assert not t.exact and t.notes and "float64 only" in t.notes[0]
    assert close(t.gradient["x"].float, autograd(
        "sin(sin(sin(sin(sin(sin(x))))))*exp(x)", [Variable.scalar("x")], ["x"],
        {"x": 0.7})["x"])


@pytest.mark.parametrize("text, point, words", [
    ("log(x)", {"x": -1}, "not defined where x = -1"),
    ("sqrt(x)", {"x": 0}, "has no derivative"),
    ("x/y", {"x": 1, "y": 0}, "division by zero"),
    ("x*y", {"x": 1}, "y missing"),
    ("x", {"x": "pi/0"}, "division by zero"),
    ("x", {"x": [[1], [2, 3]]}, "rows of equal length"),
])
def test_bad_points_raise_user_errors(text, point, words):
    with pytest.raises(UserError, match=words):
        trace_expression(text, point)


def test_number_systems_agree_on_a_matrix_rule():
    a = [[2, 1], [1, 3]]
    exact = EXACT.inv(sympy.ImmutableMatrix(a))
    assert close(np.array(exact.tolist(), dtype=float), FLOAT.inv(np.array(a, dtype=float)))
