"""The page of a Jacobian or Hessian file: statement, the closed form in textbook notation, the
hand result and its verdict, the checks (torch, symmetry, definiteness) and a figure of the
matrix at a sampled point next to ``torch.autograd.functional``'s.

Built from the file's :class:`~workbench.verify.higher.HigherReport` (the check itself lives
in :mod:`workbench.verify.higher`); :mod:`workbench.explain.page` hands such files here.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from workbench.derivation_file import DerivationFile
from workbench.derive.higher import higher_derivative
from workbench.figures import encode
from workbench.tex import escape, math
from workbench.words import word


def result_section(df: DerivationFile, rep, lang: str) -> str:
    """Result, hand result with verdict, and checks, as LaTeX."""
    from workbench.explain.page import verdict_latex
    (name,) = df.problem.wrt
    what = word(f"higher.{df.kind}", lang)
    lhs = _lhs(df, name)
    out = [f"\\section*{{{word('page.result', lang)}}}"]
    closed = rep.closed
    if closed is not None:
        out.append(f"\\[ {lhs} = {math(closed)} \\]")
    out.append(escape(word(f"higher.layout.{df.kind}", lang)) + "\n")
    out.append(f"\\section*{{{word('page.hand', lang)} ({what})}}")
    if df.hand:
        out.append(f"\\[ {lhs} \\overset{{?}}{{=}} {math(df.hand[name])} \\]")
        out.append(verdict_latex(rep, lang) + "\n")
        if df.expect == "mismatch":
            out.append("\\emph{" + word("page.expected-mismatch", lang) + "}\n")
        if rep.verdict == "mismatch" and lang == "en" and rep.diagnosis:
            out.append(f"{word('page.diagnosis', lang)}:\n\\begin{{itemize}}\n" + "".join(
                f"\\item {escape(line)}\n" for line in rep.diagnosis) + "\\end{itemize}\n")
        out.append(escape(word("higher.how", lang)) + "\n")
    else:
        out.append(word("page.no-hand", lang) + "\n")
    checks = _checks(rep, lang)
    if checks:
        out.append(f"\\section*{{{word('higher.checks', lang)}}}\n\\begin{{itemize}}\n" +
                   "".join(f"\\item {escape(c)}\n" for c in checks) + "\\end{itemize}\n")
    return "\n".join(out)


def _lhs(df: DerivationFile, name: str) -> str:
    v = {x.name: x for x in df.problem.variables}[name]
    x = math(v.symbol())
    if df.kind == "hessian":
        return f"\\nabla^2_{{{x}}} f" if v.is_matrix else f"\\frac{{d^2 f}}{{d {x}^2}}"
    return f"\\frac{{\\partial f}}{{\\partial {x}}}"


def _checks(rep, lang: str) -> list[str]:
    facts, out = rep.facts, []
    if facts.get("torch_points"):
        out.append(word("higher.torch", lang, n=facts["torch_points"]))
    if facts.get("symmetric") is not None:
        out.append(word("higher.symmetric" if facts["symmetric"] else "higher.not-symmetric",
                        lang))
    if facts.get("psd") == "proved":
        out.append(word("higher.psd-proved", lang))
    elif facts.get("eigenvalues"):
        lo, hi = facts["eigenvalues"]
        out.append(word("higher.eigenvalues", lang, lo=f"{lo:.3g}", hi=f"{hi:.3g}"))
    return out


def figure_png(df: DerivationFile, rep, lang: str) -> bytes:
    """Heat maps of the closed form and of torch's matrix at the first sampled point."""
    from workbench.compile import compile_expr
    from workbench.oracles.higher import autograd_hessian, autograd_jacobian
    from workbench.verify.higher import _points
    (name,) = df.problem.wrt
    fig = Figure(figsize=(7, 3.2))
    d = higher_derivative(df.kind, df.problem.function, df.problem.variables, name)
    pair = None
    if d.closed is not None:
        fn = compile_expr(d.function, d.variables)
        closed = compile_expr(d.closed, d.variables)
        for point, _ in _points(d):
            ref = (autograd_hessian if d.kind == "hessian" else autograd_jacobian)(
                fn, point, name)
            got = closed(point).reshape(ref.shape)
            if ref.isfinite().all() and got.isfinite().all():
                pair = got.reshape(ref.shape[0], -1) if ref.dim() else got.reshape(1, 1), \
                    ref.reshape(ref.shape[0], -1) if ref.dim() else ref.reshape(1, 1)
                break
    if pair is None:
        ax = fig.add_subplot(1, 1, 1)
        ax.axis("off")
        ax.text(0.5, 0.5, word(f"higher.{df.kind}", lang), ha="center", va="center")
        return encode(fig)
    lim = float(max(pair[0].abs().max(), pair[1].abs().max())) or 1.0
    titles = ("closed form" if lang == "en" else "forme close", "torch.autograd.functional")
    for k, (m, title) in enumerate(zip(pair, titles)):
        ax = fig.add_subplot(1, 2, k + 1)
        im = ax.imshow(m.numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im, ax=fig.axes, shrink=0.8)
    return encode(fig, dpi=110)


__all__ = ["figure_png", "result_section"]
