"""Device selection and the distributed launch (torchrun + Lightning Fabric)."""

from __future__ import annotations

import os

import torch
from lightning_fabric import Fabric

from tenfold.errors import ConfigError

_chosen_threads: int | None = None


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA when present, else CPU; ``cuda`` without a GPU is refused clearly."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name not in {"cpu", "cuda"} and not name.startswith("cuda:"):
        raise ConfigError(f"--device {name!r}: expected cpu, cuda, cuda:N or auto")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"--device {name}: no CUDA device is available on this machine")
    return torch.device(name)


def set_threads(threads: int) -> None:
    """Torch intra-op CPU threads chosen by the user (``--threads N``); recipes that pick their own
    thread count for speed (``twp``'s ``cpu_threads``) leave an explicit choice alone."""
    global _chosen_threads
    if threads < 1:
        raise ConfigError(f"--threads must be a positive integer, got {threads}")
    torch.set_num_threads(threads)
    _chosen_threads = threads


def chosen_threads() -> int | None:
    """The thread count given to :func:`set_threads` in this process, or None."""
    return _chosen_threads


def world_size() -> int:
    """Number of processes launched by ``torchrun`` (1 when run directly)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def make_fabric(device: torch.device) -> Fabric:
    """A launched :class:`~lightning_fabric.Fabric` for this process.

    Run directly it drives one device. Under ``torchrun --nproc_per_node N [--nnodes M ...]`` it
    joins the process group as DistributedDataParallel (gloo on CPU, NCCL on GPUs), one device
    per process, N processes on each of the M nodes.
    """
    accelerator = "cuda" if device.type == "cuda" else "cpu"
    n = world_size()
    if n > 1:   # torchrun: LOCAL_WORLD_SIZE processes on each of WORLD_SIZE / that many nodes
        local = int(os.environ.get("LOCAL_WORLD_SIZE", str(n)))
        fabric = Fabric(accelerator=accelerator, devices=local, strategy="ddp",
                        num_nodes=max(n // local, 1))
    else:
        devices = [device.index or 0] if device.type == "cuda" else 1
        fabric = Fabric(accelerator=accelerator, devices=devices, strategy="auto")
    fabric.launch()
    return fabric
