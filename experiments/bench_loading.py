"""Benchmark: MUSCIMA++ reading, cold (no cache) and warm (cache hit), and glyph extraction.

    python -m experiments.bench_loading [--muscima-pp PATH] [--repeats 3]

Prints one JSON object; the README quotes its figures.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time

from symbol_sources import extract_glyph_set, load_muscima_pp, locate_muscima_pp


def _timed(fn) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--muscima-pp", default=None)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    root = locate_muscima_pp(args.muscima_pp)
    cold, warm = [], []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as cache:
            t, data = _timed(lambda: load_muscima_pp(root, cache_dir=cache))
            cold.append(t)
            warm.append(_timed(lambda: load_muscima_pp(root, cache_dir=cache))[0])
    extract_s, glyphs = _timed(lambda: extract_glyph_set(data, size=64))
    print(json.dumps({
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "objects": len(data), "pages": len(data.documents),
        "cold_s_median": round(statistics.median(cold), 2), "cold_s_all": [round(t, 2) for t in cold],
        "warm_s_median": round(statistics.median(warm), 3), "warm_s_all": [round(t, 3) for t in warm],
        "extract_default_classes_64px_s": round(extract_s, 1), "glyphs": len(glyphs.images),
    }, indent=1))


if __name__ == "__main__":
    main()
