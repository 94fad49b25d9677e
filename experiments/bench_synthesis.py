"""Benchmark: end-to-end ``ganmash synthesize-staves`` time at ratio 0.5 versus ratio 0, cold and warm glyph bank.

    python -m experiments.bench_synthesis [--counts 150,1000] [--checkpoint CK] [--muscima-pp PATH] [--device cpu]

Each figure is one whole command in a fresh process (start-up, Mashcima repository, GAN, rendering, PNG
writing), as a user runs it. Per staff count, in this order: ratio 0; ratio 0.5 with an empty glyph bank cache
(a job seed no earlier run used: the bank cache is keyed by checkpoint content and seed); ratio 0.5 again
with the same seed (warm: the bank is read from the cache). Uses ganmash's cache folder as it is: run a
command once beforehand so that Mashcima's page pickle exists, else the first run pays for building it.
The banks it fills stay in the cache folder (`ganmash cache clear`). Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time


def _run(count: int, ratio: float, seed: int, extra: list[str]) -> float:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "ganwriting_mashcima.cli", "synthesize-staves", "--count", str(count),
               "--ratio", str(ratio), "--seed", str(seed), "--out", out, *extra]
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--counts", default="150,1000")
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--muscima-pp", default=None)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    extra = ["--device", args.device]
    extra += ["--checkpoint", args.checkpoint] if args.checkpoint else []
    extra += ["--muscima-pp", args.muscima_pp] if args.muscima_pp else []
    results = {}
    for count in (int(c) for c in args.counts.split(",")):
        seed = secrets.randbits(31)  # a bank nobody filled yet
        s0 = _run(count, 0.0, seed, extra)
        cold = _run(count, 0.5, seed, extra)
        warm = _run(count, 0.5, seed, extra)
        results[str(count)] = {"seed": seed, "ratio_0_s": round(s0, 1), "ratio_0.5_cold_bank_s": round(cold, 1),
                               "ratio_0.5_warm_bank_s": round(warm, 1),
                               "speed_0.5_vs_0_cold": round(s0 / cold, 2), "speed_0.5_vs_0_warm": round(s0 / warm, 2)}
    print(json.dumps({"machine": f"{platform.machine()}, {os.cpu_count()} cores",
                      "omp_num_threads": os.environ.get("OMP_NUM_THREADS"), "device": args.device,
                      "staves": results}, indent=1))


if __name__ == "__main__":
    main()
