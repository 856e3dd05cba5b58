"""Benchmark: the planted-bug corpus (tests/code_corpus.py) through check_gradient and through
torch.autograd.gradcheck / gradgradcheck with default settings, in the same process.

For every case: ``check_gradient(..., examples=--examples)`` and ``gradcheck`` of the same hand
gradient (a hand gradient, torch or numpy, is wrapped in an autograd.Function whose backward
calls it; a module is checked in its functional form over inputs and parameters), plus
``gradgradcheck`` for autograd.Functions (where second order applies). All default settings,
``raise_exception=False``. A planted bug is *caught* when the tool rejects it; right code is
*decided right* when the tool accepts it. Times are means over ``--runs`` repetitions, per
check (one check_gradient call; one gradcheck call, or gradcheck + gradgradcheck).

Prints the machine and a table per bug class, with totals; writes the rows to --out.

    PYTHONPATH=. python benchmarks/bench_code_corpus.py [--runs 3] [--examples 50]
        [--out benchmarks/results/code_corpus.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from code_corpus import CASES, KNOWN_FALSE_ALARMS, KNOWN_MISSES  # noqa: E402
from workbench.atomic import write_text  # noqa: E402
from workbench.code import check_gradient  # noqa: E402


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_case(case, examples: int):
    m = case.make()
    t = time.perf_counter()
    r = check_gradient(m.fn, m.inputs, m.grad, m.domain, wrt=m.wrt, examples=examples)
    ours = time.perf_counter() - t
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        gc = bool(torch.autograd.gradcheck(m.gc_fn, m.gc_inputs, raise_exception=False))
        gc_s = time.perf_counter() - t
        ggc = None
        if m.gc_second:
            ggc = bool(torch.autograd.gradgradcheck(m.gc_fn, m.gc_inputs,
                                                    raise_exception=False))
        both_s = time.perf_counter() - t
    return r, ours, gc, ggc, gc_s, both_s


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--examples", type=int, default=50)
    p.add_argument("--out", default="benchmarks/results/code_corpus.json")
    args = p.parse_args()
    machine = (f"{_cpu()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
               f"Python {platform.python_version()}, torch {torch.__version__}")
    print(f"{machine}; {args.runs} runs, check_gradient examples={args.examples}, "
          f"gradcheck/gradgradcheck defaults")
    rows = []
    for case in CASES:
        times = {"workbench": [], "gradcheck": [], "gradcheck+gradgradcheck": []}
        for _ in range(args.runs):
            r, ours, gc, ggc, gc_s, both_s = run_case(case, args.examples)
            times["workbench"].append(ours)
            times["gradcheck"].append(gc_s)
            times["gradcheck+gradgradcheck"].append(both_s)
        planted = case.expect == "mismatch"
        gc_reject = not gc
        both_reject = not gc or ggc is False
        row = {"case": case.name, "kind": case.kind, "bug": case.bug, "expect": case.expect,
               "workbench_verdict": r.verdict, "workbench_subject": r.subject,
               "workbench_diagnosis": r.diagnosis,
               "workbench_right": r.verdict == case.expect,
               "gradcheck_passed": gc, "gradgradcheck_passed": ggc,
               "gradcheck_right": gc_reject == planted,
               "gradcheck_gradgradcheck_right": both_reject == planted,
               **{f"{k}_s": statistics.mean(v) for k, v in times.items()}}
        rows.append(row)
        print(f"  {case.name:34s} {case.expect:8s} workbench {r.verdict:9s} "
              f"{row['workbench_s']:6.3f} s | gradcheck {'pass' if gc else 'FAIL'} "
              f"{row['gradcheck_s']:.4f} s" +
              (f", gradgradcheck {'pass' if ggc else 'FAIL'} "
               f"{row['gradcheck+gradgradcheck_s']:.4f} s" if ggc is not None else ""))
    print()
    print(table(rows))
    if KNOWN_MISSES or KNOWN_FALSE_ALARMS:
        print()
        for name, why in {**KNOWN_MISSES, **KNOWN_FALSE_ALARMS}.items():
            print(f"known: {name}: {why}")
    write_text(args.out, json.dumps({"config": vars(args), "machine": machine,
                                     "rows": rows}, indent=2) + "\n")


def table(rows) -> str:
    """Markdown: per bug class, decided right by each tool (n/N) and mean seconds per check."""
    order = list(dict.fromkeys(r["bug"] for r in rows if r["expect"] == "mismatch"))
    lines = ["| bug class | cases | workbench caught | gradcheck caught | "
             "gradcheck + gradgradcheck caught | workbench s/check | gradcheck(+gg) s/check |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]

    def line(label, group, verb=""):
        n = len(group)
        wb = sum(r["workbench_right"] for r in group)
        gc = sum(r["gradcheck_right"] for r in group)
        both = sum(r["gradcheck_gradgradcheck_right"] for r in group)
        t_wb = statistics.mean(r["workbench_s"] for r in group)
        t_gc = statistics.mean(r["gradcheck+gradgradcheck_s"] for r in group)
        return (f"| {label} | {n} | {wb}/{n}{verb} | {gc}/{n}{verb} | {both}/{n}{verb} | "
                f"{t_wb:.3f} | {t_gc:.4f} |")

    for bug in order:
        lines.append(line(bug, [r for r in rows if r["bug"] == bug]))
    planted = [r for r in rows if r["expect"] == "mismatch"]
    right = [r for r in rows if r["expect"] == "match"]
    lines.append(line("**all planted bugs**", planted))
    lines.append(line("right code (accepted)", right, " accepted"))
    lines.append(line("**all cases (decided right)**", rows))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
