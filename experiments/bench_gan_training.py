"""Training throughput (glyphs/s) of a preset on this machine's device; prints one JSON object.

    python -m experiments.bench_gan_training --data data/glyphs-64 --preset cpu
    python -m experiments.bench_gan_training --data data/glyphs-64 --preset cpu --precision bf16   # to compare
    torchrun --nproc_per_node 2 -m experiments.bench_gan_training --data data/glyphs-64 --preset cpu --threads 1

Under torchrun the ranks train together as ``ganmash train`` runs them (each its share of the global batch), and
rank 0 prints the throughput of all of them.
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
from gan.distributed import DistContext
from gan.glyphset import GlyphSet
from gan.provenance import data_fingerprint, provenance
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
    p.add_argument("--channels-last", action="store_true",
                   help="every network's weights in channels_last memory format (NHWC convolutions), to compare")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    ranks = DistContext.from_environment()  # one process unless torchrun started several
    if args.channels_last and ranks.distributed:
        raise SystemExit("--channels-last is measured in one process only (DDP buckets are laid out before it)")
    device = ranks.device(resolve_device(args.device))
    with ranks.process_group(device):
        result = measure(args, device, ranks)
    if ranks.is_main:
        print(json.dumps(result))


def measure(args: argparse.Namespace, device: torch.device, ranks: DistContext) -> dict:
    config = PRESETS[args.preset].replace(precision=args.precision)
    glyphs = GlyphSet.load(args.data)
    # The writer identifier's pretraining (its first warmup + steps steps, warm-up included) is timed by itself.
    trainer = Trainer(config.replace(wid_pretrain_steps=args.warmup + args.steps), glyphs, device, ranks)
    if args.channels_last:
        for net in (trainer.G, trainer.G_ema, trainer.D, trainer.R, trainer.W):
            net.to(memory_format=torch.channels_last)
    wid_gps = trainer.pretrain_writer_identifier(progress=False)["glyphs_per_s"]
    idx, refs = trainer.data.epoch_order(1)
    idx, refs = ranks.shard(idx), ranks.shard(refs)  # this rank's share of every step's batch
    n = min(args.warmup + args.steps, config.steps_per_epoch)
    t0 = 0.0
    for i in range(n):
        if i == args.warmup:
            if device.type == "cuda":
                torch.cuda.synchronize()
            ranks.barrier()
            t0 = time.perf_counter()
        trainer.train_step(idx[i], refs[i], i)
    if device.type == "cuda":
        torch.cuda.synchronize()
    ranks.barrier()
    seconds = time.perf_counter() - t0
    timed = n - args.warmup
    gps = timed * config.batch_size / seconds
    return {
        "preset": args.preset, "processes": ranks.world_size, "device": str(device), "precision": trainer.precision,
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu",
        "threads": torch.get_num_threads(), "channels_last": args.channels_last, "image_size": glyphs.image_size,
        "batch_size": config.batch_size,
        "timed_steps": timed, "seconds": round(seconds, 3), "glyphs_per_s": round(gps, 1),
        "epoch_seconds_estimate": round(config.glyphs_per_epoch / gps, 1),
        "writer_identifier_glyphs_per_s": wid_gps,
        "run_minutes_estimate": round((config.wid_pretrain_steps * config.batch_size / wid_gps
                                       + config.epochs * config.glyphs_per_epoch / gps) / 60, 1),
        "provenance": {**provenance(), "data_fingerprint": data_fingerprint(glyphs)},
    }


if __name__ == "__main__":
    main()
