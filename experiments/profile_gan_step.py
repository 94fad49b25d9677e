"""Where a training step of the cpu preset spends its CPU time: torch.profiler over 16 steps, after warm-up.

    python -m experiments.profile_gan_step    # needs data/glyphs-64; run it on a quiet machine
"""
from __future__ import annotations

import time

import torch
from torch.profiler import ProfilerActivity, profile

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
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for i in range(37, 53):
            trainer.train_step(idx[i], refs[i], i + 1)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))


if __name__ == "__main__":
    main()
