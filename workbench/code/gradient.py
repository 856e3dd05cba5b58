"""``check_gradient`` and ``assert_gradient_code``: the entry points of :mod:`workbench.code`
(imported by name from the package, lazily, so that the command line starts without torch)."""

from workbench.code.check import Checker, CodeSettings, check
from workbench.code.inputs import CodeError
from workbench.code.result import CodeResult
from workbench.code.subject import build


def check_gradient(fn, inputs, grad=None, domain=None, *, wrt=None, examples: int = 100,
                   seed: int | None = None, device: str = "cpu", vary_sizes: bool = True,
                   budget: float = 20.0, precision: str = "math", dtype=None):
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
    ``examples``: points checked after the example itself (Hypothesis draws them ten per
    case: one drawn and shrunk entry by entry, nine from a seed it draws, at sizes of their
    own); ``seed``: None is derandomized.
    ``vary_sizes``: False keeps the example's sizes (for code closed over lengths or indices
    tied to them); ``budget``: seconds of search, after which the points seen decide.
    ``precision``: "math" (default) checks the code promoted to float64 ("is the math
    right"); "native" checks it in its own dtype (``dtype``: float32, float16, bfloat16;
    default the examples') on ``device`` against float64 truth ("is it as accurate as that
    precision allows"): see :func:`workbench.code.check_precision`, whose
    :class:`PrecisionResult` it then returns.

    Returns a :class:`CodeResult`: ``bool(r)`` is True exactly when the gradient matches;
    ``str(r)`` gives verdict, level, diagnosis and the smallest counterexample. Raises
    :class:`CodeError` (a :class:`~workbench.errors.UserError`) for inputs that cannot be
    checked as given.
    """
    if precision not in ("math", "native"):
        raise CodeError(f"expected 'math' or 'native', got {precision!r:.40}", "precision")
    if precision == "native":
        from workbench.code.precision import check_precision
        return check_precision(fn, inputs, grad, domain, dtype=dtype, device=device, wrt=wrt,
                               examples=examples, seed=seed, budget=budget)
    if dtype is not None:
        raise CodeError("dtype= is for precision='native' (the math check runs in float64)",
                        "dtype")
    if not isinstance(examples, int) or not 1 <= examples <= 100_000:
        raise CodeError(f"must be an integer between 1 and 100000, got {examples!r}", "examples")
    code = build(fn, inputs, grad, domain, wrt, device)
    settings = CodeSettings(examples=examples, seed=seed, device=device, budget=budget,
                            vary_sizes=vary_sizes)
    first = check(code, settings)
    if code.kind != "function":
        return first
    return _function_orders(code, fn.__self__, tuple(inputs), first, settings)


def _function_orders(code, cls, inputs, first: CodeResult, settings) -> CodeResult:
    """The second order of an autograd.Function's backward, and its jvp when defined."""
    import numpy as np
    import torch
    from dataclasses import replace
    from workbench.code.diagnosis import BATCH_GUESS
    from workbench.code.function import defines_jvp, jvp_code, saved_intermediates, second_order
    example = {s.name: torch.as_tensor(s.example, device=code.device) for s in code.plan.slots}
    outs = code.call(example)
    rng = np.random.default_rng(0 if settings.seed is None else settings.seed)
    cotangents = tuple(torch.as_tensor(rng.uniform(-2, 2, tuple(o.shape)), device=code.device)
                       for o in outs)
    results, notes, orders = [first], [], ["first order"]
    second = second_order(code, cls, inputs, cotangents)
    probe = Checker(second, settings)
    try:
        grads = second.subject(probe.point(probe.example()))
    except Exception as exc:  # noqa: BLE001 - a backward autograd refuses (its wrong shape)
        notes.append(f"second order not checked: the backward fails under autograd "
                     f"({type(exc).__name__})")
    else:
        if all(g is None for g in grads.values()):
            notes.append(f"second order not checked: torch cannot differentiate "
                         f"{cls.__name__}.backward (once_differentiable, or not torch code)")
        else:
            result = check(second, settings)
            if result.verdict == "mismatch":
                cause = saved_intermediates(code, cls, example)
                if cause:
                    # the cause, not a guess from the sizes where it shows
                    result = replace(result, diagnosis=[cause] + [
                        d for d in result.diagnosis if BATCH_GUESS not in d])
            results.append(result)
            orders.append("second order")
    if defines_jvp(cls):
        results.append(check(jvp_code(code, cls, inputs), settings))
        orders.append("jvp")
    return CodeResult.combine(results, notes, orders, cls.__name__)


def assert_gradient_code(fn, inputs, grad=None, domain=None, **options) -> CodeResult:
    """Raise ``AssertionError`` unless the gradient matches; the message's first line is the
    diagnosis, the rest the full result. Returns the result when it matches."""
    r = check_gradient(fn, inputs, grad, domain, **options)
    if not r:
        raise AssertionError(f"{r.summary()}\n{r}")
    return r


__all__ = ["assert_gradient_code", "check_gradient"]
