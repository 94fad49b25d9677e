"""How often each generated glyph is pasted: the capped bank against fresh glyphs, on the same staves.

    python -m experiments.glyph_reuse [--annotations FILE] [--staves 500] [--ratio 0.5] [--bank-size 32]
        [--out results/glyph-reuse/reuse.json]

Renders the staves a staff job would (``synthesize-staves``' seeds and annotations, in memory, no PNGs) once with
the bank and once with fresh glyphs, and hashes every generated glyph a draw takes: per class, generated draws,
distinct glyphs, and pastes per distinct glyph. The staff benchmark's ``cpu`` preset renders 2,000 staves of
real-music annotations; by default this renders the first 500 of them (the bank's reuse grows with the count:
the figure for 2,000 is larger, not smaller).
"""
from __future__ import annotations

import argparse
import hashlib
import time
from collections import Counter, defaultdict
from pathlib import Path

from tqdm import tqdm

from gan.files import atomic_write_json
from gan.provenance import file_sha256, provenance
from symbol_sources import locate_muscima_pp
from symbol_sources.mashcima_provider import open_mixed_repository
from symbol_sources.mashcima_repository import build_mashcima_repository
from symbol_sources.staves import StaffJob, annotation_for, read_annotations, render_staff


def _pastes(repo, job: StaffJob, lines) -> dict[str, dict[str, float]]:
    """Per class: generated draws, distinct glyphs among them, and draws per distinct glyph."""
    draws: Counter = Counter()
    distinct: dict[str, set] = defaultdict(set)
    take = repo.bank.take

    def recording(cls):  # a spy on the real take
        glyph = take(cls)
        draws[cls] += 1
        distinct[cls].add(hashlib.sha1(glyph.tobytes()).digest())
        return glyph

    repo.bank.take = recording
    for i in tqdm(range(job.count), unit="staff", desc=f"bank {job.bank_size or 'fresh'}"):
        try:
            render_staff(repo, job, i, annotation_for(job, i, lines)[0])
        except Exception:  # noqa: BLE001 - a line Mashcima cannot render is skipped, as the staff job does
            continue
    per_class = {c: {"draws": n, "distinct": len(distinct[c]), "pastes_per_glyph": round(n / len(distinct[c]), 2)}
                 for c, n in sorted(draws.items())}
    total = sum(draws.values())
    return {"total": {"draws": total, "distinct": sum(len(d) for d in distinct.values()),
                      "pastes_per_glyph": round(total / max(1, sum(len(d) for d in distinct.values())), 2)},
            "per_class": per_class}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--annotations", default=None, help="[default: Mashcima's random annotations]")
    ap.add_argument("--staves", type=int, default=500)
    ap.add_argument("--ratio", type=float, default=0.5)
    ap.add_argument("--bank-size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0, help="the job seed (the staff benchmark's is 0)")
    ap.add_argument("--checkpoint", default=None, help="[default: the packaged GAN]")
    ap.add_argument("--out", default="results/glyph-reuse/reuse.json")
    args = ap.parse_args()
    from symbol_sources.pretrained import default_checkpoint

    t0 = time.time()
    checkpoint = Path(args.checkpoint) if args.checkpoint else default_checkpoint()
    muscima_pp = locate_muscima_pp(None)
    real = build_mashcima_repository(muscima_pp)
    lines = read_annotations(args.annotations) if args.annotations else None
    report = {}
    for name, bank_size in (("bank", args.bank_size), ("fresh", None)):
        job = StaffJob(count=args.staves, ratio=args.ratio, seed=args.seed, annotations=args.annotations,
                       bank_size=bank_size)
        repo = open_mixed_repository(checkpoint, muscima_pp, ratio=args.ratio, device="cpu", seed=args.seed,
                                     real=real, bank_size=bank_size, bank_cache=False)
        report[name] = _pastes(repo, job, lines)
    report["settings"] = {"staves": args.staves, "ratio": args.ratio, "bank_size": args.bank_size, "seed": args.seed,
                          "annotations": args.annotations,
                          "annotations_sha256": file_sha256(args.annotations) if args.annotations else None}
    report["provenance"] = {**provenance(), "checkpoint_sha256": file_sha256(checkpoint),
                            "seconds": round(time.time() - t0)}
    atomic_write_json(args.out, report)
    print(f"wrote {args.out}: bank {report['bank']['total']}, fresh {report['fresh']['total']}")


if __name__ == "__main__":
    main()
