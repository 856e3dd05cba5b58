"""Hypothesis strategies for points in the declared domains and shapes, drawn where mistakes
hide (see :mod:`workbench.expr.sampling` for the mix of magnitudes, and
:mod:`workbench.derive.landmarks` for kinks, poles and saturations).

One Hypothesis example is a whole batch: sizes for the symbolic dimensions, a few points drawn
(and shrunk) by Hypothesis itself, and a bulk of points from a seeded generator, so that checking
costs little per point. Shrinking drops the bulk when the drawn points fail alone and moves
those points towards simple values; the failing point is then isolated.
"""

from __future__ import annotations

import math
import threading

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, seed as hseed, settings as hsettings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from workbench.derive.landmarks import Landmark
from workbench.expr.sampling import (LARGEST_EXPONENT, SIMPLE, SMALLEST_EXPONENT, condition,
                                     draw_matrices, draw_scalars, in_domain, typical_range)
from workbench.expr.spaces import Domain, Variable, dimension_names

if TYPE_CHECKING:
    import torch

BULK_SIZES = (0, 256, 1024, 4096)
DRAWN_ENTRIES = 512
"""Above this many numbers per point, Hypothesis draws only the seed of a bulk (its buffer
would not hold the entries, and shrinking thousands of them is no help)."""
BULK_ENTRIES = 1 << 18
"""Numbers drawn per bulk at most (all variables of a point together): 4,096 points of a few
small matrices, 16 or more of 60 x 50 ones; memory and finite differences scale with it."""
LANDMARK_SHARE = 0.2
"""Share of the bulk placed near a landmark (when the problem has any)."""
OFFSETS = np.array([1e-9, 1e-6, 1e-3, 1e-1, 1.0])
SEARCH_PHASES = (Phase.explicit, Phase.reuse, Phase.generate)
"""Hypothesis phases of a search without shrinking."""
SHRINK_PHASES = SEARCH_PHASES + (Phase.shrink,)
"""... and with it (not ``explain``: its report is never shown, and it costs a shrink again)."""


@dataclass
class SamplingPlan:
    """How to draw points for one problem: variables, matrix roles, landmarks (constant ones
    as floats; relations as compiled functions of the other variables)."""

    variables: tuple[Variable, ...]
    roles: Mapping[str, str] = field(default_factory=dict)
    marks: Mapping[str, list[float]] = field(default_factory=dict)
    relations: list = field(default_factory=list)     # (variable, compiled function)

    @classmethod
    def build(cls, variables: Sequence[Variable], roles: Mapping[str, str] | None = None,
              landmarks: Sequence[Landmark] = (), relations: bool = True) -> "SamplingPlan":
        """The plan; ``relations=False`` leaves out landmarks that depend on other variables
        (they are compiled to torch)."""
        table = {v.name: v for v in variables}
        marks: dict[str, list[float]] = {}
        related = []
        for mark in landmarks:
            v = table[mark.variable]
            if mark.is_constant:
                try:
                    value = float(mark.value)
                except (TypeError, ValueError, OverflowError):
                    continue
                if np.isfinite(value):
                    marks.setdefault(v.name, []).append(value)
            elif relations:
                from workbench.compile import compile_expr   # loads torch: only when needed
                try:
                    related.append((v, compile_expr(mark.value, variables)))
                except Exception:  # noqa: BLE001 - a landmark we cannot compile is skipped
                    continue
        return cls(tuple(variables), dict(roles or {}), marks, related)

    def elements(self, v: Variable) -> st.SearchStrategy[float]:
        """The Hypothesis strategy of one entry of ``v`` (built once: building is not free)."""
        cache = self.__dict__.setdefault("_elements", {})
        if v.name not in cache:
            cache[v.name] = matrix_elements(v.domain) if v.is_matrix else \
                scalar_elements(v.domain, self.marks.get(v.name, ()))
        return cache[v.name]

    def role(self, v: Variable) -> str:
        return self.roles.get(v.name, "spd" if v.domain.kind == "spd" else "plain")

    def bulk(self, sizes: Mapping[str, int], count: int, rng: np.random.Generator,
             typical: bool = False) -> dict[str, np.ndarray]:
        """``count`` seeded points (fewer for large matrices: at most :data:`BULK_ENTRIES`
        numbers per variable set): the sampling mix (``typical``: the typical range only), a
        share of them near landmarks."""
        per_point = sum(math.prod(v.concrete_shape(dict(sizes))) for v in self.variables) or 1
        count = min(count, max(16, BULK_ENTRIES // per_point)) if count else count
        out = {}
        for v in self.variables:
            shape = v.concrete_shape(dict(sizes))
            if v.is_matrix:
                out[v.name] = draw_matrices(v.domain, self.role(v), count, *shape, rng, typical)
            else:
                out[v.name] = draw_scalars(v.domain, (count,), rng, typical)
        if count and (self.marks or self.relations):
            self._near_landmarks(out, count, rng)
        return out

    def _near_landmarks(self, out: dict, count: int, rng: np.random.Generator) -> None:
        chosen = rng.random(count) < LANDMARK_SHARE
        options = [(name, value) for name, values in self.marks.items() for value in values]
        options += [(v.name, fn) for v, fn in self.relations]
        which = rng.integers(0, len(options), count)
        offsets = OFFSETS[rng.integers(0, len(OFFSETS), count)] * \
            np.where(rng.random(count) < 0.5, -1.0, 1.0)
        point = {}
        if self.relations:
            import torch
            point = {k: torch.as_tensor(v) for k, v in out.items()}
        for k, (name, target) in enumerate(options):
            rows = chosen & (which == k)
            if not rows.any():
                continue
            with np.errstate(all="ignore"):       # a relation may be undefined at a point
                centre = target(point, batched=True).reshape(count).numpy() \
                    if callable(target) else np.full(count, target)
                moved = centre + offsets * np.maximum(1.0, np.abs(centre))
            domain = {v.name: v.domain for v in self.variables}[name]
            ok = rows & in_domain(domain, moved)
            out[name] = np.where(ok, moved, out[name])


@dataclass(frozen=True)
class Case:
    """Sizes, Hypothesis-drawn raw points ``(k, *shape)`` per variable, and a seeded bulk."""

    sizes: Mapping[str, int]
    drawn: Mapping[str, np.ndarray]
    bulk: int
    seed: int
    typical: bool = False

    @property
    def n_drawn(self) -> int:
        return next(iter(self.drawn.values())).shape[0] if self.drawn else 1

    def arrays(self, plan: SamplingPlan) -> dict[str, np.ndarray]:
        """All points as float64 arrays: drawn ones (conditioned for their role) first."""
        bulk = plan.bulk(self.sizes, self.bulk, np.random.default_rng(self.seed), self.typical)
        out = {}
        for v in plan.variables:
            drawn = np.asarray(self.drawn[v.name], dtype=np.float64)
            if v.is_matrix:
                drawn = condition(drawn, plan.role(v))
            out[v.name] = np.concatenate([drawn, bulk[v.name]])
        return out

    def point(self, plan: SamplingPlan, dtype=None, device="cpu") -> dict[str, torch.Tensor]:
        """All points as tensors (float64 unless ``dtype``)."""
        import torch
        return {k: torch.as_tensor(a, dtype=dtype, device=device)
                for k, a in self.arrays(plan).items()}


def scalar_elements(domain: Domain, marks: Sequence[float] = ()) -> st.SearchStrategy[float]:
    """Floats in ``domain``: typical values, any magnitude, simple values and, where the
    expression has them, values near its landmarks. Each part is built inside the domain, so
    no draw is filtered away."""
    if domain.kind == "interval":
        lo, hi = domain.low, domain.high
        return st.floats(lo, hi, exclude_min=True, exclude_max=True, allow_subnormal=False)
    lo, hi = typical_range(domain)
    signs = {"positive": (1.0,), "negative": (-1.0,)}.get(domain.kind, (1.0, -1.0))
    exponents = st.integers(SMALLEST_EXPONENT, LARGEST_EXPONENT)
    magnitude = st.tuples(exponents, st.floats(1.0, 9.99), st.sampled_from(signs)).map(
        lambda t: t[2] * t[1] * 10.0 ** t[0])
    typical = st.floats(lo, hi, exclude_min=domain.kind != "real",
                        exclude_max=domain.kind != "real", allow_subnormal=False)
    if domain.kind == "nonzero":
        typical = typical.map(lambda x: x if x != 0 else 1.0)
    options = [typical, magnitude]
    simple = [x for x in SIMPLE if in_domain(domain, x)]
    near = [m + s * o * max(1.0, abs(m)) for m in marks for o in OFFSETS for s in (1, -1)]
    near = [x for x in near if in_domain(domain, x)]
    options += [st.sampled_from(values) for values in (simple, near) if values]
    return st.one_of(*options)


def matrix_elements(domain: Domain) -> st.SearchStrategy[float]:
    """Raw entries of a matrix: typical values for spd factors and conditioned roles."""
    if domain.kind in ("real", "spd", "nonzero"):
        return st.floats(-4.0, 4.0, allow_subnormal=False)
    return scalar_elements(domain)


@st.composite
def cases(draw, plan: SamplingPlan, max_dim: int = 4, max_drawn: int = 4,
          bulk_sizes: Sequence[int] = BULK_SIZES) -> Case:
    """A :class:`Case` for ``plan``; symbolic dimensions range over 1..``max_dim``."""
    sizes = {d: draw(st.integers(1, max_dim), label=d) for d in dimension_names(plan.variables)}
    per_point = sum(math.prod(v.concrete_shape(sizes)) for v in plan.variables)
    if per_point > DRAWN_ENTRIES:     # too large for Hypothesis to draw entry by entry: the
        bulk_sizes = [b for b in bulk_sizes if b] or [BULK_SIZES[1]]     # seeded bulk only
        k = 0
    else:
        k = draw(st.integers(1, max_drawn))
    drawn = {}
    for v in plan.variables:
        shape = (k, *v.concrete_shape(sizes))
        drawn[v.name] = draw(arrays(np.float64, shape, elements=plan.elements(v),
                                    fill=st.nothing()), label=v.name)
    bulk = bulk_sizes[draw(st.integers(0, len(bulk_sizes) - 1))]
    seed = draw(st.integers(0, 2**31 - 1))
    return Case(sizes, drawn, bulk, seed)


DERANDOMIZED = 0
"""The seed of a derandomized search (``seed=None``): the same points every run."""


def first_failure(strategy, check, failure: type[Exception], *, examples: int,
                  seed: int | None, phases) -> Exception | None:
    """Run ``check`` on values of ``strategy`` drawn (and, in the ``phases`` that shrink,
    shrunk) by Hypothesis: the ``failure`` it finally raised, or None. ``seed`` None is
    derandomized (reproducible); no database, deadline or health checks."""
    @hsettings(max_examples=examples, database=None, deadline=None,
               verbosity=Verbosity.quiet, phases=phases, report_multiple_bugs=False,
               suppress_health_check=list(HealthCheck))
    @given(strategy)
    def prop(value):
        check(value)

    prop = hseed(DERANDOMIZED if seed is None else seed)(prop)
    # no database: its key (a digest of prop's source, read with inspect) is not needed
    prop._hypothesis_internal_database_key = None
    try:
        with own_constants():
            prop()
    except failure as exc:
        return exc
    return None


@contextmanager
def own_constants():
    """Hypothesis (6.131 on) draws 5 % of its numbers from a pool of constants, among them the
    literals of every "local" module in ``sys.modules``: a search's points would then depend
    on what else the process imported (a test run alone or in a full suite, each pytest-xdist
    worker), and "derandomized" would not mean "the same points every run". Within our
    searches the pool holds Hypothesis' own global constants only. Hypothesis versions
    without the pool are left as they are."""
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.cache import LRUCache
        from hypothesis.internal.constants_ast import Constants
        getter, cache = providers._get_local_constants, providers.CONSTANTS_CACHE
    except (ImportError, AttributeError):
        yield
        return
    with _OWN["lock"]:      # nested or concurrent searches: the first in patches, the last
        if _OWN["depth"] == 0:      # out restores
            _OWN["saved"] = (getter, cache)
            none = Constants()
            providers._get_local_constants = lambda: none
            providers.CONSTANTS_CACHE = _OWN.setdefault("cache", LRUCache(1024))
        _OWN["depth"] += 1
    try:
        yield
    finally:
        with _OWN["lock"]:
            _OWN["depth"] -= 1
            if _OWN["depth"] == 0:
                providers._get_local_constants, providers.CONSTANTS_CACHE = _OWN["saved"]


_OWN: dict = {"lock": threading.Lock(), "depth": 0}
"""The state of :func:`own_constants`: how many searches are inside it, what it replaced, and
its constants cache (the constants permitted per kind of choice, from the global pool only,
kept apart from the user's own tests')."""


def points(variables: Sequence[Variable], max_dim: int = 4, batch: int = 8,
           dtype=None) -> st.SearchStrategy[dict[str, torch.Tensor]]:
    """Public strategy: batches of ``batch`` points (dicts of tensors with a leading batch
    dimension) in the declared domains, for users' own property tests."""
    plan = SamplingPlan(tuple(variables))
    return cases(plan, max_dim, max_drawn=batch, bulk_sizes=(0,)).map(
        lambda c: c.point(plan, dtype))


def sample_points(plan: SamplingPlan, sizes: Mapping[str, int], count: int, seed: int,
                  typical: bool = True) -> dict[str, torch.Tensor]:
    """``count`` seeded points (float64 tensors) at ``sizes``, from the typical range by
    default: for tables and figures."""
    import torch
    return {k: torch.as_tensor(a) for k, a in
            plan.bulk(sizes, count, np.random.default_rng(seed), typical).items()}
