"""Variables of a derivation: scalars with a domain, matrices with symbolic or fixed shapes.

A scalar ``x`` becomes ``sympy.Symbol('x', real=True, ...)`` with the assumptions of its domain;
a matrix ``X`` of shape ``(n, p)`` becomes ``sympy.MatrixSymbol('X', n, p)`` where a symbolic
dimension ``n`` is ``sympy.Symbol('n', integer=True, positive=True)``. Column vectors are
``(p, 1)`` matrices.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Iterable, Union

import sympy

from workbench.errors import DomainError, ShapeError

Dim = Union[int, str]
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_SPECIAL = ("real", "positive", "negative", "nonzero", "spd")


@dataclass(frozen=True)
class Domain:
    """Where a variable's values live: the open interval ``(low, high)`` and its kind.

    ``kind`` is one of real, positive, negative, nonzero, interval, spd (symmetric positive
    definite, square matrices only). ``low``/``high`` are the true bounds (infinite for real);
    where values are drawn inside them is :mod:`workbench.expr.sampling`'s business.
    """

    kind: str = "real"
    low: float = -math.inf
    high: float = math.inf

    @staticmethod
    def parse(text: str, where: str = "domain") -> "Domain":
        """Read ``real``, ``positive``, ``negative``, ``nonzero``, ``spd`` or ``[a,b]``."""
        word = text.strip().lower()
        if word in ("real", "nonzero", "spd"):
            return Domain(word)
        if word == "positive":
            return Domain("positive", 0.0, math.inf)
        if word == "negative":
            return Domain("negative", -math.inf, 0.0)
        m = re.fullmatch(r"[\[(]\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*[\])]", word)
        if m:
            try:
                low, high = float(m.group(1)), float(m.group(2))
            except ValueError:
                low = high = math.nan
            if math.isfinite(low) and math.isfinite(high) and low < high:
                return Domain("interval", low, high)
            raise DomainError(f"interval {text!r} needs two finite numbers a < b", where)
        raise DomainError(f"unknown domain {text!r}; expected one of {', '.join(_SPECIAL)} "
                          f"or an interval [a,b]", where)

    def assumptions(self) -> dict[str, bool]:
        """SymPy assumptions implied by the domain (they help simplification)."""
        out = {"real": True}
        if self.kind == "positive" or (self.kind == "interval" and self.low >= 0):
            out["nonnegative"] = True
        if self.kind == "positive" or (self.kind == "interval" and self.low > 0):
            out["positive"] = True
        if self.kind == "negative" or (self.kind == "interval" and self.high < 0):
            out["negative"] = True
        if self.kind == "nonzero":
            out["nonzero"] = True
        return out

    def __str__(self) -> str:
        return f"[{self.low:g},{self.high:g}]" if self.kind == "interval" else self.kind


@dataclass(frozen=True)
class Variable:
    """A named input: ``shape`` is ``None`` for a scalar, ``(rows, cols)`` for a matrix, each
    dimension an int or the name of a dimension symbol such as ``"n"``."""

    name: str
    shape: tuple[Dim, Dim] | None = None
    domain: Domain = field(default_factory=Domain)

    def __post_init__(self):
        if not _NAME.match(self.name) or self.name.startswith("_"):
            raise ShapeError(f"variable name {self.name!r} must be letters, digits and _ "
                             f"starting with a letter")
        if self.shape is not None:
            for d in self.shape:
                if isinstance(d, bool) or not isinstance(d, (int, str)) or \
                        (isinstance(d, int) and not 1 <= d <= 64) or \
                        (isinstance(d, str) and not _NAME.match(d)):
                    raise ShapeError(f"dimension {d!r} of {self.name} must be an integer 1..64 "
                                     f"or a dimension name such as n")
        if self.domain.kind == "spd" and (self.shape is None or self.shape[0] != self.shape[1]):
            raise DomainError(f"domain spd needs a square matrix, {self.name} is not")

    @staticmethod
    def scalar(name: str, domain: str | Domain = "real") -> "Variable":
        return Variable(name, None, domain if isinstance(domain, Domain) else Domain.parse(domain))

    @staticmethod
    def matrix(name: str, rows: Dim, cols: Dim, domain: str | Domain = "real") -> "Variable":
        return Variable(name, (rows, cols),
                        domain if isinstance(domain, Domain) else Domain.parse(domain))

    @property
    def is_matrix(self) -> bool:
        return self.shape is not None

    @property
    def dim_names(self) -> tuple[str, ...]:
        return tuple(d for d in (self.shape or ()) if isinstance(d, str))

    def symbol(self) -> sympy.Basic:
        """The SymPy object standing for this variable."""
        if self.shape is None:
            return sympy.Symbol(self.name, **self.domain.assumptions())
        return sympy.MatrixSymbol(self.name, dim_symbol(self.shape[0]), dim_symbol(self.shape[1]))

    def concrete_shape(self, sizes: dict[str, int]) -> tuple[int, ...]:
        """The tensor shape of one value: ``()`` for a scalar, ``(r, c)`` with dims filled in."""
        if self.shape is None:
            return ()
        try:
            return tuple(d if isinstance(d, int) else sizes[d] for d in self.shape)
        except KeyError as exc:
            raise ShapeError(f"no size given for dimension {exc.args[0]} of {self.name}") from None


def dim_symbol(d: Dim) -> sympy.Expr:
    """A dimension as SymPy sees it: an Integer, or a positive integer Symbol."""
    return sympy.Integer(d) if isinstance(d, int) else sympy.Symbol(d, integer=True, positive=True)


def dimension_names(variables: Iterable[Variable]) -> list[str]:
    """Every symbolic dimension used by ``variables``, in order of first use."""
    seen: list[str] = []
    for v in variables:
        for d in v.dim_names:
            if d not in seen:
                seen.append(d)
    return seen


def sizes_from_point(variables: Iterable[Variable], point: dict, batched: bool) -> dict[str, int]:
    """Read the symbolic dimensions off the tensors of a point; inconsistent shapes are a
    :class:`ShapeError` naming the variable."""
    sizes: dict[str, int] = {}
    for v in variables:
        if v.shape is None or v.name not in point:
            continue
        shape = tuple(point[v.name].shape[1:] if batched else point[v.name].shape)
        if len(shape) != 2:
            raise ShapeError(f"{v.name} must be a matrix of shape {v.shape}, got {shape}")
        for want, got in zip(v.shape, shape):
            if isinstance(want, int) and want != got:
                raise ShapeError(f"{v.name} must have shape {v.shape}, got {shape}")
            if isinstance(want, str) and sizes.setdefault(want, got) != got:
                raise ShapeError(f"dimension {want} is {sizes[want]} elsewhere but {got} in "
                                 f"{v.name}")
    return sizes
