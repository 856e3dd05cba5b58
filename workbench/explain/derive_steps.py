"""``workbench derive --steps``: the verified steps the pages show, as plain text.

The ``derive`` verb belongs to :mod:`workbench.verify.command`; the steps belong to this layer,
so :func:`extend_derive` adds the option to that verb's parser from here (imports keep pointing
down the layers)."""

from __future__ import annotations

import argparse
import functools

STATUS = {"confirmed": "checked", "wrong": "WRONG", "unjustified": "not justified"}


def extend_derive(sub: argparse._SubParsersAction) -> None:
    """Give ``derive`` a ``--steps`` option (when that verb is registered)."""
    p = sub.choices.get("derive")
    if p is None:
        return
    p.add_argument("--steps", action="store_true",
                   help="print the steps of the derivation, each checked by SymPy, as the "
                        "pages show them (gradients)")
    inner = p.get_default("func")

    @functools.wraps(inner)                  # the verb's description is its docstring
    def cmd_derive(args) -> int:
        if args.steps and not args.json:
            print_steps(args)
        return inner(args)

    p.set_defaults(func=cmd_derive)


def print_steps(args) -> None:
    from workbench.explain.steps import explain_steps
    from workbench.expr.printing import plain
    from workbench.verify.command import _higher_problem, _problem
    if _higher_problem(args) is not None:
        print("steps: shown for gradients; a Jacobian or Hessian is derived below in one step")
        return
    for sd in explain_steps(_problem(args)):
        print(f"steps for d/d{sd.wrt}:")
        for lhs, definition in ((a, b) for a, b in sd.definitions):
            print(f"  where {plain(lhs)} = {plain(definition)}")
        for lhs, step in sd.equations():
            head = f"  {plain(lhs)}" if lhs is not None else "   "
            rules = ", ".join(step.rules)
            print(f"{head} = {plain(step.expr)}    [{rules}: {STATUS.get(step.status, step.status)}]")
        print("  all steps checked, and the result is the derived gradient" if sd.verified else
              "  not every step could be checked: see the page (workbench explain)")


__all__ = ["extend_derive", "print_steps"]
