"""The verb ``momentum``: gradient descent with momentum on the course's least squares, theory
against measurement (thin: arguments in, library, files and exit code out).

Only light modules are imported here: torch, SymPy and matplotlib load in :func:`cmd_momentum`,
so registering the verb (``workbench --help``) costs nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from workbench.atomic import add_output_option, check_output_dir
from workbench.errors import UserError
from workbench.verbs import add_verb

DEFAULT_OUT = "runs/momentum"
GALLERY = "gallery/momentum"
MAX_RECORDED = 20_000_000
"""grid^2 x iterations: the sweep keeps every loss (8 bytes each)."""


def register(sub: argparse._SubParsersAction) -> None:
    p = add_verb(sub, "momentum", cmd_momentum,
                 help="momentum on least squares: theory vs measurement")
    p.add_argument("--n", type=int, default=10, help="samples (default 10)")
    p.add_argument("--features", type=int, default=2, help="coefficients p (default 2)")
    p.add_argument("--seed", type=int, default=0, help="data seed (default 0)")
    p.add_argument("--kappa", type=float, default=None, metavar="K",
                   help="build X so that the Hessian's condition number is K (default: the "
                        "course's standard normal X)")
    p.add_argument("--ill-kappa", type=float, default=100.0, metavar="K",
                   help="also analyse data with condition number K (default 100; 0 skips)")
    p.add_argument("--noise", type=float, default=0.1, help="noise std of y (default 0.1)")
    p.add_argument("--iterations", type=int, default=200,
                   help="iterations of every run and of the sweep (default 200)")
    p.add_argument("--grid", type=int, default=60,
                   help="the sweep is GRID x GRID (lr, momentum) settings (default 60)")
    p.add_argument("--oracle", default="symbolic",
                   help="where gradients come from: symbolic (the SymPy closed form, default) "
                        "or autograd; both are checked against each other first")
    add_output_option(p, DEFAULT_OUT, "DIR", f"output folder (default {DEFAULT_OUT})")
    p.add_argument("--no-gallery", action="store_true",
                   help=f"do not copy the figures to {GALLERY}/")
    p.add_argument("--json", action="store_true", help="print the numbers as JSON")


def _check(args) -> None:
    if not 20 <= args.iterations <= 100_000:
        raise UserError(f"must be between 20 and 100000, got {args.iterations} (a rate is "
                        f"fitted on the last three quarters of the run)", "--iterations")
    if not 2 <= args.grid <= 1000:
        raise UserError(f"must be between 2 and 1000, got {args.grid}", "--grid")
    if args.grid ** 2 * args.iterations > MAX_RECORDED:
        raise UserError(f"{args.grid}x{args.grid} settings x {args.iterations} iterations "
                        f"keeps more than {MAX_RECORDED:,} losses; lower --grid or "
                        f"--iterations", "--grid")


def _data(args, kappa: float | None, kappa_option: str):
    """The :class:`~workbench.momentum.problem.LeastSquareData`; a bad value is blamed on its
    option (``kappa_option`` for ``kappa``)."""
    from workbench.momentum.problem import LeastSquareData

    try:
        return LeastSquareData.generate(args.n, args.features, args.seed, kappa, args.noise)
    except UserError as exc:
        where = kappa_option if exc.where == "kappa" else f"--{exc.where}"
        raise UserError(exc.message, where) from None


def cmd_momentum(args) -> int:
    """Run the course's least-squares exercise with gradient descent and momentum driven by a
    gradient oracle; derive the Hessian with SymPy, predict every rate, measure it, sweep (lr,
    momentum), and answer 'how can a well-chosen momentum speed up optimisation?' with the
    numbers."""
    from workbench.momentum.analysis import analyse, check_oracles
    from workbench.momentum.figures import CEILING
    from workbench.momentum.problem import make_oracle
    from workbench.momentum.report import (DIVERGES, QUESTION, analysis_summary, speedup,
                                           write_outputs)

    _check(args)
    output = check_output_dir(args.output)
    datasets = [("course" if args.kappa is None else f"kappa{args.kappa:g}",
                 _data(args, args.kappa, "--kappa"))]
    if args.ill_kappa and args.ill_kappa != args.kappa and args.features > 1:
        datasets.append((f"kappa{args.ill_kappa:g}", _data(args, args.ill_kappa, "--ill-kappa")))
    try:
        oracle = make_oracle(args.oracle)
    except UserError as exc:
        raise UserError(exc.message, "--oracle") from None
    check = check_oracles(datasets[0][1])
    progress = False if args.json else None
    analyses = [analyse(data, oracle, label, args.iterations, args.grid, progress)
                for label, data in datasets]
    summary = {"question": QUESTION, "oracle": args.oracle, "oracle_check": check,
               "analyses": [analysis_summary(a) for a in analyses]}
    summary = write_outputs(analyses, summary, output,
                            None if args.no_gallery else Path(GALLERY))
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"oracle {args.oracle}; symbolic vs autograd gradients agree to "
          f"{check['max_rel_difference']:.1e} relative at {check['points']} points")
    for a, s in zip(analyses, summary["analyses"]):
        print(f"\n{a.label}: n={a.data.n} p={a.data.p} seed={a.data.seed}, Hessian "
              f"{a.hessian_expr}, kappa={a.spectrum.kappa:.4g}")
        print(f"  {'setting':<30} {'lr':>8} {'momentum':>8} {'predicted':>10} {'measured':>10}"
              f" {'error':>8}")
        for r in a.runs:
            print(f"  {r.name:<30} {r.lr:>8.4g} {r.momentum:>8.4g} {r.predicted:>10.4f} "
                  f"{r.measured:>10.4f} {100 * r.relative_error:>7.2f}%"
                  f"{DIVERGES if r.diverged else ''}")
        if s["diverged_runs"]:
            print(f"  diverged (the loss grows; plotted until it passes {CEILING:g}x its start): "
                  f"{'; '.join(s['diverged_runs'])}")
        sw = s["sweep"]
        print(f"  sweep {sw['grid'][0]}x{sw['grid'][1]} x {a.iterations} iterations in "
              f"{sw['time_s']:.2f}s; measured vs predicted rate: max error "
              f"{100 * sw['max_relative_error']:.2f}%, median "
              f"{100 * sw['median_relative_error']:.3f}%")
        print(f"  momentum speed-up: {speedup(a.gd_run.measured, a.polyak_run.measured):.3g}x "
              f"measured, {speedup(a.gd.rate, a.polyak.rate):.3g}x predicted")
    print(f"\nwrote {len(summary['files'])} files: {output}"
          + ("" if args.no_gallery else f" (figures also in {GALLERY})"), file=sys.stderr)
    return 0
