"""Benchmark: how fast the command line answers.

Claim (issue 16): `workbench --help` and a parse error answer in under 0.5 s, and `workbench
verify` of a scalar formula finishes in under 2 s end to end, on the 2-core VM, for a right hand
(a proof, corroborated) and a wrong one (a mismatch, shrunk and diagnosed) alike. A reference
checkout (``--reference REV``, default the commit before the lazy imports) is timed in the same
run, case by case and interleaved, and the ratio reported, since the machine is noisy.

Conditions: the machine it runs on (printed), the Python of this environment, `--runs`
repetitions of each case (mean +- std), wall time of a fresh interpreter per call
(``python -m workbench ...``). Results are written with their configuration to --out.

    python benchmarks/bench_startup.py [--runs 5] [--reference 22c9c16] [--out benchmarks/results/startup.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "--help": ["--help"],
    "parse error": ["derive", "x +* 2", "--wrt", "x"],
    "bad option": ["verify", "x", "--wrt", "x", "--hand", "1", "--device", "foo"],
    "verify scalar": ["verify", "x*exp(x)", "--wrt", "x", "--hand", "(1 + x)*exp(x)"],
    "verify wrong": ["verify", "x*exp(x)", "--wrt", "x", "--hand", "x*exp(x)"],
}


def timed(tree: Path, argv: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "workbench", *argv], cwd=tree, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--reference", default="22c9c16",
                    help="git revision to compare with (default: before the lazy imports)")
    ap.add_argument("--out", default="benchmarks/results/startup.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ref = Path(tmp) / "reference"
        subprocess.run(["git", "worktree", "add", "--detach", str(ref), args.reference],
                       cwd=ROOT, check=True, capture_output=True)
        try:
            rows = {}
            for name, argv in CASES.items():
                ours, theirs = [], []
                for _ in range(args.runs):                  # interleaved: same conditions
                    ours.append(timed(ROOT, argv))
                    theirs.append(timed(ref, argv))
                rows[name] = {"ours_s": _stats(ours), "reference_s": _stats(theirs),
                              "ratio": statistics.mean(theirs) / statistics.mean(ours)}
                print(f"{name:<14} now {rows[name]['ours_s']['mean']:.2f} +- "
                      f"{rows[name]['ours_s']['std']:.2f} s, {args.reference} "
                      f"{rows[name]['reference_s']['mean']:.2f} +- "
                      f"{rows[name]['reference_s']['std']:.2f} s ({rows[name]['ratio']:.1f}x)")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(ref)], cwd=ROOT,
                           check=False, capture_output=True)
    out = {"config": vars(args), "machine": {"platform": platform.platform(),
                                            "cpus": os.cpu_count(),
                                            "python": platform.python_version()},
           "cases": CASES, "rows": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")


def _stats(xs: list[float]) -> dict[str, float]:
    return {"mean": statistics.mean(xs), "std": statistics.stdev(xs) if len(xs) > 1 else 0.0,
            "min": min(xs)}


if __name__ == "__main__":
    main()
