"""The workbench in a notebook: one function per verb, each returning a result that shows
itself in Jupyter (formulas typeset, the verdict with its level and counterexample, figures
inline; in one language, English by default, French with ``lang="fr"``) and serialises with
``to_dict()`` to the JSON the command line prints (``--json``: the same keys).

    >>> import workbench as wb
    >>> wb.derive("2**x", "x", at={"x": 0})
    >>> r = wb.verify("2**x", "x", "x*2**(x-1)", lang="fr"); r.verdict, r.level
    ('mismatch', 'confirmed')
    >>> wb.trace("-log(1/(1 + exp(-a*x)))", {"x": 0, "a": 3})
    >>> wb.explain("derivations/course_02_exp2.toml", output="pages", sheet=True)
    >>> wb.momentum(grid=20)

Every result is computed by the library (:func:`workbench.verify.crosscheck.cross_check`,
:mod:`workbench.trace`, :mod:`workbench.explain`, :mod:`workbench.momentum`); this module only
gathers arguments and shows what comes back. Bad arguments raise
:class:`workbench.errors.UserError` with a one-line message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import sympy
import torch

from workbench.atomic import check_output_dir
from workbench.derive.gradient import tidy
from workbench.derive.limits import time_limit
from workbench.errors import ResourceLimit, UserError
from workbench.explain.notebook import (Block, Shown, function_block, para, prose,
                                        report_blocks, steps_blocks)
from workbench.explain.render_steps import gradient_lhs
from workbench.expr.declare import declare_variables
from workbench.expr.parser import parse
from workbench.expr.printing import plain
from workbench.problem import Problem
from workbench.tex import math
from workbench.words import WORDS, check_lang, word

EXACT_SECONDS = 2.0


def _names(wrt: str | Sequence[str]) -> list[str]:
    return [w.strip() for w in wrt.split(",")] if isinstance(wrt, str) else list(wrt)


def _problem(expr: str, wrt, matrix: Mapping | None, domain: Mapping | None) -> Problem:
    """The problem as the command line declares it: ``matrix={"X": "n,p"}`` (or ``("n",
    "p")``), ``domain={"x": "positive"}``, every other name of ``expr`` a real scalar (a hand
    gradient names no others)."""
    shapes = [f"{k}={v if isinstance(v, str) else ','.join(map(str, v))}"
              for k, v in (matrix or {}).items()]
    domains = [f"{k}={v}" for k, v in (domain or {}).items()]
    expr = expr.strip()
    return Problem.from_text(expr, declare_variables([expr], shapes, domains),
                             _names(wrt))


def _scalar_point(problem: Problem, at: Mapping) -> dict[str, float]:
    missing = [v.name for v in problem.variables if v.name not in at]
    if missing or any(v.is_matrix for v in problem.variables):
        raise UserError(f"give a value for every scalar variable ({', '.join(missing)} "
                        f"missing); matrices are evaluated from derivation files or by trace",
                        "at")
    return {k: float(v) for k, v in at.items()}


class Derivative(Shown):
    """The derived gradient of a problem (``gradient``: SymPy, by variable), its steps and,
    with ``at``, its value there by every oracle."""

    def __init__(self, problem: Problem, at: dict[str, float], lang: str):
        self.problem, self.at, self.lang = problem, at, lang
        self.gradient = dict(problem.derivation.gradient)
        self.values = self._evaluate() if at else {}

    def _evaluate(self) -> dict:
        point = {k: torch.tensor(v, dtype=torch.float64) for k, v in self.at.items()}
        grads = self.problem.gradients_at(point)
        exact = self.problem.exact_gradient_at(self.at)
        return {name: {**{kind.replace("-", "_"): (float(g[name]) if g is not None else None)
                          for kind, g in grads.items()}, "exact": exact[name]}
                for name in self.problem.wrt}

    def to_dict(self) -> dict:
        """As ``workbench derive --json``."""
        d = self.problem.derivation
        return {"function": self.problem.text, "wrt": list(self.problem.wrt),
                "gradient": {k: (plain(g) if g is not None else None)
                             for k, g in self.gradient.items()},
                "method": d.method, "notes": d.notes, "at": self.values}

    def exact_value(self, name: str):
        """The gradient of ``name`` at ``at``, exactly (SymPy), or None."""
        g = self.gradient.get(name)
        if g is None or not self.at:
            return None
        subs = {v.symbol(): sympy.Rational(str(self.at[v.name])) for v in self.problem.variables}
        try:
            with time_limit(EXACT_SECONDS, "an exact value"):
                return tidy(g.xreplace(subs), EXACT_SECONDS)
        except (ResourceLimit, RecursionError, ArithmeticError, ValueError, TypeError):
            return None

    def blocks(self) -> list[Block]:
        p, lang = self.problem, self.lang
        out = [function_block(p)]
        for name in p.wrt:
            g = self.gradient[name]
            out.append(Block("math", f"{gradient_lhs(p, name)} = {math(g)}") if g is not None
                       else para((False, word("page.no-closed-form", lang))))
        out += steps_blocks(p, lang)
        point = ", ".join(f"{math(v.symbol())} = {self.at[v.name]:g}" for v in p.variables)
        for name, v in self.values.items():
            exact = self.exact_value(name)
            shown = f"{gradient_lhs(p, name)} = " + (f"{math(exact)} \\approx " if exact is not
                                                     None else "")
            out.append(para((False, f"{word('nb.at', lang)} "), (True, point),
                            (False, " : " if lang == "fr" else ": "),
                            (True, shown + _number(v["autograd"])),
                            (False, " (" + word("nb.oracles", lang, symbolic=_number(
                                v["symbolic"]), autograd=_number(v["autograd"]),
                                fd=_number(v["finite_difference"])) + ")")))
        return out


def _number(x) -> str:
    return "?" if x is None else f"{x:.12g}"


def derive(expr: str, wrt: str | Sequence[str], *, matrix: Mapping | None = None,
           domain: Mapping | None = None, at: Mapping | None = None, order: int = 1,
           lang: str = "en") -> "Derivative | Higher":
    """The gradient of ``expr`` with respect to ``wrt`` (``"x"``, ``"x,y"`` or a list), derived
    by SymPy with its steps; ``at={"x": 0}`` also evaluates it exactly and with the symbolic,
    autograd and finite-difference oracles. A vector- or matrix-valued ``expr`` gives its
    Jacobian, ``order=2`` the Hessian (one variable in ``wrt``): a :class:`Higher`."""
    check_lang(lang)
    problem = _problem(expr, wrt, matrix, domain)
    kind = _higher_kind(problem, order)
    if kind is not None:
        return _higher(kind, problem, None, None, None, lang)
    return Derivative(problem, _scalar_point(problem, at) if at else {}, lang)


class _Reported(Shown):
    """A result that is a report shown: its verdict, level, ``ok``, exit code and JSON are the
    report's."""

    report = None
    verdict = property(lambda self: self.report.verdict)
    level = property(lambda self: self.report.level)
    ok = property(lambda self: self.report.ok)
    exit_code = property(lambda self: self.report.exit_code)

    def to_dict(self) -> dict:
        """As ``workbench verify --json`` (``derive``'s for a Jacobian or Hessian)."""
        return self.report.to_dict()


class Verification(_Reported):
    """A hand gradient checked: ``report`` (the :class:`~workbench.verify.report.Report`:
    ``verdict``, ``level``, ``counterexample``, ``diagnosis`` ...), shown in words and
    formulas."""

    def __init__(self, problem: Problem, hand: dict, report, lang: str):
        self.problem, self.hand, self.report, self.lang = problem, hand, report, lang

    def blocks(self) -> list[Block]:
        return [function_block(self.problem),
                *report_blocks(self.report, self.problem, self.hand, self.lang)]


def verify(expr: str, wrt: str | Sequence[str], hand: str | Sequence[str] | Mapping, *,
           matrix: Mapping | None = None, domain: Mapping | None = None,
           examples: int = 200, dtype: str = "float64", seed: int | None = None,
           require_proof: bool = False, order: int = 1, lang: str = "en"
           ) -> "Verification | Higher":
    """Check ``hand`` (one expression per variable of ``wrt``, in order, or a mapping) against
    the derived gradient of ``expr``: proved, sampled, confirmed mismatch or undecided. For a
    vector- or matrix-valued ``expr`` the hand is its Jacobian (numerator layout: rows =
    outputs); with ``order=2`` the Hessian."""
    from workbench.verify.crosscheck import CheckSettings, cross_check
    check_lang(lang)
    names = _names(wrt)
    texts = dict(hand) if isinstance(hand, Mapping) else \
        dict(zip(names, [hand] if isinstance(hand, str) else list(hand)))
    if sorted(texts) != sorted(names):
        raise UserError(f"give one hand gradient per variable of wrt ({', '.join(names)})",
                        "hand")
    problem = _problem(expr, names, matrix, domain)
    parsed = {}
    for name in names:
        try:
            parsed[name] = parse(texts[name], problem.variables)
        except UserError as exc:
            raise exc.located(f"hand {name}") from None
    if dtype not in ("float64", "float32") or not 1 <= examples <= 100_000:
        raise UserError(f"dtype float64 or float32 and 1 <= examples <= 100000, got {dtype}, "
                        f"{examples}", "verify")
    settings = CheckSettings(max_examples=examples, dtype=getattr(torch, dtype), seed=seed,
                             require_proof=require_proof)
    kind = _higher_kind(problem, order)
    if kind is not None:
        (name,) = names
        return _higher(kind, problem, parsed[name], texts[name], settings, lang)
    report = cross_check(problem, parsed, settings, texts)
    return Verification(problem, parsed, report, lang)


def _higher_kind(problem: Problem, order: int) -> str | None:
    """``jacobian``, ``hessian`` or None (a gradient), as the command line decides it."""
    from workbench.expr.functions import is_1x1, is_matrix
    if order not in (1, 2):
        raise UserError(f"must be 1 or 2, got {order!r}", "order")
    vector = is_matrix(problem.function) and not is_1x1(problem.function)
    if vector and order == 2:
        raise UserError("a Hessian is of a scalar function", "order")
    if not vector and order == 1:
        return None
    if len(problem.wrt) != 1:
        raise UserError("a Jacobian or Hessian is with respect to one variable", "wrt")
    return "hessian" if order == 2 else "jacobian"


def _higher(kind, problem: Problem, hand, text, settings, lang: str) -> "Higher":
    from workbench.verify.higher import check_higher
    report = check_higher(kind, problem.function, problem.variables, problem.wrt[0], hand,
                          settings, text, problem.text)
    return Higher(problem, kind, hand, report, lang)


class Higher(_Reported):
    """A Jacobian or Hessian: ``report`` (the :class:`~workbench.verify.higher.HigherReport`:
    the closed form, and with a hand one its ``verdict``, ``level``, ``diagnosis``; symmetry,
    definiteness, agreement with ``torch.autograd.functional``)."""

    def __init__(self, problem: Problem, kind: str, hand, report, lang: str):
        self.problem, self.kind, self.hand, self.report, self.lang = \
            problem, kind, hand, report, lang

    closed = property(lambda self: self.report.closed)

    def blocks(self) -> list[Block]:
        from workbench.explain.notebook import verdict_block
        r, lang = self.report, self.lang
        what = word(f"higher.{self.kind}", lang)
        out = [function_block(self.problem)]
        if r.closed is not None:
            out.append(para((False, f"{what}: "), (True, math(r.closed))))
        else:
            out.append(para((False, f"{what}: " + "; ".join(r.notes))))
        out.append(para((False, word(f"higher.layout.{self.kind}", lang))))
        if self.hand is not None:
            out.append(para((False, word("page.hand", lang) + ": "), (True, math(self.hand))))
            if r.level in ("proved", "sampled", "confirmed", "undecided"):
                out.append(verdict_block(r, lang))
            if lang == "en":
                out += [para((False, line)) for line in r.diagnosis]
        out += [para((False, line)) for line in (r.symmetry, r.definiteness, r.torch) if line
                and lang == "en"]
        return out


class Traced(Shown):
    """The computational graph of an expression at a point (``trace``: a
    :class:`~workbench.trace.core.Trace`), forward values, local partials and adjoints, next
    to the symbolic route."""

    def __init__(self, trace, lang: str):
        self.trace, self.lang = trace, lang

    @property
    def agrees(self) -> bool | None:
        return self.trace.agrees

    def to_dict(self) -> dict:
        """As ``workbench trace --json``."""
        from workbench.trace.report import to_dict
        return to_dict(self.trace)

    def blocks(self) -> list[Block]:
        from workbench.trace.draw import render
        from workbench.trace.graph import tex_name
        from workbench.trace.tikz import tex_number
        t, lang = self.trace, self.lang
        reverse = t.mode == "reverse"
        labels = [] if reverse else list(t.rows[0].tangents)
        head = [[(False, word(k, lang))] for k in ("nb.node", "nb.operation", "nb.value",
                                                   "nb.partials")]
        head += [[(False, word("nb.adjoint", lang))]] if reverse else \
            [[(False, f"{word('nb.tangent', lang)} "), (True, tex_name(k))] for k in labels]
        rows = []
        for r in t.rows:
            partials = ",\\ ".join(
                rf"\partial/\partial {tex_name(k)}: \texttt{{{p.rule}}}" if p.rule else
                rf"\partial/\partial {tex_name(k)} = {tex_number(p.number, lang)}"
                for k, p in r.partials.items())
            cells = [[(True, tex_name(r.node.name))],
                     [(False, word("nb.input", lang))] if r.node.is_input else
                     [(True, r.node.tex or r.node.text)],
                     [(True, tex_number(r.value, lang))], [(True, partials)] if partials else []]
            cells += [[(True, tex_number(r.adjoint, lang))]] if reverse else \
                [[(True, tex_number(r.tangents[k], lang))] for k in labels]
            rows.append(cells)
        out = [Block("table", head, rows)]
        d = {n: rf"\frac{{\partial f}}{{\partial {tex_name(n)}}}" for n in t.wrt}
        auto = ",\\quad ".join(f"{d[n]} = {tex_number(t.gradient[n], lang)}" for n in t.wrt)
        out.append(para((False, word("route.automatic", lang) + " : " if lang == "fr" else
                         word("route.automatic", lang) + ": "), (True, auto)))
        if t.symbolic is not None:
            sym = ",\\quad ".join(f"{d[n]} = {math(t.symbolic.formula[n])}" +
                                  (f" = {tex_number(t.symbolic.at[n], lang)}"
                                   if t.symbolic.at[n] is not None else "") for n in t.wrt)
            out.append(para((False, word("route.symbolic", lang) + (" : " if lang == "fr"
                                                                     else ": ")), (True, sym)))
        if t.agrees is not None:
            out.append(para((False, word("route.agree" if t.agrees else "route.disagree",
                                         lang) + ".")))
        try:
            svg, _ = render(t, "svg")
            out.append(Block("svg", data=svg.decode("utf-8"), text=word("page.trace", lang)))
        except Exception:  # noqa: BLE001 - the picture is a bonus: the table says it all
            pass
        return out


def trace(expr: str, at: Mapping, *, wrt: str | Sequence[str] | None = None,
          matrix: Mapping | None = None, domain: Mapping | None = None,
          mode: str = "reverse", nodes: str = "grouped", lang: str = "en") -> Traced:
    """The computational graph of ``expr`` at ``at`` (``{"x": 0, "a": 3}``; a matrix as rows,
    ``{"X": [[1, 2], [3, 4]]}``), forward and backward, beside the symbolic route."""
    from workbench.trace.core import trace_expression
    check_lang(lang)
    matrix = dict(matrix or {})
    for name, value in at.items():
        if isinstance(value, (list, tuple)) and name not in matrix:
            matrix[name] = (len(value), len(value[0]) if value and
                            isinstance(value[0], (list, tuple)) else 0)
    shapes = [f"{k}={v if isinstance(v, str) else ','.join(map(str, v))}"
              for k, v in matrix.items()]
    variables = declare_variables([expr], shapes, [f"{k}={v}" for k, v in
                                                    (domain or {}).items()])
    point = {k: (v if isinstance(v, (list, tuple)) else str(v)) for k, v in at.items()}
    result = trace_expression(expr, point, variables=variables,
                              wrt=_names(wrt) if wrt else None, mode=mode, nodes=nodes)
    return Traced(result, lang)


class Explanation(Shown):
    """The explanation page of a derivation file (``page``: an
    :class:`~workbench.explain.page.Page`), shown in the notebook; ``written``: the files, when
    it was also written to a folder."""

    def __init__(self, page, lang: str, written=None):
        self.page, self.lang, self.written = page, lang, written

    verdict = property(lambda self: self.page.verdict)

    def to_dict(self) -> dict:
        """Name, title, verdict, level and status; the files written (``tex``, ``pdf``)."""
        p, rep = self.page, self.page.result.report
        out = {"file": str(p.df.path), "name": p.df.name, "title": p.df.title,
               "verdict": p.verdict, "level": rep.level if rep else None,
               "status": p.result.status, "steps_verified": p.steps_verified}
        if self.written is not None:
            w = self.written
            out.update(tex=str(w.tex), pdf=str(w.pdf) if w.pdf else None,
                       pdf_error=w.pdf_error)
        return out

    def blocks(self) -> list[Block]:
        from workbench.explain.page import description_of, title_of
        p, lang = self.page, self.lang
        out = [Block("heading", prose(title_of(p.df, lang)).content)]
        description = description_of(p.df, lang)
        if description:
            out.append(prose(description))
        out += [function_block(p.df.problem), *steps_blocks(p.df.problem, lang)]
        out += report_blocks(p.result.report, p.df.problem, p.df.hand, lang)
        out.append(Block("png", data=p.figure_png, text=word("nb.figure", lang)))
        if self.written is not None:
            files = [f for f in (self.written.tex, self.written.pdf) if f]
            out.append(para((False, word("nb.written", lang) + " " +
                             ", ".join(str(f) for f in files))))
        return out


def explain(file: str | Path, *, lang: str = "en", examples: int = 100,
            output: str | Path | None = None, pdf: bool = True,
            sheet: bool = False) -> Explanation:
    """The explanation page of a derivation file, shown here; with ``output``, also written
    there (``.tex``, figure and, with TeX, ``.pdf``; ``sheet=True``: the exercise sheet)."""
    from workbench.explain.page import build
    from workbench.explain.write import write_page, write_sheet
    check_lang(lang)
    if not Path(file).is_file():
        raise UserError(f"no such file: {file}", "explain")
    written = None
    if output is not None:
        write = write_sheet if sheet else write_page
        written = write(file, check_output_dir(output), lang, pdf, examples)
    return Explanation(build(file, lang, examples), lang, written)


class Momentum(Shown):
    """Gradient descent with momentum on the course's least squares: theory against
    measurement (``analyses``: one :class:`~workbench.momentum.analysis.Analysis` per data
    set), with the loss curves and the sweep's heatmaps."""

    def __init__(self, analyses: list, summary: dict, lang: str):
        self.analyses, self.summary, self.lang = analyses, summary, lang

    def to_dict(self) -> dict:
        """As ``workbench momentum --json``."""
        return self.summary

    def figures(self) -> dict[str, bytes]:
        """PNG bytes by name, as ``workbench momentum`` writes them."""
        from workbench.momentum import figures
        return {name: data for a in self.analyses for name, data in
                ((f"loss_curves_{a.label}", figures.loss_curves(a)),
                 (f"sweep_{a.label}", figures.sweep_heatmaps(a)))}

    def blocks(self) -> list[Block]:
        from workbench.momentum.report import speedup
        lang = self.lang
        out = [Block("heading", [(False, word("momentum.question", lang))])]
        pngs = self.figures()
        for a in self.analyses:
            out.append(Block("heading", [(False, word(
                "momentum.heading", lang, label=a.label, n=a.data.n, p=a.data.p,
                seed=a.data.seed).lstrip("# "))]))
            out.append(para((False, word("nb.hessian", lang) + " "),
                            (True, rf"\kappa = {a.spectrum.kappa:.4g}"), (False, ": "),
                            (True, rf"H = {math(a.hessian_expr)}")))
            head = [[(False, word(k, lang))] for k in ("nb.setting", "nb.lr", "nb.momentum",
                                                       "nb.predicted", "nb.measured")]
            rows = [[[(False, word(f"setting.{r.name}", lang) if f"setting.{r.name}" in
                       WORDS else r.name)], [(True, f"{r.lr:.4g}")],
                     [(True, f"{r.momentum:.4g}")], [(True, f"{r.predicted:.4f}")],
                     [(True, f"{r.measured:.4f}")] + ([(False, f" ({word('nb.diverges', lang)})")]
                                                     if r.diverged else [])]
                    for r in a.runs]
            out.append(Block("table", head, rows))
            out.append(para((False, word("nb.speedup", lang,
                                         measured=speedup(a.gd_run.measured,
                                                          a.polyak_run.measured),
                                         predicted=speedup(a.gd.rate, a.polyak.rate)))))
            for name in (f"loss_curves_{a.label}", f"sweep_{a.label}"):
                out.append(Block("png", data=pngs[name], text=name))
        out.append(para((False, word("momentum.why", lang))))
        return out


def momentum(*, n: int = 10, features: int = 2, seed: int = 0, kappa: float | None = None,
             ill_kappa: float = 100.0, noise: float = 0.1, iterations: int = 200,
             grid: int = 60, oracle: str = "symbolic", output: str | Path | None = None,
             lang: str = "en") -> Momentum:
    """The course's momentum exercise (see ``workbench momentum --help``): the course's data
    and, unless ``ill_kappa`` is 0, data with condition number ``ill_kappa``; with ``output``,
    the figures, ``momentum.json`` and ``answer.md`` are also written there."""
    from workbench.momentum.analysis import analyse, check_oracles
    from workbench.momentum.problem import LeastSquareData, make_oracle
    from workbench.momentum.report import QUESTION, analysis_summary, write_outputs
    check_lang(lang)
    if not 20 <= iterations <= 100_000 or not 2 <= grid <= 1000:
        raise UserError(f"iterations must be 20..100000 and grid 2..1000, got {iterations}, "
                        f"{grid}", "momentum")
    datasets = [("course" if kappa is None else f"kappa{kappa:g}",
                 LeastSquareData.generate(n, features, seed, kappa, noise))]
    if ill_kappa and ill_kappa != kappa and features > 1:
        datasets.append((f"kappa{ill_kappa:g}",
                         LeastSquareData.generate(n, features, seed, ill_kappa, noise)))
    check = check_oracles(datasets[0][1])
    analyses = [analyse(data, make_oracle(oracle), label, iterations, grid, False)
                for label, data in datasets]
    summary = {"question": QUESTION, "oracle": oracle, "oracle_check": check,
               "analyses": [analysis_summary(a) for a in analyses]}
    if output is not None:
        summary = write_outputs(analyses, summary, check_output_dir(output), None)
    return Momentum(analyses, summary, lang)


__all__ = ["Derivative", "Explanation", "Momentum", "Traced", "Verification", "derive",
           "explain", "momentum", "trace", "verify"]
