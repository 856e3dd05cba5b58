"""Each rule of :mod:`workbench.backprop.rules` derived with SymPy and checked, at small sizes.

For a layer ``y = f(x; θ)`` and a cotangent ``g`` (a tensor of element symbols of ``y``'s
shape), backprop's vector-Jacobian products are the gradients of the scalar contraction
``<g, f(x; θ)> = Σ g ⊙ y`` with respect to each element of ``x`` and ``θ``. Here every tensor is
written out as element symbols (``x[0,1,2,0]`` ...), the layer is built from them in SymPy, the
contraction is differentiated element by element, and the derivative is evaluated at exact
rational numbers. The rule, run in float64 on the same numbers, must give the same tensors
(exactly for the piecewise-linear layers, whose values at quarter-integers are exact in
float64; to 1e-12 for the softmax, which involves ``exp``).

Sizes are distinct in every dimension so that a missing transpose or a misplaced batch sum shows.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import sympy
import torch

from workbench.backprop import rules

SOFTMAX_TOLERANCE = 1e-12
"""Agreement required where the derivative involves ``exp`` (float64 rounding of a few ulps)."""


def element_symbols(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """An object array of real symbols ``name[i,j,...]``, one per element."""
    out = np.empty(shape, dtype=object)
    for index in itertools.product(*map(range, shape)):
        out[index] = sympy.Symbol(f"{name}[{','.join(map(str, index))}]", real=True)
    return out


def _relu(x):
    return np.vectorize(lambda t: sympy.Max(0, t), otypes=[object])(x)


def _maxpool2(x):
    n, c, h, w = x.shape
    blocks = x[:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2)
    out = np.empty((n, c, h // 2, w // 2), dtype=object)
    for index in itertools.product(*map(range, out.shape)):
        i, j, p, q = index
        out[index] = sympy.Max(*blocks[i, j, p, :, q, :].reshape(-1))
    return out


def _conv2d(x, w, b):
    n, _, h, wd = x.shape
    o, c, kh, kw = w.shape
    out = np.empty((n, o, h - kh + 1, wd - kw + 1), dtype=object)
    for i, oc, p, q in itertools.product(*map(range, out.shape)):
        out[i, oc, p, q] = b[oc] + sum(w[oc, ch, u, v] * x[i, ch, p + u, q + v]
                                       for ch in range(c) for u in range(kh) for v in range(kw))
    return out


def _softmax_xent(z, labels):
    n = z.shape[0]
    return sum(sympy.log(sum(sympy.exp(t) for t in z[i])) - z[i, labels[i]]
               for i in range(n)) / n


@dataclass(frozen=True)
class Example:
    """A layer at small sizes: the shapes of its input and parameters, and its SymPy forward
    ``(x, params) -> y`` (an object array, or a scalar for the loss)."""

    shapes: dict[str, tuple[int, ...]]
    forward: Callable
    labels: tuple[int, ...] = ()


EXAMPLES: dict[str, Example] = {
    "linear": Example({"x": (2, 3), "weight": (4, 3), "bias": (4,)},
                      lambda x, p: x.dot(p["weight"].T) + p["bias"]),
    "relu": Example({"x": (2, 3)}, lambda x, p: _relu(x)),
    "maxpool2": Example({"x": (2, 1, 4, 6)}, lambda x, p: _maxpool2(x)),
    "conv2d": Example({"x": (2, 2, 3, 4), "weight": (3, 2, 2, 2), "bias": (3,)},
                      lambda x, p: _conv2d(x, p["weight"], p["bias"])),
    "flatten": Example({"x": (2, 2, 1, 3)}, lambda x, p: x.reshape(x.shape[0], -1)),
    "softmax_xent": Example({"x": (3, 4)}, lambda x, labels: _softmax_xent(x, labels),
                            labels=(2, 0, 3)),
}
"""The size at which each rule of :data:`rules.RULES` is derived (``x`` is the layer input)."""


@dataclass
class LayerDerivation:
    """A layer's contraction ``<g, y>``, its derivative w.r.t. each input (object arrays of
    SymPy expressions in the element symbols), and how the rule compared at exact numbers."""

    layer: str
    contraction: sympy.Expr
    gradients: dict[str, np.ndarray]
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def derive_layer(kind: str, seed: int = 0) -> LayerDerivation:
    """Derive the vector-Jacobian products of layer ``kind`` with SymPy and compare them with
    ``rules.RULES[kind]`` (looked up now) at exact numbers drawn with ``seed``."""
    example = EXAMPLES[kind]
    sym = {name: element_symbols(name, shape) for name, shape in example.shapes.items()}
    params = {k: v for k, v in sym.items() if k != "x"}
    if example.labels:
        y = example.forward(sym["x"], example.labels)
        g = sympy.Symbol("g", real=True)
        contraction, g_sym = g * y, np.array(g, dtype=object)
    else:
        y = example.forward(sym["x"], params)
        g_sym = element_symbols("g", y.shape)
        contraction = sum((g_sym * y).reshape(-1))
    gradients = {name: np.vectorize(lambda s: sympy.diff(contraction, s), otypes=[object])(s)
                 for name, s in sym.items()}
    result = LayerDerivation(kind, contraction, gradients)
    result.mismatches = _compare(kind, example, sym, g_sym, y, gradients, seed)
    return result


def _numbers(count: int, rng: random.Random) -> list[sympy.Rational]:
    """Distinct, nonzero quarter-integers: no ties for max-pool, no kinks for ReLU, and exact
    products and sums in float64."""
    return [sympy.Rational(k, 4) for k in rng.sample([k for k in range(-60, 61) if k], count)]


def _compare(kind, example, sym, g_sym, y, gradients, seed) -> list[str]:
    rng = random.Random(seed)
    values = {}
    for arr in [*sym.values(), g_sym]:
        flat = np.atleast_1d(arr).reshape(-1)
        values.update(zip(flat, _numbers(flat.size, rng)))

    def exact(arr) -> np.ndarray:
        return np.vectorize(lambda e: sympy.sympify(e).xreplace(values), otypes=[object])(arr)

    def tensor(arr) -> torch.Tensor:
        return torch.tensor(np.vectorize(float)(exact(arr)).astype(np.float64))

    x = tensor(sym["x"])
    params = {k: tensor(v) for k, v in sym.items() if k != "x"}
    g = tensor(g_sym)
    rule = rules.RULES[kind]
    with torch.no_grad():
        if example.labels:
            y_rule, saved = rule.forward(x, torch.tensor(example.labels))
        else:
            y_rule, saved = rule.forward(x, params)
        dx, grads = rule.backward(g, saved, True)
    got = {"x": dx, **grads}
    tol = SOFTMAX_TOLERANCE if example.labels else 0.0
    out = []
    for name, want in [("y", tensor(y)), *((k, tensor(v)) for k, v in gradients.items())]:
        have = y_rule if name == "y" else got.get(name)
        label = "forward value" if name == "y" else f"d<g, y>/d{name}"
        if have is None or tuple(have.shape) != tuple(want.shape):
            shape = None if have is None else tuple(have.shape)
            out.append(f"{kind}: {label}: rule gives shape {shape}, SymPy {tuple(want.shape)}")
            continue
        err = (have - want).abs()
        if err.numel() and float(err.max()) > tol:
            worst = int(err.argmax())
            index = tuple(int(i) for i in np.unravel_index(worst, want.shape))
            out.append(f"{kind}: {label}{list(index)}: rule gives "
                       f"{float(have.reshape(-1)[worst]):.17g}, SymPy "
                       f"{float(want.reshape(-1)[worst]):.17g} ({int((err > tol).sum())}/"
                       f"{err.numel()} elements off)")
    return out


def derive_all(seed: int = 0) -> dict[str, LayerDerivation]:
    """:func:`derive_layer` for every rule."""
    return {kind: derive_layer(kind, seed) for kind in rules.RULES}
