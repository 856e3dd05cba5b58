"""The layers of the course's ``Net``, each beside its vector-Jacobian product, as one table.

A :class:`Rule` has a ``forward(x, params) -> (y, saved)`` that keeps what its backward needs,
and a ``backward(g, saved, need_input) -> (dx, grads)``: given the cotangent ``g = dL/dy`` (shape
of ``y``) it returns ``dL/dx`` (``None`` when ``need_input`` is false: the first layer's input
is the data) and the gradients of the layer's parameters by short name (``weight``, ``bias``).
Everything is plain tensor algebra under ``torch.no_grad``; the formulas are those
:mod:`workbench.backprop.derivation` derives with SymPy. Shapes are batch-first, as in torch:

====================  =========================  ==============================================
layer                 forward                    backward (g = dL/dy)
====================  =========================  ==============================================
linear                y = x Wᵀ + b               dx = g W,  dW = gᵀ x,  db = Σₙ g
relu                  y = max(0, x)              dx = g ⊙ [y > 0] = g ⊙ sign(y)
maxpool2              y = max of each 2x2 block  dx = g sent back to the argmax of its block
conv2d (stride 1)     y = W ⋆ x + b              dx = g ⋆ᵀ W (full correlation, flipped W),
                                                 dW[o,c,i,j] = Σ g[n,o,p,q] x[n,c,p+i,q+j],
                                                 db = Σ_{n,p,q} g
flatten               y = x.reshape(N, -1)       dx = g.reshape(x.shape)
softmax_xent          L = mean(lse(z) - z_label) dz = (softmax(z) - onehot(label)) / N
====================  =========================  ==============================================

``RULES`` is looked up at every call, so a test can swap one rule for a wrong one and watch the
checker catch it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import torch
import torch.nn.functional as F

Params = Mapping[str, torch.Tensor]
Grads = dict[str, torch.Tensor]


@dataclass(frozen=True)
class Rule:
    """A layer's forward pass and its vector-Jacobian product (see the module docstring);
    ``params``: the short names of the layer's parameters, in the network's order."""

    forward: Callable[[torch.Tensor, Params], tuple[torch.Tensor, Any]]
    backward: Callable[[torch.Tensor, Any, bool], tuple[torch.Tensor | None, Grads]]
    params: tuple[str, ...] = ()


def linear_forward(x, p):
    return F.linear(x, p["weight"], p["bias"]), (x, p["weight"])


def linear_backward(g, saved, need_input):
    x, w = saved
    return (g @ w if need_input else None), {"weight": g.T @ x, "bias": g.sum(0)}


def relu_forward(x, p):
    y = torch.relu(x)
    return y, y


def relu_backward(g, y, need_input):
    # y = relu(x) >= 0, so sign(y) is the indicator [x > 0]; a float mask multiplies ~3x
    # faster than a boolean one on CPU.
    return g * y.sign(), {}


def maxpool2_forward(x, p):
    y, where = F.max_pool2d_with_indices(x, 2, 2)
    return y, (x.shape, where)


def maxpool2_backward(g, saved, need_input):
    shape, where = saved
    dx = g.new_zeros(shape[0], shape[1], shape[2] * shape[3])
    dx.scatter_(2, where.flatten(2), g.flatten(2))
    return dx.view(shape), {}


def conv2d_forward(x, p):
    return F.conv2d(x, p["weight"], p["bias"]), (x, p["weight"])


def conv2d_backward(g, saved, need_input):
    x, w = saved
    # dW[o,c,i,j] = Σ_{n,p,q} x[c,n,p+i,q+j] g[o,n,p,q]: a correlation of the input with the
    # cotangent as kernel, batch and channels swapped (3x faster on CPU than unfold + matmul).
    dw = F.conv2d(x.transpose(0, 1), g.transpose(0, 1)).transpose(0, 1)
    dx = F.conv_transpose2d(g, w) if need_input else None
    return dx, {"weight": dw, "bias": g.sum((0, 2, 3))}


def flatten_forward(x, p):
    return x.flatten(1), x.shape


def flatten_backward(g, shape, need_input):
    return g.reshape(shape), {}


def softmax_xent_forward(z, labels):
    """Mean cross-entropy of logits ``z (N, K)`` against int64 ``labels (N,)``, and what the
    backward needs (the softmax)."""
    logp = torch.log_softmax(z, 1)
    loss = -logp.gather(1, labels[:, None]).mean()
    return loss, (logp, labels)


def softmax_xent_backward(g, saved, need_input):
    """``g`` is dL/d(loss), a scalar (1 for the loss itself)."""
    logp, labels = saved
    dz = logp.exp()
    dz.scatter_add_(1, labels[:, None], dz.new_full((labels.shape[0], 1), -1.0))
    return dz * (g / labels.shape[0]), {}


RULES: dict[str, Rule] = {
    "linear": Rule(linear_forward, linear_backward, ("weight", "bias")),
    "relu": Rule(relu_forward, relu_backward),
    "maxpool2": Rule(maxpool2_forward, maxpool2_backward),
    "conv2d": Rule(conv2d_forward, conv2d_backward, ("weight", "bias")),
    "flatten": Rule(flatten_forward, flatten_backward),
    "softmax_xent": Rule(softmax_xent_forward, softmax_xent_backward),
}
"""The rule for each kind of layer, by name."""


def vjp(kind: str, x: torch.Tensor, params: Params, g: torch.Tensor,
        need_input: bool = True) -> tuple[torch.Tensor | None, Grads]:
    """Forward then backward of one layer: ``(dL/dx, parameter gradients)`` for cotangent ``g``."""
    rule = RULES[kind]
    with torch.no_grad():
        _, saved = rule.forward(x, params)
        return rule.backward(g, saved, need_input)
