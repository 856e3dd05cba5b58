"""What a trace holds: its numbers (float64 and exact side by side), each node's row, and the
float and exact runs of :mod:`workbench.trace.forward` zipped into those rows."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy

from workbench.trace.forward import Run
from workbench.trace.graph import Graph, Node


@dataclass(frozen=True)
class Number:
    """A number of the trace: float64 (a float, or an ``(r, c)`` array) and exact (a SymPy
    number or ImmutableMatrix; ``None`` where the exact run was dropped)."""

    float: float | np.ndarray
    exact: sympy.Basic | None = None


@dataclass(frozen=True)
class Partial:
    """The local derivative of a node with respect to one node it reads: a number (entrywise
    for elementwise matrix operations) or, for a matrix operation, its VJP ``rule``."""

    number: Number | None
    rule: str | None = None
    rule_tex: str | None = None    # the rule as mathematics (pictures and pages)


@dataclass
class Row:
    """One node of the trace. ``contributions``: (reader, share) pairs summed into the adjoint;
    ``tangents``: per input direction (forward mode)."""

    node: Node
    value: Number
    partials: dict[str, Partial]
    adjoint: Number | None = None
    contributions: list[tuple[str, Number]] = field(default_factory=list)
    tangents: dict[str, Number] = field(default_factory=dict)


def rows(graph: Graph, f: Run, e: Run | None) -> list[Row]:
    """The float and exact runs side by side, one :class:`Row` per node."""
    def num(get) -> Number:
        return Number(get(f), get(e) if e is not None else None)

    out = []
    for node in graph.nodes:
        i = node.index
        partials = {}
        for k, local in f.locals.get(i, {}).items():
            name = graph.nodes[k].name
            number = None if local.partial is None else \
                num(lambda r, k=k: r.locals[i][k].partial)
            partials[name] = Partial(number, local.rule, local.rule_tex)
        adjoint = num(lambda r: r.adjoints[i]) if f.adjoints else None
        shares = [(graph.nodes[j].name, num(lambda r, n=n: r.shares[i][n][1]))
                  for n, (j, _) in enumerate(f.shares.get(i, []))]
        tangents = {label: num(lambda r, label=label: r.tangents[label][i])
                    for label in f.tangents}
        out.append(Row(node, num(lambda r: r.values[i]), partials, adjoint, shares, tangents))
    return out


def is_close(a: Number, b: Number, tol: float = 1e-12) -> bool:
    """Float64 agreement: ``|a - b| <= tol * max(1, |a|, |b|)`` entrywise."""
    x, y = np.asarray(a.float, dtype=float), np.asarray(b.float, dtype=float)
    return x.shape == y.shape and bool(np.all(np.abs(x - y) <= tol * np.maximum(
        1.0, np.maximum(np.abs(x), np.abs(y)))))


