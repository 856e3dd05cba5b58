"""Hypothesis strategies for points in the declared domains and shapes.

One Hypothesis example is a whole batch: sizes for the symbolic dimensions, a few points drawn
(and shrunk) by Hypothesis itself, and optionally a bulk of points from a seeded generator, so
that checking costs little per point. Shrinking drops the bulk when the drawn points fail alone
and moves those points towards simple values; the failing point is then isolated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from workbench.expr.spaces import Domain, Variable, dimension_names

BULK_SIZES = (0, 256, 1024, 4096)


@dataclass(frozen=True)
class Case:
    """Sizes, Hypothesis-drawn points ``(k, *shape)`` per variable, and a seeded bulk."""

    sizes: Mapping[str, int]
    drawn: Mapping[str, np.ndarray]
    bulk: int
    seed: int

    @property
    def n_drawn(self) -> int:
        return next(iter(self.drawn.values())).shape[0] if self.drawn else 1

    def point(self, variables: Sequence[Variable], dtype=torch.float64,
              device="cpu") -> dict[str, torch.Tensor]:
        """All points as one batch: drawn ones first, then the bulk."""
        gen = torch.Generator().manual_seed(self.seed)
        out = {}
        for v in variables:
            shape = v.concrete_shape(self.sizes)
            drawn = torch.as_tensor(self.drawn[v.name], dtype=torch.float64)
            bulk = sample_domain(v.domain, (self.bulk, *shape), gen)
            out[v.name] = to_domain(torch.cat([drawn, bulk]), v.domain).to(dtype=dtype,
                                                                             device=device)
        return out


def domain_elements(domain: Domain) -> st.SearchStrategy[float]:
    """Floats inside ``domain`` (for spd: entries of a factor M, see :func:`to_domain`)."""
    lo, hi, m = domain.low, domain.high, domain.margin
    if domain.kind == "positive":
        return st.floats(m, hi)
    if domain.kind == "negative":
        return st.floats(lo, -m)
    if domain.kind == "nonzero":
        return st.one_of(st.floats(m, hi), st.floats(lo, -m))
    return st.floats(lo, hi, exclude_min=domain.kind == "interval",
                     exclude_max=domain.kind == "interval")


def sample_domain(domain: Domain, shape: tuple[int, ...], gen: torch.Generator) -> torch.Tensor:
    """Uniform samples in ``domain`` from a seeded generator (float64)."""
    u = torch.rand(shape, generator=gen, dtype=torch.float64)
    lo, hi, m = domain.low, domain.high, domain.margin
    if domain.kind == "positive":
        return m + u * (hi - m)
    if domain.kind == "negative":
        return lo + u * (-m - lo)
    if domain.kind == "nonzero":
        sign = torch.where(torch.rand(shape, generator=gen, dtype=torch.float64) < 0.5, -1.0, 1.0)
        return sign * (m + u * (hi - m))
    return lo + u * (hi - lo)


def to_domain(x: torch.Tensor, domain: Domain) -> torch.Tensor:
    """Map raw draws into the domain; only ``spd`` needs it: ``M M^T / r + I / 2``."""
    if domain.kind != "spd":
        return x
    r = x.shape[-1]
    eye = torch.eye(r, dtype=x.dtype)
    return x @ x.transpose(-1, -2) / r + 0.5 * eye


@st.composite
def cases(draw, variables: Sequence[Variable], max_dim: int = 4, max_drawn: int = 4,
          bulk_sizes: Sequence[int] = BULK_SIZES) -> Case:
    """A :class:`Case` for ``variables``; symbolic dimensions range over 1..``max_dim``."""
    sizes = {d: draw(st.integers(1, max_dim), label=d) for d in dimension_names(variables)}
    k = draw(st.integers(1, max_drawn))
    drawn = {}
    for v in variables:
        shape = (k, *v.concrete_shape(sizes))
        drawn[v.name] = draw(arrays(np.float64, shape, elements=domain_elements(v.domain),
                                    fill=st.nothing()), label=v.name)
    bulk = bulk_sizes[draw(st.integers(0, len(bulk_sizes) - 1))]
    seed = draw(st.integers(0, 2**31 - 1))
    return Case(sizes, drawn, bulk, seed)


def points(variables: Sequence[Variable], max_dim: int = 4, batch: int = 8,
           dtype=torch.float64) -> st.SearchStrategy[dict[str, torch.Tensor]]:
    """Public strategy: batches of ``batch`` points (dicts of tensors with a leading batch
    dimension) in the declared domains, for users' own property tests."""
    return cases(variables, max_dim, max_drawn=batch, bulk_sizes=(0,)).map(
        lambda c: c.point(variables, dtype))
