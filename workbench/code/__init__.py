"""Checking gradients written as code: a hand ``grad`` function, the ``backward`` of a
``torch.autograd.Function``, or the gradients autograd computes through an ``nn.Module``.

    >>> import numpy as np, workbench
    >>> r = workbench.check_gradient(lambda b: np.sum(b ** 2), (np.ones(3),),
    ...                              grad=lambda b: 2 * b)
    >>> bool(r)
    True
"""

from __future__ import annotations

from workbench.code.check import CodeSettings, check
from workbench.code.inputs import CodeError
from workbench.code.result import CodeResult
from workbench.code.subject import build


def check_gradient(fn, inputs, grad=None, domain=None, *, wrt=None, examples: int = 100,
                   seed: int | None = None, device: str = "cpu") -> CodeResult:
    """Check a gradient written as code against float64 references.

    ``fn``: a callable of torch tensors, numpy arrays or numbers (a bound method such as
    ``model.forward`` works as is), or an ``nn.Module``. ``inputs``: a tuple of examples; their
    shapes and dtypes say what to sample, their values are the first point checked.
    ``grad``: the hand gradient, called with the same arguments, returning one gradient per
    input (of a scalar ``fn``); for an ``fn`` with several output elements it takes the
    cotangent as an extra last argument and returns the vector-Jacobian product(s).
    ``grad=None``: ``fn`` is ``SomeFunction.apply`` (its ``backward`` is checked) or an
    ``nn.Module`` (the gradients of every input and parameter autograd computes through it).
    ``domain``: a word for every float input, a dict ``{input: word}`` or one word per input:
    real, positive, negative, nonzero, [a,b], spd, simplex, labels, labels:C, fixed.
    ``wrt``: names of the inputs to check (default: every float input and parameter).
    ``examples``: Hypothesis examples after the example itself; ``seed``: None is derandomized.

    Returns a :class:`CodeResult`: ``bool(r)`` is True exactly when the gradient matches;
    ``str(r)`` gives verdict, level, diagnosis and the smallest counterexample. Raises
    :class:`CodeError` (a :class:`~workbench.errors.UserError`) for inputs that cannot be
    checked as given.
    """
    if not isinstance(examples, int) or not 1 <= examples <= 100_000:
        raise CodeError(f"must be an integer between 1 and 100000, got {examples!r}", "examples")
    code = build(fn, inputs, grad, domain, wrt, device)
    return check(code, CodeSettings(examples=examples, seed=seed, device=device))


def assert_gradient_code(fn, inputs, grad=None, domain=None, **options) -> CodeResult:
    """Raise ``AssertionError`` unless the gradient matches; the message's first line is the
    diagnosis, the rest the full result. Returns the result when it matches."""
    r = check_gradient(fn, inputs, grad, domain, **options)
    if not r:
        raise AssertionError(f"{r.summary()}\n{r}")
    return r


__all__ = ["CodeError", "CodeResult", "CodeSettings", "assert_gradient_code", "check_gradient"]
