"""Benchmark: grading 1,000 answers to the course's least-squares exercise (the mean loss of
``derivations/course_04_least_squares_mean.toml``) with ``workbench grade``.

Claim (README, "Grading a class"): a class of 1,000 is graded on a 2-core machine in the time
and at the answers per second reported here, and ``--jobs 2`` writes byte-identical files to
``--jobs 1``.

Conditions: the class is generated from a fixed seed: right answers in ASCII, ``^`` and LaTeX,
chains of steps, the common mistakes (sign, a missing 1/n, a factor k/n with k drawn, the
transposed layout, a wrong step), malformed and hostile text, each in several spellings (spaces,
``\\cdot`` or side by side), as a class writes them; answers that read to the same expressions are
checked once (the number of distinct ones is reported). Each run grades into a fresh folder
(no journal), in a fresh ``workbench`` process, so the time includes starting Python and
loading SymPy and torch. ``--runs`` repetitions per ``--jobs`` value; reported: wall time mean
+- std, answers per second, and whether every ``--jobs`` gave the same bytes. Results are
written with their configuration to ``--out``. ``--pdf`` grades with ``--pdf`` (a PDF page per
student, pdflatex required): the time then includes TeX, and the PDFs are compared too.

    python benchmarks/bench_grade.py [--students 1000] [--runs 2] [--jobs 1 2] [--pdf]
        [--out benchmarks/results/grade.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workbench.atomic import write_text

ROOT = Path(__file__).resolve().parents[1]
KEY = ROOT / "derivations" / "course_04_least_squares_mean.toml"
RIGHT = ["-2*X.T@(y - X@beta)/n", "2/n*X.T@(X@beta - y)", "2/n*X^T@(X@beta - y)",
         r"\frac{2}{n}X^\top(X\beta - y)", r"-\frac{2}{n}\mathbf{X}^T(\mathbf{y} - "
         r"\mathbf{X}\boldsymbol{\beta})", "2/n X^T(X beta - y)",
         r"\nabla_\beta f = \frac{2}{n}X^\top(X\beta - y) = \frac{2}{n}X^\top X\beta - "
         r"\frac{2}{n}X^\top y", "(2/n)*(X.T@X@beta - X.T@y)"]
WRONG = ["2/n*X.T@(y - X@beta)", r"-2X^\top(y - X\beta)", r"\frac{2}{n}(X\beta - y)^\top X",
         r"\frac{2}{n}X^\top(X\beta - y) = \frac{2}{n}X^\top X\beta - \frac{4}{n}X^\top y",
         "2/n*X.T@X@beta"]
BAD = [r"\frac{2}{n}X^\top(X\beta - y", "__import__('os')", "9**9**9**9", ""]


def make_class(n: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.55:
            text = rng.choice(RIGHT)
        elif roll < 0.65:
            text = f"{rng.randint(1, 9)}/n*X.T@(X@beta - y)"       # a factor k/n
        elif roll < 0.95:
            text = rng.choice(WRONG)
        else:
            text = rng.choice(BAD)
        if "\\" in text and rng.random() < 0.5:
            text = text.replace("X^\\top(", "X^\\top \\cdot (")
        out.append((f"student{i:04d}", " " * rng.randint(0, 2) + text))
    return out


def run(key: Path, answers: Path, out: Path, jobs: int, pdf: bool = False) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "workbench", "grade", str(key), str(answers),
                           "-o", str(out), "--jobs", str(jobs)] + (["--pdf"] if pdf else []),
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 4):
        raise SystemExit(f"workbench grade failed ({proc.returncode}): {proc.stderr.strip()}")
    return elapsed


def files(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".grade-journal")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--pdf", action="store_true", help="grade with --pdf (needs pdflatex)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "grade.json"))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-grade-"))
    try:
        answers = work / "answers.csv"
        rows = make_class(args.students)
        with open(answers, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["student", "answer"])
            w.writerows(rows)
        results, outputs = {}, {}
        for jobs in args.jobs:
            times = []
            for r in range(args.runs):
                out = work / f"out-{jobs}-{r}"
                times.append(run(KEY, answers, out, jobs, args.pdf))
                outputs.setdefault(jobs, files(out))
                print(f"--jobs {jobs} run {r + 1}: {times[-1]:.1f} s", file=sys.stderr)
            mean = statistics.mean(times)
            results[str(jobs)] = {"time_s": times, "mean_s": round(mean, 2),
                                  "std_s": round(statistics.stdev(times), 2) if len(times) > 1
                                  else 0.0, "answers_per_s": round(args.students / mean, 1)}
        first = next(iter(outputs.values()))
        summary = json.loads(first["summary.json"])
        journal = next(work.glob("out-*/.grade-journal.jsonl")).read_text().splitlines()
        report = {
            "claim": "1,000 least-squares answers graded; --jobs N gives the same bytes",
            "students": args.students, "pdf_pages": sum(p.endswith(".pdf") for p in first), "distinct_checked": len(journal),
            "verdicts": summary["verdicts"], "identical_for_every_jobs":
                all(o == first for o in outputs.values()), "runs": results,
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                        "python": platform.python_version()},
            "config": vars(args)}
        write_text(args.out, json.dumps(report, indent=2) + "\n")
        print(json.dumps(report, indent=2))
        return 0 if report["identical_for_every_jobs"] else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
