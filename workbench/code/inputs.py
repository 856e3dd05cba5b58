"""What to sample: the inputs of the user's code, read off example tensors and arrays.

Each input is a :class:`Slot`: its name (the parameter's), its backend (torch, numpy or a Python
number), dtype, shape and domain. Sizes are shared by name: every axis of every input whose
example size is the same (and above 1) belongs to one *dimension group*, labelled by its first
occurrence (``X.shape[0]``), so that ``X (n, p)``, ``y (n, 1)``, ``beta (p, 1)`` vary ``n`` and
``p`` together and stay compatible. Whether a group may vary at all is found by trying the code
at other sizes (:meth:`InputPlan.fix`); a module's parameter sizes never vary.

Domains (``domain=`` of :func:`~workbench.code.check_gradient`): ``real`` (default for floats),
``positive``, ``negative``, ``nonzero``, ``[a,b]``, ``spd`` (last two axes), ``simplex`` (last
axis: positive, sums to 1), ``labels`` or ``labels:C`` (integers in ``[0, C)``; the default for
integer inputs, C from the example) and ``fixed`` (always the example's value).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Mapping, Sequence

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from workbench.code.estimate import direction
from workbench.errors import DomainError, UserError
from workbench.expr.sampling import (LARGEST_EXPONENT, SIMPLE, SMALLEST_EXPONENT, condition,
                                     draw_matrices, draw_scalars, in_domain, typical_range)
from workbench.expr.spaces import Domain

MAX_SIZE = 4
"""A varying dimension is drawn in 1..MAX_SIZE (the example's own size is the first point)."""
MAGNITUDE_SHARE = 1 / 3
"""Share of drawn tensors scaled by 10**u, u uniform in the sampling module's exponent range;
the others keep the typical range (exp-heavy code overflows at large magnitudes)."""
SCALE_KINDS = ("real", "positive", "negative", "nonzero")
NEAR = 0.5
"""Relative spread of the cases drawn near the example."""
NEAR_EXPONENTS = (0, 0, 1, 3, 6, -3)
"""The scale 10**e of the values like the example's (a third away from its magnitude; shrinks
to 1)."""
NEAR_SHARE = 2 / 3
"""Share of cases with values like the example's (the others across magnitudes, where
shrinking goes first: to the simplest values that still fail)."""


class CodeError(UserError):
    """A call of :func:`~workbench.code.check_gradient` that cannot be checked as given: bad
    inputs, a gradient of the wrong kind, code that fails on its own example."""


@dataclass(frozen=True)
class CodeDomain:
    """Where an input's values live: ``kind`` is one of real, positive, negative, nonzero,
    interval, spd, simplex, labels, fixed; ``scalar`` the entrywise domain of real kinds;
    ``classes`` the number of labels."""

    kind: str = "real"
    scalar: Domain = field(default_factory=Domain)
    classes: int = 0

    @staticmethod
    def parse(text: str, where: str) -> "CodeDomain":
        word = str(text).strip().lower()
        if word in ("simplex", "fixed"):
            return CodeDomain(word)
        if word == "labels" or word.startswith("labels:"):
            count = word.partition(":")[2]
            if count and not (count.isdigit() and int(count) >= 1):
                raise DomainError(f"labels:C needs a positive integer C, got {text!r}", where)
            return CodeDomain("labels", classes=int(count) if count else 0)
        try:
            d = Domain.parse(word, where)
        except DomainError as exc:
            raise DomainError(f"{exc.message[:-1] if exc.message.endswith('.') else exc.message}"
                              f", simplex, labels, labels:C or fixed", where) from None
        return CodeDomain("spd" if d.kind == "spd" else d.kind, d)

    def __str__(self) -> str:
        if self.kind == "labels":
            return f"labels in [0, {self.classes})"
        return str(self.scalar) if self.kind in SCALE_KINDS + ("interval",) else self.kind


@dataclass(frozen=True)
class Slot:
    """One input of the code. ``position``: its place among the call's arguments (None for a
    module's parameter); ``axes``: the dimension group of each axis (None: fixed size);
    ``example``: the example's values (float64, or int64 for integers)."""

    name: str
    position: int | None
    backend: str                     # torch, numpy, python
    dtype: str                       # float32, float64, int64, bool ...
    shape: tuple[int, ...]
    domain: CodeDomain
    differentiated: bool
    example: Any
    axes: tuple[str | None, ...] = ()

    @property
    def is_float(self) -> bool:
        return self.dtype.startswith(("float", "bfloat"))

    @property
    def drawn(self) -> bool:
        return self.domain.kind != "fixed" and (self.is_float or self.domain.kind == "labels")

    def describe(self) -> str:
        shape = "scalar" if not self.shape else "x".join(map(str, self.shape))
        return f"{self.name} ({self.backend} {self.dtype} {shape}, {self.domain})"


@dataclass(frozen=True)
class Group:
    """A dimension shared by several axes: its ``label`` (first occurrence), example ``size``,
    every axis it names, and whether it varies."""

    label: str
    size: int
    axes: tuple[str, ...]
    varies: bool = True


@dataclass(frozen=True)
class Case:
    """One drawn point: ``sizes`` per group, ``values`` per drawn slot (float64 or int64
    arrays), ``directions``: cotangents and tangents (float64) named by their role."""

    sizes: Mapping[str, int]
    values: Mapping[str, np.ndarray]
    directions: Mapping[str, np.ndarray]
    drawn_by_hypothesis: bool = True
    tangent: Mapping[str, np.ndarray] | None = field(default=None, compare=False)
    """A seeded case's first direction of projection per float input (drawn with its values,
    :func:`seeded_points`); None: the check draws it from the case's key."""

    def __repr__(self) -> str:     # short: Hypothesis shows the cases it draws
        shapes = {k: np.shape(v) for k, v in self.values.items()}
        return f"Case(sizes={dict(self.sizes)}, shapes={shapes})"

    def _repr_pretty_(self, printer, cycle) -> None:    # what Hypothesis' printer calls
        printer.text(repr(self))

    @cached_property
    def key(self) -> bytes:
        """The case's bytes: equal cases (Hypothesis replays them) have equal keys."""
        parts = [repr(sorted(self.sizes.items())).encode()]
        for group in (self.values, self.directions or {}):
            for k in sorted(group):
                a = np.ascontiguousarray(group[k])
                name = _DTYPE_NAMES.get(a.dtype)
                if name is None:
                    name = _DTYPE_NAMES[a.dtype] = str(a.dtype).encode()
                parts += [k.encode(), name, repr(a.shape).encode(), a.tobytes()]
        return b"|".join(parts)


_DTYPE_NAMES: dict = {}
"""``str(dtype).encode()`` by dtype, for :attr:`Case.key` (numpy's ``str`` of a dtype costs
more than the rest of the key)."""


@dataclass
class InputPlan:
    """The slots of one check and their dimension groups."""

    slots: list[Slot]
    groups: dict[str, Group]

    @classmethod
    def build(cls, slots: Sequence[Slot], fixed_sizes: set[int] = frozenset()) -> "InputPlan":
        """Group equal sizes (above 1) across every axis; ``fixed_sizes`` never vary (a
        module's parameter sizes)."""
        by_size: dict[int, list[str]] = {}
        for s in slots:
            for k, n in enumerate(s.shape):
                if n > 1 and s.domain.kind != "fixed":
                    by_size.setdefault(n, []).append(f"{s.name}.shape[{k}]")
        groups = {axes[0]: Group(axes[0], n, tuple(axes), n not in fixed_sizes)
                  for n, axes in by_size.items()}
        named = {a: g.label for g in groups.values() for a in g.axes}
        out = [replace(s, axes=tuple(named.get(f"{s.name}.shape[{k}]")
                                     for k in range(len(s.shape)))) for s in slots]
        return cls(out, groups)

    @property
    def varying(self) -> list[str]:
        return [g for g, x in self.groups.items() if x.varies]

    def fix(self, label: str) -> None:
        self.groups[label] = replace(self.groups[label], varies=False)

    def example_sizes(self) -> dict[str, int]:
        return {g: x.size for g, x in self.groups.items()}

    def shape(self, slot: Slot, sizes: Mapping[str, int]) -> tuple[int, ...]:
        return tuple(n if a is None or not self.groups[a].varies else sizes[a]
                     for a, n in zip(slot.axes, slot.shape))

    def by_name(self) -> dict[str, Slot]:
        return {s.name: s for s in self.slots}

    def example_case(self) -> Case:
        return Case(self.example_sizes(), {s.name: s.example for s in self.slots if s.drawn},
                    {}, drawn_by_hypothesis=False)

    def seeded_case(self, sizes: Mapping[str, int], rng: np.random.Generator) -> Case:
        """A typical point at ``sizes`` from the sampling module's seeded draws (for probes
        and the diagnosis)."""
        values = {}
        for s in self.slots:
            if s.drawn:
                values[s.name] = seeded_values(s, self.shape(s, sizes), rng)
        return Case(dict(sizes), values, {}, drawn_by_hypothesis=False)


# ---------------------------------------------------------------- drawing values

def seeded_values(slot: Slot, shape: tuple[int, ...], rng: np.random.Generator,
                  typical: bool = True) -> np.ndarray:
    """Values of ``slot`` at ``shape`` (seeded; :mod:`workbench.expr.sampling`): typical
    ones, or (``typical`` False) entries of the real kinds mixed across magnitudes and
    simple values."""
    d = slot.domain
    if d.kind == "labels":
        return rng.integers(0, d.classes, shape).astype(np.int64)
    if d.kind == "spd":
        lead, n = shape[:-2], shape[-1]
        count = int(np.prod(lead, dtype=np.int64))
        m = draw_matrices(d.scalar, "spd", count, n, n, rng, typical=True)
        return (m / np.abs(m).max()).reshape(shape)   # one ordinary magnitude
    if d.kind == "simplex":
        return _simplex(rng.uniform(0.05, 1.0, shape))
    return draw_scalars(d.scalar, shape, rng, typical=typical)


def _simplex(raw: np.ndarray) -> np.ndarray:
    if raw.ndim == 0:
        return np.ones(())
    return raw / raw.sum(-1, keepdims=True)


def _entries(d: CodeDomain) -> st.SearchStrategy[float]:
    if d.kind == "interval":
        return st.floats(d.scalar.low, d.scalar.high, exclude_min=True, exclude_max=True,
                         allow_subnormal=False)
    if d.kind in ("spd",):
        return st.floats(-4.0, 4.0, allow_subnormal=False)
    if d.kind == "simplex":
        return st.floats(0.05, 1.0, allow_subnormal=False)
    lo, hi = typical_range(d.scalar)
    real = d.kind == "real"
    entries = st.floats(lo, hi, exclude_min=not real, exclude_max=not real,
                        allow_subnormal=False)
    return entries.map(lambda x: x if x != 0 else 1.0) if d.kind == "nonzero" else entries


_MAGNITUDE = st.tuples(st.floats(0, 1), st.integers(SMALLEST_EXPONENT, LARGEST_EXPONENT)).map(
    lambda t: 0 if t[0] >= MAGNITUDE_SHARE else t[1])
"""The exponent of a tensor's scale: 0 (shrinks there) or across magnitudes."""


def slot_values(slot: Slot, shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    """A Hypothesis strategy for the values of ``slot`` at ``shape``."""
    d = slot.domain
    if d.kind == "labels":
        return arrays(np.int64, shape, elements=st.integers(0, d.classes - 1))
    raw = arrays(np.float64, shape, elements=_entries(d), fill=st.nothing())
    if d.kind == "spd":
        return raw.map(lambda m: condition(m, "spd") if m.ndim >= 2 else np.abs(m) + 0.5)
    if d.kind == "simplex":
        return raw.map(_simplex)
    if d.kind in SCALE_KINDS:
        return st.tuples(raw, _MAGNITUDE).map(lambda t: t[0] * 10.0 ** t[1])
    return raw


BATCH = 10
"""Points per Hypothesis case: they share one draw of the sizes and are compared together
(:meth:`~workbench.code.check.Checker.examine_batch`: one batched evaluation of the
references where the code allows), so that Hypothesis' own cost per case is paid once per
BATCH points."""
DRAWN_ENTRIES = 64
"""A case's first point has its entries drawn (and shrunk) one by one by Hypothesis up to
this many entries (values and cotangents); larger ones, and the others, from a seed."""


@st.composite
def batches(draw, plan: InputPlan, directions, size: int = BATCH, second: int = 0,
            mix: int = 0) -> list[Case]:
    """``size`` points: the first drawn as :func:`cases` draws (and shrinks), at sizes of
    its own; the others at one draw of the sizes of the varying groups, from one seed
    Hypothesis draws:
    NEAR_SHARE of them like the example (a spread and a scale of their own), the rest across
    magnitudes and simple values (:func:`~workbench.expr.sampling.draw_scalars`).

    ``second``: as many more points, drawn the same way at sizes of their own, from a seed
    Hypothesis draws mixed with ``mix``: in Hypothesis' first case (its simplest: every
    choice the smallest, every size 1) they are still points of every size, as its second
    case would draw. The screen holds the points of that first case (:func:`screen` makes
    them without running Hypothesis)."""
    out = [_point(draw, plan, _sizes(draw, plan), directions, drawn=True)]
    if size > 1:
        sizes = _sizes(draw, plan)
        rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1), label="batch seed"))
        out += seeded_points(plan, sizes, directions, rng, size - 1)
    if second > 0:
        rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1), label="second seed") ^ mix)
        sizes = plan.example_sizes()
        for g in plan.varying:
            sizes[g] = int(rng.integers(1, MAX_SIZE + 1))
        out += seeded_points(plan, sizes, directions, rng, second)
    return out


SCREENED = 2 * BATCH
"""Points of the screen (:func:`screen`): the default check's twenty; a failure among them,
or more points asked for, and the search runs a case per BATCH points."""


def screen(plan: InputPlan, directions, size: int = BATCH, second: int = 0,
           mix: int = 0) -> list[Case]:
    """The points of :func:`batches` in Hypothesis' first case, made without running
    Hypothesis: that case is its simplest (every choice the smallest: every size 1, the
    first point like the example at spread 0 and scale 1, seeds 0), so it holds the same
    points whatever the seed (``mix`` varies the second group). A screen that passes needs no
    engine (whose fixed cost is about a millisecond, a tenth of a small op's check); one that
    fails is searched and shrunk by Hypothesis
    (:meth:`~workbench.code.check.Checker._search`)."""
    sizes = plan.example_sizes()
    for g in plan.varying:
        sizes[g] = 1
    out = [seeded_point(plan, dict(sizes), directions, np.random.default_rng(0),
                        (0.0, 10.0 ** NEAR_EXPONENTS[0]))]
    if size > 1:
        out += seeded_points(plan, dict(sizes), directions, np.random.default_rng(0), size - 1)
    if second > 0:
        rng = np.random.default_rng(0 ^ mix)
        sizes = plan.example_sizes()
        for g in plan.varying:
            sizes[g] = int(rng.integers(1, MAX_SIZE + 1))
        out += seeded_points(plan, sizes, directions, rng, second)
    return out


def _sizes(draw, plan: InputPlan) -> dict[str, int]:
    sizes = plan.example_sizes()
    for g in plan.varying:
        sizes[g] = draw(st.integers(1, MAX_SIZE), label=g)
    return sizes


@st.composite
def cases(draw, plan: InputPlan, directions) -> Case:
    """One point: sizes for the varying groups, then values: every entry and cotangent drawn
    (and shrunk) by Hypothesis across magnitudes, or (NEAR_SHARE of the cases) values like
    the example's, from a seed and a spread that Hypothesis draws, where the code surely
    runs. ``directions(sizes, values)`` gives the cotangents' shapes by name, or None when
    the code cannot run at these sizes (the case is then skipped)."""
    return draw(batches(plan, directions, size=1))[0]


def _point(draw, plan: InputPlan, sizes, directions, drawn: bool) -> Case:
    near = draw(st.integers(0, 99), label="mode") < 100 * NEAR_SHARE
    entries = sum(int(np.prod(plan.shape(s, sizes))) for s in plan.slots if s.drawn)
    if near or entries > DRAWN_ENTRIES:
        spread = draw(st.floats(0, NEAR), label="spread") if near else 0.0
        scale = 10.0 ** draw(st.sampled_from(NEAR_EXPONENTS), label="scale") if near else 1
        rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1), label="seed"))
        return seeded_point(plan, sizes, directions, rng, (spread, scale) if near else None)
    values = {s.name: draw(slot_values(s, plan.shape(s, sizes)), label=s.name)
              for s in plan.slots if s.drawn}
    shapes = directions(sizes, values)
    out = {}
    for name, shape in (shapes or {}).items():
        out[name] = draw(arrays(np.float64, shape, elements=st.floats(-4.0, 4.0,
                                                                      allow_subnormal=False),
                                fill=st.nothing()), label=name)
    return Case(sizes, values, out if shapes is not None else None)


def seeded_point(plan: InputPlan, sizes, directions, rng: np.random.Generator,
                 near: tuple[float, float] | None | bool = True) -> Case:
    """One point from ``rng`` (see :func:`seeded_points`)."""
    return seeded_points(plan, sizes, directions, rng, 1, near)[0]


def seeded_points(plan: InputPlan, sizes, directions, rng: np.random.Generator, count: int,
                  near: tuple[float, float] | None | bool = True) -> list[Case]:
    """``count`` points at ``sizes`` from ``rng``, drawn together (one numpy call per input
    for them all), each like the example (``near``: its spread and scale, or True to draw
    them per point from ``rng``, NEAR_SHARE of the time) or across magnitudes and simple
    values; each with its cotangents (``directions(sizes, values)`` gives their shapes, or
    None where the code cannot run) and its first direction of projection (``tangent``)."""
    if near is True:
        close = rng.random(count) < NEAR_SHARE
        spread = rng.uniform(0, NEAR, count)
        scale = 10.0 ** rng.choice(np.array(NEAR_EXPONENTS, dtype=np.float64), count)
    else:
        close = np.full(count, near is not None)
        spread = np.full(count, near[0] if near else 0.0)
        scale = np.full(count, near[1] if near else 1.0)
    on, off = np.nonzero(close)[0], np.nonzero(~close)[0]
    blocks = {}
    for s in plan.slots:
        if not s.drawn:
            continue
        shape = plan.shape(s, sizes)
        parts = [(on, _like_example_many(s, shape, spread[on], scale[on], rng)) if on.size
                 else None,
                 (off, _free_many(s, shape, off.size, rng)) if off.size else None]
        parts = [p for p in parts if p is not None]
        block = np.empty((count, *shape), dtype=parts[0][1].dtype)
        for rows, part in parts:
            block[rows] = part
        blocks[s.name] = block
    values = [{k: b[i] for k, b in blocks.items()} for i in range(count)]
    shapes = [directions(sizes, v) for v in values]
    known = next((x for x in shapes if x is not None), None)
    cot = seeded_directions({k: (count, *n) for k, n in (known or {}).items()}, rng)
    tangents = {k: direction(b, rng) for k, b in blocks.items()      # row by row
                if np.issubdtype(b.dtype, np.floating)}
    return [Case(sizes, values[i],
                 {k: c[i] for k, c in cot.items()} if shapes[i] is not None else None,
                 tangent={k: t[i] for k, t in tangents.items()})
            for i in range(count)]


def _per_point(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A per-point array ``(k,)`` shaped to broadcast against ``(k, *shape)``."""
    return values.reshape(-1, *([1] * len(shape)))


def _seeded_many(slot: Slot, shape: tuple[int, ...], k: int, rng: np.random.Generator
                 ) -> np.ndarray:
    """:func:`seeded_values` of ``k`` points at once, ``(k, *shape)``."""
    d = slot.domain
    if d.kind == "spd":
        lead, n = shape[:-2], shape[-1]
        count = k * int(np.prod(lead, dtype=np.int64))
        m = draw_matrices(d.scalar, "spd", count, n, n, rng, typical=True).reshape(k, -1)
        if m.size:
            m = m / np.abs(m).max(axis=1, keepdims=True)     # one ordinary magnitude per point
        return m.reshape((k, *shape))
    if d.kind == "simplex" and not shape:
        return np.ones(k)
    return seeded_values(slot, (k, *shape), rng)


def _free_many(slot: Slot, shape: tuple[int, ...], k: int, rng: np.random.Generator
               ) -> np.ndarray:
    """``k`` points drawn as :func:`seeded_values` does, then as Hypothesis' entries draw
    (:func:`slot_values`): a quarter of the points with some entries simple values (0, 1, -1,
    2, 0.5 ...), MAGNITUDE_SHARE of them scaled by ``10**e`` (e an integer across the exponent
    range)."""
    values = _seeded_many(slot, shape, k, rng)
    if slot.domain.kind not in SCALE_KINDS or not slot.is_float:
        return values
    simple = np.array([x for x in SIMPLE if in_domain(slot.domain.scalar, x)] or [1.0])
    pick = _per_point(rng.random(k) < 0.25, shape) & (rng.random((k, *shape)) < 0.3)
    values = np.where(pick, rng.choice(simple, (k, *shape)), values)
    scaled = rng.random(k) < MAGNITUDE_SHARE
    exps = rng.integers(SMALLEST_EXPONENT, LARGEST_EXPONENT + 1, k)
    return values * _per_point(np.where(scaled, 10.0 ** exps, 1.0), shape)


def _like_example_many(slot: Slot, shape: tuple[int, ...], spread: np.ndarray,
                       scale: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``len(spread)`` points like the example: at its shape the example itself, at another
    shape its entries drawn with replacement; each times ``scale (1 + spread * U(-1, 1))``
    (signs, and so the domains of real kinds, kept). Other domains are drawn afresh
    (seeded)."""
    k = len(spread)
    example = np.asarray(slot.example, dtype=np.float64)
    if slot.domain.kind not in SCALE_KINDS or not slot.is_float or not example.size:
        out = _seeded_many(slot, shape, k, rng)
        if shape == slot.shape:
            same = spread == 0
            if same.any():
                out = out.astype(np.result_type(out, np.asarray(slot.example)))
                out[same] = slot.example
        return out
    base = np.broadcast_to(example, (k, *shape)) if shape == slot.shape else \
        rng.choice(example.reshape(-1), size=(k, *shape))
    return _per_point(scale, shape) * base * \
        (1 + _per_point(spread, shape) * rng.uniform(-1, 1, (k, *shape)))


TOP_UP_SPREAD = 0.1
TOP_UP_TRIES = 4
"""Points drawn near the example when too few compared (:func:`near_example`): spread
TOP_UP_SPREAD times 1 to 1e-3, at most TOP_UP_TRIES times the points a verdict needs."""


def near_example(plan: InputPlan, sizes, directions, rng: np.random.Generator):
    """Points like the example at ``sizes``, each with a spread of TOP_UP_SPREAD times 1 to
    1e-3 and scale 1, without end: where most drawn points left the code's domain (asin, logit
    near the ends of theirs), the points a check tops up with."""
    while True:
        spread = float(rng.uniform(0, TOP_UP_SPREAD)) * 10.0 ** -float(rng.integers(0, 4))
        yield seeded_point(plan, sizes, directions, rng, (spread, 1.0))


def seeded_directions(shapes: Mapping[str, tuple[int, ...]], rng: np.random.Generator
                      ) -> dict[str, np.ndarray]:
    """Cotangents and tangents for a seeded case: uniform in (-4, 4), away from 0."""
    return {k: rng.uniform(0.5, 4.0, s) * np.where(rng.random(s) < 0.5, -1.0, 1.0)
            for k, s in shapes.items()}


def labels_count(example: np.ndarray) -> int:
    """The number of classes an integer example suggests (at least 2)."""
    return max(2, int(example.max()) + 1) if example.size else 2


__all__ = ["BATCH", "SCREENED", "Case", "CodeDomain", "CodeError", "Group", "InputPlan", "Slot",
           "batches", "cases", "labels_count", "near_example", "screen", "seeded_directions",
           "seeded_points", "seeded_values", "slot_values"]
