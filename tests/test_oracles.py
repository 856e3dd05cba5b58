"""The oracle interface: autograd, finite differences and the checked oracle, on plain torch
functions (the symbolic oracle is tested with the derivation engine)."""

import pytest
import torch

from workbench.errors import GradientMismatch
from workbench.oracles import (AutogradOracle, CheckedOracle, FiniteDifferenceOracle,
                               tolerance_for)
from workbench.optim import HeavyBall


def f(p):
    x, w = p["x"], p["w"]
    flat = (torch.sin(x) * w ** 2)
    return flat.reshape(flat.shape[0], -1).sum(-1) if x.dim() == 3 else flat.sum()


def point(batch=None, dtype=torch.float64):
    g = torch.Generator().manual_seed(0)
    shape = (batch, 3, 2) if batch else (3, 2)
    return {"x": torch.randn(shape, generator=g, dtype=dtype),
            "w": torch.randn(shape, generator=g, dtype=dtype)}


def test_autograd_matches_closed_form_batched_and_single():
    for batch in (None, 5):
        p = point(batch)
        ev = AutogradOracle(f, ["x", "w"])(p, batched=batch is not None)
        torch.testing.assert_close(ev.grad["x"], torch.cos(p["x"]) * p["w"] ** 2)
        torch.testing.assert_close(ev.grad["w"], 2 * torch.sin(p["x"]) * p["w"])
        assert ev.value.shape == ((batch,) if batch else ())


def test_finite_differences_agree_with_autograd_within_their_tolerance():
    p = point(4)
    a = AutogradOracle(f, ["x", "w"])(p, batched=True)
    d = FiniteDifferenceOracle(f, ["x", "w"])(p, batched=True)
    tol = tolerance_for(torch.float64, "finite_difference")
    for k in ("x", "w"):
        assert bool(tol.close(d.grad[k], a.grad[k]).all())
        assert float((d.grad[k] - a.grad[k]).abs().max()) > 0  # really a different method


def test_finite_differences_unbatched_function_and_directional():
    single = FiniteDifferenceOracle(f, ["x"], accepts_batches=False)
    p = point()
    g = single(p).grad["x"]
    torch.testing.assert_close(g, torch.cos(p["x"]) * p["w"] ** 2, rtol=1e-6, atol=1e-8)
    d = {"x": torch.ones(3, 2, dtype=torch.float64)}
    dd = single.directional_derivative(p, d)
    torch.testing.assert_close(dd, (torch.cos(p["x"]) * p["w"] ** 2).sum(), rtol=1e-6,
                               atol=1e-8)


@pytest.mark.parametrize("factor", [1 + 1e-7, 2.001, -1.0])
def test_checked_oracle_rejects_slightly_wrong_gradient(factor):
    good = AutogradOracle(f, ["x", "w"])
    bad = AutogradOracle(lambda p: f(p) * factor, ["x", "w"], name="scaled")
    with pytest.raises(GradientMismatch) as info:
        CheckedOracle(bad, good)(point(3), batched=True)
    message = str(info.value)
    assert "d/dx" in message and "rel err" in message and "rtol" in message
    assert info.value.details["discrepancies"][0].variable in ("x", "w")


def test_checked_oracle_accepts_agreement_and_checks_every_k():
    good = AutogradOracle(f, ["x", "w"])
    fd = FiniteDifferenceOracle(f, ["x", "w"])
    checked = CheckedOracle(good, fd, every=2)
    for _ in range(4):
        checked(point(2), batched=True)
    assert checked.calls == 4 and checked.checks == 2


def test_float32_tolerances_are_looser_but_still_catch_errors():
    p = point(3, torch.float32)
    good = AutogradOracle(f, ["x", "w"])
    CheckedOracle(good, FiniteDifferenceOracle(f, ["x", "w"]))(p, batched=True)
    with pytest.raises(GradientMismatch):
        CheckedOracle(AutogradOracle(lambda q: f(q) * 1.01, ["x", "w"]), good)(p, batched=True)


@pytest.mark.parametrize("nesterov", [False, True])
def test_heavy_ball_reproduces_torch_sgd(nesterov):
    w = torch.randn(7, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    w_torch = w.clone().requires_grad_(True)
    sgd = torch.optim.SGD([w_torch], lr=0.01, momentum=0.9, nesterov=nesterov)
    hb, ours = HeavyBall(0.01, 0.9, nesterov=nesterov), {"w": w.clone()}
    oracle = AutogradOracle(lambda p: (p["w"] ** 4).sum(), ["w"])
    for _ in range(50):
        sgd.zero_grad()
        (w_torch ** 4).sum().backward()
        sgd.step()
        hb.step(ours, oracle(ours).grad)
    torch.testing.assert_close(ours["w"], w_torch.detach(), rtol=0, atol=1e-12)
