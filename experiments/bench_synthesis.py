"""Benchmark: ``ganmash synthesize-staves`` as a user waits, ratio 0.5 against ratio 0, fresh glyphs and the bank.

    python -m experiments.bench_synthesis [--counts 150,1000] [--annotations FILE] [--checkpoint CK]
        [--muscima-pp PATH] [--device cpu] [--out results/bench-synthesis/cpu.json]

Each figure is one whole command in a fresh process (start-up, Mashcima repository, GAN, rendering, PNG writing),
run as a user runs it. Per staff count and annotation source (Mashcima's random annotations; with
``--annotations``, that file's real-music lines too), in this order:

- ratio 0 (plain Mashcima);
- ratio 0.5 with fresh glyphs (the default), in fp32 and in bf16;
- ratio 0.5 with the old capped bank of 32 per (writer, class), cold (a job seed no earlier run used: the bank
  cache is keyed by it), in the precision ``auto`` gives.

Mashcima's page pickle must exist (run any command once before), else the first run pays for building it; fresh
glyphs use no other cache. The banks the capped runs fill stay in the cache folder (``ganmash cache clear``).
Writes (and prints) one JSON object with what produced it.
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
from pathlib import Path

RUNS = (("ratio_0", ["--ratio", "0"]),
        ("fresh_fp32", ["--ratio", "0.5", "--precision", "fp32"]),
        ("fresh_bf16", ["--ratio", "0.5", "--precision", "bf16"]),
        ("bank32_cold", ["--ratio", "0.5", "--bank-size", "32"]))


def _run(count: int, seed: int, extra: list[str]) -> float:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "ganwriting_mashcima.cli", "synthesize-staves", "--count", str(count),
               "--seed", str(seed), "--out", out, *extra]
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t


def main() -> None:
    from gan import atomic_write_json
    from gan.provenance import file_sha256, git_commit

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--counts", default="150,1000")
    ap.add_argument("--annotations", default=None, help="a file of real-music annotations (annotations from-corpus)")
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--muscima-pp", default=None)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", default=None, help="JSON file to write [default: print only]")
    args = ap.parse_args()
    extra = ["--device", args.device]
    extra += ["--checkpoint", args.checkpoint] if args.checkpoint else []
    extra += ["--muscima-pp", args.muscima_pp] if args.muscima_pp else []
    sources = {"random": []} | ({"real_music": ["--annotations", args.annotations]} if args.annotations else {})
    results: dict[str, dict] = {}
    for source, source_args in sources.items():
        for count in (int(c) for c in args.counts.split(",")):
            seed = secrets.randbits(31)  # a bank nobody filled yet, for the capped run
            seconds = {name: round(_run(count, seed, [*extra, *source_args, *run_args]), 1) for name, run_args in RUNS}
            results[f"{source}_{count}"] = {
                "staves": count, "annotations": source, "seed": seed, "seconds": seconds,
                "speed_vs_ratio_0": {name: round(seconds["ratio_0"] / s, 2) for name, s in seconds.items()
                                     if name != "ratio_0"}}
    if args.checkpoint:
        checkpoint = Path(args.checkpoint)
    else:
        from symbol_sources.pretrained import default_checkpoint

        checkpoint = default_checkpoint()
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} cores",
              "omp_num_threads": os.environ.get("OMP_NUM_THREADS"), "device": args.device,
              "checkpoint_sha256": file_sha256(checkpoint), "git_commit": git_commit(),
              "annotations_file": args.annotations, "runs": results}
    if args.out:
        atomic_write_json(args.out, report)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
