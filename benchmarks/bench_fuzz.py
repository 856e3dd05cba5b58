"""Benchmark: time per fuzzed case, by family (expression texts to `derive`, `verify` with a
hand, derivation files to `check`, random command lines), with the contract of
tests/test_fuzz.py checked on each: exit 0, 1, 2 or 4, no traceback, bad input on one line.

The cases are the strategies of tests/fuzz.py, derandomized; each runs in-process through
`workbench.cli.main` (the interpreter and torch are loaded once, as in the test). Printed with
the machine: median, 95th percentile and maximum seconds per case, and contract violations.

    python benchmarks/bench_fuzz.py [--examples 100]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fuzz import command_lines, derivation_files, texts, toml_text  # noqa: E402

from workbench.cli import main  # noqa: E402


def run(argv: list[str]) -> tuple[int, str, float]:
    out, err = io.StringIO(), io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
    return code, err.getvalue(), time.perf_counter() - t0


def violates(code: int, err: str) -> bool:
    lines = [line for line in err.splitlines() if line.strip()]
    return code not in (0, 1, 2, 4) or "Traceback" in err or (code == 2 and len(lines) != 1)


def family(name: str, strategy, to_argv, examples: int) -> dict:
    times, bad = [], []

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def case(value):
        argv = to_argv(value)
        code, err, seconds = run(argv)
        times.append(seconds)
        if violates(code, err):
            bad.append((argv, code, err.strip()[:200]))

    case()
    times.sort()
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    print(f"{name:<14} {len(times):>5} {statistics.median(times):>9.3f} {p95:>9.3f} "
          f"{times[-1]:>9.3f} {len(bad):>6}")
    for argv, code, err in bad[:3]:
        print(f"    exit {code}: {argv!r}: {err}")
    return {"cases": len(times), "median": statistics.median(times), "p95": p95,
            "max": times[-1], "violations": len(bad)}


def main_() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=100)
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"{'family':<14} {'cases':>5} {'median s':>9} {'p95 s':>9} {'max s':>9} {'bad':>6}")
    folder = Path(tempfile.mkdtemp(prefix="bench-fuzz-"))

    def file_argv(data) -> list[str]:
        path = folder / "fuzzed.toml"
        path.write_text(toml_text(data), encoding="utf-8")
        return ["check", str(path), "--examples", "3", "--jobs", "1"]

    family("derive", texts, lambda t: ["derive", t, "--wrt", "x"], args.examples)
    family("verify", st.tuples(texts, st.sampled_from(["0", "x", "exp(x)"])),
           lambda t: ["verify", t[0], "--wrt", "x", "--hand", t[1], "--examples", "3"],
           args.examples)
    family("check file", derivation_files, file_argv, args.examples)
    family("command line", command_lines(), lambda a: a, args.examples)


if __name__ == "__main__":
    main_()
