"""Benchmark: low-precision backwards (issue 25). Two parts, run by hand:

``--part layers``: the real-layer corpus (tests/layer_corpus.py: LayerNorm, softmax
cross-entropy, attention, GELU, an LSTM cell, ...) with right backward passes, and the planted
accuracy bugs of tests/precision_corpus.py (an unstable softmax, an E[x^2] - E[x]^2 variance,
1 - q for q near 1), each through ``torch.autograd.gradcheck`` on float32 inputs (its
defaults: most false alarms), ``check_gradient`` on float32 inputs (the math, promoted to
float64), and ``check_precision`` in float32, float16 and bfloat16 (default settings).

``--part opdb``: PyTorch's op_db, the ops that support autograd and float32 on CPU, up to
``--samples`` samples each generated in float32 (op loading and sample code of
bench_opinfo.py): ``gradcheck`` (defaults), ``check_gradient`` (``--examples``) and
``check_precision`` (float32, ``--examples``) on the same fn and tensors, and
``check_precision(judge_autograd=True)`` (the "judged" column: autograd's own float32 backward
judged with the allowance of code without a reference, instead of measured as its own
reference; the strict test of the error model on torch's kernels); every non-match listed
with its reason.

Conditions: one process, one torch thread, CPU; ``--timeout`` seconds per call (SIGALRM);
results written atomically to benchmarks/results/precision_{layers,opdb}.json with the machine
and the command; the op_db part shows a progress line with its rate.

    PYTHONPATH=. python benchmarks/bench_precision.py --part layers
    PYTHONPATH=. python benchmarks/bench_precision.py --part layers --device cuda \
        --out benchmarks/results/precision_layers_cuda.json          # benchmarks/gpu_check.sh
    PYTHONPATH=. python benchmarks/bench_precision.py --part opdb --timeout 60   # ~10 min
"""

from __future__ import annotations

import argparse
import warnings
import json
import sys
import time
from collections import Counter
from pathlib import Path

import torch
from torch.autograd.gradcheck import GradcheckError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

import bench_opinfo as bo  # noqa: E402
from workbench.atomic import write_text  # noqa: E402
from workbench.code import check_gradient, check_precision  # noqa: E402
from workbench.errors import UserError  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
LOW = ("float32", "float16", "bfloat16")


def _gradcheck(fn, tensors, seconds):
    def call():
        return torch.autograd.gradcheck(fn, tuple(tensors))
    ok, error, wall, _ = bo.timed(call, seconds)
    if isinstance(error, bo.Timeout):
        return "timeout", wall
    if isinstance(error, GradcheckError) or ok is False:
        return "fail", wall
    return ("error" if error is not None else "pass"), wall


def _workbench(call, seconds):
    r, error, wall, _ = bo.timed(call, seconds)
    if error is None:
        return {"outcome": r.verdict, "how": r.how[:300], "diagnosis": r.diagnosis[:1],
                "skipped": r.skipped, "wall_s": round(wall, 3)}
    outcome = ("timeout" if isinstance(error, bo.Timeout) else
               "unsupported" if isinstance(error, UserError) else "exception")
    return {"outcome": outcome, "how": bo.first_line(error), "wall_s": round(wall, 3)}


# ------------------------------------------------------------------ layers
def layers(args) -> dict:
    import layer_corpus as L
    import precision_corpus as P
    rows = []
    subjects = [(c.name, "right", c.make) for c in L.CASES if c.expect == "match"]
    for name, (cls, source, _) in P.PLANTED.items():
        def make(cls=cls, source=source):
            if source == "softplus":
                return None, cls.apply, P.softplus_inputs()
            return L.BY_NAME[source].make(), cls.apply, None
        subjects.append((name, "planted", make))
    for name, kind, make in subjects:
        made = make()
        if kind == "right":
            fn, inputs, domain = made.fn, made.inputs, made.domain
        else:
            base, fn, inputs = made
            domain = base.domain if base is not None else None
            inputs = inputs if inputs is not None else base.inputs
        low = tuple(x.float() if x.is_floating_point() else x for x in inputs)
        gc_in = tuple(x.detach().clone().requires_grad_(x.is_floating_point()) for x in low)
        row = {"name": name, "kind": kind}
        row["gradcheck_float32"], _ = _gradcheck(fn, gc_in, args.timeout)
        row["check_gradient_float32"] = _workbench(
            lambda: check_gradient(fn, low, domain=domain, examples=20), args.timeout)
        for dt in LOW:
            row[f"precision_{dt}"] = _workbench(
                lambda dt=dt: check_precision(fn, inputs, domain=domain, dtype=dt,
                                              device=args.device), args.timeout)
        rows.append(row)
        print(f"{name:40s} {kind:8s} gradcheck32 {row['gradcheck_float32']:5s} math32 "
              f"{row['check_gradient_float32']['outcome']:9s} " +
              " ".join(f"{dt} {row[f'precision_{dt}']['outcome']:9s}" for dt in LOW),
              file=sys.stderr, flush=True)
    return {"rows": rows, "summary": _layer_summary(rows)}


def _layer_summary(rows) -> dict:
    out = {}
    for kind, want in (("right", "match"), ("planted", "mismatch")):
        sel = [r for r in rows if r["kind"] == kind]
        out[kind] = {"cases": len(sel),
                     "gradcheck_float32_pass": sum(r["gradcheck_float32"] == "pass" for r in sel),
                     "check_gradient_float32_match": sum(
                         r["check_gradient_float32"]["outcome"] == "match" for r in sel),
                     **{f"precision_{dt}_{want}": sum(r[f"precision_{dt}"]["outcome"] == want
                                                      for r in sel) for dt in LOW}}
    return out


# ------------------------------------------------------------------ op_db
def opdb(args) -> dict:
    torch.set_num_threads(1)
    ops = [op for op in bo.select_ops(args.ops.split(",") if args.ops else None, args.limit)
           if torch.float32 in op.supported_dtypes("cpu")]
    rows, started, checked = [], time.perf_counter(), 0
    for i, op in enumerate(ops):
        found = bo.cases(op, args.samples, args.timeout, dtype=torch.float32)
        if isinstance(found, str):
            rows.append({"op": bo.full_name(op), "sample": None, "none": found})
            continue
        for index, fn, tensors in found:
            row = {"op": bo.full_name(op), "sample": index}
            torch.manual_seed(0)
            row["gradcheck"], row["gradcheck_s"] = _gradcheck(
                fn, bo.fresh(tensors, True), args.timeout)
            vary = bo.full_name(op) not in bo.FIXED_SIZES
            dom = bo.DOMAINS.get(bo.full_name(op))
            row["check_gradient"] = _workbench(lambda: check_gradient(
                fn, bo.fresh(tensors, False), domain=dom, examples=args.examples,
                vary_sizes=vary), args.timeout)
            row["precision"] = _workbench(lambda: check_precision(
                fn, bo.fresh(tensors, False), domain=dom, dtype="float32",
                examples=args.examples), args.timeout)
            row["judged"] = _workbench(lambda: check_precision(
                fn, bo.fresh(tensors, False), domain=dom, dtype="float32",
                examples=args.examples, judge_autograd=True), args.timeout)
            rows.append(row)
            checked += 1
        bo.progress(i + 1, len(ops), checked, time.perf_counter() - started)
        if args.partial:    # after every op: a process torch kills leaves what it had done
            write_text(Path(args.partial), json.dumps(
                {"rows": rows, "summary": _opdb_summary(rows), "ops_done": i + 1},
                indent=1, default=str) + "\n")
    return {"rows": rows, "summary": _opdb_summary(rows)}


def _reason(r: dict) -> str:
    if r["outcome"] == "undecided":
        top = max(r.get("skipped", {"?": 1}).items(), key=lambda kv: kv[1])[0]
        return f"undecided: {top}"
    if r["outcome"] == "mismatch":
        return f"mismatch: {(r.get('diagnosis') or [r['how']])[0][:160]}"
    return f"{r['outcome']}: {r['how'][:160]}"


def _opdb_summary(rows) -> dict:
    samples = [r for r in rows if r.get("sample") is not None]
    out = {"samples": len(samples), "ops": len({r["op"] for r in samples}),
           "gradcheck": dict(Counter(r["gradcheck"] for r in samples))}
    for tool in ("check_gradient", "precision", "judged"):
        out[tool] = dict(Counter(r[tool]["outcome"] for r in samples))
        out[f"{tool}_accepted_share"] = round(
            sum(r[tool]["outcome"] == "match" for r in samples) / max(len(samples), 1), 4)
        out[f"{tool}_not_matched"] = [f"{r['op']}[{r['sample']}] {_reason(r[tool])}"
                                      for r in samples if r[tool]["outcome"] != "match"]
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--part", choices=("layers", "opdb"), required=True)
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per call")
    p.add_argument("--samples", type=int, default=2, help="op_db samples per op")
    p.add_argument("--examples", type=int, default=20, help="op_db: points per check")
    p.add_argument("--ops", default=None, help="op_db: comma-separated op names")
    p.add_argument("--limit", type=int, default=None, help="op_db: first N ops")
    p.add_argument("--device", default="cpu", help="layers: where check_precision runs the "
                                                   "subject (cpu, cuda)")
    p.add_argument("--partial", default=None, help="op_db: also rewrite this JSON after "
                                                    "every op")
    p.add_argument("--out", default=None, help="output JSON (default benchmarks/results/)")
    args = p.parse_args()
    warnings.filterwarnings("ignore")       # gradcheck warns on every float32 input
    started = time.perf_counter()
    data = layers(args) if args.part == "layers" else opdb(args)
    data.update(machine=bo.machine(), command=" ".join(sys.argv), seconds=round(
        time.perf_counter() - started, 1), date=bo.now())
    out = Path(args.out) if args.out else RESULTS / f"precision_{args.part}.json"
    write_text(out, json.dumps(data, indent=1, default=str) + "\n")
    print(json.dumps(data["summary"], indent=1)[:4000])


if __name__ == "__main__":
    main()
