"""Benchmark: the time of a whole gallery build, PDFs included, from nothing.

Claim (issue 4): `workbench gallery` builds every bundled derivation's page (checks, steps,
figure, LaTeX, PDF with latexmk, PNG preview) in under 2 minutes on the project's 2-core
machine, pages compiled in parallel; and a rebuild with nothing changed rewrites no file.

Conditions: the machine it runs on (printed: CPUs, Python, torch, SymPy, TeX), `--jobs`
processes (default: all CPUs), `--examples` Hypothesis examples per derivation (default 100,
as `workbench gallery`), a fresh temporary output folder for each of `--runs` runs (mean +-
std), then one rebuild of the last. Results are written with their configuration to --out.

    python benchmarks/bench_gallery.py [--runs 2] [--jobs 2] [--out benchmarks/results/gallery.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import sympy
import torch

from workbench.atomic import write_text
from workbench.explain.gallery import Options, build_gallery
from workbench.explain.pdf import have_tex

ROOT = Path(__file__).resolve().parents[1]


def _tex_version() -> str:
    if not have_tex():
        return "none"
    done = subprocess.run(["pdflatex", "--version"], capture_output=True, text=True)
    return done.stdout.splitlines()[0]


def _snapshot(folder: Path) -> dict:
    return {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "gallery.json"))
    args = parser.parse_args()
    config = {"machine": platform.platform(), "cpus": os.cpu_count(), "jobs": args.jobs,
              "python": platform.python_version(), "torch": torch.__version__,
              "sympy": sympy.__version__, "tex": _tex_version(), "examples": args.examples,
              "runs": args.runs}
    print(json.dumps(config, indent=1))
    options = Options(examples=args.examples)
    times = []
    with tempfile.TemporaryDirectory(prefix="bench-gallery-") as tmp:
        for run in range(args.runs):
            out = Path(tmp) / f"run{run}"
            t0 = time.perf_counter()
            entries = build_gallery(ROOT / "derivations", out, args.jobs, options)
            times.append(time.perf_counter() - t0)
            print(f"run {run}: {len(entries)} pages, {sum(e.pdf for e in entries)} PDFs in "
                  f"{times[-1]:.1f} s")
        before = _snapshot(out)
        t0 = time.perf_counter()
        build_gallery(ROOT / "derivations", out, args.jobs, options)
        rebuild = time.perf_counter() - t0
        rewritten = sum(1 for p, m in _snapshot(out).items() if before.get(p) != m)
    mean = statistics.mean(times)
    std = statistics.stdev(times) if len(times) > 1 else 0.0
    print(f"gallery build: {mean:.1f} +- {std:.1f} s over {len(times)} runs "
          f"(target < 120 s); rebuild {rebuild:.1f} s, {rewritten} files rewritten")
    result = {"config": config, "seconds": times, "mean": mean, "std": std,
              "pages": len(entries), "rebuild_seconds": rebuild, "rebuild_rewritten": rewritten}
    write_text(args.out, json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
