"""Generator throughput: glyphs per second of the packaged GAN's ``sample_rows`` in fp32 and bf16 autocast.

    python -m experiments.bench_generator [--rows 32] [--out results/bench-synthesis/generator.json]

Passes of ``--rows`` rows (32: the CPU's best batch, as the fresh-glyph passes use), mixed classes and writers;
the best of 10 timings of 5 passes each, after 3 warm-up passes. Run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import torch

from gan import atomic_write_json, file_sha256, load_generator
from symbol_sources.pretrained import default_checkpoint


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=32)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "threads": torch.get_num_threads(),
              "rows_per_pass": args.rows, "checkpoint_sha256": file_sha256(default_checkpoint())}
    for precision in ("fp32", "bf16"):
        sampler = load_generator(default_checkpoint(), "cpu", precision)
        names = [sampler.classes[i % len(sampler.classes)] for i in range(args.rows)]
        styles = sampler.writer_styles[torch.arange(args.rows) % len(sampler.writers)]
        for seed in range(3):
            sampler.sample_rows(names, styles, seed)
        best = float("inf")
        for rep in range(10):
            t = time.perf_counter()
            for _ in range(5):
                sampler.sample_rows(names, styles, rep)
            best = min(best, (time.perf_counter() - t) / (5 * args.rows))
        report[precision] = {"ms_per_glyph": round(best * 1000, 2), "glyphs_per_s": round(1 / best)}
    if args.out:
        atomic_write_json(args.out, report)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
