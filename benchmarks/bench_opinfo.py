"""Benchmark: check_gradient against torch.autograd.gradcheck on PyTorch's own OpInfo samples.

Claim measured: on every op of PyTorch's OpInfo database (``op_db``) that supports autograd
and float64 on CPU, how often ``check_gradient(fn, tensors, examples=--examples)`` agrees with
``torch.autograd.gradcheck(fn, tensors)`` (defaults), what each of its non-matches is (a torch
gradient bug of the curated table ``opinfo_known.py``, a non-differentiable point, a domain
problem, an unsupported input, a limitation of ours, or unexplained), and what it costs in
time next to gradcheck.

Conditions: one process, one thread (``torch.set_num_threads(1)``), CPU, float64; up to
``--samples`` samples per op (the first with a non-empty float tensor requiring grad; sample
generation seeded with 0 per op); both tools get the same fn (the op through its
``gradcheck_wrapper``, as PyTorch's gradient tests call it, every other argument closed over,
``output_process_fn_grad`` applied, float and complex outputs kept, sparse ones made dense)
and fresh clones of the same tensors; ``--timeout`` seconds per call, enforced in-process by
SIGALRM (a call stuck inside one C function stops when that returns). Wall (perf_counter) and
CPU (process_time) seconds per call.

Results: one JSON line per sample appended to ``--out``; a rerun skips the samples already
there (with every tool it asks for), ``--fresh`` starts over. Before each call a 'running'
line is written: a call during which the process died (torch segfaults on some ops at sizes
check_gradient draws) is recorded by the next run as a crash, not retried, so that
``until PYTHONPATH=. python benchmarks/bench_opinfo.py; do :; done`` gets through. At the end
``opinfo.md`` and ``opinfo.json`` next to ``--out`` are regenerated from it (``--report``
alone only does that).

    python -m pip install -e ".[bench]"      # expecttest: op_db's import needs it
    PYTHONPATH=. python benchmarks/bench_opinfo.py --timeout 60     # all ops: ~30-60 min, 2 cores
    PYTHONPATH=. python benchmarks/bench_opinfo.py --ops max,log,nn.functional.hardshrink
    PYTHONPATH=. python benchmarks/bench_opinfo.py --limit 40 --examples 20 --samples 2
    PYTHONPATH=. python benchmarks/bench_opinfo.py --only gradcheck --out /tmp/gc.jsonl  # ~5 min
    PYTHONPATH=. python benchmarks/bench_opinfo.py --dropin     # also time workbench.gradcheck
    PYTHONPATH=. python benchmarks/bench_opinfo.py --report
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import sys
import time
import warnings
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import torch
from torch.autograd.gradcheck import GradcheckError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import workbench  # noqa: E402
from opinfo_known import KNOWN  # noqa: E402
from workbench.atomic import write_text  # noqa: E402
from workbench.errors import UserError  # noqa: E402

TOOLS = ("gradcheck", "workbench", "dropin")
CLAIM = ("check_gradient vs torch.autograd.gradcheck on PyTorch's OpInfo samples (ops with "
         "autograd and float64 on CPU): outcomes, every non-match explained, time per sample")
CRASH = {"outcome": "crash", "line": "the process died during this call in an earlier run "
         "(not retried)", "wall_s": None, "cpu_s": None}


# ------------------------------------------------------------------ time limit
class Timeout(BaseException):
    """Raised by SIGALRM; a BaseException, so that Hypothesis and ``except Exception`` let
    it through."""


def timed(call, seconds: float):
    """``call()`` under a time limit: (value, error, wall_s, cpu_s), error None, a Timeout or
    the Exception raised."""
    armed = [True]

    def on_alarm(signum, frame):
        if armed[0]:
            signal.setitimer(signal.ITIMER_REAL, 1.0)   # again, in case a __del__ swallowed it
            raise Timeout(f"over the {seconds:g} s limit")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    wall, cpu = time.perf_counter(), time.process_time()
    value = error = None
    try:
        try:
            value = call()
        finally:
            armed[0] = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    except (Exception, Timeout) as exc:
        error = exc
    return value, error, time.perf_counter() - wall, time.process_time() - cpu


def first_line(exc: BaseException, limit: int = 300) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:limit]


# ------------------------------------------------------------------ ops, samples, cases
def full_name(op) -> str:
    return op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")


def select_ops(names: list[str] | None, limit: int | None) -> list:
    from torch.testing._internal.common_methods_invocations import op_db
    ops = [op for op in op_db
           if op.supports_autograd and torch.float64 in op.supported_dtypes("cpu")]
    if names:       # a name picks every variant of the op, name.variant one of them
        unknown = set(names) - {op.name for op in ops} - {full_name(op) for op in ops}
        if unknown:
            sys.exit(f"unknown op(s) (or without autograd/float64 on CPU): "
                     f"{', '.join(sorted(unknown))}")
        ops = [op for op in ops if op.name in names or full_name(op) in names]
    return ops[:limit] if limit else ops


class Slot:
    """Where the i-th differentiable tensor goes back into a sample's arguments."""

    def __init__(self, index: int):
        self.index = index


def strip(x, slots: list, seen: dict):
    """``x`` with each float tensor requiring grad replaced by a Slot (one per tensor)."""
    if isinstance(x, torch.Tensor) and x.is_floating_point() and x.requires_grad:
        if id(x) not in seen:
            seen[id(x)] = Slot(len(slots))
            slots.append(x)
        return seen[id(x)]
    if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
        new = [strip(v, slots, seen) for v in x]
        return x if all(a is b for a, b in zip(new, x)) else type(x)(new)
    if isinstance(x, dict):
        return {k: strip(v, slots, seen) for k, v in x.items()}
    return x


def fill(x, tensors):
    if isinstance(x, Slot):
        return tensors[x.index]
    if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
        return type(x)(fill(v, tensors) for v in x)
    if isinstance(x, dict):
        return {k: fill(v, tensors) for k, v in x.items()}
    return x


def float_outputs(out) -> tuple:
    """The float and complex tensors of an op's output, in order; sparse ones made dense."""
    if isinstance(out, torch.Tensor):
        out = out.to_dense() if out.layout != torch.strided else out
        return (out,) if out.is_floating_point() or out.is_complex() else ()
    if isinstance(out, (list, tuple)):
        return tuple(t for o in out for t in float_outputs(o))
    return ()


def make_case(op, sample):
    """(fn, tensors): fn(*tensors) calls the op (through its gradcheck_wrapper) on the sample
    with its differentiable tensors replaced by the arguments; tensors are those tensors,
    detached; None when they are all empty (or there are none)."""
    slots: list = []
    template = strip((sample.input, sample.args, sample.kwargs), slots, {})
    if not any(t.numel() for t in slots):
        return None

    def fn(*tensors):
        inp, args, kwargs = fill(template, tensors)
        out = op.gradcheck_wrapper(op.op, inp, *args, **kwargs)
        return float_outputs(sample.output_process_fn_grad(out))

    return fn, [t.detach().clone() for t in slots]


def cases(op, count: int, seconds: float, dtype=torch.float64):
    """The op's first ``count`` usable samples (of ``dtype``) as [(sample index, fn,
    tensors)], or a string saying why there are none."""
    def collect():
        torch.manual_seed(0)
        out = []
        for index, sample in enumerate(op.sample_inputs("cpu", dtype, requires_grad=True)):
            case = make_case(op, sample)
            if case is not None:
                out.append((index, *case))
            if len(out) == count:
                break
        return out

    found, error, _, _ = timed(collect, seconds)
    if error is not None:
        return f"sample_inputs: {first_line(error)}"
    return found or "no sample with a non-empty float tensor requiring grad"


# ------------------------------------------------------------------ the checks
def fresh(tensors, requires_grad: bool):
    return tuple(t.detach().clone().requires_grad_(requires_grad) for t in tensors)


def run_gradcheck(check, fn, tensors, seconds: float) -> dict:
    """pass / fail (GradcheckError or False) / error / timeout of a gradcheck-like ``check``."""
    torch.manual_seed(0)
    ok, error, wall, cpu = timed(lambda: check(fn, fresh(tensors, True)), seconds)
    if isinstance(error, Timeout):
        outcome = "timeout"
    elif isinstance(error, GradcheckError) or ok is False:
        outcome = "fail"
    else:
        outcome = "error" if error is not None else "pass"
    return {"outcome": outcome, "line": first_line(error) if error else "",
            "wall_s": wall, "cpu_s": cpu}


FIXED_SIZES = {
    "nn.functional.ctc_loss": "its closed-over input_lengths and target_lengths must match the "
                              "data's sizes, and torch reads past smaller data without checking "
                              "(a segfault, or memory corrupted for later ops)",
    **{op: "its closed-over running_mean and running_var have the sample's channel count, "
           "and torch writes past them unchecked (a segfault)"
       for op in ("_batch_norm_with_update", "native_batch_norm", "_native_batch_norm_legit")},
    **{op: "its closed-over size, stride and offset address the sample's storage; smaller "
           "data is read out of bounds (memory corrupted, a later op crashing)"
       for op in ("as_strided", "as_strided.partial_views", "as_strided_copy",
                  "as_strided_scatter")},
}
"""Ops checked at their sample's sizes only (``vary_sizes=False``), and why."""
DOMAINS = {
    "linalg.cholesky": {"x0": "spd"},
    "linalg.cholesky_ex": {"x0": "spd"},
}
"""Ops whose documented domain is declared (``domain=``): cholesky_ex returns garbage, with no
error, for a matrix that is not positive definite."""


def run_workbench(fn, tensors, examples: int, seconds: float, op: str = "") -> dict:
    torch.manual_seed(0)
    vary = op not in FIXED_SIZES
    r, error, wall, cpu = timed(
        lambda: workbench.check_gradient(fn, fresh(tensors, False), domain=DOMAINS.get(op),
                                         examples=examples, vary_sizes=vary), seconds)
    row = {"wall_s": wall, "cpu_s": cpu}
    if error is None:
        return {**row, "outcome": r.verdict, "line": r.verdict_line(), "level": r.level,
                "how": r.how, "reasons": r.reasons, "skipped": r.skipped, "points": r.points,
                "diagnosis": [d[:300] for d in r.diagnosis[:3]], "inner_s": r.time_s}
    outcome = ("timeout" if isinstance(error, Timeout) else
               "unsupported" if isinstance(error, UserError) else "exception")
    return {**row, "outcome": outcome, "line": first_line(error)}


def check(tool: str, fn, tensors, args, op: str = "") -> dict:
    if tool == "workbench":
        return run_workbench(fn, tensors, args.examples, args.timeout, op)
    gradcheck = torch.autograd.gradcheck if tool == "gradcheck" else workbench.gradcheck
    return run_gradcheck(gradcheck, fn, tensors, args.timeout)


def wanted(args) -> list[str]:
    """The tools this run checks each sample with."""
    return ([args.only] if args.only else ["gradcheck", "workbench"]) + ["dropin"] * args.dropin


# ------------------------------------------------------------------ the results file
def load(path: Path):
    """(run headers, sample records, crashed) of a results file: the last record of a sample
    wins; crashed maps (op, sample) to a partial record: the tools done before the process
    died, CRASH for the one it died in (a 'running' line its run never followed with the
    sample's record)."""
    runs, records, crashed, pending = [], {}, {}, {}

    def end_run():
        for key, marker in pending.items():
            done = {t: marker[t] for t in TOOLS if t in marker}
            crashed.setdefault(key, {}).update(done, **{marker["running"]: CRASH})
        pending.clear()

    lines = path.read_text().splitlines() if path.exists() else []
    for line in lines:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:      # blank, or cut short by a killed run
            continue
        if "run" in row:
            end_run()
            runs.append(row)
            continue
        key = (row["op"], row["sample"])
        pending.pop(key, None)
        if row.get("running"):
            pending[key] = row
        elif "running" not in row:
            records[key] = row
    end_run()
    return runs, list(records.values()), crashed


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip()
                   for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "torch": torch.__version__}


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def run(args, out: Path) -> None:
    if args.fresh and out.exists():
        out.unlink()
    _, records, crashed = load(out)
    done = {(r["op"], r["sample"]) for r in records
            if "harness" in r or set(wanted(args)) <= r.keys()}
    ops = select_ops(args.ops.split(",") if args.ops else None, args.limit)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = [{"run": {"command": " ".join(sys.argv), "date": now(), "machine": machine(),
                       "examples": args.examples, "timeout_s": args.timeout,
                       "samples": args.samples, "only": args.only, "dropin": args.dropin}}]
    start, checked = time.perf_counter(), 0
    with out.open("a") as f:
        def write(row: dict) -> None:
            if header:                       # a run that adds nothing leaves no header
                f.write(json.dumps(header.pop()) + "\n")
            f.write(json.dumps(row) + "\n")
            f.flush()

        for i, op in enumerate(ops):
            name = full_name(op)
            found = cases(op, args.samples, args.timeout)
            if isinstance(found, str):
                if (name, None) not in done:
                    write({"op": name, "sample": None, "harness": found})
                continue
            for index, fn, tensors in found:
                if (name, index) not in done:
                    write(record(name, index, fn, tensors, args,
                                 crashed.get((name, index), {}), write))
                    checked += 1
                    if checked % 5 == 0:
                        progress(i + 1, len(ops), checked, time.perf_counter() - start)
    progress(len(ops), len(ops), checked, time.perf_counter() - start)


def record(name: str, index: int, fn, tensors, args, earlier: dict, write) -> dict:
    """A sample's record: each tool's result, taken from ``earlier`` (what a run that died on
    this sample left) where there; a 'running' line written before each call."""
    row = {"op": name, "sample": index, "examples": args.examples,
           "inputs": [f"{tuple(t.shape)} {str(t.layout)[6:]}" for t in tensors]}
    for tool in wanted(args):
        if tool in earlier:
            row[tool] = earlier[tool]
            continue
        write({**row, "running": tool})
        try:
            row[tool] = check(tool, fn, tensors, args, name)
        except KeyboardInterrupt:
            write({"op": name, "sample": index, "running": None})     # not a crash
            raise
    return row


def progress(ops_done: int, ops: int, checked: int, elapsed: float) -> None:
    eta = elapsed / ops_done * (ops - ops_done) if ops_done else 0.0
    print(f"[{ops_done}/{ops} ops] {checked} samples checked, {elapsed:.0f} s, "
          f"{checked / max(elapsed, 1e-9):.2f} samples/s, ETA {eta / 60:.1f} min",
          file=sys.stderr, flush=True)


# ------------------------------------------------------------------ the report
CATEGORIES = ("real torch gradient bug", "unexplained mismatch", "non-differentiable point",
              "outside the domain or degenerate", "too few points", "unsupported input",
              "our limitation")
KINK_WORDS = ("kink", "not differentiable", "one-sided")
DOMAIN_WORDS = ("references disagree", "non-finite", "not finite", "ill-conditioned",
                "failed at these sizes", "raised", "not defined", "domain", "singular")
LEGEND = ("Categories (classify()): a mismatch is 'real torch gradient bug' on an op of the "
          "curated table below, else 'unexplained mismatch' (the workbench's word against "
          "gradcheck's, unexamined); an undecided goes by its most frequent skip reason "
          "(non-finite, failed, raised, references disagree: 'outside the domain or "
          "degenerate'; kink, one-sided differences: 'non-differentiable point'; else 'too "
          "few points'); a CodeError is 'unsupported input'; any other exception, the time "
          "limit or a crash is 'our limitation'.")


def classify(record: dict) -> str:
    """The category of a workbench non-match."""
    wb = record["workbench"]
    outcome = wb["outcome"]
    if outcome == "mismatch":
        return "real torch gradient bug" if record["op"] in KNOWN else "unexplained mismatch"
    if outcome == "unsupported":
        return "unsupported input"
    if outcome != "undecided":
        return "our limitation"
    skipped = wb.get("skipped") or {}
    text = (max(skipped, key=skipped.get) if skipped else
            " ".join([wb.get("how", "")] + wb.get("reasons", []))).lower()
    for words, category in ((DOMAIN_WORDS, "outside the domain or degenerate"),
                            (KINK_WORDS, "non-differentiable point")):
        if any(w in text for w in words):
            return category
    return "too few points"


def timings(samples: list[dict], *tools: str) -> list[dict]:
    """The samples that every one of ``tools`` checked and timed (crashes have no time)."""
    return [r for r in samples if all(r.get(t, {}).get("wall_s") is not None for t in tools)]


def time_stats(rows: list[dict], tool: str) -> dict:
    wall = sorted(r[tool]["wall_s"] for r in rows)
    return {"n": len(wall), "median": statistics.median(wall),
            "p90": wall[min(len(wall) - 1, int(0.9 * len(wall)))], "max": wall[-1],
            "total": sum(wall), "total_cpu": sum(r[tool]["cpu_s"] for r in rows)}


def ratio(rows: list[dict], tool: str) -> dict:
    """``tool``'s time over gradcheck's, on samples both timed."""
    a, b = time_stats(rows, tool), time_stats(rows, "gradcheck")
    return {"n": len(rows), "median_per_sample": statistics.median(
                r[tool]["wall_s"] / max(r["gradcheck"]["wall_s"], 1e-9) for r in rows),
            "median": a["median"] / b["median"], "total_wall": a["total"] / b["total"],
            "total_cpu": a["total_cpu"] / b["total_cpu"]}


def crossed(samples: list[dict], a: str, b: str) -> list[list]:
    pairs = Counter((r[a]["outcome"], r[b]["outcome"]) for r in samples if a in r and b in r)
    return [[x, y, n] for (x, y), n in sorted(pairs.items())]


def summarize(runs: list[dict], records: list[dict]) -> dict:
    samples = [r for r in records if "harness" not in r]
    tools = [t for t in TOOLS if any(t in r for r in samples)]
    nonmatches = [{"op": r["op"], "sample": r["sample"],
                   "gradcheck": r.get("gradcheck", {}).get("outcome", "-"),
                   "workbench": r["workbench"]["outcome"], "category": classify(r),
                   "line": r["workbench"]["line"]}
                  for r in samples if "workbench" in r and r["workbench"]["outcome"] != "match"]
    nonmatches.sort(key=lambda n: (CATEGORIES.index(n["category"]), n["op"], n["sample"]))
    return {"claim": CLAIM, "runs": [r["run"] for r in runs], "generated": now(),
            "ops": len({r["op"] for r in records}), "samples": len(samples),
            "harness": [{"op": r["op"], "why": r["harness"]} for r in records if "harness" in r],
            "counts": {t: dict(Counter(r[t]["outcome"] for r in samples if t in r))
                       for t in tools},
            "cross": crossed(samples, "gradcheck", "workbench"),
            "gradcheck_vs_dropin": crossed(samples, "gradcheck", "dropin"),
            "times_s": {t: time_stats(timings(samples, t), t) for t in tools
                        if timings(samples, t)},
            "ratios": {t: ratio(timings(samples, t, "gradcheck"), t) for t in tools
                       if t != "gradcheck" and timings(samples, t, "gradcheck")},
            "categories": dict(Counter(n["category"] for n in nonmatches)),
            "nonmatches": nonmatches,
            "known": known_evidence({n["op"] for n in nonmatches if n["workbench"] == "mismatch"})}


def known_evidence(mismatched: set[str]) -> list[dict]:
    """Each curated entry, with whether its evidence() confirms it (run now)."""
    out = []
    for op, entry in sorted(KNOWN.items()):
        confirmed = "no evidence()"
        if entry.evidence is not None:
            _, error, _, _ = timed(entry.evidence, 30)
            confirmed = "confirmed" if error is None else f"NOT confirmed ({first_line(error)})"
        out.append({"op": op, "evidence": entry.text, "evidence()": confirmed,
                    "mismatch_here": op in mismatched})
    return out


def cut(text: str, limit: int = 200) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[:limit] + " ..."


def table(head: list[str], rows: list[list], numeric_from: int = 1) -> list[str]:
    align = ["---" if i < numeric_from else "---:" for i in range(len(head))]
    return ["", "| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |",
            *("| " + " | ".join(str(c) for c in row) + " |" for row in rows)]


def markdown(s: dict) -> str:
    m = s["runs"][-1]["machine"] if s["runs"] else machine()
    out = [f"# {s['claim']}", "",
           f"- machine: {m['cpu']}, {m['cores']} cores, {m['os']}, Python {m['python']}, "
           f"torch {m['torch']}; one thread", f"- report generated {s['generated']}"]
    out += [f"- run {r['date']}: `{r['command']}` (examples={r['examples']}, "
            f"timeout {r['timeout_s']:g} s, samples/op {r['samples']})" for r in s["runs"]]
    out.append(f"- ops: {s['ops']}; samples checked: {s['samples']}; ops without a usable "
               f"sample: {len(s['harness'])}")
    out += [f"- {tool}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items()))
            for tool, c in s["counts"].items()]
    if s["cross"]:
        wbs = sorted({w for _, w, _ in s["cross"]})
        cell = {(g, w): n for g, w, n in s["cross"]}
        out += table(["gradcheck \\ workbench", *wbs],
                     [[g, *(cell.get((g, w), 0) for w in wbs)]
                      for g in sorted({g for g, _, _ in s["cross"]})])
    out += table(["per sample", "n", "median s", "p90 s", "max s", "total wall s",
                  "total CPU s"],
                 [[tool, t["n"], f"{t['median']:.4f}", f"{t['p90']:.4f}", f"{t['max']:.2f}",
                   f"{t['total']:.1f}", f"{t['total_cpu']:.1f}"]
                  for tool, t in s["times_s"].items()])
    out.append("")
    out += [f"- {tool} / gradcheck ({r['n']} samples): median of per-sample wall ratios "
            f"{r['median_per_sample']:.3g}x, ratio of medians {r['median']:.3g}x, "
            f"total wall {r['total_wall']:.3g}x, total CPU {r['total_cpu']:.3g}x"
            for tool, r in s["ratios"].items()]
    if s["gradcheck_vs_dropin"]:
        out.append("- gradcheck -> dropin outcomes: " + ", ".join(
            f"{g} -> {d}: {n}" for g, d, n in s["gradcheck_vs_dropin"]))
    out.append("- a call stopped at the time limit counts with the time it ran; crashes with none")
    out += [f"- `{op}` checked at its sample's sizes only (`vary_sizes=False`): {why}"
            for op, why in FIXED_SIZES.items()]
    out += [f"- `{op}` checked with `domain={d}` (its documented domain)"
            for op, d in DOMAINS.items()]
    if "workbench" in s["counts"]:
        out += ["", f"## workbench non-matches: {len(s['nonmatches'])}"]
        out += table(["category", "count"], [[c, s["categories"][c]] for c in CATEGORIES
                                             if c in s["categories"]])
        out += ["", LEGEND]
        out += table(["op", "sample", "gradcheck", "workbench", "category", "workbench's line"],
                     [[f"`{n['op']}`", n["sample"], n["gradcheck"], n["workbench"],
                       n["category"], cut(n["line"])] for n in s["nonmatches"]], 6)
    out += ["", "## curated torch gradient bugs (benchmarks/opinfo_known.py)"]
    out += table(["op", "workbench mismatch here", "evidence()", "evidence"],
                 [[f"`{k['op']}`", "yes" if k["mismatch_here"] else "no",
                   cut(k["evidence()"]), k["evidence"]] for k in s["known"]], 4)
    if s["harness"]:
        out += ["", "## ops without a usable sample", ""]
        out += [f"- `{h['op']}`: {h['why']}" for h in s["harness"]]
    return "\n".join(out) + "\n"


def report(out: Path) -> None:
    runs, records, _ = load(out)
    if not records:
        sys.exit(f"no results in {out}")
    s = summarize(runs, records)
    write_text(out.with_suffix(".json"), json.dumps(s, indent=1) + "\n")
    write_text(out.with_suffix(".md"), markdown(s))
    print(f"wrote {out.with_suffix('.md')} and {out.with_suffix('.json')}", file=sys.stderr)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="benchmarks/results/opinfo.jsonl")
    p.add_argument("--ops", help="comma-separated OpInfo names: name (all its variants) or "
                                 "name.variant")
    p.add_argument("--limit", type=int, help="only the first K selected ops")
    p.add_argument("--samples", type=int, default=2, help="samples per op")
    p.add_argument("--examples", type=int, default=20, help="check_gradient examples")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per call")
    p.add_argument("--only", choices=("gradcheck", "workbench"), help="run one tool only")
    p.add_argument("--dropin", action="store_true", help="also time workbench.gradcheck")
    p.add_argument("--fresh", action="store_true", help="discard earlier results in --out")
    p.add_argument("--report", action="store_true", help="only regenerate the report")
    args = p.parse_args()
    out = Path(args.out)
    warnings.simplefilter("ignore")
    if not args.report:
        if args.dropin and not hasattr(workbench, "gradcheck"):
            sys.exit("--dropin: this workbench has no module-level workbench.gradcheck")
        torch.set_num_threads(1)
        try:
            run(args, out)
        except KeyboardInterrupt:
            print("interrupted: the same command resumes", file=sys.stderr)
    report(out)


if __name__ == "__main__":
    main()
