"""Benchmark: check_gradient (gradients written as code) against torch.autograd.gradcheck, in the
same process, on the same code.

Claim (issue 13): a check_gradient call compares at ``--examples`` Hypothesis points plus the
example (with up to three references, and a shrink on failure) where gradcheck compares at one,
so a call costs about 100-200x one gradcheck call, but per compared point it costs the same
order (1-2x); and it finds a mistake gradcheck's default tolerances pass (1e-7 relative).

Cases: a custom autograd.Function (first order, second order and jvp, vs gradcheck +
gradgradcheck), a Linear-like module with a custom Function (inputs and parameters, vs
gradcheck of the functional form), and the same Function with a backward off by 1e-7.
Conditions: the machine it runs on (printed), CPU, float64, derandomized Hypothesis, ``--runs``
repetitions (mean +- std). Results are written with their configuration to --out.

    python benchmarks/bench_code.py [--runs 3] [--examples 50] [--out benchmarks/results/code.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from workbench.atomic import write_text  # noqa: E402  (after the path above)
from workbench.code import check_gradient  # noqa: E402
from code_corpus import Cube, CubeOff, LinearFn  # noqa: E402  (x**3 right, off by 1e-7; a Linear)


class MyLinear(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(2, 3, dtype=torch.float64))
        self.bias = torch.nn.Parameter(torch.randn(2, dtype=torch.float64))

    def forward(self, x):
        return LinearFn.apply(x, self.weight, self.bias)


def _leaf(t):
    return t.detach().clone().requires_grad_(True)


def cases():
    x = torch.linspace(0.5, 2.0, 4, dtype=torch.float64)
    lin = MyLinear()
    xin = torch.randn(4, 3, dtype=torch.float64)

    def cube_gradcheck(fn):
        return lambda: (torch.autograd.gradcheck(fn, (_leaf(x),), raise_exception=False)
                        and torch.autograd.gradgradcheck(fn, (_leaf(x),),
                                                         raise_exception=False))

    def linear_gradcheck():
        return torch.autograd.gradcheck(LinearFn.apply, (_leaf(xin), _leaf(lin.weight),
                                                         _leaf(lin.bias)),
                                        raise_exception=False)

    return [
        ("Function (1st, 2nd order, jvp)", lambda n: check_gradient(Cube.apply, (x,),
                                                                    examples=n),
         cube_gradcheck(Cube.apply)),
        ("Linear module, custom Function", lambda n: check_gradient(lin, (xin,), examples=n),
         linear_gradcheck),
        ("Function, backward off by 1e-7", lambda n: check_gradient(CubeOff.apply, (x,),
                                                                    examples=n),
         cube_gradcheck(CubeOff.apply)),
    ]


def _points(r) -> int:
    return r.points + sum(p.points for p in r.parts) + (1 if not r else 0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--examples", type=int, default=50)
    p.add_argument("--out", default="benchmarks/results/code.json")
    args = p.parse_args()
    rows = []
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"torch {torch.__version__}, {args.runs} runs, {args.examples} examples")
    for name, ours, theirs in cases():
        ours_s, theirs_s = [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            r = ours(args.examples)
            ours_s.append(time.perf_counter() - t)
            t = time.perf_counter()
            passed = theirs()
            theirs_s.append(time.perf_counter() - t)
        per_point = [o / max(1, _points(r)) / g for o, g in zip(ours_s, theirs_s)]
        row = {"case": name, "workbench_s": statistics.mean(ours_s),
               "workbench_std": statistics.pstdev(ours_s), "gradcheck_s": statistics.mean(theirs_s),
               "gradcheck_std": statistics.pstdev(theirs_s),
               "ratio": statistics.mean(ours_s) / statistics.mean(theirs_s),
               "ratio_per_point": statistics.mean(per_point), "points": _points(r),
               "workbench_verdict": r.verdict, "gradcheck_passed": bool(passed)}
        rows.append(row)
        print(f"{name}: workbench {row['workbench_s']:.3f} +- {row['workbench_std']:.3f} s "
              f"({row['points']} points, {r.verdict}), gradcheck {row['gradcheck_s']:.4f} +- "
              f"{row['gradcheck_std']:.4f} s (passed={row['gradcheck_passed']}); ratio "
              f"{row['ratio']:.1f}x, per compared point {row['ratio_per_point']:.2f}x")
    write_text(args.out, json.dumps({"config": vars(args), "machine": platform.platform(),
                                     "cpus": os.cpu_count(), "torch": torch.__version__,
                                     "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
