"""The run folder's checkpoint: what is saved after every epoch, and reading it back for
``--resume`` with every field checked, so that a damaged, foreign or edited file is one line
naming the file and the field (a :class:`DataError`, exit code 2), never a traceback.

A checkpoint is a ``torch.save`` dict: ``epoch`` (epochs done), ``config`` (the run's
:meth:`~workbench.cifar.train.TrainConfig.as_dict`), ``model`` (the network's ``state_dict``),
``history`` (losses, times and the curve so far) and ``velocity`` (the heavy-ball velocity of
the flat parameter buffer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path

import torch

from workbench.cifar.net import check_state, check_tensor, load_state, save_state
from workbench.errors import DataError, UserError

CHECKPOINT_FILE = "checkpoint.pt"
FLAT = "parameters"
"""The name the heavy-ball step knows the flat buffer of all parameters by."""
FIELDS = ("epoch", "config", "model", "history", "velocity")


@dataclass(frozen=True)
class Checkpoint:
    """A checked checkpoint: ``epoch`` epochs done, the network's ``model`` state, the
    ``history`` so far and the ``velocity`` (``{FLAT: (P,)}``, P parameters)."""

    epoch: int
    model: dict[str, torch.Tensor]
    history: dict
    velocity: dict[str, torch.Tensor]


def save(path: Path, epoch: int, config: dict, model: dict[str, torch.Tensor], history: dict,
         velocity: dict[str, torch.Tensor]) -> None:
    """Write the checkpoint after ``epoch`` epochs, atomically (tensors on the CPU)."""
    save_state({"epoch": epoch, "config": config, "model": model, "history": history,
                "velocity": {k: v.cpu() for k, v in velocity.items()}}, path)


def read(path: Path, config: dict, device: torch.device | str = "cpu") -> Checkpoint:
    """The checkpoint at ``path``, every field checked, made with ``config`` (a run's
    ``as_dict()``; only the epochs, the oracle and the check interval may differ).

    Raises :class:`UserError` naming ``--resume`` when there is no checkpoint or it was made
    with other settings, and :class:`DataError` naming the file and the field when a field is
    missing, of the wrong type or out of range.
    """
    if not path.is_file():
        raise UserError(f"nothing to resume: {path} does not exist", "--resume")
    state = load_state(path, map_location=device)
    if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
        raise DataError(f"not a checkpoint of this trainer: expected a dict of "
                        f"{', '.join(FIELDS)}, found {_kind(state)}", str(path))
    for field in FIELDS:
        if field not in state:
            raise _bad(path, field, "missing")
    saved = _config(path, state["config"])
    _check_compatible(saved, config, path)
    epoch = state["epoch"]
    epochs = saved["recipe"]["epochs"]
    if not _is_int(epoch) or not 1 <= epoch <= epochs:
        raise _bad(path, "epoch", f"must be an integer from 1 to {epochs} (the epochs of the "
                                  f"run), got {epoch!r}")
    model = check_state(state["model"], path, "model")
    size = sum(t.numel() for t in model.values())
    velocity = state["velocity"]
    if not isinstance(velocity, dict) or set(velocity) != {FLAT}:
        raise _bad(path, "velocity", f"expected a dict with the one key {FLAT!r}, found "
                                     f"{_kind(velocity)}")
    check_tensor(velocity[FLAT], (size,), path, f"velocity.{FLAT}")
    return Checkpoint(int(epoch), model, _history(path, state["history"], int(epoch)),
                      velocity)


def _config(path: Path, config) -> dict:
    """The saved settings, checked as far as reading the epochs needs; the rest is compared
    with the current run's settings."""
    if not isinstance(config, dict) or not isinstance(config.get("recipe"), dict):
        raise _bad(path, "config", f"expected the run's settings with a recipe, found "
                                   f"{_kind(config)}")
    epochs = config["recipe"].get("epochs")
    if not _is_int(epochs) or epochs < 1:
        raise _bad(path, "config.recipe.epochs", f"must be a positive integer, got {epochs!r}")
    return config


def _history(path: Path, history, epoch: int) -> dict:
    """Losses and times of the ``epoch`` epochs done (finite numbers), the curve's
    ``[images, loss]`` pairs and the images seen."""
    if not isinstance(history, dict):
        raise _bad(path, "history", f"expected a dict, found {_kind(history)}")
    for key in ("loss_per_epoch", "epoch_time_s"):
        values = history.get(key)
        if not isinstance(values, list) or len(values) != epoch \
                or not all(_is_finite(v) for v in values):
            raise _bad(path, f"history.{key}", f"expected a list of one finite number per "
                                               f"epoch done ({epoch}), found {_kind(values)}")
    curve = history.get("curve")
    if not isinstance(curve, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(_is_finite(v) for v in p) for p in curve):
        raise _bad(path, "history.curve", f"expected a list of [images, loss] pairs of finite "
                                          f"numbers, found {_kind(curve)}")
    seen = history.get("images_seen")
    if not _is_int(seen) or seen < 0:
        raise _bad(path, "history.images_seen", f"must be a non-negative integer, got {seen!r}")
    return history


def _check_compatible(saved: dict, config: dict, path: Path) -> None:
    """Resuming may change the number of epochs (unless the schedule depends on it), the oracle
    and the check interval; nothing else."""
    ignored = {"check_every", "oracle"}
    old_recipe, new_recipe = dict(saved["recipe"]), dict(config["recipe"])
    if new_recipe.get("schedule") == "constant":
        old_recipe.pop("epochs", None)
        new_recipe.pop("epochs", None)
    diffs = [f"{k}: {old_recipe.get(k)!r} → {new_recipe.get(k)!r}"
             for k in sorted(set(old_recipe) | set(new_recipe), key=str)
             if old_recipe.get(k) != new_recipe.get(k)]
    diffs += [f"{k}: {saved.get(k)!r} → {config[k]!r}" for k in config
              if k not in ignored and k != "recipe" and saved.get(k) != config[k]]
    if diffs:
        raise UserError(f"{path} was made with other settings ({'; '.join(diffs)}); resume "
                        f"with the same ones or start a new run folder", "--resume")


def _bad(path: Path, field: str, message: str) -> DataError:
    return DataError(f"{field}: {message}", str(path))


def _kind(value) -> str:
    """A short description of a value found where something else was expected."""
    if isinstance(value, (list, tuple, dict)):
        return f"a {type(value).__name__} of {len(value)}"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _is_int(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_finite(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
