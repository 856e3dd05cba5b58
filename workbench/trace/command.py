"""The verb ``trace``: the computational graph of EXPR at a point, forward and backward, beside
the symbolic route; a table (or JSON) on stdout and, with ``-o DIR``, the pictures.

    workbench trace "-log(1/(1 + exp(-a*x)))" --at x=0 --at a=3
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from workbench.atomic import add_output_option, check_output_dir, write_text
from workbench.errors import UserError
from workbench.trace.options import FORMATS, GROUPINGS, MODES
from workbench.verbs import add_verb
from workbench.words import LANGUAGES


def register(sub: argparse._SubParsersAction) -> None:
    p = add_verb(sub, "trace", cmd_trace,
                 help="the computational graph of EXPR, forward and backward at a point")
    p.add_argument("expr", metavar="EXPR", help="the function, e.g. \"-log(1/(1 + exp(-a*x)))\"")
    p.add_argument("--at", action="append", default=[], metavar="x=0",
                   help="a variable's value (repeat for each): a number, a constant such as "
                        "pi/4, or a matrix as rows, e.g. X=[[1,2],[3,4]]")
    p.add_argument("--wrt", metavar="x[,y]", help="variables of the gradient (default: all)")
    p.add_argument("--matrix", action="append", default=[], metavar="X=n,p",
                   help="declare a matrix and its shape (a matrix value in --at declares it "
                        "too)")
    p.add_argument("--domain", action="append", default=[], metavar="x=positive",
                   help="domain of a variable, for the symbolic route: real, positive, "
                        "negative, nonzero, [a,b]")
    p.add_argument("--mode", choices=MODES, default="reverse",
                   help="reverse (adjoints, the default) or forward (tangents)")
    p.add_argument("--nodes", choices=GROUPINGS, default="grouped",
                   help="grouped: sign changes and constant shifts folded into the function "
                        "next to them, as the course draws it (default); elementary: every "
                        "operation its own node")
    add_output_option(p, None, "DIR", "write trace.json, trace.tex, trace.tikz, trace.dot, "
                                      "trace.svg and trace.png here")
    p.add_argument("--lang", choices=sorted(LANGUAGES), default="en",
                   help="language of the headings in trace.tex and trace.tikz (default: en)")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")


def _point(items: list[str]) -> dict[str, object]:
    """``--at`` values by name, read as ``derive --at`` reads them
    (:func:`~workbench.expr.points.read_point`): exact numbers, a matrix as a list of rows."""
    import sympy

    from workbench.expr.points import read_point
    return {name: value.tolist() if isinstance(value, sympy.MatrixBase) else value
            for name, value in read_point(items).items()}


def cmd_trace(args) -> int:
    """Evaluate the graph of elementary operations of EXPR at a point: values and local partials
    forward, adjoints backward (or tangents forward), beside the symbolic gradient evaluated
    there. Exit 0 when both routes agree, 1 when they do not, 2 on bad input."""
    from workbench.expr.declare import declare_variables
    from workbench.trace.core import trace_expression
    from workbench.trace.report import to_dict, to_text
    output = None if args.output is None else check_output_dir(args.output)
    point = _point(args.at)
    declared = {m.partition("=")[0].strip() for m in args.matrix}
    for name, value in point.items():
        if isinstance(value, list) and name not in declared:
            rows = len(value)
            cols = len(value[0]) if rows and isinstance(value[0], list) else 0
            args.matrix.append(f"{name}={rows},{cols}")
    variables = declare_variables([args.expr], args.matrix, args.domain)
    wrt = [w.strip() for w in args.wrt.split(",")] if args.wrt else None
    try:
        trace = trace_expression(args.expr, point, variables=variables, wrt=wrt,
                                 mode=args.mode, nodes=args.nodes)
    except UserError as exc:
        if exc.where and exc.where.startswith("col"):
            raise exc.located("EXPR") from None
        raise
    if args.json:
        print(json.dumps(to_dict(trace), indent=2))
    else:
        print(to_text(trace))
    if output is not None:
        _write(trace, output, args.lang, sys.stderr if args.json else sys.stdout)
    return 1 if trace.agrees is False else 0


def _write(trace, directory: Path, lang: str, stream) -> None:
    from workbench.trace.draw import to_dot, write_picture
    from workbench.trace.report import to_dict
    from workbench.trace.tikz import tikz_document, trace_tikz
    write_text(directory / "trace.json", json.dumps(to_dict(trace), indent=2) + "\n")
    write_text(directory / "trace.tex", tikz_document(trace, lang))
    write_text(directory / "trace.tikz", trace_tikz(trace, lang) + "\n")
    write_text(directory / "trace.dot", to_dot(trace))
    print(f"wrote {directory}/trace.json, trace.tex, trace.tikz, trace.dot", file=stream)
    for fmt in FORMATS:
        tool = write_picture(trace, directory / f"trace.{fmt}")
        print(f"wrote {directory}/trace.{fmt} ({tool})", file=stream)
