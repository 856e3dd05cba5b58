"""The course's network (the PyTorch tutorial CNN), its input normalisation and its model file."""

from __future__ import annotations

import io
import os
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from workbench.atomic import write_bytes
from workbench.errors import DataError

MEAN = 0.5
STD = 0.5
"""The course's ``transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))``: the same for every
channel, images in [0, 1] mapped to [-1, 1]."""


class Net(nn.Module):
    """conv 3→6 5x5, max-pool 2, conv 6→16 5x5, max-pool 2, fc 400→120→84→10 (ReLU between).

    Input float ``(N, 3, 32, 32)``, output logits ``(N, 10)``. ~62k parameters.
    """

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def make_net(seed: int) -> Net:
    """A freshly initialised network; the same ``seed`` gives the same weights on every device.
    The global random state is left as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return Net()


def normalise(images: torch.Tensor, dtype: torch.dtype = torch.float32,
              channels_last: bool = False) -> torch.Tensor:
    """uint8 ``(N, 3, 32, 32)`` → ``dtype`` ``(x / 255 - MEAN) / STD``, done per batch."""
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    x = images.to(dtype=dtype, memory_format=fmt)
    return x.mul_(1 / (255 * STD)).sub_(MEAN / STD)


def state_on_cpu(net: nn.Module) -> dict[str, torch.Tensor]:
    """The ``state_dict`` as contiguous CPU tensors of their own (not views of a shared
    buffer), loadable on any machine."""
    return {k: v.detach().cpu().clone(memory_format=torch.contiguous_format)
            for k, v in net.state_dict().items()}


def save_state(obj: object, path: str | os.PathLike) -> None:
    """``torch.save`` written atomically: a reader (or a Ctrl-C) never meets half a file."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write_bytes(path, buffer.getvalue())


def save_model(net: nn.Module, path: str | os.PathLike) -> None:
    """Write the ``state_dict`` (the course's ``notre_model.torch``)."""
    save_state(state_on_cpu(net), path)


def load_state(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict:
    """``torch.load(path, weights_only=True)``; unreadable files raise :class:`DataError`."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises many types for a damaged or foreign file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: not a readable torch file ({first})") from None


def load_model(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> Net:
    """The :class:`Net` saved at ``path`` by :func:`save_model` (or by the course's notebook)."""
    net = Net()
    net.load_state_dict(check_state(load_state(path, map_location), path))
    return net.to(map_location)


def check_state(state: object, path: str | os.PathLike,
                field: str | None = None) -> dict[str, torch.Tensor]:
    """``state`` if it is a ``state_dict`` of :class:`Net`: the same keys, each checked by
    :func:`check_tensor`. Otherwise a :class:`DataError` located at ``path`` (and at ``field``
    when the state is one field of the file)."""
    with torch.device("meta"):                 # shapes only: no memory, no random numbers
        want = {k: tuple(v.shape) for k, v in Net().state_dict().items()}
    where = f"{path}: {field}" if field else str(path)
    if not isinstance(state, dict):
        raise DataError(f"not a state_dict of the course's Net: found a "
                        f"{type(state).__name__}", where)
    missing, unexpected = sorted(set(want) - set(state)), sorted(map(str, set(state) - set(want)))
    if missing or unexpected:
        raise DataError(f"not a state_dict of the course's Net (missing: "
                        f"{', '.join(missing) or 'none'}; unexpected: "
                        f"{', '.join(unexpected) or 'none'})", where)
    for name, shape in want.items():
        check_tensor(state[name], shape, path, f"{field}.{name}" if field else name)
    return state


def check_tensor(value: object, shape: tuple[int, ...], path: str | os.PathLike,
                 name: str) -> None:
    """Nothing if ``value`` is a finite floating-point tensor of ``shape``; else a
    :class:`DataError` naming ``path`` and ``name``."""
    if not isinstance(value, torch.Tensor) or not value.is_floating_point() \
            or tuple(value.shape) != shape:
        found = (f"{str(value.dtype).removeprefix('torch.')} {tuple(value.shape)}"
                 if isinstance(value, torch.Tensor) else type(value).__name__)
        raise DataError(f"expected a floating-point tensor of shape {shape}, found {found}",
                        f"{path}: {name}")
    if not bool(torch.isfinite(value).all()):
        raise DataError("holds NaN or infinite values", f"{path}: {name}")
