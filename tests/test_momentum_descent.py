"""The heavy ball on a gradient oracle: it is torch.optim.SGD step for step, batches are
independent runs, and rates are read correctly off a loss curve."""

import math

import pytest
import torch

from workbench.errors import UserError
from workbench.momentum import (LeastSquare, LeastSquareData, fit_rate, make_oracle,
                                mean_squared_loss, run_heavy_ball)
from workbench.momentum.descent import expand
from workbench.momentum.problem import torch_sgd_run

STEP_TOL = 1e-12


@pytest.fixture(scope="module")
def ill_data():
    return LeastSquareData.generate(n=12, features=3, seed=1, kappa=50)


@pytest.mark.parametrize("oracle", ["symbolic", "autograd"])
@pytest.mark.parametrize("lr,momentum,nesterov", [(0.2, 0.0, False), (1.0, 0.3, False),
                                                  (0.7, 0.9, False), (0.6, 0.3, True),
                                                  (0.5, 0.9, True)])
def test_heavy_ball_on_oracle_is_torch_sgd_step_for_step(ill_data, oracle, lr, momentum,
                                                         nesterov):
    steps = 60
    want = torch_sgd_run(ill_data, lr, momentum, steps, nesterov, keep_params=True)
    start = ill_data.point(torch.zeros(ill_data.p, 1, dtype=torch.float64))
    run = run_heavy_ball(make_oracle(oracle), start, lr, momentum, steps, nesterov=nesterov,
                         keep_params=True)
    assert run.params.shape == want.params.shape
    assert float((run.params - want.params).abs().max()) <= STEP_TOL
    assert float((run.losses - want.losses).abs().max()) <= STEP_TOL
    assert float(run.losses[-1]) < float(run.losses[0])    # it really optimises


def test_sgd_comparison_notices_a_different_update(ill_data):
    """The 1e-12 comparison is sharp: a momentum off by 1e-6 is caught."""
    want = torch_sgd_run(ill_data, 1.0, 0.3, 60, keep_params=True)
    start = ill_data.point(torch.zeros(ill_data.p, 1, dtype=torch.float64))
    run = run_heavy_ball(make_oracle("autograd"), start, 1.0, 0.3 + 1e-6, 60, keep_params=True)
    assert float((run.params - want.params).abs().max()) > STEP_TOL


def test_batched_run_equals_separate_runs(ill_data):
    settings = [(0.2, 0.0), (1.0, 0.3), (0.5, 0.9)]
    start = ill_data.point(torch.zeros(ill_data.p, 1, dtype=torch.float64))
    oracle = make_oracle("symbolic")
    lr = torch.tensor([s[0] for s in settings], dtype=torch.float64).reshape(-1, 1, 1)
    mom = torch.tensor([s[1] for s in settings], dtype=torch.float64).reshape(-1, 1, 1)
    batched = run_heavy_ball(oracle, expand(start, len(settings)), lr, mom, 30, batched=True)
    for i, (a, m) in enumerate(settings):
        single = run_heavy_ball(oracle, start, a, m, 30)
        torch.testing.assert_close(batched.losses[i], single.losses, rtol=1e-12, atol=1e-14)
    assert torch.equal(start["beta"], torch.zeros(ill_data.p, 1, dtype=torch.float64))


def test_course_class_returns_one_loss_per_iteration_and_momentum_helps():
    ls = LeastSquare()
    plain = ls.optimize(lr=0.2)
    heavy = ls.optimize(nb_iterations=40, momentum=0.3, lr=1.0)
    assert len(plain) == len(heavy) == 40
    assert heavy[0] == pytest.approx(plain[0])                     # both start at beta = 0
    assert heavy[10] - ls.data.loss_star < plain[10] - ls.data.loss_star
    assert heavy[-1] == pytest.approx(ls.data.loss_star, rel=1e-9)


def test_centred_problem_loss_is_the_excess_loss(ill_data):
    beta = torch.randn(ill_data.p, 1, generator=torch.Generator().manual_seed(3),
                       dtype=torch.float64)
    excess = float(mean_squared_loss(ill_data.point(beta))) - ill_data.loss_star
    centred = float(mean_squared_loss(ill_data.centred_point(beta)))
    assert centred == pytest.approx(excess, rel=1e-10)


@pytest.mark.parametrize("rate", [0.05, 0.5, 0.97, 0.9999, 1.02])
def test_fit_rate_reads_the_rate_of_a_squared_error(rate):
    k = torch.arange(300, dtype=torch.float64)
    excess = 3.0 * rate ** (2 * k)
    assert float(fit_rate(excess)) == pytest.approx(rate, rel=1e-9)


def test_fit_rate_flattens_oscillations_and_ignores_the_floor():
    k = torch.arange(400, dtype=torch.float64)
    rate, theta = 0.9, 0.3
    excess = rate ** (2 * k) * (torch.cos(theta * k) ** 2 + 1e-30)      # complex roots
    assert float(fit_rate(excess)) == pytest.approx(rate, rel=5e-3)
    fast = 0.01 ** (2 * k)                                              # below 1e-280 at once
    assert math.isnan(float(fit_rate(fast)))


def test_bad_iterations_are_a_user_error(ill_data):
    start = ill_data.point(torch.zeros(ill_data.p, 1, dtype=torch.float64))
    with pytest.raises(UserError, match="positive integer"):
        run_heavy_ball(make_oracle("autograd"), start, 0.1, 0.0, 0)
