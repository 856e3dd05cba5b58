"""The computational graph of an expression and its forward/backward trace at a point, beside
the symbolic route; tables, JSON and pictures (TikZ, SVG/PNG) of it.

    >>> t = trace_derivation(load("derivations/course_06_logistic_graph.toml"))
    >>> trace_tikz(t)          # one tikzpicture: both routes (needs amsmath and tikz)
    >>> write_picture(t, "trace.svg")     # Graphviz dot, else matplotlib
"""

from workbench.trace.build import build_graph
from workbench.trace.core import GROUPINGS, Trace, trace_derivation, trace_expression
from workbench.trace.draw import to_dot, write_picture
from workbench.trace.forward import MODES
from workbench.trace.graph import Graph, Node
from workbench.trace.group import group
from workbench.trace.report import to_dict, to_text
from workbench.trace.result import Number, Partial, Row
from workbench.trace.tikz import PACKAGES as TIKZ_PACKAGES
from workbench.trace.tikz import graph_tikz, tikz_document, trace_tikz

__all__ = ["GROUPINGS", "MODES", "TIKZ_PACKAGES", "Graph", "Node", "Number", "Partial", "Row",
           "Trace", "build_graph", "graph_tikz", "group", "tikz_document", "to_dict", "to_dot",
           "to_text", "trace_derivation", "trace_expression", "trace_tikz", "write_picture"]
