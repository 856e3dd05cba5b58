"""Closed-over lower-precision tensors, promoted where the code runs in float64.

The workbench runs code promoted to float64 (the math check, the float64 truth of a precision
check), but only the inputs it was given are promoted: a tensor the code closed over keeps its
dtype. Most torch ops promote a float32 operand beside a float64 one themselves; some refuse
(``batch_norm``'s running statistics, ``prelu``'s weight, ``lu_solve``'s pivots' factor,
``nll_loss``'s class weights: "expected scalar type Double but found Float"). Under
:class:`Promote`, every torch call that mixes float64 with a lower float precision gets the
lower ones converted to float64 first (exactly: float32, float16 and bfloat16 values are
float64 values), so the code computes the same function of the same constants. The converted
copies are what an in-place op updates (a running mean), so the code's own state is left alone.

:func:`dtype_clash` tells a refusal of that kind from other errors; :meth:`Code.call` retries
under :class:`Promote` after one and stays promoted for that code.
"""

from __future__ import annotations

import torch

LOWER = (torch.float32, torch.float16, torch.bfloat16)
CLASH_WORDS = ("scalar type", "same dtype", "type promot", "dtype", "Double", "Float")


def dtype_clash(exc: BaseException) -> bool:
    """Whether ``exc`` is torch refusing to mix float dtypes."""
    return isinstance(exc, (RuntimeError, TypeError)) and any(
        w.lower() in str(exc).lower() for w in CLASH_WORDS)


def _tensors(value, out: list) -> None:
    if isinstance(value, torch.Tensor):
        out.append(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            if isinstance(v, torch.Tensor):
                out.append(v)


def _up(value):
    if isinstance(value, torch.Tensor):
        return value.to(torch.float64) if value.dtype in LOWER else value
    if isinstance(value, (list, tuple)) and any(isinstance(v, torch.Tensor) for v in value):
        return type(value)(_up(v) for v in value)
    return value


class Promote(torch.overrides.TorchFunctionMode):
    """Within: a torch call with a float64 tensor argument gets its float32, float16 and
    bfloat16 tensor arguments as float64."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if "out" not in kwargs:
            found: list = []
            for a in args:
                _tensors(a, found)
            for a in kwargs.values():
                _tensors(a, found)
            dtypes = {t.dtype for t in found}
            if torch.float64 in dtypes and dtypes.intersection(LOWER):
                args = tuple(_up(a) for a in args)
                kwargs = {k: _up(v) for k, v in kwargs.items()}
        return func(*args, **kwargs)


__all__ = ["Promote", "dtype_clash"]
