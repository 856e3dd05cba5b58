"""A trace as a terminal table and as JSON.

Numbers show exactly where SymPy keeps them small (``1/2``, ``log(2) = 0.69314718056``) and in
float64 otherwise; matrices as lists of rows.
"""

from __future__ import annotations

import numpy as np
import sympy

from workbench.trace.core import MAX_VALUE_CHARS, Trace
from workbench.trace.result import Number


def float_text(x) -> str:
    """A float64 value (or array) in 12 significant digits; ``-0`` shows as ``0``."""
    if isinstance(x, np.ndarray):
        return "[" + ", ".join("[" + ", ".join(float_text(float(v)) for v in row) + "]"
                               for row in x) + "]"
    return f"{float(x) + 0.0:.12g}"


def exact_text(number: Number) -> str | None:
    """The exact value as text, or None where there is none or it is too long to read."""
    if number.exact is None:
        return None
    e = number.exact
    text = str(e.tolist()) if isinstance(e, sympy.MatrixBase) else str(e)
    return text if len(text) <= MAX_VALUE_CHARS else None


def number_text(number: Number | None) -> str:
    """``1/2``; ``log(2) = 0.693147180560``; ``0.841470984808`` without an exact value."""
    if number is None:
        return ""
    exact = exact_text(number)
    if exact is None:
        return float_text(number.float)
    entries = list(number.exact) if isinstance(number.exact, sympy.MatrixBase) \
        else [number.exact]
    if all(e.is_Rational for e in entries):
        return exact
    return f"{exact} = {float_text(number.float)}"


def number_dict(number: Number | None) -> dict | None:
    if number is None:
        return None
    f = number.float
    value = [[float(v) + 0.0 for v in row] for row in f] if isinstance(f, np.ndarray) \
        else float(f) + 0.0
    exact = exact_text(number)
    return {"float": value, "exact": exact,
            "latex": sympy.latex(number.exact, ln_notation=True) if exact else None}


def _partials_text(row) -> str:
    parts = []
    for name, p in row.partials.items():
        parts.append(f"{name}: {p.rule}" if p.rule else f"d/d{name} = {number_text(p.number)}")
    return ", ".join(parts)


def short_text(number: Number) -> str:
    """The exact value if short, else the float64 one."""
    return exact_text(number) or float_text(number.float)


def _adjoint_text(row) -> str:
    text = number_text(row.adjoint)
    if len(row.contributions) > 1:
        shares = " + ".join(f"{short_text(c)} from {name}" for name, c in row.contributions)
        text += f" (sum of {shares})"
    return text


def to_text(trace: Trace) -> str:
    """The table (node, operation, value, local partials, adjoint or tangents), then both
    routes' gradients."""
    reverse = trace.mode == "reverse"
    labels = list(trace.rows[0].tangents) if not reverse else []
    header = ["node", "operation", "value", "local partials"] + \
        (["adjoint"] if reverse else [f"tangent d/d{label}" for label in labels])
    table = [header]
    for row in trace.rows:
        cells = [row.node.name, "input" if row.node.is_input else row.node.text,
                 number_text(row.value), _partials_text(row)]
        cells += [_adjoint_text(row)] if reverse else \
            [number_text(row.tangents[label]) for label in labels]
        table.append(cells)
    widths = [max(len(r[k]) for r in table) for k in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    out = trace.graph.output.name
    lines.append("")
    lines.append(f"automatic route ({trace.mode} mode, {out} is the output):")
    for name in trace.wrt:
        lines.append(f"  d/d{name} = {number_text(trace.gradient[name])}")
    if trace.symbolic is not None:
        lines.append("symbolic route (the formula, evaluated at the point):")
        for name in trace.wrt:
            value = trace.symbolic.at[name]
            lines.append(f"  d/d{name} = {_formula(trace, name)}"
                         + (f" = {number_text(value)}" if value is not None else
                            " (could not be evaluated)"))
    if trace.agrees is not None:
        lines.append("the two routes agree" if trace.agrees else "THE TWO ROUTES DISAGREE")
    lines.extend(f"note: {n}" for n in trace.notes)
    return "\n".join(lines)


def _formula(trace: Trace, name: str) -> str:
    text = str(trace.symbolic.formula[name])
    return text if len(text) <= 3 * MAX_VALUE_CHARS else "(formula too long to show)"


def to_dict(trace: Trace) -> dict:
    """Everything in the trace as JSON-ready data (numbers: float, exact text, LaTeX)."""
    nodes = []
    for row in trace.rows:
        n = row.node
        nodes.append({
            "name": n.name, "operation": "input" if n.is_input else n.text,
            "latex": n.tex or None, "steps": [s.op for s in n.steps],
            "inputs": [trace.graph.nodes[k].name for k in n.inputs],
            "shape": list(n.shape) if n.shape else None,
            "value": number_dict(row.value),
            "partials": {k: {"value": number_dict(p.number), "rule": p.rule}
                         for k, p in row.partials.items()},
            "adjoint": number_dict(row.adjoint),
            "contributions": [{"from": name, "value": number_dict(c)}
                              for name, c in row.contributions],
            "tangents": {k: number_dict(v) for k, v in row.tangents.items()},
        })
    symbolic = None
    if trace.symbolic is not None:
        symbolic = {name: {"formula": str(trace.symbolic.formula[name]),
                           "latex": sympy.latex(trace.symbolic.formula[name]),
                           "method": trace.symbolic.method[name],
                           "value": number_dict(trace.symbolic.at[name])}
                    for name in trace.wrt}
    return {"expression": trace.text, "mode": trace.mode,
            "nodes": "grouped" if trace.graph.grouped else "elementary",
            "point": {k: number_dict(v) for k, v in trace.point.items()},
            "graph": nodes, "output": trace.graph.output.name,
            "gradient": {k: number_dict(v) for k, v in trace.gradient.items()},
            "symbolic": symbolic, "agree": trace.agrees, "exact": trace.exact,
            "notes": list(trace.notes)}
