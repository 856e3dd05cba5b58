"""Benchmark: cost per verified point, workbench vs torch.autograd.gradcheck; and the time of
`workbench check` on every bundled derivation.

Claim (issue 2): checking is vectorized, so a verified point costs at least 100x less than one
`torch.autograd.gradcheck` call on the same function and point, measured in the same process.
Per point, the workbench compares the symbolic gradient, autograd and central finite differences
(and the hand gradient when there is one); gradcheck compares autograd with finite differences.

Conditions: the machine it runs on (printed), float64, CPU, derandomized Hypothesis, `--runs`
repetitions (mean +- std). Results are written with their configuration to --out.

    python benchmarks/bench_check.py [--runs 3] [--examples 200] [--out benchmarks/results/check.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import sympy
import torch

from workbench.atomic import write_text
from workbench.derivation_file import discover, load
from workbench.verify.crosscheck import CheckSettings, CrossChecker
from workbench.verify.strategies import SamplingPlan, sample_points


def gradcheck_cost(problem, points: dict[str, torch.Tensor], n: int) -> float:
    """Seconds per point of torch.autograd.gradcheck on the compiled function."""
    names = [v.name for v in problem.variables]
    fn = problem.value_function

    def f(*xs):
        return fn(dict(zip(names, xs)), batched=False)

    t0 = time.perf_counter()
    for i in range(n):
        inputs = tuple(points[k][i].detach().clone().requires_grad_(k in problem.wrt)
                       for k in names)
        torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)
    return (time.perf_counter() - t0) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--examples", type=int, default=200)
    ap.add_argument("--gradcheck-points", type=int, default=200)
    ap.add_argument("--derivations", default="derivations")
    ap.add_argument("--out", default="benchmarks/results/check.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    files = discover([args.derivations])
    scalar = []
    for p in files:
        df = load(p)
        if not df.problem.derivation.uses_matrices and df.expect == "match":
            scalar.append(df)
    rows = []
    for df in scalar:
        ours, theirs = [], []
        for _ in range(args.runs):
            checker = CrossChecker(df.problem, df.hand, CheckSettings(max_examples=args.examples))
            t0 = time.perf_counter()
            report = checker.run()
            numeric = report.time_s["numeric"]
            ours.append(numeric / max(report.points, 1))
            pts = sample_points(SamplingPlan(df.problem.variables), {}, args.gradcheck_points, 0)
            theirs.append(gradcheck_cost(df.problem, pts, args.gradcheck_points))
        row = {"derivation": df.name, "points_per_run": report.points,
               "ours_us_per_point": 1e6 * statistics.mean(ours),
               "ours_us_std": 1e6 * (statistics.stdev(ours) if len(ours) > 1 else 0.0),
               "gradcheck_us_per_point": 1e6 * statistics.mean(theirs),
               "gradcheck_us_std": 1e6 * (statistics.stdev(theirs) if len(theirs) > 1 else 0.0)}
        row["ratio"] = row["gradcheck_us_per_point"] / row["ours_us_per_point"]
        rows.append(row)
        print(f"{df.name:<28} ours {row['ours_us_per_point']:8.2f} us/pt  gradcheck "
              f"{row['gradcheck_us_per_point']:9.1f} us/pt  ratio {row['ratio']:7.1f}x")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "workbench", "check", args.derivations,
                           "--json", "--examples", str(args.examples)],
                          capture_output=True, text=True, check=False)
    total = time.perf_counter() - t0
    data = json.loads(proc.stdout)
    reports = [r["report"] for r in data["results"] if r["report"]]
    split = {k: sum(r["time_s"][k] for r in reports) for k in ("sympy", "numeric", "diagnosis")}
    split["in_check_wall"] = data["wall_s"]
    split["startup_and_imports"] = total - data["wall_s"]
    ratios = [r["ratio"] for r in rows]
    summary = {"geometric_mean_ratio": statistics.geometric_mean(ratios), "min_ratio": min(ratios),
               "check_all_seconds": total, "check_all_files": len(files),
               "check_all_ok": data["passed"], "levels": data["levels"],
               "time_split_seconds": split}
    print(f"gradcheck / workbench cost per point: geometric mean {summary['geometric_mean_ratio']:.0f}x, "
          f"min {summary['min_ratio']:.0f}x")
    print(f"verdict levels: {', '.join(f'{n} {k}' for k, n in data['levels'].items())}")
    print(f"`workbench check` on {len(files)} derivations ({args.examples} examples each, "
          f"{os.cpu_count()} CPUs): {total:.1f} s wall; CPU time inside the checks: "
          f"{', '.join(f'{k} {v:.1f}s' for k, v in split.items())}")
    out = {"config": vars(args), "machine": {"platform": platform.platform(),
                                            "processor": platform.processor(),
                                            "cpus": torch.get_num_threads()},
           "versions": {"torch": torch.__version__, "sympy": sympy.__version__},
           "rows": rows, "summary": summary}
    write_text(Path(args.out), json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
