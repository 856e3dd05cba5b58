"""Variables declared on the command line: ``--matrix X=n,p``, ``--domain x=positive`` and every
other name in the expressions a real scalar.

This is text in, :class:`~workbench.expr.spaces.Variable` out; every command that takes an
expression (``derive``, ``verify``, ``trace``) declares its variables here.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from workbench.errors import UserError
from workbench.expr.parser import free_names
from workbench.expr.spaces import Domain, Variable


def pairs(items: Iterable[str], option: str) -> dict[str, str]:
    """``["x=1", "y=2"]`` as ``{"x": "1", "y": "2"}``; a malformed or repeated name is a
    :class:`UserError` naming ``option``."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.strip().partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UserError(f"expected NAME=VALUE, got {item.strip()!r}", option)
        if name.strip() in out:
            raise UserError(f"{name.strip()} is given twice", option)
        out[name.strip()] = value.strip()
    return out


def declare_variables(texts: Sequence[str], matrices: Iterable[str] = (),
                      domains: Iterable[str] = ()) -> list[Variable]:
    """Matrices from ``matrices`` (``X=n,p``), every other free name of ``texts`` a scalar;
    domains (``x=positive``) applied. Errors name the option (``--matrix``, ``--domain``)."""
    domain_of = {k: Domain.parse(v, f"--domain {k}") for k, v in pairs(domains, "--domain").items()}
    out: dict[str, Variable] = {}
    dims: set[str] = set()
    for name, shape in pairs(matrices, "--matrix").items():
        parts = [s.strip() for s in shape.split(",")]
        if len(parts) != 2:
            raise UserError(f"shape of {name} must be two dimensions, e.g. {name}=n,p",
                            "--matrix")
        sizes = [int(s) if s.isdigit() else s for s in parts]
        try:
            out[name] = Variable.matrix(name, *sizes, domain=domain_of.get(name, Domain()))
        except UserError as exc:
            raise UserError(exc.message, "--matrix") from None
        dims.update(d for d in sizes if isinstance(d, str))
    for text in texts:
        for name in free_names(text):
            if name not in out and name not in dims:
                try:
                    out[name] = Variable.scalar(name, domain_of.get(name, Domain()))
                except UserError as exc:
                    raise UserError(exc.message, "EXPR") from None
    unknown = set(domain_of) - set(out)
    if unknown:
        raise UserError(f"{sorted(unknown)[0]!r} does not appear in the expression", "--domain")
    return list(out.values())
