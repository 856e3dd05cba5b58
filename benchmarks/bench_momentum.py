"""Benchmark: the (lr, momentum) sweep as one batched computation vs a plain loop creating
torch.optim.SGD per setting.

Claim (issue 3): the 60 x 60 sweep of 200 iterations of heavy ball on the course's least squares
(n = 10, p = 2, seed 0), run as one batched computation through a gradient oracle (one oracle
call per iteration for all 3600 settings), is at least 200x faster than the plain loop: for each
setting a new ``torch.optim.SGD(lr, momentum)`` on beta, autograd through the course's loss,
``loss.item()`` per step, as in the course's notebook. Both run in the same process on the same
data from beta = 0, and produce the same losses (the largest relative difference is reported).

Conditions: the machine it runs on (printed and saved), CPU, float64, ``--threads`` torch
threads for both sides (default 1), ``--runs`` repetitions of each side (mean +- std). The
batched time includes fitting the rates of all runs. Results are written with their
configuration to ``--out``.

    python benchmarks/bench_momentum.py [--runs 3] [--grid 60] [--iterations 200]
        [--out benchmarks/results/momentum.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy
import sympy
import torch

from workbench.atomic import write_text
from workbench.momentum.analysis import derive_spectrum, sweep_grid
from workbench.momentum.descent import sweep
from workbench.momentum.problem import LeastSquareData, make_oracle, torch_sgd_run


def sgd_loop(data: LeastSquareData, lrs: torch.Tensor, momenta: torch.Tensor,
             iterations: int) -> torch.Tensor:
    """The plain way: the course's loop with a new torch.optim.SGD per setting. Returns losses
    ``(M, L, T)``."""
    return torch.stack([torch.stack([torch_sgd_run(data, lr, rho, iterations).losses
                                     for lr in lrs.tolist()]) for rho in momenta.tolist()])


def max_relative_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    """Over the entries both sides computed as finite numbers below 1e30 (diverging runs
    amplify rounding differences along with everything else)."""
    both = torch.isfinite(a) & torch.isfinite(b) & (b.abs() < 1e30)
    return float(((a - b).abs() / b.abs().clamp_min(1e-300))[both].max())


def mean_std(xs: list[float]) -> dict:
    return {"mean": statistics.mean(xs), "std": statistics.stdev(xs) if len(xs) > 1 else 0.0,
            "runs": xs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--grid", type=int, default=60)
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default="benchmarks/results/momentum.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data = LeastSquareData.generate(n=10, features=2, seed=0)
    _, _, spectrum = derive_spectrum(data)
    lrs, momenta = sweep_grid(spectrum, args.grid)
    start = data.point(torch.zeros(data.p, 1, dtype=torch.float64))
    oracles = {kind: make_oracle(kind) for kind in ("symbolic", "autograd")}
    for oracle in oracles.values():        # warm-up: compile, allocate
        sweep(oracle, start, lrs[:2], momenta[:2], 3, progress=False)
    batched = {kind: [] for kind in oracles}
    last = {}
    loop = []
    for run in range(args.runs):
        for kind, oracle in oracles.items():
            result = sweep(oracle, start, lrs, momenta, args.iterations, progress=False)
            batched[kind].append(result.seconds)
            last[kind] = result.losses
        t0 = time.perf_counter()
        reference = sgd_loop(data, lrs, momenta, args.iterations)
        loop.append(time.perf_counter() - t0)
        print(f"run {run + 1}/{args.runs}: loop {loop[-1]:.2f}s, batched "
              + ", ".join(f"{k} {v[-1] * 1e3:.1f}ms" for k, v in batched.items()),
              file=sys.stderr)
    difference = {kind: max_relative_difference(losses, reference)
                  for kind, losses in last.items()}
    speedups = {kind: mean_std([lo / b for lo, b in zip(loop, times)])
                for kind, times in batched.items()}
    results = {
        "claim": "60x60 sweep x 200 iterations: batched heavy ball on an oracle >= 200x faster "
                 "than a loop creating torch.optim.SGD per setting",
        "config": {"grid": [args.grid, args.grid], "iterations": args.iterations,
                   "runs": args.runs, "threads": args.threads, "n": data.n, "p": data.p,
                   "seed": data.seed, "dtype": "float64",
                   "lr_range": [float(lrs[0]), float(lrs[-1])],
                   "momentum_range": [float(momenta[0]), float(momenta[-1])]},
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpus": os.cpu_count(), "python": platform.python_version(),
                    "torch": torch.__version__, "numpy": numpy.__version__,
                    "sympy": sympy.__version__},
        "loop_seconds": mean_std(loop),
        "batched_seconds": {kind: mean_std(times) for kind, times in batched.items()},
        "speedup": speedups,
        "max_relative_loss_difference_vs_loop": difference,
    }
    write_text(args.out, json.dumps(results, indent=2))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"torch {torch.__version__}, {args.threads} thread(s), {args.runs} runs")
    print(f"loop (torch.optim.SGD per setting): {statistics.mean(loop):.2f} "
          f"+- {results['loop_seconds']['std']:.2f} s")
    for kind, times in batched.items():
        s = results["batched_seconds"][kind]
        print(f"batched, {kind} oracle: {s['mean'] * 1e3:.1f} +- {s['std'] * 1e3:.1f} ms -> "
              f"{speedups[kind]['mean']:.0f}x +- {speedups[kind]['std']:.0f}x")
    print("same losses as the loop: max relative difference "
          + ", ".join(f"{k} {v:.1e}" for k, v in difference.items()) + f"; saved {args.out}")


if __name__ == "__main__":
    main()
