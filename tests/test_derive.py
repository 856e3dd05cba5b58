"""Symbolic derivation: scalar gradients, matrix calculus, and the explicit-size guard catching
SymPy's wrong matrix results."""

import sympy
import torch

from workbench.derive import derive_gradient, make_explicit
from workbench.derive.explicit import explicit_matrix
from workbench.expr import Variable, parse
from workbench.problem import Problem

LS = [Variable.matrix("X", "n", "p"), Variable.matrix("y", "n", 1),
      Variable.matrix("beta", "p", 1), Variable.scalar("lam", "positive")]


def test_scalar_gradient_of_2_to_the_x():
    x = Variable.scalar("x")
    d = derive_gradient(parse("2**x", [x]), [x], ["x"])
    assert sympy.simplify(d.gradient["x"] - 2**x.symbol() * sympy.log(2)) == 0
    assert d.method == {"x": "scalar"}


def test_least_squares_matrix_calculus_closed_form():
    d = derive_gradient(parse("(X@beta - y).T@(X@beta - y)/n", LS), LS, ["beta"])
    assert d.method["beta"] == "matrix-calculus"
    assert "X.T" in str(d.gradient["beta"])
    sizes = {"n": 3, "p": 2}
    explicit = make_explicit(d.gradient["beta"], LS, sizes)
    diff = (explicit - d.explicit(sizes)["beta"]).applyfunc(sympy.expand)
    assert diff == sympy.zeros(2, 1)


def test_sympy_silent_zero_for_ridge_with_trace_is_caught():
    f = parse("(X@beta - y).T@(X@beta - y) + lam*Trace(beta.T@beta)", LS)
    beta = LS[2].symbol()
    assert sympy.diff(f, beta) == sympy.ZeroMatrix(*beta.shape) or \
        sympy.diff(f, beta).is_ZeroMatrix, "SymPy fixed its bug: keep the guard, update test"
    d = derive_gradient(f, LS, ["beta"])
    # SymPy's zero is refused; matrix differentials give the closed form, itself guarded
    assert d.method["beta"] == "differentials"
    assert any("disagrees" in n for n in d.notes)
    lam, X, y = LS[3].symbol(), LS[0].symbol(), LS[1].symbol()
    sizes = {"n": 3, "p": 2}
    want = make_explicit(2 * lam * beta + 2 * X.T * (X * beta - y), LS, sizes)
    assert (make_explicit(d.gradient["beta"], LS, sizes) - want).applyfunc(sympy.expand) == \
        sympy.zeros(2, 1)
    # the closed form is right: compare with autograd at a random point
    p = Problem(f, tuple(LS), ("beta",))
    g = torch.Generator().manual_seed(0)
    point = {"X": torch.randn(4, 3, generator=g, dtype=torch.float64),
             "y": torch.randn(4, 1, generator=g, dtype=torch.float64),
             "beta": torch.randn(3, 1, generator=g, dtype=torch.float64),
             "lam": torch.tensor(0.7, dtype=torch.float64)}
    sym = p.oracle("symbolic")(point).grad["beta"]
    auto = p.oracle("autograd")(point).grad["beta"]
    torch.testing.assert_close(sym, auto, rtol=1e-10, atol=1e-12)
    assert float(sym.abs().max()) > 0


def test_logdet_zero_and_raising_cases_fall_back():
    a = Variable.matrix("A", "n", "n", "spd")
    d = derive_gradient(parse("logdet(A)", [a]), [a], ["A"])
    assert d.method["A"] == "differentials"            # SymPy's own answer is refused
    A = sympy.Matrix(explicit_matrix(a, {"n": 2}))
    wrong = (make_explicit(d.gradient["A"], [a], {"n": 2}) - A.inv().T).applyfunc(
        sympy.simplify)
    assert wrong == sympy.zeros(2, 2)                        # d/dA log det A = A^-T
    d = derive_gradient(parse("trace(relu(A))", [a]), [a], ["A"])
    assert d.method["A"] == "explicit" and d.gradient["A"] is None   # no route: explicit
    got = d.explicit({"n": 2})["A"]
    assert got.shape == (2, 2) and got[0, 0].has(sympy.sign) and got[0, 1] == 0
    x = Variable.matrix("x", "n", 1)
    d = derive_gradient(parse("(x.T@x)**2", [x]), [x], ["x"])
    # whichever route was taken, the gradient it gives is 4 (x^T x) x
    for sizes in ({"n": 3}, {"n": 4}):
        got = d.explicit(sizes)["x"] if d.gradient["x"] is None else \
            make_explicit(d.gradient["x"], [x], sizes)
        xs = sympy.Matrix(explicit_matrix(x, sizes))
        assert (got - 4 * (xs.T @ xs)[0, 0] * xs).applyfunc(sympy.expand) == \
            sympy.zeros(sizes["n"], 1)


def test_symbolic_oracle_batches_over_sizes_read_from_tensors():
    p = Problem.from_text("(X@beta - y).T@(X@beta - y)/n", LS[:3], ["beta"])
    oracle = p.oracle("symbolic")
    for n, pdim in [(5, 2), (3, 4)]:
        g = torch.Generator().manual_seed(n)
        X = torch.randn(7, n, pdim, generator=g, dtype=torch.float64)
        y = torch.randn(7, n, 1, generator=g, dtype=torch.float64)
        beta = torch.randn(7, pdim, 1, generator=g, dtype=torch.float64)
        ev = oracle({"X": X, "y": y, "beta": beta}, batched=True)
        want = 2 * X.transpose(-1, -2) @ (X @ beta - y) / n
        torch.testing.assert_close(ev.grad["beta"], want)
        assert ev.value.shape == (7,)


def test_checked_oracle_from_problem_agrees():
    p = Problem.from_text("log(1 + exp(-a*x))", [Variable.scalar("x"),
                                                  Variable.scalar("a", "positive")], ["x", "a"])
    point = {"x": torch.tensor(0.3, dtype=torch.float64), "a": torch.tensor(2.0,
                                                                            dtype=torch.float64)}
    ev = p.oracle("checked")(point)
    assert set(ev.grad) == {"x", "a"}
    s = 1 / (1 + torch.exp(point["a"] * point["x"]))       # d/dx = -a s, d/da = -x s
    torch.testing.assert_close(ev.grad["x"], -point["a"] * s, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(ev.grad["a"], -point["x"] * s, rtol=1e-10, atol=1e-12)


def test_an_elementwise_function_of_scaled_scores_is_written_out():
    """exp.(K@q/sqrt(d)) keeps its scalar factor through SymPy's doit, which then left it (and a
    softmax's normalising sum) unevaluated at explicit sizes: no derivative, attention undecided."""
    v = [Variable.matrix("K", "n", "d"), Variable.matrix("q", "d", 1)]
    e = make_explicit(parse("sum(exp(K@q/sqrt(d)))", v), v, {"n": 3, "d": 2})
    assert not e.has(sympy.Trace) and not e.atoms(sympy.MatrixExpr), e
    K, q = explicit_matrix(v[0], {"n": 3, "d": 2}), explicit_matrix(v[1], {"n": 3, "d": 2})
    want = sum(sympy.exp((K @ q)[i, 0] / sympy.sqrt(2)) for i in range(3))
    assert sympy.simplify(e - want) == 0
