"""Figure: one annotation rendered by Mashcima at ratio 0, 0.5 and 1 (same seed, same writer style).

    python -m experiments.figure_ratios --checkpoint CK --out docs/ratios.png [--seed 4]
"""
from __future__ import annotations

import argparse
import io

import numpy as np

from gan.files import atomic_write_bytes
from gan.plotting import agg_pyplot
from symbol_sources import locate_muscima_pp
from symbol_sources.mashcima_provider import open_mixed_repository
from symbol_sources.pretrained import default_checkpoint
from symbol_sources.staves import StaffJob, render_staff

ANNOTATION = "clef.G-2 #4 time.4 time.4 q4 q5 e=6 =e7 | h8 qr q-2 | b5 e=5 =e4 N3 q3 q2 | w0 |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--out", default="docs/ratios.png")
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--annotation", default=ANNOTATION)
    args = ap.parse_args()

    plt = agg_pyplot()

    repo = open_mixed_repository(args.checkpoint or default_checkpoint(), locate_muscima_pp(), ratio=0.0, device="auto")
    ratios = (0.0, 0.5, 1.0)
    images, notes = [], []
    for r in ratios:
        repo.bank.ratio = r
        job = StaffJob(count=1, ratio=r, seed=args.seed, mode="beauty")
        images.append(render_staff(repo, job, 0, args.annotation))
        notes.append(f"ratio {r}: {repo.counts.generated} of {repo.counts.real + repo.counts.generated} "
                     f"GAN-coverable glyphs generated (writer style {repo.writer_style})")
    width = max(im.shape[1] for im in images)
    fig, axes = plt.subplots(len(images), 1, figsize=(width / 110, 2.2 * len(images)))
    for ax, im, note in zip(axes, images, notes):
        ax.imshow(np.pad(im, ((0, 0), (0, width - im.shape[1])), constant_values=255), cmap="gray", vmin=0, vmax=255)
        ax.set_title(note, fontsize=9, loc="left")
        ax.axis("off")
    fig.suptitle(args.annotation, fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    atomic_write_bytes(args.out, buf.getvalue())
    print("\n".join(notes) + f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
