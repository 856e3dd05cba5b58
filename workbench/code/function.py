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

import torch
import torch.autograd.forward_ad as fwAD

from workbench.code.subject import Code, build


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
