"""The computational graph of an expression and its forward/backward trace at a point, beside
the symbolic route; tables, JSON and pictures (TikZ, SVG/PNG) of it.

    >>> t = trace_derivation(load("derivations/course_06_logistic_graph.toml"))
    >>> trace_tikz(t)          # one tikzpicture: both routes (needs amsmath and tikz)
    >>> write_picture(t, "trace.svg")     # Graphviz dot, else matplotlib
"""

from __future__ import annotations

import importlib

# Names are loaded on first use (PEP 562): the package imports SymPy, and the CLI must start
# without it.
_EXPORTS = {
    "build_graph": ("workbench.trace.build", "build_graph"),
    "GROUPINGS": ("workbench.trace.core", "GROUPINGS"),
    "Trace": ("workbench.trace.core", "Trace"),
    "trace_derivation": ("workbench.trace.core", "trace_derivation"),
    "trace_expression": ("workbench.trace.core", "trace_expression"),
    "to_dot": ("workbench.trace.draw", "to_dot"),
    "write_picture": ("workbench.trace.draw", "write_picture"),
    "MODES": ("workbench.trace.forward", "MODES"),
    "Graph": ("workbench.trace.graph", "Graph"),
    "Node": ("workbench.trace.graph", "Node"),
    "group": ("workbench.trace.grouping", "group"),
    "to_dict": ("workbench.trace.report", "to_dict"),
    "to_text": ("workbench.trace.report", "to_text"),
    "Number": ("workbench.trace.result", "Number"),
    "Partial": ("workbench.trace.result", "Partial"),
    "Row": ("workbench.trace.result", "Row"),
    "TIKZ_PACKAGES": ("workbench.trace.tikz", "PACKAGES"),
    "graph_tikz": ("workbench.trace.tikz", "graph_tikz"),
    "tikz_document": ("workbench.trace.tikz", "tikz_document"),
    "trace_tikz": ("workbench.trace.tikz", "trace_tikz"),
}


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'workbench.trace' has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    return getattr(importlib.import_module(module), attribute)


__all__ = sorted(_EXPORTS)
