"""Tolerances for comparing gradients, in one table keyed by dtype and by how the reference was
computed. ``exact``: two closed forms or autograd (only rounding differs); ``finite_difference``:
one side is a central difference (truncation error too).

A float64 derivative off by 1e-7 relative must fail the ``exact`` test, so its rtol is below that.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Tolerance:
    """Values ``a`` and ``b`` agree when ``|a - b| <= atol + rtol * max(|a|, |b|)``."""

    rtol: float
    atol: float

    def allowed(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self.atol + self.rtol * torch.maximum(a.abs(), b.abs())

    def close(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Elementwise agreement; NaN agrees with nothing, equal infinities agree, and an
        infinity agrees with nothing else (the relative tolerance of an infinity is no
        licence)."""
        diff = (a - b).abs()
        ok = (diff <= self.allowed(a, b)) & torch.isfinite(a) & torch.isfinite(b)
        return ok | (a == b)


TOLERANCES: dict[tuple[torch.dtype, str], Tolerance] = {
    (torch.float64, "exact"): Tolerance(rtol=1e-8, atol=1e-10),
    (torch.float64, "finite_difference"): Tolerance(rtol=1e-5, atol=1e-6),
    (torch.float32, "exact"): Tolerance(rtol=1e-4, atol=1e-5),
    (torch.float32, "finite_difference"): Tolerance(rtol=5e-2, atol=1e-2),
}


def tolerance_for(dtype: torch.dtype, kind: str = "exact") -> Tolerance:
    """The tolerance for comparing two gradients of ``dtype``; ``kind`` is ``exact`` or
    ``finite_difference``."""
    try:
        return TOLERANCES[(dtype, kind)]
    except KeyError:
        known = sorted({str(d).removeprefix("torch.") for d, _ in TOLERANCES})
        raise ValueError(f"no tolerance for dtype {dtype} and kind {kind!r}; "
                         f"dtypes with tolerances: {', '.join(known)}") from None
