"""A trace: the graph of an expression evaluated at a point, forward and backward, beside the
symbolic route. The entry points are :func:`trace_expression` and :func:`trace_derivation`.

    >>> t = trace_expression("-log(1/(1 + exp(-a*x)))", {"x": 0, "a": 3})
    >>> [str(r.value.exact) for r in t.rows]
    ['3', '0', '0', '1', '1/2', 'log(2)']
    >>> t.gradient["x"].exact
    -3/2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
import sympy

from workbench.errors import ParseError, ResourceLimit, ShapeError, UserError
from workbench.expr.parser import free_names, parse
from workbench.expr.spaces import Variable
from workbench.trace.forward import MODES, exact_run, float_run
from workbench.trace.result import Number, Row, is_close, rows
from workbench.trace.build import build_graph
from workbench.trace.graph import Graph
from workbench.trace.grouping import group
from workbench.trace.numbers import exact_number
from workbench.trace.symbolic import SymbolicRoute, symbolic_route
from workbench.trace.options import GROUPINGS

if TYPE_CHECKING:
    from workbench.derivation_file import DerivationFile

MAX_VALUE_CHARS = 60


@dataclass
class Trace:
    """The automatic route (``graph``, ``rows``, ``gradient``) and the symbolic route
    (``symbolic``) at ``point``. ``gradient[name]`` has the shape of variable ``name``."""

    text: str
    graph: Graph
    variables: tuple[Variable, ...]
    wrt: tuple[str, ...]
    point: dict[str, Number]
    mode: str
    rows: list[Row]
    gradient: dict[str, Number]
    symbolic: SymbolicRoute | None = None
    notes: list[str] = field(default_factory=list)

    def row(self, name: str) -> Row:
        """The row of node (or input) ``name``."""
        for r in self.rows:
            if r.node.name == name:
                return r
        raise KeyError(name)

    @property
    def exact(self) -> bool:
        return all(g.exact is not None for g in self.gradient.values())

    @property
    def agrees(self) -> bool | None:
        """Whether both routes give the same gradient (float64, 1e-12 relative); ``None``
        when the symbolic route could not be evaluated."""
        if self.symbolic is None or any(self.symbolic.at[n] is None for n in self.wrt):
            return None
        return all(is_close(self.gradient[n], self.symbolic.at[n]) for n in self.wrt)


def trace_expression(text: str, point: Mapping[str, object], *,
                     variables: Sequence[Variable] | None = None,
                     wrt: Sequence[str] | None = None, mode: str = "reverse",
                     nodes: str = "grouped", symbolic: bool = True) -> Trace:
    """Trace ``text`` at ``point``.

    ``point`` maps every variable to a number (int, float, a SymPy number, or text of a
    constant such as ``"pi/4"``) or a matrix (a list of rows, or an ``(r, c)`` array). Without
    ``variables``, names with a matrix value are matrices of that shape and the rest scalars.
    ``wrt`` (default: every variable) names the gradient's variables; ``mode`` is
    ``reverse`` or ``forward``; ``nodes`` is ``grouped`` (the course's drawing) or
    ``elementary`` (every operation its own node).
    """
    if mode not in MODES:
        raise UserError(f"unknown mode {mode!r}; expected reverse or forward", "--mode")
    if nodes not in GROUPINGS:
        raise UserError(f"unknown grouping {nodes!r}; expected grouped or elementary", "--nodes")
    exact = {name: exact_value(value, name) for name, value in point.items()}
    if variables is None:
        variables = [Variable.matrix(n, *exact[n].shape) if _is_matrix(exact.get(n))
                     else Variable.scalar(n) for n in free_names(text)]
    variables = tuple(variables)
    parse(text, variables)          # the text's own mistakes first, located by column
    sizes = _sizes(variables, exact)
    wrt = tuple(wrt) if wrt is not None else tuple(v.name for v in variables)
    unknown = [w for w in wrt if w not in {v.name for v in variables}]
    if unknown:
        raise UserError(f"{unknown[0]!r} is not a variable of the expression", "--wrt")
    graph = build_graph(text, variables, sizes)
    if nodes == "grouped":
        graph = group(graph)
    shapes = {v.name: v.concrete_shape(sizes) if v.is_matrix else None for v in variables}
    floats = {n: _float_value(v) for n, v in exact.items()}
    f = float_run(graph, floats, mode, wrt, shapes)
    e, note = exact_run(graph, exact, mode, wrt, shapes)
    notes = [note] if note else []
    gradient = {n: Number(f.gradient[n], e.gradient[n] if e else None) for n in wrt}
    route = None
    if symbolic:
        try:
            route = symbolic_route(text, variables, wrt, exact, sizes)
        except (UserError, ResourceLimit) as exc:
            notes.append(f"symbolic route unavailable: {exc}")
    point_numbers = {v.name: Number(floats[v.name], exact[v.name]) for v in variables}
    return Trace(text.strip(), graph, variables, wrt, point_numbers, mode,
                 rows(graph, f, e), gradient, route, notes)


def trace_derivation(derivation: "DerivationFile", *, index: int = 0, mode: str = "reverse",
                     nodes: str = "grouped") -> Trace | None:
    """The trace of a derivation file at its ``index``-th ``[[at]]`` point; ``None`` when the
    file names no point."""
    if not derivation.at:
        return None
    problem = derivation.problem
    return trace_expression(problem.text, derivation.at[index].values,
                            variables=problem.variables, wrt=problem.wrt, mode=mode, nodes=nodes)


def exact_value(value, name: str = "value"):
    """An exact SymPy number, or an ImmutableMatrix of them, for a point's value."""
    if isinstance(value, str):
        try:
            number = parse(value, [])
        except ParseError as exc:
            raise ParseError(f"{name}={value}: {exc.message}", "--at") from None
        if not _is_real_number(number):
            raise UserError(f"{name}={value}: not a finite real number", "--at")
        return number
    if hasattr(value, "tolist") and not isinstance(value, sympy.Basic):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if not value or not all(isinstance(r, (list, tuple)) and len(r) == len(value[0]) > 0
                                for r in value):
            raise ShapeError(f"{name}: a matrix is a non-empty list of rows of equal length")
        return sympy.ImmutableMatrix([[exact_value(x, name) for x in r] for r in value])
    try:
        number = exact_number(value)
    except (TypeError, ValueError):
        raise UserError(f"{name}={value!r}: expected a number", "--at") from None
    if not _is_real_number(number):
        raise UserError(f"{name}={value!r}: not a finite real number", "--at")
    return number


def _is_real_number(v) -> bool:
    return isinstance(v, sympy.Expr) and not v.free_symbols and v.is_extended_real is True \
        and v.is_finite is True


def _is_matrix(v) -> bool:
    return isinstance(v, sympy.MatrixBase)


def _float_value(v):
    if _is_matrix(v):
        return np.array([[float(x) for x in row] for row in v.tolist()], dtype=np.float64)
    return float(v)


def _sizes(variables: Sequence[Variable], exact: Mapping) -> dict[str, int]:
    """Check the point gives each variable a value of its kind; read the dimensions off it."""
    missing = [v.name for v in variables if v.name not in exact]
    if missing:
        raise UserError(f"give a value for every variable: {', '.join(missing)} missing", "--at")
    extra = sorted(set(exact) - {v.name for v in variables})
    if extra:
        raise UserError(f"{extra[0]!r} is not a variable of the expression", "--at")
    sizes: dict[str, int] = {}
    for v in variables:
        value = exact[v.name]
        if v.is_matrix != _is_matrix(value):
            want = f"a matrix of shape {v.shape}" if v.is_matrix else "a number"
            raise ShapeError(f"{v.name} must be {want}", "--at")
        for want, got in zip(v.shape or (), getattr(value, "shape", ())):
            if isinstance(want, int) and want != got or \
                    isinstance(want, str) and sizes.setdefault(want, got) != got:
                raise ShapeError(f"{v.name} has shape {value.shape}, which does not fit "
                                 f"{v.shape} (sizes so far: {sizes})", "--at")
    return sizes
