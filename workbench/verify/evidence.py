"""What a check found, as typed facts: the input of :func:`workbench.verify.verdict.decide`.

Each kind of evidence says what was established and how, never a verdict: shapes that do not
fit, exact comparisons per variable (:class:`~workbench.derive.equality.Equality`), and what
the numeric search saw (points compared, points skipped and why, disagreements re-examined in
high precision).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.derive.equality import Equality


@dataclass(frozen=True)
class ShapeEvidence:
    """The hand gradient of ``variable`` has shape ``got``, the gradient ``want`` (None: a
    scalar)."""

    variable: str
    want: tuple | None
    got: tuple | None

    @property
    def transposed(self) -> bool:
        return self.want is not None and self.got is not None and \
            tuple(reversed(self.got)) == tuple(self.want) and self.want != self.got

    def sentence(self) -> str:
        want = f"shape {self.want}" if self.want else "a scalar"
        got = f"shape {self.got}" if self.got else "a scalar"
        hint = " (transposed: denominator layout or a row for a column?)" if self.transposed \
            else ""
        return f"d/d{self.variable}: wrong shape: the hand gradient is {got}, the gradient " \
               f"{want}{hint}"


@dataclass
class ExactEvidence:
    """Exact comparison of the hand gradient of ``variable`` with the derived one; ``scope``
    says where it holds ("" for all values, "at sizes n=3, p=2; n=4, p=3" for matrices)."""

    variable: str
    equality: Equality
    scope: str = ""


@dataclass
class Range:
    """Values a variable took at compared points: ``low``..``high``, smallest magnitude."""

    low: float = math.inf
    high: float = -math.inf
    smallest: float = math.inf

    def add(self, low: float, high: float, smallest: float) -> None:
        self.low, self.high = min(self.low, low), max(self.high, high)
        self.smallest = min(self.smallest, smallest)

    def text(self) -> str:
        if self.low > self.high:
            return "no value"
        small = f", |.| down to {self.smallest:.2g}" if 0 < self.smallest < 1e-2 else ""
        return f"[{self.low:.3g}, {self.high:.3g}]{small}"


@dataclass
class PointCheck:
    """One point re-examined in high precision: the float values and the precise ones.

    ``outcome``: ``confirmed`` (they differ at 30 digits), ``cleared`` (float rounding only),
    ``unconfirmed`` (high precision could not settle it in the budget).
    """

    kind: str                      # "hand" or "engine"
    outcome: str
    point: dict[str, Any]
    sizes: dict[str, int]
    variable: str
    got: Any = None                # float value(s) of the hand (or derived) gradient
    true: Any = None               # float value(s) of autograd
    precise_got: str | None = None
    precise_true: str | None = None
    abs_error: float = math.nan
    rel_error: float = math.nan
    digits: int = 0
    drawn_by_hypothesis: bool = True
    reason: str = ""
    reference: str = ""            # what ``true`` came from, when not the samples' reference

    @classmethod
    def confirmed(cls, kind: str, point: dict, name: str, got, true, drawn: bool,
                  reason: str = "") -> "PointCheck":
        """A disagreement confirmed in high precision at a point of scalar variables: ``got``
        and ``true`` are precise values (:class:`~workbench.derive.precise.Precise`)."""
        gap = float(abs(got.value - true.value))
        scale = max(float(abs(got.value)), float(abs(true.value)), 1e-300)
        return cls(kind, "confirmed", dict(point), {}, name, float(got), float(true), str(got),
                   str(true), gap, gap / scale, got.digits, drawn, reason)


@dataclass
class SampleEvidence:
    """What the numeric search saw."""

    examples: int = 0
    points: int = 0                # compared in float and agreeing (or cleared)
    rescued: int = 0               # skipped by float64, then compared in high precision
    cleared: int = 0               # float disagreements that high precision showed to be rounding
    skipped: dict[str, int] = field(default_factory=dict)
    ranges: dict[str, Range] = field(default_factory=dict)
    sizes: list[dict[str, int]] = field(default_factory=list)
    failure: PointCheck | None = None            # confirmed, shrunk by Hypothesis
    engine: PointCheck | None = None             # derived gradient vs autograd, confirmed
    unconfirmed: list[PointCheck] = field(default_factory=list)
    dtype: str = "float64"                       # the arithmetic points were compared in
    reference: str = "autograd"                  # what they were compared with
    scales: dict[str, list[float]] = field(default_factory=dict, repr=False)

    @property
    def agreeing(self) -> int:
        return self.points + self.rescued

    def skip(self, reason: str, count: int = 1, scales: list[float] = ()) -> None:
        """``count`` more points skipped for ``reason`` (a :class:`~workbench.words.Note`
        where a page should say it in its language); ``scales``: their largest |entry|."""
        if count:
            self.skipped[reason] = self.skipped.get(reason, 0) + count
            self.scales.setdefault(reason, []).extend(scales)

    def scale_of_compared(self, scales: list[float]) -> None:
        """The largest |entry| of more points compared (see :meth:`median_scale`)."""
        self.scales.setdefault("", []).extend(scales)

    def median_scale(self, reason: str = "") -> float | None:
        """The median largest |entry| of the points skipped for ``reason`` (of the points
        compared for ``""``), where it was measured: skipped points far larger than compared
        ones are where central differences lose their digits."""
        found = self.scales.get(reason)
        return float(np.median(found)) if found else None

    def agree_at(self, point: dict[str, float]) -> None:
        """One more agreeing point of scalar variables, its values added to the ranges."""
        self.points += 1
        for name, x in point.items():
            self.ranges.setdefault(name, Range()).add(x, x, abs(x) if x else math.inf)


@dataclass
class Evidence:
    """Everything :func:`~workbench.verify.verdict.decide` needs."""

    has_hand: bool
    wrt: tuple[str, ...]
    shapes: list[ShapeEvidence] = field(default_factory=list)
    exact: dict[str, ExactEvidence] = field(default_factory=dict)
    samples: SampleEvidence | None = None
    derivation_scope: str = ""     # where the derived gradient is proved (explicit sizes)
    require_proof: bool = False
    contract: list[str] = field(default_factory=list)   # broken promises of a backward
