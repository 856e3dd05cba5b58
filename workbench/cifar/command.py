"""``workbench train`` and ``workbench evaluate``: the course's CNN on CIFAR-10.

Only light modules are imported here: torch loads in the handlers, so registering the verbs
(``workbench --help``) costs nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from workbench.atomic import add_output_option, check_output_dir
from workbench.cifar.recipes import RECIPES, get_recipe
from workbench.devices import add_device_option, parse_device
from workbench.errors import UserError
from workbench.verbs import add_verb

DEFAULT_DATA = "data"
DEFAULT_GALLERY = Path("gallery") / "cifar"
EXIT_DIVERGED = 5
"""``train``'s exit code when the loss or the weights stop being finite: the run failed (not bad
input, 2; not a gradient mismatch, 1)."""


def register(subparsers) -> None:
    p = add_verb(subparsers, "train", cmd_train,
                 help="train the course's CNN on CIFAR-10 through a gradient oracle")
    _data_argument(p)
    p.add_argument("--recipe", choices=sorted(RECIPES), default="seed",
                   help="training recipe (default: seed)")
    p.add_argument("--epochs", type=int, help="number of epochs (default: the recipe's)")
    p.add_argument("--batch-size", type=int, metavar="B",
                   help="global batch size (default: the recipe's)")
    p.add_argument("--lr", type=float, help="(peak) learning rate (default: the recipe's)")
    add_device_option(p, "auto")
    p.add_argument("--check-every", type=int, default=0, metavar="K",
                   help="spot-check the gradient against float64 finite differences every K "
                        "steps (default 0: never)")
    p.add_argument("--limit", type=int, metavar="N", help="train on the first N images only")
    p.add_argument("--oracle", default="autograd",
                   help="gradient oracle for the network's loss (default: autograd)")
    add_output_option(p, None, "RUN_DIR", "run folder (default: runs/cifar-RECIPE)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--resume", action="store_true",
                   help="continue from the run folder's last checkpoint")
    p.add_argument("--gallery", type=Path, default=DEFAULT_GALLERY,
                   help=f"also copy the figures here (default: {DEFAULT_GALLERY})")
    p.add_argument("--no-gallery", dest="gallery", action="store_const", const=None,
                   help="do not copy the figures into the gallery")
    p.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                   help="no progress bar")

    p = add_verb(subparsers, "evaluate", cmd_evaluate,
                 help="test accuracy of a trained CIFAR-10 model")
    p.add_argument("model", metavar="RUN_DIR_OR_MODEL")
    _data_argument(p)
    add_device_option(p, "auto")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")


def _data_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default=DEFAULT_DATA, metavar="DIR",
                   help="folder holding cifar-10-batches-py/ (downloaded there when missing; "
                        f"default: {DEFAULT_DATA})")


def cmd_train(args: argparse.Namespace) -> int:
    """Train the PyTorch tutorial CNN on CIFAR-10. Recipe 'seed' is the course's (SGD lr 0.001,
    momentum 0.9, batch 4, 2 epochs); 'fast' is tuned for speed and accuracy with the same
    network. Under torchrun, trains data-parallel (gloo on CPU, nccl on GPU)."""
    from workbench.cifar import checkpoint
    from workbench.cifar.distributed import from_environment, local_device, shutdown
    from workbench.cifar.oracle import oracle_factory
    from workbench.cifar.train import CHECKPOINT_FILE, TrainConfig, TrainingDiverged, train
    from workbench.seeds import check_seed

    check_seed(args.seed)
    for flag, value, low in (("--check-every", args.check_every, 0), ("--limit", args.limit, 1)):
        if value is not None and value < low:
            raise UserError(f"must be at least {low}, got {value}", flag)
    recipe = get_recipe(args.recipe).with_overrides(args.epochs, args.batch_size, args.lr)
    oracle_factory(args.oracle)                      # fail before loading the data
    config = TrainConfig(recipe, seed=args.seed, limit=args.limit,
                         check_every=args.check_every, oracle=args.oracle)
    device = local_device(parse_device(args.device))
    run_dir = check_output_dir(args.output or f"runs/cifar-{recipe.name}")
    if args.gallery is not None:
        check_output_dir(args.gallery, "--gallery")
    resume = (checkpoint.read(run_dir / CHECKPOINT_FILE, config.as_dict(), device)
              if args.resume else False)
    dataset = _load(args.data)
    world = from_environment(device)
    try:
        if recipe.batch_size < world.size:
            raise UserError(f"a global batch of {recipe.batch_size} cannot be shared by "
                            f"{world.size} processes", "--batch-size")
        metrics = train(dataset, config, run_dir, device=device, resume=resume,
                        world=world, progress=args.progress, gallery=args.gallery)
    except KeyboardInterrupt:
        if world.is_main and (run_dir / CHECKPOINT_FILE).is_file():
            print(f"workbench: the last finished epoch is saved in {run_dir / CHECKPOINT_FILE}; "
                  f"continue with --resume", file=sys.stderr)
        raise
    except TrainingDiverged as exc:
        if world.is_main:
            print(f"workbench: {exc}", file=sys.stderr)
        return EXIT_DIVERGED
    finally:
        shutdown(world)
    if metrics:
        print(f"test accuracy {metrics['test_accuracy']:.2f} % after {recipe.epochs} epochs "
              f"({metrics['train_time_s']:.1f} s, {metrics['images_per_s']:,.0f} images/s, "
              f"peak memory {metrics['peak_memory_mb']:,.0f} MB); model, metrics and figures "
              f"in {run_dir}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Evaluate a model saved by `workbench train` (a run folder or a notre_model.torch
    state_dict) on the CIFAR-10 test images."""
    from workbench.cifar.evaluate import evaluate, model_path
    from workbench.cifar.net import load_model

    device = parse_device(args.device)
    net = load_model(model_path(args.model), map_location=device)
    dataset = _load(args.data)
    report, _ = evaluate(net, dataset.test, dataset.classes)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"test accuracy {report['test_accuracy']:.2f} % on {report['test_images']} images")
        for name, acc in report["per_class_accuracy"].items():
            print(f"  {name:<10} {acc:6.2f} %")
    return 0


def _load(root: str):
    """Load the :class:`~workbench.cifar.data.Cifar10` data, turning the not-official-archive
    warning into one line on stderr."""
    from workbench.cifar import data as cifar_data

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", cifar_data.UnofficialDataWarning)
        dataset = cifar_data.load(root)
    for w in caught:
        if issubclass(w.category, cifar_data.UnofficialDataWarning):
            print(f"workbench: warning: {w.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return dataset
