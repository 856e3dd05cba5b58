"""``workbench.gradcheck``: a drop-in for ``torch.autograd.gradcheck`` with the workbench's
verdicts (references with error bounds, the backward's contract, named diagnoses).

A test suite switches by one import::

    from workbench import gradcheck        # instead of: from torch.autograd import gradcheck
    assert gradcheck(MyFunction.apply, (x, w))

It takes torch's arguments, returns True, and on a mismatch raises torch's own
``GradcheckError`` (so ``pytest.raises(GradcheckError)`` and ``except`` clauses keep working)
whose first line is the diagnosis. Differences from torch's, on purpose:

- the references (complex step, forward-mode autograd, Ridders' differences) carry their own
  error bounds, so ``eps`` is not needed (accepted; the steps are chosen per point) and
  ``atol``/``rtol`` are only an extra allowance when given (``None``: none);
- a point where the function is not differentiable (a kink, a tie) or where float64 cannot
  resolve the gradient is *undecided*, which fails too (with the reason), since it proves
  nothing; ``undecided_ok=True`` lets it pass;
- every output's cotangent is random (a scalar loss's too: a backward that ignores
  ``grad_output`` fails), inputs and cotangents are also tried non-contiguous, the backward is
  run twice (``nondet_tol``: 0.0 means "equal up to rounding"; differences are noted) and
  ``.grad`` accumulation is checked;
- ``examples=N`` also checks N Hypothesis-drawn points beyond the given one (sizes vary where
  the function allows); the default checks the given point only, as torch does;
- ``fast_mode=True`` projects once per point (``u^T J v``), False three times; the full
  Jacobian is never built, entries are estimated only to localise a failure.

Not done (accepted for compatibility, no effect): ``check_undefined_grad``,
``check_batched_grad``, ``check_batched_forward_grad``, ``check_forward_ad`` (forward mode is a
reference here, not a subject), ``masked``.
"""

from __future__ import annotations

import torch
from torch.autograd.gradcheck import GradcheckError

from workbench.code.check import CodeSettings, check
from workbench.code.inputs import CodeError
from workbench.code.subject import build

PROJECTIONS = {True: 1, False: 3}


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float | None = None,
              rtol: float | None = None, raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: bool | None = None, examples: int = 0,
              seed: int | None = None, undecided_ok: bool = False, budget: float = 20.0
              ) -> bool:
    """Check the gradients of ``func`` at ``inputs`` (a tensor or a tuple; the floating
    tensors with ``requires_grad`` are differentiated, everything else is held fixed) against
    float64 references with error bounds. Returns True; on a mismatch (or an undecided point,
    unless ``undecided_ok``) raises ``GradcheckError`` whose first line is the diagnosis, or
    returns False when ``raise_exception`` is False. See the module docstring for the
    arguments that differ from torch's."""
    if not check_backward_ad:
        return True
    inputs = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    positions = [i for i, x in enumerate(inputs)
                 if isinstance(x, torch.Tensor) and x.requires_grad
                 and (x.is_floating_point() or x.is_complex())]
    if not positions:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of them have requires_grad=True.")
    held = list(inputs)

    def fn(*xs):
        args = list(held)
        for i, x in zip(positions, xs):
            args[i] = x
        return func(*args)

    examples_given = [inputs[i].detach().clone() for i in positions]
    names = [f"input{i}" for i in positions]
    device = str(examples_given[0].device)
    try:
        code = build(fn, tuple(examples_given), names=names, device=device)
    except CodeError as exc:
        raise GradcheckError(str(exc)) from None
    settings = CodeSettings(examples=max(examples, 1), seed=seed, device=device, budget=budget,
                            search=examples > 0, projections=PROJECTIONS[bool(fast_mode)],
                            min_agreeing=1,
                            nondet_tol=nondet_tol or None, atol=atol or 0.0, rtol=rtol or 0.0)
    result = check(code, settings)
    if result.verdict == "match" or result.verdict == "undecided" and undecided_ok:
        return True
    if not raise_exception:
        return False
    raise GradcheckError(f"{result.summary()}\n{result}")


__all__ = ["GradcheckError", "gradcheck"]
