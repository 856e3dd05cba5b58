"""A trace as SVG or PNG for the gallery: Graphviz ``dot`` when it is installed (Debian/Ubuntu
package ``graphviz``), else a plainer matplotlib drawing, and the caller is told which.

``dot`` runs as a subprocess without a shell, reading the DOT text on stdin, under a timeout.
Every output is written atomically.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from workbench.atomic import write_bytes
from workbench.errors import WorkbenchError
from workbench.trace.core import Trace
from workbench.trace.report import number_text, short_text
from workbench.trace.options import FORMATS

DOT_SECONDS = 30


def _quote(text: str) -> str:
    """A DOT string literal (lines joined by DOT's centred line break)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "\\n".join(escaped.split("\n")) + '"'


def _node_label(trace: Trace, row) -> str:
    n = row.node
    lines = [f"{n.name} = {number_text(row.value)}"] if n.is_input else \
        [f"{n.name} = {n.text}", f"= {number_text(row.value)}"]
    if trace.mode == "reverse":
        lines.append(f"adjoint {number_text(row.adjoint)}")
        if len(row.contributions) > 1:
            lines.append("= " + " + ".join(short_text(c) for _, c in row.contributions))
    else:
        lines.extend(f"d/d{label}: {number_text(t)}" for label, t in row.tangents.items())
    return "\n".join(lines)


def _edge_text(p) -> str:
    """An edge's label: the local partial, or the VJP rule of a matrix operation."""
    return p.rule or number_text(p.number)


def to_dot(trace: Trace) -> str:
    """The graph in Graphviz's DOT language: nodes with values and adjoints (or tangents),
    edges labelled with local partials, left to right."""
    lines = ["digraph trace {", "  rankdir=LR;",
             '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for row in trace.rows:
        n = row.node
        style = ', shape=box, style="filled", fillcolor="#eeeeee"' if n.is_input else ""
        if n.index == trace.graph.output.index:
            style = ', penwidth=2'
        lines.append(f"  n{n.index} [label={_quote(_node_label(trace, row))}{style}];")
    for row in trace.rows:
        for k in row.node.inputs:
            text = _edge_text(row.partials[trace.graph.nodes[k].name])
            lines.append(f"  n{k} -> n{row.node.index} [label={_quote(text)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(trace: Trace, fmt: str) -> tuple[bytes, str]:
    """The picture as ``fmt`` (svg or png) bytes, and the tool that drew it."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown picture format {fmt!r}; expected one of {FORMATS}")
    dot = shutil.which("dot")
    if dot is None:
        return _matplotlib(trace, fmt), "matplotlib (Graphviz dot not found)"
    try:
        done = subprocess.run([dot, f"-T{fmt}"], input=to_dot(trace).encode("utf-8"),
                              capture_output=True, timeout=DOT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise WorkbenchError(f"Graphviz dot took longer than {DOT_SECONDS} s") from None
    if done.returncode != 0:
        raise WorkbenchError(f"Graphviz dot failed: {done.stderr.decode(errors='replace')[:300]}")
    return done.stdout, "graphviz"


def write_picture(trace: Trace, path: str | Path) -> str:
    """Write the picture to ``path`` (format from its suffix: .svg or .png); returns the tool
    that drew it."""
    data, tool = render(trace, Path(path).suffix.lstrip(".").lower())
    write_bytes(path, data)
    return tool


def _matplotlib(trace: Trace, fmt: str) -> bytes:
    """The same layout drawn with matplotlib: boxes at (column, row), arrows with partials."""
    from matplotlib.figure import Figure

    from workbench.figures import encode

    positions = trace.graph.positions
    cols = 1 + max(c for c, _ in positions.values())
    rows = 1 + max(r for _, r in positions.values())
    fig = Figure(figsize=(3.2 * cols, 1.8 * rows + 0.4))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-0.6, cols - 0.4)
    ax.set_ylim(rows - 0.4, -0.6)
    ax.axis("off")
    for row in trace.rows:
        x, y = positions[row.node.index]
        ax.text(x, y, _node_label(trace, row), ha="center", va="center", fontsize=8,
                bbox={"boxstyle": "round", "fc": "#eeeeee" if row.node.is_input else "white"})
        for k in row.node.inputs:
            p = row.partials[trace.graph.nodes[k].name]
            x0, y0 = positions[k]
            bend = 0.0 if y == y0 and x - x0 == 1 else 0.2
            ax.annotate("", (x - 0.3, y), (x0 + 0.3, y0),
                        arrowprops={"arrowstyle": "->", "connectionstyle": f"arc3,rad={bend}"})
            ax.text((x + x0) / 2, (y + y0) / 2 - 0.12, _edge_text(p), ha="center", fontsize=7,
                    color="#444444")
    return encode(fig, fmt)
