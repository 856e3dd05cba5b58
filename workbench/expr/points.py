"""Values of a point as the command line writes them, one reader for every command (``derive
--at``, ``trace --at``): a number or a constant expression (``0``, ``1/3``, ``pi/4``,
``sqrt(2)``) or a matrix as rows (``[[1, 2], [3, 4]]``, entries expressions too), read by our
parser, never run. Values are exact SymPy numbers or ``ImmutableMatrix`` objects of them."""

from __future__ import annotations

from typing import Iterable

import sympy

from workbench.errors import ParseError, UserError
from workbench.expr.declare import pairs
from workbench.expr.parser import parse


def point_value(text: str, name: str, option: str = "--at"):
    """The exact value ``text`` stands for (see the module docstring); a :class:`UserError`
    naming ``option`` and ``name`` for anything else."""
    shown = text if len(text) <= 40 else text[:40] + "..."
    try:
        value = parse(text, [])
    except ParseError as exc:
        if text.lstrip().startswith("["):
            raise UserError(f"{name}={shown}: write a matrix as rows of numbers, e.g. "
                            f"[[1, 2], [3, 4]] ({exc.message})", option) from None
        raise UserError(f"{name}={shown}: {exc.message}", option) from None
    except UserError as exc:
        raise UserError(f"{name}={shown}: {exc.message}", option) from None
    entries = list(value) if isinstance(value, sympy.MatrixBase) else [value]
    if not all(_real_number(e) for e in entries):
        raise UserError(f"{name}={shown}: the value must be a finite real number" +
                        (" in each entry" if len(entries) > 1 else ""), option)
    return value


def read_point(items: Iterable[str], option: str = "--at") -> dict[str, sympy.Basic]:
    """``["x=pi/4", "X=[[1, 2], [3, 4]]"]`` as exact values by name."""
    return {name: point_value(text, name, option) for name, text in pairs(items, option).items()}


def _real_number(v) -> bool:
    return isinstance(v, sympy.Expr) and not v.free_symbols and v.is_extended_real is True \
        and v.is_finite is True


__all__ = ["point_value", "read_point"]
