"""Backprop by hand: each layer rule against SymPy and autograd, the derived oracle against
autograd on the whole course Net, 200 training steps step for step, and wrong rules caught."""

import dataclasses
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from workbench.backprop import DerivedBackpropOracle, rules
from workbench.backprop.derivation import EXAMPLES, derive_layer
from workbench.cifar.data import FOLDER, Split, UnofficialDataWarning, load, write_folder
from workbench.cifar.net import make_net
from workbench.cifar.oracle import NetworkAutogradOracle, make_oracle, network_point
from workbench.cifar.recipes import RECIPES
from workbench.cifar.train import TrainConfig, train
from workbench.errors import GradientMismatch, UserError
from workbench.oracles import CheckedOracle, Tolerance, compare_gradients, tolerance_for
from workbench.optim import HeavyBall

# Issue 7 asks for 1e-10 in float64 (stricter than the table's rtol 1e-8 for exact gradients)
# and the table's 1e-4 relative in float32.
AGREEMENT = {torch.float64: Tolerance(rtol=1e-10, atol=1e-12),
             torch.float32: tolerance_for(torch.float32, "exact")}

AUTOGRAD_LAYERS = {
    "linear": lambda x, p: F.linear(x, p["weight"], p["bias"]),
    "relu": lambda x, p: torch.relu(x),
    "maxpool2": lambda x, p: F.max_pool2d(x, 2, 2),
    "conv2d": lambda x, p: F.conv2d(x, p["weight"], p["bias"]),
    "flatten": lambda x, p: torch.flatten(x, 1),
}
"""Each rule's layer as torch computes it, the reference for autograd's VJPs."""


def wrong(kind: str, backward) -> rules.Rule:
    """The rule for ``kind`` with its backward replaced."""
    return dataclasses.replace(rules.RULES[kind], backward=backward)


def transposed_weight_grad(g, saved, need_input):
    """The linear rule with the classic slip: dW = xᵀ g, the transpose of gᵀ x."""
    dx, grads = rules.linear_backward(g, saved, need_input)
    return dx, {**grads, "weight": saved[0].T @ g}


def transposed_then_reshaped(g, saved, need_input):
    """The same slip hidden by a reshape: right shape, wrong values."""
    dx, grads = rules.linear_backward(g, saved, need_input)
    return dx, {**grads, "weight": (saved[0].T @ g).reshape(saved[1].shape)}


def slightly_scaled_conv(g, saved, need_input):
    dx, grads = rules.conv2d_backward(g, saved, need_input)
    return dx, {**grads, "weight": grads["weight"] * (1 + 1e-7)}


# --- each rule derived with SymPy ------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_sympy_derivation_equals_the_rule(kind):
    d = derive_layer(kind)
    assert d.ok, d.mismatches
    assert set(d.gradients) == {"x", *rules.RULES[kind].params}


def test_every_rule_has_a_derivation():
    assert set(EXAMPLES) == set(rules.RULES)


@pytest.mark.parametrize("kind, backward, named", [
    ("linear", transposed_weight_grad, "d<g, y>/dweight: rule gives shape (3, 4), SymPy (4, 3)"),
    ("linear", transposed_then_reshaped, "d<g, y>/dweight["),
    ("conv2d", slightly_scaled_conv, "d<g, y>/dweight["),
])
def test_sympy_derivation_rejects_a_wrong_rule(monkeypatch, kind, backward, named):
    monkeypatch.setitem(rules.RULES, kind, wrong(kind, backward))
    d = derive_layer(kind)
    assert not d.ok
    assert any(named in m for m in d.mismatches), d.mismatches
    assert all("dweight" in m for m in d.mismatches)


# --- each rule against autograd, on Hypothesis sizes and values -------------------------------

dtypes = st.sampled_from([torch.float64, torch.float32])


def values(draw, shape):
    return torch.from_numpy(draw(arrays(np.float64, shape,
                                        elements=st.floats(-3, 3, allow_subnormal=False))))


@st.composite
def layer_cases(draw):
    """(kind, x, params, g) for one layer at generated sizes, in a generated dtype."""
    kind = draw(st.sampled_from(sorted(AUTOGRAD_LAYERS)))
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(2, 7)), draw(st.integers(2, 7))
    params = {}
    if kind == "linear":
        x, out = values(draw, (n, c * h)), draw(st.integers(1, 5))
        params = {"weight": values(draw, (out, c * h)), "bias": values(draw, (out,))}
    else:
        x = values(draw, (n, c, h, w))
    if kind == "conv2d":
        kh, kw, out = draw(st.integers(1, h)), draw(st.integers(1, w)), draw(st.integers(1, 4))
        params = {"weight": values(draw, (out, c, kh, kw)), "bias": values(draw, (out,))}
    y = AUTOGRAD_LAYERS[kind](x, params)
    g = values(draw, tuple(y.shape))
    dtype = draw(dtypes)
    return kind, x.to(dtype), {k: v.to(dtype) for k, v in params.items()}, g.to(dtype)


def autograd_vjp(kind, x, params, g):
    inputs = {"x": x, **params}
    leaves = {k: v.clone().requires_grad_() for k, v in inputs.items()}
    with torch.enable_grad():
        y = AUTOGRAD_LAYERS[kind](leaves["x"], {k: leaves[k] for k in params})
        grads = torch.autograd.grad(y, list(leaves.values()), g)
    return dict(zip(leaves, grads))


@given(layer_cases())
def test_rule_equals_autograd(case):
    kind, x, params, g = case
    dx, grads = rules.vjp(kind, x, params, g)
    expected = autograd_vjp(kind, x, params, g)
    assert compare_gradients({"x": dx, **grads}, expected, AGREEMENT[x.dtype]) == []


@given(st.integers(1, 5), st.integers(2, 6), st.data(), dtypes)
def test_softmax_cross_entropy_rule_equals_autograd(n, k, data, dtype):
    z = values(data.draw, (n, k)).to(dtype)
    labels = torch.tensor(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    rule = rules.RULES["softmax_xent"]
    loss, saved = rule.forward(z, labels)
    dz, _ = rule.backward(torch.ones((), dtype=dtype), saved, True)
    leaf = z.clone().requires_grad_()
    want = torch.autograd.grad(F.cross_entropy(leaf, labels), leaf)[0]
    assert compare_gradients({"z": dz}, {"z": want}, AGREEMENT[dtype]) == []
    assert bool(AGREEMENT[dtype].close(loss, F.cross_entropy(z, labels)))


# --- the whole Net ----------------------------------------------------------------------------

def random_point(net, batch, dtype, seed):
    gen = torch.Generator().manual_seed(seed)
    params = {k: v.detach().to(dtype) for k, v in net.named_parameters()}
    return network_point(params, torch.randn(batch, 3, 32, 32, generator=gen, dtype=dtype),
                         torch.randint(0, 10, (batch,), generator=gen))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("batch, seed", [(1, 0), (3, 1), (8, 2)])
def test_net_gradients_equal_autograd(dtype, batch, seed):
    net = make_net(seed)
    point = random_point(net, batch, dtype, seed)
    derived = DerivedBackpropOracle(net)(point)
    expected = NetworkAutogradOracle(net)(point)
    assert derived.grad.keys() == expected.grad.keys() == dict(net.named_parameters()).keys()
    assert compare_gradients(derived.grad, expected.grad, AGREEMENT[dtype]) == []
    assert bool(AGREEMENT[dtype].close(derived.value, expected.value))
    assert derived.value.dtype == dtype and derived.grad["conv1.weight"].dtype == dtype


def test_batched_points_are_answered_one_by_one():
    net = make_net(0)
    points = [random_point(net, 2, torch.float64, s) for s in (3, 4)]
    stacked = {k: torch.stack([p[k] for p in points]) for k in points[0]}
    ev = DerivedBackpropOracle(net)(stacked, batched=True)
    for i, p in enumerate(points):
        one = DerivedBackpropOracle(net)(p)
        torch.testing.assert_close(ev.value[i], one.value, rtol=0, atol=0)
        torch.testing.assert_close(ev.grad["fc1.weight"][i], one.grad["fc1.weight"])


def test_another_network_is_refused_with_a_user_error():
    with pytest.raises(UserError, match="course's Net"):
        DerivedBackpropOracle(torch.nn.Linear(3, 2))


def train_losses(oracle_class, steps=200, batch=4, seed=0):
    """Losses of ``steps`` heavy-ball steps on a tiny generated data set (16 images)."""
    gen = torch.Generator().manual_seed(seed)
    images = torch.randn(16, 3, 32, 32, generator=gen)
    labels = torch.randint(0, 10, (16,), generator=gen)
    net = make_net(seed)
    params = dict(net.named_parameters())
    oracle, opt = oracle_class(net), HeavyBall(lr=0.01, momentum=0.9)
    losses = []
    for step in range(steps):
        rows = slice(step * batch % 16, step * batch % 16 + batch)
        ev = oracle.value_and_grad(network_point(params, images[rows], labels[rows]))
        opt.step(params, ev.grad)
        losses.append(float(ev.value))
    return torch.tensor(losses)


def test_training_with_derived_gradients_follows_autograd_step_for_step():
    derived = train_losses(DerivedBackpropOracle)
    autograd = train_losses(NetworkAutogradOracle)
    torch.testing.assert_close(derived, autograd, rtol=1e-4, atol=1e-5)
    assert derived[-20:].mean() < 0.5 * derived[:20].mean()  # it really learns


def random_split(n: int, seed: int) -> Split:
    gen = torch.Generator().manual_seed(seed)
    return Split(torch.randint(0, 256, (n, 3, 32, 32), generator=gen, dtype=torch.uint8),
                 torch.arange(n) % 10)


@pytest.mark.parametrize("recipe", ["seed", "fast"])  # fast: channels-last, onecycle, nesterov
def test_train_with_oracle_derived_matches_autograd(tmp_path, recipe):
    write_folder(tmp_path / "data" / FOLDER, random_split(32, 0), random_split(10, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnofficialDataWarning)  # generated, not CIFAR-10
        data = load(tmp_path / "data", download=False)
    assert type(make_oracle("derived", make_net(0))) is DerivedBackpropOracle
    settings = RECIPES[recipe].with_overrides(epochs=1, batch_size=8, lr=0.01)
    losses = {}
    for oracle in ("derived", "autograd"):
        config = TrainConfig(settings, seed=3, oracle=oracle)
        losses[oracle] = train(data, config, tmp_path / oracle, figures=False,
                               progress=False)["curve"]
    assert len(losses["derived"]) == 4  # (images seen, loss) every batch of 8
    torch.testing.assert_close(torch.tensor(losses["derived"]), torch.tensor(losses["autograd"]),
                               rtol=1e-4, atol=1e-5)


# --- a wrong rule is caught and named ---------------------------------------------------------

@pytest.mark.parametrize("kind, backward, dtype, named, innocent", [
    ("linear", transposed_weight_grad, torch.float32, "d/dfc1.weight: shape (400, 120)", "conv"),
    ("linear", transposed_then_reshaped, torch.float32, "d/dfc1.weight", "conv"),
    ("conv2d", slightly_scaled_conv, torch.float64, "d/dconv1.weight", "fc"),
])
def test_checked_oracle_catches_and_names_a_wrong_rule(monkeypatch, kind, backward, dtype,
                                                      named, innocent):
    net = make_net(0)
    checked = CheckedOracle(DerivedBackpropOracle(net), NetworkAutogradOracle(net))
    point = random_point(net, 4, dtype, 0)
    checked(point)
    monkeypatch.setitem(rules.RULES, kind, wrong(kind, backward))
    with pytest.raises(GradientMismatch) as info:
        checked(point)
    assert named in str(info.value)
    assert f"d/d{innocent}" not in str(info.value)
