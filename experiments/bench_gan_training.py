"""Training throughput (glyphs/s) of a preset on this machine's device; prints one JSON object.

    python -m experiments.bench_gan_training --data data/glyphs-64 --preset cpu
    python -m experiments.bench_gan_training --data data/glyphs-64 --preset cpu --precision bf16   # to compare
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import torch

from gan import resolve_device
from gan.config import PRECISIONS, PRESETS
from gan.glyphset import GlyphSet
from gan.trainer import Trainer


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="glyph-set folder")
    p.add_argument("--preset", default="cpu", choices=sorted(PRESETS))
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--precision", default=None, choices=PRECISIONS, help="forward passes' precision (default: preset's)")
    p.add_argument("--steps", type=int, default=30, help="timed steps (after --warmup)")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1), help="torch CPU threads")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    config = PRESETS[args.preset].replace(precision=args.precision)
    glyphs = GlyphSet.load(args.data)
    # The writer identifier's pretraining (its first warmup + steps steps, warm-up included) is timed by itself.
    trainer = Trainer(config.replace(wid_pretrain_steps=args.warmup + args.steps), glyphs, device)
    wid_gps = trainer.pretrain_writer_identifier(progress=False)["glyphs_per_s"]
    idx, refs = trainer.data.epoch_order(1)
    n = min(args.warmup + args.steps, config.steps_per_epoch)
    t0 = 0.0
    for i in range(n):
        if i == args.warmup:
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
        trainer.train_step(idx[i], refs[i], i)
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    timed = n - args.warmup
    gps = timed * config.batch_size / seconds
    print(json.dumps({
        "preset": args.preset, "device": str(device), "precision": trainer.precision,
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu",
        "threads": torch.get_num_threads(), "image_size": glyphs.image_size, "batch_size": config.batch_size,
        "timed_steps": timed, "seconds": round(seconds, 3), "glyphs_per_s": round(gps, 1),
        "epoch_seconds_estimate": round(config.glyphs_per_epoch / gps, 1),
        "writer_identifier_glyphs_per_s": wid_gps,
        "run_minutes_estimate": round((config.wid_pretrain_steps * config.batch_size / wid_gps
                                       + config.epochs * config.glyphs_per_epoch / gps) / 60, 1),
    }))


if __name__ == "__main__":
    main()
