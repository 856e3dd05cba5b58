"""Benchmark: how fast the safe parser refuses hostile text, next to parsing ordinary text.

Claim (README, "Derivation files and the expression language"): hostile text (``9**9**9**9``,
``().__class__``, lambdas, deep nesting, text over the length limit) is refused in well under a
second: in milliseconds at most, the cost of parsing one ordinary expression of the course,
because every limit is checked before SymPy builds anything. (This timing used to be a 1-second
assertion in tests/test_parser.py, which a loaded machine could break; the test now only checks
that such text is refused.)

Conditions: the machine it runs on (printed and saved with the Python and SymPy versions),
one process, no other work of ours. The reference, parsing the course's least-squares loss
``(X@beta - y).T@(X@beta - y)/n``, is timed in the same run, as is the course's graph example
(an ordinary scalar expression). Each of ``--runs`` repetitions times every input ``--number``
times in a row (seconds per call = total / number) with the garbage collector off, as
``timeit`` does, the order of the inputs reversed every other repetition, after one untimed
warm-up call each (SymPy caches what it constructs: ordinary inputs measure a warm parse).
Reported: mean +- std over the repetitions per input, and the ratio input / reference (mean +-
std of the per-repetition ratios). Results are written with their configuration to ``--out``.

    python benchmarks/bench_parser.py [--runs 10] [--number 20]
        [--out benchmarks/results/parser.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import time

import sympy

from workbench.atomic import write_text
from workbench.errors import ParseError
from workbench.expr import Variable, parse

VARIABLES = [Variable.scalar("x"), Variable.scalar("a", "positive"),
             Variable.matrix("X", "n", "p"), Variable.matrix("y", "n", 1),
             Variable.matrix("beta", "p", 1)]

REFERENCE = "least squares"
ORDINARY = {"least squares": "(X@beta - y).T@(X@beta - y)/n",
            "course graph": "-log(1/(1 + exp(-a*x)))"}

HOSTILE = {"9**9**9**9": "9**9**9**9",
           "((((9**9)**9)**9)**9)**9": "((((9**9)**9)**9)**9)**9",
           "x**1000000": "x**1000000",
           "().__class__": "().__class__",
           "__import__('os')": "__import__('os').system('echo hacked')",
           "lambda": "lambda: 1",
           "4001 chars of parentheses": "(" * 2000 + "x" + ")" * 2000,
           "900 parentheses": "(" * 900 + "x" + ")" * 900,
           "1990 minus signs": "-" * 1990 + "x",
           "1000-term sum": "x" + "+x" * 999,
           "300 nested exp": "exp(" * 300 + "x" + ")" * 300,
           "2001 digits": "9" * 2001}


def mean_std(xs: list[float]) -> dict:
    return {"mean": statistics.mean(xs), "std": statistics.stdev(xs) if len(xs) > 1 else 0.0,
            "runs": xs}


def seconds_per_call(text: str, number: int, hostile: bool) -> float:
    """Mean seconds of one ``parse(text)``; a hostile text must be refused every time."""
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(number):
            try:
                parse(text, VARIABLES)
            except ParseError:
                if not hostile:
                    raise
            else:
                if hostile:
                    raise SystemExit(f"hostile text was accepted: {text[:60]!r}")
        return (time.perf_counter() - t0) / number
    finally:
        gc.enable()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--number", type=int, default=20, help="calls per input per repetition")
    ap.add_argument("--out", default="benchmarks/results/parser.json")
    args = ap.parse_args()
    inputs = [(name, text, False) for name, text in ORDINARY.items()] + \
             [(name, text, True) for name, text in HOSTILE.items()]
    for name, text, hostile in inputs:
        seconds_per_call(text, 1, hostile)
    times = {name: [] for name, _, _ in inputs}
    for rep in range(args.runs):
        for name, text, hostile in (inputs if rep % 2 == 0 else inputs[::-1]):
            times[name].append(seconds_per_call(text, args.number, hostile))
    rows = {}
    for name, _, hostile in inputs:
        rows[name] = {"hostile": hostile, "seconds": mean_std(times[name])}
        if name != REFERENCE:
            rows[name]["ratio_to_reference"] = mean_std(
                [t / r for t, r in zip(times[name], times[REFERENCE])])
    slowest = max(HOSTILE, key=lambda n: rows[n]["seconds"]["mean"])
    results = {
        "claim": "hostile text refused in well under a second: milliseconds at most, the "
                 "cost of parsing one ordinary course expression",
        "config": {"runs": args.runs, "number": args.number, "gc": "off while timing",
                   "reference": REFERENCE, "ordinary": ORDINARY,
                   "hostile": {n: (t if len(t) <= 60 else f"{t[:30]}... ({len(t)} chars)")
                               for n, t in HOSTILE.items()}},
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpus": os.cpu_count(), "python": platform.python_version(),
                    "sympy": sympy.__version__},
        "inputs": rows,
        "slowest_hostile": {"name": slowest, **rows[slowest]},
    }
    write_text(args.out, json.dumps(results, indent=2))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, SymPy {sympy.__version__}; {args.runs} runs "
          f"x {args.number} calls")
    for name, row in rows.items():
        s = row["seconds"]
        ratio = row.get("ratio_to_reference")
        shown = f"ratio to reference {ratio['mean']:6.3f} +- {ratio['std']:.3f}" if ratio \
            else "(the reference)"
        print(f"{name:<28} {s['mean'] * 1e6:9.1f} +- {s['std'] * 1e6:7.1f} us  {shown}")
    worst = rows[slowest]
    print(f"slowest refusal: {slowest}, {worst['seconds']['mean'] * 1e3:.3f} ms "
          f"({worst['ratio_to_reference']['mean']:.2f}x an ordinary parse); claim "
          f"{'holds' if worst['seconds']['mean'] < 1.0 else 'FAILS'} (< 1 s)")
    print(f"results: {args.out}")


if __name__ == "__main__":
    main()
