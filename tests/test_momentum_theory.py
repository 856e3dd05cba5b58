"""Theory from the symbolic Hessian: the Hessian itself, the optima against brute force, and
the convergence region against the spectral radius and against actual runs."""

import math

import pytest
import sympy
import torch

from workbench.errors import UnsupportedExpression, UserError
from workbench.momentum import theory
from workbench.momentum.analysis import derive_spectrum
from workbench.momentum.descent import expand, fit_rate, run_heavy_ball
from workbench.momentum.problem import VARIABLES, LeastSquareData, make_oracle

X, Y, BETA = (v.symbol() for v in VARIABLES)
N = sympy.Symbol("n", integer=True, positive=True)


@pytest.fixture(scope="module", params=[None, 100.0], ids=["course", "kappa100"])
def case(request):
    data = LeastSquareData.generate(kappa=request.param)
    return data, *derive_spectrum(data)


def test_hessian_is_two_xtx_over_n_and_matches_element_symbols(case):
    data, expr, hessian, spectrum = case
    assert expr == 2 * X.T * X / N
    # elementwise: the loss written with explicit coefficients b0..b(p-1), differentiated twice
    b = sympy.symbols(f"b0:{data.p}", real=True)
    xs = sympy.Matrix(data.X.tolist())
    r = xs * sympy.Matrix(b) - sympy.Matrix(data.y.tolist())
    loss = (r.T * r)[0, 0] / data.n
    explicit = torch.tensor(sympy.hessian(loss, b).tolist(), dtype=torch.float64)
    torch.testing.assert_close(hessian, explicit, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(hessian, 2 * data.X.T @ data.X / data.n, rtol=1e-12, atol=1e-12)


def test_kappa_data_has_exactly_that_condition_number():
    for kappa in (1.0, 100.0, 1e6):
        _, _, spectrum = derive_spectrum(LeastSquareData.generate(n=20, features=4,
                                                                  kappa=kappa))
        assert spectrum.kappa == pytest.approx(kappa, rel=1e-8)
        assert spectrum.lam_max == pytest.approx(2.0, rel=1e-10)


def test_the_momentum_hessian_is_the_one_derive_order_2_gives(capsys):
    from workbench.cli import main
    from workbench.momentum.problem import symbolic_problem
    expr = theory.hessian_expression(symbolic_problem().function, VARIABLES[2], VARIABLES)
    assert main(["derive", "(X@beta - y).T@(X@beta - y)/n", "--matrix", "X=n,p",
                 "--matrix", "y=n,1", "--matrix", "beta=p,1", "--wrt", "beta", "--order", "2",
                 "--json"]) == 0
    import json
    assert json.loads(capsys.readouterr().out)["derived"] == "(2/n)*X.T@X"
    assert expr == 2 * X.T * X / N


def test_a_wrong_sympy_hessian_is_refused_and_the_differentials_give_the_right_one(monkeypatch):
    from workbench.derive import higher
    from workbench.momentum.problem import symbolic_problem
    monkeypatch.setattr(higher, "_sympy_jacobian", lambda inner, x: ((2.001 / N) * X.T * X, None))
    expr = theory.hessian_expression(symbolic_problem().function, VARIABLES[2], VARIABLES)
    assert expr == 2 * X.T * X / N


def test_no_closed_hessian_is_unsupported(monkeypatch):
    from workbench.derive import higher
    from workbench.momentum.problem import symbolic_problem
    wrong = lambda inner, x: ((2.001 / N) * X.T * X, None)      # noqa: E731
    monkeypatch.setattr(higher, "_sympy_jacobian", wrong)
    monkeypatch.setattr(higher, "_differential_jacobian", wrong)
    with pytest.raises(UnsupportedExpression, match="no closed-form Hessian"):
        theory.hessian_expression(symbolic_problem().function, VARIABLES[2], VARIABLES)


def test_non_quadratic_loss_is_refused():
    f = sympy.Trace(sympy.HadamardPower(BETA, 4).T * sympy.OneMatrix(*BETA.shape))
    with pytest.raises(UnsupportedExpression, match="not quadratic"):
        theory.hessian_expression(f, VARIABLES[2], VARIABLES)


def test_singular_hessian_is_a_user_error():
    with pytest.raises(UserError, match="not strongly convex"):
        theory.Spectrum.of(torch.tensor([[1.0, 1.0], [1.0, 1.0]], dtype=torch.float64))


def test_spectral_radius_matches_the_roots_of_the_characteristic_polynomial(case):
    _, _, _, spectrum = case
    g = torch.Generator().manual_seed(0)
    lr = 4 / spectrum.lam_max * torch.rand(50, generator=g, dtype=torch.float64)
    rho = torch.rand(50, generator=g, dtype=torch.float64)
    lam = spectrum.eigenvalues.unsqueeze(0)
    b = (1 + rho.unsqueeze(1) - lr.unsqueeze(1) * lam).to(torch.complex128)
    disc = torch.sqrt(b * b - 4 * rho.unsqueeze(1))
    roots = torch.maximum(((b + disc) / 2).abs(), ((b - disc) / 2).abs()).amax(1)
    torch.testing.assert_close(theory.spectral_radius(spectrum, lr, rho), roots,
                               rtol=1e-7, atol=1e-9)


def test_optima_beat_a_brute_force_search_of_the_spectral_radius(case):
    _, _, _, spectrum = case
    gd, polyak = theory.gd_optimum(spectrum), theory.polyak_optimum(spectrum)
    # gradient descent: minimise over the step only
    lrs = torch.linspace(1e-4, 2 / spectrum.lam_max, 4001, dtype=torch.float64)
    radius = theory.spectral_radius(spectrum, lrs, torch.zeros(()))
    best = int(radius.argmin())
    assert float(radius[best]) == pytest.approx(gd.rate, abs=1e-3)
    assert float(lrs[best]) == pytest.approx(gd.lr, rel=1e-3)
    assert float(radius.min()) >= gd.rate - 1e-12
    # heavy ball: minimise over (step, momentum) on a grid zooming in on its best point
    lr_lo, lr_hi, rho_lo, rho_hi = 1e-3, 4 / spectrum.lam_max, 0.0, 0.999
    for _ in range(4):
        lrs = torch.linspace(lr_lo, lr_hi, 101, dtype=torch.float64)
        rhos = torch.linspace(rho_lo, rho_hi, 101, dtype=torch.float64)
        radius = theory.spectral_radius(spectrum, lrs.unsqueeze(0), rhos.unsqueeze(1))
        assert float(radius.min()) >= polyak.rate - 1e-7      # nothing beats Polyak
        i, j = divmod(int(radius.argmin()), len(lrs))
        dl, dr = 5 * float(lrs[1] - lrs[0]), 5 * float(rhos[1] - rhos[0])
        lr_lo, lr_hi = float(lrs[j]) - dl, float(lrs[j]) + dl
        rho_lo, rho_hi = max(0.0, float(rhos[i]) - dr), float(rhos[i]) + dr
    assert float(radius.min()) == pytest.approx(polyak.rate, rel=1e-3)
    assert float(lrs[j]) == pytest.approx(polyak.lr, rel=1e-3)
    assert float(rhos[i]) == pytest.approx(polyak.momentum, rel=1e-3)
    assert float(theory.spectral_radius(spectrum, polyak.lr, polyak.momentum)) == \
        pytest.approx(polyak.rate, rel=1e-6)
    k = spectrum.kappa
    assert polyak.rate == pytest.approx((math.sqrt(k) - 1) / (math.sqrt(k) + 1), rel=1e-12)


def test_convergence_region_is_where_the_spectral_radius_is_below_one(case):
    _, _, _, spectrum = case
    lrs = torch.linspace(0.01, 4.5 / spectrum.lam_max, 97, dtype=torch.float64)
    rhos = torch.linspace(-0.95, 1.05, 89, dtype=torch.float64)
    radius = theory.spectral_radius(spectrum, lrs.unsqueeze(0), rhos.unsqueeze(1))
    region = theory.converges(spectrum, lrs.unsqueeze(0), rhos.unsqueeze(1))
    clear = (radius - 1).abs() > 1e-6               # off the boundary itself
    assert torch.equal(region[clear], (radius < 1)[clear])


@pytest.mark.parametrize("momentum", [0.0, 0.3, 0.9])
def test_just_inside_the_boundary_converges_and_just_outside_diverges(case, momentum):
    data, _, _, spectrum = case
    edge = float(theory.boundary_lr(spectrum, momentum))
    lr = torch.tensor([edge * 0.99, edge * 1.01], dtype=torch.float64).reshape(2, 1, 1)
    start = data.centred_point(torch.zeros(data.p, 1, dtype=torch.float64))
    run = run_heavy_ball(make_oracle("autograd"), expand(start, 2), lr, momentum, 400,
                         batched=True)
    rate = fit_rate(run.losses)
    assert bool(theory.converges(spectrum, edge * 0.99, momentum))
    assert not bool(theory.converges(spectrum, edge * 1.01, momentum))
    assert float(rate[0]) < 1 and float(run.losses[0, -1]) < float(run.losses[0, 0])
    assert float(rate[1]) > 1 and float(run.losses[1, -1]) > float(run.losses[1, 0])


def test_momentum_one_is_the_other_boundary(case):
    data, _, _, spectrum = case
    lr = 0.5 / spectrum.lam_max
    mom = torch.tensor([0.995, 1.005], dtype=torch.float64).reshape(2, 1, 1)
    start = data.centred_point(torch.zeros(data.p, 1, dtype=torch.float64))
    run = run_heavy_ball(make_oracle("autograd"), expand(start, 2), lr, mom, 1000,
                         batched=True)
    rate = fit_rate(run.losses)
    assert list(theory.converges(spectrum, lr, mom.reshape(2)).tolist()) == [True, False]
    assert float(rate[0]) < 1 < float(rate[1])
