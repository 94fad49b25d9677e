"""Which float precision the generator runs in: fp32, or bfloat16 autocast where the hardware does it natively.

bf16 on a CPU is only faster with native instructions (AVX-512 BF16 or AMX): without them oneDNN emulates it and it
is slower than fp32. So ``auto`` asks the CPU (or the GPU) at run time. Glyphs differ between the two precisions
(by about 1/256 of the ink scale), so a job records the precision it resolved, never ``auto``.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

import torch

from gan.config import PRECISIONS, ConfigError


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` runs bfloat16 matrix products in hardware."""
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    probes = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    if any(p is not None for p in probes):
        return any(bool(p()) for p in probes if p is not None)
    try:  # an older torch without the probes: the kernel's CPU flags
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(name: str, device: torch.device) -> str:
    """``fp32`` or ``bf16``: ``auto`` is bf16 where ``device`` does it natively."""
    if name not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {name!r}")
    if name == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    return name


@contextlib.contextmanager
def autocast(precision: str, device: torch.device) -> Iterator[None]:
    """bf16 autocast for ``precision == "bf16"``, nothing for fp32."""
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
        yield
