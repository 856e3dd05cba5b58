"""Benchmark: the cost of verifying a hand Hessian of an n x p least-squares problem, for
p = 5, 20, 50 (n = p + 10: dimensions go up to 64), against ``torch.autograd.functional.hessian`` alone, in one run.

- ``workbench``: ``check_higher("hessian", ...)`` on the mean loss ||X b - y||^2 / n at those
  fixed sizes with the hand Hessian 2 X^T X / n: derivation of the Hessian (guarded), the
  reduction to a gradient check (proof, then corroborating batches against autograd), symmetry,
  definiteness, and the cross-check against torch at a few points.
- ``torch``: what a user does without the workbench: ``torch.autograd.functional.hessian`` of
  the loss at one random point, compared with the hand Hessian evaluated there (one point, no
  proof, no diagnosis).

The ratio workbench / torch is what the verdict costs over a one-point check. Printed with the
machine; written to --out.

    python benchmarks/bench_hessian.py [--sizes 5 20 50] [--runs 3] [--examples 50]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import torch

from workbench.atomic import write_text
from workbench.compile import compile_expr
from workbench.expr.parser import parse
from workbench.expr.spaces import Variable
from workbench.verify.crosscheck import CheckSettings
from workbench.verify.higher import check_higher

LOSS = "(X@b - y).T@(X@b - y)/n"
HAND = "2*X.T@X/n"


def NROWS(p: int) -> int:      # noqa: N802 - reads like the n of the docstring
    return p + 10


def variables(p: int) -> list[Variable]:
    n = NROWS(p)
    return [Variable.matrix("X", n, p), Variable.matrix("y", n, 1), Variable.matrix("b", p, 1)]


def torch_alone(p: int) -> tuple[float, bool]:
    """Seconds for torch.autograd.functional.hessian at one point and the comparison."""
    vs = variables(p)
    t0 = time.perf_counter()
    f = compile_expr(parse(LOSS.replace("/n", f"/{NROWS(p)}"), vs), vs)
    hand = compile_expr(parse(HAND.replace("/n", f"/{NROWS(p)}"), vs), vs)
    g = torch.Generator().manual_seed(0)
    point = {"X": torch.randn(NROWS(p), p, generator=g, dtype=torch.float64),
             "y": torch.randn(NROWS(p), 1, generator=g, dtype=torch.float64),
             "b": torch.randn(p, 1, generator=g, dtype=torch.float64)}
    h = torch.autograd.functional.hessian(lambda b: f({**point, "b": b}), point["b"])
    ok = torch.allclose(h.reshape(p, p), hand(point), rtol=1e-10, atol=1e-12)
    return time.perf_counter() - t0, ok


def workbench(p: int, examples: int) -> tuple[float, str]:
    vs = variables(p)
    t0 = time.perf_counter()
    f = parse(LOSS.replace("/n", f"/{NROWS(p)}"), vs)
    hand = parse(HAND.replace("/n", f"/{NROWS(p)}"), vs)
    r = check_higher("hessian", f, vs, "b", hand, CheckSettings(max_examples=examples))
    return time.perf_counter() - t0, f"{r.verdict} ({r.level})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[5, 20, 50])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--examples", type=int, default=50)
    ap.add_argument("--out", default="benchmarks/results/hessian.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, " \
              f"torch {torch.__version__}"
    print(f"machine: {machine}")
    print(f"{'p':>4} {'n':>4} {'workbench s':>14} {'torch s':>14} {'ratio':>8}  verdict")
    rows = []
    for p in args.sizes:
        wb, th, verdict, ok = [], [], "", True
        for _ in range(args.runs):
            s, verdict = workbench(p, args.examples)
            wb.append(s)
            s, ok = torch_alone(p)
            th.append(s)
        w, t = statistics.mean(wb), statistics.mean(th)
        rows.append({"p": p, "n": NROWS(p), "workbench_s": w, "torch_s": t, "ratio": w / t,
                     "verdict": verdict, "torch_agrees": ok,
                     "workbench_runs": wb, "torch_runs": th})
        print(f"{p:>4} {NROWS(p):>4} {w:>9.3f} ±{statistics.pstdev(wb):.2f} "
              f"{t:>9.4f} ±{statistics.pstdev(th):.3f} {w / t:>8.0f}  {verdict}"
              f"{'' if ok else '  (torch: hand disagrees)'}")
    write_text(Path(args.out), json.dumps({"machine": machine, "examples": args.examples,
                                           "runs": args.runs, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
