"""The computational graph: nodes (inputs, then operations in the order they run), the
constants inside operations, and how a node reads in text and LaTeX. A node reads other nodes
through its first step; a grouped node (:mod:`workbench.trace.grouping`) chains further steps on
the result of the one before (:data:`PREV`). Graphs are built by :mod:`workbench.trace.build`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Mapping, Sequence

import sympy

from workbench.errors import UnsupportedExpression
from workbench.tex import greek_name
from workbench.trace.matrix import MATRIX_OPS
from workbench.trace.numbers import Shape
from workbench.trace.ops import ATOM, OPS

PREV = "<prev>"
"""In a grouped node's later steps: the result of the step before."""

_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
          "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi",
          "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi",
          "Omega"}


@dataclass(frozen=True)
class Const:
    """A number inside an operation: its exact value and how it was written."""

    value: sympy.Expr
    text: str
    tex: str
    prec: int = ATOM


@dataclass(frozen=True)
class Step:
    """One operation: ``op`` (a key of OPS or MATRIX_OPS) applied to node indices, constants
    or :data:`PREV`."""

    op: str
    args: tuple


@dataclass(frozen=True)
class Node:
    """An input (no steps) or an operation node. A node of the elementary graph has one step;
    a grouped node a chain of them (see :mod:`workbench.trace.grouping`)."""

    index: int
    name: str
    shape: Shape
    steps: tuple[Step, ...] = ()
    text: str = ""
    tex: str = ""

    @property
    def is_input(self) -> bool:
        return not self.steps

    @property
    def inputs(self) -> tuple[int, ...]:
        """The distinct nodes this node reads, in order."""
        seen: list[int] = []
        for a in self.steps[0].args if self.steps else ():
            if isinstance(a, int) and a not in seen:
                seen.append(a)
        return tuple(seen)


@dataclass(frozen=True)
class Graph:
    """Nodes in topological order (inputs first); ``output`` is the last one."""

    text: str
    nodes: tuple[Node, ...]
    grouped: bool = False

    @property
    def output(self) -> Node:
        return self.nodes[-1]

    @property
    def inputs(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.is_input)

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    @cached_property
    def consumers(self) -> dict[int, tuple[int, ...]]:
        """For each node, the distinct nodes that read it (its outgoing edges)."""
        out: dict[int, list[int]] = {n.index: [] for n in self.nodes}
        for n in self.nodes:
            for k in n.inputs:
                out[k].append(n.index)
        return {k: tuple(v) for k, v in out.items()}

    def uses(self, index: int) -> int:
        """How many operand slots read node ``index`` (``x*x`` uses x twice)."""
        return sum(1 for n in self.nodes if n.steps for a in n.steps[0].args if a == index)

    @cached_property
    def layers(self) -> dict[int, int]:
        """Longest distance from an input: the column of each node in a drawing."""
        out: dict[int, int] = {}
        for n in self.nodes:
            out[n.index] = 1 + max((out[k] for k in n.inputs), default=-1)
        return out

    def spelled_out(self) -> tuple[str, str]:
        """The whole expression as text and LaTeX, written as typed (from the nodes)."""
        spelled: dict[int, tuple[str, str, int]] = {}
        for n in self.nodes:
            if not n.is_input:
                spelled[n.index] = label(n.steps, {k.index: k for k in self.nodes}, spelled)
        return spelled[self.output.index][:2]

    @cached_property
    def positions(self) -> dict[int, tuple[int, int]]:
        """(column, row) of each node in a drawing: columns by :attr:`layers`, rows in order."""
        rows: dict[int, int] = {}
        out = {}
        for n in self.nodes:
            col = self.layers[n.index]
            out[n.index] = (col, rows.get(col, 0))
            rows[col] = rows.get(col, 0) + 1
        return out


def tex_name(name: str) -> str:
    """A variable or node name in LaTeX math: ``beta`` -> ``\\beta``, ``lam`` -> ``\\lambda``
    (:func:`workbench.tex.greek_name`), ``v12`` -> ``v_{12}``."""
    name = greek_name(name)
    if name in _GREEK:
        return "\\" + name
    head = name.rstrip("0123456789")
    if len(head) == 1 and head != name:
        return f"{head}_{{{name[1:]}}}"
    if len(name) == 1:
        return name
    return r"\mathit{" + name.replace("_", r"\_") + "}"


def label(steps: Sequence[Step], names: Mapping[int, Node],
          spelled: Mapping[int, tuple[str, str, int]] | None = None) -> tuple[str, str, int]:
    """Text, LaTeX and precedence of a chain of steps. Operands are called by their node names,
    or written out as ``spelled[index]`` (text, LaTeX, precedence) where given."""
    text = tex = ""
    prec = ATOM
    for step in steps:
        rule = OPS.get(step.op) or MATRIX_OPS[step.op]
        texts, texes = [], []
        for a in step.args:
            if a == PREV:
                texts.append((text, prec))
                texes.append((tex, prec))
            elif isinstance(a, Const):
                texts.append((a.text, a.prec))
                texes.append((a.tex, a.prec))
            elif spelled and a in spelled:
                texts.append((spelled[a][0], spelled[a][2]))
                texes.append((spelled[a][1], spelled[a][2]))
            else:
                texts.append((names[a].name, ATOM))
                texes.append((tex_name(names[a].name), ATOM))
        text = rule.text.apply(texts)
        tex = rule.tex.apply(texes, (r"\left(", r"\right)"))
        prec = rule.text.prec
    return text, tex, prec


def fresh_prefix(count: int, taken: set[str]) -> str:
    """A prefix p for node names p1 ... p<count> that no variable is called."""
    for prefix in ("v", "u", "w", "t", "node"):
        if not any(f"{prefix}{k}" in taken for k in range(1, count + 1)):
            return prefix
    raise UnsupportedExpression("variable names collide with every node name prefix")
