"""Tolerances for comparing gradients, in one table keyed by dtype and by how the reference was
computed. ``exact``: two closed forms or autograd (only rounding differs); ``finite_difference``:
one side is a central difference (truncation error too).

A float64 derivative off by 1e-7 relative must fail the ``exact`` test, so its rtol is below that.
``precise``: both sides evaluated in high precision and rounded to float64 (no rounding error to
forgive, so relative only).

Comparisons work on torch tensors and numpy arrays alike; the table is keyed by dtype name, so
this module loads no torch.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tolerance:
    """Values ``a`` and ``b`` agree when ``|a - b| <= atol + rtol * max(|a|, |b|)``."""

    rtol: float
    atol: float

    def allowed(self, a, b):
        xp = _namespace(a)
        return self.atol + self.rtol * xp.maximum(abs(a), abs(b))

    def close(self, a, b):
        """Elementwise agreement; NaN agrees with nothing, equal infinities agree, and an
        infinity agrees with nothing else (the relative tolerance of an infinity is no
        licence)."""
        xp = _namespace(a)
        with np.errstate(invalid="ignore", over="ignore"):    # inf - inf: nan, not close
            ok = (abs(a - b) <= self.allowed(a, b)) & xp.isfinite(a) & xp.isfinite(b)
        return ok | (a == b)


def _namespace(a):
    """torch for a tensor (then already imported), else numpy."""
    return sys.modules["torch"] if type(a).__module__.startswith("torch") else np


TOLERANCES: dict[tuple[str, str], Tolerance] = {
    ("float64", "exact"): Tolerance(rtol=1e-8, atol=1e-10),
    ("float64", "finite_difference"): Tolerance(rtol=1e-5, atol=1e-6),
    ("float64", "precise"): Tolerance(rtol=1e-14, atol=0.0),
    ("float32", "exact"): Tolerance(rtol=1e-4, atol=1e-5),
    ("float32", "finite_difference"): Tolerance(rtol=5e-2, atol=1e-2),
}


def tolerance_for(dtype, kind: str = "exact") -> Tolerance:
    """The tolerance for comparing two gradients of ``dtype`` (a torch dtype or its name);
    ``kind`` is ``exact``, ``finite_difference`` or ``precise``."""
    try:
        return TOLERANCES[(str(dtype).removeprefix("torch."), kind)]
    except KeyError:
        known = sorted({d for d, _ in TOLERANCES})
        raise ValueError(f"no tolerance for dtype {dtype} and kind {kind!r}; "
                         f"dtypes with tolerances: {', '.join(known)}") from None
