"""The grading key: a derivation file (function, variables, ``wrt``, a model answer in
``[hand]``) with two optional tables, ``[grading]`` (points and partial credit) and
``[variants]`` (parameters drawn per student).

    [grading]
    points = 4          # the score of a right answer
    slip = 0.5          # share of the points for a right method with one slip: a sign, a
                        # constant factor, a missing 1/n, a transpose, a wrong component, a
                        # part of the domain
    steps = 0.5         # share for the first steps right of a chain wrong at step N of k:
                        # steps x (N - 1) / k (the larger of the two shares is given)
    seconds = 30        # time budget of one answer; beyond it the answer is undecided
    examples = 60       # Hypothesis examples of one check
    seed = 0            # the checks' seed
    require_proof = false   # true: a right answer not proved exactly is undecided

    [variants]
    seed = 2026         # with the student id, draws each student's values
    a = [2, 3, 5]       # a constant of the function: one value per student
    n = [3, 4]          # a dimension name: a size per student

A parameter is a name of ``function`` (and of ``[hand]``) that ``[variables]`` does not declare
(a constant), or a dimension name of a shape; each student's variant replaces it by the value
drawn, in the syntax tree (nothing is run). ``workbench grade`` grades each answer against
its student's variant, and ``workbench explain KEY --sheet --student ID`` writes that student's
sheet: both through :meth:`Key.for_student`. A key has no base variant (its parameters are
undeclared names until a value replaces them).
"""

from __future__ import annotations

import ast
import copy
import hashlib
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from workbench.derivation_file import DerivationFile, from_data, read_toml
from workbench.errors import DataError, SchemaError
from workbench.expr.syntax import read_tree

GRADING_KEYS = {"points": (int, float), "slip": (int, float), "steps": (int, float),
                "seconds": (int, float), "examples": int, "seed": int, "require_proof": bool}
MAX_VALUES = 100
MAX_ID = 100


@dataclass(frozen=True)
class Grading:
    points: float = 1.0
    slip: float = 0.5
    steps: float = 0.5
    seconds: float = 30.0
    examples: int = 60
    seed: int = 0
    require_proof: bool = False


@dataclass
class Key:
    """A loaded key: its ``path`` and text digest (``digest``, for resuming), the ``grading``
    rules, the ``parameters`` and their values, and the derivation of each variant met."""

    path: Path
    data: dict
    text: str
    grading: Grading
    parameters: dict[str, list] = field(default_factory=dict)
    variant_seed: int = 0
    model_hand: bool = False
    """The file has ``[grading]`` or ``[variants]``: its ``[hand]`` is the model answer."""
    _variants: dict = field(default_factory=dict, repr=False)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]

    @property
    def wrt(self) -> list[str]:
        return list(self.variant(self.values_for("")).problem.wrt)

    def values_for(self, student: str) -> dict:
        """The parameters' values of ``student``'s variant (empty without ``[variants]``):
        drawn from a seed made of the key's seed and the student id, the same on every run."""
        if not self.parameters:
            return {}
        digest = hashlib.sha256(f"{self.variant_seed}\0{student}".encode()).digest()
        rng = random.Random(int.from_bytes(digest[:8], "big"))
        return {name: rng.choice(values) for name, values in sorted(self.parameters.items())}

    def for_student(self, student: str) -> DerivationFile:
        """The derivation ``student`` is given: their variant (the key itself without
        ``[variants]``)."""
        return self.variant(self.values_for(student))

    def variant(self, values: dict) -> DerivationFile:
        """The derivation of the variant with ``values`` (built once)."""
        token = tuple(sorted(values.items()))
        if token not in self._variants:
            self._variants[token] = from_data(self.path, _substitute(self.data, values),
                                              self.text)
        return self._variants[token]


def load_key(path: str | Path) -> Key:
    """Read a grading key; a :class:`SchemaError` naming the table and key for bad values."""
    path = Path(path)
    data, text = read_toml(path)
    tables = set(data)
    grading = _grading(data.pop("grading", {}), path)
    variants = data.pop("variants", {})
    if not isinstance(variants, dict):
        raise SchemaError("[variants] must be a table of parameters", f"{path}: variants")
    seed = variants.pop("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise SchemaError(f"seed must be an integer, got {seed!r}", f"{path}: variants.seed")
    for name, values in variants.items():
        if not name.isidentifier() or not isinstance(values, list) or not values or \
                len(values) > MAX_VALUES or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise SchemaError(f"a parameter lists 1 to {MAX_VALUES} numbers, such as a = [2, 3]",
                              f"{path}: variants.{name}")
    key = Key(path, data, text, grading, dict(variants), seed,
              model_hand="grading" in tables or "variants" in tables)
    if variants:
        for values in _corners(variants):
            key.variant(values)            # every value gives a valid derivation
    else:
        key.variant({})
    return key


def _corners(variants: dict) -> list[dict]:
    """Enough variants to meet each value of each parameter once."""
    width = max(len(v) for v in variants.values())
    return [{k: v[i % len(v)] for k, v in variants.items()} for i in range(width)]


def _grading(table, path: Path) -> Grading:
    if not isinstance(table, dict):
        raise SchemaError("[grading] must be a table", f"{path}: grading")
    for k, v in table.items():
        kind = GRADING_KEYS.get(k)
        if kind is None:
            raise SchemaError(f"unknown key {k!r} (allowed: {', '.join(sorted(GRADING_KEYS))})",
                              f"{path}: grading.{k}")
        if (isinstance(v, bool) and kind is not bool) or not isinstance(v, kind):
            raise SchemaError(f"expected {'true or false' if kind is bool else 'a number'}, "
                              f"got {v!r}", f"{path}: grading.{k}")
    g = Grading(**{k: (float(v) if k in ("points", "slip", "steps", "seconds") else v)
                   for k, v in table.items()})
    if not (g.points > 0 and 0 <= g.slip <= 1 and 0 <= g.steps <= 1 and
            0 < g.seconds <= 3600 and 1 <= g.examples <= 10_000):
        raise SchemaError("points > 0, slip and steps between 0 and 1, 0 < seconds <= 3600, "
                          "1 <= examples <= 10000", f"{path}: grading")
    return g


def _substitute(data: dict, values: dict) -> dict:
    """``data`` with each parameter replaced by its value: in the function and hand texts
    (syntax trees, unparsed: nothing is run) and in the shapes of ``[variables]``."""
    if not values:
        return data
    out = copy.deepcopy(data)
    if isinstance(out.get("function"), str):
        out["function"] = _replace(out["function"], values)
    for section in ("hand", "jacobian", "hessian"):
        if isinstance(out.get(section), dict):
            out[section] = {k: _replace(v, values) if isinstance(v, str) else v
                            for k, v in out[section].items()}
    for spec in (out.get("variables") or {}).values():
        if isinstance(spec, dict) and isinstance(spec.get("shape"), list):
            spec["shape"] = [values.get(d, d) if isinstance(d, str) else d
                             for d in spec["shape"]]
    return out


class _Constants(ast.NodeTransformer):
    def __init__(self, values: dict):
        self.values = values

    def visit_Name(self, node: ast.Name):
        if node.id in self.values:
            value = self.values[node.id]
            return ast.copy_location(ast.Constant(value=value) if value >= 0 else
                                     ast.UnaryOp(op=ast.USub(), operand=ast.Constant(-value)),
                                     node)
        return node


def _replace(text: str, values: dict) -> str:
    tree, _ = read_tree(text)
    return ast.unparse(_Constants(values).visit(tree))


def student_id(text: str, where: str) -> str:
    """``text`` stripped, if it is a student id (1 to :data:`MAX_ID` printable characters);
    a :class:`DataError` at ``where`` otherwise."""
    student = text.strip()
    if not student:
        raise DataError("empty student id", where)
    if len(student) > MAX_ID or not student.isprintable():
        raise DataError(f"student id of {len(student)} characters or with control "
                        f"characters; expected at most {MAX_ID} printable ones", where)
    return student


def page_name(student: str) -> str:
    """A file name for ``student``'s page: the id's safe characters, and a digest when any
    were left out (two ids never share a page)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", student).strip(".")[:60] or "student"
    if safe != student:
        safe += "-" + hashlib.sha256(student.encode()).hexdigest()[:8]
    return safe


__all__ = ["Grading", "Key", "MAX_ID", "load_key", "page_name", "student_id"]
