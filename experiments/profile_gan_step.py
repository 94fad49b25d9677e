"""Where a training step of the cpu preset spends its CPU time: torch.profiler over 16 steps, after warm-up; and
how much arithmetic a step is, against what this machine's matrix multiply reaches.

    python -m experiments.profile_gan_step    # needs data/glyphs-64; run it on a quiet machine

The FLOP count (torch.utils.flop_counter, one step without the lazy R1 penalty) does not depend on the machine;
dividing it by the step time gives the rate the step sustains, read beside a large float32 matrix multiply on the
same threads: the most this CPU does with these kernels.
"""
from __future__ import annotations

import time

import torch
from torch.profiler import ProfilerActivity, profile
from torch.utils.flop_counter import FlopCounterMode

from gan.config import PRESETS
from gan.glyphset import GlyphSet
from gan.trainer import Trainer


def main() -> None:
    torch.set_num_threads(2)
    trainer = Trainer(PRESETS["cpu"].replace(wid_pretrain_steps=2), GlyphSet.load("data/glyphs-64"),
                      torch.device("cpu"))
    trainer.pretrain_writer_identifier(progress=False)
    idx, refs = trainer.data.epoch_order(1)
    for i in range(5):  # warm-up
        trainer.train_step(idx[i], refs[i], i + 1)
    t0 = time.perf_counter()
    for i in range(5, 37):
        trainer.train_step(idx[i], refs[i], i + 1)
    seconds = time.perf_counter() - t0
    print(f"glyphs/s {32 * 32 / seconds:.1f}, step {seconds / 32 * 1000:.0f} ms")
    flops = step_flops(trainer, idx, refs)
    print(f"arithmetic: {flops / 1e9:.1f} GFLOP a step (without R1), {flops / 32 / 1e9:.2f} GFLOP a glyph; sustained "
          f"{flops * 32 / seconds / 1e9:.0f} GFLOP/s, a {matmul_gflops():.0f} GFLOP/s float32 matmul on "
          f"{torch.get_num_threads()} threads")
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for i in range(37, 53):
            trainer.train_step(idx[i], refs[i], i + 1)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))


def step_flops(trainer: Trainer, idx, refs) -> float:
    """FLOPs of one training step without the lazy gradient penalty (its double backward cannot be counted by
    FlopCounterMode; it runs on 1 step in ``penalty_every``, so the count is a slight underestimate)."""
    step = trainer.config.penalty_every + 1
    with FlopCounterMode(display=False) as counter:
        trainer.train_step(idx[step], refs[step], step)
    return counter.get_total_flops()


def matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b  # warm-up
    t0 = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - t0) / 1e9


if __name__ == "__main__":
    main()
