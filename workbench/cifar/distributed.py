"""Data-parallel training over processes (``torchrun``): gloo on CPU, nccl on GPU.

Every process walks the same shuffled order; each global batch is cut into one contiguous
shard per process. Like ``DistributedDataParallel``, the processes start from rank 0's weights
and step with the gradient averaged over the global batch, so N processes train the model one
process trains with the same global batch. The averaging is done on the oracle's answer rather
than by DDP's autograd hooks, because the gradient comes from the oracle interface (and a
hand-derived oracle has no autograd graph for DDP to hook into).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

import torch
import torch.distributed as dist

from workbench.oracles.base import Evaluation, GradientOracle, Point


@dataclass(frozen=True)
class World:
    """This process's place among ``size`` data-parallel processes (``size == 1``: alone)."""

    rank: int = 0
    size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def shard(self, batch: torch.Tensor) -> torch.Tensor:
        """This process's contiguous part of a global batch of indices."""
        return batch if self.size == 1 else torch.tensor_split(batch, self.size)[self.rank]

    def wrap(self, oracle: GradientOracle) -> GradientOracle:
        return oracle if self.size == 1 else AveragedOracle(oracle)

    def broadcast(self, tensors: Mapping[str, torch.Tensor]) -> None:
        """Overwrite every process's tensors with rank 0's (in place)."""
        if self.size > 1:
            for t in tensors.values():
                dist.broadcast(t.data, src=0)

    def barrier(self) -> None:
        if self.size > 1:
            dist.barrier()


class AveragedOracle(GradientOracle):
    """Value and gradient averaged over the global batch: each process's answer is weighted
    by its shard's size and summed across processes in one all-reduce."""

    name = "averaged"

    def __init__(self, local: GradientOracle):
        super().__init__(local.wrt)
        self.local = local

    def value_and_grad(self, point: Point, *, batched: bool = False) -> Evaluation:
        n = point["labels"].shape[0]
        if n:
            ev = self.local.value_and_grad(point, batched=batched)
        else:  # the last, partial batch can leave a process without images
            ev = Evaluation(torch.zeros((), dtype=point[self.wrt[0]].dtype,
                                        device=point[self.wrt[0]].device),
                            {k: torch.zeros_like(point[k]) for k in self.wrt})
        grads = [ev.grad[k] for k in self.wrt]
        flat = torch.cat([ev.value.reshape(1) * n, ev.value.new_tensor([float(n)]),
                          *(g.reshape(-1) * n for g in grads)])
        dist.all_reduce(flat)
        total = flat[1]
        value, rest = flat[0] / total, flat[2:] / total
        sizes = [g.numel() for g in grads]
        grad = {k: part.view_as(g) for k, part, g in zip(self.wrt, rest.split(sizes), grads)}
        return Evaluation(value, grad)


def from_environment(device: torch.device) -> World:
    """Join the process group ``torchrun`` describes in the environment (``WORLD_SIZE``,
    ``RANK``, ``LOCAL_RANK``, ``MASTER_ADDR``/``PORT``); a lone process stays alone."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size == 1:
        return World()
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return World(dist.get_rank(), dist.get_world_size())


def local_device(device: torch.device) -> torch.device:
    """The GPU of this process under ``torchrun`` (``LOCAL_RANK``), else ``device``."""
    if device.type == "cuda" and device.index is None and "LOCAL_RANK" in os.environ:
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
    return device


def shutdown(world: World) -> None:
    if world.size > 1 and dist.is_initialized():
        dist.destroy_process_group()
