"""The numbers of momentum analyses as JSON, the text that answers the course's question with
them (English, then French), and writing everything atomically to a folder (and the figures
to the gallery)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import sympy
import torch

from workbench.atomic import write_text
from workbench.figures import write_pngs
from workbench.momentum import figures, theory
from workbench.momentum.analysis import Analysis
from workbench.words import word

QUESTION = word("momentum.question", "en")
STALLED = 1 - 1e-6
"""A measured rate at or above this does not converge: a step on the boundary itself measures
1 to about 1e-9 (it oscillates forever)."""
DIVERGES = " (diverges)"
"""Put after the measured rate of a run whose loss grows (see
:attr:`~workbench.momentum.analysis.SettingRun.diverged`)."""


def speedup(slow: float, fast: float) -> float:
    """How many times fewer iterations rate ``fast`` needs than ``slow`` for the same
    accuracy: ``log slow / log fast``."""
    if not 0 < fast < 1 or not 0 < slow < 1:
        return float("nan")
    return math.log(fast) / math.log(slow)


def _number(x: float) -> float | None:
    """JSON has no NaN: a rate that could not be measured is ``null``."""
    return x if math.isfinite(x) else None


def sweep_summary(a: Analysis) -> dict:
    s = a.sweep
    finite = torch.isfinite(s.rates)
    error = (s.rates / a.predicted_grid - 1).abs()
    predicted_ok = theory.converges(a.spectrum, s.lrs.unsqueeze(0), s.momenta.unsqueeze(1))
    measured_ok = s.rates < 1
    best = int(torch.where(finite, s.rates, torch.inf).argmin())
    i, j = divmod(best, len(s.lrs))
    return {
        "grid": [len(s.momenta), len(s.lrs)], "iterations": a.iterations,
        "lr_range": [float(s.lrs[0]), float(s.lrs[-1])],
        "momentum_range": [float(s.momenta[0]), float(s.momenta[-1])],
        "time_s": s.seconds,
        "steps_per_s": len(s.lrs) * len(s.momenta) * a.iterations / s.seconds,
        "unmeasured_settings": int((~finite).sum()),
        "max_relative_error": float(error[finite].max()),
        "median_relative_error": float(error[finite].median()),
        "converging_settings": {"predicted": int(predicted_ok.sum()),
                                "measured": int((measured_ok & finite).sum()),
                                "agree": int(((predicted_ok == measured_ok) | ~finite).sum())},
        "best_measured": {"lr": float(s.lrs[j]), "momentum": float(s.momenta[i]),
                          "rate": float(s.rates[i, j])},
    }


def analysis_summary(a: Analysis) -> dict:
    return {
        "label": a.label, "data": a.data.summary(), "oracle": a.oracle,
        "hessian": {"expression": str(a.hessian_expr), "latex": sympy.latex(a.hessian_expr),
                    "matrix": a.hessian.tolist(),
                    "eigenvalues": a.spectrum.eigenvalues.tolist(), "kappa": a.spectrum.kappa},
        "gradient_descent_optimum": {"lr": a.gd.lr, "rate": a.gd.rate},
        "polyak_optimum": {"lr": a.polyak.lr, "momentum": a.polyak.momentum,
                           "rate": a.polyak.rate},
        "runs": [{"name": r.name, "lr": r.lr, "momentum": r.momentum,
                  "predicted_rate": r.predicted, "measured_rate": _number(r.measured),
                  "relative_error": _number(r.relative_error),
                  "converges": bool(theory.converges(a.spectrum, r.lr, r.momentum)),
                  "diverged": r.diverged,
                  "final_loss": _number(float(r.losses[-1]))} for r in a.runs],
        "diverged_runs": [r.name for r in a.runs if r.diverged],
        "speedup_of_momentum": {"predicted": _number(speedup(a.gd.rate, a.polyak.rate)),
                                "measured": _number(speedup(a.gd_run.measured,
                                                                a.polyak_run.measured))},
        "sweep": sweep_summary(a),
    }


def _table(a: Analysis) -> list[str]:
    lines = ["| setting | lr | momentum | predicted rate | measured rate | error |",
             "|---|---|---|---|---|---|"]
    for r in a.runs:
        lines.append(f"| {r.name} | {r.lr:.4g} | {r.momentum:.4g} | {r.predicted:.4f} | "
                     f"{r.measured:.4f}{DIVERGES if r.diverged else ''} | "
                     f"{100 * r.relative_error:.2f} % |")
    return lines


def _course_runs(a: Analysis, lang: str) -> str:
    """The course's comparison, read with the third run (its step without momentum)."""
    slow, fast, alone = a.runs[:3]
    stalls = alone.measured >= STALLED
    verdict = word("momentum.stalls" if stalls else "momentum.converges", lang)
    ending = word("momentum.rescued", lang) if stalls and fast.measured < STALLED else "."
    return word("momentum.course", lang, slow=slow.measured, fast=fast.measured,
                alone=alone.measured, verdict=verdict) + ending


def _answer(analyses: list[Analysis], lang: str) -> str:
    lines = [f"# {word('momentum.question', lang)}", ""]
    for a in analyses:
        lam, gd, hb = a.spectrum, a.gd_run, a.polyak_run
        rates = word("momentum.rates", lang, hessian=a.hessian_expr, lam_min=lam.lam_min,
                     lam_max=lam.lam_max, kappa=lam.kappa, gd_lr=a.gd.lr, gd_rate=a.gd.rate,
                     gd_measured=gd.measured, hb_lr=a.polyak.lr,
                     hb_momentum=a.polyak.momentum, hb_rate=a.polyak.rate,
                     hb_measured=hb.measured, measured=speedup(gd.measured, hb.measured),
                     predicted=speedup(a.gd.rate, a.polyak.rate))
        lines += [word("momentum.heading", lang, label=a.label, n=a.data.n, p=a.data.p,
                       seed=a.data.seed), "", f"{rates} {_course_runs(a, lang)}", ""]
        if lang == "en":
            lines += [*_table(a), ""]
    lines.append(word("momentum.why", lang))
    return "\n".join(lines)


def answer_text(analyses: list[Analysis]) -> str:
    """Markdown answering :data:`QUESTION` with the measured numbers, then in French."""
    return "\n\n".join(_answer(analyses, lang) for lang in ("en", "fr")) + "\n"


def write_outputs(analyses: list[Analysis], summary: dict, out_dir: Path,
                  gallery: Path | None) -> dict:
    """Figures, per-sweep grids, ``momentum.json`` and ``answer.md`` into ``out_dir``; the
    figures also into ``gallery``. Every file is written atomically. Returns ``summary`` with
    the list of files, as written to ``momentum.json``."""
    written = []

    def put(path: Path, text: str) -> None:
        write_text(path, text)
        written.append(str(path))

    for a in analyses:
        pngs = {f"loss_curves_{a.label}": figures.loss_curves(a),
                f"sweep_{a.label}": figures.sweep_heatmaps(a)}
        written += map(str, write_pngs(pngs, out_dir, gallery))
        grids = {"lrs": a.sweep.lrs.tolist(), "momenta": a.sweep.momenta.tolist(),
                 "measured_rate": [[_number(x) for x in row] for row in a.sweep.rates.tolist()],
                 "predicted_rate": a.predicted_grid.tolist()}
        put(out_dir / f"sweep_{a.label}.json", json.dumps(grids))
    put(out_dir / "answer.md", answer_text(analyses))
    summary = {**summary, "files": written + [str(out_dir / "momentum.json")]}
    put(out_dir / "momentum.json", json.dumps(summary, indent=2))
    return summary
