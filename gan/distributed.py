"""Several processes training one GAN under ``torchrun``: which process this is, and what the processes share.

``torchrun --nproc_per_node N`` starts N copies of a command with RANK, WORLD_SIZE and LOCAL_RANK (and where to
meet) in their environment. Each copy builds the same networks from the same seed and trains on its share of
every batch; DistributedDataParallel averages the gradients in backward, so after each optimiser step every rank
holds the same weights. Without torchrun (WORLD_SIZE unset) there is one process, and nothing here talks to
another or changes what it computes.
"""
from __future__ import annotations

import contextlib
import datetime
import os
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel

from gan.config import ConfigError

# Rank 0's work at the end of an epoch (checkpoints, sample grid, validation) runs while the other ranks wait in
# their next collective; NCCL's default of 10 minutes can be shorter than a validation.
COLLECTIVE_TIMEOUT = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class DistContext:
    rank: int = 0  # this process among all of them; rank 0 alone writes the run's files
    world_size: int = 1  # processes training together
    local_rank: int = 0  # this process among those on its machine: which GPU it drives

    @classmethod
    def from_environment(cls) -> "DistContext":
        """What torchrun set; one process when WORLD_SIZE is unset."""
        if "WORLD_SIZE" not in os.environ:
            return cls()
        try:
            ctx = cls(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", 0)))
        except (KeyError, ValueError):
            raise ConfigError("WORLD_SIZE is set but RANK is missing or not a number; start several processes "
                              "with torchrun") from None
        if not 0 <= ctx.rank < ctx.world_size:
            raise ConfigError(f"RANK {ctx.rank} is outside WORLD_SIZE {ctx.world_size}")
        return ctx

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def device(self, device: torch.device) -> torch.device:
        """This rank's device: under torchrun on CUDA its own GPU (cuda:LOCAL_RANK), else ``device``."""
        return torch.device("cuda", self.local_rank) if device.type == "cuda" and self.distributed else device

    @contextlib.contextmanager
    def process_group(self, device: torch.device) -> Iterator[None]:
        """The processes connected for the job's length: NCCL between GPUs, gloo between CPU processes."""
        if not self.distributed:
            yield
            return
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=self.rank,
                                world_size=self.world_size, timeout=COLLECTIVE_TIMEOUT)
        try:
            yield
        finally:
            dist.destroy_process_group()

    # -- collectives: each one is called by every rank at the same point, or it waits for the missing ones ----------
    def wrap(self, module: nn.Module, device: torch.device, find_unused_parameters: bool = False) -> nn.Module:
        """``module`` whose backward averages its gradients over the ranks (rank 0's weights are copied to the
        others here); alone, ``module`` itself."""
        if not self.distributed:
            return module
        return DistributedDataParallel(module, device_ids=[device.index] if device.type == "cuda" else None,
                                       find_unused_parameters=find_unused_parameters)

    def average_buffers(self, module: nn.Module) -> None:
        """Float buffers (batch-norm statistics) averaged over the ranks, which each updated from its own shard."""
        if not self.distributed:
            return
        for buffer in module.buffers():
            if buffer.is_floating_point():
                dist.all_reduce(buffer)
                buffer.div_(self.world_size)

    def mean(self, values: torch.Tensor) -> torch.Tensor:
        """``values`` averaged over the ranks (a copy)."""
        values = values.clone()
        if self.distributed:
            dist.all_reduce(values)
            values /= self.world_size
        return values

    def any(self, flag: bool, device: torch.device) -> bool:
        """Whether any rank's ``flag`` is set: all stop at the same step when one was asked to (Ctrl-C)."""
        if not self.distributed:
            return flag
        t = torch.tensor([int(flag)], device=device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item())

    def gather(self, obj: Any) -> list[Any]:
        """Every rank's ``obj``, in rank order."""
        if not self.distributed:
            return [obj]
        out: list[Any] = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    # -- data -------------------------------------------------------------------------------------------------------
    def shard(self, batches: np.ndarray) -> np.ndarray:
        """This rank's share of every batch: (steps, B, ...) -> (steps, B / world_size, ...)."""
        n = batches.shape[1] // self.world_size
        return batches[:, self.rank * n:(self.rank + 1) * n]
