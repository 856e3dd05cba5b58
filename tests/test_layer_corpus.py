"""The layer corpus (tests/layer_corpus.py): real layers with hand-written backward passes.

- ``test_corpus_ground_truth`` does not use the workbench: at the example and at seeded points
  it compares each Function's backward with autograd of the same forward in plain torch ops
  (``Made.reference``). A right case agrees to 1e-10 relative (and so does its backward of the
  backward); a planted bug differs by more than 1e-9 relative somewhere (below the 1e-7 of the
  rounded-constant and float32 bugs), or torch refuses the gradient's shape. Right cases also
  pass ``gradcheck`` / ``gradgradcheck`` on the benchmark's ``gc_fn``, except the recorded
  ``GRADCHECK_FALSE_ALARMS``.
- ``test_case_is_decided_right_with_its_diagnosis``: ``check_gradient`` on each case, as
  tests/test_code_corpus.py: right code matches, a planted bug is a confirmed mismatch whose
  subject or diagnosis contains its ``diagnosis_words``.
"""

from __future__ import annotations

import warnings

import pytest
import torch

from code_corpus import assert_decided_right
from layer_corpus import (BUG_CLASSES, BY_NAME, CASES, GRADCHECK_FALSE_ALARMS, KNOWN_FALSE_ALARMS,
                          KNOWN_MISSES, LAYERS)

EXAMPLES = 20
RIGHT_RTOL = 1e-10          # a right backward vs autograd of the plain forward
WRONG_RTOL = 1e-9           # a planted bug differs by more than this somewhere
POINTS = 3                  # seeded points besides the example
SLOW = {                    # over ~10 s each through check_gradient at EXAMPLES (2 CPU cores,
    "conv1d", "conv1d_kernel_not_flipped",                  # checker at 226789e): marked slow
    "lstm_cell", "lstm_forget_gate_no_sigmoid_derivative"}


# ------------------------------------------------------------------ coverage

def test_corpus_covers_every_layer_and_bug_class():
    right = [c for c in CASES if c.expect == "match"]
    planted = [c for c in CASES if c.expect == "mismatch"]
    assert {c.layer for c in right} == LAYERS            # every layer right at least once
    assert {c.layer for c in CASES} == LAYERS
    assert {c.bug for c in planted} == BUG_CLASSES
    assert all(c.bug == "correct" for c in right)
    assert all(c.expect in ("match", "mismatch") for c in CASES)
    assert all(c.note for c in planted if not c.diagnosis_words)
    for want in ("cross_entropy_mean", "cross_entropy_sum", "cross_entropy_none", "gelu_erf",
                 "gelu_tanh", "layernorm_bias_1e8", "layernorm_torch_functional"):
        assert BY_NAME[want].expect == "match"
    assert set(KNOWN_MISSES) | set(KNOWN_FALSE_ALARMS) | set(GRADCHECK_FALSE_ALARMS) | SLOW \
        <= set(BY_NAME)
    assert all(BY_NAME[n].expect == "mismatch" for n in KNOWN_MISSES)
    assert all(BY_NAME[n].expect == "match" for n in KNOWN_FALSE_ALARMS | GRADCHECK_FALSE_ALARMS)


# ------------------------------------------------------------------ ground truth (no workbench)

def _tuple(out) -> tuple:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _classes(made) -> int:
    words = made.domain.values() if isinstance(made.domain, dict) else ()
    return next((int(w.split(":")[1]) for w in words if w.startswith("labels:")), 2)


def _points(made):
    """The example, then seeded redraws of every input at its shape (floats: normal, scaled
    1, 1, 3; labels: uniform over the classes)."""
    yield made.inputs
    for k in range(POINTS):
        gen = torch.Generator().manual_seed(1000 + k)
        scale = (1.0, 1.0, 3.0)[k % 3]
        yield tuple(scale * torch.randn(x.shape, dtype=x.dtype, generator=gen)
                    if x.is_floating_point() else
                    torch.randint(0, _classes(made), x.shape, generator=gen)
                    for x in made.inputs)


def _vjp(fn, inputs, cotangents, create_graph=False):
    """Outputs and the vector-Jacobian product of every float input (zeros for None)."""
    leaves = [x.detach().clone().requires_grad_(True) if x.is_floating_point() else x
              for x in inputs]
    outs = _tuple(fn(*leaves))
    wanted = [x for x in leaves if x.is_floating_point()]
    grads = torch.autograd.grad(outs, wanted, cotangents, create_graph=create_graph,
                                allow_unused=True)
    return leaves, outs, [torch.zeros_like(x) if g is None else g for g, x in zip(grads, wanted)]


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    if a.shape != b.shape:
        return float("inf")
    scale = max(float(b.abs().max()), float(a.abs().max()), 1e-300)
    return float((a - b).abs().max()) / scale


def _second_order(fn, inputs, cotangents, gen) -> list[torch.Tensor]:
    """d/d(float inputs, cotangents) of <u, vjp(inputs, cotangents)>, u seeded: what
    gradgradcheck and check_gradient's second order look at."""
    cots = [v.clone().requires_grad_(True) for v in cotangents]
    leaves, _, grads = _vjp(fn, inputs, cots, create_graph=True)
    us = [torch.randn(g.shape, dtype=g.dtype, generator=gen) for g in grads]
    total = sum((u * g).sum() for u, g in zip(us, grads))
    wanted = [x for x in leaves if x.is_floating_point()] + cots
    if not total.requires_grad:
        return [torch.zeros_like(w) for w in wanted]
    out = torch.autograd.grad(total, wanted, allow_unused=True)
    return [torch.zeros_like(w) if g is None else g for g, w in zip(out, wanted)]


def ground_truth(case) -> tuple[float, float | None, str]:
    """(largest relative error of the first order over the points, of the second order (right
    Function cases only, else None), a note: why a planted bug is seen)."""
    m = case.make()
    worst, worst2, note = 0.0, None, ""
    for k, inputs in enumerate(_points(m)):
        gen = torch.Generator().manual_seed(k)
        with torch.no_grad():
            outs = _tuple(m.reference(*inputs))
            mine = _tuple(m.fn(*inputs))
        assert len(outs) == len(mine), case.name
        for a, b in zip(mine, outs):            # the Function's forward is the layer
            assert _rel(a, b) < 1e-12, (case.name, "forward")
        # random cotangents for every output, scalar losses too (grad_output != 1)
        cot = [torch.empty(o.shape, dtype=o.dtype).uniform_(-2, 2, generator=gen) for o in outs]
        _, _, true = _vjp(m.reference, inputs, cot)
        try:
            _, _, hand = _vjp(m.fn, inputs, cot)
        except RuntimeError as exc:
            if "invalid gradient" not in str(exc):
                raise
            return float("inf"), None, f"torch refuses the gradient: {str(exc)[:90]}"
        worst = max([worst] + [_rel(h, t) for h, t in zip(hand, true)])
        if case.expect == "match" and m.gc_second:
            u_gen = lambda: torch.Generator().manual_seed(50 + k)
            h2 = _second_order(m.fn, inputs, cot, u_gen())
            t2 = _second_order(m.reference, inputs, cot, u_gen())
            worst2 = max([worst2 or 0.0] + [_rel(h, t) for h, t in zip(h2, t2)])
    return worst, worst2, note


def _gradcheck(m) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ok = torch.autograd.gradcheck(m.gc_fn, m.gc_inputs, raise_exception=False)
        if ok and m.gc_second:
            ok = torch.autograd.gradgradcheck(m.gc_fn, m.gc_inputs, raise_exception=False)
    return bool(ok)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_corpus_ground_truth(case):
    """Right code is right and planted bugs are wrong, by autograd of the plain forward."""
    worst, worst2, note = ground_truth(case)
    if case.expect == "match":
        assert worst <= RIGHT_RTOL, (case.name, worst)
        if worst2 is not None:
            assert worst2 <= RIGHT_RTOL, (case.name, "second order", worst2)
        passed = _gradcheck(case.make())
        assert passed == (case.name not in GRADCHECK_FALSE_ALARMS), (case.name, passed)
    else:
        assert worst > WRONG_RTOL, (case.name, worst)


# ------------------------------------------------------------------ check_gradient

def _param(case):
    known = KNOWN_MISSES.get(case.name) or KNOWN_FALSE_ALARMS.get(case.name)
    marks = [pytest.mark.xfail(strict=True, reason=known)] if known else []
    if case.name in SLOW:
        marks.append(pytest.mark.slow)
    return pytest.param(case, id=case.name, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case_is_decided_right_with_its_diagnosis(case):
    from workbench.code import check_gradient      # here: the ground truth needs no workbench
    m = case.make()
    r = check_gradient(m.fn, m.inputs, m.grad, m.domain, wrt=m.wrt, examples=EXAMPLES)
    assert_decided_right(case, r)
