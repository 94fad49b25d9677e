"""``ganmash synthesize-staves``: staves that mix real and generated glyphs, via Mashcima."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from ganwriting_mashcima.errors import exit_130_on_ctrl_c
from ganwriting_mashcima.options import SeedRange, bank_options, device_option, hand_options, muscima_pp_option


@click.group(invoke_without_command=True)
@click.option("--ratio", type=click.FloatRange(0.0, 1.0), default=0.5, show_default=True,
              help="Share of glyph draws that are generated.")
@click.option("--count", type=click.IntRange(1), default=None,
              help="Number of staves. [default: the annotation file's line count, else 100]")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None, help="Output folder.")
@click.option("--checkpoint", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="GAN checkpoint. [default: the packaged pretrained one]")
@click.option("--annotations", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File of Mashcima annotations, one per line. [default: Mashcima's random annotations]")
@click.option("--seed", type=SeedRange, default=0, show_default=True, help="Job seed: staff i's seed derives from it.")
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True, help="Processes (CPU).")
@click.option("--mode", type=click.Choice(["training", "beauty"]), default="training", show_default=True,
              help="Mashcima's synthesize_for_training (distorted) or synthesize_for_beauty.")
@hand_options()
@bank_options()
@device_option
@click.option("--shard", default="1/1", show_default=True, help="Write the K-th of N deterministic shards.")
@muscima_pp_option
@click.option("--resume", is_flag=True, help="Continue an interrupted run in --out.")
@click.option("--overwrite", is_flag=True, help="Start over in a non-empty --out.")
@click.pass_context
@exit_130_on_ctrl_c("continue with --resume (same options)")
def synthesize_staves_cmd(ctx: click.Context, ratio: float, count: int | None, out: Path | None,
                          checkpoint: Path | None, annotations: Path | None, seed: int, workers: int, mode: str,
                          style: str, novel_scale: float, style_from: Path | None, precision: str,
                          bank_size: int | None, real_classes: tuple[str, ...] | None, device: str,
                          shard: str, muscima_pp: Path | None, resume: bool, overwrite: bool) -> None:
    """Render staves with Mashcima, a --ratio share of glyphs drawn by the GAN.

    Every generated glyph is a new sample of the GAN, pasted once (made per staff, planned from its annotation);
    --bank-size N instead draws from N cached glyphs per writer and class. The hand is a training writer's per
    staff, a new one per staff (--style novel), or yours (--style-from a folder of your glyph crops).

    Writes OUT/images/NNNNNN.png (black ink on white) and OUT/manifest.jsonl (file, annotation, seed,
    real/generated glyph counts, writer style), plus OUT/config.json.

    Caches (rebuilt when missing): the first run writes ~0.9 GB (Mashcima's pickle of the MUSCIMA++ pages; with
    --bank-size, the bank's glyphs, keyed by the checkpoint's content and --seed) to $GANMASH_CACHE_DIR, else
    $XDG_CACHE_HOME/ganmash, else ~/.cache/ganmash. See `ganmash cache info`.

    \b
    Examples:
      ganmash synthesize-staves --ratio 0.5 --count 1000 --out staves
      ganmash synthesize-staves --annotations train.txt --out staves --shard 3/8   # batch job 3 of 8
      ganmash synthesize-staves --ratio 0.5 --style novel --out staves              # hands no writer has
      ganmash synthesize-staves --ratio 1 --style-from my-crops/ --out staves       # in your manuscripts' hand
      ganmash synthesize-staves --ratio 0.5 --real-classes g-clef,f-clef,c-clef --bank-size 32 --out staves
      ganmash synthesize-staves merge staves-1 staves-2 --out staves
    """
    if ctx.invoked_subcommand is not None:
        return
    if out is None:
        raise click.UsageError("--out is required")
    from gan.checkpoint import load_checkpoint
    from gan.provenance import file_sha256
    from ganwriting_mashcima.provider import default_checkpoint, mixed_repository
    from symbol_sources import locate_muscima_pp
    from symbol_sources.staves import StaffJob, parse_shard, read_annotations, resolved_hand, synthesize_staves

    # Every input is checked before anything is written to --out: a typo leaves no half-made folder behind.
    lines = read_annotations(annotations) if annotations else None
    job = StaffJob(count=count or (len(lines) if lines else 100), ratio=ratio, seed=seed, mode=mode, style=style,
                   annotations=str(annotations.resolve()) if annotations else None, shard=parse_shard(shard),
                   bank_size=bank_size, real_classes=real_classes or (), novel_scale=novel_scale,
                   **resolved_hand(precision, device, style_from))
    checkpoint = Path(checkpoint) if checkpoint is not None else default_checkpoint()
    load_checkpoint(checkpoint)
    muscima_root = locate_muscima_pp(muscima_pp)
    job = dataclasses.replace(job, checkpoint=str(checkpoint.resolve()), checkpoint_sha256=file_sha256(checkpoint))
    stats = synthesize_staves(None, job, out, resume=resume, overwrite=overwrite, workers=workers,
                              repo_factory=lambda: mixed_repository(
                                  checkpoint, ratio, device, style, seed=seed, muscima_pp=muscima_root,
                                  bank_size=job.bank_size, real_classes=job.real_classes, precision=job.precision,
                                  novel_scale=job.novel_scale, style_from=job.style_from))
    click.echo(f"{out}: {stats['written']} staves written, {stats['skipped']} skipped, "
               f"{stats['already_done']} already there"
               + (f"; {stats['clipped']} written with a symbol cut at the image's edge (manifest: clipped)"
                  if stats["clipped"] else ""))


@synthesize_staves_cmd.command("merge")
@click.argument("shards", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Merged folder.")
@click.option("--overwrite", is_flag=True, help="Replace a non-empty --out.")
def merge(shards: tuple[Path, ...], out: Path, overwrite: bool) -> None:
    """Join the shard folders of one run into one folder.

    \b
    Example:
      ganmash synthesize-staves merge staves-1 staves-2 staves-3 --out staves
    """
    from symbol_sources.staves import merge_shards

    stats = merge_shards(list(shards), out, overwrite=overwrite)
    missing = f"; {stats['missing']} staves not yet made" if stats["missing"] else ""
    click.echo(f"{out}: {stats['staves']} staves{missing}")


@synthesize_staves_cmd.command("sheet")
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="PNG to write.")
@click.option("--count", type=click.IntRange(1, 50), default=6, show_default=True, help="Staves shown.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out.")
def sheet(folder: Path, out: Path, count: int, overwrite: bool) -> None:
    """One PNG of the first staves of a run, captioned with their generated/real glyph counts.

    \b
    Example:
      ganmash synthesize-staves sheet staves --out staves.png
    """
    from ganwriting_mashcima.errors import refuse_existing
    from symbol_sources.staves import contact_sheet

    refuse_existing(out, overwrite)
    click.echo(f"wrote {contact_sheet(folder, out, count)}")
