"""Benchmark: Mashcima staves/s with the mixed repository at ratio 0.5 versus ratio 0, and provider start-up.

    python -m experiments.bench_provider --checkpoint CK [--staves 60] [--device auto] [--muscima-pp PATH]

All ratios render the same annotations with the same seeds in one process (ratio 0 is plain Mashcima's
speed: the repository then only forwards real items). The first pass at ratio 0.5 starts with an empty
glyph bank (each writer/class pair's batch is generated when first needed) and is reported apart; the
per-ratio figures are the steady state with the bank filled. Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time

import torch

from gan import load_generator, resolve_device
from symbol_sources import locate_muscima_pp
from symbol_sources.mashcima_provider import MixedSymbolRepository
from symbol_sources.mashcima_repository import build_mashcima_repository
from symbol_sources.staves import StaffJob, synthesize_staves


def _staves_per_s(repo, ratio: float, staves: int, mode: str) -> float:
    repo.bank.ratio = ratio
    job = StaffJob(count=staves, ratio=ratio, seed=1, mode=mode)
    with tempfile.TemporaryDirectory() as out:
        t = time.perf_counter()
        synthesize_staves(repo, job, out, progress=False)
        return staves / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--staves", type=int, default=60)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--mode", default="training", choices=["training", "beauty"])
    ap.add_argument("--muscima-pp", default=None)
    args = ap.parse_args()
    root = locate_muscima_pp(args.muscima_pp)
    device = resolve_device(args.device)

    t = time.perf_counter()
    real = build_mashcima_repository(root)  # run once before to measure it warm (Mashcima's pickle cache)
    real_s = time.perf_counter() - t
    t = time.perf_counter()
    sampler = load_generator(args.checkpoint, device)
    repo = MixedSymbolRepository(real, sampler, ratio=0.5)
    provider_s = time.perf_counter() - t

    cold = _staves_per_s(repo, 0.5, args.staves, args.mode)  # fills the bank for these staves' writers
    bank_pairs = repo.bank.pairs
    _staves_per_s(repo, 1.0, args.staves, args.mode)  # and the classes only ratio 1 reaches
    rates = {r: _staves_per_s(repo, r, args.staves, args.mode) for r in (0.0, 0.5, 1.0)}
    print(json.dumps({
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}",
        "device": str(device), "mode": args.mode, "staves_per_ratio": args.staves,
        "real_repository_build_s": round(real_s, 1), "provider_start_s": round(provider_s, 2),
        "first_pass_ratio_0.5_staves_per_s": round(cold, 2),
        "bank_pairs_after_first_pass": bank_pairs, "bank_size": repo.bank.size,
        "staves_per_s": {str(r): round(v, 2) for r, v in rates.items()},
        "speed_ratio_0.5_vs_0": round(rates[0.5] / rates[0.0], 2),
        "speed_ratio_1_vs_0": round(rates[1.0] / rates[0.0], 2),
    }, indent=1))


if __name__ == "__main__":
    main()
