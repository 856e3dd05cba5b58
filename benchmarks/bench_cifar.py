"""CIFAR-10 training speed and accuracy: the PyTorch tutorial pipeline against our recipes.

Claim (issue 6): on the same machine, in the same run,
  * recipe ``seed`` (the course's math: SGD lr 0.001 momentum 0.9, batch 4, 2 epochs) trains at
    >= 3x the tutorial pipeline's images/s, with test accuracy within 2.5 points of 54.7 %;
  * recipe ``fast`` (same network) reaches >= 70 % test accuracy in less wall time than the
    tutorial pipeline's 2 epochs;
  * peak memory (max RSS of the training process) is reported for each.

The tutorial pipeline is the tutorial's code: torchvision ``ToTensor`` + ``Normalize`` on PIL
images, ``DataLoader(batch_size=4, shuffle=True, num_workers=2)``, ``torch.optim.SGD``, the
same ``Net``. Its dataset is torchvision's ``CIFAR10`` reading the same pickles, with only the
md5 check skipped (the shared copy is a JPEG rebuild whose md5 differs).

Conditions: every run is a fresh process (so peak memory and thread settings are its own);
runs are interleaved (tutorial, seed, fast for seed 0, then seed 1, ...) so that the machine's
drift hits all pipelines alike; ratios are taken within each round. The header of the output
names the machine and the versions; ``--out`` saves every run with the configuration.

    python benchmarks/bench_cifar.py --data ../shared/data/cifar10-jpeg --runs 2 \\
        --out benchmarks/results/cifar.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

PIPELINES = ("tutorial", "seed", "fast")
ACCURACY_REFERENCE = 54.7


def run_tutorial(data: str, seed: int, epochs: int) -> dict:
    """The tutorial's training loop, verbatim apart from timing and the md5 check."""
    import torch
    import torch.nn as nn
    import torchvision.transforms as transforms
    from torchvision.datasets import CIFAR10

    from workbench.cifar.data import locate
    from workbench.cifar.net import Net

    class SharedCopy(CIFAR10):
        def _check_integrity(self) -> bool:  # the folder was given by the user: md5 differs
            return True

    torch.manual_seed(seed)
    root = str(locate(data).parent)
    transform = transforms.Compose([transforms.ToTensor(),
                                    transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    trainset = SharedCopy(root=root, train=True, download=False, transform=transform)
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=4, shuffle=True,
                                              num_workers=2)
    testset = SharedCopy(root=root, train=False, download=False, transform=transform)
    testloader = torch.utils.data.DataLoader(testset, batch_size=4, shuffle=False,
                                             num_workers=2)
    net = Net()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    losses = []
    start = time.perf_counter()
    for _ in range(epochs):
        running = 0.0
        for inputs, labels in trainloader:
            optimizer.zero_grad()
            loss = criterion(net(inputs), labels)
            loss.backward()
            optimizer.step()
            running += loss.item()
        losses.append(running / len(trainloader))
    train_time = time.perf_counter() - start
    correct = total = 0
    with torch.no_grad():
        for images, labels in testloader:
            correct += int((net(images).argmax(1) == labels).sum())
            total += labels.size(0)
    return {"train_time_s": train_time, "wall_time_s": train_time,
            "images_per_s": epochs * len(trainset) / train_time,
            "test_accuracy": 100.0 * correct / total, "loss_per_epoch": losses,
            "epochs": epochs, "batch_size": 4}


def run_recipe(name: str, data: str, seed: int) -> dict:
    """One of our recipes through ``workbench.cifar.train`` (no gallery, no progress bar)."""
    import torch

    from workbench.cifar.data import UnofficialDataWarning, load
    from workbench.cifar.recipes import RECIPES
    from workbench.cifar.train import TrainConfig, train

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnofficialDataWarning)
        dataset = load(data, download=False)
    recipe = RECIPES[name]
    with tempfile.TemporaryDirectory() as run_dir:
        start = time.perf_counter()
        metrics = train(dataset, TrainConfig(recipe, seed=seed), run_dir,
                        device=torch.device("cpu"), progress=False, gallery=None)
        wall = time.perf_counter() - start
    return {"train_time_s": metrics["train_time_s"], "wall_time_s": wall,
            "images_per_s": metrics["images_per_s"], "test_accuracy": metrics["test_accuracy"],
            "loss_per_epoch": metrics["loss_per_epoch"], "epochs": recipe.epochs,
            "batch_size": recipe.batch_size, "recipe": recipe.as_dict()}


def worker(args: argparse.Namespace) -> None:
    if args.worker == "tutorial":
        result = run_tutorial(args.data, args.seed, args.tutorial_epochs)
    else:
        result = run_recipe(args.worker, args.data, args.seed)
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result.update(pipeline=args.worker, seed=args.seed, peak_memory_mb=kib / 1024,
                  peak_child_memory_mb=children / 1024)
    Path(args.result).write_text(json.dumps(result))


def machine() -> dict:
    import torch
    import torchvision
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "torch": torch.__version__,
            "torchvision": torchvision.__version__, "torch_threads": torch.get_num_threads()}


def summarise(runs: list[dict]) -> dict:
    def stat(values):
        values = list(values)
        return {"mean": statistics.fmean(values),
                "std": statistics.stdev(values) if len(values) > 1 else 0.0, "n": len(values)}

    out = {}
    for p in PIPELINES:
        mine = [r for r in runs if r["pipeline"] == p]
        if mine:
            out[p] = {k: stat(r[k] for r in mine) for k in
                      ("images_per_s", "test_accuracy", "train_time_s", "wall_time_s",
                       "peak_memory_mb")}
    rounds = {}
    for r in runs:
        rounds.setdefault(r["seed"], {})[r["pipeline"]] = r
    speedups = [g["seed"]["images_per_s"] / g["tutorial"]["images_per_s"]
                for g in rounds.values() if "seed" in g and "tutorial" in g]
    time_ratios = [g["fast"]["wall_time_s"] / g["tutorial"]["train_time_s"]
                   for g in rounds.values() if "fast" in g and "tutorial" in g]
    if speedups:
        out["seed_speedup_vs_tutorial"] = stat(speedups) | {"per_round": speedups}
    if time_ratios:
        out["fast_wall_time_over_tutorial_train_time"] = stat(time_ratios) | {
            "per_round": time_ratios}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data/cifar10-jpeg")
    parser.add_argument("--runs", type=int, default=1, help="rounds, seeds 0..runs-1")
    parser.add_argument("--pipelines", default=",".join(PIPELINES))
    parser.add_argument("--tutorial-epochs", type=int, default=2)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--worker", choices=PIPELINES, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    pipelines = [p for p in args.pipelines.split(",") if p]
    header = {"claim": __doc__.split("\n\n")[1], "machine": machine(),
              "command": " ".join(sys.argv), "runs": args.runs, "pipelines": pipelines,
              "tutorial_epochs": args.tutorial_epochs, "data": args.data}
    print(json.dumps({k: header[k] for k in ("machine", "command")}, indent=1), flush=True)
    runs = []
    for seed in range(args.runs):
        for p in pipelines:
            with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
                cmd = [sys.executable, __file__, "--worker", p, "--seed", str(seed),
                       "--data", args.data, "--result", tmp.name,
                       "--tutorial-epochs", str(args.tutorial_epochs)]
                load_before = os.getloadavg()[0]
                subprocess.run(cmd, check=True)
                r = json.loads(Path(tmp.name).read_text())
            # Other work on the machine slows every pipeline (two-thread oneDNN badly): the
            # load average before and after a run says which runs were disturbed.
            r["load_average_1min"] = [load_before, os.getloadavg()[0]]
            runs.append(r)
            print(f"{p:8s} seed {seed}: {r['images_per_s']:8,.0f} images/s  train "
                  f"{r['train_time_s']:6.1f} s  wall {r['wall_time_s']:6.1f} s  test accuracy "
                  f"{r['test_accuracy']:5.2f} %  peak memory {r['peak_memory_mb']:6,.0f} MB  load "
                  f"{r['load_average_1min'][0]:.1f}/{r['load_average_1min'][1]:.1f}",
                  flush=True)
    summary = summarise(runs)
    print(json.dumps(summary, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"header": header, "summary": summary, "runs": runs},
                                       indent=1) + "\n")


if __name__ == "__main__":
    main()
