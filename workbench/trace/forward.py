"""Forward and backward passes over a graph, in float64 and exactly.

The forward pass gives every node its value and its local partial derivative with respect to
each node it reads (for a matrix operation: the vector-Jacobian product, written as a rule).
Reverse mode then seeds the output's adjoint with 1 and, from the output back to the inputs,
adds each node's share ``adjoint(node) * local partial`` into the adjoints of the nodes it reads:
a node read twice (``x`` in ``x*exp(x)``) sums two shares. Forward mode instead pushes a
tangent per input direction (one pass per scalar input entry) from the inputs to the output.

Both passes run once in each number system of :mod:`workbench.trace.numbers`; the exact run is
dropped, with a note, when its numbers stop being small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from workbench.derive.limits import time_limit
from workbench.errors import ResourceLimit, UserError
from workbench.trace.graph import PREV, Const, Graph, Node, tex_name
from workbench.trace.matrix import MATRIX_OPS
from workbench.trace.numbers import EXACT, FLOAT, ExactUnavailable, NotDefined
from workbench.trace.ops import OPS
from workbench.trace.options import MODES

MAX_SEEDS = 16
EXACT_SECONDS = 10.0
_FLOAT_ERRORS = (ValueError, ZeroDivisionError, OverflowError, NotDefined)


class NoDerivative(ArithmeticError):
    """A node whose value is defined but whose local derivative is not (``sqrt`` at 0)."""

    def __init__(self, node: Node, exc: Exception):
        super().__init__(_why(exc))
        self.node = node


@dataclass
class Local:
    """A node's local derivative with respect to one node it reads, in one number system:
    ``partial`` (elementwise operations) or ``rule`` (matrix operations), and the products
    ``vjp(g)`` (its share of the adjoint) and ``jvp(t)`` (the tangent it passes on)."""

    partial: object | None
    rule: str | None
    vjp: Callable
    jvp: Callable
    rule_tex: str | None = None


@dataclass
class Run:
    """Everything one pass computed, by node index (tangents: by direction, then node)."""

    values: dict[int, object]
    locals: dict[int, dict[int, Local]]
    adjoints: dict[int, object] = field(default_factory=dict)
    shares: dict[int, list[tuple[int, object]]] = field(default_factory=dict)
    tangents: dict[str, dict[int, object]] = field(default_factory=dict)
    gradient: dict[str, object] = field(default_factory=dict)


def seeds(wrt: tuple[str, ...], shapes: Mapping[str, tuple | None]) -> list[tuple[str, str, tuple]]:
    """Forward-mode directions: (label, variable, entry) per scalar entry of each variable."""
    out = []
    for name in wrt:
        shape = shapes[name]
        if shape is None:
            out.append((name, name, ()))
        else:
            out.extend((f"{name}[{i},{j}]", name, (i, j))
                       for i in range(shape[0]) for j in range(shape[1]))
    if len(out) > MAX_SEEDS:
        raise UserError(f"forward mode needs one pass per input entry ({len(out)} here, limit "
                        f"{MAX_SEEDS}): use reverse mode or fewer variables in --wrt", "--mode")
    return out


def run(graph: Graph, point: Mapping[str, object], m, mode: str, wrt: tuple[str, ...],
        shapes: Mapping[str, tuple | None]) -> Run:
    """One pass in number system ``m`` from input values ``point`` (in that system);
    ``shapes`` gives each variable of ``wrt`` its shape (``None``: a scalar)."""
    values: dict[int, object] = {}
    result = Run(values, {})
    directions = seeds(wrt, shapes) if mode == "forward" else []
    try:
        for node in graph.nodes:
            if node.is_input:
                values[node.index] = point[node.name]
                continue
            try:
                values[node.index], result.locals[node.index] = _evaluate(node, graph, values, m)
            except OverflowError as exc:    # the point is fine; float64 is too small for it
                raise ResourceLimit(f"{node.name} = {node.text} overflows float64 where "
                                    f"{_reads(graph, node, values)}, so the float route "
                                    f"cannot be traced ({_why(exc)})") from None
            except _FLOAT_ERRORS as exc:
                raise UserError(f"{node.name} = {node.text} is not defined where "
                                f"{_reads(graph, node, values)} ({_why(exc)})") from None
        if mode == "reverse":
            _backward(graph, result, m)
        else:
            for label, name, entry in directions:
                result.tangents[label] = _forward(graph, result, m, name, entry)
    except NoDerivative as exc:
        raise UserError(f"{exc.node.name} = {exc.node.text} has no derivative where "
                        f"{_reads(graph, exc.node, values)} ({exc})") from None
    if mode == "reverse":
        inputs = {n.name: n.index for n in graph.inputs}
        result.gradient = {name: result.adjoints[inputs[name]] if name in inputs else
                           m.zeros(shapes[name]) for name in wrt}
        return result
    entries: dict[str, dict] = {name: {} for name in wrt}
    for label, name, entry in directions:
        entries[name][entry] = m.entry(result.tangents[label][graph.output.index], ())
    result.gradient = {name: m.build(shapes[name], entries[name].__getitem__) for name in wrt}
    return result


def _reads(graph: Graph, node: Node, values: dict) -> str:
    def text(v) -> str:
        if isinstance(v, np.ndarray):
            return np.array2string(v, separator=", ").replace("\n", "")
        return f"{v:.12g}" if isinstance(v, float) else str(v)
    return ", ".join(f"{graph.nodes[k].name} = {text(values[k])}" for k in node.inputs)


def _why(exc: Exception) -> str:
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, OverflowError):
        return "overflow"
    return str(exc) or type(exc).__name__


def _operands(args: tuple, values: dict, m) -> list:
    return [m.const(a.value) if isinstance(a, Const) else values[a] for a in args]


def _evaluate(node: Node, graph: Graph, values: dict, m):
    """Value of ``node`` and its local derivative per node it reads, as :class:`Local`."""
    first = node.steps[0]
    operands = _operands(first.args, values, m)
    slots = [k for k, a in enumerate(first.args) if isinstance(a, int)]
    if first.op in MATRIX_OPS:
        return _matrix_node(node, graph, operands, slots, m)
    value_entries, partial_entries = {}, {k: {} for k in slots}
    for ij in _indices(node.shape):
        args = [[m.entry(o, ij) for o in operands]]
        ys = [m.check(OPS[first.op].value(m, *args[0]))]
        for step in node.steps[1:]:
            args.append([ys[-1] if a == PREV else m.const(a.value) for a in step.args])
            ys.append(m.check(OPS[step.op].value(m, *args[-1])))
        value_entries[ij] = ys[-1]
        try:
            partials = OPS[first.op].partials(m, ys[0], *args[0])
            chain = m.const(1)
            for step, a, y in zip(node.steps[1:], args[1:], ys[1:]):
                chain = chain * OPS[step.op].partials(m, y, *a)[step.args.index(PREV)]
            for k in slots:
                partial_entries[k][ij] = m.check(partials[k] * chain)
        except _FLOAT_ERRORS as exc:
            raise NoDerivative(node, exc) from None
    value = m.build(node.shape, value_entries.__getitem__)
    locals_: dict[int, Local] = {}
    for k in slots:
        p = m.build(node.shape, partial_entries[k].__getitem__)
        shape = m.shape(operands[k])
        local = Local(p, None, lambda g, p=p, s=shape: m.unbroadcast(m.hadamard(g, p), s),
                      lambda t, p=p: m.hadamard(p, t))
        locals_[first.args[k]] = _combine(locals_.get(first.args[k]), local, m)
    return value, locals_


def _matrix_node(node: Node, graph: Graph, operands: list, slots: list[int], m):
    rule = MATRIX_OPS[node.steps[0].op]
    with np.errstate(all="ignore"):
        y = m.check(rule.value(m, *operands))
    names = [a.text if isinstance(a, Const) else graph.nodes[a].name
             for a in node.steps[0].args]
    texs = [a.tex if isinstance(a, Const) else tex_name(graph.nodes[a].name)
            for a in node.steps[0].args]
    adjoint = rf"\overline{{{tex_name(node.name)}}}"
    locals_: dict[int, Local] = {}
    for k in slots:
        local = Local(None, rule.rule[k].format(*names, g="g"),
                      lambda g, k=k: m.check(rule.vjp[k](m, g, y, *operands)),
                      lambda t, k=k: m.check(rule.jvp[k](m, t, y, *operands)),
                      rule.rule_tex[k].format(*texs, g=adjoint))
        a = node.steps[0].args[k]
        locals_[a] = _combine(locals_.get(a), local, m)
    return y, locals_


def _combine(old: Local | None, new: Local, m) -> Local:
    """One node read in two operand slots (``x*x``): the local derivatives add."""
    if old is None:
        return new
    partial = None if old.partial is None else m.check(old.partial + new.partial)
    rule = None if old.rule is None else f"{old.rule} + {new.rule}"
    rule_tex = None if old.rule_tex is None else f"{old.rule_tex} + {new.rule_tex}"
    return Local(partial, rule, lambda g: old.vjp(g) + new.vjp(g),
                 lambda t: old.jvp(t) + new.jvp(t), rule_tex)


def _indices(shape) -> list[tuple]:
    if shape is None:
        return [()]
    return [(i, j) for i in range(shape[0]) for j in range(shape[1])]


def _backward(graph: Graph, result: Run, m) -> None:
    out = graph.output
    result.adjoints[out.index] = m.const(1) if out.shape is None else m.build(out.shape,
                                                                            lambda _: m.const(1))
    for node in reversed(graph.nodes):
        if node.is_input:
            continue
        g = result.adjoints[node.index]    # complete: every reader comes later in the order
        for k, local in result.locals[node.index].items():
            try:
                share = m.check(local.vjp(g))
            except _FLOAT_ERRORS as exc:
                raise NoDerivative(node, exc) from None
            result.shares.setdefault(k, []).append((node.index, share))
            result.adjoints[k] = share if k not in result.adjoints else \
                m.check(result.adjoints[k] + share)
    for node in graph.nodes:
        result.adjoints.setdefault(node.index, m.zeros(node.shape))


def _forward(graph: Graph, result: Run, m, name: str, entry: tuple) -> dict[int, object]:
    tangents: dict[int, object] = {}
    for node in graph.nodes:
        if node.is_input:
            if node.name == name:
                tangents[node.index] = m.const(1) if node.shape is None else \
                    m.onehot(node.shape, entry, m.const(1))
            continue
        try:
            parts = [local.jvp(tangents[k]) for k, local in result.locals[node.index].items()
                     if k in tangents]
        except _FLOAT_ERRORS as exc:
            raise NoDerivative(node, exc) from None
        if parts:
            total = parts[0]
            for p in parts[1:]:
                total = total + p
            tangents[node.index] = m.check(total)
    for node in graph.nodes:
        tangents.setdefault(node.index, m.zeros(node.shape))
    return tangents


def exact_run(graph: Graph, point: Mapping[str, object], mode: str, wrt: tuple[str, ...],
              shapes: Mapping) -> tuple[Run | None, str | None]:
    """The exact run, or ``None`` and why it was dropped."""
    try:
        with time_limit(EXACT_SECONDS, "the exact trace"):
            return run(graph, point, EXACT, mode, wrt, shapes), None
    except (ExactUnavailable, ResourceLimit, UserError, ArithmeticError, TypeError,
            ValueError) as exc:
        return None, f"exact values dropped, float64 only: {exc}"


def float_run(graph: Graph, point: Mapping[str, object], mode: str, wrt: tuple[str, ...],
              shapes: Mapping) -> Run:
    with np.errstate(all="ignore"):
        return run(graph, point, FLOAT, mode, wrt, shapes)
