"""Benchmark: the backward pass of the course's Net by the derived layer rules vs autograd's.

Claim (issue 7): on the course's ``Net`` (float32, CPU), the derived backward
(:class:`workbench.backprop.DerivedBackpropOracle`, the layer rules applied in reverse with
plain tensor operations) takes no more than 1.5x the time of autograd's backward
(``torch.autograd.grad`` of the loss w.r.t. the ten parameters), at batch 4 (the course's) and
at batch 128.

Conditions: the machine it runs on (printed and saved with torch, numpy and sympy versions),
``--threads`` torch threads for both sides (default 1), the same network (seed 0) and batch
(random normalised images, seed 1) for both. Each repetition runs both sides one after the
other (which goes first alternates), each with its own forward pass (not timed), then times the
backward alone; the forward + backward of each oracle's ``value_and_grad`` is timed too. Reported:
mean +- std over ``--runs`` repetitions after ``--warmup``, and the ratio derived / autograd
(mean +- std of the per-repetition ratios). Results are written with their configuration to
``--out``.

    python benchmarks/bench_backprop.py [--runs 30] [--batches 4 128] [--threads 1]
        [--out benchmarks/results/backprop.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy
import sympy
import torch

from workbench.atomic import write_text
from workbench.backprop import DerivedBackpropOracle
from workbench.cifar.net import make_net
from workbench.cifar.oracle import NetworkAutogradOracle, cross_entropy, network_point


def mean_std(xs: list[float]) -> dict:
    return {"mean": statistics.mean(xs), "std": statistics.stdev(xs) if len(xs) > 1 else 0.0,
            "runs": xs}


def autograd_backward(net, point) -> float:
    params = [p for _, p in net.named_parameters()]
    loss = cross_entropy(net(point["images"]), point["labels"])
    t0 = time.perf_counter()
    torch.autograd.grad(loss, params)
    return time.perf_counter() - t0


def derived_backward(oracle, point) -> float:
    with torch.no_grad():
        loss, tape = oracle.forward(point)
        t0 = time.perf_counter()
        oracle.backward(loss, tape)
        return time.perf_counter() - t0


def full_step(oracle, point) -> float:
    t0 = time.perf_counter()
    oracle.value_and_grad(point)
    return time.perf_counter() - t0


def measure(batch: int, runs: int, warmup: int) -> dict:
    net = make_net(0)
    gen = torch.Generator().manual_seed(1)
    point = network_point(dict(net.named_parameters()),
                          torch.randn(batch, 3, 32, 32, generator=gen),
                          torch.randint(0, 10, (batch,), generator=gen))
    derived, autograd = DerivedBackpropOracle(net), NetworkAutogradOracle(net)
    sides = {
        "backward": {"derived": lambda: derived_backward(derived, point),
                     "autograd": lambda: autograd_backward(net, point)},
        "forward_backward": {"derived": lambda: full_step(derived, point),
                             "autograd": lambda: full_step(autograd, point)},
    }
    out = {}
    for what, fns in sides.items():
        times = {k: [] for k in fns}
        for rep in range(warmup + runs):
            order = list(fns) if rep % 2 == 0 else list(fns)[::-1]
            for name in order:
                seconds = fns[name]()
                if rep >= warmup:
                    times[name].append(seconds)
        ratios = [d / a for d, a in zip(times["derived"], times["autograd"])]
        out[what] = {**{k: mean_std(v) for k, v in times.items()},
                     "ratio_derived_over_autograd": mean_std(ratios)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--batches", type=int, nargs="+", default=[4, 128])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default="benchmarks/results/backprop.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    results = {
        "claim": "derived backward of the course Net <= 1.5x autograd's backward, batch 4 "
                 "and 128, float32 CPU",
        "config": {"batches": args.batches, "runs": args.runs, "warmup": args.warmup,
                   "threads": args.threads, "dtype": "float32", "net_seed": 0,
                   "batch_seed": 1, "device": "cpu"},
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpus": os.cpu_count(), "python": platform.python_version(),
                    "torch": torch.__version__, "numpy": numpy.__version__,
                    "sympy": sympy.__version__},
        "batches": {},
    }
    for batch in args.batches:
        results["batches"][str(batch)] = measure(batch, args.runs, args.warmup)
        print(f"batch {batch} done", file=sys.stderr)
    write_text(args.out, json.dumps(results, indent=2))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"torch {torch.__version__}, {args.threads} thread(s), {args.runs} runs")
    for batch, r in results["batches"].items():
        for what, m in r.items():
            d, a = m["derived"], m["autograd"]
            q = m["ratio_derived_over_autograd"]
            print(f"batch {batch:>3} {what:<16} derived {d['mean'] * 1e3:7.2f} +- "
                  f"{d['std'] * 1e3:5.2f} ms, autograd {a['mean'] * 1e3:7.2f} +- "
                  f"{a['std'] * 1e3:5.2f} ms, ratio {q['mean']:.2f} +- {q['std']:.2f}")
    print(f"results: {args.out}")


if __name__ == "__main__":
    main()
