"""The further checks of a ``torch.autograd.Function``, beyond its ``backward`` (first order):

- second order, what ``gradgradcheck`` covers: the function ``(x, v) -> backward(x, v)`` (the
  vector-Jacobian product, built with ``create_graph=True``) is itself checked, its autograd
  gradient (the backward of the backward) against float64 differences of it. A backward that
  torch cannot differentiate (``once_differentiable``, numpy inside) is noted, not failed;
- ``jvp``, when the class defines one: forward-mode products with basis tangents give the
  vector-Jacobian product ``sum_k <v, jvp(x, e_k)> e_k``, checked like a hand gradient against
  the complex step and Richardson differences of the forward (never against autograd, which
  would run the class's own backward).
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import torch
import torch.autograd.forward_ad as fwAD

from workbench.code.subject import Code, build


class _Context:
    """A stand-in for the ``ctx`` an old-style ``forward(ctx, ...)`` receives, when the forward
    runs outside the Function (what it saves is kept and never read)."""

    def __init__(self, count: int):
        self.needs_input_grad = (True,) * count
        self.saved_tensors: tuple = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors):
        self.saved_tensors = tensors

    def save_for_forward(self, *tensors):
        pass

    def mark_dirty(self, *tensors):
        pass

    def mark_non_differentiable(self, *tensors):
        pass

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = value


def own_forward(code: Code) -> Code | None:
    """``code`` (an ``autograd.Function``'s apply) with its ``forward`` run outside the
    Function, so that torch autograd differentiates the forward's own operations: a reference
    that shares nothing with the ``backward`` under check (None for other code)."""
    cls = getattr(code.fn, "__self__", None)
    if code.kind != "function" or not isinstance(cls, type):
        return None
    new_style = cls.setup_context is not torch.autograd.Function.setup_context

    def forward(*args):
        with torch.enable_grad():
            if new_style:
                return cls.forward(*args)
            return cls.forward(_Context(len(args)), *args)

    return replace(code, fn=forward, kind="module", title=f"{cls.__name__}.forward")


def saved_intermediates(code: Code, cls: type, example: dict) -> str | None:
    """Why a backward right to first order can be wrong to second: the tensors the forward
    saves that are neither inputs nor outputs (an ``rstd`` computed in forward) carry no graph
    inside a Function, so torch's backward of the backward treats them as constants. The
    sentence naming them, or None when every saved tensor is an input or an output."""
    args, _ = code.arguments(example)
    leaves = [a.detach().clone().requires_grad_(True) if _float(a) else a for a in args]
    try:
        with torch.enable_grad():
            outs = [o for o in _outputs(cls.apply(*leaves)) if isinstance(o, torch.Tensor)]
            node = next((o.grad_fn for o in outs if o.grad_fn is not None), None)
            saved = tuple(node.saved_tensors) if node is not None else ()
    except Exception:   # noqa: BLE001 - the cause is optional; the verdict stands alone
        return None
    known = {(t.data_ptr(), tuple(t.shape)) for t in [*leaves, *outs]
             if isinstance(t, torch.Tensor)}
    others = [tuple(t.shape) for t in saved if isinstance(t, torch.Tensor)
              and (t.data_ptr(), tuple(t.shape)) not in known]
    if not others:
        return None
    shapes = ", ".join("x".join(map(str, s)) or "scalar" for s in others)
    return (f"the forward saves {len(others)} intermediate tensor(s) for the backward "
            f"(shape {shapes}), neither input nor output: inside a Function they carry no "
            f"graph, so the backward of the backward treats them as constants; recompute them "
            f"in backward from the saved inputs, or mark backward once_differentiable")


def defines_jvp(cls: type) -> bool:
    return cls.jvp is not torch.autograd.Function.jvp


def _float(x) -> bool:
    return isinstance(x, torch.Tensor) and (x.is_floating_point() or x.is_complex())


def _outputs(out) -> tuple:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def second_order(code: Code, cls: type, inputs: tuple, cotangents: tuple) -> Code:
    """A :class:`Code` whose subject is the autograd gradient of ``backward`` itself."""
    n = len(inputs)

    def vjp(*args):
        xs, vs = args[:n], args[n:]
        with torch.enable_grad():
            leaves = [x if not _float(x) or x.requires_grad else x.detach().requires_grad_(True)
                      for x in xs]
            outs = _outputs(cls.apply(*leaves))
            wanted = [x for x in leaves if _float(x)]
            grads = torch.autograd.grad(outs, wanted, [v.to(o.dtype) for v, o in zip(vs, outs)],
                                        create_graph=True, allow_unused=True)
        return tuple(torch.zeros_like(x) if g is None else g for g, x in zip(grads, wanted))

    names = [s.name for s in code.plan.slots] + [f"grad_output{i}" for i in range(len(cotangents))]
    return build(vjp, tuple(inputs) + tuple(cotangents), None, None, None, code.device, names,
                 title=f"{cls.__name__}.backward, second order (backward of backward)")


def jvp_code(code: Code, cls: type, inputs: tuple) -> Code:
    """A hand-gradient :class:`Code` whose gradient comes from ``cls.jvp``."""
    n = len(inputs)

    def grad_from_jvp(*args):
        xs = args[:n]
        vs = args[n:]
        out = []
        for i, x in enumerate(xs):
            if not _float(x):
                out.append(None)
                continue
            flat = torch.zeros(x.numel(), dtype=x.dtype, device=x.device)
            for k in range(x.numel()):
                tangent = torch.zeros_like(flat)
                tangent[k] = 1
                # torch's forward-AD dual level scripts a helper on first use, and torch.jit
                # warns that it is deprecated: torch's business, not the user's code
                with warnings.catch_warnings(), fwAD.dual_level():
                    warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated",
                                            FutureWarning)
                    duals = [fwAD.make_dual(xj, tangent.reshape(x.shape) if j == i
                                            else torch.zeros_like(xj)) if _float(xj) else xj
                             for j, xj in enumerate(xs)]
                    outs = _outputs(cls.apply(*duals))
                    tangents = [fwAD.unpack_dual(o).tangent for o in outs]
                weights = vs or (torch.ones((), dtype=x.dtype, device=x.device),)
                flat[k] = sum((w.to(t.dtype) * t).sum() for w, t in zip(weights, tangents)
                              if t is not None)
            out.append(flat.reshape(x.shape))
        return tuple(out)

    names = [s.name for s in code.plan.slots]
    result = build(cls.apply, tuple(inputs), grad_from_jvp, None, None, code.device, names,
                   title=f"{cls.__name__}.jvp")
    return result


__all__ = ["defines_jvp", "jvp_code", "second_order"]
