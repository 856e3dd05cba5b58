"""The numbers of momentum analyses as JSON, the text that answers the course's question with
them (English, then French), and writing everything atomically to a folder (and the figures
to the gallery)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import sympy
import torch

from workbench.atomic import write_bytes, write_text
from workbench.momentum import figures, theory
from workbench.momentum.analysis import Analysis

QUESTION = "How can a well-chosen momentum speed up optimisation?"
QUESTION_FR = "Comment un momentum bien choisi peut-il accélérer l'optimisation ?"
STALLED = 1 - 1e-6
"""A measured rate at or above this does not converge: a step on the boundary itself measures
1 to about 1e-9 (it oscillates forever)."""


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
        "seconds": s.seconds,
        "steps_per_second": len(s.lrs) * len(s.momenta) * a.iterations / s.seconds,
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
                  "final_loss": _number(float(r.losses[-1]))} for r in a.runs],
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
                     f"{r.measured:.4f} | {100 * r.relative_error:.2f} % |")
    return lines


def _course_runs(a: Analysis, french: bool = False) -> str:
    """The course's comparison, read with the third run (its step without momentum)."""
    slow, fast, alone = a.runs[:3]
    rescued = alone.measured >= STALLED > fast.measured
    if french:
        verdict = "ne converge pas" if alone.measured >= STALLED else "converge"
        return (f"Les réglages du cours : lr 0.2 donne un taux {slow.measured:.4f}, momentum "
                f"0.3 avec lr 1.0 {fast.measured:.4f} ; sans momentum, lr 1.0 donne "
                f"{alone.measured:.4f} et {verdict}"
                + (" : c'est le momentum qui rend ce pas utilisable." if rescued else "."))
    verdict = "does not converge" if alone.measured >= STALLED else "converges"
    return (f"The course's settings: lr 0.2 contracts by {slow.measured:.4f} per iteration, "
            f"momentum 0.3 with lr 1.0 by {fast.measured:.4f}; without its momentum, lr 1.0 "
            f"gives {alone.measured:.4f} and {verdict}"
            + (": momentum is what makes that step usable." if rescued else "."))


def answer_text(analyses: list[Analysis]) -> str:
    """Markdown answering :data:`QUESTION` with the measured numbers, then in French."""
    en, fr = [f"# {QUESTION}", ""], ["", f"# {QUESTION_FR}", ""]
    for a in analyses:
        lam = a.spectrum
        gd, hb = a.gd_run, a.polyak_run
        measured = speedup(gd.measured, hb.measured)
        en += [f"## {a.label}: n = {a.data.n}, p = {a.data.p}, seed {a.data.seed}", "",
               f"SymPy derives the Hessian `{a.hessian_expr}`; at these data its eigenvalues "
               f"run from {lam.lam_min:.4g} to {lam.lam_max:.4g}, so kappa = {lam.kappa:.4g}. "
               f"Plain gradient descent at its best step {a.gd.lr:.4g} shrinks the distance to "
               f"the optimum by {a.gd.rate:.4f} per iteration (measured {gd.measured:.4f}); "
               f"heavy ball at Polyak's step {a.polyak.lr:.4g} and momentum "
               f"{a.polyak.momentum:.4g} by {a.polyak.rate:.4f} (measured {hb.measured:.4f}). "
               f"Momentum needs {measured:.3g} times fewer iterations for the same accuracy "
               f"(theory: {speedup(a.gd.rate, a.polyak.rate):.3g}). {_course_runs(a)}", "",
               *_table(a), ""]
        fr += [f"## {a.label} : n = {a.data.n}, p = {a.data.p}, graine {a.data.seed}", "",
               f"Hessienne (SymPy) `{a.hessian_expr}`, valeurs propres de {lam.lam_min:.4g} à "
               f"{lam.lam_max:.4g}, conditionnement kappa = {lam.kappa:.4g}. Descente de "
               f"gradient au meilleur pas {a.gd.lr:.4g} : taux {a.gd.rate:.4f} par itération "
               f"(mesuré {gd.measured:.4f}) ; momentum au point de Polyak (pas "
               f"{a.polyak.lr:.4g}, momentum {a.polyak.momentum:.4g}) : {a.polyak.rate:.4f} "
               f"(mesuré {hb.measured:.4f}), soit {measured:.3g} fois moins d'itérations. "
               f"{_course_runs(a, french=True)}", ""]
    en += ["Why: along an eigenvalue lam the error obeys a two-term recurrence whose roots have "
           "modulus sqrt(momentum) when they are complex. Polyak's setting makes that true for "
           "every eigenvalue at once, so the rate goes from (kappa - 1)/(kappa + 1) ~ "
           "1 - 2/kappa to (sqrt(kappa) - 1)/(sqrt(kappa) + 1) ~ 1 - 2/sqrt(kappa): the gain "
           "is small when kappa is near 1 and grows like sqrt(kappa) for ill-conditioned data. "
           "Momentum also widens the stable steps to lr < 2(1 + momentum)/lam_max (the red "
           "line of the heatmaps); too much momentum slows every direction down to "
           "sqrt(momentum), too large a step diverges."]
    fr += ["Pourquoi : le long d'une valeur propre, l'erreur suit une récurrence d'ordre deux "
           "dont les racines complexes ont pour module sqrt(momentum). Le réglage de Polyak "
           "rend cela vrai pour toutes les valeurs propres, et le taux passe de environ "
           "1 - 2/kappa à environ 1 - 2/sqrt(kappa) : gain modeste si kappa est proche de 1, "
           "spectaculaire si les données sont mal conditionnées. Le momentum élargit aussi les "
           "pas stables (lr < 2(1 + momentum)/lam_max) ; trop de momentum ralentit tout."]
    return "\n".join(en + fr) + "\n"


def write_outputs(analyses: list[Analysis], summary: dict, out_dir: Path,
                  gallery: Path | None) -> dict:
    """Figures, per-sweep grids, ``momentum.json`` and ``answer.md`` into ``out_dir``; the
    figures also into ``gallery``. Every file is written atomically. Returns ``summary`` with
    the list of files, as written to ``momentum.json``."""
    written = []

    def put(path: Path, data: bytes | str) -> None:
        (write_text if isinstance(data, str) else write_bytes)(path, data)
        written.append(str(path))

    for a in analyses:
        for name, png in ((f"loss_curves_{a.label}.png", figures.loss_curves(a)),
                          (f"sweep_{a.label}.png", figures.sweep_heatmaps(a))):
            put(out_dir / name, png)
            if gallery is not None:
                put(gallery / name, png)
        grids = {"lrs": a.sweep.lrs.tolist(), "momenta": a.sweep.momenta.tolist(),
                 "measured_rate": [[_number(x) for x in row] for row in a.sweep.rates.tolist()],
                 "predicted_rate": a.predicted_grid.tolist()}
        put(out_dir / f"sweep_{a.label}.json", json.dumps(grids))
    put(out_dir / "answer.md", answer_text(analyses))
    summary = {**summary, "files": written + [str(out_dir / "momentum.json")]}
    put(out_dir / "momentum.json", json.dumps(summary, indent=2))
    return summary
