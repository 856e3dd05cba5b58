"""The figure of a page, as PNG bytes: the function and its derivative for a function of scalar
variables; otherwise the distribution of relative errors over the checked points. And a
formula alone (:func:`formula_png`), for the gallery's cards.

Drawn with :class:`matplotlib.figure.Figure` and encoded by :func:`workbench.figures.encode`:
the same numbers give the same bytes.
"""

from __future__ import annotations

import torch
from matplotlib.figure import Figure

from workbench.explain.numbers import error_sample, evaluate, sample_points
from workbench.expr.sampling import typical_range
from workbench.figures import encode
from workbench.words import word

DPI = 110
GRID = 400
COLORS = {"symbolic": "tab:blue", "hand": "tab:red", "finite-difference": "tab:green"}


def figure(problem, found: dict, lang: str) -> tuple[str, bytes]:
    """(kind, PNG): ``curves`` for scalar functions, ``errors`` otherwise."""
    if not any(v.is_matrix for v in problem.variables):
        return "curves", curves(problem, found, lang)
    return "errors", errors(problem, found, lang)


def curves(problem, found: dict, lang: str) -> bytes:
    """f and df/dx along the first variable of ``wrt``, the others fixed at a sample point;
    the hand derivative too when there is one."""
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
    ax.plot(grid, _finite(value), color="black", label=f"{word('plot.function', lang)} f")
    for kind, g in grads.items():
        if g is not None and g[x.name].shape == grid.shape:
            style = "--" if kind == "symbolic" else ":"
            ax.plot(grid, _finite(g[x.name]), style, color=COLORS[kind],
                    label=f"{word('plot.derivative', lang)} ({word('plot.' + kind, lang)})")
    others = [v.name for v in problem.variables if v.name != x.name]
    fixed_text = ", ".join(f"{n}={float(fixed[n][0]):.3g}" for n in others)
    ax.set(xlabel=x.name + (f"   ({fixed_text})" if fixed_text else ""))
    ax.axhline(0, color="gray", linewidth=0.5)
    ax.legend(loc="best", fontsize=8)
    return encode(fig, dpi=DPI, tight=True)


def _finite(t: torch.Tensor) -> torch.Tensor:
    """Values for plotting: non-finite and huge values become gaps."""
    t = t.detach().clone()
    t[~torch.isfinite(t) | (t.abs() > 1e6)] = float("nan")
    return t


def errors(problem, found: dict, lang: str) -> bytes:
    """Histogram of log10 relative errors against autograd, per oracle."""
    sample = error_sample(problem, found)
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.subplots()
    for kind, err in sample.items():
        logs = torch.log10(err.clamp_min(1e-18))
        ax.hist(logs.numpy(), bins=40, range=(-18, 2), alpha=0.6, color=COLORS[kind],
                label=f"{word('plot.' + kind, lang)} ({len(err)} {word('plot.count', lang)})")
    ax.set(xlabel=word("plot.rel", lang), ylabel=word("plot.count", lang))
    ax.legend(loc="best", fontsize=8)
    return encode(fig, dpi=DPI, tight=True)


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
