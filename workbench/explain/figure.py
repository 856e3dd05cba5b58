"""The figure of a page, as PNG bytes: the function and its derivative for a function of scalar
variables; otherwise the distribution of relative errors over the checked points. And a
formula alone (:func:`formula_png`), for the gallery's cards.

Drawn with :class:`matplotlib.figure.Figure` and encoded by :func:`workbench.figures.encode`:
the same numbers give the same bytes.
"""

from __future__ import annotations

import torch
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

from workbench.explain.numbers import error_sample, evaluate, sample_points
from workbench.expr.sampling import typical_range
from workbench.figures import encode
from workbench.words import word

DPI = 110
GRID = 400
COLORS = {"symbolic": "tab:blue", "hand": "tab:red", "finite-difference": "tab:green"}
LINES = {"function": ("-", "solid"), "symbolic": ("--", "dashed"), "hand": (":", "dotted")}
"""How each curve is drawn: matplotlib's line style, and the name of that style the caption
gives (``plot.line-*``): the caption is made from what was drawn."""


def figure(problem, found: dict, lang: str) -> tuple[str, bytes, str]:
    """(kind, PNG, caption): ``curves`` for scalar functions, ``errors`` otherwise."""
    kind = "errors" if any(v.is_matrix for v in problem.variables) else "curves"
    fig, drawn = (curves_figure if kind == "curves" else errors_figure)(problem, found, lang)
    return kind, encode(fig, dpi=DPI, tight=True), caption(kind, drawn, lang)


def caption(kind: str, drawn: list[str], lang: str) -> str:
    """The figure's caption, naming each curve with its line style (``curves``: "The function
    (solid) and the symbolic derivative (dashed).") or each histogram (``errors``)."""
    if kind == "curves":
        parts = [f"{word('plot.curve-' + k, lang)} ({word('plot.line-' + LINES[k][1], lang)})"
                 for k in drawn]
    else:
        parts = [word("plot.error-" + k, lang) for k in drawn]
    if not parts:
        return word("plot.caption-empty", lang)
    listed = parts[0] if len(parts) < 2 else \
        f"{', '.join(parts[:-1])} {word('plot.and', lang)} {parts[-1]}"
    text = word(f"plot.caption-{kind}", lang, what=listed)
    return text[0].upper() + text[1:]


def curves_figure(problem, found: dict, lang: str) -> tuple[Figure, list[str]]:
    """f and df/dx along the first variable of ``wrt``, the others fixed at a sample point;
    the hand derivative too when there is one. And what was drawn (keys of :data:`LINES`)."""
    x = next(v for v in problem.variables if v.name == problem.wrt[0])
    _, fixed = sample_points(problem, 1)
    lo, hi = typical_range(x.domain)
    grid = torch.linspace(lo, hi, GRID, dtype=torch.float64)
    point = {k: v.expand(GRID).clone() for k, v in fixed.items()}
    point[x.name] = grid
    value = found["autograd"](point, batched=True).value
    grads = evaluate({k: found[k] for k in ("symbolic", "hand") if k in found}, point,
                     batched=True)
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.subplots()
    ax.plot(grid, _finite(value), LINES["function"][0], color="black",
            label=f"{word('plot.function', lang)} f")
    drawn = ["function"]
    for kind, g in grads.items():
        if g is not None and g[x.name].shape == grid.shape:
            ax.plot(grid, _finite(g[x.name]), LINES[kind][0], color=COLORS[kind],
                    label=f"{word('plot.derivative', lang)} ({word('plot.' + kind, lang)})")
            drawn.append(kind)
    others = [v.name for v in problem.variables if v.name != x.name]
    fixed_text = ", ".join(f"{n}={float(fixed[n][0]):.3g}" for n in others)
    if lang == "fr":                                 # the decimal comma; a semicolon between
        fixed_text = fixed_text.replace(", ", "; ").replace(".", ",")
    ax.set(xlabel=x.name + (f"   ({fixed_text})" if fixed_text else ""))
    ax.axhline(0, color="gray", linewidth=0.5)
    ax.legend(loc="best", fontsize=8)
    _decimal_mark(ax, lang)
    return fig, drawn


def _decimal_mark(ax, lang: str) -> None:
    """Tick labels with the decimal mark of ``lang`` (a comma in French)."""
    if lang == "fr":
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(_CommaFormatter())


class _CommaFormatter(ScalarFormatter):
    def __call__(self, x, pos=None):
        return super().__call__(x, pos).replace(".", ",")


def _finite(t: torch.Tensor) -> torch.Tensor:
    """Values for plotting: non-finite and huge values become gaps."""
    t = t.detach().clone()
    t[~torch.isfinite(t) | (t.abs() > 1e6)] = float("nan")
    return t


def errors_figure(problem, found: dict, lang: str) -> tuple[Figure, list[str]]:
    """Histogram of log10 relative errors against autograd, per oracle; and the oracles drawn."""
    sample = error_sample(problem, found)
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.subplots()
    for kind, err in sample.items():
        logs = torch.log10(err.clamp_min(1e-18))
        ax.hist(logs.numpy(), bins=40, range=(-18, 2), alpha=0.6, color=COLORS[kind],
                label=f"{word('plot.' + kind, lang)} ({len(err)} {word('plot.count', lang)})")
    ax.set(xlabel=word("plot.rel", lang), ylabel=word("plot.count", lang))
    ax.legend(loc="best", fontsize=8)
    _decimal_mark(ax, lang)
    return fig, list(sample)


# matplotlib's mathtext lacks these; its own spellings print the same symbols
MATHTEXT = {r"\left\lVert": r"\Vert", r"\right\rVert": r"\Vert", r"\lVert": r"\Vert",
            r"\rVert": r"\Vert", r"\boxed": ""}


def formula_png(latex: str, dpi: int = 2 * DPI) -> bytes | None:
    """``latex`` (one line of mathematics) typeset by matplotlib's mathtext, no TeX needed;
    None where mathtext cannot read it."""
    for tex, mathtext in MATHTEXT.items():
        latex = latex.replace(tex, mathtext)
    fig = Figure(figsize=(0.5, 0.3))
    fig.text(0, 0, f"${latex}$", fontsize=12, math_fontfamily="cm")
    try:
        return encode(fig, dpi=dpi, tight=True)
    except ValueError:            # mathtext's parse errors
        return None
